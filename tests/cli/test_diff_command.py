"""`rulec diff` between two commits of a small repository of simple-detection rules."""
import subprocess
import textwrap

from click.testing import CliRunner

from translator.cli import main

RULE = """\
AnalysisType: rule
RuleID: Diff.Rule
Enabled: true
LogTypes: [AWS.CloudTrail]
Severity: {sev}
Detection:
  - KeyPath: eventName
    Condition: IsIn
    Values: [{values}]
Tests:
  - Name: hit
    ExpectedResult: true
    Log: {{"eventName": "A"}}
"""


def git(repo, *args):
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=repo,
                   check=True, capture_output=True)


def test_diff_reports_semantic_changes_and_additions(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "rules/r.yml").write_text(RULE.format(sev="Low", values="A, B"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "rules/r.yml").write_text(RULE.format(sev="High", values="A, B, DeleteSecurityGroup"))
    (repo / "rules/new.yml").write_text(RULE.format(sev="Low", values="Z").replace("Diff.Rule", "Diff.New"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "head")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("RULEC_CACHE_DIR", str(tmp_path / "cache"))
    res = CliRunner().invoke(main, ["diff", "rules", "--base", "HEAD~1", "--head", "HEAD"])
    assert res.exit_code == 0, res.output
    assert "2 rule(s) changed" in res.output
    assert "== Diff.New (added)" in res.output
    assert "predicate eventName in [...] gained 'DeleteSecurityGroup'" in res.output
    assert "severity changed: 'Low' -> 'High'" in res.output
    md = CliRunner().invoke(main, ["diff", "rules", "--base", "HEAD~1", "--format", "markdown"])
    assert md.exit_code == 0 and "#### `Diff.Rule` (changed)" in md.output
    bad = CliRunner().invoke(main, ["diff", "rules", "--base", "no-such-rev"])
    assert bad.exit_code != 0 and "no-such-rev" in bad.output
