"""Outputs are the same bytes in every run even when rule code iterates over a set (whose order
follows Python's string-hash seed): the rulec command fixes the seed for itself."""
import os
import subprocess
import sys
from pathlib import Path

RULE_PY = '''NAMES = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}


def rule(event):
    return event.get("name") in [n.upper() for n in NAMES]
'''
RULE_YML = """AnalysisType: rule
Filename: r.py
RuleID: Hash.Seed
Enabled: true
LogTypes: [Custom.X]
Severity: Low
Tests:
  - Name: listed
    ExpectedResult: true
    Log: {name: ALPHA}
"""


def test_set_iteration_order_does_not_leak_into_outputs(tmp_path):
    (tmp_path / "r.py").write_text(RULE_PY)
    (tmp_path / "r.yml").write_text(RULE_YML)
    root = Path(__file__).resolve().parents[2]
    outputs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-m", "translator", "explain", str(tmp_path / "r.yml")],
                             cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert "ALPHA" in run.stdout
        outputs.add(run.stdout)
    assert len(outputs) == 1
