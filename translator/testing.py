"""Running rules' Tests: the real Python rule (sandboxed) and the canonical model side by side.

The real Python rule is the oracle. The canonical model (a YAML detection, or what the Python
frontend extracted) must reproduce ExpectedResult on the same events through the reference
evaluator; ``rulec test`` fails on either disagreement.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .evaluator import NotEvaluable, evaluate
from .model import All, Rule


@dataclass
class TestReport:
    __test__ = False  # not a pytest test class

    name: str
    expected: bool
    mocked: bool = False
    python_matched: bool | None = None  # None: no Python rule, or it gave no verdict
    python_error: str = ""
    python_passed: bool = False
    aux_errors: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    model_matched: bool | None = None  # None: no canonical detection, or not evaluable
    model_error: str = ""

    @property
    def model_agrees(self) -> bool:
        return self.model_matched is not None and self.model_matched == self.expected

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", {}, None)} | {
            "expected": self.expected}


@dataclass
class RuleReport:
    rule_id: str
    source_file: str
    has_python: bool
    has_model: bool
    tests: list = field(default_factory=list)
    error: str = ""  # rule-level: import error, crash, timeout

    @property
    def passed(self) -> bool:
        if self.error or not (self.has_python or self.has_model):
            return False  # nothing ran: never a pass
        for t in self.tests:
            if self.has_python and not t.python_passed:
                return False
            # A model that answers must answer right; one that cannot be evaluated (a partial
            # extraction holding an opaque construct) is shown as n/a, not as a failure.
            if self.has_model and t.model_matched is not None and not t.model_agrees:
                return False
        return True

    @property
    def python_cell(self) -> str:
        if not self.has_python:
            return "-"
        return "error" if self.error else f"{sum(t.python_passed for t in self.tests)}/{len(self.tests)}"

    @property
    def model_cell(self) -> str:
        if not self.has_model:
            return "-"
        evaluable = [t for t in self.tests if t.model_matched is not None]
        na = len(self.tests) - len(evaluable)
        cell = f"{sum(t.model_agrees for t in evaluable)}/{len(evaluable)}" if evaluable else ""
        return (cell + (f"+{na}na" if cell else "n/a")) if na else cell

    def failure_lines(self) -> list[str]:
        lines = [f"error: {self.error}"] if self.error else []
        if not (self.has_python or self.has_model):
            lines.append("no Python rule and no canonical detection: nothing to test")
        for t in self.tests:
            if self.has_python and not t.python_passed and not self.error:
                if t.python_error:
                    got = f"error: {t.python_error}"
                elif t.python_matched != t.expected:
                    got = f"rule() returned {t.python_matched}"
                else:
                    got = "; ".join(f"{k}(): {v}" for k, v in sorted(t.aux_errors.items()))
                lines.append(f"python  {t.name!r}: expected {t.expected}, {got}")
            if self.has_model and t.model_matched is not None and not t.model_agrees:
                got = f"matched {t.model_matched}"
                lines.append(f"model   {t.name!r}: expected {t.expected}, {got}")
        return lines

    def to_dict(self) -> dict:
        return {"rule_id": self.rule_id, "source_file": self.source_file, "passed": self.passed,
                "error": self.error, "tests": [t.to_dict() for t in self.tests]}


def effective_detection(rule: Rule):
    """The rule's detection with its InlineFilters AND-ed in front; None when there is none,
    or when the frontend judged its extraction unusable (verdict unsupported). A mismatch
    stays: `rulec test` must show it failing."""
    if rule.detection is None:
        return None
    if rule.extraction is not None and rule.extraction.verdict in ("unsupported", "none"):
        return None
    if rule.inline_filters is None:
        return rule.detection
    return All((rule.inline_filters, rule.detection))


def _correlation_side(rule: Rule, report: RuleReport) -> None:
    from .correlation import CorrelationTestError, evaluate_correlation

    report.has_model = True
    for test, tr in zip(rule.tests, report.tests):
        try:
            tr.model_matched = evaluate_correlation(rule.correlation, test.log.get("RuleOutputs"))
        except CorrelationTestError as exc:
            tr.model_error = f"bad RuleOutputs: {exc}"


def _model_side(rule: Rule, report: RuleReport) -> None:
    if rule.analysis_type == "correlation_rule" and rule.correlation is not None:
        _correlation_side(rule, report)
        return
    expr = effective_detection(rule)
    report.has_model = expr is not None
    if expr is None:
        return
    for test, tr in zip(rule.tests, report.tests):
        try:
            tr.model_matched = evaluate(expr, test.log)
        except NotEvaluable as exc:
            tr.model_error = f"not evaluable: {exc}"


def run_tests(rules: list[Rule], loaded, *, jobs: int = 2, timeout: float = 10.0,
              model: bool = True) -> list[RuleReport]:
    """Run the Tests of ``rules`` (from ``loaded``, a LoadResult giving helpers and data
    models). Returns one report per rule, in input order."""
    from .runtime.python_rule_runner import RuleJob, run_many_rule_tests

    reports = []
    python_jobs = []
    for rule in rules:
        report = RuleReport(rule.id, rule.source_file, has_python=bool(rule.python_file),
                            has_model=False)
        report.tests = [TestReport(t.name, t.expected_result, mocked=bool(t.mocks))
                        for t in rule.tests]
        reports.append(report)
        if rule.python_file and rule.analysis_type != "correlation_rule":
            python_jobs.append((report, RuleJob(
                rule_id=rule.id, python_file=rule.python_file, tests=rule.tests,
                log_types=rule.log_types, helper_dirs=tuple(str(d) for d in loaded.helper_dirs),
                data_model_paths=tuple(str(p) for p in loaded.data_model_files),
                analysis_type=rule.analysis_type, severity=rule.severity, timeout_s=timeout)))
        if model:
            _model_side(rule, report)
    results = run_many_rule_tests([job for _, job in python_jobs], workers=jobs)
    for (report, _job), result in zip(python_jobs, results):
        report.error = result.error
        for tr, outcome in zip(report.tests, result.tests):
            tr.python_matched = outcome.matched
            tr.python_error = outcome.error
            tr.python_passed = outcome.passed
            tr.aux_errors = dict(outcome.aux_errors)
            tr.outputs = dict(outcome.outputs)
    return reports
