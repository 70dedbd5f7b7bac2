"""`rulec test`: run every rule's Tests on the real Python rule (sandboxed child processes) and,
where a canonical detection exists, on the canonical model through the reference evaluator."""
from __future__ import annotations

import json
import os
import sys
from fnmatch import fnmatchcase

import click

from ..testing import RuleReport, run_tests


@click.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default=True, help="Child processes running rule code.")
@click.option("--timeout", type=click.FloatRange(0.1, 600), default=10.0, show_default=True,
              help="Seconds allowed per test (rule() and its auxiliary functions).")
@click.option("--rule", "rule_globs", multiple=True, metavar="GLOB",
              help="Only rules whose RuleID matches (repeatable).")
@click.option("--model/--no-model", default=True, show_default=True,
              help="Also evaluate the canonical detection (extracted or YAML) on each test.")
@click.option("--failures-only", is_flag=True, help="List only rules with a failing test.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Write per-rule, per-test results as JSON.")
def test_cmd(paths, jobs, timeout, rule_globs, model, failures_only, json_path):
    """Run the Tests of every rule under PATHS.

    Each test runs on the real Python rule in a child process with a time limit; a rule that
    fails to import, raises, loops or crashes is reported as that rule's error and the others
    still run. With --model (default), the canonical detection is evaluated on the same events
    and must agree with ExpectedResult too.

    Exit status: 0 all tests pass, 1 a test failed, 2 a rule file is invalid.
    """
    from ..pipeline import Cache, compile_paths

    # With --model, Python rules get their extracted detection (symbolic frontend, cached).
    compiled = compile_paths(paths, jobs=jobs, cache=Cache.default(), extract=model)
    loaded = compiled.loaded
    for d in loaded.diagnostics:
        if d.level != "info":
            click.echo(str(d), err=True)
    rules = [r for r in compiled.rules
             if not rule_globs or any(fnmatchcase(r.id, g) for g in rule_globs)]
    reports = run_tests(rules, loaded, jobs=jobs, timeout=timeout, model=model)
    _print_table(reports, failures_only)
    summary = _summary(reports)
    click.echo(summary["line"])
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"summary": {k: v for k, v in summary.items() if k != "line"},
                       "rules": [r.to_dict() for r in reports],
                       "diagnostics": [d.to_dict() for d in loaded.diagnostics
                                       if d.level != "info"]}, fh, indent=2)
    if loaded.errors:
        sys.exit(2)
    sys.exit(0 if all(r.passed for r in reports) else 1)


def _print_table(reports: list[RuleReport], failures_only: bool) -> None:
    shown = [r for r in reports if not (failures_only and r.passed)]
    if not shown:
        return
    width = min(max(len(r.rule_id) for r in shown), 60)
    click.echo(f"{'RULE':<{width}}  {'PYTHON':>7}  {'MODEL':>7}  STATUS")
    for r in shown:
        status = "ok" if r.passed else "FAIL"
        click.echo(f"{r.rule_id[:width]:<{width}}  {r.python_cell:>7}  {r.model_cell:>7}  {status}")
        if not r.passed:
            for line in r.failure_lines():
                click.echo(f"    {line}")


def _summary(reports: list[RuleReport]) -> dict:
    tests = [t for r in reports for t in r.tests]
    py_tests = [t for r in reports if r.has_python for t in r.tests]
    py_pass = sum(1 for t in py_tests if t.python_passed)
    mocked = sum(1 for t in tests if t.mocked)
    model_checked = [t for t in tests if t.model_matched is not None]
    model_agree = sum(1 for t in model_checked if t.model_agrees)
    not_evaluable = sum(1 for t in tests if t.model_error)
    failed_rules = sum(1 for r in reports if not r.passed)
    out = {
        "rules": len(reports), "rules_failed": failed_rules, "tests": len(tests),
        "python_tests": len(py_tests), "python_passed": py_pass, "tests_with_mocks": mocked,
        "model_checked": len(model_checked), "model_agreed": model_agree,
        "model_not_evaluable": not_evaluable,
    }
    out["line"] = (f"{len(reports)} rules, {len(tests)} tests: python {py_pass}/{len(py_tests)} "
                   f"passed ({mocked} use Mocks); model {model_agree}/{len(model_checked)} agreed "
                   f"({not_evaluable} not evaluable: partial extraction); "
                   f"{failed_rules} rules failing")
    return out
