"""Acceptance: `rulec test rules/` passes every test of our own rules, on the real Python rule
and on the canonical model (YAML detections, correlation rules, and extracted Python logic)."""
import json
from pathlib import Path

from click.testing import CliRunner

from translator.cli import main

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_rulec_test_passes_on_our_rules(tmp_path):
    out = tmp_path / "r.json"
    res = CliRunner().invoke(main, ["test", str(RULES), "--json", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    s = data["summary"]
    assert s["rules_failed"] == 0 and s["python_passed"] == s["python_tests"] > 150
    assert s["model_agreed"] == s["model_checked"] > 50
    kinds = {r["rule_id"].split(".")[0] for r in data["rules"]}
    assert "Simple" in kinds  # YAML detections are part of the run
