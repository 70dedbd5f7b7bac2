"""YARA-L 2.0 of correlation rules (plan: ``correlation_plan``): one multi-event rule with an
event variable per step (``$s0``, ``$s1``...) filtered by its sub-rule's detection, joined
through match placeholders, and a ``condition`` over the variables:

* Group: every step's join field ``= $match_key``, ``match: $match_key over
  <LookbackWindowMinutes>m``, condition ``$s0 and #s1 >= 2 and !$s2`` (Min/MaxMatchCount as
  counts, Absence as non-existence; the Group's MinMatchCount as ``or`` of the combinations);
* Sequence: each transition's join ``= $key_<n>``, order by ``metadata.event_timestamp.seconds``,
  ``match: ... over <WithinTimeFrameMinutes>m`` (the match window bounds the whole detection,
  so one time frame: several transitions need the same one, and each a join).

``correlation_rule`` builds the rule text from any step filters and join fields, so
``verify.yaral`` evaluates exactly this text (engines/yaral_eval.detect_multi) with filters
naming test events made of the test's RuleOutputs.
"""
from __future__ import annotations

import itertools

from ..mapping import MappingSet
from ..model import All, Rule
from .base import BuildOptions, Finding, Translation
from .correlation_plan import EPOCH, CorrelationPlan, TestMatches, plan_correlation
from .yaral_detection import Inexpressible

__all__ = ["correlation_rule", "structural_problems", "test_parts", "translate_correlation"]

TIME = "metadata.event_timestamp.seconds"


def structural_problems(plan: CorrelationPlan) -> list[str]:
    """What this plan needs that a YARA-L multi-event rule cannot say."""
    out = []
    if plan.kind == "group" and not plan.group_keyed:
        out.append("a Group without MatchCriteria: YARA-L joins event variables through match "
                   "placeholders, and there is no join value")
    if plan.kind == "sequence":
        if any(t.key_from is None for t in plan.transitions):
            out.append("a transition without a join: YARA-L joins event variables through "
                       "match placeholders")
        if len(plan.transitions) > 1 and any(t.within_minutes for t in plan.transitions):
            out.append("time frames on several transitions: one match window bounds a whole "
                       "YARA-L detection, not each transition")
        index = {s.id: i for i, s in enumerate(plan.steps)}
        linked = {index[t.dst] for t in plan.transitions}
        if any(i not in linked for i in range(1, len(plan.steps))):
            out.append("a Sequence entry no transition leads to (unjoined in YARA-L)")
    return out


def known_differences(plan: CorrelationPlan) -> list[str]:
    """Where the YARA-L rule is emitted but may answer otherwise than Panther (partial)."""
    if any(s.absence for s in plan.steps):
        return ["Absence: a YARA-L hop window that leaves out the absent entry's match still "
                "fires, where Panther's run sees the whole lookback window"]
    return []


def correlation_rule(plan: CorrelationPlan, name: str, meta: list, filters: list[list[str]],
                     key_fields: dict, risk: int) -> str:
    """The rule text. ``filters[i]``: the events-section lines of step i (over ``$s<i>``);
    ``key_fields[(i, column)]``: the UDM field holding step i's join value ``column``."""
    lines = [f"rule {name} {{", "  meta:"] + [f"    {k} = {v}" for k, v in meta] + ["", "  events:"]
    for i, s in enumerate(plan.steps):
        lines.append(f"    // {s.id}: {s.rule_id}")
        lines += [f"    {ln}" for ln in filters[i]]
    placeholders = []
    if plan.kind == "group":
        placeholders.append("$match_key")
        for i, s in enumerate(plan.steps):
            lines.append(f"    $match_key = $s{i}.{key_fields[(i, plan.group_key(s))]}")
        window = plan.lookback_minutes
    else:
        index = {s.id: i for i, s in enumerate(plan.steps)}
        for n, t in enumerate(plan.transitions, 1):
            ph = f"$key_{n}"
            placeholders.append(ph)
            a, b = index[t.src], index[t.dst]
            lines.append(f"    {ph} = $s{a}.{key_fields[(a, t.key_from)]}")
            lines.append(f"    {ph} = $s{b}.{key_fields[(b, t.key_to)]}")
        for i in range(1, len(plan.steps)):
            lines.append(f"    $s{i - 1}.{TIME} <= $s{i}.{TIME}")
        window = plan.transitions[0].within_minutes or plan.lookback_minutes
    lines += ["", "  match:", f"    {', '.join(placeholders)} over {window}m", "", "  outcome:",
              f"    $risk_score = max({risk})", "", "  condition:", f"    {_condition(plan)}", "}"]
    return "\n".join(lines) + "\n"


def _condition(plan: CorrelationPlan) -> str:
    absent, reached = [], []
    for i, s in enumerate(plan.steps):
        if s.absence:
            absent.append(f"!$s{i}")
            continue
        ok = f"$s{i}" if s.min_count == 1 else f"#s{i} >= {s.min_count}"
        if s.max_count is not None:
            ok = f"{ok} and #s{i} <= {s.max_count}"
        reached.append(ok)
    if plan.min_members >= len(reached):
        present = " and ".join(reached)
    else:
        present = "(" + " or ".join("(" + " and ".join(c) + ")" for c in
                                    itertools.combinations(reached, plan.min_members)) + ")"
    return " and ".join([present] + absent)


def test_parts(plan: CorrelationPlan, tm: TestMatches) -> tuple[list, dict, list]:
    """(filters, key fields, UDM events) standing for one test's matches: step i's events
    carry ``metadata.product_event_type = "rulec step i"`` and their join values in
    ``additional.fields``; the run covers the lookback window ending at the latest match."""
    filters = [[f'$s{i}.metadata.product_event_type = "rulec step {i}"']
               for i in range(len(plan.steps))]
    keys = {(i, c): f'additional.fields["{c}"]' for i, s in enumerate(plan.steps)
            for _p, c, _f in s.keys}
    start = (tm.now - EPOCH).total_seconds() - plan.lookback_minutes * 60
    events = []
    for i, s in enumerate(plan.steps):
        for t, values in tm.rows.get(s.id, []):
            seconds = int((t - EPOCH).total_seconds())
            if seconds < start:
                continue  # before this run's time range
            events.append({"metadata": {"product_event_type": f"rulec step {i}",
                                        "event_timestamp": {"seconds": seconds}},
                           "additional": {"fields": {c: v for c, v in values.items()
                                                     if v is not None}}})
    return filters, keys, events


def _rename(text: str, var: str) -> str:
    """``$e`` -> ``var`` outside string, raw-string and regex literals."""
    out, i, quote = [], 0, None
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and quote != "`" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"`/":
            quote = ch
            out.append(ch)
        elif text.startswith("$e.", i) or text.startswith("$e ", i) or text[i:] == "$e":
            out.append(var)
            i += 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def step_parts(plan: CorrelationPlan, ms: MappingSet, options: BuildOptions,
               findings: list) -> tuple[list, dict] | None:
    """(each step's filter lines over ``$s<i>``, the UDM field of each join value); None when
    a step has no YARA-L form (``findings`` say why)."""
    from .yaral import events_filter

    filters, keys = [], {}
    for i, s in enumerate(plan.steps):
        sub: Rule = s.sub
        expr = sub.detection if sub.inline_filters is None else All((sub.inline_filters, sub.detection))
        local: list = []
        events, first = events_filter(sub.log_types, expr, ms, options.strict, local)
        findings.extend(Finding(f"step {s.id}: {f.construct}", f.reason, f.severity) for f in local)
        if first is None or any(f.severity == "unsupported" for f in local):
            return None
        # one log type: a line per predicate; several: one parenthesised "or" of blocks
        lines = events.split("\n    ") if len(sub.log_types) == 1 else [events]
        filters.append([_rename(ln, f"$s{i}") for ln in lines])
        for path, col, fld in s.keys:
            try:
                ref = first.ref(fld, fallback=False)
            except Inexpressible as exc:
                findings.append(Finding(f"step {s.id}: join {path}", exc.reason, "unsupported"))
                return None
            if not hasattr(ref, "repeated") or fld.transforms:
                findings.append(Finding(f"step {s.id}: join {path}", "not a single UDM field",
                                        "unsupported"))
                return None
            if ref.repeated:  # a placeholder over a repeated field takes each element
                findings.append(Finding(f"step {s.id}: join {path}", f"{ref.name} is repeated "
                                        "in UDM: the join takes any of its elements", "warning"))
            keys[(i, col)] = ref.name
    return filters, keys


def translate_correlation(backend, rule: Rule, ms: MappingSet, options: BuildOptions) -> Translation:
    from .yaral import NAME, RISK, display_text, rule_name, translation

    plan = plan_correlation(rule, options.rules)
    findings = plan.findings() + [Finding("correlation", p, "unsupported")
                                  for p in structural_problems(plan)]
    if findings:
        return Translation(rule.id, NAME, (), tuple(findings))
    parts = step_parts(plan, ms, options, findings)
    if parts is None or any(f.severity == "unsupported" for f in findings):
        return Translation(rule.id, NAME, (), tuple(findings))
    meta = [(k, display_text(str(v))) for k, v in backend._meta(rule) if v]
    body = correlation_rule(plan, rule_name(rule.id), meta, parts[0], parts[1],
                            RISK.get(rule.severity, 10))
    findings += [Finding("correlation", d, "partial") for d in known_differences(plan)]
    findings.append(Finding("match window", "YARA-L hop windows find the pattern in any window "
                            "of that length; Panther runs on its Schedule over the lookback",
                            "warning"))
    return translation(rule, body, findings)
