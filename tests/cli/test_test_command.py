"""`rulec test`: exit codes, per-rule isolation of failures, model/python agreement."""
import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from translator.cli import main

YML = """\
AnalysisType: rule
Filename: {py}
RuleID: {rid}
Enabled: true
LogTypes: [AWS.CloudTrail]
Severity: Low
Tests:
  - Name: hit
    ExpectedResult: true
    Log: {{"eventName": "X"}}
  - Name: miss
    ExpectedResult: false
    Log: {{"EVENTNAME": "Y"}}
"""
GOOD = 'def rule(event):\n    return event.get("eventName") == "X"\n'


def make_rule(root: Path, rid: str, source: str) -> None:
    py = rid.lower() + ".py"
    (root / (rid.lower() + ".yml")).write_text(YML.format(py=py, rid=rid))
    (root / py).write_text(textwrap.dedent(source))


def run(*args):
    return CliRunner().invoke(main, ["test", *map(str, args)])


def test_all_pass_exit_0(tmp_path):
    make_rule(tmp_path, "Good", GOOD)
    res = run(tmp_path)
    assert res.exit_code == 0, res.output
    assert "Good" in res.output and "2/2" in res.output
    assert "python 2/2 passed" in res.output


def test_failures_are_per_rule_and_exit_1(tmp_path):
    make_rule(tmp_path, "Good", GOOD)
    make_rule(tmp_path, "Wrong", 'def rule(event):\n    return True\n')
    make_rule(tmp_path, "Loops", 'def rule(event):\n    while True:\n        pass\n')
    make_rule(tmp_path, "Raises", 'def rule(event):\n    return 1 / 0\n')
    make_rule(tmp_path, "NoMod", 'import not_a_module_here\ndef rule(event):\n    return True\n')
    out = tmp_path / "report.json"
    res = run(tmp_path, "--timeout", "1", "--json", out)
    assert res.exit_code == 1, res.output
    report = {r["rule_id"]: r for r in json.loads(out.read_text())["rules"]}
    assert report["Good"]["passed"] is True
    assert not report["Wrong"]["passed"]
    assert "timed out" in report["Loops"]["tests"][0]["python_error"]
    assert "ZeroDivisionError" in report["Raises"]["tests"][0]["python_error"]
    assert "nomod.py:1" in report["NoMod"]["error"] and "not_a_module_here" in report["NoMod"]["error"]
    assert "expected False, rule() returned True" in res.output


def test_invalid_rule_file_exit_2_and_others_still_run(tmp_path):
    make_rule(tmp_path, "Good", GOOD)
    (tmp_path / "bad.yml").write_text("AnalysisType: rule\nRuleID: [\n")
    res = run(tmp_path)
    assert res.exit_code == 2
    assert "bad.yml:" in res.output and "invalid YAML" in res.output
    assert "Good" in res.output and "2/2" in res.output


def test_rule_filter(tmp_path):
    make_rule(tmp_path, "Good", GOOD)
    make_rule(tmp_path, "Wrong", 'def rule(event):\n    return True\n')
    res = run(tmp_path, "--rule", "Go*")
    assert res.exit_code == 0 and "Wrong" not in res.output
