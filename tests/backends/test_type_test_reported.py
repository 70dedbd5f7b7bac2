"""The model's ``is_type`` predicate (Python isinstance() on an event value): every backend
reports it on the rule (a Finding) until it learns to express it: never a crash, never a drop."""
from __future__ import annotations

import pytest

from translator.backends import TARGETS, get_backend
from translator.mapping import load_mappings
from translator.model import All, Field, Not, Predicate, Rule

MS = load_mappings()
CODE_IS_INT = Predicate(Field(("responseElements", "code")), "is_type", ("bool", "int"))
NAME = Predicate(Field(("eventName",)), "eq", "CreateUser")


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("detection", [All((NAME, CODE_IS_INT)), All((NAME, Not(CODE_IS_INT)))])
def test_is_type_is_reported_by_every_backend(target, detection):
    rule = Rule(id="Test.IsType", display_name="t", log_types=("AWS.CloudTrail",),
                detection=detection)
    t = get_backend(target).translate(rule, MS)
    assert not t.error
    reported = [str(f) for f in t.findings if f.severity in ("partial", "unsupported")]
    assert t.verdict != "exact" and any("is_type" in f for f in reported), (t.verdict, reported)
