"""`rulec mappings`: listings, and the per-target share of a rules tree's mapped fields."""
import json

from click.testing import CliRunner

from translator.cli import main

RULE = """AnalysisType: rule
RuleID: Test.Mapping.Rule
Enabled: true
LogTypes: [AWS.CloudTrail]
Severity: Info
SummaryAttributes: ["userIdentity:arn", p_any_aws_arns, noSuchField]
Detection:
  - KeyPath: eventName
    Condition: Equals
    Value: ConsoleLogin
  - KeyPath: requestParameters.bucketName
    Condition: Exists
Tests:
  - Name: t
    ExpectedResult: true
    Log: {eventName: ConsoleLogin, requestParameters: {bucketName: b}}
"""


def run(*args):
    return CliRunner().invoke(main, ["mappings", *args], catch_exceptions=False)


def test_sources_listing():
    res = run("--log-type", "AWS.CloudTrail")
    assert res.exit_code == 0
    assert "sentinel=AWSCloudTrail(high)" in res.output
    assert "athena:aws=default.cloudtrail_logs(high)" in res.output


def test_fields_of_one_log_type_and_target():
    res = run("--log-type", "AWS.CloudTrail", "--target", "sentinel")
    assert res.exit_code == 0
    assert "userIdentity.arn" in res.output and "UserIdentityArn <string>" in res.output
    assert "RequestParameters <json-string>" in res.output


def test_rules_tree_share_and_unmapped(tmp_path):
    (tmp_path / "r.yml").write_text(RULE)
    out = tmp_path / "m.json"
    res = run("--rules", str(tmp_path), "--target", "sentinel", "--target", "athena",
              "--json", str(out))
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    # eventName, requestParameters.bucketName, userIdentity.arn, p_any_aws_arns, noSuchField
    assert data["references"] == 5
    sentinel = data["targets"]["sentinel"]
    assert (sentinel["mapped"], sentinel["total"]) == (4, 5)
    assert list(sentinel["unmapped"]) == ["AWS.CloudTrail: noSuchField"]
    assert "sentinel" in res.output and "80.0 % mapped" in res.output
    strict = run("--rules", str(tmp_path), "--target", "athena", "--strict")
    assert strict.exit_code == 1


def test_bad_options_and_files(tmp_path):
    assert run("--target", "kusto").exit_code == 2
    assert run("--log-type", "No.Such").exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("log_type: X\ntargets: {kusto: {}}\n")
    res = run("--mapping", str(bad))
    assert res.exit_code == 2 and "bad.yaml" in res.output
