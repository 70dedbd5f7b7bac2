"""Splunk SPL of correlation rules (plan: ``correlation_plan``), as one saved search running on
the rule's Schedule over the last LookbackWindowMinutes. Each step is its sub-rule's search
plus ``eval join_<path>=<join field>``; then

* Group: ``| multisearch [step 0] [step 1] ...`` tagged with the step ID, then per join value
  ``stats sum(...)`` of each step's matches in the window, ``where`` each entry's
  Min/MaxMatchCount (Absence: 0);
* Sequence: the steps chained by ``join type=inner max=0`` on the transition's join value (a
  constant when it has none), then ``where`` order and WithinTimeFrameMinutes.

``correlation_search`` builds the second layer from any step searches, so ``verify.spl`` runs
exactly this SPL in the SPL evaluator with step searches over the test's RuleOutputs.
"""
from __future__ import annotations

from dataclasses import replace

from ..mapping import MappingError, MappingSet
from ..model import All, Rule, _thaw
from .base import BuildOptions, Finding, Output, Translation
from .correlation_plan import EPOCH, CorrelationPlan, TestMatches, plan_correlation
from .spl_expr import Inexpressible

__all__ = ["correlation_search", "test_searches", "test_events", "translate_correlation"]


def correlation_search(plan: CorrelationPlan, sources: list[str], now: str) -> str:
    """The correlation over ``sources`` (one search per step yielding ``_time`` and the
    step's key fields), in a window of LookbackWindowMinutes ending at ``now`` (an eval
    expression in epoch seconds)."""
    start = f"{now} - {plan.lookback_minutes * 60}"
    if plan.kind == "group":
        return _group(plan, sources, start)
    return _sequence(plan, sources, start)


def _group(plan: CorrelationPlan, sources: list[str], start: str) -> str:
    tagged = []
    for i, (s, src) in enumerate(zip(plan.steps, sources)):
        key = f", match_key={plan.group_key(s)}" if plan.group_keyed else ""
        tagged.append(f"{src} | eval rulec_step={i}{key}")
    head = tagged[0] if len(tagged) == 1 else \
        "| multisearch " + " ".join(f"[{t}]" for t in tagged)
    window = f"_time >= {start}" + (" AND isnotnull(match_key)" if plan.group_keyed else "")
    flags = ", ".join(f"m{i}=if(rulec_step={i}, 1, 0)" for i in range(len(plan.steps)))
    sums = " ".join(f"sum(m{i}) as m{i}" for i in range(len(plan.steps)))
    by = " by match_key" if plan.group_keyed else ""
    conditions, reached = [], []
    for i, s in enumerate(plan.steps):
        n = f"coalesce(m{i}, 0)"  # stats without by over no event leaves sum() empty
        if s.absence:
            conditions.append(f"{n} = 0")
            continue
        ok = f"{n} >= {s.min_count}"
        if s.max_count is not None:
            ok = f"({ok} AND {n} <= {s.max_count})"
        reached.append(ok)
    if plan.min_members >= len(reached):
        conditions.extend(reached)
    else:
        conditions.append("(" + " + ".join(f"if({c}, 1, 0)" for c in reached)
                          + f") >= {plan.min_members}")
    stages = [head, f"where {window}", f"eval {flags}",
              f"stats {sums} min(_time) as first_seen max(_time) as last_seen{by}",
              "where " + " AND ".join(conditions)]
    return " | ".join(stages)


def _side(plan: CorrelationPlan, i: int, src: str, start: str, join: str | None,
          key: str | None) -> str:
    s = plan.steps[i]
    present = "".join(f" AND isnotnull({c})" for _p, c, _f in s.keys)
    evals = [f"T{i}=_time"] + [f"S{i}_{c}={c}" for _p, c, _f in s.keys]
    names = [f"T{i}"] + [f"S{i}_{c}" for _p, c, _f in s.keys]
    if join is not None:
        evals.append(f"{join}={key}")
        names.append(join)
    return f"{src} | where _time >= {start}{present} | eval {', '.join(evals)} | fields {', '.join(names)}"


def _sequence(plan: CorrelationPlan, sources: list[str], start: str) -> str:
    index = {s.id: i for i, s in enumerate(plan.steps)}
    stages = [_side(plan, 0, sources[0], start, None, None)]
    for i in range(1, len(plan.steps)):
        keyed = [t for t in plan.transitions if index[t.dst] == i and t.key_from is not None]
        # tonumber: a copied field may be text, and text orders lexically
        where = [f"tonumber(T{i}) >= tonumber(T{i - 1})"]
        join = f"J{i}"
        if keyed:
            first = keyed[0]
            stages.append(f"eval {join}=S{index[first.src]}_{first.key_from}")
            sub = _side(plan, i, sources[i], start, join, first.key_to)
            where += [f"S{index[t.src]}_{t.key_from}=S{i}_{t.key_to}" for t in keyed[1:]]
        else:  # no join value: every pair
            stages.append(f"eval {join}=1")
            sub = _side(plan, i, sources[i], start, join, "1")
        stages.append(f"join type=inner max=0 {join} [{sub}]")
        for t in plan.transitions:
            if index[t.dst] == i and t.within_minutes is not None:
                where.append(f"tonumber(T{i}) <= tonumber(T{index[t.src]}) + {t.within_minutes * 60}")
        stages.append("where " + " AND ".join(where))
    return " | ".join(stages)


def test_searches(plan: CorrelationPlan) -> list[str]:
    """Step searches over ``test_events``: the events of step ``i`` carry ``rulec_source=i``."""
    return [f'search rulec_source="{i}"' for i in range(len(plan.steps))]


def test_events(plan: CorrelationPlan, tm: TestMatches) -> tuple[list[dict], str]:
    """(one Splunk event per match of the test, "now" in epoch seconds)."""
    events = []
    for i, s in enumerate(plan.steps):
        for t, values in tm.rows.get(s.id, []):
            ev = {"rulec_source": str(i), "_time": _epoch(t)}
            ev.update({c: v for c, v in values.items() if v is not None})
            events.append(ev)
    return events, str(_epoch(tm.now))


def _epoch(t) -> int | float:
    seconds = (t - EPOCH).total_seconds()
    return int(seconds) if seconds == int(seconds) else seconds


def step_searches(backend, plan: CorrelationPlan, ms: MappingSet, options: BuildOptions,
                  findings: list) -> list[str] | None:
    """Each sub-rule's search with its join fields; None (findings say why) when a step has
    no SPL form."""
    out = []
    for s in plan.steps:
        sub: Rule = s.sub
        expr = sub.detection if sub.inline_filters is None else All((sub.inline_filters, sub.detection))
        branches, keys = [], None
        for log_type in sub.log_types:
            local: list = []
            got, failed, low = backend.branches(replace(sub, log_types=(log_type,)), expr, ms,
                                                options, local)
            findings.extend(Finding(f"step {s.id}: {f.construct}", f.reason, f.severity)
                            for f in local + failed
                            if f.severity != "unsupported" or not got)
            if not got:
                continue
            here = []
            for path, col, fld in s.keys:
                try:
                    v = low.value(fld)
                except (Inexpressible, MappingError) as exc:
                    findings.append(Finding(f"step {s.id}: join {path}", str(exc), "unsupported"))
                    return None
                if v.multi:
                    findings.append(Finding(f"step {s.id}: join {path}", "a multivalue join "
                                            "value is not lowered", "unsupported"))
                    return None
                here.append(f"{col}={v.text}")
            if keys is not None and keys != here:
                findings.append(Finding(f"step {s.id}", "the join value is spelled differently "
                                        "per log type of the sub-rule", "unsupported"))
                return None
            keys = here
            branches.extend(got)
        if not branches:
            findings.append(Finding(f"step {s.id}", f"no log type of {s.rule_id} has an SPL "
                                    "search", "unsupported"))
            return None
        head = backend.head(branches)
        out.append(f"{head} | eval {', '.join(keys)}" if keys else head)
    return out


def translate_correlation(backend, rule: Rule, ms: MappingSet, options: BuildOptions) -> Translation:
    from .spl import NAME, _relative, cron_for, render
    from .. import __version__

    plan = plan_correlation(rule, options.rules)
    findings = plan.findings()
    if findings:
        return Translation(rule.id, NAME, (), tuple(findings))
    sources = step_searches(backend, plan, ms, options, findings)
    if sources is None:
        return Translation(rule.id, NAME, (), tuple(findings))
    query = correlation_search(plan, sources, "now()")
    sched = _thaw(rule.correlation)["schedule"]
    if sched["cron"]:
        cron = sched["cron"]
    else:
        cron, _period, note = cron_for(sched["rate_minutes"])
        if note:
            findings.append(Finding("schedule", note, "warning"))
    findings.append(Finding("join values", "compared as Splunk field text", "warning"))
    if plan.kind == "sequence":
        findings.append(Finding("join", "Splunk's join subsearch is limited (by default 50,000 "
                                "results and 60 s): a larger step is cut", "warning"))
    stanza = backend._stanza(rule, query, findings, cron=cron, window=plan.lookback_minutes,
                             suppress=False)
    verdict = Translation(rule.id, NAME, (Output("", stanza),), tuple(findings)).verdict
    text = render("spl_savedsearch.conf.j2", rule=rule, body=stanza, verdict=verdict,
                  findings=[" ".join(str(f).split()) for f in findings],
                  source_file=_relative(rule.source_file), version=__version__)
    return Translation(rule.id, NAME, (Output(f"{NAME}/{rule.id}.conf", text),), tuple(findings),
                       query=query)

