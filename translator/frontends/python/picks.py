"""The one value a ``deep_walk`` through a list found, as the rule sees it.

When every value found is the same, Panther's deep_walk hands back that value itself, not a
list. The tracer gives the rule a stand-in field rooted at ``pick:<n>``; any test on it holds
iff some (equivalently: every) non-null found value passes it, so each condition reaching the
explorer is lifted to ``any(<found values>[*]: element exists and <test>)``.

Whether the walk found one value or several is a "ghost" decision while the rule runs. It
vanishes from the result when both branches agree once the one-value branch's quantifiers may
be read as any or all alike (with a single value they mean the same); else it is the model's
count of the distinct values found (``expressed``).
"""
from __future__ import annotations

from dataclasses import replace

from typing import Any

from ...model import (FALSE, MISSING, TRUE, All, AnyOf, Count, Expr, Field, Not, Opaque,
                      Predicate, Quantifier, Tally, walk)
from . import state
from .errors import Unsupported, user_location

GHOST = "deep_walk()"


def register(array: Field, at: Field, default: Any = MISSING) -> tuple[Field, Opaque]:
    """A new picked value of the walk whose values are at ``at`` in the elements of
    ``array`` (and ``default`` for each element without one, when the walk has a default):
    its root field and the ghost decision "several distinct values"."""
    ctx = state.current()
    picks = ctx.__dict__.setdefault("picks", {})
    n = len(picks) + 1
    root = f"pick:{n}"
    ghost = Opaque(GHOST, f"whether {_describe(array, at)} holds one distinct value or several "
                   f"decides the result (walk {n})", user_location())
    picks[root] = (array, at, ghost, default)
    return Field((), root=root), ghost


def _describe(array: Field, at: Field) -> str:
    below = list(at.path) + [s for t in array.transforms for s in t.args if s != "*"]
    return f"deep_walk through {'.'.join([array.dotted] + [str(s) for s in below])}"


def _picks() -> dict:
    return state.current().__dict__.get("picks") or {}


# --------------------------------------------------------------------------- settling
def is_ghost(cond) -> bool:
    return isinstance(cond, Opaque) and cond.construct == GHOST


def distinct_found(ghost: Opaque) -> Tally | None:
    """The number of values the walk of ``ghost`` found: the distinct non-null values at
    ``at`` (an element lacking it adds the walk's default), the length of its list."""
    entry = next(((array, at, d) for array, at, g, d in _picks().values() if g == ghost), None)
    if entry is None:
        return None
    array, at, default = entry
    value = at if default is MISSING else replace(at, default=default, default_on_null=True)
    return Tally(array, TRUE, distinct=value)


def expressed(ghost: Opaque) -> Expr:
    """The ghost decision "the walk found several distinct values" as the model's Count."""
    found = distinct_found(ghost)
    return ghost if found is None else Count(found, "ge", 2)


def settle(ghost: Opaque, many: Expr, one: Expr) -> tuple[Expr, Expr]:
    """The two branches of the ghost decision, with the one-value branch ``one`` expressed on
    the found values: ``many`` itself when both mean the same wherever the walk found a single
    value (then the ghost vanishes), else each test of the picked value lifted to
    ``any(<found values>[*]: element exists and <test>)``."""
    entry = next(((root, array, at, d) for root, (array, at, g, d) in _picks().items()
                  if g == ghost), None)
    if entry is None:
        return many, one
    root, array, at, default = entry
    if _same(many, one, root, array, at):
        return many, many
    settled = _settle_by_equality(many, one, root, array, at, default)
    if settled is not None:
        return settled, settled
    try:
        return many, _lift(one, root, array, at)
    except Unsupported as exc:
        return many, Opaque(exc.construct, exc.reason, exc.location)


def _same(many, one, root: str, array: Field, at: Field) -> bool:
    """Does ``many`` mean ``one`` when the walk found one value (a quantifier over the found
    values then reads that value, whatever its kind)?"""
    if not _reads(one, root):
        return many == one
    if isinstance(many, Quantifier) and many.field == array:
        test = _test_of(many, at)
        return test is not None and not _reads_inside_quantifier(one, root) \
            and test == _rerooted_tree(one, root, at)
    if isinstance(many, (All, AnyOf)) and type(one) is type(many) and len(many.items) == len(one.items):
        return all(_same(a, b, root, array, at) for a, b in zip(many.items, one.items))
    if isinstance(many, Not) and isinstance(one, Not):
        return _same(many.item, one.item, root, array, at)
    return False


def _settle_by_equality(many, one, root: str, array: Field, at: Field, default):
    """``one`` tests the picked value only by ``value == c`` (c a text), and reads as ``many``
    where that test is False: the walk found one distinct value and it is c exactly when
    every value found is c, so the ghost decision is not needed (several distinct values never
    all equal c):  all-values-are-c and one[test:=True], or not all-values-are-c and many."""
    tests = {n for n in walk(one) if isinstance(n, (Predicate, Quantifier)) and _reads(n, root)}
    if len(tests) != 1 or _reads_inside_quantifier(one, root):
        return None
    (test,) = tests
    if not (isinstance(test, Predicate) and test.op == "eq" and test.case_sensitive
            and test.field == Field((), root=root) and isinstance(test.value, str)):
        return None
    if _substitute(one, test, FALSE) != many:
        return None
    from .explore import conj, disj, negate
    value = Field(at.path, root="element")
    is_c = conj(Predicate(value, "exists"), Predicate(value, "eq", test.value))
    lacking = default is not MISSING and default == test.value  # such elements add c too
    every = Quantifier("all", array, disj(is_c, negate(Predicate(value, "exists")))
                       if lacking or default is MISSING else is_c)
    all_c = conj(Quantifier("any", array, is_c), every)
    return disj(conj(all_c, _substitute(one, test, TRUE)), conj(negate(all_c), many))


def _substitute(e, test, value):
    """``e`` with the predicate ``test`` replaced by the constant ``value``, folded."""
    from .explore import conj, disj, negate
    if e == test:
        return value
    if isinstance(e, All):
        return conj(*(_substitute(x, test, value) for x in e.items))
    if isinstance(e, AnyOf):
        return disj(*(_substitute(x, test, value) for x in e.items))
    if isinstance(e, Not):
        return negate(_substitute(e.item, test, value))
    return e


def _fields(e):
    if isinstance(e, Predicate):
        return [x for x in (e.field, e.value) if isinstance(x, Field)]
    if isinstance(e, Quantifier):
        return [e.field]
    if isinstance(e, Count):
        return [t.field for t in e.tallies]
    return []


def _reads(e, root: str) -> bool:
    return any(f.root == root for n in walk(e) for f in _fields(n))


def _reads_inside_quantifier(e, root: str) -> bool:
    return any(isinstance(n, Quantifier) and _reads(n.where, root) for n in walk(e))


def _rerooted_tree(e, root: str, at: Field):
    if isinstance(e, (Predicate, Quantifier)):
        e = _rerooted(e, root, at)
        if isinstance(e, Quantifier):
            return replace(e, where=_rerooted_tree(e.where, root, at))
        return e
    if isinstance(e, (All, AnyOf)):
        return type(e)(tuple(_rerooted_tree(x, root, at) for x in e.items))
    if isinstance(e, Not):
        return Not(_rerooted_tree(e.item, root, at))
    return e


def _lift(e, root: str, array: Field, at: Field):
    """Each test of the picked value -> any(found values: value exists and test)."""
    if isinstance(e, Predicate) or (isinstance(e, Quantifier) and e.field.root == root):
        if not any(f.root == root for f in _fields(e)):
            return e
        if any(f.root == "element" for f in _fields(e)) or _reads_inside_quantifier(e, root):
            raise Unsupported(GHOST, "a value found through a list compared with an element of "
                              "another array")
        from .explore import conj
        return Quantifier("any", array, conj(Predicate(at, "exists"), _rerooted(e, root, at)))
    if isinstance(e, Quantifier):
        if _reads(e.where, root):
            raise Unsupported(GHOST, "a value found through a list compared with an element of "
                              "another array")
        return e
    if isinstance(e, Count) and _reads(e, root):
        raise Unsupported(GHOST, "elements of the value deep_walk found counted")
    if isinstance(e, (All, AnyOf)):
        return type(e)(tuple(_lift(x, root, array, at) for x in e.items))
    if isinstance(e, Not):
        return Not(_lift(e.item, root, array, at))
    return e


def _rerooted(e, root: str, at: Field):
    """The picked value's fields as fields of the array element that holds the value."""
    def fix(f):
        if isinstance(f, Field) and f.root == root:
            return replace(f, path=at.path + f.path, root="element")
        return f
    if isinstance(e, Predicate):
        return replace(e, field=fix(e.field), value=fix(e.value))
    return replace(e, field=fix(e.field))


def _test_of(q: Quantifier, at: Field):
    """p of any(value exists and p) / all(not value exists or p)."""
    from .explore import conj, disj
    exists = Predicate(at, "exists")
    w = q.where
    if q.kind == "any" and isinstance(w, All) and w.items[0] == exists:
        return conj(*w.items[1:])
    if q.kind == "any" and w == exists:
        return conj()
    if q.kind == "all" and isinstance(w, AnyOf) and w.items[0] == Not(exists):
        return disj(*w.items[1:])
    return None


__all__ = ["register", "is_ghost", "settle", "expressed", "distinct_found", "GHOST"]
