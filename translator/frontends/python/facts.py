"""What the decisions already taken on a path imply about a new condition.

Used to avoid forking on a condition whose answer is settled (``x == "a"`` after ``x == "b"``
held): fewer paths, and no infeasible path whose condition is a contradiction.
"""
from __future__ import annotations

from typing import Any

from ...model import Expr, Not, Predicate

# Operators that are False on a missing or null value (so a true one implies `exists`).
_NEEDS_VALUE = {"contains", "startswith", "endswith", "regex", "glob", "gt", "ge", "lt", "le",
                "cidr", "is_ip", "is_ipv4", "is_ipv6", "ip_private", "ip_public", "member",
                "truthy"}


def _same_value(a: Predicate, b: Predicate) -> bool:
    return a.field == b.field and a.case_sensitive == b.case_sensitive


def _base(p: Predicate):
    f = p.field
    return (f.root, f.path, f.default, f.default_on_null)


def _prefix(p: Predicate, fact: Predicate) -> bool:
    n = len(p.field.transforms)
    return fact.field.transforms[:n] == p.field.transforms


def implied(expr: Expr, facts: dict) -> bool | None:
    if expr in facts:
        return facts[expr]
    if isinstance(expr, Not):
        r = implied(expr.item, facts)
        return None if r is None else not r
    if not isinstance(expr, Predicate):
        return None
    for fact, holds in facts.items():
        while isinstance(fact, Not):  # `not x` decided False is x decided True
            fact, holds = fact.item, not holds
        r = _from_fact(expr, fact, holds)
        if r is not None:
            return r
    return None


def _scalar_eq(p: Predicate) -> Any:
    return p.op == "eq" and not isinstance(p.value, (tuple, list)) and not hasattr(p.value, "path")


def _from_fact(p: Predicate, fact: Any, holds: bool) -> bool | None:
    if not isinstance(fact, Predicate):
        return None
    if _same_value(p, fact) and holds and _scalar_eq(fact):
        v = fact.value
        if _scalar_eq(p):
            return p.value == v if p.case_sensitive else None
        if p.op == "in" and isinstance(p.value, tuple) and p.case_sensitive:
            return v in p.value
        if p.op == "null" and v is not None:
            return False
        if p.op == "exists" and v is not None:
            return True
    if _same_value(p, fact) and holds and fact.op == "in" and isinstance(fact.value, tuple):
        if _scalar_eq(p) and p.case_sensitive and fact.case_sensitive and p.value not in fact.value:
            return False
        if p.op == "exists" and None not in fact.value:
            return True
    # A value seen through transforms T exists only if it exists through every prefix of T
    # (int(x) succeeding implies x exists, not the other way round).
    if p.op == "exists" and holds and _base(p) == _base(fact) and _prefix(p, fact) and (
            fact.op in _NEEDS_VALUE or fact.op == "exists"
            or (_scalar_eq(fact) and fact.value is not None and not fact.field.transforms)
            or (fact.op == "is_type" and "null" not in fact.value)):
        return True
    if p.op == "is_type" and fact.op == "is_type" and _same_value(p, fact):
        kinds, known = set(p.value), set(fact.value)
        if holds and known <= kinds:
            return True
        if (holds and not known & kinds) or (not holds and kinds <= known):
            return False
    if p.op == "null" and _same_value(p, fact) and fact.op == "exists":
        return not holds
    if p.op == "exists" and _same_value(p, fact) and fact.op == "null":
        return not holds
    return None
