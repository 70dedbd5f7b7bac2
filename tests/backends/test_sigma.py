"""Sigma backend: hand-built model rules per construct, each generated rule parsed by pySigma
and executed in SQLite (pysigma-backend-sqlite) on events, compared with the expected outcome
written here and with the reference evaluator."""
from __future__ import annotations

import sqlite3
import uuid

import yaml

from translator.backends.base import BuildOptions
from translator.backends.sigma import BACKEND, ID_NAMESPACE, rule_uuid, sigma_name, title_case
from translator.evaluator import evaluate
from translator.mapping import load_mappings
from translator.model import (
    All, AnyOf, Field, MitreRef, Not, Opaque, Predicate, Quantifier, Rule, RuleTest, Template,
)
from translator.verify.sigma import check_syntax, compile_sql, parse, run_sql, sigma_record, verify_rule

CT = "AWS.CloudTrail"
MS = load_mappings()


def F(*path, **kw) -> Field:
    return Field(tuple(path), **kw)


def P(field, op, value=None, **kw) -> Predicate:
    return Predicate(field if isinstance(field, Field) else F(*field.split(".")), op, value, **kw)


def make_rule(detection, rule_id="Test.Rule", **kw) -> Rule:
    base = dict(id=rule_id, display_name="Test rule", log_types=(CT,), severity="Medium",
                description="A rule built by the tests.", detection=detection)
    base.update(kw)
    return Rule(**base)


def translate(detection, **kw):
    rule = make_rule(detection, **kw)
    return rule, BACKEND.translate(rule, MS)


def sigma_matches(translation, event: dict, log_type: str = CT) -> bool:
    doc = parse(translation.query).rules[0]
    sql, required = compile_sql(doc)
    return run_sql(sql, sigma_record(MS, log_type, event), required)


def check(detection, cases, verdict="exact"):
    """Every (event, expected) pair: the reference evaluator and Sigma-in-SQLite agree with
    the expectation written in the test; the file parses and validates cleanly."""
    rule, t = translate(detection)
    assert t.verdict == verdict, [str(f) for f in t.findings]
    syntax = check_syntax(t.query)
    assert syntax.ok and syntax.clean, syntax
    for event, expected in cases:
        assert evaluate(detection, event) is expected, ("evaluator", event)
        assert sigma_matches(t, event) is expected, ("sigma", event, t.query)
    return t


def detection_of(t) -> dict:
    return yaml.safe_load(t.query.split("---")[0])["detection"]


# --------------------------------------------------------------------------- case


def test_python_equality_is_case_sensitive_so_sigma_says_cased():
    t = check(P("eventName", "eq", "ConsoleLogin"),
              [({"eventName": "ConsoleLogin"}, True), ({"eventName": "consolelogin"}, False)])
    assert detection_of(t)["selection"] == {"eventName|cased": "ConsoleLogin"}


def test_case_insensitive_predicate_uses_sigma_default():
    t = check(P("eventName", "eq", "consolelogin", case_sensitive=False),
              [({"eventName": "ConsoleLogin"}, True), ({"eventName": "Console"}, False)])
    assert detection_of(t)["selection"] == {"eventName": "consolelogin"}


def test_lower_transform_becomes_case_insensitive_match():
    lowered = F("userAgent").with_transform("lower")
    check(P(lowered, "contains", "python"),
          [({"userAgent": "Python-Requests"}, True), ({"userAgent": "curl"}, False), ({}, False)])


def test_lower_transform_against_upper_case_operand_never_matches():
    lowered = F("userAgent").with_transform("lower")
    t = check(AnyOf((P(lowered, "eq", "Python"), P("eventName", "eq", "X"))),
              [({"userAgent": "Python", "eventName": "Y"}, False), ({"eventName": "X"}, True)])
    assert "userAgent" not in t.query


# --------------------------------------------------------------------------- missing / null


def test_negated_equality_is_true_when_the_field_is_missing():
    # Python: event.get("errorCode") != "AccessDenied" is True on an event without errorCode
    t = check(All((P("eventName", "eq", "X"), Not(P("errorCode", "eq", "AccessDenied")))),
              [({"eventName": "X"}, True), ({"eventName": "X", "errorCode": None}, True),
               ({"eventName": "X", "errorCode": "AccessDenied"}, False),
               ({"eventName": "X", "errorCode": "Other"}, True)])
    assert detection_of(t)["condition"] == "selection and not filter_error_code"


def test_default_that_satisfies_the_predicate_adds_a_null_alternative():
    # event.get("errorCode", "") == "" : missing -> True; JSON null -> None == "" -> False
    field = F("errorCode", default="")
    rule, t = translate(P(field, "eq", ""))
    assert t.verdict == "partial"
    assert any("JSON null" in f.reason for f in t.findings)
    assert sigma_matches(t, {}) is True and evaluate(rule.detection, {}) is True
    assert sigma_matches(t, {"errorCode": ""}) is True
    assert sigma_matches(t, {"errorCode": "x"}) is False
    # the reported difference, executed: Python says False on null, Sigma cannot tell
    assert evaluate(rule.detection, {"errorCode": None}) is False
    assert sigma_matches(t, {"errorCode": None}) is True


def test_deep_get_default_applies_to_null_too_so_it_is_exact():
    field = F("userIdentity", "type", default="", default_on_null=True)
    check(P(field, "eq", ""),
          [({}, True), ({"userIdentity": {"type": None}}, True),
           ({"userIdentity": {"type": "Root"}}, False), ({"userIdentity": {"type": ""}}, True)])


def test_negated_predicate_with_a_matching_default_requires_presence():
    # event.get("errorCode", "x") != "x": False when missing (default equals the operand)
    field = F("errorCode", default="x", default_on_null=True)
    check(Not(P(field, "eq", "x")),
          [({}, False), ({"errorCode": None}, False), ({"errorCode": "x"}, False),
           ({"errorCode": "y"}, True)])


def test_exists_null_and_present():
    check(P("errorCode", "exists"), [({}, False), ({"errorCode": None}, False),
                                     ({"errorCode": "E"}, True)])
    check(P("errorCode", "null"), [({}, True), ({"errorCode": None}, True),
                                   ({"errorCode": "E"}, False)])
    rule, t = translate(P("errorCode", "present"))
    assert t.verdict == "partial"  # a null value is present in Python, absent in Sigma
    assert sigma_matches(t, {"errorCode": "E"}) and not sigma_matches(t, {})


def test_eq_none_matches_missing_and_null():
    check(P("errorCode", "eq", None), [({}, True), ({"errorCode": None}, True),
                                       ({"errorCode": "x"}, False)])


def test_truthy_on_a_text_field():
    check(P("errorCode", "truthy"), [({}, False), ({"errorCode": None}, False),
                                     ({"errorCode": ""}, False), ({"errorCode": "E"}, True)])


# --------------------------------------------------------------------------- operators


def test_in_with_text_numbers_and_none():
    check(P("eventName", "in", ("A", "B", 3, None)),
          [({"eventName": "A"}, True), ({"eventName": "a"}, False), ({"eventName": 3}, True),
           ({}, True), ({"eventName": "C"}, False)])


def test_substring_operators_and_tuples():
    check(All((P("userAgent", "startswith", ("aws-cli", "Boto")), P("userAgent", "endswith", "x"),
               P("userAgent", "contains", "/1."))),
          [({"userAgent": "aws-cli/1.x"}, True), ({"userAgent": "Boto3/1.x"}, True),
           ({"userAgent": "boto3/1.x"}, False), ({"userAgent": "aws-cli/2.x"}, False)])


def test_wildcard_characters_in_values_are_literal():
    check(P("eventName", "eq", "a*b?c\\"),
          [({"eventName": "a*b?c\\"}, True), ({"eventName": "aXXbYc\\"}, False)])
    check(P("eventName", "contains", "%_"),
          [({"eventName": "x%_y"}, True), ({"eventName": "xaby"}, False)])


def test_numeric_comparisons():
    check(All((P("n", "gt", 3), P("n", "le", 10.5))),
          [({"n": 4}, True), ({"n": 3}, False), ({"n": 10.5}, True), ({"n": 11}, False),
           ({}, False)])


def test_string_comparison_is_reported_and_over_approximated():
    rule, t = translate(All((P("eventName", "eq", "X"), P("awsRegion", "gt", "us-east-1"))))
    assert t.verdict == "partial"
    assert any("compares numbers only" in f.reason for f in t.findings)
    assert sigma_matches(t, {"eventName": "X", "awsRegion": "aa"}) is True  # over-approximation


def test_cidr_and_private_addresses():
    check(P("sourceIPAddress", "cidr", ("10.0.0.0/8", "192.168.1.7/20")),
          [({"sourceIPAddress": "10.1.2.3"}, True), ({"sourceIPAddress": "192.168.15.1"}, True),
           ({"sourceIPAddress": "192.168.16.1"}, False), ({"sourceIPAddress": "11.0.0.1"}, False)])
    check(P("sourceIPAddress", "ip_private"),
          [({"sourceIPAddress": "172.16.4.4"}, True), ({"sourceIPAddress": "8.8.8.8"}, False)])


def test_ipv4_shape_is_exact():
    check(P("sourceIPAddress", "is_ipv4"),
          [({"sourceIPAddress": "10.1.2.3"}, True), ({"sourceIPAddress": " 1.2.3.4 "}, False),  # ipaddress rejects blanks
           ({"sourceIPAddress": "256.1.1.1"}, False), ({"sourceIPAddress": "01.1.1.1"}, False),
           ({"sourceIPAddress": "host.example"}, False)])


def test_glob_patterns():
    check(P("eventName", "glob", "Describe*"),
          [({"eventName": "DescribeInstances"}, True), ({"eventName": "describeX"}, False)])
    check(P("eventName", "glob", "Get?Policy*"),
          [({"eventName": "GetXPolicyY"}, True), ({"eventName": "GetPolicy"}, False)])
    check(P("eventName", "glob", "[A-C]*[!z]"),
          [({"eventName": "Bxy"}, True), ({"eventName": "Bxz"}, False), ({"eventName": "Dxy"}, False)])


def test_field_reference():
    check(P("userIdentity.accountId", "eq", F("recipientAccountId"), case_sensitive=False),
          [({"userIdentity": {"accountId": "1"}, "recipientAccountId": "1"}, True),
           ({"userIdentity": {"accountId": "1"}, "recipientAccountId": "2"}, False),
           ({}, True)])  # Python: None == None


# --------------------------------------------------------------------------- regex


def test_regex_flags_and_modes():
    check(P("eventName", "regex", "^get", flags=("IGNORECASE",)),
          [({"eventName": "GetObject"}, True), ({"eventName": "xGet"}, False)])
    check(P("eventName", "regex", "Object", flags=("match",)),
          [({"eventName": "ObjectGet"}, True), ({"eventName": "GetObject"}, False)])
    check(P("eventName", "regex", "Get|Put", flags=("fullmatch",)),
          [({"eventName": "Get"}, True), ({"eventName": "GetX"}, False)])


def test_regex_dollar_means_python_end_or_final_newline():
    check(P("eventName", "regex", "Object$"),
          [({"eventName": "GetObject"}, True), ({"eventName": "GetObject\n"}, True),
           ({"eventName": "GetObject\n\n"}, False), ({"eventName": "GetObjectX"}, False)])


def test_regex_unicode_classes_follow_python():
    check(P("eventName", "regex", r"^\d+\s\w+$"),
          [({"eventName": "12 ab"}, True), ({"eventName": "١٢\u00a0é"}, True),
           ({"eventName": "x"}, False)])


def test_regex_lookaround_is_reported_not_emitted():
    rule, t = translate(All((P("eventName", "eq", "X"), P("userAgent", "regex", "a(?!b)"))))
    assert t.verdict == "partial"
    assert any(f.construct.startswith("userAgent regex") and "lookaround" in f.reason
               for f in t.findings)
    assert "(?!" not in t.query and check_syntax(t.query).ok
    assert sigma_matches(t, {"eventName": "X", "userAgent": "ab"}) is True  # over-approximation


# --------------------------------------------------------------------------- structure


def test_p_log_type_is_settled_by_the_logsource():
    check(All((P("p_log_type", "eq", CT), P("eventName", "eq", "X"))),
          [({"eventName": "X", "p_log_type": CT}, True),
           ({"eventName": "Y", "p_log_type": CT}, False)])
    rule, t = translate(All((P("p_log_type", "eq", "Okta.SystemLog"), P("eventName", "eq", "X"))))
    assert t.verdict == "unsupported" and not t.outputs


def test_quantifier_any_is_partial_and_flattened_to_multivalue_fields():
    q = Quantifier("any", F("resources"), P(Field(("type",), root="element"), "eq", "AWS::S3"))
    rule, t = translate(q)
    assert t.verdict == "partial"
    assert detection_of(t)["selection"] == {"resources.type|cased": "AWS::S3"}


def test_quantifier_all_is_dropped_with_a_finding():
    q = Quantifier("all", F("resources"), P(Field(("type",), root="element"), "eq", "AWS::S3"))
    rule, t = translate(All((P("eventName", "eq", "X"), q)))
    assert t.verdict == "partial"
    assert any("all() over resources" == f.construct for f in t.findings)


def test_opaque_and_unknown_transforms_are_reported():
    rule, t = translate(All((P("eventName", "eq", "X"),
                             Opaque("kv_store lookup", "needs state", "r.py:3"),
                             P(F("userAgent").with_transform("len"), "gt", 3))))
    assert t.verdict == "partial"
    constructs = {f.construct for f in t.findings}
    assert "kv_store lookup" in constructs and "len(userAgent)" in constructs


def test_constant_detection_is_unsupported():
    rule, t = translate(Opaque("x", "y"))
    assert t.verdict == "unsupported" and not t.outputs


def test_condition_groups_filters_on_the_same_field():
    t = check(All((P("eventSource", "eq", "ec2.amazonaws.com"),
                   Not(P("userAgent", "startswith", "a")), Not(P("userAgent", "endswith", "b")),
                   AnyOf((P("eventName", "eq", "A"), P("awsRegion", "eq", "B"))))),
              [({"eventSource": "ec2.amazonaws.com", "eventName": "A", "userAgent": "x"}, True),
               ({"eventSource": "ec2.amazonaws.com", "eventName": "A", "userAgent": "ab"}, False),
               ({"eventSource": "ec2.amazonaws.com", "awsRegion": "B"}, True)])
    det = detection_of(t)
    assert det["condition"] == "selection and not filter_user_agent and selection_event_name"
    assert det["filter_user_agent"] == [{"userAgent|startswith|cased": "a"},
                                        {"userAgent|endswith|cased": "b"}]


# --------------------------------------------------------------------------- metadata


def seed_like_rule(**kw) -> Rule:
    det = All((P("eventSource", "eq", "ec2.amazonaws.com"),
               P("eventName", "in", ("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupEgress")),
               Not(P("errorCode", "exists"))))
    base = dict(
        id="AWS.EC2.SecurityGroupModified", display_name="EC2 Security Group Modified",
        log_types=(CT,), severity="Info", description="An EC2 Security Group was modified.",
        runbook="https://docs.runpanther.io/alert-runbooks/x",
        reference="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/working-with-security-groups.html",
        mitre=(MitreRef("TA0005", "T1562"),), dedup_period_minutes=720, detection=det,
        output_fields=(F("eventName"), F("userAgent")), source_file="rules/x.yml",
        source_hash="abc",
        tests=(RuleTest.make("modified", True, {"eventSource": "ec2.amazonaws.com",
                                                "eventName": "AuthorizeSecurityGroupIngress"}),
               RuleTest.make("error", False, {"eventSource": "ec2.amazonaws.com", "errorCode": "E",
                                              "eventName": "AuthorizeSecurityGroupIngress"})))
    base.update(kw)
    return Rule(**base)


def test_metadata_fields():
    t = BACKEND.translate(seed_like_rule(), MS)
    doc = yaml.safe_load(t.query)
    assert doc["id"] == str(uuid.uuid5(ID_NAMESPACE, "AWS.EC2.SecurityGroupModified"))
    assert doc["tags"] == ["attack.defense-evasion", "attack.t1562"]
    assert doc["level"] == "informational" and doc["status"] == "experimental"
    assert doc["logsource"] == {"product": "aws", "service": "cloudtrail"}
    assert doc["fields"] == ["eventName", "userAgent"]
    assert len(doc["references"]) == 2 and doc["date"] == "2026-01-01"
    assert list(doc)[:3] == ["title", "id", "status"]
    assert t.outputs[0].path == "sigma/AWS.EC2.SecurityGroupModified.yml"
    header = t.outputs[0].text.splitlines()[:3]
    assert "AWS.EC2.SecurityGroupModified" in header[0] and "rules/x.yml" in header[1]
    assert header[2] == "# verdict: exact"


def test_output_is_deterministic_and_date_is_an_option(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # ignored: the cache keys on options
    a = BACKEND.translate(seed_like_rule(), MS).outputs[0].text
    assert a == BACKEND.translate(seed_like_rule(), MS).outputs[0].text
    dated = BACKEND.translate(seed_like_rule(), MS, BuildOptions(extra={"sigma_date": "2024-05-06"}))
    assert "date: '2024-05-06'" in dated.query
    assert "date: '2026-01-01'" in BACKEND.translate(seed_like_rule(), MS).query


def test_names_and_titles():
    assert sigma_name("AWS.EC2.SecurityGroupModified") == "aws_ec2_security_group_modified"
    assert title_case("login from a new country.") == "Login from a new Country"


def test_unknown_tactic_is_reported():
    t = BACKEND.translate(seed_like_rule(mitre=(MitreRef("TA9999", "T1"),)), MS)
    assert any(f.construct == "MITRE tactic TA9999" for f in t.findings)
    assert yaml.safe_load(t.query)["tags"] == ["attack.t1"]


def test_verify_rule_runs_the_rules_own_tests():
    rule = seed_like_rule()
    v = verify_rule(rule, BACKEND.translate(rule, MS), MS)
    assert v.syntax.clean
    assert [(r.name, r.matched, r.evaluator) for r in v.tests] == [
        ("modified", True, True), ("error", False, False)]


def test_multiple_log_types_give_related_documents():
    rule = seed_like_rule(log_types=(CT, "Okta.SystemLog"),
                          detection=P("p_log_type", "in", (CT,)))
    t = BACKEND.translate(rule, MS)
    assert t.verdict == "unsupported"  # constant per log type: nothing Sigma can state
    rule = seed_like_rule(log_types=(CT, "Okta.SystemLog"), detection=P("eventType", "eq", "x"))
    docs = list(yaml.safe_load_all(BACKEND.translate(rule, MS).query))
    assert len(docs) == 2 and docs[1]["logsource"]["product"] == "okta"
    assert docs[0]["related"] == [{"id": docs[1]["id"], "type": "similar"}]


# --------------------------------------------------------------------------- threshold


def _correlation_alerts(query_text: str, events: list[dict]) -> int:
    from sigma.backends.sqlite import sqliteBackend
    collection = parse(query_text)
    queries = sqliteBackend(table="logs").convert(collection)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE logs (timestamp, `userIdentity.arn` COLLATE NOCASE, "
                 "eventSource COLLATE NOCASE, eventName COLLATE NOCASE, errorCode COLLATE NOCASE)")
    for e in events:
        conn.execute("INSERT INTO logs VALUES (?, ?, ?, ?, ?)",
                     (e["t"], e["arn"], "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", None))
    return len(conn.execute(queries[-1]).fetchall())


def test_threshold_becomes_an_event_count_correlation_that_runs():
    rule = seed_like_rule(threshold=3, dedup_period_minutes=10,
                          title=Template(("Security group changed by ", F("userIdentity", "arn"))))
    t = BACKEND.translate(rule, MS)
    docs = list(yaml.safe_load_all(t.query))
    assert docs[0]["name"] == "aws_ec2_security_group_modified"
    corr = docs[1]["correlation"]
    assert corr == {"type": "event_count", "rules": ["aws_ec2_security_group_modified"],
                    "group-by": ["userIdentity.arn"], "timespan": "10m",
                    "condition": {"gte": 3}}
    assert check_syntax(t.query).clean
    at = "2024-01-01T00:0{}:00Z".format
    three = [{"t": at(i), "arn": "a"} for i in range(3)]
    assert _correlation_alerts(t.query, three) >= 1
    assert _correlation_alerts(t.query, three[:2] + [{"t": at(3), "arn": "b"}]) == 0
    spread = [{"t": "2024-01-01T00:00:00Z", "arn": "a"}, {"t": "2024-01-01T00:06:00Z", "arn": "a"},
              {"t": "2024-01-01T00:12:00Z", "arn": "a"}]
    assert _correlation_alerts(t.query, spread) == 0  # not within 10 minutes


def test_bad_input_never_raises():
    rule = make_rule(None)
    t = BACKEND.translate(rule, MS)
    assert t.verdict == "unsupported"
    t = BACKEND.translate(make_rule(P("eventName", "eq", "x"), log_types=("Nope.Log",)), MS)
    assert t.verdict == "unsupported" and "Nope.Log" in str(t.findings[0])
    assert rule_uuid("a") != rule_uuid("a", "threshold")


def test_engine_report_for_rulec_verify():
    from translator.verify.sigma import check as engine_check
    rule = seed_like_rule()
    report = engine_check(rule, BACKEND.translate(rule, MS), MS)
    assert report.status == "ok" and report.executed and report.syntax_ok
    assert [t.matched for t in report.tests] == [True, False]
    broken = seed_like_rule(tests=(RuleTest.make("wrong expectation", False,
                                                 {"eventSource": "ec2.amazonaws.com",
                                                  "eventName": "AuthorizeSecurityGroupIngress"}),))
    assert engine_check(broken, BACKEND.translate(broken, MS), MS).status == "fail"


def test_threshold_over_two_log_types_groups_through_aliases():
    rule = seed_like_rule(log_types=(CT, "Okta.SystemLog"), threshold=5, dedup_period_minutes=10,
                          detection=AnyOf((P("eventName", "eq", "ConsoleLogin"),
                                           P("eventType", "eq", "user.session.start"))),
                          dedup_key=(Field((), udm="user_agent"),), output_fields=())
    t = BACKEND.translate(rule, MS)
    docs = list(yaml.safe_load_all(t.query))
    corr = docs[-1]["correlation"]
    names = [d["name"] for d in docs[:2]]
    assert names == ["aws_ec2_security_group_modified",
                     "aws_ec2_security_group_modified_okta_system_log"]
    assert corr["group-by"] == ["user_agent"]
    assert corr["aliases"] == {"user_agent": {names[0]: "userAgent",
                                              names[1]: "client.userAgent.rawUserAgent"}}
    assert check_syntax(t.query).clean


def test_mitre_links_become_tags():
    rule = seed_like_rule(reference="https://attack.mitre.org/techniques/T1110/003/ https://x.example/a")
    doc = yaml.safe_load(BACKEND.translate(rule, MS).query)
    assert "attack.t1110.003" in doc["tags"]
    assert doc["references"] == ["https://x.example/a", "https://docs.runpanther.io/alert-runbooks/x"]


def test_presence_of_an_object_is_reported_not_tested():
    # Sigma records hold leaf values: `requestParameters` (an object) is never a field
    detection = All((P("eventName", "eq", "PutUserPolicy"), P("requestParameters", "truthy")))
    rule, t = translate(detection)
    assert t.verdict == "partial"
    assert any("object or array" in f.reason for f in t.findings)
    event = {"eventName": "PutUserPolicy", "requestParameters": {"policyName": "x"}}
    assert sigma_matches(t, event) is True and evaluate(detection, event) is True
    # a path the mapping cannot type, seen holding a list in the rule's own test event
    detection = All((P("eventName", "eq", "X"), P("responseElements.layers", "exists")))
    layered = {"eventName": "X", "responseElements": {"layers": [{"arn": "a"}]}}
    t = BACKEND.translate(make_rule(detection, tests=(RuleTest.make("t", True, layered),)), MS)
    assert t.verdict == "partial"


def test_control_characters_are_written_as_regex_escapes():
    t = check(P("userAgent", "contains", "a\nb\x01"),
              [({"userAgent": "xa\nb\x01y"}, True), ({"userAgent": "a b\x01"}, False)])
    assert detection_of(t)["selection"] == {"userAgent|re": "a\\nb\\x{1}"}


def test_title_conventions():
    assert title_case("Detects (no config) user invited") == "(No Config) User Invited"


def test_str_of_a_text_field_is_the_text():
    field = F("eventName").with_transform("str")
    check(P(field, "eq", "None"), [({"eventName": "None"}, True), ({}, True),  # str(None)
                                   ({"eventName": "X"}, False)])
    rule, t = translate(All((P("eventName", "eq", "X"),
                             P(F("n").with_transform("str"), "eq", "5"))))  # n: no type known
    assert t.verdict == "partial"


def test_multivalue_fields_match_any_element_and_are_reported():
    q = Quantifier("any", F("resources"), P(Field(("type",), root="element"), "eq", "AWS::S3"))
    rule, t = translate(All((P("eventName", "eq", "X"), q)))
    two = {"eventName": "X", "resources": [{"type": "AWS::IAM"}, {"type": "AWS::S3"}]}
    assert sigma_matches(t, two) is True and evaluate(rule.detection, two) is True
    assert sigma_matches(t, {"eventName": "X", "resources": [{"type": "AWS::IAM"}]}) is False
    # a scalar comparison on a field the rule's tests hold as an array: reported
    scopes = {"eventName": "X", "scopes": ["a", "b"]}
    detection = All((P("eventName", "eq", "X"), P("scopes", "eq", "a")))
    t = BACKEND.translate(make_rule(detection, tests=(RuleTest.make("t", False, scopes),)), MS)
    assert t.verdict == "partial" and any("array" in f.reason for f in t.findings)
    assert sigma_matches(t, scopes) is True and evaluate(detection, scopes) is False


def test_field_the_source_does_not_hold_is_partial():
    # p_enrichment (Panther's lookup-table enrichment) never reaches a Sigma source: a test on
    # it cannot mean what the rule means, so the translation is not exact
    rule, t = translate(P("p_enrichment.tor_exit_nodes", "exists"))
    assert t.verdict == "partial", [str(f) for f in t.findings]
    assert any("does not hold" in f.reason for f in t.findings)
