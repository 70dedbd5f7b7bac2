"""`rulec build` orchestration with a stand-in backend: files, determinism, stale removal,
cache, reports and exit codes. (Each real backend has its own tests.)"""
import importlib.machinery
import json
import sys
import types

import pytest
from click.testing import CliRunner

from translator.backends.base import Finding, Output, Translation
from translator.cli import main
from translator.model import Const

YML = """\
AnalysisType: rule
RuleID: {rid}
Enabled: true
LogTypes: [AWS.CloudTrail]
Severity: Low
Detection:
  - KeyPath: eventName
    Condition: Equals
    Value: X
Tests:
  - Name: hit
    ExpectedResult: true
    Log: {{"eventName": "X"}}
"""

CALLS = []


class EchoBackend:
    """Writes the rule id; a rule whose id contains 'Partial' gets a finding, 'Boom' crashes."""

    name = "sigma"

    def translate(self, rule, mappings, options):
        CALLS.append(rule.id)
        if "Boom" in rule.id:
            raise RuntimeError("backend bug")
        findings = (Finding("thing", "cannot say it"),) if "Partial" in rule.id else ()
        return Translation(rule.id, self.name, (Output(f"sigma/{rule.id}.yml", f"id: {rule.id}\n"),),
                           findings, query=rule.id)


@pytest.fixture
def fake_backend(monkeypatch):
    mod = types.ModuleType("translator.backends._echo")
    mod.__spec__ = importlib.machinery.ModuleSpec("translator.backends._echo", None)
    mod.BACKEND = EchoBackend()
    monkeypatch.setitem(sys.modules, "translator.backends._echo", mod)
    from translator import backends
    monkeypatch.setitem(backends.TARGETS, "sigma", "translator.backends._echo")
    CALLS.clear()
    return mod


@pytest.fixture
def simple_detection_available():
    # Rules here use YAML Detection; skip only until the simple-detection frontend exists.
    pytest.importorskip("translator.frontends.simple_detection")


def run(*args, env=None):
    return CliRunner().invoke(main, ["build", *map(str, args)], env=env or {})


def rules_dir(tmp_path, *ids):
    d = tmp_path / "rules"
    d.mkdir(exist_ok=True)
    for rid in ids:
        (d / f"{rid}.yml").write_text(YML.format(rid=rid))
    return d


def test_build_writes_removes_stale_and_caches(tmp_path, fake_backend, simple_detection_available,
                                               monkeypatch):
    monkeypatch.setenv("RULEC_CACHE_DIR", str(tmp_path / "cache"))
    src = rules_dir(tmp_path, "A", "B")
    out = tmp_path / "out"
    (out / "sigma").mkdir(parents=True)
    (out / "mine.txt").write_text("user file")
    res = run(src, "--target", "sigma", "--out", out)
    assert res.exit_code == 0, res.output
    assert (out / "sigma/A.yml").read_text() == "id: A\n"
    assert "2 exact" in res.output and "2 written" in res.output
    first = (out / "sigma/B.yml").read_bytes()
    # no-op rebuild: nothing re-translated, nothing rewritten
    CALLS.clear()
    res = run(src, "--target", "sigma", "--out", out)
    assert CALLS == [] and "0 written, 2 unchanged" in res.output
    assert (out / "sigma/B.yml").read_bytes() == first
    # deleting a rule removes its output, never a user's file
    (src / "B.yml").unlink()
    res = run(src, "--target", "sigma", "--out", out)
    assert not (out / "sigma/B.yml").exists() and "1 removed" in res.output
    assert (out / "mine.txt").read_text() == "user file"


def test_verdicts_reports_and_exit_codes(tmp_path, fake_backend, simple_detection_available):
    src = rules_dir(tmp_path, "Ok", "Partial1", "Boom1")
    out = tmp_path / "out"
    rep = tmp_path / "r.json"
    res = run(src, "-t", "sigma", "--out", out, "--no-cache", "--report", "json", rep,
              "--report", "sarif", tmp_path / "r.sarif", "--report", "junit", tmp_path / "r.xml")
    assert res.exit_code == 1  # an `error` verdict fails by default
    assert "Boom1 -> sigma: error: RuntimeError: backend bug" in res.output
    data = json.loads(rep.read_text())
    assert data["summary"]["sigma"] == {"error": 1, "exact": 1, "partial": 1}
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"warning", "error"}
    assert 'failures="1"' in (tmp_path / "r.xml").read_text()
    (src / "Boom1.yml").unlink()
    assert run(src, "-t", "sigma", "--out", out, "--no-cache").exit_code == 0
    assert run(src, "-t", "sigma", "--out", out, "--no-cache", "--strict").exit_code == 1
    assert run(src, "-t", "sigma", "--out", out, "--no-cache", "--fail-on", "partial").exit_code == 1


def test_github_annotations(tmp_path, fake_backend, simple_detection_available):
    src = rules_dir(tmp_path, "Partial2")
    res = run(src, "-t", "sigma", "--out", tmp_path / "o", "--no-cache",
              env={"GITHUB_ACTIONS": "true"})
    assert "::warning file=" in res.output and "Partial2 -> sigma: partial" in res.output


def test_bad_input_exit_2(tmp_path, fake_backend):
    src = tmp_path / "rules"
    src.mkdir()
    (src / "x.yml").write_text("AnalysisType: rule\nRuleID: [\n")
    res = run(src, "-t", "sigma", "--out", tmp_path / "o", "--no-cache")
    assert res.exit_code == 2 and "x.yml:" in res.output
    assert run(src, "--report", "pdf", tmp_path / "r", "-t", "sigma").exit_code == 2
