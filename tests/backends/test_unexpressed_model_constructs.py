"""Model constructs backends do not all express yet: the ``is_type`` predicate (Python isinstance()
on an event value; Athena and KQL translate it,
tests/backends/test_athena.py and test_kql.py), the ``ip_network`` transform (Athena translates
it) and the ``concat`` transform (text around a field; Athena translates it), ``split`` with
maxsplit (its third argument), the ``First`` node (an ordered loop: Athena
and KQL translate it), the ``Count`` node (a count of array elements compared with a number or
another count: Athena, KQL and SPL translate it; of distinct values: Athena, for values of one
SQL type). Every backend reports them on the rule (a
Finding) until it learns to express them: never a crash, never a drop."""
from __future__ import annotations

import pytest

from translator.backends import TARGETS, get_backend
from translator.mapping import load_mappings
from translator.model import All, Count, Field, First, Not, Predicate, Rule, Tally

MS = load_mappings()
CODE_IS_INT = Predicate(Field(("responseElements", "code")), "is_type", ("bool", "int"))
NAME = Predicate(Field(("eventName",)), "eq", "CreateUser")


SRC_NETWORK = Field(("sourceIPAddress",)).with_transform("ip_network")
PREFIXED_NAME = Field(("eventName",)).with_transform("concat", "x", "")
SLASH_USER = Field(("requestParameters", "userName")).with_transform("str").with_transform(
    "concat", "/", "")
ARN_AFTER_SLASH = Field(("userIdentity", "arn")).with_transform("split", "/", 1, 1)
GROUP_ID = Field(("groupId",), root="element")
_GROUP_STOP = Predicate(GROUP_ID, "startswith", "sg-")
_GROUP_ADMIN = Predicate(GROUP_ID, "eq", "sg-admin")
GROUPS = Field(("requestParameters", "groupSet", "items"))
FIRST_GROUP_ADMIN = First(GROUPS, _GROUP_STOP, _GROUP_ADMIN)
LAST_GROUP_ADMIN = First(GROUPS, _GROUP_STOP, _GROUP_ADMIN, last=True)
ADMIN_GROUPS = Tally(GROUPS, _GROUP_ADMIN)
UNEXPRESSED = [
    ("is_type", All((NAME, CODE_IS_INT))),
    ("is_type", All((NAME, Not(CODE_IS_INT)))),
    ("ip_network", All((NAME, Predicate(SRC_NETWORK, "ip_public")))),
    ("ip_network", All((NAME, Not(Predicate(SRC_NETWORK, "cidr", ("10.0.0.0/8",)))))),
    ("concat", All((NAME, Predicate(PREFIXED_NAME, "eq", "xCreateUser")))),
    # text.split(sep, maxsplit)[i]: the last item keeps the separators
    ("split", All((NAME, Predicate(ARN_AFTER_SLASH, "eq", "a/b")))),
    # an ordered loop: the first element of the array that stops the loop decides
    ("first", All((NAME, FIRST_GROUP_ADMIN))),
    ("first", All((NAME, Not(FIRST_GROUP_ADMIN)))),
    ("last", All((NAME, LAST_GROUP_ADMIN))),
    # counting elements beyond none/some
    ("count", All((NAME, Count(ADMIN_GROUPS, "ge", 2)))),
    ("count", All((NAME, Not(Count(ADMIN_GROUPS, "ne", Tally(GROUPS, _GROUP_STOP)))))),
    # the number of distinct values (deep_walk's list): typed text values in Athena
    ("distinct|count", All((NAME, Count(Tally(Field(("resources",)), distinct=Field(
        ("arn",), root="element")), "ge", 2)))),
    # a transformed field as the operand: reported as the transform or as the field operand
    ("concat|operand", All((NAME, Not(Predicate(Field(("userIdentity", "arn")), "endswith",
                                                SLASH_USER))))),
]
# (target, construct) pairs a backend now expresses exactly.
TRANSLATED = {("athena", "is_type"), ("kql", "is_type"), ("athena", "first"), ("kql", "first"),
              ("athena", "last"), ("kql", "last"), ("athena", "ip_network"),
              ("athena", "concat"), ("athena", "concat|operand"), ("athena", "count"),
              ("kql", "count"), ("spl", "count"), ("athena", "distinct|count")}


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("construct, detection", UNEXPRESSED)
def test_construct_is_reported_by_every_backend(target, construct, detection):
    rule = Rule(id="Test.Unexpressed", display_name="t", log_types=("AWS.CloudTrail",),
                detection=detection)
    t = get_backend(target).translate(rule, MS)
    assert not t.error
    reported = [str(f) for f in t.findings if f.severity in ("partial", "unsupported")]
    if (target, construct) in TRANSLATED:  # agreement is checked by the backend's engine tests
        assert t.verdict == "exact" and not reported, (t.verdict, reported)
        return
    assert t.verdict != "exact" and any(word in f for f in reported
                                        for word in construct.split("|")), (t.verdict, reported)
