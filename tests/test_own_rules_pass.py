"""Every Test of our own rules (rules/<log type>/, with our helpers and data models) passes on
the real Python rule in the sandbox and, where the rule has a canonical detection, on the model.

rules/simple and rules/correlation are covered by tests/frontends/.
"""

from pathlib import Path

from translator.frontends.panther_yaml import load_tree
from translator.testing import run_tests

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
SEPARATELY_TESTED = {"simple", "correlation"}


def test_all_our_rule_tests_pass():
    paths = sorted(
        str(path)
        for path in RULES_DIR.iterdir()
        if path.is_dir() and path.name not in SEPARATELY_TESTED
    )
    loaded = load_tree(paths)
    problems = [str(d) for d in loaded.diagnostics if d.level != "info"]
    assert problems == []
    assert len(loaded.rules) >= 30
    reports = run_tests(loaded.rules, loaded, jobs=2)
    failing = {
        report.rule_id: report.error or [t for t in report.tests if not t.python_passed]
        for report in reports
        if not report.passed
    }
    assert failing == {}
    assert sum(len(report.tests) for report in reports) >= 200
