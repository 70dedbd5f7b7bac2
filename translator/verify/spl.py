"""Checks of generated SPL: the search parses in rulec's SPL-subset evaluator
(translator/engines/spl_eval, written from Splunk's documentation), and every Test of the rule
runs through it on the Splunk event the mapping's reverse projection makes of the test log.

The Splunk event: the test log with its keys in the schema's spelling (Panther reads keys
case-insensitively; the ingested log has the schema's spelling), projected to the flat record
(``a.b``, ``a{}.c`` multivalue, ``sourcetype``, ``index``), plus the log's own leaves at their
documented fallback names for paths the mapping cannot place but does not declare absent (the
backend writes those names with a warning), and ``_raw`` the event's JSON as Splunk extracts
those fields from it: wrapped under the source's name prefix (``data.`` for add-ons that wrap
events), a field the mapping renames at the path its Splunk name spells. A rule with a Threshold runs on Threshold copies of the event (and
must not alert on one fewer): Panther's unit tests check rule(), not the count.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from ..backends.base import Translation
from ..backends.spl import MAPPING_TARGET
from ..testing import effective_detection
from ..engines.spl_eval import SplError, parse, run
from ..evaluator import NotEvaluable, evaluate
from ..mapping import EACH, MappingError, MappingSet, ResolvedField, Unmapped
from ..mapping.naming import flat_name
from ..mapping.project import event_leaves, project_event, schema_spelling
from ..model import Rule
from .base import EngineReport, TestCheck, type_conflicts

ENGINE = "rulec spl_eval (SPL subset evaluator from Splunk's documentation)"


@dataclass
class TestResult:
    __test__ = False

    name: str
    expected: bool
    matched: bool | None
    evaluator: bool | None = None
    error: str = ""
    # Panther fields the mapping puts in one Splunk field that this test gives different
    # values: the target cannot hold such an event (one of the values is lost)
    collisions: tuple = ()
    # fields whose test value has another JSON type than the schema gives them
    type_conflicts: tuple = ()


@dataclass
class Verification:
    rule_id: str
    syntax_ok: bool
    syntax_errors: list = field(default_factory=list)
    tests: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def raw_document(mappings: MappingSet, log_type: str, event: dict) -> Any:
    """The JSON Splunk holds in ``_raw`` for ``event`` (keys already in the schema's spelling).
    Splunk names a JSON field by its path, so a field the mapping renames (the CrowdStrike
    add-on's top-level ``ImageFileName`` for Panther's ``event.ImageFileName``) sits where its
    Splunk name points; ``spath(_raw, name)`` then reads the same value as the field."""
    tm = mappings.target_mapping(log_type, MAPPING_TARGET)
    prefix = tm.name_prefix if tm else ""
    doc: Any = copy.deepcopy(event)
    for entry in tm.entries if tm else ():
        path, name = tuple(entry.path), entry.name
        if name.startswith("_") or "{}" in name or name == prefix + flat_name(path)[0] \
                or any(not isinstance(s, str) or s == EACH for s in path):
            continue  # Splunk's own fields (_time), arrays, names that are the path already
        parent = doc
        for step in path[:-1]:
            parent = parent.get(step) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        value = parent.pop(path[-1])
        node = doc
        steps = name[len(prefix):].split(".") if name.startswith(prefix) else name.split(".")
        for step in steps[:-1]:
            node = node.setdefault(step, {}) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.setdefault(steps[-1], value)
    for part in reversed([p for p in prefix.split(".") if p]):
        doc = {part: doc}
    return doc


def splunk_event(mappings: MappingSet, log_type: str, event: dict) -> dict:
    event = schema_spelling(mappings, log_type, event)
    record = project_event(mappings, log_type, MAPPING_TARGET, event)
    for path, value in event_leaves(event):
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
    record["_raw"] = json.dumps(raw_document(mappings, log_type, event), sort_keys=True)
    return record


def collisions(mappings: MappingSet, log_type: str, event: dict) -> tuple[str, ...]:
    """Splunk fields that two Panther fields of ``event`` map to with different values
    (``event.event_platform`` and ``event_platform`` are both the CrowdStrike add-on's
    ``event_platform``): real logs agree on them, a test event may not."""
    event = schema_spelling(mappings, log_type, event)
    seen: dict = {}
    for path, value in event_leaves(event):
        if EACH in path or isinstance(value, (dict, list)):
            continue
        r = mappings.resolve(log_type, MAPPING_TARGET, path)
        if isinstance(r, ResolvedField) and r.name and not r.steps:
            seen.setdefault(r.name, {}).setdefault(".".join(path), value)
    return tuple(f"{name}: " + ", ".join(f"{p}={v!r}" for p, v in by_path.items())
                 for name, by_path in sorted(seen.items())
                 if len(by_path) > 1 and len({json.dumps(v) for v in by_path.values()}) > 1)


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
        lt = _log_type(rule, event)
        clash = collisions(mappings, lt, event) if matched != ev else ()
        typed = tuple(type_conflicts(mappings, lt, MAPPING_TARGET, expr, event)) \
            if matched != ev and expr is not None else ()
        result.tests.append(TestResult(test.name, test.expected_result, matched, ev,
                                       collisions=clash, type_conflicts=typed))
    return result


def run_correlation(plan, tm) -> bool:
    """Whether the SPL correlation layer fires on one test's matches (``TestMatches``): the
    backend's own search over step searches of the test's matches (one event each), "now" at
    the test's latest match, run in the SPL evaluator."""
    from ..backends.spl_correlation import correlation_search, test_events, test_searches
    from .correlation import NotExecutable

    events, now = test_events(plan, tm)
    try:
        return bool(run(correlation_search(plan, test_searches(plan), now), events))
    except SplError as exc:
        raise NotExecutable(f"SPL evaluator: {exc}") from None


def check(rule: Rule, translation: Translation, mappings: MappingSet, options=None) -> EngineReport:
    """``rulec verify``'s protocol (translator/verify/base.py)."""
    if rule.correlation is not None:
        from .correlation import check_correlation
        try:
            parse(translation.query)
            errors = []
        except SplError as exc:
            errors = [str(exc)]
        return check_correlation(rule, "spl", ENGINE, run_correlation, errors)
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
