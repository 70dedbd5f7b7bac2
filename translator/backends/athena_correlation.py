"""Athena SQL of correlation rules (plan: ``correlation_plan``): one CTE per step (the
sub-rule's detection over its table, yielding ``p_event_time`` and the join columns), then

* Group: the steps' matches in one UNION ALL, counted per step ``GROUP BY match_key`` within the
  lookback window, ``HAVING`` each entry's Min/MaxMatchCount (Absence: none);
* Sequence: the steps joined in order (a later entry at or after the earlier one), each
  transition's time frame and join in the ``ON`` of its later entry.

``correlation_select`` builds the second layer from any step sources, so ``verify.athena`` runs
exactly this SQL on DuckDB with sources made of a test's RuleOutputs.
"""
from __future__ import annotations

from sqlglot import exp

from ..model import All, Field, Rule
from .athena import SqlQuery, _text, render, _safe_name
from .base import BuildOptions, Finding, Output, Translation
from .correlation_plan import CorrelationPlan, TestMatches, plan_correlation
from .sql_common import Lowering, SqlMapping, _fn
from .sql_dialects import construct_text

__all__ = ["correlation_select", "step_sources", "test_sources", "translate_correlation"]


def _minutes(n: int) -> exp.Interval:
    return exp.Interval(this=exp.Literal.string(str(int(n))), unit=exp.Var(this="MINUTE"))


def _col(table: str | None, name: str) -> exp.Column:
    return exp.column(name, table=table, quoted=False)


def _windowed(i: int, start: exp.Expression) -> exp.Select:
    return exp.select("*").from_(f"step_{i}").where(
        exp.GTE(this=_col(None, "p_event_time"), expression=start.copy()))


def correlation_select(plan: CorrelationPlan, sources: dict, now: exp.Expression) -> exp.Expression:
    """The correlation over ``sources`` (step id -> SELECT of p_event_time and the step's key
    columns), in a window of LookbackWindowMinutes ending at ``now``."""
    start = exp.Sub(this=now, expression=_minutes(plan.lookback_minutes))
    index = {s.id: i for i, s in enumerate(plan.steps)}
    query = _group(plan, start) if plan.kind == "group" else _sequence(plan, start, index)
    for i, s in enumerate(plan.steps):
        query = query.with_(f"step_{i}", as_=sources[s.id])
    return query


def _group(plan: CorrelationPlan, start: exp.Expression) -> exp.Select:
    parts = []
    for i, s in enumerate(plan.steps):
        cols = [exp.alias_(exp.Literal.string(s.id), "step")]
        if plan.group_keyed:
            cols.append(exp.alias_(_col(None, plan.group_key(s)), "match_key"))
        cols.append(_col(None, "p_event_time"))
        parts.append(exp.select(*cols).from_(f"step_{i}"))
    union = parts[0]
    for p in parts[1:]:
        union = exp.union(union, p, distinct=False)

    def count(step_id: str) -> exp.Expression:
        return exp.CountIf(this=exp.EQ(this=_col(None, "step"), expression=exp.Literal.string(step_id)))

    conditions, reached = [], []
    for s in plan.steps:
        n = count(s.id)
        if s.absence:
            conditions.append(exp.EQ(this=n, expression=exp.Literal.number(0)))
            continue
        ok = exp.GTE(this=n, expression=exp.Literal.number(s.min_count))
        if s.max_count is not None:
            ok = exp.and_(ok, exp.LTE(this=count(s.id), expression=exp.Literal.number(s.max_count)))
        reached.append(ok)
    if plan.min_members >= len(reached):
        conditions.extend(reached)
    else:  # the Group's MinMatchCount: that many entries reach their counts
        total = None
        for ok in reached:
            term = exp.Paren(this=exp.Case(ifs=[exp.If(this=ok, true=exp.Literal.number(1))],
                                           default=exp.Literal.number(0)))
            total = term if total is None else exp.Add(this=total, expression=term)
        conditions.append(exp.GTE(this=total, expression=exp.Literal.number(plan.min_members)))
    where = exp.GTE(this=_col(None, "p_event_time"), expression=start)
    cols = []
    if plan.group_keyed:
        cols.append(_col(None, "match_key"))
        where = exp.and_(where, exp.Not(this=exp.Is(this=_col(None, "match_key"), expression=exp.Null())))
    cols += [exp.alias_(exp.Min(this=_col(None, "p_event_time")), "first_event_time"),
             exp.alias_(exp.Max(this=_col(None, "p_event_time")), "last_event_time")]
    cols += [exp.alias_(count(s.id), f"{s.id}_matches", quoted=True) for s in plan.steps]
    query = exp.select(*cols).from_(exp.Subquery(this=union, alias=exp.TableAlias(
        this=exp.to_identifier("matches")))).where(where)
    if plan.group_keyed:
        query = query.group_by(_col(None, "match_key"))
    return query.having(exp.and_(*conditions))


def _sequence(plan: CorrelationPlan, start: exp.Expression, index: dict) -> exp.Select:
    cols = []
    for i, s in enumerate(plan.steps):
        cols.append(exp.alias_(_col(f"s{i}", "p_event_time"), f"{s.id}_time", quoted=True))
        cols += [exp.alias_(_col(f"s{i}", c), f"{s.id}.{p}", quoted=True) for p, c, _f in s.keys]
    query = exp.select(*cols).from_(exp.Subquery(this=_windowed(0, start),
                                                 alias=exp.TableAlias(this=exp.to_identifier("s0"))))
    for i in range(1, len(plan.steps)):
        on = [exp.GTE(this=_col(f"s{i}", "p_event_time"), expression=_col(f"s{i - 1}", "p_event_time"))]
        for t in plan.transitions:
            if index[t.dst] != i:
                continue
            j = index[t.src]
            if t.within_minutes is not None:
                on.append(exp.LTE(this=_col(f"s{i}", "p_event_time"), expression=exp.Add(
                    this=_col(f"s{j}", "p_event_time"), expression=_minutes(t.within_minutes))))
            if t.key_from is not None:
                on.append(exp.EQ(this=_col(f"s{j}", t.key_from), expression=_col(f"s{i}", t.key_to)))
        query = query.join(exp.Subquery(this=_windowed(i, start),
                                        alias=exp.TableAlias(this=exp.to_identifier(f"s{i}"))),
                           on=exp.and_(*on), join_type="inner")
    return query


def step_sources(plan: CorrelationPlan, mapping: SqlMapping, q: SqlQuery) -> dict | None:
    """The real step sources: each sub-rule's detection over its table(s) in the window (None
    when a step has no table); problems go into ``q`` prefixed with the step."""
    out = {}
    for s in plan.steps:
        sub: Rule = s.sub
        detection = sub.detection if sub.inline_filters is None else All((sub.inline_filters, sub.detection))
        selects = []
        for log_type in sub.log_types:
            table = mapping.table(log_type)
            if table is None:
                q.reasons.append(f"step {s.id}: log type {log_type} has no Athena table")
                continue
            siblings = tuple(lt for lt in sub.log_types if lt != log_type and mapping.table(lt))
            low = Lowering(mapping, log_type, "warn", sibling_log_types=siblings)
            cond = low.condition(detection)
            event_time = low.value(Field(("p_event_time",)))
            if event_time is None:
                q.unsupported = f"step {s.id}: p_event_time is not mapped for {log_type}"
                return None
            time_expr = event_time.expr if event_time.kind == "timestamp" else \
                _fn("from_iso8601_timestamp", event_time.expr)
            cols = [exp.alias_(time_expr, "p_event_time")]
            for path, col, fld in s.keys:
                text = _text(low, fld, None)
                if text is None:
                    q.unsupported = f"step {s.id}: join value {path} ({fld.dotted}) has no SQL form"
                    return None
                cols.append(exp.alias_(text, col))
            window = exp.GTE(this=time_expr.copy(), expression=exp.Sub(
                this=exp.CurrentTimestamp(), expression=_minutes(plan.lookback_minutes)))
            selects.append(exp.select(*cols).from_(exp.to_table(table)).where(
                exp.and_(window, exp.Paren(this=cond))))
            q.reasons.extend(f"step {s.id} ({s.rule_id}): {r}" for r in low.reasons)
            q.caveats.extend(f"step {s.id}: {c}" for c in low.caveats if f"step {s.id}: {c}" not in q.caveats)
            q.engine_gaps.extend(low.engine_gaps)
        if not selects:
            q.unsupported = f"step {s.id}: no log type of {s.rule_id} has an Athena table"
            return None
        union = selects[0]
        for other in selects[1:]:
            union = exp.union(union, other, distinct=False)
        out[s.id] = union
    return out


def test_sources(plan: CorrelationPlan, tm: TestMatches) -> dict:
    """Step sources holding one test's matches (literal rows)."""
    out = {}
    for s in plan.steps:
        def row(t, values):
            cols = [exp.alias_(exp.cast(exp.Literal.string(t.isoformat(sep=" ")), "timestamp"),
                               "p_event_time")]
            cols += [exp.alias_(exp.cast(exp.Literal.string(values[c]) if values.get(c) is not None
                                         else exp.Null(), "varchar"), c) for _p, c, _f in s.keys]
            return exp.select(*cols)
        rows = tm.rows.get(s.id, [])
        if not rows:
            out[s.id] = row(tm.now, {}).where(exp.false())
            continue
        union = row(*rows[0])
        for r in rows[1:]:
            union = exp.union(union, row(*r), distinct=False)
        out[s.id] = exp.select("*").from_(exp.Subquery(this=union, alias=exp.TableAlias(
            this=exp.to_identifier("m"))))
    return out


def translate_correlation(rule: Rule, mapping: SqlMapping, options: BuildOptions) -> Translation:
    plan = plan_correlation(rule, options.rules)
    q = SqlQuery(rule)
    findings = plan.findings()
    if findings:
        return Translation(rule.id, "athena", findings=tuple(findings))
    sources = step_sources(plan, mapping, q)
    if sources is None:
        return Translation(rule.id, "athena", findings=(Finding("correlation", q.unsupported, "unsupported"),))
    q.alert = correlation_select(plan, sources, exp.CurrentTimestamp())
    dialect = options.dialect or "athena"
    text, missing = render(q, dialect)
    findings = [Finding("step", r, "partial") for r in q.reasons]
    findings += [Finding("function", f"no {dialect} form for {construct_text(m)}", "partial") for m in missing]
    findings += [Finding("edge case", c, "warning") for c in q.caveats]
    findings.append(Finding("join values", "compared as text (str() of each sub-rule's value)",
                            "warning"))
    return Translation(rule.id, "athena", (Output(f"{dialect}/{_safe_name(rule.id)}.sql", text),),
                       tuple(findings), q.alert.sql(dialect="athena", pretty=True))
