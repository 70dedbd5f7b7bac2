"""``event.deep_walk(...)`` through lists: the distinct non-null values found under every
element, handed back as the value itself when there is one, else as a list.

The values found are the array field ``leaves`` (the first list on the way, plucked down to
the last key; "*" where the tests' events hold a nested list). On each path the walk found
none (the default), one (a picked value, see picks.py) or several (a SymList of the
non-null values: order and duplicates do not matter to what a SymList answers).
"""
from __future__ import annotations

import copy

from ...model import Field, Predicate, Quantifier, Transform
from . import picks, state
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
    if return_val != "all":
        raise Unsupported("deep_walk()", f"return_val={return_val!r} through the list {where}: "
                          "which value comes first or last depends on the elements' order")
    leaves, origin = _leaves(keys, first_list)
    broken = None
    if not (default is None or (isinstance(default, list) and not default)):
        # an element without a value at the keys adds the default to the values found
        if not isinstance(default, (str, int, float, bool)) or "*" in leaves.transforms[0].args:
            raise Unsupported("deep_walk()", f"deep_walk through the list {where} with the "
                              f"default {default!r}, which elements without the key add to the "
                              "values")
        broken = _Defaulted(Field(leaves.path), tuple(leaves.path),
                            keep=_lacks(leaves.transforms[0].args), view=lambda _e: default)
    elem = Field((), root="element")
    if not decide(Quantifier("any", leaves, Predicate(elem, "exists"))):
        return copy.deepcopy(default)  # nothing found, or only the default
    ctx.note(f"deep_walk({', '.join(keys)}): lists on the way as the tests' events hold them")
    return SymWalk(leaves, origin, broken)


class _Defaulted(Elements):
    """The elements of the first list that add the default (no value at the keys)."""

    __slots__ = ()


def _lacks(steps: tuple):
    def keep(e: Sym):
        return cond(negate(Predicate(Field(tuple(steps), root="element"), "exists")))
    return keep


def _leaves(keys: tuple, first_list: int) -> tuple[Field, tuple]:
    """The found values as an array field, and their path in the tests' events' shape."""
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
    steps: list = []
    for j in range(first_list, len(keys)):
        if j > first_list and list_after[j - 1]:
            steps.append("*")
        steps.append(spelled[j])
    return Field(tuple(spelled[:first_list]), transforms=(Transform("pluck", tuple(steps)),)), \
        tuple(origin)


class SymWalk(Lazy):
    """The result of a deep_walk that found at least one value."""

    __slots__ = ("leaves", "origin", "defaulted")

    def __init__(self, leaves: Field, origin: tuple, defaulted: Elements | None = None):
        super().__init__("or", [])
        self.leaves = leaves
        self.origin = origin
        self.defaulted = defaulted

    def resolve(self):
        pick, ghost = _pick_of(self)
        if decide(ghost):
            found = _Leaves(self.leaves, self.origin, keep=_non_null)
            return SymList((found,) + ((self.defaulted,) if self.defaulted else ()))
        # the picked value is one the walk found: never null (known, not a decision)
        state.current().explorer.facts[Predicate(pick, "exists")] = True
        return Sym(pick, self.origin)

    def truthy(self):
        return resolve_truthy(self)

    def is_true(self):
        from .symbolic import is_true
        return is_true(self.resolve())

    def describe(self) -> str:
        return f"the values deep_walk found through {self.leaves.dotted}"


class _Leaves(Elements):
    """The values found, one element each (``origin`` is the values' own path)."""

    __slots__ = ()

    def element(self) -> Sym:
        return Sym(Field((), root="element"), self.origin)


def _non_null(e: Sym):
    return cond(Predicate(e.field, "exists"))  # deep_walk leaves null values out


def resolve_truthy(w: SymWalk):
    from .symbolic import truthy
    return truthy(w.resolve())


def _pick_of(w: SymWalk):
    cache = state.current().__dict__.setdefault("walk_picks", {})
    key = (w.leaves, w.origin)
    if key not in cache:
        cache[key] = picks.register(w.leaves)
    return cache[key]


__all__ = ["walk_through_lists", "SymWalk"]
