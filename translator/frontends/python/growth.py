"""Lists and sets a rule grows: ``found = set()`` then ``found.add(x)`` / ``.append(x)`` in a loop
over an event array, or ``found.update(<event array>)`` / ``.extend(...)``.

The rewrite (rewrite.py) turns each such statement into ``found = T.grow(found, "add", x, "found")``
when ``found`` is a local that starts empty and is read only after its last growth (so nothing
else holds the collection while it grows). Added values that are event values make it a
``SymList``; a loop over an event array adds, per element, the value its body adds (at most one
per element and path), which is exact whatever the elements' order: the collection is then only
asked what a SymList answers (membership, emptiness, intersection with constants).
"""
from __future__ import annotations

from typing import Any

from ...model import FALSE, Quantifier
from . import state, symdicts
from .errors import Unsupported, as_rule_error
from .explore import fold, negate
from .iteration import SKIP, Elements, element_outcomes
from .symbolic import Sym, Symbolic, decide, resolve
from .symlists import SymList, _eager, _through, collect

TRUE_ = negate(FALSE)
_SET = "__setitem__"
_ADD = ("add", "append", _SET)
_MANY = ("update", "extend")


def _recorders() -> list:
    return state.current().__dict__.setdefault("growth_recorders", [])


def _pending() -> dict:
    return state.current().__dict__.setdefault("growth_pending", {})


def grow(acc, method: str, value, name: str, key: Any = None):
    """``acc.<method>(value)`` (``acc[key] = value``) on a growable local: recorded while a
    loop over an event array runs its body on one element, else done (on the real collection
    while it stays concrete)."""
    recorders = _recorders()
    if recorders:
        recorders[-1].append((name, method, (key, value) if method == _SET else value))
        return acc
    if method == _SET:
        if not isinstance(acc, dict):
            raise Unsupported("growing a dict", f"{name}[...] = ... on {_describe(acc)}")
        acc[key] = value  # a key that is an event value is refused when hashed
        return acc
    value = resolve(value)
    if isinstance(acc, SymList):
        return _union(acc, _as_parts(acc.is_set, method, value, name))
    if method in _MANY and isinstance(value, (Sym, SymList)):
        return _start(acc, _as_parts(isinstance(acc, (set, frozenset)), method, value, name), name)
    try:  # the real collection (a list may hold symbolic items; hashing one is refused)
        getattr(acc, method)(value)
    except (TypeError, AttributeError, ValueError) as exc:  # unhashable, not iterable
        raise as_rule_error(exc)
    return acc


def _as_parts(is_set: bool, method: str, value, name: str) -> tuple:
    if method in _MANY and isinstance(value, (Sym, SymList)):
        items = collect("set" if is_set else "list", value)
        if isinstance(items, SymList):
            return items.parts
    raise Unsupported("growing a list", f"{name}.{method}() of {_describe(value)} into a "
                      "collection of the event's array elements")


def _start(acc, parts: tuple, name: str) -> SymList:
    if not isinstance(acc, (list, set)) or acc:
        raise Unsupported("growing a list", f"event values added to {name}, which already holds "
                          "other values")
    return SymList(parts, is_set=isinstance(acc, set))


def _union(acc: SymList, parts: tuple) -> SymList:
    return SymList(acc.parts + parts, is_set=acc.is_set, distinct=acc.distinct)


def _describe(x) -> str:
    return x.describe() if isinstance(x, Symbolic) else type(x).__name__


# --------------------------------------------------------------------------- loops
def grow_over_elements(parts: list, body) -> None:
    """``for e in <event array>: ... acc.add(f(e)) ...``: the body's growths, per element, kept
    for take_grown(). The loop must not return or break (the first element would decide), and
    an element on which the body raises makes the rule raise whatever the order."""
    found: dict = {}
    for p in parts:
        outcomes = element_outcomes(p, lambda v: _recorded(body, v), lambda log: log)
        raising = [o for o in outcomes if o.kind == "error"]
        if raising and decide(Quantifier("any", p.field, fold(
                outcomes, lambda o: TRUE_ if o.kind == "error" else FALSE))):
            exc = raising[0].value
            raise as_rule_error(type(exc)(*exc.args))
        unsupported = [o for o in outcomes if o.kind == "unsupported"]
        if unsupported and decide(Quantifier("any", p.field, fold(
                outcomes, lambda o: TRUE_ if o.kind == "unsupported" else FALSE))):
            raise unsupported[0].value
        names = []
        for o in outcomes:
            if o.kind == "value" and o.value is not SKIP:
                for name, method, _ in o.value:
                    if method not in _ADD or sum(1 for n, _m, _v in o.value if n == name) > 1:
                        raise Unsupported("growing a list", f"{name}.{method}() in a loop over "
                                          f"{p.field.dotted}: more than one value per element")
                    if name not in names:
                        names.append(name)
        for name in names:
            found.setdefault(name, []).append(_added_by(p, body, name))
    pending = _pending()
    for name, added in found.items():
        pending[(id(body), name)] = tuple(added)


def _recorded(body, value) -> tuple:
    from .tracer import CONTINUE
    recorders = _recorders()
    recorders.append([])
    try:
        r = body(value)
    finally:
        log = recorders.pop()
    if r is not None and r is not CONTINUE:
        raise Unsupported("for loop", "a loop that adds to a list and returns or breaks: which "
                          "element comes first decides the result")
    return tuple(log)


def _added_by(p: Elements, body, name: str) -> Elements:
    def added(e):
        v = _through(p, e)
        if v is SKIP:
            return SKIP
        values = [x for n, _m, x in _recorded(body, v) if n == name]
        return values[0] if values else SKIP
    return Elements(p.field, p.origin, keep=lambda e: added(e) is not SKIP, view=added,
                    eager=True)


def take_grown(body, name: str, acc: Any):
    """``acc`` after the loop whose body is ``body``: with what a loop over an event array added."""
    added = _pending().pop((id(body), name), None)
    if added is None:
        return acc
    if isinstance(acc, dict):
        if acc or len(added) != 1:
            raise Unsupported("growing a dict", f"{name}: a dict of the event's elements that "
                              "holds other keys too")
        (p,) = added
        return symdicts.build(p.field, p.origin, lambda kv: kv[0], lambda kv: kv[1], p.keep,
                              p.view)
    is_set = acc.is_set if isinstance(acc, SymList) else isinstance(acc, set)
    added = tuple(_eager(Elements(p.field, p.origin, p.keep, p.view), "set" if is_set else "list")
                  for p in added)
    if isinstance(acc, SymList):
        return _union(acc, added)
    return _start(acc, added, name)


__all__ = ["grow", "grow_over_elements", "take_grown"]
