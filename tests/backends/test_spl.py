"""SPL backend: each construct's generated search runs in rulec's SPL-subset evaluator on
projected events and must match exactly what the reference evaluator says; the savedsearches
stanza and the Splunk app carry Splunk's keys; golden files pin the emitted text.

Regenerate goldens on purpose only:  RULEC_UPDATE_GOLDEN=1 python -m pytest tests/backends/test_spl.py
"""
from __future__ import annotations

import configparser
import os
from pathlib import Path

import pytest

from translator.backends.spl import BACKEND, cron_for
from translator.backends.spl_expr import glob_to_pcre, python_regex_to_pcre
from translator.engines.spl_eval import parse, run
from translator.evaluator import evaluate
from translator.mapping import load_mappings
from translator.model import (
    All, AnyOf, Const, Count, Field, MitreRef, Not, Opaque, Predicate, Quantifier, Rule, RuleTest,
    Tally, Template,
)
from translator.verify.spl import check, collisions, splunk_event

MS = load_mappings()
CT = "AWS.CloudTrail"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "spl"


def F(*path, **kw) -> Field:
    return Field(tuple(path), **kw)


def P(path: str, op: str, value=None, **kw) -> Predicate:
    return Predicate(F(*path.split(".")), op, value, **kw)


def E(path: str, op: str, value=None, **kw) -> Predicate:
    return Predicate(Field(tuple(path.split(".")) if path else (), root="element"), op, value, **kw)


def rule_of(detection, **kw) -> Rule:
    return Rule(**{"id": "Test.Spl.Rule", "display_name": "Test rule", "log_types": (CT,),
                   "detection": detection} | kw)


def agrees(detection, events: list[dict], expect_exact: bool = True, log_type: str = CT
           ) -> list[bool]:
    """Runs the SPL of ``detection`` on each event; asserts agreement with the reference."""
    t = BACKEND.translate(rule_of(detection, log_types=(log_type,)), MS)
    if expect_exact:
        assert t.verdict == "exact", [str(f) for f in t.findings]
    parse(t.query)
    out = []
    for event in events:
        got = bool(run(t.query, [splunk_event(MS, log_type, event)]))
        assert got == evaluate(detection, event), (event, t.query)
        out.append(got)
    return out


# --------------------------------------------------------------------------- constructs
def test_equality_is_case_sensitive_and_literal_star():
    got = agrees(P("eventName", "eq", "Run*"), [{"eventName": "Run*"}, {"eventName": "RunX"},
                                                {"eventName": "run*"}, {}])
    assert got == [True, False, False, False]


def test_equality_search_prefilter_and_where():
    t = BACKEND.translate(rule_of(P("eventName", "eq", "RunInstances")), MS)
    assert 'eventName="RunInstances"' in t.query.split("|")[0]
    assert "'eventName'==\"RunInstances\"" in t.query


def test_star_value_never_reaches_search():
    t = BACKEND.translate(rule_of(P("eventName", "eq", "a*b")), MS)
    assert "a*b" not in t.query.split("| where")[0]


def test_not_equal_keeps_missing_field_like_python():
    got = agrees(Not(P("eventName", "eq", "X")), [{"eventName": "X"}, {"eventName": "Y"}, {}])
    assert got == [False, True, True]


def test_case_insensitive_equality():
    assert agrees(P("eventName", "eq", "abc", case_sensitive=False),
                  [{"eventName": "ABC"}, {"eventName": "abd"}]) == [True, False]
    assert agrees(Predicate(F("eventName", transforms=(__import__(
        "translator.model", fromlist=["Transform"]).Transform("lower"),)), "eq", "abc"),
        [{"eventName": "AbC"}, {"eventName": "x"}]) == [True, False]


def test_in_list():
    assert agrees(P("eventName", "in", ("A", "B*")), [{"eventName": "A"}, {"eventName": "B*"},
                                                       {"eventName": "Bx"}, {"eventName": "a"}]) \
        == [True, True, False, False]


@pytest.mark.parametrize("op,value", [("contains", "a%b"), ("startswith", "x_y"),
                                      ("endswith", "\\z"), ("contains", "plain")])
def test_substring_tests_with_like_metacharacters(op, value):
    events = [{"userAgent": v} for v in (value, "pre" + value + "post", value + "!", "!" + value,
                                          "aXb", "xzy", "plai", "")]
    agrees(P("userAgent", op, value), events + [{}])


def test_regex_modes_and_flags():
    events = [{"userAgent": v} for v in ("abc", "xabc", "ABC", "abc\n", "ab")]
    agrees(P("userAgent", "regex", "abc"), events)
    agrees(P("userAgent", "regex", "abc", flags=("match",)), events)
    agrees(P("userAgent", "regex", "abc", flags=("fullmatch",)), events)
    agrees(P("userAgent", "regex", "abc$", flags=("IGNORECASE",)), events)
    agrees(P("userAgent", "regex", "a.c\\Z"), events)


def test_glob():
    events = [{"userAgent": v} for v in ("ab", "a\nb", "aXb", "a*b", "[x]", "b")]
    agrees(P("userAgent", "glob", "a*b"), events)
    agrees(P("userAgent", "glob", "a?b"), events)
    agrees(P("userAgent", "glob", "[!a]*"), events)


def test_numeric_comparisons():
    events = [{"eventVersion": v} for v in ("1.08", "2", "abc", "10")] + [{}]
    for op in ("gt", "ge", "lt", "le", "eq"):
        agrees(P("eventVersion", op, 2), [e for e in events if not isinstance(
            e.get("eventVersion"), str) or e["eventVersion"] not in ("2", "10", "1.08")])


def test_cidr_and_ip_classes():
    events = [{"sourceIPAddress": v} for v in ("10.1.2.3", "8.8.8.8", "192.168.0.1", "::1",
                                               "2606:4700::1", "not-ip", "100.64.0.1")] + [{}]
    agrees(P("sourceIPAddress", "cidr", ("10.0.0.0/8", "192.168.0.0/16")), events)
    for op in ("is_ip", "is_ipv4", "is_ipv6", "ip_private", "ip_public"):
        agrees(P("sourceIPAddress", op), events, expect_exact=True)


def test_exists_null_truthy():
    events = [{"errorCode": "Denied"}, {"errorCode": ""}, {}, {"errorCode": None}]
    agrees(P("errorCode", "exists"), [events[0], events[2]])
    agrees(P("errorCode", "null"), events)
    agrees(P("errorCode", "truthy"), events)
    agrees(Not(P("errorCode", "truthy")), events)
    for falsy in ((), "", 0):  # deep_get(event, "errorCode", default=[]) and friends
        agrees(Not(Predicate(F("errorCode", default=falsy), "truthy")), events)


def test_keys_are_read_in_the_schema_spelling():
    # PantherEvent keys are case-insensitive: a rule traced on a test that writes "eventname"
    # reads the log's eventName, and Splunk's field names are the log's own
    detection = All((P("eventname", "eq", "RunInstances"),
                     P("requestparameters.userData", "truthy")))
    t = BACKEND.translate(rule_of(detection), MS)
    assert "'eventName'==" in t.query and '"requestParameters.userData"' in t.query
    assert not any("unmapped" in f.construct for f in t.findings)
    hits = agrees(detection, [
        {"eventName": "RunInstances", "requestParameters": {"userData": "x"}},
        {"eventname": "RunInstances", "requestparameters": {"userData": "x"}},
        {"eventName": "RunInstances", "requestParameters": {"userData": ""}},
        {"eventName": "StopInstances", "requestParameters": {"userData": "x"}},
    ])
    assert hits == [True, True, False, False]


def test_presence_of_a_renamed_field_reads_where_splunk_holds_it():
    # the CrowdStrike add-on's ImageFileName is Panther's event.ImageFileName; its truthiness
    # (JSON type unknown below the free-form event) is read from _raw at the renamed place
    detection = P("event.ImageFileName", "truthy")
    hits = agrees(detection, [{"event": {"ImageFileName": "at.exe"}}, {"event": {}},
                              {"event": {"ImageFileName": ""}}],
                  log_type="Crowdstrike.FDREvent")
    assert hits == [True, False, False]


def test_text_comparison_of_a_bool_field_never_holds():
    # Splunk extracts JSON true as "true"; Python's True == "true" is False
    for detection in (P("success", "eq", "true"), P("success", "in", ("true", "yes"))):
        t = BACKEND.translate(rule_of(detection, log_types=("Gravitational.TeleportAudit",)), MS)
        assert any("schema types the field bool" in f.reason for f in t.findings)
        assert agrees(detection, [{"success": True}, {"success": False}],
                      log_type="Gravitational.TeleportAudit") == [False, False]


def test_collisions_name_fields_a_test_gives_different_values():
    ev = {"event_platform": "Win", "event": {"event_platform": "Mac", "aid": "a"}, "aid": "a"}
    assert collisions(MS, "Crowdstrike.FDREvent", ev) == (
        "event_platform: event_platform='Win', event.event_platform='Mac'",)


def test_list_or_object_defaults_decide_the_absent_case():
    # deep_get(event, "requestParameters", "filter", default={}) and friends: no eval literal
    # for {} or [], but what the predicate says of it is known: an absent value gives that
    events = [{"requestParameters": {"filter": {"k": "v"}}}, {"requestParameters": {"filter": "x"}},
              {"requestParameters": {"filter": None}}, {"requestParameters": {}}, {}]
    for op, value in (("exists", None), ("eq", "x"), ("null", None), ("contains", "x")):
        for on_null in (True, False):
            f = F("requestParameters", "filter", default=(), default_on_null=on_null)
            detection = Predicate(f, op, value)
            agrees(detection, events if on_null else events[:2] + events[3:])
            agrees(Not(detection), events if on_null else events[:2] + events[3:])


def test_quantifiers_over_array_leaves():
    ev = [{"resources": [{"arn": "arn:a"}, {"arn": "arn:b"}]}, {"resources": [{"arn": "arn:a"}]},
          {"resources": []}, {}]
    for kind in ("any", "none", "one"):
        q = Quantifier(kind, F("resources"), E("arn", "startswith", "arn:a"))
        agrees(q, ev)
    # all() counts elements lacking the leaf (Python) that Splunk's multivalue field lacks
    t = BACKEND.translate(rule_of(Quantifier("all", F("resources"), E("arn", "eq", "x"))), MS)
    assert t.verdict == "unsupported"


def test_counts_of_array_leaves():
    ev = [{"resources": [{"arn": "arn:a"}, {"arn": "arn:a"}, {"arn": "arn:b"}]},
          {"resources": [{"arn": "arn:a"}, {"type": "T"}]}, {"resources": []}, {},
          {"resources": [{"arn": "arn:a"}, {"type": "T"}, {"type": "T", "arn": "arn:c"}]}]
    arn_a = Tally(F("resources"), E("arn", "startswith", "arn:a"))
    for op in ("eq", "ne", "gt", "ge", "lt", "le"):
        for n in (1, 2):
            agrees(Count(arn_a, op, n), ev)
            agrees(Not(Count(arn_a, op, n)), ev)
    typed = Tally(F("resources"), E("type", "eq", "T"))
    agrees(Count(arn_a, "gt", typed), ev)
    agrees(Not(Count(typed, "eq", arn_a)), ev)
    # every element counted: those lacking the leaf are not in Splunk's multivalue field
    t = BACKEND.translate(rule_of(Count(Tally(F("resources"), Not(E("arn", "eq", "x"))), "ge", 2)), MS)
    assert t.verdict == "unsupported" and any("count" in f.construct for f in t.findings)


def test_quantifiers_over_scalar_array():
    ev = [{"details": {"new_scopes": s}} for s in (["admin", "chat"], ["admin"], ["chat"], [])]
    for kind in ("any", "all", "none", "one"):
        agrees(Quantifier(kind, F("details", "new_scopes"), E("", "eq", "admin")), ev + [{}],
               log_type="Slack.AuditLogs")


def test_quantifier_over_two_leaves_is_reported():
    q = Quantifier("any", F("resources"), All((E("arn", "eq", "x"), E("type", "eq", "y"))))
    t = BACKEND.translate(rule_of(q), MS)
    assert t.verdict == "unsupported"
    assert any("one multivalue field per leaf" in f.reason for f in t.findings)


def test_member_of_array():
    agrees(Predicate(F("p_any_ip_addresses"), "member", "1.2.3.4"),
           [{"sourceIPAddress": "1.2.3.4", "p_any_ip_addresses": ["1.2.3.4"]},
            {"sourceIPAddress": "1.2.3.40", "p_any_ip_addresses": ["1.2.3.40"]}, {}],
           expect_exact=True)


def test_constant_log_type_folds():
    t = BACKEND.translate(rule_of(All((P("p_log_type", "eq", CT), P("eventName", "eq", "x")))), MS)
    assert "true()" in t.query and "p_log_type" not in t.query


def test_opaque_conjunct_is_partial_and_opaque_alone_unsupported():
    t = BACKEND.translate(rule_of(All((P("eventName", "eq", "x"), Opaque("c", "why")))), MS)
    assert t.verdict == "partial"
    t = BACKEND.translate(rule_of(Opaque("c", "why")), MS)
    assert t.verdict == "unsupported" and not t.outputs


def test_nested_boolean_logic():
    d = AnyOf((All((P("eventName", "eq", "a"), Not(P("errorCode", "exists")))),
               Not(AnyOf((P("eventName", "eq", "b"), Const(False))))))
    agrees(d, [{"eventName": "a"}, {"eventName": "a", "errorCode": "x"}, {"eventName": "b"}, {}])


def test_regex_translation():
    assert python_regex_to_pcre("a\\Zb{,3}", ())[0] == "a\\zb{0,3}"
    assert python_regex_to_pcre("x", ("IGNORECASE", "fullmatch"))[0] == "(?i)\\A(?:x)\\z"
    assert glob_to_pcre("a*") == "\\Aa[\\s\\S]*\\z"
    # Python's leading global flags are hoisted in front of the mode's anchor
    assert python_regex_to_pcre("(?i)ab", ("match",))[0] == "(?i)\\A(?:ab)"
    agrees(P("userAgent", "regex", "(?i)ab", flags=("match",)),
           [{"userAgent": "ABc"}, {"userAgent": "xab"}])


# --------------------------------------------------------------------------- alert behaviour
def threshold_rule() -> Rule:
    return Rule(id="Test.Spl.Burst", display_name="Burst", log_types=(CT,), threshold=3,
                dedup_period_minutes=15, severity="High", mitre=(MitreRef("TA0006", "T1110.001"),),
                detection=P("errorCode", "eq", "AccessDenied"),
                title=Template(("Denied for ", F("userIdentity", "arn"))),
                tests=(RuleTest.make("denied", True, {"errorCode": "AccessDenied",
                                                      "userIdentity": {"arn": "a"}}),
                       RuleTest.make("ok", False, {"errorCode": "x"})))


def test_threshold_counts_per_dedup():
    r = threshold_rule()
    t = BACKEND.translate(r, MS)
    assert "stats count" in t.query and "where count >= 3" in t.query
    e = splunk_event(MS, CT, {"errorCode": "AccessDenied", "userIdentity": {"arn": "a"}})
    other = splunk_event(MS, CT, {"errorCode": "AccessDenied", "userIdentity": {"arn": "b"}})
    assert run(t.query, [e, e]) == []
    rows = run(t.query, [e, e, other, e])
    assert [(r["dedup"], r["count"]) for r in rows] == [("Denied for a", 3)]
    report = check(r, t, MS)
    assert report.status == "ok", report.to_dict()


def test_title_eval_and_table():
    r = Rule(id="Test.Spl.Title", log_types=(CT,), detection=P("eventName", "eq", "x"),
             title=Template(('He said "hi" | delete ', F("userIdentity", "arn", default="<none>"))),
             output_fields=(F("eventName"), F("sourceIPAddress")))
    t = BACKEND.translate(r, MS)
    rows = run(t.query, [splunk_event(MS, CT, {"eventName": "x"})])
    assert rows[0]["title"] == 'He said "hi" | delete <none>'
    assert list(rows[0]) == ["dedup", "title", "eventName"]  # _time and sourceIPAddress absent


def test_stanza_keys():
    t = BACKEND.translate(threshold_rule(), MS)
    text = t.outputs[0].text
    cp = configparser.RawConfigParser(comment_prefixes=("#",), delimiters=("=",),
                                      interpolation=None, strict=True)
    cp.optionxform = str
    cp.read_string(text)
    s = cp["Test.Spl.Burst"]
    assert s["cron_schedule"] == "*/15 * * * *"
    assert s["dispatch.earliest_time"] == "-15m@m" and s["dispatch.latest_time"] == "@m"
    assert s["alert.suppress"] == "1" and s["alert.suppress.period"] == "15m"
    assert s["alert.suppress.fields"] == "dedup"
    assert s["alert.severity"] == "5"
    assert s["action.correlationsearch.annotations"] == \
        '{"mitre_attack": ["T1110.001"], "mitre_attack_tactics": ["TA0006"]}'
    assert s["search"] == t.query
    assert text.startswith("# Generated by rulec")


def test_cron_for():
    assert cron_for(5)[:2] == ("*/5 * * * *", 5)
    assert cron_for(60)[:2] == ("0 * * * *", 60)
    assert cron_for(720)[:2] == ("0 */12 * * *", 720)
    assert cron_for(1440)[:2] == ("0 0 * * *", 1440)
    cron, period, note = cron_for(90)
    assert 90 % period == 0 and note


def test_package_app_layout():
    a = BACKEND.translate(threshold_rule(), MS)
    b = BACKEND.translate(rule_of(P("eventName", "eq", "x")), MS)
    outs = {o.path: o.text for o in BACKEND.package([b, a])}
    assert set(outs) == {"spl/app/default/savedsearches.conf", "spl/app/default/app.conf"}
    cp = configparser.RawConfigParser(comment_prefixes=("#",), delimiters=("=",),
                                      interpolation=None, strict=True)
    cp.optionxform = str
    cp.read_string(outs["spl/app/default/savedsearches.conf"])
    assert cp.sections() == ["Test.Spl.Burst", "Test.Spl.Rule"]
    app = configparser.RawConfigParser(interpolation=None)
    app.read_string(outs["spl/app/default/app.conf"])
    assert app["package"]["id"] == "rulec_detections"


def test_multi_log_type_rule_ties_conditions_to_sources():
    r = Rule(id="Test.Spl.Two", log_types=(CT, "Okta.SystemLog"),
             detection=P("p_log_type", "eq", "Okta.SystemLog"))
    t = BACKEND.translate(r, MS)
    assert run(t.query, [splunk_event(MS, CT, {"eventName": "x"})]) == []
    assert run(t.query, [splunk_event(MS, "Okta.SystemLog", {"eventType": "x"})])


# --------------------------------------------------------------------------- golden
GOLDEN_RULES = {
    "Test.Spl.Burst": threshold_rule,
    "Test.Spl.Constructs": lambda: Rule(
        id="Test.Spl.Constructs", display_name="SPL constructs", log_types=(CT,),
        severity="Medium", description="Constructs\nacross lines \\",
        detection=All((
            P("eventName", "in", ("CreateUser", "Delete*")),
            Not(P("errorCode", "truthy")),
            AnyOf((P("userAgent", "contains", '"; drop', case_sensitive=False),
                   P("userAgent", "regex", "^aws-cli/\\d", flags=("match",)),
                   P("sourceIPAddress", "cidr", ("10.0.0.0/8",)),
                   Quantifier("any", F("resources"), E("type", "eq", "AWS::IAM::User")))),
        )),
        output_fields=(F("eventName"),),
        tests=(RuleTest.make("hit", True, {"eventName": "CreateUser", "userAgent": "x\"; DROP"}),
               RuleTest.make("miss", False, {"eventName": "CreateUser", "errorCode": "E",
                                             "userAgent": "aws-cli/2"}))),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_RULES))
def test_golden(name):
    rule = GOLDEN_RULES[name]()
    t = BACKEND.translate(rule, MS)
    path = GOLDEN / f"{name}.conf"
    if os.environ.get("RULEC_UPDATE_GOLDEN"):
        path.write_text(t.outputs[0].text)
    assert t.outputs[0].text == path.read_text()
    report = check(rule, t, MS)
    assert report.status == "ok", report.to_dict()


# --------------------------------------------------------------------------- our rules/
def test_own_rules_app_and_agreement():
    """rules/ through the SPL backend: every emitted search parses, the app holds one stanza
    per emitted rule, and exact rules agree with ExpectedResult on every test, except where the
    translation itself warns that Splunk cannot tell the difference (JSON true vs "true")."""
    from translator.pipeline import compile_paths
    root = Path(__file__).resolve().parents[2]
    rules = [r for r in compile_paths([str(root / "rules")], jobs=2).rules
             if r.analysis_type == "rule"]
    translations = [BACKEND.translate(r, MS) for r in rules]
    emitted = [t for t in translations if t.outputs]
    assert len(emitted) >= 30
    app = {o.path: o.text for o in BACKEND.package(translations)}
    cp = configparser.RawConfigParser(comment_prefixes=("#",), delimiters=("=",),
                                      interpolation=None, strict=True)
    cp.optionxform = str
    cp.read_string(app["spl/app/default/savedsearches.conf"])
    assert sorted(cp.sections()) == sorted(t.rule_id for t in emitted)
    disagreeing = []
    for rule, t in zip(rules, translations):
        if t.verdict != "exact":
            continue
        parse(cp[rule.id]["search"])
        report = check(rule, t, MS)
        indistinguishable = any("alike" in f.reason for f in t.findings)
        if report.status != "ok" and not indistinguishable:
            disagreeing.append((rule.id, report.to_dict()))
    assert not disagreeing
