"""Checks of generated SPL: the search parses in rulec's SPL-subset evaluator
(translator/engines/spl_eval, written from Splunk's documentation), and every Test of the rule
runs through it on the Splunk event the mapping's reverse projection makes of the test log.

The Splunk event: the projected flat record (``a.b``, ``a{}.c`` multivalue, ``sourcetype``,
``index``), plus the test log's own leaves at their documented fallback names for paths the
mapping cannot place but does not declare absent (the backend writes those names with a
warning), and ``_raw`` the event's JSON (wrapped under the source's name prefix, ``data.`` for
add-ons that wrap events). A rule with a Threshold runs on Threshold copies of the event (and
must not alert on one fewer): Panther's unit tests check rule(), not the count.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..backends.base import Translation
from ..backends.spl import MAPPING_TARGET, effective_detection
from ..engines.spl_eval import SplError, parse, run
from ..evaluator import NotEvaluable, evaluate
from ..mapping import EACH, MappingError, MappingSet, Unmapped
from ..mapping.project import project_event
from ..model import Rule
from .base import EngineReport, TestCheck

ENGINE = "rulec spl_eval (SPL subset evaluator from Splunk's documentation)"


@dataclass
class TestResult:
    __test__ = False

    name: str
    expected: bool
    matched: bool | None
    evaluator: bool | None = None
    error: str = ""


@dataclass
class Verification:
    rule_id: str
    syntax_ok: bool
    syntax_errors: list = field(default_factory=list)
    tests: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _leaves(path: tuple, value: Any):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(path + (str(k),), v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(path + (EACH,), v)
    else:
        yield path, value


def splunk_event(mappings: MappingSet, log_type: str, event: dict) -> dict:
    record = project_event(mappings, log_type, MAPPING_TARGET, event)
    for path, value in _leaves((), event):
        r = mappings.resolve(log_type, MAPPING_TARGET, path)
        if not isinstance(r, Unmapped) or r.fallback is None or "does not hold" in r.reason:
            continue
        name = r.fallback.name
        if EACH in path:
            cur = record.setdefault(name, [])
            if isinstance(cur, list):
                cur.append(value)
        else:
            record.setdefault(name, value)
    tm = mappings.target_mapping(log_type, MAPPING_TARGET)
    raw: Any = event
    for part in reversed([p for p in (tm.name_prefix if tm else "").split(".") if p]):
        raw = {part: raw}
    record["_raw"] = json.dumps(raw, sort_keys=True)
    return record


def _log_type(rule: Rule, event: Any) -> str:
    lt = event.get("p_log_type") if isinstance(event, dict) else None
    return lt if lt in rule.log_types else rule.log_types[0]


def verify_rule(rule: Rule, translation: Translation, mappings: MappingSet) -> Verification:
    query = translation.query
    if not query:
        return Verification(rule.id, False, ["no SPL was generated"])
    try:
        pipeline = parse(query)
    except SplError as exc:
        return Verification(rule.id, False, [f"SplError: {exc}"])
    result = Verification(rule.id, True)
    expr = effective_detection(rule)
    copies = max(int(rule.threshold or 1), 1)
    for test in rule.tests:
        event = test.log
        try:
            ev = evaluate(expr, event) if expr is not None else None
        except NotEvaluable:
            ev = None
        if not isinstance(event, dict):
            result.tests.append(TestResult(test.name, test.expected_result, None, ev,
                                           "the test log is not a JSON object"))
            continue
        try:
            record = splunk_event(mappings, _log_type(rule, event), event)
            matched = bool(run(pipeline, [record] * copies))
            if matched and copies > 1 and run(pipeline, [record] * (copies - 1)):
                result.notes.append(f"{test.name!r}: alerts below the threshold of {copies}")
        except (SplError, MappingError) as exc:
            result.tests.append(TestResult(test.name, test.expected_result, None, ev,
                                           f"{type(exc).__name__}: {exc}"))
            continue
        result.tests.append(TestResult(test.name, test.expected_result, matched, ev))
    return result


def check(rule: Rule, translation: Translation, mappings: MappingSet) -> EngineReport:
    """``rulec verify``'s protocol (translator/verify/base.py)."""
    v = verify_rule(rule, translation, mappings)
    report = EngineReport(rule.id, "spl", ENGINE, syntax_ok=v.syntax_ok,
                          syntax_errors=list(v.syntax_errors))
    report.executed = any(t.matched is not None for t in v.tests)
    report.tests = [TestCheck(t.name, t.expected, t.matched, t.error) for t in v.tests]
    report.notes.extend(v.notes)
    if translation.verdict != "exact":
        report.notes.append(f"translation is {translation.verdict}: " + "; ".join(
            f"{f.construct}: {f.reason}" for f in translation.findings
            if f.severity in ("partial", "unsupported")))
    for t in v.tests:
        if t.matched is not None and t.evaluator is not None and t.matched != t.evaluator:
            report.notes.append(f"{t.name!r}: SPL {t.matched}, reference evaluator {t.evaluator}")
    return report
