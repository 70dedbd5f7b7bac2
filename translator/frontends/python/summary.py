"""Call summaries: a pure helper (or data-model method) explored once per call, its paths merged
by return value, instead of multiplying the caller's paths.

Without this, ``is_a(x) and is_b(y) and is_c(z)`` over helpers with k decisions each forks the
rule k*k*k ways. Here the helper runs in its own Explorer (the decisions already taken on the
caller's path are known facts there); its paths are grouped by the value they return:

* every path returns a bool or a condition: the call is one condition (no fork at all);
* otherwise the caller forks once per distinct return value (and once per distinct exception),
  on the condition under which the helper returns it.

Running a helper several times for one call is only right when it has no side effects: a
function is summarized only when its source shows none (``is_pure``), and a summary aborts when
it reaches a traced callee that is not pure (the caller then runs the call directly).
"""
from __future__ import annotations

import ast
import functools
import types
from typing import Any

from ...model import FALSE, TRUE, All, AnyOf, Expr, Not
from . import state
from .errors import PathLimit, Timeout, TRACED_FILES
from .explore import Explorer, _fold, conj, disj, fold, negate
from .facts import implied
from .symbolic import Cond, Lazy, Sym, SymMatch, SymStr, cond, decide

MAX_SUMMARY_PATHS = 256

_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "remove",
             "discard", "clear", "popitem", "sort", "reverse", "__setitem__", "__delitem__"}
_IMPURE_BUILTINS = {"setattr", "delattr", "exec", "eval", "globals", "locals", "vars", "open",
                    "__import__", "input", "breakpoint"}
_FRESH_CALLS = {"list", "dict", "set", "frozenset", "tuple", "sorted", "str", "int", "float",
                "bool", "len", "range", "reversed", "enumerate", "zip", "map", "filter"}


class NotSummarizable(PathLimit):
    """Raised inside a summary that met a side effect: the call must run directly. (A PathLimit
    so that everything passing path limits through passes it through too.)"""


# --------------------------------------------------------------------------- purity
@functools.lru_cache(maxsize=None)
def _tree(filename: str):
    try:
        with open(filename, encoding="utf-8") as fh:
            return ast.parse(fh.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return None


def _code_of(f) -> types.CodeType | None:
    if isinstance(f, types.MethodType):
        f = f.__func__
    return f.__code__ if isinstance(f, types.FunctionType) else None


def is_pure(f) -> bool:
    """Does ``f`` (traced user code) visibly leave every object it did not create alone?"""
    code = _code_of(f)
    if code is None or code.co_flags & (0x20 | 0x80 | 0x200):  # generator, coroutine, async gen
        return False
    if code in _REACHES_SIDE_EFFECTS:
        return False
    return _pure_code(code.co_filename, code.co_firstlineno, code.co_name)


# Functions whose summary met a callee with side effects (so they have them too), and
# functions with too many paths to summarize: known until the next rule function (begin()).
_REACHES_SIDE_EFFECTS: set = set()
_TOO_MANY_PATHS: set = set()


@functools.lru_cache(maxsize=None)
def _pure_code(filename: str, line: int, name: str) -> bool:
    if filename not in TRACED_FILES:
        return False
    tree = _tree(filename)
    if tree is None:
        return False
    found = [n for n in ast.walk(tree) if _starts_at(n, line, name)]
    return bool(found) and all(_pure_node(n) for n in found)


def _starts_at(node: ast.AST, line: int, name: str) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        return node.name == name and line in (node.lineno, first)
    return isinstance(node, ast.Lambda) and name == "<lambda>" and node.lineno == line


def _fresh_value(v: ast.AST | None) -> bool:
    """A value that is a new object (or immutable): mutating it touches nothing outside."""
    if isinstance(v, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp,
                      ast.GeneratorExp, ast.Constant, ast.JoinedStr, ast.BinOp)):
        return True
    return isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in _FRESH_CALLS


def _pure_node(fn: ast.AST) -> bool:
    params: set = set()
    bound: dict = {}  # name -> [value nodes] (None: bound to something not known fresh)
    for n in ast.walk(fn):
        if isinstance(n, (ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await)):
            return False
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = n.args
            for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
                if arg is not None:
                    params.add(arg.arg)
        elif isinstance(n, ast.Assign):
            for t in n.targets:
                _bind(t, n.value, bound)
        elif isinstance(n, (ast.AnnAssign, ast.NamedExpr)) and isinstance(n.target, ast.Name):
            bound.setdefault(n.target.id, []).append(n.value)
        elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)):
            _bind(n.target, None, bound)
        elif isinstance(n, ast.withitem) and n.optional_vars is not None:
            _bind(n.optional_vars, None, bound)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for al in n.names:
                bound.setdefault((al.asname or al.name).split(".")[0], []).append(None)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.setdefault(n.name, []).append(None)

    def fresh(name: str) -> bool:
        return name not in params and name in bound and all(_fresh_value(v) for v in bound[name])

    for n in ast.walk(fn):
        if isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, (ast.Store, ast.Del)):
            if not (isinstance(n.value, ast.Name) and fresh(n.value.id)):
                return False
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            if not fresh(n.target.id):
                return False
        elif isinstance(n, ast.Call):
            func = n.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
                if not (isinstance(func.value, ast.Name) and fresh(func.value.id)):
                    return False
            elif isinstance(func, ast.Name) and func.id in _IMPURE_BUILTINS:
                return False
            elif isinstance(func, ast.Name) and func.id == "next" and n.args and not (
                    isinstance(n.args[0], ast.Name) and fresh(n.args[0].id)) and not isinstance(
                    n.args[0], ast.Call):
                return False
    return True


def _bind(target: ast.AST, value: ast.AST | None, bound: dict) -> None:
    if isinstance(target, ast.Name):
        bound.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for t in target.elts:
            _bind(t, None, bound)
    elif isinstance(target, ast.Starred):
        _bind(target.value, None, bound)


# --------------------------------------------------------------------------- summaries
_ACTIVE = [0]  # summaries under way in this process


DIRECT = object()  # call_user_code's answer: run the call directly


def call_user_code(f, args: tuple, kw: dict) -> Any:
    """A call of rule, helper or data-model code: its summary's value, or DIRECT. Inside a
    summary, a callee with side effects ends that summary."""
    if state.current().mode != "rule":
        return DIRECT  # title/dedup/context/severity explore few paths and stop early anyway
    pure = is_pure(f)
    if pure and _code_of(f) in _TOO_MANY_PATHS:
        return DIRECT
    if not pure:
        if _ACTIVE[0]:
            raise NotSummarizable("summary", f"{getattr(f, '__qualname__', f)} has side effects")
        if _SHARED[0]:
            _SHARED[0] = False
            _CACHE.clear()
        return DIRECT
    return call_summarized(f, args, kw)


def _key(v: Any) -> Any:
    """Equal keys: the values are interchangeable for the caller (equal constants, the same
    field reference or condition). Other objects only equal themselves."""
    if v is None or isinstance(v, (bool, int, float, str, bytes)):
        return (type(v).__name__, v)
    if isinstance(v, Sym):
        return ("sym", v.field, v.origin, v.plain)
    if isinstance(v, Cond):
        return ("cond", v.expr)
    if isinstance(v, SymMatch):
        return ("match", v.pred)
    if isinstance(v, SymStr):
        return ("text",) + tuple(_key(p) for p in v.parts)
    if type(v) is Lazy:
        return ("lazy", v.kind) + tuple(_key(x) for x in v.values)
    if type(v) in (tuple, list):
        # equal content: a list built afresh on each path (``return []``) is the same result
        return (type(v).__name__,) + tuple(_key(x) for x in v)
    if type(v) is dict:
        return ("dict",) + tuple((_key(k), _key(x)) for k, x in v.items())
    return ("id", id(v))


def call_summarized(f, args: tuple, kw: dict):
    """``f(*args, **kw)`` for pure traced ``f``, its paths merged (see the module doc).

    The paths of a call are explored without the caller's facts, so that they can be reused
    by every equal call on the same rule path (nested helpers would otherwise be explored
    once per path of each helper around them); the caller's facts then simplify the merged
    conditions."""
    ctx = state.current()
    key = _call_key(f, args, kw)
    cache = _cache(ctx)
    outcomes = cache.get(key) if key is not None else None
    if outcomes is None:
        sub = Explorer(MAX_SUMMARY_PATHS)
        _ACTIVE[0] += 1
        try:
            outcomes = sub.run(lambda: f(*args, **kw))
        except Timeout:
            raise
        except NotSummarizable:
            _REACHES_SIDE_EFFECTS.add(_code_of(f))
            outcomes = DIRECT
        except PathLimit:
            _TOO_MANY_PATHS.add(_code_of(f))
            outcomes = DIRECT
        finally:
            _ACTIVE[0] -= 1
        if key is not None and (outcomes is DIRECT or all(
                _shareable(o.value) for o in outcomes if o.kind == "value")):
            cache[key] = outcomes
    if outcomes is DIRECT:
        return DIRECT
    return _merge(outcomes, ctx.explorer.facts)


_CACHE: dict = {}
_CACHE_PATH: list = [None]  # the rule path the cache belongs to (its trail list)
_SHARED = [False]  # may summaries be reused across the rule's paths?


def begin(fn) -> None:
    """A rule function is about to be explored: summaries of an earlier one are stale. They
    are shared by all its paths unless it (or a callee) has side effects: a pure helper may
    read module state that impure code changes on one path and not on another."""
    _CACHE.clear()
    _CACHE_PATH[0] = None
    _REACHES_SIDE_EFFECTS.clear()
    _TOO_MANY_PATHS.clear()
    _SHARED[0] = is_pure(fn)


def _cache(ctx) -> dict:
    owner = ctx.explorers[0].trail if ctx.explorers else None
    if not _SHARED[0] and _CACHE_PATH[0] is not owner:
        _CACHE.clear()
        _CACHE_PATH[0] = owner
    return _CACHE


def _call_key(f, args: tuple, kw: dict):
    if not isinstance(f, types.FunctionType):
        return None
    try:
        key = (f, tuple(_arg_key(a) for a in args),
               tuple(sorted((k, _arg_key(v)) for k, v in kw.items())))
        hash(key)
    except (_Uncacheable, TypeError):
        return None
    return key


class _Uncacheable(Exception):
    pass


def _arg_key(v: Any) -> Any:
    from .event import SymbolicEvent
    if isinstance(v, SymbolicEvent):
        return ("event", v._is_method_arg)
    if isinstance(v, (types.FunctionType, types.ModuleType, type)):
        return ("id", id(v))
    k = _key(v)
    if _has_id(k):
        raise _Uncacheable()
    return k


def _has_id(k: Any) -> bool:
    return isinstance(k, tuple) and (k[:1] == ("id",) or any(_has_id(x) for x in k))


def _shareable(v: Any) -> bool:
    """A value two calls may both hand out: nothing the caller could change."""
    if v is None or isinstance(v, (bool, int, float, str, bytes, Sym, Cond, SymMatch, SymStr)):
        return True
    if type(v) is Lazy or type(v) is tuple:
        return all(_shareable(x) for x in (v.values if type(v) is Lazy else v))
    return False


def loop_over_constants(items: list, body, goes_on, return_tag) -> Any:
    """``for x in CONSTANTS: if test(x, event): return V`` (a pure body): when every element's
    body either goes on or returns the same constant V, and none raises or breaks, the loop
    returns V iff some element's body does, whatever the order: one condition instead of a
    fork per element. DIRECT otherwise (the loop then runs as Python runs it)."""
    ctx = state.current()
    facts = ctx.explorer.facts
    runs = []
    _ACTIVE[0] += 1
    try:
        for x in items:
            sub = Explorer(MAX_SUMMARY_PATHS)
            sub.base_facts = dict(facts)
            runs.append(sub.run(lambda x=x: body(x)))
    except Timeout:
        raise
    except PathLimit:  # too many paths, or a callee with side effects
        return DIRECT
    finally:
        _ACTIVE[0] -= 1
    value: Any = DIRECT
    conditions = []
    for outcomes in runs:
        for o in outcomes:
            if o.kind != "value":
                return DIRECT
            if goes_on(o.value):
                continue
            if not (type(o.value) is tuple and o.value[0] is return_tag):
                return DIRECT  # break
            v = o.value[1]
            if v is not None and not isinstance(v, (bool, int, float, str)):
                return DIRECT
            if value is not DIRECT and (type(v) is not type(value) or v != value):
                return DIRECT  # which element comes first would decide the value
            value = v
        conditions.append(fold(outcomes, lambda o: FALSE if goes_on(o.value) else TRUE))
    if value is DIRECT:
        return None  # no element's body ever returns: the loop just ends
    return (return_tag, value) if decide(specialize(disj(*conditions), facts)) else None


def _merge(outcomes: list, facts: dict):
    """The call's result on the caller's path: walk the helper's decision tree, deciding its
    conditions on the caller's path, until the paths left all give the same result (that
    value, or exception), or all give bools (then one condition, no further fork)."""
    keyed = [(_group(o), o) for o in outcomes]
    return _walk(keyed, 0, facts)


def _group(o) -> tuple:
    if o.kind == "value":
        return ("value", _key(o.value))
    if o.kind == "error":
        return ("error", type(o.value), repr(o.value.args))
    return ("unsupported", o.value.describe())


def _walk(items: list, depth: int, facts: dict):
    first_key, first = items[0]
    if all(k == first_key for k, _ in items[1:]):
        if first.kind == "value":
            return first.value
        raise first.value
    if all(o.kind == "value" and isinstance(o.value, (bool, Cond)) for _, o in items):
        tree = _fold([(list(o.trail), o) for _, o in items], depth, _truth)
        return cond(specialize(tree, facts))
    expr = first.trail[depth][0]
    taken = decide(expr)
    return _walk([(k, o) for k, o in items if o.trail[depth][1] == taken], depth + 1, facts)


def _truth(o) -> Expr:
    v = o.value
    return v.expr if isinstance(v, Cond) else (TRUE if v else FALSE)


def specialize(e: Expr, facts: dict) -> Expr:
    """``e`` where what the path already decided is replaced by its truth value."""
    if not facts:
        return e
    known = implied(e, facts)
    if known is not None:
        return TRUE if known else FALSE
    if isinstance(e, All):
        return conj(*[specialize(x, facts) for x in e.items])
    if isinstance(e, AnyOf):
        return disj(*[specialize(x, facts) for x in e.items])
    if isinstance(e, Not):
        return negate(specialize(e.item, facts))
    return e


__all__ = ["begin", "is_pure", "call_user_code", "call_summarized", "DIRECT", "NotSummarizable"]
