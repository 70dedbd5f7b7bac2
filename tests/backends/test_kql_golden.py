"""Golden analytic rules: the backend's exact bytes for a few representative rules.
Regenerate on purpose with RULEC_REGEN_GOLDEN=1 and review the diff."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from translator.backends.kql import BACKEND
from translator.model import (
    All, Field, MitreRef, Not, Predicate, Quantifier, Rule, RuleTest, Template,
)

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "kql"
CT = "AWS.CloudTrail"

RULES = {
    "security_group_ingress": Rule(
        id="Golden.AWS.SecurityGroupIngress", display_name="Security group opened to the world",
        log_types=(CT,), severity="Medium", description="An ingress rule allows 0.0.0.0/0.",
        mitre=(MitreRef("TA0005", "T1562.007"),), dedup_period_minutes=60,
        detection=All((
            Predicate(Field(("eventName",)), "in", ("AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules")),
            Not(Predicate(Field(("errorCode",)), "exists")),
            Quantifier("any", Field(("requestParameters", "ipPermissions", "items")),
                       Predicate(Field(("ipRanges", "items", 0, "cidrIp"), root="element"), "eq", "0.0.0.0/0")),
        )),
        title=Template(("Security group ", Field(("requestParameters", "groupId")), " opened by ",
                        Field(("userIdentity", "arn")))),
        output_fields=(Field(("sourceIPAddress",)), Field(("requestParameters", "groupId")))),
    "console_login_threshold": Rule(
        id="Golden.AWS.ConsoleLoginFailures", display_name="Repeated console login failures",
        log_types=(CT,), severity="High", threshold=5, dedup_period_minutes=30,
        mitre=(MitreRef("TA0006", "T1110"),),
        detection=All((
            Predicate(Field(("eventName",)), "eq", "ConsoleLogin"),
            Predicate(Field(("responseElements", "ConsoleLogin")), "eq", "Failure"),
            Predicate(Field(("userAgent",)), "contains", "mozilla", case_sensitive=False),
        )),
        title=Template(("Console login failures for ", Field(("userIdentity", "userName"), default="<unknown>")))),
    "escaping": Rule(
        id="Golden.Escaping", display_name='Quotes " and \\ backslashes',
        log_types=(CT,), severity="Info", dedup_period_minutes=20160 * 2,
        detection=Predicate(Field(("eventName",)), "regex", r'^a"b\\c$', flags=("IGNORECASE",)),
        tests=(RuleTest.make("t", True, {"eventName": 'A"b\\c'}),)),
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_golden(name):
    text = BACKEND.translate(RULES[name]).outputs[0].text
    path = GOLDEN / f"{name}.yaml"
    if os.environ.get("RULEC_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text


def test_golden_queries_are_clean_for_kusto_language(kusto):
    from translator.backends.kql import lower_rule, query_tables
    from translator.mapping import load_mappings

    ms = load_mappings()
    for name, rule in RULES.items():
        lowered = lower_rule(rule, ms)
        assert kusto.analyse(lowered.query, query_tables(ms, lowered)) == [], (name, lowered.query)
