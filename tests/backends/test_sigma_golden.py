"""Golden files: the exact Sigma text of hand-built model rules (tests/golden/sigma/*.yml), so a
change in the backend shows up as a reviewed diff of Sigma. Every golden file is also parsed
and validated, and each rule's Tests are executed in SQLite.

Regenerate on purpose only:  RULEC_UPDATE_GOLDEN=1 python -m pytest tests/backends/test_sigma_golden.py
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from translator.backends.sigma import BACKEND
from translator.mapping import load_mappings
from translator.model import (
    All, AnyOf, Field, MitreRef, Not, Predicate, Quantifier, Rule, RuleTest, Template,
)
from translator.verify.sigma import verify_rule

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "sigma"
CT = "AWS.CloudTrail"


def F(*path, **kw) -> Field:
    return Field(tuple(path), **kw)


def P(path: str, op: str, value=None, **kw) -> Predicate:
    return Predicate(F(*path.split(".")), op, value, **kw)


SG_EVENT = {"eventSource": "ec2.amazonaws.com", "eventName": "AuthorizeSecurityGroupIngress",
            "userIdentity": {"arn": "arn:aws:sts::123456789012:assumed-role/tester"},
            "sourceIPAddress": "111.111.111.111", "recipientAccountId": "123456789012"}


def seed_rule() -> Rule:
    """The seed rule (aws_ec2_security_group_modified) as the Python frontend models it."""
    return Rule(
        id="AWS.EC2.SecurityGroupModified", display_name="EC2 Security Group Modified",
        log_types=(CT,), severity="Info", description="An EC2 Security Group was modified.",
        runbook="https://docs.runpanther.io/alert-runbooks/built-in-rules/aws-ec2-securitygroup-modified",
        reference="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/working-with-security-groups.html",
        tags=("AWS", "Security Control"), mitre=(MitreRef("TA0005", "T1562"),),
        dedup_period_minutes=720,
        detection=All((
            P("eventName", "in", ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                                  "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress",
                                  "ApplySecurityGroupsToClientVpnTargetNetwork",
                                  "CreateSecurityGroup", "DeleteSecurityGroup")),
            Not(P("errorCode", "exists")))),
        output_fields=(F("eventName"), F("userAgent"), F("sourceIPAddress"),
                       F("recipientAccountId"), F("p_any_aws_arns")),
        source_file="rules/aws_cloudtrail/aws_ec2_security_group_modified.yml",
        source_hash="0" * 64,
        tests=(RuleTest.make("Security Group Modified", True, SG_EVENT),
               RuleTest.make("Security Group Not Modified", False,
                             SG_EVENT | {"eventName": "DescribeSecurityGroups"}),
               RuleTest.make("Error Modifying Security Group", False,
                             SG_EVENT | {"errorCode": "RequestExpired"})))


def threshold_rule() -> Rule:
    return Rule(
        id="AWS.IAM.AccessDeniedBurst", display_name="repeated access denied errors",
        log_types=(CT,), severity="Medium", threshold=10, dedup_period_minutes=15,
        description="Ten or more AccessDenied errors by one identity within 15 minutes.",
        mitre=(MitreRef("TA0007", "T1087.004"),),
        detection=AnyOf((P("errorCode", "eq", "AccessDenied"),
                         P("errorCode", "endswith", "UnauthorizedOperation"))),
        title=Template(("Access denied for ", F("userIdentity", "arn"))),
        source_file="rules/aws_cloudtrail/access_denied_burst.yml", source_hash="1" * 64,
        tests=(RuleTest.make("denied", True, {"errorCode": "AccessDenied"}),
               RuleTest.make("ok", False, {"eventName": "GetObject"})))


def constructs_rule() -> Rule:
    """One of each construct the backend writes, including ones it reports (partial)."""
    elem = Field(("type",), root="element")
    return Rule(
        id="Test.Sigma.Constructs", display_name="Sigma backend constructs",
        log_types=(CT,), severity="High", description="Exercises every Sigma modifier.",
        detection=All((
            P("eventSource", "endswith", ".amazonaws.com"),
            Predicate(F("eventName").with_transform("lower"), "startswith", "put"),
            P("userAgent", "regex", r"^aws-cli/\d+\.\d+", flags=("IGNORECASE",)),
            Not(P("sourceIPAddress", "ip_private")),
            Not(P("userAgent", "contains", "*")),
            Predicate(F("requestParameters", "bucketName", default="<none>"), "eq", "<none>"),
            Predicate(F("userIdentity", "type", default="", default_on_null=True), "in",
                      ("Root", "IAMUser", "")),
            AnyOf((P("readOnly", "eq", False), P("responseElements.x", "gt", 3))),
            Quantifier("any", F("resources"), Predicate(elem, "eq", "AWS::S3::Bucket")),
            P("requestParameters.policy", "regex", r"(?<!Deny)Allow"),
        )),
        source_file="tests/backends/test_sigma_golden.py", source_hash="2" * 64)


def multi_log_type_rule() -> Rule:
    return Rule(
        id="Test.Sigma.TwoSources", display_name="Admin action on two sources",
        log_types=(CT, "Okta.SystemLog"), severity="Low", description="Two logsources.",
        detection=AnyOf((All((P("p_log_type", "eq", CT), P("eventName", "eq", "CreateUser"))),
                         All((P("p_log_type", "eq", "Okta.SystemLog"),
                              P("eventType", "eq", "user.lifecycle.create"))))),
        source_file="tests/backends/test_sigma_golden.py", source_hash="3" * 64,
        tests=(RuleTest.make("aws", True, {"p_log_type": CT, "eventName": "CreateUser"}),
               RuleTest.make("okta", True, {"p_log_type": "Okta.SystemLog",
                                            "eventType": "user.lifecycle.create"}),
               RuleTest.make("okta other", False, {"p_log_type": "Okta.SystemLog",
                                                   "eventName": "CreateUser"})))


RULES = [seed_rule, threshold_rule, constructs_rule, multi_log_type_rule]


@pytest.mark.parametrize("make", RULES, ids=[f.__name__ for f in RULES])
def test_sigma_output_matches_golden(make):
    rule = make()
    ms = load_mappings()
    t = BACKEND.translate(rule, ms)
    (output,) = t.outputs
    path = GOLDEN / f"{rule.id}.yml"
    if os.environ.get("RULEC_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(output.text)
    assert output.text == path.read_text(), (
        f"Sigma of {rule.id} changed; if on purpose regenerate with RULEC_UPDATE_GOLDEN=1 "
        "python -m pytest tests/backends/test_sigma_golden.py")
    v = verify_rule(rule, t, ms)
    assert v.syntax.clean, v.syntax
    assert all(r.agrees for r in v.tests), [(r.name, r.matched, r.error) for r in v.tests]
