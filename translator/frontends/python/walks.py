"""``event.deep_walk(...)`` through lists: the distinct non-null values found under every
element, handed back as the value itself when there is one, else as a list.

The values found are the keys below the first list on the way, in each of its elements
(through nested lists: a pluck of them, "*" where the tests' events hold a list). On each path the walk found
none (the default), one (a picked value, see picks.py) or several (a SymList of the
non-null values: order and duplicates do not matter to what a SymList answers).
"""
from __future__ import annotations

import copy

from ...model import MISSING, Field, Predicate, Quantifier, Transform
from . import ordered, picks, state
from .errors import Unsupported
from .explore import negate
from .iteration import Elements
from .symbolic import Lazy, Sym, cond, decide
from .symlists import SymList

_RULE_MODES = ("rule", "severity")


def walk_through_lists(keys: tuple, default, return_val: str, first_list: int):
    ctx = state.current()
    where = ".".join(keys[:first_list])
    if ctx.mode not in _RULE_MODES:
        raise Unsupported("deep_walk()", f"deep_walk through the list {where}")
    if return_val == "first" and ctx.mode == "rule":
        return _first_found(keys, default, first_list)
    if return_val != "all":
        raise Unsupported("deep_walk()", f"return_val={return_val!r} through the list {where}: "
                          "which value comes first or last depends on the elements' order" + (
                              " (the last is the latest first-seen distinct value, not the "
                              "last element's)" if return_val == "last" else ""))
    array, at, origin = _found(keys, first_list)
    defaulted = None
    if not (default is None or (isinstance(default, list) and not default)):
        # an element without a value at the keys adds the default to the values found
        if not isinstance(default, (str, int, float, bool)) or array.transforms:
            raise Unsupported("deep_walk()", f"deep_walk through the list {where} with the "
                              f"default {default!r}, which elements without the key add to the "
                              "values")
        defaulted = Elements(array, tuple(array.path), keep=_lacks(at), view=lambda _e: default)
    if not decide(Quantifier("any", array, Predicate(at, "exists"))):
        return copy.deepcopy(default)  # nothing found, or only the default
    ctx.note(f"deep_walk({', '.join(keys)}): lists on the way as the tests' events hold them")
    return SymWalk(array, at, origin, defaulted)


def _first_found(keys: tuple, default, first_list: int):
    """deep_walk(..., return_val="first") through lists. With a default every element of
    every list on the way adds a value (its own, or the default where it has none), so the
    first value is the one at index 0 of each list: a plain field. Without one the first
    element holding a value decides: ordered.py's First (through one list only)."""
    array, at, origin = _found(keys, first_list)
    where = ".".join(keys[:first_list])
    if isinstance(default, (str, int, float, bool)):
        return Sym(Field(origin, default, True), origin)
    if default is not None:
        raise Unsupported("deep_walk()", f"return_val='first' through the list {where} with "
                          f"the default {default!r}")
    if array.transforms:
        raise Unsupported("deep_walk()", f"return_val='first' through nested lists at {where} "
                          "without a default")
    stop = Predicate(at, "exists")
    if not decide(Quantifier("any", array, stop)):
        return None  # nothing found: the default
    pick = ordered.picked(array, stop, at, origin)
    # deep_walk leaves null values out
    state.current().explorer.facts[Predicate(pick.field, "exists")] = True
    return pick


def _lacks(at: Field):
    def keep(_e: Sym):
        return cond(negate(Predicate(at, "exists")))
    return keep


def _found(keys: tuple, first_list: int) -> tuple[Field, Field, tuple]:
    """Where the values found are: an array field, the value's field within one of its
    elements, and the values' path in the tests' events' shape. Through one list that is
    the list and the keys below it; through nested lists, a pluck of every value."""
    shape = state.current().shape
    origin: list = []
    spelled: list = []
    list_after: list = []  # is the value at keys[:i + 1] a list
    for i, key in enumerate(keys):
        step = shape.spell(tuple(origin), key)
        origin.append(step)
        spelled.append(step)
        kinds = shape.types_of(tuple(origin)) - {"null"}
        is_list = i + 1 < len(keys) and "list" in kinds
        if is_list and kinds - {"list"}:
            raise Unsupported("deep_walk()", f"{'.'.join(keys[:i + 1])} holds a list in some of "
                              "the tests' events and not in others")
        if is_list:
            origin.append(0)
        list_after.append(is_list)
    if shape.types_of(tuple(origin)) & {"list", "dict"}:
        raise Unsupported("deep_walk()", f"the values at {'.'.join(keys)} are lists or objects")
    path = tuple(spelled[:first_list])
    below = tuple(spelled[first_list:])
    if not any(list_after[first_list:]):
        return Field(path), Field(below, root="element"), tuple(origin)
    steps: list = []
    for j in range(first_list, len(keys)):
        if j > first_list and list_after[j - 1]:
            steps.append("*")
        steps.append(spelled[j])
    return (Field(path, transforms=(Transform("pluck", tuple(steps)),)),
            Field((), root="element"), tuple(origin))


class SymWalk(Lazy):
    """The result of a deep_walk that found at least one value."""

    __slots__ = ("array", "at", "origin", "defaulted")

    def __init__(self, array: Field, at: Field, origin: tuple, defaulted: Elements | None = None):
        super().__init__("or", [])
        self.array, self.at, self.origin, self.defaulted = array, at, origin, defaulted

    def resolve(self):
        pick, ghost = _pick_of(self)
        if decide(ghost):
            found = _Found(self.array, self.origin, keep=_non_null(self.at))
            found.at = self.at
            return SymList((found,) + ((self.defaulted,) if self.defaulted else ()), distinct=True,
                           counted=picks.distinct_found(ghost))
        # the picked value is one the walk found: never null (known, not a decision)
        state.current().explorer.facts[Predicate(pick, "exists")] = True
        return Sym(pick, self.origin)

    def truthy(self):
        return resolve_truthy(self)

    def is_true(self):
        from .symbolic import is_true
        return is_true(self.resolve())

    def describe(self) -> str:
        return f"the values deep_walk found through {self.array.dotted}"


class _Found(Elements):
    """The values found, one element each."""

    __slots__ = ("at",)

    def element(self) -> Sym:
        return Sym(self.at, self.origin)


def _non_null(at: Field):
    def keep(_e: Sym):
        return cond(Predicate(at, "exists"))  # deep_walk leaves null values out
    return keep


def resolve_truthy(w: SymWalk):
    from .symbolic import truthy
    return truthy(w.resolve())


def _pick_of(w: SymWalk):
    cache = state.current().__dict__.setdefault("walk_picks", {})
    key = (w.array, w.at)
    if key not in cache:
        default = w.defaulted.view(None) if w.defaulted is not None else MISSING
        cache[key] = picks.register(w.array, w.at, default)
    return cache[key]


__all__ = ["walk_through_lists", "SymWalk"]
