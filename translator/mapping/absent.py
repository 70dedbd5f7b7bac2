"""Tests on fields no event of a log type holds, decided before a backend lowers the detection.

A mapping file lists under ``never_present`` the top-level keys a log type's events never hold
(CloudTrail's ``eventName`` on S3 server access records, read by a shared helper), each with the
public source that states it. On every event of that log type such a field is missing, so a
predicate on it has one outcome, the one Python gives on an event without the field: the model's
evaluator computes it on an empty event, and the test becomes that constant. Backends call
``settle_absent`` per log type, so the folding is the same on every target.
"""
from __future__ import annotations

from typing import Any, Callable

from ..evaluator import NotEvaluable, evaluate
from ..model import All, AnyOf, Const, Count, Field, Not, Predicate, Quantifier
from .resolve import MappingSet


def _absent(ms: MappingSet, log_type: str, f: Any) -> bool:
    if not isinstance(f, Field) or f.root != "event":
        return False
    path = tuple(f.path)
    if not path and f.udm:
        path = ms.udm_path(log_type, f.udm) or ()
    return bool(path) and ms.never_present(log_type, path) is not None


def _fixed(node: Any) -> Const | None:
    try:
        return Const(bool(evaluate(node, {})))
    except NotEvaluable:
        return None


def settle(e: Any, decide: Callable[[Any], Const | None]) -> Any:
    """``e`` with each Predicate/Quantifier/Count that ``decide`` gives a Const replaced by it, and the
    constants folded into Not/All/AnyOf (an unchanged subtree is returned as it was)."""
    if isinstance(e, (Predicate, Quantifier, Count)):
        return decide(e) or e
    if isinstance(e, Not):
        inner = settle(e.item, decide)
        if inner is e.item:
            return e
        return Const(not inner.value) if isinstance(inner, Const) else Not(inner)
    if isinstance(e, (All, AnyOf)):
        absorbing = isinstance(e, AnyOf)
        items = [settle(i, decide) for i in e.items]
        if all(a is b for a, b in zip(items, e.items)):
            return e
        kept = []
        for x in items:
            if isinstance(x, Const):
                if x.value is absorbing:
                    return Const(absorbing)
                continue
            kept.append(x)
        if not kept:
            return Const(not absorbing)
        return kept[0] if len(kept) == 1 else type(e)(tuple(kept))
    return e


def settle_absent(e: Any, ms: MappingSet, log_type: str) -> Any:
    """``e`` with every test on a field ``log_type`` never holds replaced by its outcome on an
    event without that field (a Const), and the constants folded."""
    def decide(node: Any) -> Const | None:
        arrays = [t.field for t in node.tallies] if isinstance(node, Count) else [node.field]
        if not all(_absent(ms, log_type, f) for f in arrays):
            return None  # a count against the count of an array the event may hold: left
        if isinstance(node, Predicate) and isinstance(node.value, Field) \
                and not _absent(ms, log_type, node.value):
            return None  # compared with a field the event may hold: left to the backend
        return _fixed(node)

    return settle(e, decide)
