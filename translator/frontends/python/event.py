"""The symbolic PantherEvent handed to rule(): reads return symbolic field references.

Mirrors panther_core.PantherEvent: case-insensitive keys (spelled as the tests' events spell
them), ``get``/``deep_get``/``deep_walk``/``udm``/``[]``/``in``; ``udm`` goes through the data
model of the log type (Path mappings become Field paths, Method mappings run symbolically).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from ...model import MISSING, Field, Predicate, _freeze
from . import state
from .errors import Unsupported, as_rule_error
from .symbolic import Opaque, Sym, Symbolic, decide, resolve

# Panther adds lookup-table matches to the event, before detections run, under
# p_enrichment.<table>.<selector>: an ordinary field, as the simple-detection frontend reads it.
ENRICHMENT_KEY = "p_enrichment"


@dataclass
class DataModel:
    id: str
    log_types: tuple
    paths: dict  # name -> tuple path
    methods: dict  # name -> callable (loaded lazily through the rewriting loader)
    file: str = ""


def parse_json_path(text: str) -> tuple | None:
    """``$.a.b`` / ``a.b`` / ``$.a[0].b`` -> ("a", "b") / ...; None for JSONPath beyond that."""
    t = text.strip()
    if t.startswith("$."):
        t = t[2:]
    elif t.startswith("$"):
        t = t[1:]
    out: list = []
    for part in t.split("."):
        if not part:
            return None
        while "[" in part:
            name, _, rest = part.partition("[")
            idx, _, part = rest.partition("]")
            if name:
                out.append(name)
            if not idx.lstrip("-").isdigit():
                return None
            out.append(int(idx))
        if part:
            if any(c in part for c in "*?()@'\" "):
                return None
            out.append(part)
    return tuple(out)


def _field(path: tuple, default: Any = None, on_null: bool = False) -> Field:
    ctx = state.current()
    spelled: list = []
    for step in path:
        spelled.append(ctx.shape.spell(tuple(spelled), step) if isinstance(step, str) else step)
    if path and isinstance(path[0], str) and path[0].lower() == ENRICHMENT_KEY:
        ctx.note(f"{'.'.join(map(str, path[:2]))}: Panther lookup-table enrichment, read as the "
                 "event field Panther puts it in")
    if isinstance(default, Symbolic):
        raise Unsupported("default", "a default that is itself an event value")
    d = MISSING if default is None else _freeze(default)
    return Field(tuple(spelled), d, on_null and d is not MISSING)


def _or_event_default(f: Field, there: str, default: Symbolic) -> Any:
    """``get(k, <event value>)`` (``there`` = "present": a null value is kept) or ``deep_get(...,
    default=<event value>)`` (``there`` = "exists"): the field or the other value, by a fork."""
    return Sym(f) if decide(Predicate(f, there)) else default


class SymbolicEvent(Mapping):
    """What rule(event) receives during extraction."""

    def __init__(self, data_model_for: Callable[[], DataModel | None] | None = None,
                 is_method_arg: bool = False):
        self._data_model_for = data_model_for
        self._is_method_arg = is_method_arg

    # ---- Mapping protocol
    def __getitem__(self, key):
        key = resolve(key)
        if not isinstance(key, str):
            raise Unsupported("event[...]", "an event key that is not constant text")
        f = _field((key,))
        if not decide(Predicate(f, "present")):
            raise as_rule_error(KeyError(key))
        return Sym(f)

    def __iter__(self):
        if state.current().mode == "context":
            return iter(())  # keys are only enumerated to decorate alert contexts
        raise Unsupported("event keys", "iterating over the event's keys")

    def __len__(self):
        raise Unsupported("len(event)", "the number of keys of the event")

    def __contains__(self, key):
        key = resolve(key)
        if not isinstance(key, str):
            raise Unsupported("in event", "an event key that is not constant text")
        return decide(Predicate(_field((key,)), "present"))

    def __eq__(self, other):
        return other is self

    __hash__ = object.__hash__

    def __bool__(self):
        return True

    def __repr__(self):
        return "SymbolicEvent()"

    # ---- PantherEvent API
    def get(self, key, default=None):
        key = resolve(key)
        if not isinstance(key, str):
            raise Unsupported("event.get()", "an event key that is not constant text")
        if isinstance(resolve(default), Symbolic):
            return _or_event_default(_field((key,)), "present", resolve(default))
        return Sym(_field((key,), default), raw_default=default)

    def deep_get(self, *keys, default=None):
        keys = tuple(resolve(k) for k in keys)
        if not all(isinstance(k, str) for k in keys):
            raise Unsupported("deep_get()", "a key that is not constant text")
        if not keys:
            return self
        if isinstance(resolve(default), Symbolic):
            return _or_event_default(_field(keys), "exists", resolve(default))
        return Sym(_field(keys, default, on_null=True), raw_default=default)

    def deep_walk(self, *keys, default=None, return_val="all"):
        keys = tuple(resolve(k) for k in keys)
        ctx = state.current()
        for i in range(1, len(keys)):
            if "list" in ctx.shape.types_of(keys[:i]):
                from .walks import walk_through_lists
                return walk_through_lists(keys, default, return_val, i)
        if "list" in ctx.shape.types_of(keys):
            ctx.note(f"deep_walk({', '.join(keys)}) read as deep_get: an empty list there is "
                     "the default in Python")
        # Without lists on the way deep_walk is deep_get (a null value gives the default).
        return Sym(_field(keys, default, on_null=True), plain=True, raw_default=default)

    def udm(self, *keys, default=None):
        keys = tuple(resolve(k) for k in keys)
        model = self._data_model_for() if self._data_model_for else None
        if len(keys) == 1 and model is not None:
            name = keys[0]
            if name in model.paths:
                path = model.paths[name]
                if path is None:
                    raise Unsupported("udm()", f"data model {model.id}: JSONPath of {name!r} "
                                      "is beyond plain keys")
                f = _field(path)
                return Sym(Field(f.path, udm=name))
            if name in model.methods:
                method = model.methods[name]
                from .tracer import call  # the tracer imports this module
                return call(method, SymbolicEvent(self._data_model_for, is_method_arg=True))
        # p_udm, then the event itself, then the default (PantherEvent.udm's second mode).
        a = Sym(_field(("p_udm",) + keys))
        if decide(a.truthy()):
            return a
        b = Sym(_field(keys))
        if decide(b.truthy()):
            return b
        return default

    def lookup(self, *args, **kwargs):
        raise Unsupported("event.lookup()", "lookup-table data is not in the event")

    def event_time_epoch(self, *a, **k):
        raise Unsupported("event_time_epoch()", "time arithmetic on p_event_time")

    def to_dict(self):
        raise Unsupported("event.to_dict()", "a copy of the whole event")

    copy = to_dict

    def keys(self):
        return iter(self)

    def items(self):
        return iter(self)

    def values(self):
        return iter(self)


__all__ = ["SymbolicEvent", "DataModel", "parse_json_path", "Opaque"]
