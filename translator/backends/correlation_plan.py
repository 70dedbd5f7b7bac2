"""Correlation rules, target-independent part of their lowering: which sub-rule each step
counts, which column carries each join value, which constructs no multi-event form here covers.

Every backend lowers a correlation rule into two layers:

* one *step source* per step: the sub-rule's detection over its log type(s), yielding each match's
  event time and its join values (a column per join path, named by :func:`key_column`);
* the *correlation* over those sources: a window of ``LookbackWindowMinutes`` ending now, the
  Group counts / Sequence order, time frames and joins.

``rulec verify`` runs the second layer on each target's engine with step sources made of the
test's ``RuleOutputs`` (the sub-rules' matches), so the correlation logic each target emits is
executed against the rule's own Tests; the sub-rules' queries are verified by their own Tests.

Lowered subset (the reference semantics are ``translator/correlation.py``): Group with at most one
MatchCriteria naming every entry (or none), per-entry Min/MaxMatchCount, Absence entries, the
Group's MinMatchCount; Sequence of present entries matched once each, transitions from an earlier
to a later entry with WithinTimeFrameMinutes and a join. The rest is reported per rule.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from ..model import Rule, _thaw
from .base import Finding

__all__ = ["CorrelationPlan", "PlanStep", "PlanTransition", "plan_correlation", "key_column",
           "TestMatches", "matches_of_test", "EPOCH"]

EPOCH = datetime.datetime(1970, 1, 1)  # a RuleOutputs time given in minutes counts from here


def key_column(path: str) -> str:
    """The column holding a step's join value read at ``path`` (``p_alert_context.account`` ->
    ``join_p_alert_context_account``): a plain identifier in every target."""
    return "join_" + re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_").lower()


@dataclass(frozen=True)
class PlanStep:
    id: str
    rule_id: str
    sub: Rule | None  # the sub-rule when loaded
    min_count: int
    max_count: int | None
    absence: bool
    keys: tuple = ()  # (path, column, Field | None): the join values this step provides


@dataclass(frozen=True)
class PlanTransition:
    src: str
    dst: str
    within_minutes: int | None
    key_from: str | None  # column of src
    key_to: str | None  # column of dst


@dataclass
class CorrelationPlan:
    rule: Rule
    kind: str  # group | sequence
    steps: tuple
    transitions: tuple = ()
    group_keyed: bool = False  # group: one MatchCriteria joins the entries on "match_key"
    min_members: int = 0  # group: how many present entries must reach their counts
    lookback_minutes: int = 60
    unsupported: list = field(default_factory=list)  # constructs outside the lowered subset
    sources_missing: list = field(default_factory=list)  # why a step source cannot be built

    def step(self, step_id: str) -> PlanStep:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def present(self) -> list:
        return [s for s in self.steps if not s.absence]

    def group_key(self, step: PlanStep) -> str | None:
        return step.keys[0][1] if self.group_keyed and step.keys else None

    def findings(self) -> list[Finding]:
        """Target-independent reasons the rule cannot be lowered (severity unsupported)."""
        return [Finding("correlation", r, "unsupported") for r in
                self.unsupported + self.sources_missing]


def plan_correlation(rule: Rule, rules_by_id: dict | None = None) -> CorrelationPlan:
    """The plan of ``rule`` (a correlation rule); ``rules_by_id`` resolves its sub-rules."""
    from ..frontends.correlation import join_fields

    rules_by_id = rules_by_id or {}
    d = _thaw(rule.correlation)
    joins = {(j.join, j.step_id): j for j in join_fields(rule, rules_by_id)}
    unsupported: list = []
    missing: list = []
    keys: dict = {s["id"]: {} for s in d["steps"]}

    def add_key(join: str, step_id: str, path: str) -> str:
        j = joins[(join, step_id)]
        col = key_column(path)
        keys[step_id].setdefault(path, (path, col, j.field))
        if j.field is None and j.code != "unknown-subrule":
            missing.append(f"step {step_id}: join {join!r}: {j.problem}")
        return col

    group_keyed = False
    if d["kind"] == "group":
        criteria = d["match_criteria"]
        if len(criteria) > 1:
            unsupported.append("more than one MatchCriteria (each would need its own join key "
                               "and the test format cannot tell which values belong together)")
        elif criteria:
            fields = criteria[0]["fields"]
            lacking = [s["id"] for s in d["steps"] if s["id"] not in fields]
            if lacking:
                unsupported.append(f"Group entries {', '.join(lacking)} are not in MatchCriteria "
                                   f"{criteria[0]['name']!r} (their matches count for every "
                                   "join value)")
            else:
                group_keyed = True
                for step_id, path in fields.items():
                    add_key(criteria[0]["name"], step_id, path)
    transitions = []
    order = [s["id"] for s in d["steps"]]
    for t in d["transitions"]:
        k_from = k_to = None
        if t["match"] is not None:
            k_from = add_key(t["id"], t["from"], t["match"]["from"])
            k_to = add_key(t["id"], t["to"], t["match"]["to"])
        if order.index(t["from"]) >= order.index(t["to"]):
            unsupported.append(f"transition {t['id']!r} goes from a later entry to an earlier one")
        transitions.append(PlanTransition(t["from"], t["to"], t["within_minutes"], k_from, k_to))
    steps = []
    for s in d["steps"]:
        sub = rules_by_id.get(s["rule_id"])
        if sub is None:
            missing.append(f"step {s['id']}: rule {s['rule_id']} is not among the loaded rules, "
                           "so its query is not known")
        elif sub.detection is None:
            missing.append(f"step {s['id']}: rule {s['rule_id']} has no extracted detection")
        if d["kind"] == "sequence":
            if s["absence"]:
                unsupported.append(f"Absence entry {s['id']} inside a Sequence")
            elif s["min_match_count"] != 1 or s["max_match_count"] is not None:
                unsupported.append(f"Sequence entry {s['id']} with Min/MaxMatchCount (its time "
                                   "would be that of its N-th match)")
        steps.append(PlanStep(s["id"], s["rule_id"], sub, s["min_match_count"],
                              s["max_match_count"], s["absence"], tuple(keys[s["id"]].values())))
    present = sum(1 for s in steps if not s.absence)
    return CorrelationPlan(rule, d["kind"], tuple(steps), tuple(transitions), group_keyed,
                           d["min_match_count"] or present, int(d["lookback_window_minutes"]),
                           list(dict.fromkeys(unsupported)), list(dict.fromkeys(missing)))


@dataclass(frozen=True)
class TestMatches:
    """One correlation test as step-source rows: per step id, ``(time, {column: value})`` with
    times as naive UTC datetimes; ``now`` is the run the test describes (its latest match)."""

    __test__ = False  # not a pytest class

    now: datetime.datetime
    rows: dict  # step id -> list of (datetime, {column: str | None})


def matches_of_test(plan: CorrelationPlan, rule_outputs) -> TestMatches:
    """RuleOutputs -> step-source rows (raises CorrelationTestError when unreadable). Join
    values are compared as text, as the generated queries compare them."""
    from ..correlation import CorrelationTestError, matches_from_rule_outputs

    matches = matches_from_rule_outputs(rule_outputs)
    unknown = set(matches) - {s.id for s in plan.steps}
    if unknown:
        raise CorrelationTestError(f"RuleOutputs name unknown IDs: {', '.join(sorted(unknown))}")
    rows: dict = {}
    latest = None
    for s in plan.steps:
        out = []
        for minute, values in matches.get(s.id, []):
            t = EPOCH + datetime.timedelta(minutes=minute)
            latest = t if latest is None or t > latest else latest
            out.append((t, {col: (None if values.get(path) is None else str(values[path]))
                            for path, col, _f in s.keys}))
        rows[s.id] = out
    return TestMatches(latest or EPOCH, rows)
