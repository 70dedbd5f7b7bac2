"""Simplification of extracted detections, meaning-preserving only.

Flatten and deduplicate, drop contradictions and tautologies, absorb ``exists`` guards implied by
a value predicate beside them, lift ``x == a or x == b`` into ``x in [a, b]``, factor conjuncts
common to every branch of a disjunction.
"""
from __future__ import annotations

from ...model import (
    FALSE, MISSING, TRUE, All, AnyOf, Const, Expr, Field, First, Not, Predicate, Quantifier,
)
from .explore import conj, disj, negate
from .facts import _NEEDS_VALUE


def simplify(e: Expr) -> Expr:
    prev = None
    for _ in range(8):
        if e == prev:
            break
        prev, e = e, _simp(e)
    return e


def _simp(e: Expr) -> Expr:
    if isinstance(e, Not):
        inner = _simp(e.item)
        # not null == exists only where the value cannot fail to compute: not exists(int(x))
        # also holds when int() raises, where null(int(x)) is False (a raising test).
        if isinstance(inner, Predicate) and inner.op == "null" and not inner.field.transforms:
            return Predicate(inner.field, "exists")
        if isinstance(inner, Predicate) and inner.op == "exists" and not inner.field.transforms:
            return Predicate(inner.field, "null")
        return negate(inner)
    if isinstance(e, Quantifier):
        return Quantifier(e.kind, e.field, _simp(e.where))
    if isinstance(e, First):
        return First(e.field, _simp(e.stop), _simp(e.then), e.last)
    if isinstance(e, All):
        items = [_simp(x) for x in e.items]
        out = conj(*items)
        if isinstance(out, All):
            out = _clean_all(list(out.items))
        return out
    if isinstance(e, AnyOf):
        items = [_simp(x) for x in e.items]
        out = disj(*items)
        if isinstance(out, AnyOf):
            out = _clean_any(list(out.items))
        return out
    return e


def _base(f):
    return (f.root, f.path, f.default, f.default_on_null)


def _implies_exists(p: Expr, guard: Predicate) -> bool:
    if isinstance(p, AnyOf):
        return all(_implies_exists(x, guard) for x in p.items)
    if isinstance(p, All):
        return any(_implies_exists(x, guard) for x in p.items)
    if not isinstance(p, Predicate) or p is guard or _base(p.field) != _base(guard.field):
        return False
    guard_t = guard.field.transforms
    if guard_t:  # exists(int(x)) is implied by a value test of int(x) (or of int(x) transformed)
        if p.field.transforms[:len(guard_t)] != guard_t:
            return False
        return p.op in _NEEDS_VALUE or (p.op == "eq" and p.value is not None) or (
            p.op == "in" and isinstance(p.value, tuple) and None not in p.value)
    if p.op in _NEEDS_VALUE:
        return True
    if p.op == "eq" and p.value is not None and not p.field.transforms:
        return True
    if p.op == "in" and isinstance(p.value, tuple) and None not in p.value and not p.field.transforms:
        return True
    return bool(p.field.transforms) and p.op in ("eq", "in") and p.field.transforms[0].name in (
        "lower", "upper", "strip", "lstrip", "rstrip", "split", "replace", "len", "int", "float",
        "json", "removeprefix", "removesuffix")


def _implies_present(p: Expr, f) -> bool:
    """A value of ``f`` or of a field below it (no defaults on the way): the key ``f`` is
    there (``event["a"]["b"] == 1`` needs ``a`` present; the subscript's guard goes)."""
    if f.transforms or f.default is not MISSING or f.default_on_null:
        return False
    if isinstance(p, AnyOf):
        return all(_implies_present(x, f) for x in p.items)
    if isinstance(p, All):
        return any(_implies_present(x, f) for x in p.items)
    if not isinstance(p, Predicate) or p.field.root != f.root or \
            tuple(p.field.path[:len(f.path)]) != tuple(f.path):
        return False
    if p.op == "present":
        return len(p.field.path) > len(f.path)
    own = Field(p.field.path, root=p.field.root)
    return _implies_exists(p, Predicate(own, "exists"))


def _clean_all(items: list) -> Expr:
    for x in items:
        if negate(x) in items:
            return FALSE
    kept = []
    for x in items:
        if isinstance(x, Predicate) and x.op == "exists" and \
                any(_implies_exists(y, x) for y in items):
            continue
        if isinstance(x, Predicate) and x.op == "present" and \
                any(_implies_present(y, x.field) for y in items if y is not x):
            continue
        # Not(truthy) beside a value-requiring test of the same field cannot hold together
        kept.append(x)
    items = _merge_in(kept, conjunctive=True)
    return conj(*items) if items else TRUE


def _clean_any(items: list) -> Expr:
    for x in items:
        if negate(x) in items:
            return TRUE
    items = _merge_in(items, conjunctive=False)
    if len(items) == 1:
        return items[0]
    common = _common_conjuncts(items)
    if common:
        rest = [conj(*[y for y in (x.items if isinstance(x, All) else (x,)) if y not in common])
                for x in items]
        if TRUE in rest:
            return conj(*common)
        return conj(*common, _simp(disj(*rest)))
    return disj(*items)


def _common_conjuncts(items: list) -> list:
    sets = [list(x.items) if isinstance(x, All) else [x] for x in items]
    first = sets[0]
    return [c for c in first if all(c in s for s in sets[1:])]


def _key(p: Predicate):
    return (p.field, p.case_sensitive, p.flags)


def _merge_in(items: list, conjunctive: bool) -> list:
    """In a disjunction: ``f == a``/``f in [...]`` on the same field merge into one ``in``.
    In a conjunction: ``not (f == a)``/``not (f in ...)`` merge into ``not (f in ...)``."""
    groups: dict = {}
    order: list = []
    for x in items:
        p = x.item if conjunctive and isinstance(x, Not) else (None if conjunctive else x)
        if isinstance(p, Predicate) and (p.op == "in" and isinstance(p.value, tuple)
                                         or p.op == "eq" and _scalar(p.value)):
            k = _key(p)
            if k not in groups:
                groups[k] = []
                order.append(("group", k))
            vals = p.value if p.op == "in" else (p.value,)
            for v in vals:
                if v not in groups[k]:
                    groups[k].append(v)
            continue
        order.append(("item", x))
    out = []
    for kind, v in order:
        if kind == "item":
            out.append(v)
            continue
        field, cs, flags = v
        vals = tuple(groups[v])
        p = Predicate(field, "eq", vals[0], cs, flags) if len(vals) == 1 else \
            Predicate(field, "in", vals, cs, flags)
        out.append(Not(p) if conjunctive else p)
    return out


def _scalar(v) -> bool:
    return isinstance(v, (str, int, float, bool)) and v is not None


__all__ = ["simplify", "Const"]
