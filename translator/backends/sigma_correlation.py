"""Sigma correlation rules (pySigma 2.x) for Panther correlation rules (plan:
``correlation_plan``), referencing the sub-rules' Sigma rules by id:

* Group: ``type: temporal`` over the entries within LookbackWindowMinutes, ``group-by`` the
  join field (``aliases`` when the entries spell it differently); an entry with MinMatchCount N
  is an ``event_count`` correlation (``gte: N``) of its rule, referenced in its place;
* Sequence: ``type: temporal_ordered`` in the entries' order within the transitions' time
  frame, grouped by the transitions' join field.

Not expressible here, reported per rule: Absence and a Group's MinMatchCount below its entry
count (both need Sigma's extended temporal condition, which names rules by a ``name`` the
sub-rules' Sigma files do not carry), MaxMatchCount, transitions with different time frames or
joins that are not one chain of the same field, sub-rules over several log types.
``correlation_docs`` builds the documents from any rule references, so ``verify.sigma`` converts
exactly these with pysigma-backend-sqlite over stand-in rules of the test's matches.
"""
from __future__ import annotations

from typing import Any

from ..mapping import MappingSet
from ..model import Rule
from .base import BuildOptions, Finding, Output, Translation
from .correlation_plan import CorrelationPlan, plan_correlation

__all__ = ["correlation_docs", "structural_problems", "known_differences",
           "translate_correlation"]

KEY = "match_key"  # the alias the join field goes by when the entries spell it differently


def structural_problems(plan: CorrelationPlan) -> list[str]:
    out = []
    if any(s.absence for s in plan.steps):
        out.append("Absence: needs Sigma's extended temporal condition (`not`), which names "
                   "rules by a `name` the sub-rules' Sigma files do not carry")
    if plan.kind == "group" and plan.min_members < len(plan.present):
        out.append("the Group's MinMatchCount below its entry count: needs Sigma's extended "
                   "temporal condition (`or` of the combinations)")
    if any(s.max_count is not None for s in plan.steps):
        out.append("MaxMatchCount: a Sigma correlation condition states one bound")
    if plan.kind == "sequence":
        if len(plan.transitions) > 1 and any(t.within_minutes for t in plan.transitions):
            out.append("time frames on several transitions: one timespan bounds a whole Sigma "
                       "temporal_ordered correlation, not each transition")
        keyed = {t.key_from is not None for t in plan.transitions}
        if keyed == {True, False}:
            out.append("some transitions joined and some not: one group-by holds for all")
        elif keyed == {True} and len(_sequence_columns(plan)) != len(plan.steps):
            out.append("the transitions join an entry on different fields: one group-by field "
                       "per rule")
    return out


def known_differences(plan: CorrelationPlan) -> list[str]:
    """Where the Sigma correlation is emitted but may answer otherwise than Panther."""
    if plan.kind == "sequence":
        return ["entries at the same time: Sigma's temporal_ordered wants each rule's match "
                "after the previous one (pysigma-backend-sqlite: strictly later); Panther "
                "accepts the same time"]
    return []


def _sequence_columns(plan: CorrelationPlan) -> dict:
    """Step index -> its one join column (entries joined on several are left out)."""
    index = {s.id: i for i, s in enumerate(plan.steps)}
    cols: dict = {}
    for t in plan.transitions:
        for i, c in ((index[t.src], t.key_from), (index[t.dst], t.key_to)):
            cols.setdefault(i, set()).add(c)
    return {i: next(iter(c)) for i, c in cols.items() if len(c) == 1}


def correlation_docs(plan: CorrelationPlan, name: str, header: dict, refs: list[str],
                     fields: dict) -> list[dict]:
    """The correlation documents. ``refs[i]``: how step i's rule is referenced (id or name);
    ``fields[(i, column)]``: the Sigma field of step i's join value ``column``."""
    if plan.kind == "group":
        columns = {i: plan.group_key(s) for i, s in enumerate(plan.steps)} if plan.group_keyed else {}
        timespan = plan.lookback_minutes
        kind = "temporal"
    else:
        columns = _sequence_columns(plan) if plan.transitions[0].key_from else {}
        timespan = plan.transitions[0].within_minutes or plan.lookback_minutes
        kind = "temporal_ordered"
    spelled = {i: fields[(i, c)] for i, c in columns.items()}
    group_field = next(iter(set(spelled.values()))) if len(set(spelled.values())) == 1 else KEY
    docs, members = [], []
    for i, s in enumerate(plan.steps):
        if s.min_count == 1:
            members.append(refs[i])
            continue
        counted = f"{name}_{i}_count"
        count: dict[str, Any] = {"title": f"{header['title']}: {s.id} at least {s.min_count} "
                                 "times", "name": counted, "status": header["status"],
                                 "correlation": {"type": "event_count", "rules": [refs[i]],
                                                 "timespan": f"{timespan}m",
                                                 "condition": {"gte": s.min_count}},
                                 "level": header["level"]}
        if spelled:
            count["correlation"]["group-by"] = [spelled[i]]
        docs.append(count)
        members.append(counted)
    correlation: dict[str, Any] = {"type": kind, "rules": members}
    if spelled:
        correlation["group-by"] = [group_field]
        if group_field == KEY:
            correlation["aliases"] = {KEY: {members[i]: spelled[i] for i in spelled}}
    correlation["timespan"] = f"{timespan}m"
    docs.append({**header, "name": name, "correlation": correlation})
    return docs


def translate_correlation(backend, rule: Rule, ms: MappingSet, options: BuildOptions) -> Translation:
    from .sigma import (LEVELS, NAME, _field_name, description, dump, render, rule_date,
                        rule_uuid, sigma_name, title_case)

    plan = plan_correlation(rule, options.rules)
    findings = plan.findings() + [Finding("correlation", p, "unsupported")
                                  for p in structural_problems(plan)]
    if findings:
        return Translation(rule.id, NAME, (), tuple(findings))
    refs, fields = [], {}
    for i, s in enumerate(plan.steps):
        sub = backend.translate(s.sub, ms, options)
        if not sub.outputs:
            findings.append(Finding(f"step {s.id}", f"{s.rule_id} has no Sigma rule: " + "; ".join(
                f.reason for f in sub.findings if f.severity == "unsupported"), "unsupported"))
            continue
        findings.extend(Finding(f"step {s.id}: {f.construct}", f.reason, f.severity)
                        for f in sub.findings if f.severity == "partial")
        if len(s.sub.log_types) > 1:
            findings.append(Finding(f"step {s.id}", "a sub-rule over several log types is one "
                                    "Sigma rule per log type", "unsupported"))
        refs.append(rule_uuid(s.rule_id))
        for path, col, fld in s.keys:
            local: list = []
            name = _field_name(ms, s.sub.log_types[0], fld, local)
            if not name:
                findings.append(Finding(f"step {s.id}: join {path}", "no Sigma field", "unsupported"))
            fields[(i, col)] = name
    if any(f.severity == "unsupported" for f in findings):
        return Translation(rule.id, NAME, (), tuple(findings))
    header = {"title": title_case(rule.display_name or rule.id), "id": rule_uuid(rule.id),
              "status": "experimental", "description": description(rule),
              "author": (options.extra or {}).get("sigma_author", "rulec"),
              "date": rule_date(options), "level": LEVELS.get(rule.severity, "informational")}
    docs = correlation_docs(plan, sigma_name(rule.id), header, refs, fields)
    findings += [Finding("correlation", d, "partial") for d in known_differences(plan)]
    findings.append(Finding("group-by", "Sigma backends may compare group-by values "
                            "case-insensitively (pysigma-backend-sqlite lower-cases text); "
                            "Panther compares them exactly", "warning"))
    body = "---\n".join(dump(d) for d in docs)
    verdict = Translation(rule.id, NAME, (Output("", body),), tuple(findings)).verdict
    text = render(rule, body, tuple(findings), verdict)
    return Translation(rule.id, NAME, (Output(f"{NAME}/{rule.id}.yml", text),), tuple(findings),
                       query=body)
