"""Extraction of a whole rules tree with verdicts.

Per rule, in sandboxed children (rule code is user code): the real rule on its tests
(translator.runtime.python_rule_runner) and the symbolic extraction. In the parent: the
extracted detection evaluated on each test (translator.evaluator) against the real result.

Verdict: ``exact`` (no opaque part, agrees with the real rule on every comparable test),
``partial`` (an opaque part, agrees where evaluable), ``unsupported`` (no usable detection),
``mismatch`` (disagrees with the real rule on a test: a frontend bug).
Tests whose real run raised or that use Mocks are not comparable and counted apart.
"""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field as dc_field, replace
from typing import Any

from ...evaluator import NotEvaluable, evaluate
from ...model import Expr, Extraction, Rule
from ...runtime.data_models import load_data_models_cached
from ...runtime.python_rule_runner import RuleJob, RuleRunResult, run_rule_tests_in_this_process
from ...runtime.sandbox import Limits, imap_isolated
from .errors import Timeout
from .extract import Extractor, PythonExtraction

FRONTEND = "python-symbolic"
EXTRACT_TIMEOUT_S = 10.0


@dataclass
class TestComparison:
    name: str
    real: bool | None  # the real rule's verdict (None: it raised)
    model: bool | None  # the extraction's (None: not evaluable / not compared)
    status: str  # agree | disagree | real-error | mocked | not-evaluable
    detail: str = ""


@dataclass
class RuleExtraction:
    rule_id: str
    source_file: str
    log_types: tuple
    verdict: str
    reasons: list = dc_field(default_factory=list)
    paths: int = 0
    notes: list = dc_field(default_factory=list)
    tests: list = dc_field(default_factory=list)  # TestComparison
    extraction: PythonExtraction | None = None
    seconds: float = 0.0

    def counts(self) -> dict:
        out: dict = {}
        for t in self.tests:
            out[t.status] = out.get(t.status, 0) + 1
        return out

    def to_dict(self) -> dict:
        from ...model import expr_to_dict
        ex = self.extraction
        return {
            "rule_id": self.rule_id, "file": self.source_file, "log_types": list(self.log_types),
            "verdict": self.verdict, "reasons": self.reasons, "paths": self.paths,
            "notes": self.notes, "tests": self.counts(),
            "disagreements": [t.__dict__ for t in self.tests if t.status == "disagree"],
            "detection": expr_to_dict(ex.detection) if ex and ex.detection is not None else None,
            "title": ex.title.to_dict() if ex and ex.title else None,
            "dedup_key": [f.to_dict() for f in ex.dedup_key] if ex else [],
            "output_fields": [f.dotted for f in ex.output_fields] if ex else [],
            "dynamic_severities": [d.severity for d in ex.dynamic_severities] if ex else [],
            "other": ex.extras if ex else [],
            "seconds": round(self.seconds, 3),
        }

    def apply(self, rule: Rule) -> Rule:
        """The rule with what was extracted filled in."""
        ex = self.extraction
        extraction = Extraction(self.verdict, FRONTEND, tuple(self.reasons), self.paths)
        if ex is None:
            return replace(rule, extraction=extraction)
        outputs = tuple(dict.fromkeys(tuple(rule.output_fields) + tuple(ex.output_fields)))
        return replace(rule, detection=ex.detection, extraction=extraction, title=ex.title or rule.title,
                       dedup_key=ex.dedup_key or rule.dedup_key, output_fields=outputs,
                       dynamic_severities=ex.dynamic_severities or rule.dynamic_severities)


# --------------------------------------------------------------------------- child side
_EXTRACTOR: Extractor | None = None


def _on_alarm(_sig, _frame):
    raise Timeout("time limit", f"extraction took more than {EXTRACT_TIMEOUT_S:g}s of CPU time")


def _extract_child(rule: Rule) -> tuple[PythonExtraction, float]:
    """Extraction runs our tracer, not a rule that could sleep: its limit is CPU time
    (ITIMER_PROF), so that a verdict, and every output built from it, never depends on how
    loaded the machine is. The sandbox's wall-clock limit still bounds the whole child."""
    assert _EXTRACTOR is not None
    start = time.monotonic()
    signal.signal(signal.SIGPROF, _on_alarm)
    signal.setitimer(signal.ITIMER_PROF, EXTRACT_TIMEOUT_S)
    try:
        result = _EXTRACTOR.extract(rule)
    except Timeout as exc:
        result = PythonExtraction(reasons=[exc.describe()])
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return result, time.monotonic() - start


def _batch_child(batch: list) -> list:
    """One child runs a batch of rules (real tests, then extraction), each under its own time
    limits; Panther too runs many rules in one process sharing the helper modules."""
    out = []
    for rule, job in batch:
        real = run_rule_tests_in_this_process(job)
        ex, seconds = _extract_child(rule)
        out.append((real, ex, seconds))
    return out


def _run_batches(pairs: list, jobs: int, batch_size: int):
    """(index, real, extraction, seconds) per rule; a batch whose child dies is retried one
    rule per child so that one bad rule only fails itself."""
    batches = [list(range(i, min(i + batch_size, len(pairs)))) for i in range(0, len(pairs), batch_size)]

    def limits(batch):
        return Limits(timeout_s=sum(EXTRACT_TIMEOUT_S + 2 + job.timeout_s * (len(job.tests) + 1)
                                    for _, job in batch) + 10.0, memory_mb=2048)
    retry: list = []
    items = [[pairs[i] for i in b] for b in batches]
    for bi, outcome in imap_isolated(_batch_child, items, workers=jobs, limits_of=limits):
        if outcome.ok:
            for i, (real, ex, seconds) in zip(batches[bi], outcome.value):
                yield i, real, ex, seconds
        elif len(batches[bi]) > 1:
            retry.extend(batches[bi])
        else:
            i = batches[bi][0]
            rule, job = pairs[i]
            err = f"{rule.python_file}: {outcome.error}"
            yield i, _failed_run(job, err), PythonExtraction(reasons=[f"extraction failed: {err}"]), outcome.duration_s
    if retry:
        sub = [pairs[i] for i in retry]
        for j, real, ex, seconds in _run_batches(sub, jobs, 1):
            yield retry[j], real, ex, seconds


def _failed_run(job: RuleJob, error: str) -> RuleRunResult:
    from ...runtime.python_rule_runner import TestOutcome
    return RuleRunResult(job.rule_id, job.python_file,
                         tuple(TestOutcome(t.name, t.expected_result, None, error) for t in job.tests),
                         error)


# --------------------------------------------------------------------------- parent side
def _test_log(rule: Rule, log: Any) -> Any:
    """What the real runner sees: a test log of a single-LogType rule without p_log_type is
    of that log type (Panther events always carry p_log_type)."""
    if isinstance(log, dict) and "p_log_type" not in log and len(rule.log_types) == 1:
        log = dict(log, p_log_type=rule.log_types[0])
    return log


def _compare(rule: Rule, detection: Expr | None, real_tests: tuple) -> list[TestComparison]:
    out = []
    for test, real in zip(rule.tests, real_tests):
        if test.mocks:
            out.append(TestComparison(test.name, real.matched, None, "mocked"))
            continue
        if real.matched is None:
            out.append(TestComparison(test.name, None, None, "real-error", real.error))
            continue
        if detection is None:
            continue
        try:
            got = evaluate(detection, _test_log(rule, test.log))
        except NotEvaluable as exc:
            out.append(TestComparison(test.name, real.matched, None, "not-evaluable", str(exc)))
            continue
        status = "agree" if got == real.matched else "disagree"
        out.append(TestComparison(test.name, real.matched, got, status))
    return out


def _verdict(ex: PythonExtraction, tests: list) -> str:
    if ex.detection is None or ex.status == "unsupported":
        return "unsupported"
    if any(t.status == "disagree" for t in tests):
        return "mismatch"
    return ex.status


def warm_imports(files: list, local_names: set) -> None:
    """Import, in the parent, the libraries (not the helpers: those are user code) that rule and
    helper files import, so that every forked child starts with them loaded (boto3 alone costs
    ~0.1 s per child otherwise)."""
    import ast
    import importlib
    names: set = set()
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                tree = ast.parse(fh.read())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    for name in sorted(names):
        top = name.split(".")[0]
        if top in local_names or top.startswith("panther_"):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing library is reported by the rule's own run
            pass


def extract_tree(rules: list, loaded: Any, jobs: int = 2, progress=None,
                 batch_size: int = 12) -> list[RuleExtraction]:
    """Extract and verify every Python rule of ``rules`` (from panther_yaml.load_tree)."""
    global _EXTRACTOR
    rules = [r for r in rules if r.python_file and r.analysis_type in ("rule", "scheduled_rule")]
    jobs_real = [RuleJob(r.id, r.python_file, r.tests, r.log_types,
                         tuple(str(d) for d in loaded.helper_dirs),
                         tuple(str(f) for f in loaded.data_model_files), r.analysis_type,
                         r.severity, infer_log_type=True) for r in rules]
    _EXTRACTOR = Extractor([str(d) for d in loaded.helper_dirs],
                           [str(f) for f in loaded.data_model_files])
    helpers = _EXTRACTOR.loader.helper_files
    warm_imports(list(helpers.values()) + [r.python_file for r in rules], set(helpers))
    load_data_models_cached(tuple(str(f) for f in loaded.data_model_files))
    # Helpers and data models are shared by every child: compiled once here. Each rule file is
    # used by one child only, so it is compiled there, in parallel.
    _EXTRACTOR.precompile()
    results: list = [None] * len(rules)
    for index, real, ex, seconds in _run_batches(list(zip(rules, jobs_real)), jobs, batch_size):
        rule = rules[index]
        tests = _compare(rule, ex.detection, real.tests)
        verdict = _verdict(ex, tests)
        reasons = list(ex.reasons)
        if verdict == "mismatch":
            bad = [t.name for t in tests if t.status == "disagree"]
            reasons.insert(0, f"disagrees with the Python rule on test(s): {', '.join(bad)}")
        results[index] = RuleExtraction(rule.id, rule.source_file, rule.log_types, verdict,
                                        reasons, ex.paths, ex.notes, tests, ex, seconds)
        if progress:
            progress(results[index])
    return results
