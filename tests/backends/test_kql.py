"""Sentinel KQL backend: each construct and edge case as a hand-built rule, analysed by
Kusto.Language against the mapped table schema and executed by duckdb-kql on projected test
events; the engine's verdict must equal the reference evaluator and, where stated here by hand,
the Python meaning."""
from __future__ import annotations

import pytest
import yaml

from translator.backends.kql import BACKEND, lower_rule, query_tables
from translator.evaluator import evaluate
from translator.mapping import load_mappings
from translator.model import (
    FALSE, All, AnyOf, Count, Field, First, MitreRef, Not, Predicate, Quantifier, Rule, RuleTest,
    Tally, Template, Transform,
)
from translator.verify.kql import execute

CT = "AWS.CloudTrail"
NAME = Field(("eventName",))
ERROR = Field(("errorCode",))
PARAM = lambda *p, **kw: Field(("requestParameters",) + p, **kw)  # noqa: E731 - JSON below a string column
ELEM = lambda *p: Field(p, root="element")  # noqa: E731


def P(field, op, value=None, **kw):
    return Predicate(field, op, value, **kw)


def rule_of(name: str, expr, events, expected=None) -> Rule:
    """A rule whose tests are ``events``; expected results are the evaluator's unless given
    (hand-stated ones are also checked against the evaluator below)."""
    tests = []
    for i, ev in enumerate(events):
        # Panther sets p_log_type on every event it evaluates
        exp = expected[i] if expected is not None else evaluate(expr, {"p_log_type": CT, **ev})
        tests.append(RuleTest.make(f"{name}-{i}", exp, ev))
    return Rule(id=f"Test.KQL.{name}", display_name=name, log_types=(CT,), detection=expr,
                tests=tuple(tests))


S_EVENTS = [{"eventName": "CreateUser"}, {"eventName": "createuser"}, {"eventName": ""},
            {"eventName": None}, {}, {"eventName": "CreateUserX"}, {"eventName": "XCreateUser"}]
P_EVENTS = [{"requestParameters": {"v": "CreateUser"}}, {"requestParameters": {"v": "createuser"}},
            {"requestParameters": {"v": ""}}, {"requestParameters": {"v": None}},
            {"requestParameters": {}}, {}, {"requestParameters": {"v": 22}},
            {"requestParameters": {"v": "22"}}, {"requestParameters": {"v": ["CreateUser"]}},
            {"requestParameters": {"v": {"CreateUser": 1}}}, {"requestParameters": {"v": True}},
            {"requestParameters": {"v": 0}}, {"requestParameters": {"v": []}},
            {"requestParameters": {"v": "false"}}]
V = PARAM("v")

# (name, expression, events, hand-stated expected results or None, duckdb-kql gap or "")
FIRST_ITEM = First(PARAM("items"), P(ELEM("cidrIp"), "exists"), P(ELEM("cidrIp"), "eq", "0.0.0.0/0"))
ITEM_EVENTS = [{"requestParameters": {"items": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "1.0.0.0/8"}]}},
               {"requestParameters": {"items": [{}, {"cidrIp": "1.0.0.0/8"}, {"cidrIp": "0.0.0.0/0"}]}},
               {"requestParameters": {"items": []}}, {}]
CASES = [
    ("eq_cs", P(NAME, "eq", "CreateUser"), S_EVENTS, [True, False, False, False, False, False, False], ""),
    ("eq_ci", P(NAME, "eq", "CreateUser", case_sensitive=False), S_EVENTS,
     [True, True, False, False, False, False, False], ""),
    ("ne_true_when_missing", Not(P(ERROR, "eq", "AccessDenied")),
     [{"errorCode": "AccessDenied"}, {}, {"errorCode": None}, {"errorCode": "Other"}],
     [False, True, True, True], ""),
    ("in_cs", P(NAME, "in", ("CreateUser", "DeleteUser")), S_EVENTS, None, ""),
    ("in_ci", P(NAME, "in", ("CreateUser", "DeleteUser"), case_sensitive=False), S_EVENTS, None, ""),
    ("not_in", Not(P(NAME, "in", ("CreateUser",))), S_EVENTS, None, ""),
    ("contains_is_substring", P(NAME, "contains", "reateUs"), S_EVENTS,
     [True, False, False, False, False, True, True], ""),
    ("contains_ci", P(NAME, "contains", "REATEUS", case_sensitive=False), S_EVENTS, None, ""),
    ("startswith_tuple", P(NAME, "startswith", ("Create", "XC")), S_EVENTS, None, ""),
    ("endswith_ci", P(NAME, "endswith", "USER", case_sensitive=False), S_EVENTS, None, ""),
    ("regex_search", P(NAME, "regex", r"User$"), S_EVENTS + [{"eventName": "CreateUser\n"}], None, ""),
    ("regex_match_ignorecase", P(NAME, "regex", "create", flags=("IGNORECASE", "match")), S_EVENTS, None, ""),
    ("regex_fullmatch", P(NAME, "regex", r"Create\w+", flags=("fullmatch",)), S_EVENTS, None, ""),
    ("glob", P(NAME, "glob", "Create*r"), S_EVENTS, None, ""),
    ("regex_escaped_controls", P(NAME, "regex", '\\\n"\\\\\t'),
     [{"eventName": '\n"\\\t'}, {"eventName": '\n"\\t'}, {}], [True, False, False], ""),
    ("dyn_eq_text", P(V, "eq", "CreateUser"), P_EVENTS, None, ""),
    ("dyn_eq_number_text", P(V, "eq", "22"), P_EVENTS, None, ""),
    ("dyn_eq_number", P(V, "eq", 22), P_EVENTS, None, ""),
    ("dyn_gt", P(V, "gt", 5), P_EVENTS, None, ""),
    ("dyn_ne", Not(P(V, "eq", "CreateUser")), P_EVENTS, None, ""),
    ("dyn_contains", P(V, "contains", "User"), P_EVENTS, None, ""),
    ("dyn_exists", P(V, "exists"), P_EVENTS, None, ""),
    ("dyn_null", P(V, "null"), P_EVENTS, None, ""),
    ("dyn_truthy", P(V, "truthy"), P_EVENTS, None, ""),
    ("dyn_not_truthy", Not(P(V, "truthy")), P_EVENTS, None, ""),
    ("dyn_default_on_null", P(PARAM("v", default="none", default_on_null=True), "eq", "none"),
     P_EVENTS, None, ""),
    ("dyn_lower", P(V.with_transform("lower"), "eq", "createuser"), P_EVENTS, None, ""),
    ("dyn_len", P(V.with_transform("len"), "ge", 1), P_EVENTS, None, "bag_keys"),
    ("str_len", P(NAME.with_transform("len"), "gt", 10), S_EVENTS, None, ""),
    ("str_split", P(NAME.with_transform("split", "U", 0), "eq", "Create"), S_EVENTS, None, ""),
    ("str_truthy", P(NAME, "truthy"), S_EVENTS, None, ""),
    ("member", P(V, "member", "CreateUser"), P_EVENTS, None, ""),
    ("bool_column_false", P(Field(("readOnly",)), "eq", False),
     [{"readOnly": False}, {"readOnly": True}, {}, {"readOnly": None}], [True, False, False, False], ""),
    ("bool_column_not_truthy", Not(P(Field(("readOnly",)), "truthy")),
     [{"readOnly": False}, {"readOnly": True}, {}], [True, False, True], ""),
    ("any_of_and_not", AnyOf((All((P(NAME, "eq", "CreateUser"), Not(P(V, "exists")))),
                               P(NAME, "eq", "XCreateUser"))), S_EVENTS + P_EVENTS, None, ""),
    ("p_log_type", All((P(Field(("p_log_type",)), "eq", CT), P(NAME, "eq", "CreateUser"))),
     S_EVENTS, None, ""),
    ("p_log_type_other", P(Field(("p_log_type",)), "eq", "Okta.SystemLog"), S_EVENTS, None, ""),
    ("quotes_and_backslashes", P(NAME, "eq", 'a"b\'c\\d\n" or 1==1 | delete'),
     [{"eventName": 'a"b\'c\\d\n" or 1==1 | delete'}, {"eventName": "a"}], [True, False], ""),
    ("present_json_key", P(V, "present"), P_EVENTS, None, "bag_has_key"),
    ("get_default", P(Field(("requestParameters",)).with_transform("get", "v", "none"), "eq", "none"),
     P_EVENTS, None, "bag_has_key"),
    ("get_default_on_null", P(Field(("requestParameters",)).with_transform("get", "v", "none", True),
                              "eq", "none"), P_EVENTS, None, ""),
    ("get_exists", P(Field(("requestParameters",)).with_transform("get", "v"), "exists"), P_EVENTS, None, ""),
    ("get_not_exists", Not(P(Field(("requestParameters",)).with_transform("get", "v"), "exists")),
     P_EVENTS, None, ""),
    ("indicator_member", P(Field(("p_any_ip_addresses",)), "member", "10.0.0.1"),
     [{"sourceIPAddress": "10.0.0.1", "p_any_ip_addresses": ["10.0.0.1"]},
      {"sourceIPAddress": "10.0.0.2", "p_any_ip_addresses": ["10.0.0.2"]}], [True, False], ""),
    ("split_index", P(NAME.with_transform("split", "U").with_transform("index", -1), "eq", "ser"),
     S_EVENTS, None, ""),
    ("field_eq", P(Field(("userIdentity", "arn")), "eq",
                   Field(("userIdentity", "sessionContext", "sessionIssuer", "arn"))),
     [{"userIdentity": {"arn": "a", "sessionContext": {"sessionIssuer": {"arn": "a"}}}},
      {"userIdentity": {"arn": "a", "sessionContext": {"sessionIssuer": {"arn": "b"}}}},
      {"userIdentity": {"arn": "a"}}, {}], [True, False, False, True], ""),
    ("nested_quantifier", Quantifier("any", PARAM("items"), Quantifier(
        "all", ELEM("ranges"), P(ELEM("cidr"), "eq", "0.0.0.0/0"))),
     [{"requestParameters": {"items": [{"ranges": [{"cidr": "0.0.0.0/0"}]}]}},
      {"requestParameters": {"items": [{"ranges": [{"cidr": "0.0.0.0/0"}, {"cidr": "1.0.0.0/8"}]}]}}],
     [True, False], "MvapplyOperator"),
    ("keyword_property", P(PARAM("title"), "eq", "x"),
     [{"requestParameters": {"title": "x"}}, {"requestParameters": {"title": "y"}}, {}],
     [True, False, False], ""),
    ("key_case_follows_the_schema", P(Field(("eventname",)), "eq", "CreateUser"),
     [{"eventName": "CreateUser"}, {"EVENTNAME": "CreateUser"}, {"eventName": "x"}],
     [True, True, False], ""),
    ("str_of_json_value", P(V.with_transform("str"), "eq", "True"), P_EVENTS, None, ""),
    ("str_of_json_number", P(V.with_transform("str"), "eq", "22"), P_EVENTS, None, ""),
    ("int_of_json_value", P(V.with_transform("int"), "gt", 10),
     P_EVENTS + [{"requestParameters": {"v": " 12 "}}, {"requestParameters": {"v": 12.7}},
                 {"requestParameters": {"v": "12.7"}}], None, ""),
    ("quantifier_any", Quantifier("any", PARAM("items"), P(ELEM("cidrIp"), "eq", "0.0.0.0/0")),
     [{"requestParameters": {"items": [{"cidrIp": "0.0.0.0/0"}]}}, {"requestParameters": {"items": []}}, {}],
     [True, False, False], "MvapplyOperator"),
    # an ordered loop: the first (last) element with a cidrIp key decides (mv-apply numbers
    # the elements: with_itemindex)
    ("first_element", FIRST_ITEM, ITEM_EVENTS, [True, False, False, False], "MvapplyOperator"),
    ("not_first_element", Not(FIRST_ITEM), ITEM_EVENTS, [False, True, True, True], "MvapplyOperator"),
    ("last_element", First(PARAM("items"), P(ELEM("cidrIp"), "exists"),
                           P(ELEM("cidrIp"), "eq", "0.0.0.0/0"), last=True),
     ITEM_EVENTS, [False, True, False, False], "MvapplyOperator"),
    # counts of elements (duplicates included) against a number and against another count;
    # duckdb-kql lacks mv-apply: Kusto.Language checks the text
    ("count_ge", Count(Tally(PARAM("items"), P(ELEM("cidrIp"), "eq", "0.0.0.0/0")), "ge", 2),
     ITEM_EVENTS + [{"requestParameters": {"items": [{"cidrIp": "0.0.0.0/0"}] * 2}}],
     [False, False, False, False, True], "MvapplyOperator"),
    ("count_ne_count", Not(Count(Tally(PARAM("items")), "ne",
                                 Tally(PARAM("other"), P(ELEM(), "exists")))),
     ITEM_EVENTS + [{"requestParameters": {"items": [1], "other": [None, 2]}}],
     [False, False, True, True, True], "MvapplyOperator"),
    ("count_in_first", First(PARAM("items"), P(ELEM("kind"), "eq", "x"),
                             Count(Tally(ELEM("tags"), P(ELEM(), "truthy")), "ge", 2)),
     [{"requestParameters": {"items": [{"kind": "y"}, {"kind": "x", "tags": ["a", "", "b"]}]}},
      {"requestParameters": {"items": [{"kind": "x", "tags": ["a"]}, {"kind": "x", "tags": [1, 2]}]}}, {}],
     [True, False, False], "MvapplyOperator"),
    ("cidr", P(Field(("sourceIPAddress",)), "cidr", ("10.0.0.0/8",)),
     [{"sourceIPAddress": "10.1.2.3"}, {"sourceIPAddress": "11.1.2.3"}, {}], [True, False, False],
     "ipv4_is_in_range"),
]
TYPED_EVENTS = [{"requestParameters": {"v": x}} for x in
                ("22", 22, 22.0, 1e20, -0.5, True, None, [], [1], {}, {"a": 1}, "")] + [{"requestParameters": {}}, {}]
for _kinds in [("str",), ("int",), ("float",), ("bool", "int"), ("dict",), ("list",), ("null",), ("str", "null")]:
    CASES.append((f"is_type_{'_'.join(_kinds)}", P(V, "is_type", _kinds), TYPED_EVENTS, None, ""))
    CASES.append((f"not_is_type_{'_'.join(_kinds)}", Not(P(V, "is_type", _kinds)), TYPED_EVENTS, None, ""))
CASES.append(("is_type_bool_column", P(Field(("readOnly",)), "is_type", ("bool",)),
              [{"readOnly": False}, {"readOnly": None}, {}], [True, False, False], ""))
CASE_IDS = [c[0] for c in CASES]
RULES = {name: rule_of(name, expr, events, exp) for name, expr, events, exp, _ in CASES}


@pytest.fixture(scope="module")
def ms():
    return load_mappings()


@pytest.mark.parametrize("name", CASE_IDS)
def test_hand_stated_expectations_match_the_evaluator(name):
    case = CASES[CASE_IDS.index(name)]
    for t in RULES[name].tests:
        assert evaluate(case[1], {"p_log_type": CT, **t.log}) == t.expected_result, t.name


@pytest.mark.parametrize("name", CASE_IDS)
def test_query_is_clean_for_kusto_language(name, ms, kusto):
    lowered = lower_rule(RULES[name], ms)
    assert lowered.query, lowered.findings
    tables = query_tables(ms, lowered)
    assert kusto.analyse(lowered.query, tables) == [], lowered.query


@pytest.mark.parametrize("name", CASE_IDS)
def test_query_executes_and_agrees(name, ms):
    gap = CASES[CASE_IDS.index(name)][4]
    rule = RULES[name]
    lowered = lower_rule(rule, ms)
    results, why_not = execute(rule, lowered, ms)
    if gap:
        # the engine lacks this construct: the rule must say so, not pass silently
        assert gap in why_not
        return
    assert why_not == ""
    for r in results:
        assert r.matched == r.expected == r.evaluator, (r.name, lowered.detection)


def test_missing_string_is_empty_in_sentinel_and_reported():
    """exists on a string column: Python says False for missing and True for "" but Sentinel
    stores both as "": the query follows the missing case and the rule is partial."""
    rule = rule_of("exists_str", P(ERROR, "exists"), [{}, {"errorCode": "x"}])
    t = BACKEND.translate(rule)
    assert t.verdict == "partial"
    assert any("missing" in f.reason and f.severity == "partial" for f in t.findings)
    assert t.query.endswith("| where isnotempty(ErrorCode)")


def test_default_without_default_on_null_is_partial():
    """event.get("v", "none") keeps an explicit JSON null, which Sentinel cannot tell from a
    missing key below a JSON column: reported, not hidden."""
    rule = rule_of("dyn_default", P(PARAM("v", default="none"), "eq", "none"), P_EVENTS)
    t = BACKEND.translate(rule)
    assert t.verdict == "partial"
    assert any("null: False" in f.reason for f in t.findings)


def test_contains_is_never_term_matching():
    q = lower_rule(RULES["contains_is_substring"], load_mappings()).query
    assert " contains_cs " in q and " has" not in q


def test_unmapped_field_without_a_sentinel_column_is_unsupported_not_an_invented_column():
    from translator.backends.base import BuildOptions

    rule = rule_of("unmapped", P(Field(("noSuchField",)), "eq", "x"), [{}])
    for options in (BuildOptions(), BuildOptions(strict=True)):
        t = BACKEND.translate(rule, None, options)
        assert t.verdict == "unsupported" and not t.outputs and not t.query
        finding = next(f for f in t.findings if "noSuchField" in f.construct)
        assert finding.severity == "unsupported" and "no column" in finding.reason


def test_unmapped_field_uses_the_fallback_the_mapping_file_states(tmp_path):
    """A mapping file's ``fallback`` template is a documented spelling: used, with a warning."""
    from translator.backends.base import BuildOptions

    user = tmp_path / "user.yaml"
    user.write_text("log_type: AWS.CloudTrail\ntargets: {sentinel: {fallback: 'Extra_{path}'}}\n")
    ms = load_mappings([user])
    rule = rule_of("unmapped_fallback", P(Field(("noSuchField",)), "eq", "x"), [{}])
    t = BACKEND.translate(rule, ms)
    assert any("noSuchField" in f.construct and f.severity == "warning" for f in t.findings)
    assert "Extra_noSuchField" in t.query
    assert BACKEND.translate(rule, ms, BuildOptions(strict=True)).verdict == "unsupported"


def test_lookbehind_regex_is_unsupported():
    t = BACKEND.translate(rule_of("lookbehind", P(NAME, "regex", "(?<=a)b"), [{}]))
    assert t.verdict == "unsupported"
    assert any("lookaround" in f.construct for f in t.findings)


def test_control_character_value_is_unsupported_not_mangled():
    t = BACKEND.translate(rule_of("ctrl", P(NAME, "eq", "a\x01b"), [{}]))
    assert t.verdict == "unsupported"


def test_constant_false_detection_still_emits_a_query():
    t = BACKEND.translate(rule_of("never", All((FALSE, P(NAME, "eq", "x"))), [{}]))
    assert "| where false" in t.query


def test_threshold_groups_by_dedup_key():
    rule = Rule(id="T.Threshold", log_types=(CT,), threshold=5,
                detection=P(NAME, "eq", "ConsoleLogin"),
                title=Template(("Login by ", Field(("userIdentity", "arn")))))
    t = BACKEND.translate(rule)
    assert "by DedupKey" in t.query and "| where Events >= 5" in t.query
    doc = yaml.safe_load(t.outputs[0].text)
    assert doc["eventGroupingSettings"] == {"aggregationKind": "AlertPerResult"}
    assert doc["alertDetailsOverride"]["alertDisplayNameFormat"] == "{{AlertTitle}}"


def test_analytic_rule_document():
    rule = Rule(id="AWS.Sample", display_name="Sample", log_types=(CT,), severity="Critical",
                mitre=(MitreRef("TA0005", "T1562.007"), MitreRef("TA0003", "")),
                dedup_period_minutes=1, detection=P(NAME, "eq", "x"),
                output_fields=tuple(Field(("requestParameters", f"k{i}")) for i in range(25)))
    t = BACKEND.translate(rule)
    doc = yaml.safe_load(t.outputs[0].text)
    assert doc["id"] == BACKEND.translate(rule).outputs[0].text.split("id: ")[1].split("\n")[0]
    assert doc["kind"] == "Scheduled" and doc["version"] == "1.0.0"
    assert doc["severity"] == "High"
    assert doc["tactics"] == ["DefenseEvasion", "Persistence"]
    assert doc["relevantTechniques"] == ["T1562.007"]
    assert doc["queryFrequency"] == doc["queryPeriod"] == "5m"  # 1 minute clamped
    assert doc["requiredDataConnectors"] == [{"connectorId": "AWSS3", "dataTypes": ["AWSCloudTrail"]}]
    # Sentinel refuses more than 20 custom details: the first 20 are kept, the rest named
    assert len(doc["customDetails"]) == 20 and doc["customDetails"]["k19"]
    left = next(f for f in t.findings if f.construct == "customDetails")
    assert left.severity == "warning" and "k20" in left.reason and "k24" in left.reason
    assert t.verdict == "exact" and not any("sentinel limit" in f.construct for f in t.findings)
    assert any(f.construct == "DedupPeriodMinutes" for f in t.findings)
    assert t.outputs[0].path == "kql/AWS.Sample.yaml"
    assert t.outputs[0].text.startswith("# Generated by rulec")


def test_rule_id_guid_is_uuid5_and_stable():
    import uuid

    from translator.backends.kql_sentinel import RULEC_NAMESPACE, rule_guid
    assert rule_guid("AWS.X") == str(uuid.uuid5(RULEC_NAMESPACE, "AWS.X")) == rule_guid("AWS.X")
    assert rule_guid("AWS.X") != rule_guid("AWS.Y")


def test_rulec_verify_check_reports_executed_and_analysis_only(kusto):
    from translator.verify.kql import check

    ok = check(RULES["eq_cs"], BACKEND.translate(RULES["eq_cs"]), load_mappings())
    assert ok.status == "ok" and ok.syntax_ok and ok.executed, ok.to_dict()
    quant = RULES["quantifier_any"]
    only = check(quant, BACKEND.translate(quant), load_mappings())
    assert only.status == "analysis-only", only.to_dict()
    assert any("verified by analysis only" in n and "MvapplyOperator" in n for n in only.notes)


def test_legacy_custom_log_table_is_analysed_and_executed(ms, kusto):
    """Okta_CL (legacy custom log: one typed column per flattened field)."""
    from translator.verify.kql import verify_rules

    expr = All((P(Field(("eventType",)), "eq", "user.session.start"),
                P(Field(("outcome", "result")), "eq", "failure", case_sensitive=False),
                Not(P(Field(("securityContext", "isProxy")), "truthy"))))
    events = [{"eventType": "user.session.start", "outcome": {"result": "FAILURE"}},
              {"eventType": "user.session.start", "outcome": {"result": "FAILURE"},
               "securityContext": {"isProxy": True}},
              {"eventType": "user.session.end", "outcome": {"result": "FAILURE"}}, {}]
    tests = tuple(RuleTest.make(f"okta-{i}", e, ev) for i, (ev, e) in
                  enumerate(zip(events, [True, False, False, False])))
    rule = Rule(id="Test.KQL.Okta", log_types=("Okta.SystemLog",), detection=expr, tests=tests)
    (v,) = verify_rules([rule], ms, session=kusto)
    assert v.syntax_ok, (v.diagnostics, v.query)
    assert v.agrees, [(t.name, t.expected, t.matched, t.evaluator) for t in v.tests]


def test_untyped_entry_of_a_typed_column_uses_the_tables_type(ms, kusto):
    """SigninLogs' IPAddress is string (callerIpAddress's entry types it); the untyped entry
    properties.ipAddress names the same column: its truthiness is a string test, which
    Kusto.Language accepts (a dynamic-typed test would call array_length on a string)."""
    from translator.verify.kql import verify_rules

    expr = P(Field(("properties", "ipAddress")), "truthy")
    events = [{"properties": {"ipAddress": "1.2.3.4"}}, {"properties": {"ipAddress": ""}}, {}]
    tests = tuple(RuleTest.make(f"ip-{i}", e, ev) for i, (ev, e) in
                  enumerate(zip(events, [True, False, False])))
    rule = Rule(id="Test.KQL.SigninIp", log_types=("Azure.Audit",), detection=expr, tests=tests)
    (v,) = verify_rules([rule], ms, session=kusto)
    assert "array_length" not in v.query
    assert v.syntax_ok, (v.diagnostics, v.query)
    assert v.agrees, [(t.name, t.expected, t.matched, t.evaluator) for t in v.tests]


def test_columns_read_only_by_the_title_are_in_the_table(ms, kusto):
    """A legacy _CL table's schema is the columns the query reads: a column only the title
    reads (SlackAudit_CL's entity_app_name_s) must be registered too, or Kusto reports KS142."""
    from translator.verify.kql import verify_rules

    expr = P(Field(("action",)), "eq", "app_installed")
    tests = (RuleTest.make("installed", True, {"action": "app_installed",
                                               "entity": {"app": {"name": "x"}}}),
             RuleTest.make("other", False, {"action": "user_login"}))
    rule = Rule(id="Test.KQL.SlackTitle", log_types=("Slack.AuditLogs",), detection=expr,
                tests=tests, title=Template(("App ", Field(("entity", "app", "name")))))
    (v,) = verify_rules([rule], ms, session=kusto)
    assert "entity_app_name_s" in v.query
    assert v.syntax_ok, (v.diagnostics, v.query)
    assert v.agrees, [(t.name, t.expected, t.matched, t.evaluator) for t in v.tests]


def test_duckdb_case_insensitive_columns():
    from translator.verify.kql import _duckdb_columns

    assert _duckdb_columns([("Type", "string"), ("type", "string"), ("a", "real")]) == \
        [("type", "string"), ("a", "real")]
    assert "case-insensitive" in _duckdb_columns([("Id", "string"), ("id", "string")])


def test_json_booleans_order_as_numbers_like_python():
    """Python (and Panther's comparison operators, panther-core) order true/false as 1/0."""
    from translator.mapping import load_mappings
    from translator.model import Field, Predicate, Rule, RuleTest
    from translator.verify.kql import execute, lower_rule
    ms = load_mappings()
    rule = Rule("Probe.JsonBool", log_types=("AWS.CloudTrail",),
                detection=Predicate(Field(("requestParameters", "flag")), "le", 0),
                tests=(RuleTest.make("false", True, {"requestParameters": {"flag": False}}),
                       RuleTest.make("true", False, {"requestParameters": {"flag": True}}),
                       RuleTest.make("minus", True, {"requestParameters": {"flag": -1}}),
                       RuleTest.make("text", False, {"requestParameters": {"flag": "x"}})))
    results, why = execute(rule, lower_rule(rule, ms), ms)
    assert not why and all(r.agrees for r in results), (why, results)


def test_is_type_int_or_float_alone_on_a_number_column_is_inexpressible():
    from translator.backends.kql_lower import ExprLowerer as Lowerer, Term
    from translator.backends.kql_text import Inexpressible
    assert Lowerer._is_type(Term("X", "number", "float"), ("int", "float")) == "true"
    assert Lowerer._is_type(Term("X", "bool", "boolean"), ("int",)) == "false"
    with pytest.raises(Inexpressible):
        Lowerer._is_type(Term("X", "number", "float"), ("int",))


def test_number_text_lands_in_a_number_column_as_kusto_ingestion_converts_it(tmp_path):
    """A test event holding "5" for a number field: Sentinel's typed column holds 5 (ingestion
    converts to the column type; Panther's parser reads it as a number likewise), non-number
    text is null there; booleans as text likewise into a bool column."""
    from translator.model import Transform
    from translator.verify.kql import _cell

    assert (_cell("5", "real"), _cell("-1.5e2", "real"), _cell("x", "real"), _cell("", "real")) \
        == (5.0, -150.0, None, None)
    assert (_cell("True", "bool"), _cell("false", "bool"), _cell("yes", "bool")) == (True, False, None)
    user = tmp_path / "user.yaml"
    user.write_text("log_type: Custom.Numbers\nschema: {fields: {code: number}}\n"
                    "targets: {sentinel: {source: {table: CustomNumbers_CL}, fields: {code: code_d}}}\n")
    ms = load_mappings([user])
    detection = P(Field(("code",), transforms=(Transform("str"),)), "eq", "5")
    events = [{"code": "5"}, {"code": 5}, {"code": "x"}, {"code": 6}, {}]
    rule = Rule("Probe.NumberText", log_types=("Custom.Numbers",), detection=detection,
                tests=tuple(RuleTest.make(f"t{i}", evaluate(detection, ev), ev)
                            for i, ev in enumerate(events)))
    assert [t.expected_result for t in rule.tests] == [True, True, False, False, False]
    results, why = execute(rule, lower_rule(rule, ms), ms)
    assert not why and all(r.agrees for r in results), (why, results)


def test_a_field_of_another_log_types_branch_does_not_sink_the_rule():
    """On the CloudTrail table ``p_log_type == "Okta.SystemLog" and outcome.result == ...`` is
    false whatever outcome.result is: the Okta-only field needs no CloudTrail column."""
    log_type = Field(("p_log_type",))
    detection = AnyOf((
        All((P(log_type, "eq", "AWS.CloudTrail"), P(NAME, "eq", "ConsoleLogin"))),
        All((P(log_type, "eq", "Okta.SystemLog"), P(Field(("outcome", "result")), "eq", "FAILURE"))),
    ))
    rule = Rule("Probe.TwoTables", log_types=("AWS.CloudTrail", "Okta.SystemLog"), detection=detection)
    t = BACKEND.translate(rule)
    assert t.verdict == "exact", t.findings
    assert not any("unmapped" in f.construct for f in t.findings)
    assert "outcome.result" not in t.query and "EventName ==" in t.query
    # the same field where nothing decides the branch: no query, the reason named
    alone = Rule("Probe.Lacking", log_types=("AWS.CloudTrail",),
                 detection=AnyOf((P(NAME, "eq", "x"), P(Field(("outcome", "result")), "eq", "y"))))
    t = BACKEND.translate(alone)
    assert t.verdict == "unsupported" and any("outcome.result" in f.construct for f in t.findings)


def test_a_column_is_one_custom_detail_however_many_fields_name_it():
    rule = Rule("Probe.Details", log_types=(CT,), detection=P(NAME, "eq", "x"),
                output_fields=(Field(("sourceIPAddress",)), Field((), udm="source_ip"), NAME))
    doc = yaml.safe_load(BACKEND.translate(rule).outputs[0].text)
    assert sorted(doc["customDetails"].values()) == ["EventName", "SourceIpAddress"]


def test_repeated_json_tests_call_one_helper_function_declared_once():
    """Truthiness and ordering of JSON values are long expressions: the query declares each
    as a function once (``let``) and calls it per field, and still means what Python does."""
    fields = [PARAM(k) for k in ("a", "b", "c")]
    detection = AnyOf(tuple(P(f, "truthy") for f in fields) + (P(PARAM("n"), "ge", 400),))
    events = [{"requestParameters": {"a": 0}}, {"requestParameters": {"b": "x"}},
              {"requestParameters": {"c": []}}, {"requestParameters": {"c": {"k": 1}}},
              {"requestParameters": {"n": 400}}, {"requestParameters": {"n": True}},
              {"requestParameters": {"n": "500"}}, {}]
    rule = rule_of("helpers", detection, events)
    ms = load_mappings()
    lowered = lower_rule(rule, ms)
    assert lowered.query.count("let __truthy = ") == 1 and lowered.query.count("__truthy(") == 3
    assert lowered.query.count("let __ge = ") == 1 and "__gt" not in lowered.query
    assert lowered.query.startswith("let __ge = ") and lowered.detection.startswith("let __ge = ")
    results, why = execute(rule, lowered, ms)
    assert not why and all(r.agrees for r in results), (why, results)
    assert [r.matched for r in results] == [False, True, False, True, True, False, False, False]


def test_truthiness_and_ordering_need_no_separate_missing_test():
    """``isnotempty``/``__truthy``/``__ge`` are already False on a missing or null value."""
    detection = All((P(ERROR, "truthy"), P(PARAM("a"), "truthy"), P(PARAM("n"), "ge", 3)))
    events = [{"errorCode": "x", "requestParameters": {"a": 1, "n": 3}}, {"errorCode": "x"},
              {"requestParameters": {"a": 1, "n": 3}}, {"errorCode": "", "requestParameters": {"a": 1, "n": 4}},
              {"errorCode": "x", "requestParameters": {"a": None, "n": 5}}]
    rule = rule_of("no_missing_test", detection, events)
    ms = load_mappings()
    lowered = lower_rule(rule, ms)
    where = next(line for line in lowered.query.splitlines() if line.startswith("| where"))
    assert where == ('| where (isnotempty(ErrorCode) and __truthy(parse_json(RequestParameters).a) '
                     'and __ge(parse_json(RequestParameters).n, 3))')
    results, why = execute(rule, lowered, ms)
    assert not why and all(r.agrees for r in results), (why, results)
    assert [r.matched for r in results] == [True, False, False, False, False]


def test_a_json_text_read_twice_is_parsed_once_in_an_extend_column():
    doc = lambda *t: Field(("requestParameters", "doc"), transforms=(Transform("json"),) + t)  # noqa: E731
    detection = All((P(doc(Transform("get", ("a",))), "eq", "x"),
                     P(doc(Transform("get", ("b",))), "eq", "y")))
    once = P(doc(Transform("get", ("a",))), "eq", "x")
    events = [{"requestParameters": {"doc": '{"a": "x", "b": "y"}'}},
              {"requestParameters": {"doc": '{"a": "x", "b": "z"}'}},
              {"requestParameters": {"doc": '{"a": "x", "b": "y"'}},
              {"requestParameters": {"doc": {"a": "x", "b": "y"}}}, {}]
    ms = load_mappings()
    rule = rule_of("shared_json", detection, events)
    lowered = lower_rule(rule, ms)
    lines = lowered.query.splitlines()
    assert lines[1] == "| extend __j0 = parse_json(tostring(parse_json(RequestParameters).doc))"
    assert lowered.query.count("parse_json(tostring(") == 1 and "__j0" in lines[2]
    assert any(line.startswith("| project-away __j0") for line in lines)
    assert "\x00" not in lowered.query
    results, why = execute(rule, lowered, ms)
    assert not why and all(r.agrees for r in results), (why, results)
    assert [r.matched for r in results] == [True, False, False, False, False]
    # read once: written in place, no column
    single = lower_rule(rule_of("single_json", once, events), ms).query
    assert "extend __j" not in single and "parse_json(tostring(parse_json(RequestParameters).doc))" in single
