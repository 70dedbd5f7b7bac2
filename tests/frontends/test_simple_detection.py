"""Simple detections (YAML match expressions): every condition and combinator, error messages,
alert keys, and agreement of the evaluator with every Test of the rules under rules/simple."""
import textwrap
from pathlib import Path

import pytest
import yaml

from translator.evaluator import evaluate
from translator.frontends.panther_yaml import load_tree
from translator.frontends.simple_detection import (
    CONDITIONS, INLINE_FILTER_CONDITIONS, WILDCARD, SimpleDetectionError, lower_alert_context,
    lower_alert_title, lower_detection, lower_dynamic_severities, lower_group_by,
    lower_inline_filters, parse_key_path,
)
from translator.model import Field, Rule, Template, Transform

REPO = Path(__file__).resolve().parents[2]


def match(expressions, event) -> bool:
    return evaluate(lower_detection(yaml.safe_load(textwrap.dedent(expressions))), event)


def one(condition, value=None, key="f", values=None) -> list:
    node = {"KeyPath": key, "Condition": condition}
    if value is not None:
        node["Value"] = value
    if values is not None:
        node["Values"] = values
    return [node]


# --------------------------------------------------------------------------- key paths
@pytest.mark.parametrize("text, steps", [
    ("a", ["a"]),
    ("a.b.c", ["a", "b", "c"]),
    ("a[0]", ["a", 0]),
    ("a[-1].b", ["a", -1, "b"]),
    ("a[*].b[2][*]", ["a", WILDCARD, "b", 2, WILDCARD]),
    ("p_alert_context.user-name", ["p_alert_context", "user-name"]),
])
def test_key_path_parsing(text, steps):
    assert parse_key_path(text) == steps


@pytest.mark.parametrize("text", ["", "a..b", "a.", ".a", "[0]", "a[x]", "a[0]b", "a.[0]"])
def test_bad_key_paths_are_rejected(text):
    with pytest.raises(ValueError):
        parse_key_path(text)


def test_key_is_one_literal_key_and_deep_key_takes_indexes():
    event = {"a.b": 1, "a": {"b": 2}, "l": [{"x": "y"}]}
    assert evaluate(lower_detection([{"Key": "a.b", "Condition": "Equals", "Value": 1}]), event)
    assert evaluate(lower_detection([{"KeyPath": "a.b", "Condition": "Equals", "Value": 2}]), event)
    assert evaluate(lower_detection([{"DeepKey": ["l", 0, "x"], "Condition": "Equals",
                                      "Value": "y"}]), event)


# --------------------------------------------------------------------------- every condition
# (condition, operand, event value -> expected); "MISSING" means the key is absent.
CASES = [
    ("Equals", "Foo", [("Foo", True), ("foo", False), (None, False), ("MISSING", False)]),
    ("Equals", 5, [(5, True), (5.0, True), ("5", False)]),
    ("Equals", True, [(True, True), ("true", False)]),
    ("DoesNotEqual", "Foo", [("Foo", False), ("foo", True), (None, True), ("MISSING", True)]),
    ("IEquals", "foo", [("FOO", True), ("fo", False), ("MISSING", False)]),
    ("IDoesNotEqual", "foo", [("FOO", False), ("bar", True), ("MISSING", True)]),
    ("Contains", "oo", [("food", True), ("OOps", False), (["oo"], False), (7, False)]),
    ("DoesNotContain", "oo", [("food", False), ("bar", True), ("MISSING", True)]),
    ("IContains", "OO", [("food", True), ("bar", False)]),
    ("IDoesNotContain", "OO", [("food", False), ("bar", True)]),
    ("StartsWith", "ab", [("abc", True), ("ABc", False), (None, False)]),
    ("DoesNotStartWith", "ab", [("abc", False), ("xab", True), ("MISSING", True)]),
    ("IStartsWith", "AB", [("abc", True), ("cab", False)]),
    ("IDoesNotStartWith", "AB", [("abc", False), ("cab", True)]),
    ("EndsWith", "yz", [("xyz", True), ("xYZ", False)]),
    ("DoesNotEndWith", "yz", [("xyz", False), ("yzx", True)]),
    ("IEndsWith", "YZ", [("xyz", True), ("yzx", False)]),
    ("IDoesNotEndWith", "YZ", [("xyz", False), ("yzx", True)]),
    ("IsGreaterThan", 10, [(11, True), (10, False), (10.5, True), ("11", False),
                           ("MISSING", False)]),
    ("IsGreaterThanOrEqual", 10, [(10, True), (9, False)]),
    ("IsGreaterThanOrEquals", 10, [(10, True), (9, False)]),
    ("IsLessThan", 10, [(9, True), (10, False), (None, False)]),
    # panther-core's <= is Python's: JSON true orders as 1, false as 0
    ("IsLessThanOrEqual", 10, [(10, True), (11, False), (True, True)]),
    ("IsLessThanOrEquals", 10, [(10, True), (11, False)]),
    ("IsIPAddressInCIDR", "10.0.0.0/8", [("10.2.3.4", True), ("11.0.0.1", False),
                                         ("fd00::1", False), ("host", False)]),
    ("IsIPAddressNotInCIDR", "10.0.0.0/8", [("10.2.3.4", False), ("11.0.0.1", True),
                                            ("MISSING", True)]),
    ("CIDRContainsIPAddresses", "10.0.0.0/8", [(["8.8.8.8", "10.2.3.4"], True),
                                               (["8.8.8.8"], False), (None, False),
                                               ("MISSING", False)]),
    ("CIDRDoesNotContainIPAddresses", "10.0.0.0/8", [(["10.2.3.4"], False), ([], True),
                                                     ("MISSING", True)]),
    ("Exists", None, [("x", True), ("", True), (None, False), ("MISSING", False)]),
    ("DoesNotExist", None, [("x", False), (None, True), ("MISSING", True)]),
    ("IsNull", None, [(None, True), ("MISSING", True), (0, False)]),
    ("IsNotNull", None, [(None, False), (0, True), (False, True)]),
    ("IsNullOrEmpty", None, [(None, True), ("MISSING", True), ("", True), ([], True),
                             ({}, True), (" ", False), (0, False), ([1], False)]),
    ("IsNotNullOrEmpty", None, [(None, False), ("", False), ([], False), ("x", True),
                                (0, True)]),
    ("IsIPAddress", None, [("1.2.3.4", True), ("::1", True), ("1.2.3", False), (None, False)]),
    ("IsIPv4Address", None, [("1.2.3.4", True), ("::1", False)]),
    ("IsIPv6Address", None, [("1.2.3.4", False), ("2001:db8::1", True)]),
    ("IsIPAddressPublic", None, [("8.8.8.8", True), ("10.0.0.1", False), ("x", False)]),
    ("IsIPAddressPrivate", None, [("8.8.8.8", False), ("192.168.0.1", True)]),
]


@pytest.mark.parametrize("condition, operand, value, expected", [
    (c, o, v, e) for c, o, rows in CASES for v, e in rows])
def test_condition(condition, operand, value, expected):
    event = {} if value == "MISSING" else {"f": value}
    assert evaluate(lower_detection(one(condition, operand)), event) is expected


@pytest.mark.parametrize("condition, value, expected", [
    ("IsIn", "b", True), ("IsIn", "B", False), ("IsIn", "MISSING", False),
    ("IsNotIn", "b", False), ("IsNotIn", "z", True), ("IsNotIn", "MISSING", True),
])
def test_key_values(condition, value, expected):
    event = {} if value == "MISSING" else {"f": value}
    assert evaluate(lower_detection(one(condition, values=["a", "b", 3])), event) is expected


@pytest.mark.parametrize("condition", ["AlwaysTrue", "AlwaysFalse"])
def test_absolute(condition):
    assert evaluate(lower_detection([{"Condition": condition}]), {}) is (condition == "AlwaysTrue")


def test_every_documented_condition_is_tested_here():
    tested = {c for c, _, _ in CASES} | {"IsIn", "IsNotIn", "AlwaysTrue", "AlwaysFalse",
                                         "AnyElement", "AllElements", "OnlyOneElement",
                                         "NoElement"}
    assert set(CONDITIONS) == tested


# --------------------------------------------------------------------------- combinators
COMBINATOR_EVENT = {"a": 1, "b": 2, "c": 3}


def eq(key, value):
    return {"KeyPath": key, "Condition": "Equals", "Value": value}


@pytest.mark.parametrize("combinator, items, expected", [
    ("All", [eq("a", 1), eq("b", 2)], True),
    ("All", [eq("a", 1), eq("b", 0)], False),
    ("All", [], True),
    ("Any", [eq("a", 0), eq("b", 2)], True),
    ("Any", [eq("a", 0), eq("b", 0)], False),
    ("Any", [], False),
    ("OnlyOne", [eq("a", 1), eq("b", 0), eq("c", 0)], True),
    ("OnlyOne", [eq("a", 1), eq("b", 2), eq("c", 0)], False),
    ("OnlyOne", [eq("a", 0), eq("b", 0)], False),
    ("OnlyOne", [], False),
    ("None", [eq("a", 0), eq("b", 0)], True),
    ("None", [eq("a", 0), eq("b", 2)], False),
    ("None", [], True),
])
def test_combinators(combinator, items, expected):
    assert evaluate(lower_detection([{combinator: items}]), COMBINATOR_EVENT) is expected


def test_nested_combinators_and_implicit_all():
    detection = """
    - KeyPath: a
      Condition: Equals
      Value: 1
    - Any:
        - None:
            - KeyPath: b
              Condition: Equals
              Value: 2
        - OnlyOne:
            - All:
                - KeyPath: c
                  Condition: IsGreaterThan
                  Value: 2
            - KeyPath: d
              Condition: Exists
    """
    assert match(detection, COMBINATOR_EVENT)
    assert not match(detection, {**COMBINATOR_EVENT, "d": 1})
    assert not match(detection, {**COMBINATOR_EVENT, "a": 2})


# --------------------------------------------------------------------------- lists
ARRAY_EVENT = {"items": [{"n": 1, "tags": ["x"]}, {"n": 2, "tags": ["y", "z"]},
                         {"n": 3, "tags": []}]}


@pytest.mark.parametrize("condition, bound, expected", [
    ("AnyElement", 2, True), ("AnyElement", 3, False),
    ("AllElements", 0, True), ("AllElements", 1, False),
    ("OnlyOneElement", 2, True), ("OnlyOneElement", 1, False),
    ("NoElement", 3, True), ("NoElement", 2, False),
])
def test_list_comprehension(condition, bound, expected):
    det = [{"KeyPath": "items", "Condition": condition,
            "Expressions": [{"KeyPath": "n", "Condition": "IsGreaterThan", "Value": bound}]}]
    assert evaluate(lower_detection(det), ARRAY_EVENT) is expected


@pytest.mark.parametrize("condition, expected", [
    ("AnyElement", False), ("AllElements", True), ("OnlyOneElement", False), ("NoElement", True)])
def test_list_comprehension_on_missing_or_non_list(condition, expected):
    det = [{"KeyPath": "items", "Condition": condition,
            "Expressions": [{"KeyPath": "n", "Condition": "Exists"}]}]
    assert evaluate(lower_detection(det), {}) is expected
    assert evaluate(lower_detection(det), {"items": "text"}) is expected


def test_nested_list_comprehension_and_element_relative_keys():
    det = """
    - KeyPath: items
      Condition: AnyElement
      Expressions:
        - KeyPath: n
          Condition: IsGreaterThan
          Value: 1
        - KeyPath: tags
          Condition: NoElement
          Expressions:
            - Key: missing_in_element
              Condition: Exists
    """
    assert match(det, ARRAY_EVENT)
    # a key of the event root is not visible inside Expressions: they are element-relative
    det2 = [{"KeyPath": "items", "Condition": "AnyElement",
             "Expressions": [{"KeyPath": "top", "Condition": "Exists"}]}]
    assert not evaluate(lower_detection(det2), {**ARRAY_EVENT, "top": 1})


def test_wildcard_means_some_element_and_its_negation_means_none():
    event = {"a": [{"b": "x"}, {"b": "y"}], "m": [[{"c": 1}], [{"c": 2}]]}
    assert match("- {KeyPath: 'a[*].b', Condition: Equals, Value: y}", event)
    assert not match("- {KeyPath: 'a[*].b', Condition: Equals, Value: z}", event)
    assert not match("- {KeyPath: 'a[*].b', Condition: DoesNotEqual, Value: y}", event)
    assert match("- {KeyPath: 'a[*].b', Condition: DoesNotEqual, Value: z}", event)
    assert match("- {KeyPath: 'm[*][*].c', Condition: IsGreaterThan, Value: 1}", event)
    assert match("- {KeyPath: 'a[1].b', Condition: Equals, Value: y}", event)
    assert not match("- {KeyPath: 'a[5].b', Condition: Equals, Value: y}", event)


def test_enrichment_reads_the_lookup_row_panther_attaches_to_the_event():
    det = [{"Enrichment": {"Table": "asset_inventory", "Selector": "sourceIPAddress",
                           "FieldPath": "tags[*].env"}, "Condition": "Equals", "Value": "prod"}]
    event = {"sourceIPAddress": "10.0.0.5", "p_enrichment": {"asset_inventory": {
        "sourceIPAddress": {"owner": "ops", "tags": [{"env": "dev"}, {"env": "prod"}]}}}}
    assert evaluate(lower_detection(det), event)
    assert not evaluate(lower_detection(det), {"sourceIPAddress": "10.0.0.5"})
    inline = lower_inline_filters([{"Enrichment": {"Table": "asset_inventory",
                                                   "Selector": "sourceIPAddress",
                                                   "FieldPath": "owner"},
                                    "Condition": "DoesNotEqual", "Value": "ops"}])
    assert not evaluate(inline, event) and evaluate(inline, {})


@pytest.mark.parametrize("condition, expected", [
    ("Equals", True), ("DoesNotEqual", False), ("IEquals", True), ("IsGreaterThan", False),
    ("StartsWith", True)])
def test_multi_key_comparison(condition, expected):
    det = [{"Condition": condition, "Values": [{"KeyPath": "actor.name"},
                                              {"DeepKey": ["target", 0, "name"]}]}]
    event = {"actor": {"name": "ann"}, "target": [{"name": "ann"}]}
    assert evaluate(lower_detection(det), event) is expected


def test_multi_key_case_insensitive_and_missing():
    det = [{"Condition": "IEquals", "Values": [{"Key": "a"}, {"KeyPath": "b"}]}]
    assert evaluate(lower_detection(det), {"a": "X", "b": "x"})
    assert not evaluate(lower_detection(det), {"a": "X"})


# --------------------------------------------------------------------------- inline filters
@pytest.mark.parametrize("event, expected", [
    ({"env": "Sandbox-1"}, True),
    ({"env": "prod"}, False),
    ({}, True),  # documented: a filter on a key the event lacks passes
    ({"env": None}, False),  # ... but null fails a positive comparator
])
def test_inline_filter_key_semantics(event, expected):
    f = lower_inline_filters([{"KeyPath": "env", "Condition": "StartsWith", "Value": "Sandbox"}])
    assert evaluate(f, event) is expected


def test_inline_filter_null_passes_negated_comparator_and_empty_filters_pass():
    f = lower_inline_filters([{"KeyPath": "env", "Condition": "DoesNotEqual", "Value": "x"}])
    assert evaluate(f, {"env": None})
    assert evaluate(lower_inline_filters([{"All": []}]), {})
    assert evaluate(lower_inline_filters([]), {})


@pytest.mark.parametrize("node, message", [
    ({"Key": "env", "Condition": "Equals", "Value": 1}, "Key is not allowed here"),
    ({"KeyPath": "env", "Condition": "IEquals", "Value": "x"},
     "condition 'IEquals' cannot be used in InlineFilters"),
    ({"OnlyOne": []}, "combinator OnlyOne cannot be used in InlineFilters"),
    ({"KeyPath": "l", "Condition": "AnyElement", "Expressions": []},
     "condition 'AnyElement' cannot be used in InlineFilters"),
])
def test_inline_filter_grammar_is_restricted(node, message):
    with pytest.raises(SimpleDetectionError, match=message):
        lower_inline_filters([node])


def test_inline_filter_conditions_are_known_conditions():
    assert set(INLINE_FILTER_CONDITIONS) <= set(CONDITIONS)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("detection, message", [
    ([eq("a", 1), eq("b", 2), {"KeyPath": "c", "Condition": "Equal", "Value": 1}],
     "Detection[2].Condition: unknown condition 'Equal' (did you mean 'Equals'?)"),
    ([{"KeyPath": "c", "Condition": "Equals"}], "Detection[0]: Equals needs a Value"),
    ([{"KeyPath": "c", "Condition": "IsIn", "Value": "x"}],
     "Detection[0]: IsIn needs Values (a list), not Value"),
    ([{"KeyPath": "c", "Condition": "IsGreaterThan", "Value": "5"}],
     "Detection[0].Value: IsGreaterThan needs a number Value, got string '5'"),
    ([{"KeyPath": "c", "Condition": "Contains", "Value": 5}],
     "Detection[0].Value: Contains needs a string Value, got integer 5"),
    ([{"KeyPath": "c", "Condition": "IsIPAddressInCIDR", "Value": "10.0.0.0/33"}],
     "Detection[0].Value: IsIPAddressInCIDR: '10.0.0.0/33' is not an IP network (CIDR)"),
    ([{"Any": [eq("a", 1), {"KeyPath": "x..y", "Condition": "Exists"}]}],
     "Detection[0].Any[1].KeyPath: bad KeyPath 'x..y': empty key at character 3"),
    ([{"KeyPath": "c", "Key": "d", "Condition": "Exists"}],
     "Detection[0]: give one key specifier, not Key and KeyPath"),
    ([{"KeyPath": "c", "Condition": "Exists", "Value": 1}],
     "Detection[0]: unexpected key Value (allowed here: Condition, KeyPath)"),
    ([{"Condition": "Equals", "Value": 1}], "Detection[0]: Equals needs a key"),
    ([{"KeyPath": "l", "Condition": "AnyElement"}],
     "Detection[0]: AnyElement needs Expressions"),
    ([{"KeyPath": "l", "Condition": "AnyElement", "Expressions": [{"KeyPath": "n"}]}],
     "Detection[0].Expressions[0]: missing Condition"),
    ([{"Condition": "Equals", "Values": [{"KeyPath": "a"}]}],
     "Detection[0].Values: a multi-key comparison takes exactly two keys, got 1"),
    ([{"Condition": "IsIn", "Values": [{"KeyPath": "a"}, {"KeyPath": "b"}]}],
     "Detection[0].Condition: condition 'IsIn' cannot compare two keys"),
    ([{"KeyPath": "c", "Condition": "CIDRContainsIPAddresses", "Value": "10.0.0.0/33"}],
     "Detection[0].Value: CIDRContainsIPAddresses: '10.0.0.0/33' is not an IP network (CIDR)"),
    ([{"Enrichment": {"Table": "t", "Selector": "s"}, "Condition": "Exists"}],
     "Detection[0].Enrichment: Enrichment needs a non-empty string FieldPath"),
    ([], "Detection: empty list of match expressions"),
    ({"KeyPath": "a"}, "Detection: expected a list of match expressions, got mapping"),
    (["a"], "Detection[0]: a match expression must be a mapping, got string"),
])
def test_malformed_detection_messages_name_the_yaml_path(detection, message):
    with pytest.raises(SimpleDetectionError) as err:
        lower_detection(detection)
    assert str(err.value).startswith(message)


def test_loader_reports_file_and_line_and_keeps_other_rules(tmp_path):
    good = textwrap.dedent("""\
        AnalysisType: rule
        RuleID: Good
        LogTypes: [AWS.CloudTrail]
        Severity: Low
        Detection:
          - KeyPath: eventName
            Condition: Equals
            Value: X
        Tests:
          - Name: hit
            ExpectedResult: true
            Log: {eventName: X}
        """)
    (tmp_path / "good.yml").write_text(good)
    (tmp_path / "bad.yml").write_text(good.replace("RuleID: Good", "RuleID: Bad").replace(
        "    Condition: Equals\n", "    Condition: Equal\n"))
    res = load_tree([tmp_path])
    assert [r.id for r in res.rules] == ["Good"]
    (err,) = res.errors
    assert str(err) == (f"{tmp_path / 'bad.yml'}:7: error: Detection[0].Condition: unknown "
                        "condition 'Equal' (did you mean 'Equals'?)")
    assert res.rules[0].extraction.verdict == "simple"


# --------------------------------------------------------------------------- alert keys
def test_alert_title_template():
    t = lower_alert_title("Repo [{repo}] by {actor.login} ports [{items[*].port}]")
    assert t == Template(("Repo [", Field(("repo",)), "] by ", Field(("actor", "login")),
                          " ports [", Field(("items",), transforms=(Transform("pluck", ("port",)),)),
                          "]"))
    with pytest.raises(SimpleDetectionError, match="unbalanced brace"):
        lower_alert_title("oops {a")
    with pytest.raises(SimpleDetectionError, match=r"placeholder \{a\.\}"):
        lower_alert_title("bad {a.}")


def test_wildcard_output_fields_pluck_values():
    (f,) = lower_group_by([{"KeyPath": "a[*].b[*].c"}])
    from translator.evaluator import resolve
    assert resolve(f, {"a": [{"b": [{"c": 1}, {"c": 2}]}, {"b": [{"d": 0}]}, {"b": [{"c": 3}]}]}) \
        == [1, 2, 3]


def test_alert_context_keeps_names_and_group_by_fields():
    ctx = lower_alert_context([{"KeyName": "ip", "KeyValue": {"KeyPath": "client.ip"}},
                               {"KeyName": "who", "KeyValue": {"DeepKey": ["actor", "id"]}}])
    assert ctx == (("ip", Field(("client", "ip"))), ("who", Field(("actor", "id"))))
    with pytest.raises(SimpleDetectionError, match=r"AlertContext\[1\].KeyName: KeyName 'ip' "
                                                   "given twice"):
        lower_alert_context([{"KeyName": "ip", "KeyValue": {"Key": "a"}},
                             {"KeyName": "ip", "KeyValue": {"Key": "b"}}])
    assert lower_group_by([{"Key": "a"}, {"KeyPath": "b.c"}]) == (Field(("a",)), Field(("b", "c")))


def test_dynamic_severities():
    sev = lower_dynamic_severities([{"ChangeTo": "CRITICAL", "Conditions": [eq("a", 1)]},
                                    {"ChangeTo": "low", "Conditions": [{"Condition": "AlwaysTrue"}]}])
    assert [s.severity for s in sev] == ["Critical", "Low"]
    assert evaluate(sev[0].when, {"a": 1}) and not evaluate(sev[0].when, {"a": 2})
    with pytest.raises(SimpleDetectionError, match=r"DynamicSeverities\[0\].ChangeTo: ChangeTo "
                                                   "'Severe' is not one of"):
        lower_dynamic_severities([{"ChangeTo": "Severe", "Conditions": [eq("a", 1)]}])
    with pytest.raises(SimpleDetectionError, match=r"DynamicSeverities\[0\]: missing Conditions"):
        lower_dynamic_severities([{"ChangeTo": "High"}])


# --------------------------------------------------------------------------- our rules
def _simple_rules():
    res = load_tree([REPO / "rules" / "simple"])
    assert [str(d) for d in res.diagnostics if d.level != "info"] == []
    return res.rules


def _fires(rule: Rule, log) -> bool:
    passes = rule.inline_filters is None or evaluate(rule.inline_filters, log)
    return passes and evaluate(rule.detection, log)


def test_every_simple_rule_test_agrees_with_the_evaluator():
    rules = _simple_rules()
    assert len(rules) >= 5
    outcomes = [(r.id, t.name, t.expected_result, _fires(r, t.log)) for r in rules for t in r.tests]
    assert {e for *_, e, _ in outcomes} == {True, False}
    assert [o for o in outcomes if o[2] != o[3]] == []


def test_our_simple_rules_use_every_condition_and_combinator():
    used: set = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("Condition"), str):
                used.add(node["Condition"])
            used.update(k for k in node if k in ("All", "Any", "OnlyOne", "None"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in (REPO / "rules" / "simple").glob("*.yml"):
        doc = yaml.safe_load(path.read_text())
        walk([doc.get("Detection"), doc.get("InlineFilters")])
    spelled_twice = {"IsGreaterThanOrEquals", "IsLessThanOrEquals"}
    assert set(CONDITIONS) - spelled_twice - used == set()
    assert {"All", "Any", "OnlyOne", "None"} <= used


def test_dynamic_severity_of_our_rules():
    by_id = {r.id: r for r in _simple_rules()}
    rule = by_id["Simple.AWS.Console.RootLogin"]
    (dyn,) = rule.dynamic_severities
    logs = {t.name: t.log for t in rule.tests}
    assert evaluate(dyn.when, logs["Root login without MFA from a public address"])
    assert not evaluate(dyn.when, logs["Upper-case identity type still matches (IEquals)"])
    assert dict(rule.alert_context)["mfa_used"] == Field(("additionalEventData", "MFAUsed"))


def test_lowered_rules_round_trip_through_json():
    for rule in _simple_rules():
        assert Rule.from_dict(rule.to_dict()) == rule


def test_nested_error_points_at_the_line_of_the_bad_key(tmp_path):
    (tmp_path / "r.yml").write_text(textwrap.dedent("""\
        AnalysisType: rule
        RuleID: Nested
        LogTypes: [Okta.SystemLog]
        Severity: Low
        Detection:
          - Any:
              - KeyPath: a
                Condition: Exists
              - KeyPath: target
                Condition: AnyElement
                Expressions:
                  - KeyPath: type
                    Condition: IsGreaterThan
                    Value: ten
        DynamicSeverities:
          - ChangeTo: High
            Conditions: []
        """))
    errors = [str(d) for d in load_tree([tmp_path]).errors]
    assert errors == [
        f"{tmp_path / 'r.yml'}:14: error: Detection[0].Any[1].Expressions[0].Value: "
        "IsGreaterThan needs a number Value, got string 'ten'",
        f"{tmp_path / 'r.yml'}:17: error: DynamicSeverities[0].Conditions: empty list of match "
        "expressions",
    ]


@pytest.mark.parametrize("negated", [False, True])
def test_cidr_contains_ip_addresses(negated):
    """The Value (a block) contains one of the event's addresses, as Panther's filter operator
    contains_ip does (panther-core): any element in the block; a missing or null list is no
    match (and the DoesNot form its negation)."""
    cond = "CIDRDoesNotContainIPAddresses" if negated else "CIDRContainsIPAddresses"
    expr = lower_detection([{"KeyPath": "p_any_ip_addresses", "Condition": cond,
                             "Value": "10.0.0.0/8"}])
    cases = [({"p_any_ip_addresses": ["8.8.8.8", "10.1.2.3"]}, True),
             ({"p_any_ip_addresses": ["8.8.8.8"]}, False),
             ({"p_any_ip_addresses": []}, False),
             ({"p_any_ip_addresses": None}, False),
             ({}, False),
             ({"p_any_ip_addresses": ["2001:db8::1"]}, False)]
    for event, contains in cases:
        assert evaluate(expr, event) is (contains != negated), event
    inline = lower_inline_filters([{"KeyPath": "ips", "Condition": cond, "Value": "10.0.0.0/8"}])
    assert evaluate(inline, {}) is True  # inline filters pass without the key
