"""Panther YAML loader: fields, diagnostics with file and line, tree discovery."""
import textwrap
from pathlib import Path

from translator.frontends.panther_yaml import load_tree
from translator.model import MitreRef

RULE_YML = """\
AnalysisType: rule
Filename: my_rule.py
RuleID: "Test.MyRule"
DisplayName: "My rule"
Enabled: true
LogTypes:
  - AWS.CloudTrail
Tags: [AWS, "Defense Evasion:Impair Defenses"]
Reports:
  CIS:
    - 3.10
  MITRE ATT&CK:
    - TA0005:T1562
    - TA0001:T1078.004
    - TA0040
Severity: High
DedupPeriodMinutes: 720
Threshold: 5
Description: >
  Something happened.
SummaryAttributes: [eventName, p_any_aws_arns]
Tests:
  - Name: hit
    ExpectedResult: true
    Log: {"eventName": "X"}
  - Name: miss
    ExpectedResult: false
    Mocks:
      - objectName: get_counter
        returnValue: 3
    Log: '{"eventName": "Y"}'
"""


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_rule_fields(tmp_path):
    write(tmp_path, "r/my_rule.yml", RULE_YML)
    write(tmp_path, "r/my_rule.py", "def rule(event):\n    return True\n")
    res = load_tree([tmp_path / "r"])
    assert [str(d) for d in res.diagnostics if d.level != "info"] == []
    (rule,) = res.rules
    assert rule.id == "Test.MyRule" and rule.severity == "High" and rule.threshold == 5
    assert rule.dedup_period_minutes == 720 and rule.log_types == ("AWS.CloudTrail",)
    assert rule.mitre == (MitreRef("TA0005", "T1562"), MitreRef("TA0001", "T1078.004"),
                          MitreRef("TA0040", ""))
    assert rule.reports == (("CIS", ("3.10",)),)  # YAML float keeps its text
    assert rule.description == "Something happened."
    assert [t.expected_result for t in rule.tests] == [True, False]
    assert rule.tests[1].log == {"eventName": "Y"}  # JSON-string Log accepted
    assert rule.tests[1].mocks[0].name == "get_counter"
    assert rule.python_file.endswith("my_rule.py") and len(rule.source_hash) == 64


def test_each_bad_file_is_one_located_error_and_others_still_load(tmp_path):
    good = RULE_YML
    write(tmp_path, "ok.yml", good)
    write(tmp_path, "my_rule.py", "def rule(event):\n    return True\n")
    write(tmp_path, "broken.yml", "AnalysisType: rule\nRuleID: [unclosed\n")
    write(tmp_path, "nofile.yml", good.replace("my_rule.py", "gone.py").replace("Test.MyRule", "B"))
    write(tmp_path, "syntax.yml", good.replace("my_rule.py", "bad.py").replace("Test.MyRule", "C"))
    write(tmp_path, "bad.py", "def rule(event):\n    return (\n")
    write(tmp_path, "nologic.yml", good.replace("Filename: my_rule.py\n", "").replace("Test.MyRule", "D"))
    write(tmp_path, "sev.yml", good.replace("Severity: High", "Severity: Huge").replace("Test.MyRule", "E"))
    res = load_tree([tmp_path])
    assert [r.id for r in res.rules] == ["Test.MyRule"]
    errors = {Path(d.file).name: d for d in res.errors}
    assert errors["broken.yml"].line == 3  # where the parser notices
    assert "invalid YAML" in errors["broken.yml"].message
    assert "gone.py" in errors["nofile.yml"].message and errors["nofile.yml"].line == 2
    assert errors["bad.py"].code == "python-syntax" and errors["bad.py"].line == 2  # the unclosed paren
    assert "missing Filename" in errors["nologic.yml"].message
    assert "Huge" in errors["sev.yml"].message and errors["sev.yml"].line == 16
    for d in res.errors:  # one line each, naming the file
        assert "\n" not in str(d) and str(d).startswith(d.file)


def test_warnings_for_unknown_keys_duplicates_and_bad_mitre(tmp_path):
    text = RULE_YML.replace("Severity: High", "Severity: High\nSeverty: Low\nEnabled: false")
    text = text.replace("TA0040", "TA40:T1")
    write(tmp_path, "w.yml", text)
    write(tmp_path, "my_rule.py", "def rule(event):\n    return True\n")
    res = load_tree([tmp_path / "w.yml"])
    (rule,) = res.rules
    assert rule.enabled is False
    msgs = {d.code: d for d in res.diagnostics}
    assert msgs["unknown-key"].line == 17 and "Severty" in msgs["unknown-key"].message
    assert msgs["duplicate-key"].line == 18
    assert "TA40:T1" in msgs["bad-mitre"].message


def test_bad_tests_are_reported(tmp_path):
    text = RULE_YML.replace("ExpectedResult: true", "ExpectedResult: maybe")
    write(tmp_path, "t.yml", text)
    write(tmp_path, "my_rule.py", "def rule(event):\n    return True\n")
    res = load_tree([tmp_path])
    assert res.rules == []
    (err,) = res.errors
    assert "Tests[0] ('hit'): ExpectedResult must be true or false" in err.message
    assert err.line == 24


def test_tree_discovers_helpers_and_data_models_above_a_single_file(tmp_path):
    write(tmp_path, "global_helpers/h.yml", "AnalysisType: global\nGlobalID: h\nFilename: h.py\n")
    write(tmp_path, "global_helpers/h.py", "X = 1\n")
    write(tmp_path, "data_models/dm.yml", "AnalysisType: datamodel\nDataModelID: d\n"
          "Enabled: true\nLogTypes: [AWS.CloudTrail]\nMappings: []\n")
    write(tmp_path, "rules/aws/my_rule.yml", RULE_YML)
    write(tmp_path, "rules/aws/my_rule.py", "def rule(event):\n    return True\n")
    write(tmp_path, "rules/aws/policy.yml", "AnalysisType: policy\nPolicyID: p\n")
    res = load_tree([tmp_path / "rules/aws/my_rule.yml"])
    assert len(res.rules) == 1
    assert res.helper_dirs == [(tmp_path / "global_helpers").resolve()]
    assert res.data_model_files == [(tmp_path / "data_models/dm.yml").resolve()]
    res = load_tree([tmp_path])
    assert res.skipped == {"policy": 1}


def test_duplicate_rule_ids_and_missing_paths(tmp_path):
    write(tmp_path, "a.yml", RULE_YML)
    write(tmp_path, "b.yml", RULE_YML)
    write(tmp_path, "my_rule.py", "def rule(event):\n    return True\n")
    res = load_tree([tmp_path, tmp_path / "nope"])
    assert len(res.rules) == 1
    codes = sorted(d.code for d in res.errors)
    assert codes == ["duplicate-id", "not-found"]
