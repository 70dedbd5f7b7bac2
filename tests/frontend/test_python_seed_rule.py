"""The seed rule (rules/aws_cloudtrail) extracts to exactly the seed page's condition and output
fields (shared/seed/aws_ec2_security_group_modified.catalog.txt), through the sandboxed pipeline
with agreement against the real rule on its tests."""
from pathlib import Path

from translator.commands.explain import explain_text
from translator.frontends.panther_yaml import load_tree
from translator.frontends.python.pipeline import extract_tree
from translator.pretty import render

SEED = Path(__file__).resolve().parents[2] / "rules" / "aws_cloudtrail" / "aws_ec2_security_group_modified.yml"


def test_seed_rule_extracts_to_the_seed_page_condition():
    loaded = load_tree([SEED])
    rules = [r for r in loaded.rules if r.id == "AWS.EC2.SecurityGroupModified"]
    (x,) = extract_tree(rules, loaded, jobs=1)
    assert x.verdict == "exact" and x.counts().get("agree", 0) == len(rules[0].tests)
    assert render(x.extraction.detection) == (
        'not (errorCode is_not_null or errorMessage is_not_null)\n'
        'eventName in ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", '
        '"RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup", '
        '"DeleteSecurityGroup"]')
    assert [f.dotted for f in x.extraction.output_fields] == [
        "eventName", "eventSource", "awsRegion", "recipientAccountId", "sourceIPAddress",
        "userAgent", "userIdentity"]
    text = explain_text(x.apply(rules[0]), x)
    assert "Exclusions" in text and "| errorCode | is_not_null |  |" in text
