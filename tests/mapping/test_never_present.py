"""Fields a log type never holds (``never_present`` in its mapping file): resolved as such on
every target, tests on them decided as Python decides them on an event without the field, and
no backend reads them."""
from __future__ import annotations

import pytest

from translator.backends import TARGETS, get_backend
from translator.evaluator import evaluate
from translator.mapping import MappingError, ResolvedField, Unmapped, load_mappings
from translator.mapping.absent import settle_absent
from translator.mapping.loader import parse_file
from translator.mapping.usage import FieldRef, coverage
from translator.model import (
    MISSING, All, AnyOf, Const, Count, Field, Not, Predicate, Quantifier, Rule, Tally,
)

S3 = "AWS.S3ServerAccess"
MS = load_mappings()
NAME = Field(("eventName",))
BUCKET = Predicate(Field(("bucket",)), "eq", "b")


@pytest.mark.parametrize("target", ["sentinel", "splunk", "chronicle", "athena", "sigma"])
def test_listed_keys_resolve_as_never_present_on_every_target(target):
    for path in (("eventName",), ("userIdentity", "arn"), ("EVENTNAME",)):
        r = MS.resolve(S3, target, path)
        assert isinstance(r, Unmapped) and r.kind == "never-present", r
        assert "LogFormat.html" in r.reason and "always missing" in r.reason
    # a schema key wins over the list: userAgent reads useragent (keys match case-insensitively)
    assert isinstance(MS.resolve(S3, target, ("userAgent",)), ResolvedField)
    # a key the list does not name stays an unknown field, not an absent one
    assert MS.resolve(S3, target, ("eventTime",)).kind == "not-in-schema"


@pytest.mark.parametrize("expr", [
    Predicate(NAME, "eq", "x"),
    Not(Predicate(NAME, "eq", "x")),
    Predicate(Field(("eventName",), default="<MISSING>"), "eq", "<MISSING>"),
    Predicate(NAME, "present"),
    Predicate(NAME, "truthy"),
    Not(Predicate(Field(("userIdentity", "type")), "in", ("Root",))),
    Quantifier("any", Field(("userIdentity", "items")), Predicate(Field(("a",), root="element"), "eq", 1)),
    Quantifier("all", Field(("userIdentity", "items")), Predicate(Field(("a",), root="element"), "eq", 1)),
    Count(Tally(Field(("userIdentity", "items"))), "lt", 2),
    Count(Tally(Field(("userIdentity", "items"))), "eq", Tally(Field(("userIdentity", "arn")))),
])
def test_a_test_on_an_absent_field_becomes_pythons_outcome_without_it(expr):
    settled = settle_absent(expr, MS, S3)
    assert isinstance(settled, Const) and settled.value == evaluate(expr, {"bucket": "b"})


def test_constants_fold_into_the_rest_of_the_detection():
    assert settle_absent(All((BUCKET, Not(Predicate(NAME, "eq", "x")))), MS, S3) == BUCKET
    assert settle_absent(AnyOf((BUCKET, Predicate(NAME, "eq", "x"))), MS, S3) == BUCKET
    assert settle_absent(All((BUCKET, Predicate(NAME, "eq", "x"))), MS, S3) == Const(False)
    # a comparison with a field the event may hold is left to the backend
    mixed = Predicate(NAME, "eq", Field(("bucket",)))
    assert settle_absent(mixed, MS, S3) is mixed
    # a count against the count of an array the event may hold is left to the backend
    counts = Count(Tally(Field(("userIdentity", "items"))), "eq", Tally(Field(("bucket",))))
    assert settle_absent(counts, MS, S3) is counts
    # on a log type that holds the field nothing changes
    assert settle_absent(Predicate(NAME, "eq", "x"), MS, "AWS.CloudTrail") == Predicate(NAME, "eq", "x")


@pytest.mark.parametrize("target", list(TARGETS))
def test_backends_decide_tests_on_absent_fields_and_never_read_them(target):
    detection = All((BUCKET, Not(Predicate(Field(("eventName",), default=MISSING), "eq", "x")),
                     AnyOf((Predicate(Field(("operation",)), "eq", "REST.GET.OBJECT"),
                            Predicate(Field(("userIdentity", "type")), "eq", "Root")))))
    rule = Rule(id="Test.NeverPresent", display_name="t", log_types=(S3,), detection=detection)
    t = get_backend(target).translate(rule, MS)
    assert not t.error
    reported = [str(f) for f in t.findings if f.severity in ("partial", "unsupported")]
    assert not any("eventName" in f or "userIdentity" in f for f in reported), reported
    text = (t.query or "\n".join(o.text for o in t.outputs)).lower()
    assert "eventname" not in text and "useridentity" not in text
    assert "rest.get.object" in text


def test_coverage_counts_them_apart():
    refs = [FieldRef("r", (S3,), ("eventName",)), FieldRef("r", (S3,), ("bucket",)),
            FieldRef("r", (S3,), ("eventTime",))]
    c = coverage(MS, refs, targets=("sentinel",))["sentinel"]
    assert (c.total, c.mapped, c.never_present) == (3, 2, 1)
    assert c.share_present == pytest.approx(1 / 3)


def test_a_malformed_block_names_the_file(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("log_type: X.Y\nnever_present: {fields: [a]}\ntargets: {}\n")
    with pytest.raises(MappingError, match=r"x.yaml: never_present: needs source"):
        parse_file(bad)
    bad.write_text("log_type: X.Y\nnever_present: {source: u, fields: [a.b]}\ntargets: {}\n")
    with pytest.raises(MappingError, match=r"not a top-level key"):
        parse_file(bad)
