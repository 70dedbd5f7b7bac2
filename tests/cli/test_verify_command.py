"""`rulec verify` matrix: python and model columns, exit codes (engine columns are covered by
each target's own tests)."""
import json
from pathlib import Path

from click.testing import CliRunner

from translator.cli import main
from translator.verify.base import EngineReport, TestCheck

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_engine_report_status():
    ok = EngineReport("R", "athena", syntax_ok=True, executed=True,
                      tests=[TestCheck("a", True, True), TestCheck("b", False, False)])
    assert ok.status == "ok"
    bad = EngineReport("R", "athena", syntax_ok=True, executed=True,
                       tests=[TestCheck("a", True, False)])
    assert bad.status == "fail"
    assert EngineReport("R", "kql", syntax_ok=True).status == "analysis-only"
    assert EngineReport("R", "kql", syntax_ok=False).status == "fail"


def test_verify_simple_rules_python_and_model_columns(tmp_path):
    out = tmp_path / "v.json"
    res = CliRunner().invoke(main, ["verify", str(RULES / "simple"), "--json", str(out)])
    data = json.loads(out.read_text())
    assert data["rules"], res.output
    for rid, row in data["rules"].items():
        assert row["python"] == "-" and row["model"] == "ok", (rid, row)
