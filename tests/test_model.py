"""The canonical model: immutability and a lossless JSON round trip."""
import dataclasses
import json

import pytest
from deepdiff import DeepDiff

from translator.model import (
    FALSE, MISSING, All, AnyOf, DynamicSeverity, Extraction, Field, MitreRef, Mock, Not, Opaque,
    Predicate, Quantifier, Rule, RuleTest, Template, Transform, expr_from_dict, expr_to_dict,
    fields_of,
)


def sample_rule() -> Rule:
    name = Field(("eventName",))
    det = All((
        Not(AnyOf((Predicate(Field(("errorCode",)), "exists"),
                   Predicate(Field(("errorMessage",)), "exists")))),
        Predicate(name, "in", ("CreateSecurityGroup", "DeleteSecurityGroup")),
        Predicate(Field(("a", "b"), default="<X>", transforms=()), "eq", "foo", case_sensitive=False),
        Quantifier("any", Field(("items",)),
                   Predicate(Field(("cidrIp",), root="element"), "cidr", ("0.0.0.0/0",))),
        Predicate(Field(("x",)), "eq", Field(("y",))),
        Opaque("get_string_set", "KV store lookup", "r.py:3"),
        FALSE,
    ))
    return Rule(
        id="Test.Rule", display_name="T", log_types=("AWS.CloudTrail",), severity="High",
        tags=("a", "b"), mitre=(MitreRef("TA0005", "T1562"),), reports=(("CIS", ("3.10",)),),
        tests=(RuleTest.make("t1", True, {"eventName": "X", "n": [1, {"a": None}]},
                             [Mock("get_counter", 3)]),),
        detection=det, dedup_key=(name,), title=Template(("SG change by ", Field(("user",), default="<UNKNOWN>"))),
        output_fields=(name,), dynamic_severities=(DynamicSeverity("Critical", det.items[1]),),
        correlation={"Group": [{"ID": "a", "RuleID": "x"}], "LookbackWindowMinutes": 15},
        extraction=Extraction("exact", "python", ("r.py:1: x",), 3),
    )


def test_round_trip_is_lossless():
    rule = sample_rule()
    data = json.loads(rule.to_json())
    back = Rule.from_dict(data)
    assert back == rule
    assert DeepDiff(back.to_dict(), rule.to_dict()) == {}


def test_objects_are_immutable():
    rule = sample_rule()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.id = "other"  # type: ignore[misc]
    log = rule.tests[0].log
    log["eventName"] = "changed"
    assert rule.tests[0].log["eventName"] == "X"


def test_missing_default_is_distinct_from_none():
    f = Field(("a",), default=None)
    assert Field.from_dict(f.to_dict()).default is None
    assert Field.from_dict(Field(("a",)).to_dict()).default is MISSING


def test_expr_dict_form_and_fields():
    det = sample_rule().detection
    assert expr_from_dict(expr_to_dict(det)) == det
    dotted = [f.dotted for f in fields_of(det)]
    assert dotted[:3] == ["errorCode", "errorMessage", "eventName"]
    assert "items" in dotted and "y" in dotted


def test_unknown_operator_rejected():
    with pytest.raises(ValueError, match="unknown predicate operator"):
        Predicate(Field(("a",)), "like", "x")


# ---- list and dict values a rule wrote (defaults, transform args): frozen, yet Python's own

def test_list_and_dict_defaults_survive_the_json_round_trip_with_their_python_text():
    from translator.model import Transform, _freeze
    f = Field(("a",), _freeze([]), True,
              (Transform("json"), Transform("get", ("Statement", _freeze({"k": [1]})))))
    back = Field.from_dict(json.loads(json.dumps(f.to_dict())))
    assert back == f and hash(back) == hash(f)
    # A cached model prints exactly as a fresh one, with the rule's own spelling.
    assert str(back) == str(f) == "get(json(a), 'Statement', {'k': [1]})"
    assert repr(back.default) == "[]"


def test_thaw_gives_back_the_plain_python_values():
    from translator.model import _freeze, thaw
    value = {"b": [1, {"c": []}], "a": {}}
    assert thaw(_freeze(value)) == value
    assert type(thaw(_freeze(value))["b"]) is list
