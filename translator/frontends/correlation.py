"""Panther correlation rules (``AnalysisType: correlation_rule``): the ``Detection`` block,
validated and normalised into the JSON-like form stored in ``Rule.correlation``.

Normalised form (every key always present)::

    {"kind": "group" | "sequence",
     "steps": [{"id", "rule_id", "min_match_count", "max_match_count", "absence"}],
     "match_criteria": [{"name", "fields": {step id: field path}}],          # group
     "min_match_count": int | None,                                       # group: members needed
     "transitions": [{"id", "from", "to", "within_minutes", "match": {"from", "to"} | None}],
     "lookback_window_minutes": int,
     "schedule": {"rate_minutes": int | None, "cron": str | None, "timeout_minutes": int},
     "event_evaluation_order": "Chronological" | "ReverseChronological" | None}

Field paths (``p_alert_context.user``) are kept as written: they name keys of the sub-rules'
alert context (or event fields) that the matches are joined on.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..model import Field, _thaw
from .simple_detection import WILDCARD, SimpleDetectionError, _check_keys, _Ctx, _line_of, \
    _type_name, parse_key_path

__all__ = ["CorrelationError", "lower_correlation", "StepJoin", "join_fields", "check_references"]


class CorrelationError(SimpleDetectionError):
    """A malformed correlation Detection (YAML path, message, line)."""


_STEP_KEYS = {"ID", "RuleID", "MinMatchCount", "MaxMatchCount", "Absence"}
_COMMON_KEYS = {"EventEvaluationOrder", "LookbackWindowMinutes", "Schedule"}
_GROUP_KEYS = _COMMON_KEYS | {"Group", "MatchCriteria", "MinMatchCount"}
_SEQUENCE_KEYS = _COMMON_KEYS | {"Sequence", "Transitions"}
_ORDERS = ("Chronological", "ReverseChronological")


def _err(ctx: _Ctx, message: str) -> CorrelationError:
    return CorrelationError(ctx.where, message, ctx.line)


def _keys(node: dict, ctx: _Ctx, allowed: set) -> None:
    try:
        _check_keys(node, ctx, allowed)
    except SimpleDetectionError as exc:
        raise CorrelationError(exc.where, exc.message, exc.line) from None


def _get(node: dict, key: Any) -> Any:
    """YAML 1.1 reads a bare ``On`` key as True; accept it as the string."""
    if key in node:
        return node[key]
    if key == "On" and True in node:
        return node[True]
    return None


def _positive_int(node: dict, key: str, ctx: _Ctx, required: bool = False) -> int | None:
    if key not in node or node[key] is None:
        if required:
            raise _err(ctx, f"missing {key}")
        return None
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _err(ctx.key(node, key), f"{key} must be a positive integer, got {value!r}")
    return value


def _field_path(value: Any, ctx: _Ctx) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _err(ctx, f"expected a field path such as p_alert_context.user, got "
                        f"{_type_name(value)} {value!r}")
    try:
        parse_key_path(value.strip())
    except ValueError as exc:
        raise _err(ctx, str(exc)) from None
    return value.strip()


def _steps(raw: Any, ctx: _Ctx) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise _err(ctx, f"expected a non-empty list of {{ID, RuleID}}, got {_type_name(raw)}")
    steps, ids = [], set()
    for i, item in enumerate(raw):
        ictx = ctx.at(i, item)
        if not isinstance(item, dict):
            raise _err(ictx, f"expected a mapping with RuleID, got {_type_name(item)}")
        _keys(item, ictx, _STEP_KEYS)
        rule_id = item.get("RuleID")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise _err(ictx, "missing RuleID (the rule whose matches this step counts)")
        step_id = item.get("ID", rule_id)
        if not isinstance(step_id, str) or not step_id:
            raise _err(ictx.key(item, "ID"), f"ID must be a non-empty string, got {step_id!r}")
        if step_id in ids:
            raise _err(ictx.key(item, "ID"), f"ID {step_id!r} used twice")
        ids.add(step_id)
        absence = item.get("Absence", False)
        if not isinstance(absence, bool):
            raise _err(ictx.key(item, "Absence"), f"Absence must be true or false, got "
                                                  f"{absence!r}")
        low = _positive_int(item, "MinMatchCount", ictx) or 1
        high = _positive_int(item, "MaxMatchCount", ictx)
        if high is not None and high < low:
            raise _err(ictx.key(item, "MaxMatchCount"),
                       f"MaxMatchCount {high} is below MinMatchCount {low}")
        if absence and ("MinMatchCount" in item or "MaxMatchCount" in item):
            raise _err(ictx.key(item, "Absence"), "an Absence step cannot have Min/MaxMatchCount")
        steps.append({"id": step_id, "rule_id": rule_id.strip(), "min_match_count": low,
                      "max_match_count": high, "absence": absence})
    if all(s["absence"] for s in steps):
        raise _err(ctx, "every step is an Absence: nothing can trigger the rule")
    return steps


def _match_criteria(raw: Any, ids: set, ctx: _Ctx) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise _err(ctx, f"expected a mapping of criterion name to [{{GroupID, Match}}], got "
                        f"{_type_name(raw)}")
    out = []
    for name, entries in raw.items():
        nctx = ctx.key(raw, name)
        if not isinstance(entries, list) or not entries:
            raise _err(nctx, f"expected a non-empty list of {{GroupID, Match}}, got "
                             f"{_type_name(entries)}")
        fields: dict = {}
        for i, entry in enumerate(entries):
            ectx = nctx.at(i, entry)
            if not isinstance(entry, dict):
                raise _err(ectx, f"expected GroupID and Match, got {_type_name(entry)}")
            _keys(entry, ectx, {"GroupID", "Match"})
            gid = entry.get("GroupID")
            if gid not in ids:
                raise _err(ectx.key(entry, "GroupID"), f"GroupID {gid!r} is not the ID of a "
                                                       f"Group entry ({', '.join(sorted(ids))})")
            if gid in fields:
                raise _err(ectx.key(entry, "GroupID"), f"GroupID {gid!r} listed twice")
            fields[gid] = _field_path(entry.get("Match"), ectx.key(entry, "Match"))
        if len(fields) < 2:
            raise _err(nctx, "a match criterion joins at least two Group entries")
        out.append({"name": str(name), "fields": fields})
    return out


def _transitions(raw: Any, ids: list, ctx: _Ctx) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise _err(ctx, f"expected a non-empty list of {{From, To}} transitions, got "
                        f"{_type_name(raw)}")
    out = []
    for i, item in enumerate(raw):
        ictx = ctx.at(i, item)
        if not isinstance(item, dict):
            raise _err(ictx, f"expected a mapping with From and To, got {_type_name(item)}")
        _keys(item, ictx, {"ID", "From", "To", "WithinTimeFrameMinutes", "Match"})
        ends = {}
        for key in ("From", "To"):
            ref = item.get(key)
            if ref not in ids:
                raise _err(ictx.key(item, key) if key in item else ictx,
                           f"{key} {ref!r} is not the ID of a Sequence entry "
                           f"({', '.join(ids)})")
            ends[key] = ref
        if ids.index(ends["From"]) >= ids.index(ends["To"]):
            raise _err(ictx, f"transition {ends['From']!r} -> {ends['To']!r} goes against the "
                             "order of the Sequence")
        match = None
        if "Match" in item:
            mctx = ictx.key(item, "Match")
            entries = item["Match"]
            if not isinstance(entries, list) or len(entries) != 1 or \
                    not isinstance(entries[0], dict):
                raise _err(mctx, "Match must be a list of one {On} or {From, To} mapping")
            entry = entries[0]
            on = _get(entry, "On")
            if on is not None:
                if "From" in entry or "To" in entry:
                    raise _err(mctx, "Match takes On, or From and To, not both")
                path = _field_path(on, mctx.at(0))
                match = {"from": path, "to": path}
            elif "From" in entry and "To" in entry:
                match = {"from": _field_path(entry["From"], mctx.at(0)),
                         "to": _field_path(entry["To"], mctx.at(0))}
            else:
                raise _err(mctx, "Match needs On, or From and To")
        out.append({"id": str(item.get("ID", f"{ends['From']} -> {ends['To']}")),
                    "from": ends["From"], "to": ends["To"],
                    "within_minutes": _positive_int(item, "WithinTimeFrameMinutes", ictx),
                    "match": match})
    return out


def _schedule(node: dict, ctx: _Ctx) -> dict:
    if "Schedule" not in node:
        raise _err(ctx, "missing Schedule (RateMinutes or CronExpression, and TimeoutMinutes)")
    sctx = ctx.key(node, "Schedule")
    raw = node["Schedule"]
    if not isinstance(raw, dict):
        raise _err(sctx, f"expected a mapping, got {_type_name(raw)}")
    _keys(raw, sctx, {"RateMinutes", "CronExpression", "TimeoutMinutes"})
    rate = _positive_int(raw, "RateMinutes", sctx)
    cron = raw.get("CronExpression")
    if cron is not None and (not isinstance(cron, str) or len(cron.split()) not in (5, 6)):
        raise _err(sctx.key(raw, "CronExpression"), f"CronExpression {cron!r} is not a cron "
                                                    "expression")
    if (rate is None) == (cron is None):
        raise _err(sctx, "give exactly one of RateMinutes and CronExpression")
    timeout = _positive_int(raw, "TimeoutMinutes", sctx, required=True)
    return {"rate_minutes": rate, "cron": cron, "timeout_minutes": timeout}


def lower_correlation(raw: Any, line: int | None = None) -> dict:
    """A correlation rule's ``Detection`` -> the normalised dict described above."""
    ctx = _Ctx("Detection", line or _line_of(raw))
    if not isinstance(raw, list) or len(raw) != 1:
        raise _err(ctx, "a correlation Detection is a list of one Group or Sequence mapping")
    node = raw[0]
    ctx = ctx.at(0, node)
    if not isinstance(node, dict):
        raise _err(ctx, f"expected a mapping with Group or Sequence, got {_type_name(node)}")
    kinds = [k for k in ("Group", "Sequence") if k in node]
    if len(kinds) != 1:
        raise _err(ctx, "give exactly one of Group and Sequence" +
                        (" (this looks like a simple detection: is AnalysisType right?)"
                         if "Condition" in node or "KeyPath" in node else ""))
    kind = kinds[0]
    _keys(node, ctx, _GROUP_KEYS if kind == "Group" else _SEQUENCE_KEYS)
    steps = _steps(node[kind], ctx.key(node, kind))
    ids = [s["id"] for s in steps]
    order = node.get("EventEvaluationOrder")
    if order is not None and order not in _ORDERS:
        raise _err(ctx.key(node, "EventEvaluationOrder"),
                   f"EventEvaluationOrder {order!r} is not one of {', '.join(_ORDERS)}")
    out = {"kind": kind.lower(), "steps": steps, "match_criteria": [], "min_match_count": None,
           "transitions": [],
           "lookback_window_minutes": _positive_int(node, "LookbackWindowMinutes", ctx,
                                                    required=True),
           "schedule": _schedule(node, ctx), "event_evaluation_order": order}
    if kind == "Group":
        out["match_criteria"] = _match_criteria(node.get("MatchCriteria"), set(ids),
                                                ctx.key(node, "MatchCriteria"))
        needed = _positive_int(node, "MinMatchCount", ctx)
        present = sum(1 for s in steps if not s["absence"])
        if needed is not None and needed > present:
            raise _err(ctx.key(node, "MinMatchCount"),
                       f"MinMatchCount {needed} exceeds the {present} non-Absence entries")
        out["min_match_count"] = needed
    else:
        if len(steps) < 2:
            raise _err(ctx.key(node, "Sequence"), "a Sequence needs at least two entries")
        out["transitions"] = _transitions(node.get("Transitions"), ids,
                                          ctx.key(node, "Transitions"))
        if steps[0]["absence"]:
            raise _err(ctx.key(node, "Sequence"), "a Sequence cannot start with an Absence")
    for t in out["transitions"]:
        if t["within_minutes"] and t["within_minutes"] > out["lookback_window_minutes"]:
            raise _err(ctx.key(node, "Transitions"),
                       f"transition {t['id']!r}: WithinTimeFrameMinutes {t['within_minutes']} "
                       f"exceeds LookbackWindowMinutes {out['lookback_window_minutes']}")
    return out


@dataclass(frozen=True)
class StepJoin:
    """Where one step's join value comes from: ``path`` as written in the correlation rule
    (``p_alert_context.actor``) and, when it can be known, the sub-rule's event ``field``."""

    join: str  # MatchCriteria name, or transition ID
    step_id: str
    rule_id: str
    path: str
    field: Field | None
    problem: str = ""  # why ``field`` is None
    code: str = ""


def join_fields(rule: Any, rules_by_id: dict) -> list[StepJoin]:
    """Every join of a correlation rule, resolved into the events of its sub-rules: a
    ``p_alert_context.<key>`` path through the sub-rule's AlertContext, any other path as an
    event field. Backends build their multi-event queries from these."""
    d = _thaw(rule.correlation)
    rule_of = {s["id"]: s["rule_id"] for s in d["steps"]}
    wanted = [(c["name"], step_id, path) for c in d["match_criteria"]
              for step_id, path in c["fields"].items()]
    wanted += [(t["id"], t[end], t["match"][end]) for t in d["transitions"] if t["match"]
               for end in ("from", "to")]
    return [_resolve(join, step_id, rule_of[step_id], path, rules_by_id.get(rule_of[step_id]))
            for join, step_id, path in wanted]


def _resolve(join: str, step_id: str, rule_id: str, path: str, sub: Any) -> StepJoin:
    def unresolved(problem: str, code: str) -> StepJoin:
        return StepJoin(join, step_id, rule_id, path, None, problem, code)

    steps = parse_key_path(path)
    if any(s is WILDCARD for s in steps):
        return unresolved(f"join path {path} fans out over a list ([*])", "wildcard-join")
    if steps[0] != "p_alert_context":
        return StepJoin(join, step_id, rule_id, path, Field(tuple(steps)))
    if sub is None:
        return unresolved(f"{rule_id} is not among the loaded rules", "unknown-subrule")
    names = dict(sub.alert_context)
    if not names:
        return unresolved(f"the alert context of {rule_id} is not known", "unknown-alert-context")
    key, rest = (steps[1], steps[2:]) if len(steps) > 1 else ("", [])
    if key not in names:
        return unresolved(f"the AlertContext of {rule_id} has no key {key!r} (it has "
                          f"{', '.join(names)})", "unknown-alert-context-key")
    base = names[key]
    if rest and base.transforms:
        return unresolved(f"{path} reaches inside a computed alert-context value",
                          "computed-alert-context")
    return StepJoin(join, step_id, rule_id, path, replace(base, path=base.path + tuple(rest)))


def check_references(rules: list) -> list:
    """Diagnostics for correlation rules whose steps name rules that are not loaded (info: the
    user may load a subset) or join on a ``p_alert_context`` key the sub-rule's AlertContext
    does not define (warning: that step can never match)."""
    from ..diagnostics import Diagnostic  # noqa: PLC0415 (only this check reports)

    by_id = {r.id: r for r in rules}
    out = []
    for rule in rules:
        if rule.correlation is None:
            continue
        for step in _thaw(rule.correlation)["steps"]:
            if step["rule_id"] not in by_id:
                out.append(Diagnostic("info", rule.source_file, f"Detection: step "
                                      f"{step['id']!r} counts matches of {step['rule_id']!r}, "
                                      "which is not among the loaded rules", rule_id=rule.id,
                                      code="unknown-subrule"))
        for j in join_fields(rule, by_id):
            if j.code == "unknown-alert-context-key":
                out.append(Diagnostic(
                    "warning", rule.source_file, f"Detection: {j.join!r} joins step "
                    f"{j.step_id!r} on {j.path}, but {j.problem}", rule_id=rule.id, code=j.code))
    return out
