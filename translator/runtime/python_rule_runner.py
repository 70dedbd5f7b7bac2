"""Run a Python rule's unit tests the way panther_analysis_tool's ``test`` command does, in a
sandboxed child process (see ``sandbox``).

Semantics followed (panther_analysis_tool 1.x, non-batch test mode):

* The rule module is imported fresh from its file for every rule (module name = rule id, not
  registered in ``sys.modules``); global helpers are importable from the helper directories,
  Panther's own packages from ``shims/``.
* Each test's log becomes a ``PantherEvent`` whose data model is the one registered for the
  log's ``p_log_type`` (none for scheduled rules, none when ``p_log_type`` is absent).
* ``Mocks`` replace attributes of the rule module with ``MagicMock(return_value=returnValue)``
  for the duration of the test (``unittest.mock.patch.multiple``); return values are used as
  given (a YAML string stays a string). Mocking a name the module lacks fails the test.
* ``rule(event)`` must return a bool. The auxiliary functions (title, dedup, alert_context,
  severity, destinations, description, reference, runbook, unique) run when defined; their
  errors fail a test that expects an alert, as in Panther.
* InlineFilters are not applied (panther_analysis_tool skips them without a backend too).
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Iterable
from unittest.mock import MagicMock, patch  # imported here, once, not in every child

from translator.model import RuleTest

from .data_models import DataModelError, DataModelRegistry, build_data_model, load_data_models_cached
from .event import PantherEvent, json_encoder
from .sandbox import Limits, Outcome, describe_exception, imap_isolated
from .zygote import imap_preloaded

__all__ = ["RuleJob", "TestOutcome", "RuleRunResult", "run_rule_tests", "run_many_rule_tests",
           "run_rule_tests_in_this_process",
           "SHIMS_DIR", "AUX_FUNCTIONS"]

SHIMS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shims")
SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# Order as Panther evaluates them; dedup falls back to the title.
AUX_FUNCTIONS = ("title", "description", "reference", "severity", "runbook", "destinations",
                 "dedup", "alert_context", "unique")
_MAX_FIELD = 1000  # Panther truncates generated strings to this many characters
_TRUNCATED = "... (truncated)"


@dataclass(frozen=True)
class RuleJob:
    rule_id: str
    python_file: str
    tests: tuple = ()  # translator.model.RuleTest
    log_types: tuple = ()
    helper_dirs: tuple = ()  # directories holding global helpers (importable by module name)
    data_model_paths: tuple = ()  # data model YAML files, or directories searched for them
    analysis_type: str = "rule"  # rule | scheduled_rule
    severity: str = ""  # the YAML Severity: what severity() "DEFAULT" means
    timeout_s: float = 10.0  # per test (rule() plus its auxiliary functions), and for import
    memory_mb: int = 1024
    # Not Panther: use the rule's only LogType when a test log has no p_log_type.
    infer_log_type: bool = False


@dataclass(frozen=True)
class TestOutcome:
    name: str
    expected: bool
    matched: bool | None  # rule() verdict; None when it produced none (see error)
    error: str = ""  # one line: why rule() gave no verdict / the test could not run
    outputs: dict = field(default_factory=dict)  # aux function name -> value (JSON-like)
    aux_errors: dict = field(default_factory=dict)  # aux function name -> one-line error
    output: str = ""  # what the test printed

    @property
    def agrees(self) -> bool:
        """rule() returned the expected verdict (auxiliary functions ignored)."""
        return self.matched is not None and self.matched == self.expected

    @property
    def passed(self) -> bool:
        """Panther's verdict: an expected alert also needs every auxiliary function to work."""
        if not self.agrees:
            return False
        return not (self.expected and self.aux_errors)


@dataclass(frozen=True)
class RuleRunResult:
    rule_id: str
    python_file: str
    tests: tuple = ()  # TestOutcome, in job order
    error: str = ""  # rule-level failure (import error, crash, timeout), "" if none
    output: str = ""  # everything the child printed outside tests (module import etc.)
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.error and all(t.passed for t in self.tests)


# --------------------------------------------------------------------------- child side
class _TestTimeout(BaseException):
    """Raised by the alarm; a BaseException so that rule code's ``except Exception`` cannot
    swallow it."""


def _alarm(_signum, _frame):
    raise _TestTimeout()


@contextlib.contextmanager
def _time_limit(seconds: float):
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class _Context:
    """Per-child state: user roots for error locations, data models built on demand."""

    def __init__(self, job: RuleJob, registry: DataModelRegistry):
        self.job = job
        self.registry = registry
        self.models: dict[str, Any] = {}
        roots = [os.path.dirname(os.path.abspath(job.python_file))]
        roots += [os.path.abspath(d) for d in job.helper_dirs]
        roots += [os.path.dirname(os.path.abspath(p)) if os.path.isfile(p) else os.path.abspath(p)
                  for p in job.data_model_paths]
        self.user_roots = tuple(r.rstrip(os.sep) + os.sep for r in roots)

    def describe(self, exc: BaseException) -> str:
        if isinstance(exc, DataModelError):
            return str(exc)
        location, message = describe_exception(exc, self.user_roots)
        if isinstance(exc, _TestTimeout):  # location: where user code was when time ran out
            message = f"timed out after {self.job.timeout_s:g}s"
            if not location.startswith(self.user_roots):
                location = self.job.python_file
        return f"{location or self.job.python_file}: {message}"

    def data_model(self, log: Any):
        if self.job.analysis_type == "scheduled_rule":
            return None
        log_type = log.get("p_log_type") or ""
        if not log_type and self.job.infer_log_type and len(self.job.log_types) == 1:
            log_type = self.job.log_types[0]
        spec = self.registry.for_log_type(log_type) if log_type else None
        if spec is None:
            return None
        if spec.id not in self.models:
            self.models[spec.id] = _PRELOADED_MODELS.get(spec.id) or build_data_model(spec)
        return self.models[spec.id]


def _load_rule_module(job: RuleJob):
    spec = importlib.util.spec_from_file_location(job.rule_id or "rule", job.python_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {job.python_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_FIELD else text[: _MAX_FIELD - len(_TRUNCATED)] + _TRUNCATED


def _check_str(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name}() returned {type(value).__name__}, expected str")
    return value


def _aux_value(name: str, value: Any, job: RuleJob) -> Any:
    """Panther's validation/normalisation of an auxiliary function's return value."""
    if name == "alert_context":
        if not isinstance(value, Mapping):
            raise TypeError(f"alert_context() returned {type(value).__name__}, expected a mapping")
        return json.loads(json.dumps(value, default=json_encoder, allow_nan=False))
    if name == "destinations":
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(x, (str, bool)) for x in value):
            raise TypeError(f"destinations() returned {type(value).__name__}, expected a list of str")
        return value or ["SKIP"]
    if name == "severity":
        severity = _check_str(name, value).upper()
        if severity == "DEFAULT":
            return job.severity.upper() or None
        if severity not in SEVERITIES:
            raise ValueError(f"severity() returned {value!r}, expected one of {', '.join(SEVERITIES)} or DEFAULT")
        return severity
    if name in ("dedup",):
        text = _check_str(name, value)
        return _truncate(text) if text else f"defaultDedupString:{job.rule_id}"
    if name == "unique" and value is None:
        return None
    return _truncate(_check_str(name, value))


def _run_one_test(ctx: _Context, module: Any, test: RuleTest) -> TestOutcome:
    job = ctx.job
    printed = io.StringIO()
    outputs: dict = {}
    aux_errors: dict = {}
    matched = None
    error = ""
    try:
        with contextlib.ExitStack() as stack, _time_limit(job.timeout_s):
            stack.enter_context(contextlib.redirect_stdout(printed))
            stack.enter_context(contextlib.redirect_stderr(printed))
            log = test.log
            if not isinstance(log, Mapping):  # panther_analysis_tool fails such a test too
                return TestOutcome(test.name, test.expected_result, None,
                                   f"{job.python_file}: test {test.name!r}: Log is "
                                   f"{type(log).__name__}, not a mapping")
            try:
                event = PantherEvent(log, ctx.data_model(log))
            except Exception as exc:  # noqa: BLE001 - a data model's import is user code
                return TestOutcome(test.name, test.expected_result, None, ctx.describe(exc))
            mocks = {m.name: MagicMock(return_value=m.return_value) for m in test.mocks}
            missing = [name for name in mocks if not hasattr(module, name)]
            if missing:
                return TestOutcome(test.name, test.expected_result, None,
                                   f"{job.python_file}: cannot mock {', '.join(missing)}: "
                                   "the rule module has no such attribute")
            if mocks:
                stack.enter_context(patch.multiple(module, **mocks))
            matcher = getattr(module, "rule", None)
            try:
                if matcher is None:
                    if job.analysis_type != "scheduled_rule":
                        raise AttributeError(f"{job.python_file} defines no rule(event) function")
                    result = True  # scheduled rules without rule() pass every row through
                else:
                    result = matcher(event)
                if not isinstance(result, bool):
                    raise TypeError(f"rule() returned {type(result).__name__}, expected bool")
                matched = result
            except _TestTimeout:
                raise
            except BaseException as exc:  # noqa: BLE001 - user code may raise anything
                error = ctx.describe(exc)
            if matched or test.expected_result:
                for name in AUX_FUNCTIONS:
                    func = getattr(module, name, None)
                    if func is None:
                        if name == "dedup":  # Panther dedups on the title, else on the rule id
                            outputs["dedup"] = outputs.get("title") or f"defaultDedupString:{job.rule_id}"
                        continue
                    try:
                        outputs[name] = _aux_value(name, func(event), job)
                    except _TestTimeout:
                        raise
                    except BaseException as exc:  # noqa: BLE001
                        aux_errors[name] = ctx.describe(exc)
    except _TestTimeout as exc:
        return TestOutcome(test.name, test.expected_result, None, ctx.describe(exc),
                           output=printed.getvalue())
    return TestOutcome(test.name, test.expected_result, matched, error, outputs, aux_errors,
                       printed.getvalue())


def _use_import_paths(helper_dirs: Iterable[str]) -> None:
    """Our Panther stand-ins first; helper directories last, as panther_analysis_tool appends
    its helper directory to ``sys.path``."""
    if SHIMS_DIR not in sys.path:
        sys.path.insert(0, SHIMS_DIR)
    for path in helper_dirs:
        if path not in sys.path:
            sys.path.append(path)


_PRELOADED_MODELS: dict = {}  # data model id -> DataModel, built once in a zygote


def _preload(group: tuple) -> None:
    """Zygote entry: import every global helper and build every data model once, so each
    rule's child starts with them (a failing one is left for the rules to report)."""
    helper_dirs, data_model_paths = group
    _use_import_paths(helper_dirs)
    for directory in helper_dirs:
        for name in sorted(os.listdir(directory)):
            if name.endswith(".py") and name[:-3].isidentifier() and not name.endswith("_test.py"):
                try:
                    importlib.import_module(name[:-3])
                except (Exception, SystemExit):  # noqa: BLE001 - user code; rules report it
                    sys.modules.pop(name[:-3], None)
    for spec in load_data_models_cached(tuple(data_model_paths)).models:
        try:
            _PRELOADED_MODELS[spec.id] = build_data_model(spec)
        except (Exception, SystemExit):  # noqa: BLE001
            pass


def run_rule_tests_in_this_process(job: RuleJob) -> RuleRunResult:
    """Import the rule and run its tests in the calling process, which must already be a
    sandboxed child (e.g. one batch of rules per child, as `rulec coverage` does)."""
    return _execute_job(job)


def _execute_job(job: RuleJob) -> RuleRunResult:
    """Child-process entry: import the rule and run all its tests."""
    _use_import_paths(job.helper_dirs)
    registry = load_data_models_cached(tuple(job.data_model_paths))
    ctx = _Context(job, registry)
    try:
        with _time_limit(job.timeout_s):
            module = _load_rule_module(job)
    except BaseException as exc:  # noqa: BLE001 - import runs arbitrary user code
        return _failed(job, ctx.describe(exc))
    return RuleRunResult(job.rule_id, job.python_file,
                         tuple(_run_one_test(ctx, module, t) for t in job.tests))


# --------------------------------------------------------------------------- parent side
def _failed(job: RuleJob, error: str, output: str = "", duration: float = 0.0) -> RuleRunResult:
    tests = tuple(TestOutcome(t.name, t.expected_result, None, error) for t in job.tests)
    return RuleRunResult(job.rule_id, job.python_file, tests, error, output, duration)


def _limits(job: RuleJob) -> Limits:
    # The child enforces the per-test limit itself; this outer limit only catches what a
    # signal cannot interrupt (a hang in native code), so it covers import plus every test.
    return Limits(timeout_s=job.timeout_s * (len(job.tests) + 1) + 5.0, memory_mb=job.memory_mb)


def _finish(job: RuleJob, outcome: Outcome) -> RuleRunResult:
    if outcome.ok:
        result: RuleRunResult = outcome.value
        return RuleRunResult(result.rule_id, result.python_file, result.tests, result.error,
                             outcome.output, outcome.duration_s)
    message = outcome.error.message if outcome.error.kind != "exception" else str(outcome.error)
    return _failed(job, f"{job.python_file}: {message}", outcome.output, outcome.duration_s)


def _prepare(job: RuleJob) -> None:
    # Parse data model YAMLs once in the parent; forked children inherit the parsed registry.
    load_data_models_cached(tuple(job.data_model_paths))


PRELOAD_MIN_JOBS = 8  # below this, preloading every helper costs more than it saves


def run_many_rule_tests(jobs: Iterable[RuleJob], workers: int = 2,
                        preload: bool | None = None) -> list[RuleRunResult]:
    """Every job's tests, ``workers`` rules at a time, each rule in its own child; results in
    job order. A rule that crashes or hangs gets an error; the others still run.

    ``preload`` (default: when there are at least PRELOAD_MIN_JOBS jobs) forks the rules of
    each helper/data-model set from a zygote that imported the helpers once (see ``zygote``).
    """
    jobs = list(jobs)
    for job in jobs:
        _prepare(job)
    groups: dict[tuple, list[int]] = {}
    for index, job in enumerate(jobs):
        groups.setdefault((tuple(job.helper_dirs), tuple(job.data_model_paths)), []).append(index)
    results: list[RuleRunResult | None] = [None] * len(jobs)
    for group, indexes in groups.items():
        members = [jobs[i] for i in indexes]
        if preload or (preload is None and len(members) >= PRELOAD_MIN_JOBS):
            stream = imap_preloaded(_execute_job, members, preload=_preload, preload_arg=group,
                                    preload_timeout=30.0,
                                    workers=workers, limits_of=_limits)
        else:
            stream = imap_isolated(_execute_job, members, workers=workers, limits_of=_limits)
        for j, outcome in stream:
            results[indexes[j]] = _finish(members[j], outcome)
    return results  # type: ignore[return-value]


def run_rule_tests(job: RuleJob) -> RuleRunResult:
    """Run one rule's tests in a sandboxed child process."""
    return run_many_rule_tests([job], workers=1)[0]
