"""YARA-L verification for `rulec verify` (protocol: translator/verify/base.py).

1. Syntax: the rule parses with yaraast (PyPI; parses all 891 rules of Google's public
   chronicle/detection-rules) and with rulec's own documentation-based parser
   (translator/engines/yaral_eval.py, stricter on the events grammar); tree-sitter-yaral, where
   installed, is recorded in a note when it disagrees (it rejects some valid rules; not a gate).
2. Fields: every UDM field the rule reads is in the UDM field list (translator/data/
   udm_fields.yaml); an unknown field is a syntax error.
3. Semantics: each Test event is projected to a UDM event by the mapping (target chronicle) and
   the events section evaluated there; agreement with ExpectedResult and with the reference
   evaluator is reported. Unmapped fields are placed where the backend's fallback reads them
   (``additional.fields["<path>"]``), as a parser keeping unmapped data would.
"""
from __future__ import annotations


from ..backends.base import Translation
from ..evaluator import NotEvaluable, evaluate
from ..mapping import EACH, MappingError, MappingSet, Unmapped, project_event
from ..mapping.project import _set_label, event_leaves, schema_spelling
from ..mapping.udm import lookup
from ..model import Rule
from ..testing import effective_detection
from .base import EngineReport, TestCheck


def yaraast_errors(text: str) -> list[str]:
    try:
        from yaraast.yaral import YaraLParser
    except ImportError:  # pragma: no cover
        return ["yaraast is not installed"]
    try:
        YaraLParser(text).parse()
    except Exception as exc:  # noqa: BLE001 - yaraast raises its own error types
        return [f"yaraast: {type(exc).__name__}: {exc}"]
    return []


def tree_sitter_errors(text: str) -> list[str] | None:
    """Error nodes tree-sitter-yaral reports (None when it is not installed)."""
    try:
        import tree_sitter_yaral
        from tree_sitter import Language, Parser
    except ImportError:
        return None
    tree = Parser(Language(tree_sitter_yaral.language())).parse(text.encode("utf-8"))
    out: list[str] = []

    def walk(n):
        if n.type == "ERROR" or n.is_missing:
            out.append(f"line {n.start_point[0] + 1}: {'missing ' + n.type if n.is_missing else 'error'}")
        for c in n.children:
            walk(c)
    walk(tree.root_node)
    return out


def tree_sitter_gaps(text: str) -> str:
    """Why tree-sitter-yaral rejects ``text`` when the reason is one of its known gaps: it
    parses the rule once the documented ``options`` section and ``nocase`` after a function
    call are taken out ("" when it still fails, or parses as is)."""
    import re
    stripped = re.sub(r"\n  options:\n(    .*\n)+", "\n", text)
    stripped = stripped.replace(") nocase", ")")
    if tree_sitter_errors(stripped) == []:
        gaps = [g for g, present in (("an options section", stripped != text.replace(") nocase", ")")),
                                     ("nocase after a function call", ") nocase" in text)) if present]
        return ", ".join(gaps)
    return ""


def udm_record(mappings: MappingSet, log_type: str, event: dict) -> dict:
    event = schema_spelling(mappings, log_type, event)
    record = project_event(log_type, "chronicle", event, mappings=mappings)
    for path, value in event_leaves(event):
        r = mappings.resolve(log_type, "chronicle", path)
        if isinstance(r, Unmapped) and r.fallback is not None and value is not None \
                and EACH not in path and "does not hold" not in r.reason:
            name = r.fallback.name  # additional.fields["<path>"]
            _set_label(record, name.split("[")[0], name.split('["', 1)[1][:-2], value)
    return record


def syntax_errors(text: str) -> tuple[list[str], list]:
    """(errors of yaraast, rulec's parser and the UDM field list; the parsed rules)."""
    from ..engines.yaral_eval import YaralSyntaxError, parse
    errors = yaraast_errors(text)
    try:
        parsed = parse(text)
    except YaralSyntaxError as exc:
        errors.append(f"rulec parser: {exc}")
        parsed = []
    for r in parsed:
        errors += [f"unknown UDM field {f}" for f in r.fields() if lookup(f) is None]
    return errors, parsed


def run_correlation(plan, tm) -> bool:
    """Whether the YARA-L multi-event rule fires on one test's matches (``TestMatches``): the
    backend's own rule text with step filters naming UDM events made of the matches, evaluated
    over the run's time range (the lookback window ending at the latest match)."""
    from ..backends.yaral_correlation import correlation_rule, test_parts
    from ..engines.yaral_eval import YaralSyntaxError, detect_multi, parse
    from .correlation import NotExecutable

    filters, keys, events = test_parts(plan, tm)
    text = correlation_rule(plan, "rulec_check", [], filters, keys, 10)
    try:
        return detect_multi(parse(text)[0], events)
    except YaralSyntaxError as exc:
        raise NotExecutable(f"yaral_eval: {exc}") from None


def check(rule: Rule, translation: Translation, mappings: MappingSet, options=None) -> EngineReport:
    from ..engines.yaral_eval import YaralSyntaxError, matches
    import importlib.metadata as md
    text = translation.query
    report = EngineReport(rule.id, "yaral", "yaraast {} + rulec yaral_eval (RE2)".format(
        md.version("yaraast")))
    if not text:
        report.syntax_ok = False
        report.syntax_errors = ["no YARA-L was generated"]
        return report
    if rule.correlation is not None:
        from .correlation import check_correlation
        return check_correlation(rule, "yaral", report.engine, run_correlation,
                                 syntax_errors(text)[0])
    errors, parsed = syntax_errors(text)
    ts = tree_sitter_errors(text)
    if ts and not errors:
        gaps = tree_sitter_gaps(text)
        report.notes.append("tree-sitter-yaral disagrees (not a gate): " + (
            f"it lacks {gaps} (documented YARA-L)" if gaps else "; ".join(ts[:3])))
    report.syntax_ok = not errors
    report.syntax_errors = errors
    if errors:
        return report
    yrule = parsed[0]
    expr = effective_detection(rule)
    for test in rule.tests:
        event = test.log
        lt = event.get("p_log_type") if isinstance(event, dict) else None
        log_type = lt if lt in rule.log_types else rule.log_types[0]
        try:
            matched = matches(yrule, udm_record(mappings, log_type, event))
        except (MappingError, YaralSyntaxError, ValueError, TypeError) as exc:
            report.tests.append(TestCheck(test.name, test.expected_result, None,
                                          f"{type(exc).__name__}: {exc}"))
            continue
        report.tests.append(TestCheck(test.name, test.expected_result, matched))
        try:
            ref = evaluate(expr, event) if expr is not None else None
        except NotEvaluable:
            ref = None
        if ref is not None and ref != matched:
            report.notes.append(f"{test.name!r}: YARA-L {matched}, reference evaluator {ref}")
    report.executed = any(t.matched is not None for t in report.tests)
    if rule.threshold > 1:
        report.notes.append("threshold: each test is one event (the events section); counting "
                            "is exercised by the engine tests")
    if translation.verdict != "exact":
        report.notes.append(f"translation is {translation.verdict}: " + "; ".join(
            f"{f.construct}: {f.reason}" for f in translation.findings
            if f.severity in ("partial", "unsupported")))
    return report
