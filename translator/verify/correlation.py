"""`rulec verify` for correlation rules, shared by every target: each Test's RuleOutputs (the
sub-rules' matches) become the target's step sources, the correlation layer the backend emits
runs on the target's engine over them, and whether it fires is compared with ExpectedResult
and with the reference evaluator (translator/correlation.py). The sub-rules' own queries are
checked by their own Tests."""
from __future__ import annotations

from typing import Callable

from ..backends.correlation_plan import CorrelationPlan, TestMatches, plan_correlation, matches_of_test
from ..correlation import CorrelationTestError, evaluate_correlation
from ..model import Rule
from .base import EngineReport, TestCheck

__all__ = ["check_correlation", "NotExecutable"]


class NotExecutable(Exception):
    """The engine cannot run this correlation (the reason is reported, never a pass)."""


def check_correlation(rule: Rule, target: str, engine: str,
                      run: Callable[[CorrelationPlan, TestMatches], bool],
                      syntax_errors: list | None = None) -> EngineReport:
    """``run(plan, matches)``: whether the target's correlation fires on one test's matches
    (raises NotExecutable when the engine cannot run it). ``syntax_errors``: None when no
    parser checked the emitted text, else its errors."""
    report = EngineReport(rule.id, target, engine,
                          syntax_ok=None if syntax_errors is None else not syntax_errors,
                          syntax_errors=list(syntax_errors or []))
    if syntax_errors:
        return report
    plan = plan_correlation(rule)
    if plan.unsupported:
        report.notes.append("not lowered: " + "; ".join(plan.unsupported))
        return report
    for test in rule.tests:
        outputs = test.log.get("RuleOutputs") if isinstance(test.log, dict) else None
        try:
            matches = matches_of_test(plan, outputs)
            reference = evaluate_correlation(rule.correlation, outputs)
        except CorrelationTestError as exc:
            report.tests.append(TestCheck(test.name, test.expected_result, None, str(exc)))
            continue
        try:
            fired = run(plan, matches)
        except NotExecutable as exc:
            report.tests.append(TestCheck(test.name, test.expected_result, None, str(exc)))
            continue
        report.tests.append(TestCheck(test.name, test.expected_result, fired))
        if fired != reference:
            report.notes.append(f"{test.name!r}: {target} {fired}, reference evaluator {reference}")
    report.executed = any(t.matched is not None for t in report.tests)
    return report
