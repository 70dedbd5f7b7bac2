"""The whole-build memo: an unchanged rebuild loads no rule, yet any change to an input
(a rule, a new file, a helper, a mapping file, the options) rebuilds, and outputs deleted
by hand come back."""
import pytest
from click.testing import CliRunner

from translator import pipeline
from translator.cli import main

YML = ("AnalysisType: rule\nRuleID: {rid}\nLogTypes: [AWS.CloudTrail]\nSeverity: Low\n"
       "Detection: [{{KeyPath: eventName, Condition: Equals, Value: {value}}}]\n")


@pytest.fixture
def env(tmp_path, monkeypatch):
    pytest.importorskip("translator.frontends.simple_detection")
    monkeypatch.setenv("RULEC_CACHE_DIR", str(tmp_path / "cache"))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yml").write_text(YML.format(rid="A", value="Alpha"))
    loads = []
    real = pipeline.compile_paths
    monkeypatch.setattr(pipeline, "compile_paths", lambda *a, **k: loads.append(1) or real(*a, **k))
    return rules, tmp_path / "out", loads


def build(rules, out, *extra):
    res = CliRunner().invoke(main, ["build", str(rules), "-t", "sigma", "--out", str(out),
                                    "-q", *extra])
    assert res.exit_code == 0, res.output
    return res.output


def test_unchanged_rebuild_loads_nothing_and_restores_deleted_outputs(env):
    rules, out, loads = env
    first = build(rules, out)
    assert loads == [1] and "1 written" in first
    assert "0 written, 1 unchanged" in build(rules, out)
    assert loads == [1]  # the memo answered: no rule file was parsed
    (out / "sigma" / "A.yml").unlink()
    assert "1 written" in build(rules, out) and loads == [1]
    assert "Alpha" in (out / "sigma" / "A.yml").read_text()


def test_any_input_change_rebuilds(env, tmp_path):
    rules, out, loads = env
    build(rules, out)
    (rules / "a.yml").write_text(YML.format(rid="A", value="Beta"))  # edited rule
    build(rules, out)
    assert len(loads) == 2 and "Beta" in (out / "sigma" / "A.yml").read_text()
    (rules / "b.yml").write_text(YML.format(rid="B", value="Gamma"))  # new rule
    build(rules, out)
    assert len(loads) == 3 and (out / "sigma" / "B.yml").exists()
    (rules / "notes.txt").write_text("any file under the tree counts")
    build(rules, out)
    assert len(loads) == 4
    helpers = tmp_path / "global_helpers"  # a helper directory beside the rules
    helpers.mkdir()
    (helpers / "h.py").write_text("X = 1\n")
    build(rules, out)
    assert len(loads) == 5
    (helpers / "h.py").write_text("X = 2\n")
    build(rules, out)
    assert len(loads) == 6
    build(rules, out, "--strict", "--fail-on", "never")  # other options: another memo
    assert len(loads) == 7
    build(rules, out, "--no-cache")
    assert len(loads) == 8
