"""Loading rule, global-helper and data-model modules through the tracer rewrite.

Modules are built by hand (never put in ``sys.modules``): each gets its own ``__import__``
resolving global helpers to their traced copies and Panther's runtime libraries to stand-ins,
so a real rule run in the same process is not affected.
"""
from __future__ import annotations

import builtins
import os
import types
from pathlib import Path
from typing import Any

from ...model import MISSING, Predicate
from . import tracer
from .errors import TRACED_FILES, Unsupported
from .event import SymbolicEvent
from .rewrite import T, rewrite_source
from .symbolic import TEXT_TRANSFORMS, Opaque, Sym, Symbolic, decide, resolve

_CODE_CACHE: dict = {}  # (path, mtime) -> code


def compile_file(path: str):
    key = (path, os.path.getmtime(path))
    code = _CODE_CACHE.get(key)
    if code is None:
        with open(path, encoding="utf-8") as fh:
            code = rewrite_source(fh.read(), path)
        _CODE_CACHE[key] = code
    TRACED_FILES[path] = os.path.basename(path)
    return code


# --------------------------------------------------------------------------- stand-ins
def _kv_store(name: str):
    def f(*a, **k):
        raise Unsupported(f"{name}()", "key-value store state (Panther's cache) across events")
    f.__name__ = name
    return f


_KV_NAMES = ("get_string_set", "put_string_set", "add_to_string_set", "remove_from_string_set",
             "reset_string_set", "get_counter", "increment_counter", "reset_counter",
             "set_key_expiration", "put_dictionary", "get_dictionary", "check_account_age",
             "evaluate_threshold", "get_string_set_ttl", "put_string_set_ttl")


def _stub_modules() -> dict:
    caching = types.ModuleType("panther_detection_helpers.caching")
    for n in _KV_NAMES:
        setattr(caching, n, _kv_store(n))
    caching.__getattr__ = lambda n: _kv_store(n)  # type: ignore[attr-defined]
    pdh = types.ModuleType("panther_detection_helpers")
    pdh.caching = caching  # type: ignore[attr-defined]
    core = types.ModuleType("panther_core")
    core.PantherEvent = SymbolicEvent  # type: ignore[attr-defined]
    immutable = types.ModuleType("panther_core.immutable")
    immutable.ImmutableCaseInsensitiveDict = tracer._MappingStandIn  # type: ignore[attr-defined]
    immutable.ImmutableList = tracer._SequenceStandIn  # type: ignore[attr-defined]
    enriched = types.ModuleType("panther_core.enriched_event")
    enriched.PantherEvent = SymbolicEvent  # type: ignore[attr-defined]
    core.immutable = immutable  # type: ignore[attr-defined]
    core.enriched_event = enriched  # type: ignore[attr-defined]
    return {"panther_detection_helpers": pdh, "panther_detection_helpers.caching": caching,
            "panther_core": core, "panther_core.immutable": immutable,
            "panther_core.enriched_event": enriched}


# --------------------------------------------------------------------------- helper overrides
def _sym_deep_get(original):
    def deep_get(dictionary, *keys, default=None):
        dictionary = resolve(dictionary)
        if isinstance(dictionary, SymbolicEvent):
            return dictionary.deep_get(*keys, default=default)
        if isinstance(dictionary, Sym):
            from ...model import Field, Transform, _freeze
            node = dictionary
            for k in keys:
                node = node.child(resolve(k))
            f = node.field
            if isinstance(resolve(default), Symbolic):  # a default that is an event value
                if f.transforms or f.default not in (MISSING, None):
                    raise Unsupported("default", "a default that is itself an event value")
                return Sym(f, node.origin) if decide(Predicate(f, "exists")) else default
            if default is not None:
                if f.transforms:  # deep_get into a parsed JSON document
                    last = f.transforms[-1]
                    f = Field(f.path, f.default, f.default_on_null, f.transforms[:-1]
                              + (Transform("get", (last.args[0], _freeze(default), True)),), f.root)
                else:
                    f = Field(f.path, _freeze(default), True, (), f.root)
            return Sym(f, node.origin)
        return original(dictionary, *keys, default=default)
    return deep_get


def _sym_deep_walk(original):
    def deep_walk(obj, *keys, default=None, return_val="all"):
        obj = resolve(obj)
        if isinstance(obj, SymbolicEvent):
            return obj.deep_walk(*keys, default=default, return_val=return_val)
        if isinstance(obj, Sym) and not keys:
            return _walk_end(obj, default)
        if isinstance(obj, Symbolic):
            raise Unsupported("deep_walk()", f"deep_walk on {obj.describe()}")
        return original(obj, *keys, default=default, return_val=return_val)
    return deep_walk


def _walk_end(obj: Sym, default):
    """deep_walk with no keys left (a value it reached in a dict): the value itself, or the
    default when it is a list of (lists of) nothing. Which of the two a list gives is not
    expressible: such a list is a value the rule may hold but not use."""
    last = obj.field.transforms[-1] if obj.field.transforms else None
    if last is not None and last.name in TEXT_TRANSFORMS and (
            last.name != "split" or len(last.args) > 1):
        return obj  # text
    if not decide(Predicate(obj.field, "is_type", ("list",))):
        return obj
    return Opaque(f"deep_walk() reaching the list {obj.field}: the default when it holds only "
                  "empty lists, else the list", construct="deep_walk()")


_OVERRIDES = {"deep_get": _sym_deep_get, "deep_walk": _sym_deep_walk}


class ModuleLoader:
    """Traced modules of one rules tree (helpers cached for the life of the process)."""

    def __init__(self, helper_dirs: list):
        self.helper_files: dict[str, str] = {}
        for d in helper_dirs:
            for p in sorted(Path(d).glob("*.py")):
                self.helper_files.setdefault(p.stem, str(p))
        self.modules: dict[str, types.ModuleType] = _stub_modules()
        self._builtins = dict(vars(builtins))
        self._builtins["__import__"] = self._import

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            top = name.split(".")[0]
            if name in self.modules or top in self.modules or top in self.helper_files:
                mod = self.load_helper(name)
                return mod if fromlist or "." not in name else self.modules[top]
        return builtins.__import__(name, globals, locals, fromlist, level)

    def load_helper(self, name: str) -> types.ModuleType:
        mod = self.modules.get(name)
        if mod is not None:
            return mod
        path = self.helper_files.get(name)
        if path is None:
            raise ImportError(f"No module named {name!r}")
        mod = self.exec_file(path, name)
        self.modules[name] = mod
        tracer._TRACED_MODULE_NAMES.add(name)
        return mod

    def exec_file(self, path: str, name: str) -> types.ModuleType:
        code = compile_file(path)
        mod = types.ModuleType(name)
        mod.__file__ = path
        mod.__dict__["__builtins__"] = self._builtins
        mod.__dict__[T] = tracer
        exec(code, mod.__dict__)
        for fname, make in _OVERRIDES.items():
            fn = mod.__dict__.get(fname)
            if callable(fn) and getattr(fn, "__module__", None) == name:
                mod.__dict__[fname] = make(fn)
        return mod

    def load_rule(self, path: str) -> types.ModuleType:
        stem = Path(path).stem
        tracer._TRACED_MODULE_NAMES.add(stem)
        return self.exec_file(path, stem)


def function_of(module: Any, name: str):
    fn = getattr(module, name, None)
    return fn if callable(fn) else None
