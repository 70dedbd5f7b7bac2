"""Loops whose result depends on the order of the array's elements.

Python stops at the first element on which the body leaves the loop: it returns, breaks or
raises there. When those exits differ (a raising element before a returning one makes the
rule raise, not alert), the result is "which kind of exit the first exiting element takes",
the model's ``First`` node: ``first(arr[*] where <exits here>: <exits this way>)``.

An exit kind is a key: ("return", value), ("break",) or ("error", exception type). Each
element run (an Outcome of ``element_outcomes``) maps to a key, or to None when the body goes
on to the next element. The keys partition the exiting elements, so deciding ``First`` for
each key but the last, then whether any element exits at all, decides the loop exactly.
"""
from __future__ import annotations

from typing import Callable

from ...model import FALSE, Field, First, Quantifier
from .explore import fold, negate, opaque_of
from .symbolic import decide

TRUE_ = negate(FALSE)


def exit_keys(outcomes: list, key_of: Callable) -> list:
    """The distinct exit keys of the element runs, returns first (so that the last key,
    decided without its own First, is a break or an error when there is one)."""
    keys: list = []
    for o in outcomes:
        k = key_of(o)
        if k is not None and not any(_same_key(k, x) for x in keys):
            keys.append(k)
    return sorted(keys, key=lambda k: ("return", "break", "error").index(k[0]))


def _same_key(a: tuple, b: tuple) -> bool:
    if len(a) != len(b) or a[0] != b[0]:
        return False
    return len(a) == 1 or a[1] is b[1] or (type(a[1]) is type(b[1]) and a[1] == b[1])


def first_exit(field: Field, outcomes: list, key_of: Callable, last: bool = False):
    """The exit key of the first element (of ``field``'s array, in its order) on which the
    body leaves the loop, decided on the current path; None when no element leaves it."""
    keys = exit_keys(outcomes, key_of)
    if not keys:
        return None

    def leaf_for(test):
        def leaf(o):
            if o.kind == "unsupported":
                return opaque_of(o.value)
            k = key_of(o)
            return TRUE_ if k is not None and test(k) else FALSE
        return leaf

    stop = fold(outcomes, leaf_for(lambda k: True))
    for key in keys[:-1]:
        then = fold(outcomes, leaf_for(lambda k, key=key: _same_key(k, key)))
        if decide(First(field, stop, then, last)):
            return key
    if decide(Quantifier("any", field, stop)):
        return keys[-1]
    return None


def error_key(o) -> tuple:
    return ("error", type(o.value))


def raised(outcomes: list, key: tuple) -> BaseException:
    """An exception of the exit kind ``key`` (the rule raises it, as Python would)."""
    from .errors import as_rule_error
    exc = next(o.value for o in outcomes if o.kind == "error" and type(o.value) is key[1])
    return as_rule_error(exc)


__all__ = ["first_exit", "exit_keys", "error_key", "raised"]
