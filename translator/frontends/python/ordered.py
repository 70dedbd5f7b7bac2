"""Loops whose result depends on the order of the array's elements.

Python stops at the first element on which the body leaves the loop: it returns, breaks or
raises there. When those exits differ (a raising element before a returning one makes the
rule raise, not alert), the result is "which kind of exit the first exiting element takes",
the model's ``First`` node: ``first(arr[*] where <exits here>: <exits this way>)``.

An exit kind is a key: ("return", value), ("pick", element field, origin) (the body returns a
value of the element itself), ("break",) or ("error", exception type). Each
element run (an Outcome of ``element_outcomes``) maps to a key, or to None when the body goes
on to the next element. The keys partition the exiting elements, so deciding ``First`` for
each key but the last, then whether any element exits at all, decides the loop exactly.

A loop (or ``next()``, ``deep_walk(return_val="first")``) that hands back a value of the first
exiting element gives the rule a stand-in rooted at ``first:<n>``: every test of it is a test
of that one element, so once the rule's condition is folded each node reading it is lifted
into ``first(<array>[*] where <stop>: <node on the element>)`` (``lift_picks``).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ...model import (FALSE, All, AnyOf, Count, Field, First, Not, Opaque, Predicate, Quantifier,
                      Tally, node_fields, walk)
from . import state
from .errors import user_location
from .explore import fold, negate, opaque_of
from .symbolic import Sym, decide

TRUE_ = negate(FALSE)


def exit_keys(outcomes: list, key_of: Callable) -> list:
    """The distinct exit keys of the element runs, returns first (so that the last key,
    decided without its own First, is a break or an error when there is one)."""
    keys: list = []
    for o in outcomes:
        k = key_of(o)
        if k is not None and not any(_same_key(k, x) for x in keys):
            keys.append(k)
    return sorted(keys, key=lambda k: ("return", "pick", "break", "error").index(k[0]))


def _same_key(a: tuple, b: tuple) -> bool:
    if len(a) != len(b) or a[0] != b[0]:
        return False
    return len(a) == 1 or a[1] is b[1] or (type(a[1]) is type(b[1]) and a[1] == b[1])


def first_exit(field: Field, outcomes: list, key_of: Callable, last: bool = False):
    """(exit key, stop condition): the exit key of the first element (of ``field``'s array, in
    its order) on which the body leaves the loop, decided on the current path; None when no
    element leaves it."""
    keys = exit_keys(outcomes, key_of)
    if not keys:
        return None, FALSE

    def leaf_for(test):
        def leaf(o):
            if o.kind == "unsupported":
                return opaque_of(o.value)
            k = key_of(o)
            return TRUE_ if k is not None and test(k) else FALSE
        return leaf

    stop = fold(outcomes, leaf_for(lambda k: True))
    # an element reaching a construct the frontend cannot express may leave the loop too: no
    # key is then the one left when the others are not first
    unknown = [o.value for o in outcomes if o.kind == "unsupported"]
    for key in keys if unknown else keys[:-1]:
        then = fold(outcomes, leaf_for(lambda k, key=key: _same_key(k, key)))
        if decide(First(field, stop, then, last)):
            return key, stop
    if decide(Quantifier("any", field, stop)):
        if unknown:
            raise unknown[0]
        return keys[-1], stop
    return None, stop


def error_key(o) -> tuple:
    return ("error", type(o.value))


def raised(outcomes: list, key: tuple) -> BaseException:
    """An exception of the exit kind ``key`` (the rule raises it, as Python would)."""
    from .errors import as_rule_error
    exc = next(o.value for o in outcomes if o.kind == "error" and type(o.value) is key[1])
    return as_rule_error(exc)


# --------------------------------------------------------------------------- picked elements
def picks_allowed() -> bool:
    """Only the rule's own condition is lifted; titles and contexts name fields, which a
    picked element's value is not."""
    return state.current().mode == "rule"


def picked(array: Field, stop, value: Field, origin: tuple, last: bool = False) -> Sym:
    """The value at ``value`` (an element-rooted field) of the first element of ``array``
    (the last one with ``last``) satisfying ``stop``; the path has decided that there is one."""
    ctx = state.current()
    firsts = ctx.__dict__.setdefault("first_picks", {})
    root = next((r for r, entry in firsts.items() if entry == (array, stop, last)), None)
    if root is None:
        root = f"first:{len(firsts) + 1}"
        firsts[root] = (array, stop, last)
    return Sym(replace(value, root=root), origin)


def lift_picks(e):
    """Every node reading a picked element, as a First over the array it was picked from
    (latest pick first: a later pick's array may lie in an earlier picked element)."""
    firsts = state.current().__dict__.get("first_picks") or {}
    for root, (array, stop, last) in reversed(list(firsts.items())):
        e = _lift(e, root, array, stop, last)
    return e


def _reads(e, root: str) -> bool:
    return any(f.root == root for n in walk(e) for f in node_fields(n))


def _inner(node) -> tuple:
    return (node.where,) if isinstance(node, Quantifier) else (node.stop, node.then)


def _lift(e, root: str, array: Field, stop, last: bool = False):
    if not _reads(e, root):
        return e
    if isinstance(e, (All, AnyOf)):
        return type(e)(tuple(_lift(x, root, array, stop, last) for x in e.items))
    if isinstance(e, Not):
        return Not(_lift(e.item, root, array, stop, last))
    own = node_fields(e)
    if isinstance(e, (Quantifier, First)) and any(_reads(x, root) for x in _inner(e)) \
            or isinstance(e, Count) and any(_reads(t.where, root) for t in e.tallies) \
            or any(f.root == "element" for f in own):
        return Opaque("for loop", "a value of the first element passing a test compared with "
                      "an element of another array", user_location())

    def fix(f):
        return replace(f, root="element") if isinstance(f, Field) and f.root == root else f
    if isinstance(e, Predicate):
        return First(array, stop, replace(e, field=fix(e.field), value=fix(e.value)), last)
    if isinstance(e, Count):  # a count of a list in the picked element
        value = replace(e.value, field=fix(e.value.field)) if isinstance(e.value, Tally) else e.value
        return First(array, stop, Count(replace(e.tally, field=fix(e.tally.field)), e.op, value),
                     last)
    return First(array, stop, replace(e, field=fix(e.field)), last)


__all__ = ["first_exit", "exit_keys", "error_key", "raised", "picks_allowed", "picked",
           "lift_picks"]
