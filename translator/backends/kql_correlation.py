"""Sentinel KQL of correlation rules (plan: ``correlation_plan``), as one scheduled analytic
rule whose query is::

    let step_0 = <sub-rule detection> | where TimeGenerated >= ago(<lookback>)
        | project TimeGenerated, join_<path> = tostring(<join field>);
    ...
    <correlation over step_0, step_1, ...>

* Group: ``union`` of the steps tagged with their ID, ``summarize countif(Step == ID) by
  match_key`` within the lookback window, then each entry's Min/MaxMatchCount (Absence: 0);
* Sequence: the steps ``join kind=inner`` in order on their transition's join values (a
  constant key when a transition has none), then order and WithinTimeFrameMinutes.

Kusto strings are never null: a missing join value is ``""`` and takes part in no join.
``correlation_query`` builds the second layer from any step sources, so ``verify.kql`` runs
exactly this KQL in duckdb-kql with ``datatable`` sources made of a test's RuleOutputs.
"""
from __future__ import annotations

from ..mapping import MappingSet
from ..model import All, Rule
from .base import BuildOptions, Finding, Output, Translation
from .correlation_plan import CorrelationPlan, TestMatches, plan_correlation
from .kql_lower import Inexpressible
from .kql_sentinel import duration
from .kql_text import string_literal

__all__ = ["correlation_query", "step_lets", "datatable_lets", "translate_correlation"]


def correlation_query(plan: CorrelationPlan, now: str) -> str:
    """The correlation over tabular names ``step_<i>`` (TimeGenerated + key columns) in a
    window of LookbackWindowMinutes ending at ``now`` (a KQL datetime expression)."""
    start = f"{now} - {plan.lookback_minutes}m"
    return _group(plan, start) if plan.kind == "group" else _sequence(plan, start)


def _count(step_id: str) -> str:
    return f"countif(Step == {string_literal(step_id)})"


def _group(plan: CorrelationPlan, start: str) -> str:
    parts = []
    for i, s in enumerate(plan.steps):
        key = f", match_key = {plan.group_key(s)}" if plan.group_keyed else ""
        parts.append(f"(step_{i} | extend Step = {string_literal(s.id)}{key})")
    lines = ["union " + ",\n    ".join(parts),
             f"| where TimeGenerated >= {start}" +
             (" and isnotempty(match_key)" if plan.group_keyed else "")]
    counts = [f"M{i} = {_count(s.id)}" for i, s in enumerate(plan.steps)]
    lines.append("| summarize FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), "
                 + ", ".join(counts) + (" by match_key" if plan.group_keyed else ""))
    conditions, reached = [], []
    for i, s in enumerate(plan.steps):
        if s.absence:
            conditions.append(f"M{i} == 0")
            continue
        ok = f"M{i} >= {s.min_count}"
        if s.max_count is not None:
            ok += f" and M{i} <= {s.max_count}"
        reached.append(ok)
    if plan.min_members >= len(reached):
        conditions.extend(f"({c})" if " and " in c else c for c in reached)
    else:
        conditions.append(" + ".join(f"iff({c}, 1, 0)" for c in reached) + f" >= {plan.min_members}")
    lines.append("| where " + " and ".join(conditions))
    names = ", ".join(f"{_ident(s.id + '_matches')} = M{i}" for i, s in enumerate(plan.steps))
    lines.append(f"| project-rename {names}")
    return "\n".join(lines)


def _ident(name: str) -> str:
    from .kql_text import identifier
    return identifier(name)


def _side(plan: CorrelationPlan, i: int, start: str) -> str:
    s = plan.steps[i]
    cols = [f"T{i} = TimeGenerated"] + [f"S{i}_{c} = {c}" for _p, c, _f in s.keys]
    nonempty = "".join(f" and isnotempty({c})" for _p, c, _f in s.keys)
    return f"step_{i} | where TimeGenerated >= {start}{nonempty} | project {', '.join(cols)}"


def _sequence(plan: CorrelationPlan, start: str) -> str:
    index = {s.id: i for i, s in enumerate(plan.steps)}
    lines = [_side(plan, 0, start)]
    for i in range(1, len(plan.steps)):
        keyed = [t for t in plan.transitions if index[t.dst] == i and t.key_from is not None]
        where = [f"T{i} >= T{i - 1}"]
        side = _side(plan, i, start)
        if keyed:
            first = keyed[0]
            on = f"$left.S{index[first.src]}_{first.key_from} == $right.S{i}_{first.key_to}"
            where += [f"S{index[t.src]}_{t.key_from} == S{i}_{t.key_to}" for t in keyed[1:]]
        else:  # no join value: every pair (a constant key)
            lines.append("| extend Pair = 1")
            side += " | extend Pair = 1"
            on = "Pair"
        lines.append(f"| join kind=inner ({side}) on {on}")
        if not keyed:
            lines.append("| project-away Pair, Pair1")
        for t in plan.transitions:
            if index[t.dst] == i and t.within_minutes is not None:
                where.append(f"T{i} <= T{index[t.src]} + {t.within_minutes}m")
        lines.append("| where " + " and ".join(where))
    names = [f"{_ident(s.id + '_time')} = T{i}" for i, s in enumerate(plan.steps)]
    lines.append(f"| project-rename {', '.join(names)}")
    return "\n".join(lines)


def datatable_lets(plan: CorrelationPlan, tm: TestMatches) -> str:
    """``let step_<i> = datatable(...) [...]`` holding one test's matches."""
    out = []
    for i, s in enumerate(plan.steps):
        schema = ", ".join(["TimeGenerated: datetime"] + [f"{c}: string" for _p, c, _f in s.keys])
        cells = []
        for t, values in tm.rows.get(s.id, []):
            cells.append(f"datetime({t.isoformat(sep=' ')})")
            cells += [string_literal(values.get(c) or "") for _p, c, _f in s.keys]
        out.append(f"let step_{i} = datatable({schema}) [{', '.join(cells)}];")
    return "\n".join(out)


def step_lets(plan: CorrelationPlan, ms: MappingSet, strict: bool, lowered) -> str | None:
    """The real step sources as ``let`` statements (tables, columns and findings go into
    ``lowered``, a kql.Lowered); None when a step has no KQL form."""
    from .kql import lower_branch

    out = []
    for i, s in enumerate(plan.steps):
        sub: Rule = s.sub
        detection = sub.detection if sub.inline_filters is None else All((sub.inline_filters, sub.detection))
        branches = []
        for log_type in sub.log_types:
            before = len(lowered.findings)
            got = lower_branch(ms, log_type, detection, strict, lowered)
            for k in range(before, len(lowered.findings)):
                f = lowered.findings[k]
                lowered.findings[k] = Finding(f"step {s.id}: {f.construct}", f.reason, f.severity, f.location)
            if got is None:
                continue
            b, lowerer = got
            keys = []
            for path, col, fld in s.keys:
                try:
                    slot = lowerer._slot(fld, fallback=False)
                except Inexpressible as exc:
                    lowered.findings.append(Finding(f"step {s.id}: join {path}", exc.reason, "unsupported"))
                    return None
                if fld.transforms:
                    lowered.findings.append(Finding(f"step {s.id}: join {path}",
                                                    "a computed join value is not lowered", "unsupported"))
                    return None
                keys.append(f"{col} = tostring({slot.term.expr})")
            project = ", ".join(["TimeGenerated"] + keys)
            window = f"| where TimeGenerated >= ago({plan.lookback_minutes}m)"
            branches.append("\n    ".join([b.table, window] + b.lines + [f"| project {project}"]))
        if not branches:
            lowered.findings.append(Finding(f"step {s.id}", f"no log type of {s.rule_id} has a "
                                            "Sentinel table", "unsupported"))
            return None
        body = branches[0] if len(branches) == 1 else \
            "union\n    " + ",\n    ".join(f"({b})" for b in branches)
        out.append(f"let step_{i} = {body};")
    return "\n".join(out)


def lower_correlation(rule: Rule, ms: MappingSet, options: BuildOptions):
    """(plan, kql.Lowered with ``query`` set, or the findings that stop it)."""
    from .kql import Lowered

    plan = plan_correlation(rule, options.rules)
    lowered = Lowered(findings=plan.findings())
    if lowered.findings:
        return plan, lowered
    lets = step_lets(plan, ms, options.strict, lowered)
    if lets is None:
        return plan, lowered
    lowered.query = lowered.helper_lets() + lets + "\n" + correlation_query(plan, "now()")
    lowered.detection = lowered.query
    lowered.grouped = True
    lowered.findings.append(Finding("join values", "compared as text (tostring); an empty "
                                    "value joins nothing, as Kusto has no null string", "warning"))
    return plan, lowered


def translate_correlation(rule: Rule, ms: MappingSet, options: BuildOptions) -> Translation:
    from . import kql

    plan, lowered = lower_correlation(rule, ms, options)
    findings = list(lowered.findings)
    if not lowered.query:
        return Translation(rule.id, "kql", (), tuple(findings))
    doc, more = kql.analytic_rule(rule, lowered, ms)
    findings += [f for f in more if f not in findings and not f.construct.startswith("Dedup")]
    sched = _schedule(rule)
    if sched["rate_minutes"] is None:
        findings.append(Finding("Schedule.CronExpression", "Sentinel runs a rule every N "
                                "minutes; it runs every LookbackWindowMinutes", "warning"))
    doc["queryFrequency"] = duration(sched["rate_minutes"] or plan.lookback_minutes)
    doc["queryPeriod"] = duration(plan.lookback_minutes)
    probe = Translation(rule.id, "kql", (Output("", ""),), tuple(findings))
    text = kql._environment().get_template("kql_analytic_rule.yaml.j2").render(
        doc=doc, version=kql.__version__, rule_id=rule.id, source_file=rule.source_file or "-",
        source_hash=rule.source_hash or "-", verdict=probe.verdict,
        findings=[str(f).replace("\n", " ") for f in findings])
    return Translation(rule.id, "kql", (Output(f"kql/{rule.id}.yaml", text),), tuple(findings),
                       lowered.query)


def _schedule(rule: Rule) -> dict:
    from ..model import _thaw
    return _thaw(rule.correlation)["schedule"]
