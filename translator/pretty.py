"""Human-readable rendering of detections, in the condition notation of the rule catalog
(``not (errorCode is_not_null or errorMessage is_not_null)`` / ``eventName in ["A", "B"]``).

Notation: ``is_not_null`` is Python truthiness (present, not null, not empty, not 0/false),
``exists`` is present and not null, ``is_null`` is missing or null, ``has`` is membership in a
list field, ``contains`` a substring. A field default is shown (``f ?? "x"``) only when it
changes the result for an event that lacks the field. Top-level conjuncts print one per line.
"""
from __future__ import annotations

import json
from typing import Any

from .model import (
    COUNT_OPS, MISSING, TRUE, All, AnyOf, Const, Count, Field, First, Not, Opaque, Predicate,
    Quantifier, Tally,
)

_OPS = {
    "eq": "==", "in": "in", "contains": "contains", "startswith": "starts_with",
    "endswith": "ends_with", "regex": "matches", "glob": "glob", "gt": ">", "ge": ">=", "lt": "<",
    "le": "<=", "cidr": "in_cidr", "member": "has", "is_type": "is_type",
}
_UNARY = {"truthy": "is_not_null", "exists": "exists", "null": "is_null", "present": "is_present",
          "is_ip": "is_ip", "is_ipv4": "is_ipv4", "is_ipv6": "is_ipv6", "ip_private": "is_private_ip",
          "ip_public": "is_public_ip"}
_NEGATED = {"eq": "!=", "in": "not in", "contains": "not contains", "member": "not has"}


def value_text(v: Any) -> str:
    if isinstance(v, Field):
        return field_text(v)
    if isinstance(v, (tuple, list, frozenset, set)):
        return "[" + ", ".join(value_text(x) for x in v) + "]"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def field_text(f: Field, pred: Predicate | None = None) -> str:
    s = f.dotted if f.root == "event" else ("." + f.dotted if f.path else "element")
    for t in f.transforms:
        if t.name == "concat" and len(t.args) == 2:  # text around the value: "a/" + x + "/b"
            s = "(" + " + ".join([value_text(t.args[0])] * bool(t.args[0]) + [s]
                                 + [value_text(t.args[1])] * bool(t.args[1])) + ")"
            continue
        args = "".join(", " + value_text(a) for a in t.args)
        s = f"{t.name}({s}{args})"
    if f.default is not MISSING and (pred is None or _default_matters(pred)):
        s = f"({s} ?? {value_text(f.default)})"
    return s


def _default_matters(p: Predicate) -> bool:
    from .evaluator import evaluate
    from dataclasses import replace
    bare = replace(p, field=replace(p.field, default=MISSING, default_on_null=False))
    try:
        return evaluate(p, {}) != evaluate(bare, {})
    except Exception:  # noqa: BLE001 - an unusual operand: show the default
        return True


def predicate_text(p: Predicate, negated: bool = False) -> str:
    f = field_text(p.field, p)
    ci = "" if p.case_sensitive else " (any case)"
    if p.op in _UNARY:
        text = f"{f} {_UNARY[p.op]}"
        return f"not {text}" if negated else text
    if p.op == "regex":
        flags = [x for x in p.flags if x not in ("search",)]
        val = f"/{p.value}/" + (f" [{', '.join(flags)}]" if flags else "")
    else:
        val = value_text(p.value)
    if negated and p.op in _NEGATED:
        return f"{f} {_NEGATED[p.op]} {val}{ci}"
    text = f"{f} {_OPS.get(p.op, p.op)} {val}{ci}"
    return f"not {text}" if negated else text


def render_inline(e: Any, parent: str = "") -> str:
    if isinstance(e, Predicate):
        return predicate_text(e)
    if isinstance(e, Not):
        if isinstance(e.item, Predicate):
            return predicate_text(e.item, negated=True)
        return f"not ({render_inline(e.item)})"
    if isinstance(e, (All, AnyOf)):
        word = " and " if isinstance(e, All) else " or "
        kind = "and" if isinstance(e, All) else "or"
        text = word.join(render_inline(x, kind) for x in e.items)
        return f"({text})" if parent and parent != kind or parent == "not" else text
    if isinstance(e, Quantifier):
        return f"{e.kind}({field_text(e.field)}[*]: {render_inline(e.where)})"
    if isinstance(e, First):
        which = "last" if e.last else "first"
        return (f"{which}({field_text(e.field)}[*] where {render_inline(e.stop)}: "
                f"{render_inline(e.then)})")
    if isinstance(e, Count):
        value = tally_text(e.value) if isinstance(e.value, Tally) else str(e.value)
        return f"{tally_text(e.tally)} {COUNT_OPS[e.op]} {value}"
    if isinstance(e, Const):
        return "true" if e.value else "false"
    if isinstance(e, Opaque):
        where = f" at {e.location}" if e.location else ""
        return f"<opaque {e.construct}: {e.reason}{where}>"
    return repr(e)



def tally_text(t: Tally) -> str:
    where = "" if t.where == TRUE else f" where {render_inline(t.where)}"
    of = "" if t.distinct is None else f" distinct {field_text(t.distinct)}"
    return f"count({field_text(t.field)}[*]{where}{of})"


def render(e: Any) -> str:
    """The condition, top-level conjuncts one per line."""
    if e is None:
        return "(no detection)"
    items = e.items if isinstance(e, All) else (e,)
    return "\n".join(render_inline(x) for x in items)


def _rows(p: Predicate) -> tuple[str, str, str]:
    kind = _UNARY.get(p.op) or _OPS.get(p.op, p.op)
    if p.op in _UNARY:
        values = ""
    elif isinstance(p.value, (tuple, list)):
        values = ", ".join(value_text(v) for v in p.value)
    else:
        values = value_text(p.value)
    return field_text(p.field, p), kind, values


def exclusions(e: Any) -> list[tuple[str, str, str]]:
    """Top-level NOT(...) conjuncts: (field, kind, excluded values) per predicate inside."""
    out = []
    for x in (e.items if isinstance(e, All) else (e,)) if e is not None else ():
        if isinstance(x, Not):
            inner = x.item
            preds = inner.items if isinstance(inner, (AnyOf, All)) else (inner,)
            for p in preds:
                if isinstance(p, Predicate):
                    out.append(_rows(p))
    return out


def indicators(e: Any) -> list[tuple[str, str, str]]:
    """Top-level positive predicates (and those of a top-level disjunction)."""
    out = []
    for x in (e.items if isinstance(e, All) else (e,)) if e is not None else ():
        preds = x.items if isinstance(x, AnyOf) else (x,)
        for p in preds:
            if isinstance(p, Predicate) and p.op not in ("truthy", "exists", "null"):
                out.append(_rows(p))
    return out
