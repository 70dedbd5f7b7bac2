"""Escaping properties: whatever a rule's value holds (quotes of every kind, backslashes,
wildcards, regex metacharacters, newlines, Unicode, injection attempts), the generated query
matches exactly the events the reference evaluator matches, executed in duckdb-kql, and stays
clean for Kusto.Language."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.backends.kql import lower_rule, query_tables
from translator.backends.kql_text import Inexpressible
from translator.evaluator import evaluate
from translator.mapping import load_mappings
from translator.model import Field, Predicate, Rule, RuleTest
from translator.verify.kql import execute

CT = "AWS.CloudTrail"
MS = load_mappings()
NASTY = ['"', "'", "`", "\\", "*", "?", "%", "_", ".", "^", "$", "(", ")", "[", "]", "{", "}",
         "|", "+", "\n", "\t", "é", "ß", "日", "😀", " ", "@", ";", "/", "-", "a", "B", "0"]
values = st.one_of(
    st.text(alphabet=st.sampled_from(NASTY), max_size=8),
    st.sampled_from(['") or 1==1 --', "| delete", '\\" | take 1', '@"x"', "'; drop", "x\\", "\\\\n"]),
)
FIELDS = [Field(("eventName",)), Field(("requestParameters", "v"))]
OPS = ["eq", "contains", "startswith", "endswith", "regex"]


def _events(field: Field, v: str) -> list:
    def at(x):
        return {"eventName": x} if field.path == ("eventName",) else {"requestParameters": {"v": x}}
    variants = [v, v + "x", "x" + v, v.upper(), v.lower(), v[:-1], "a", '"', "\\"]
    return [at(x) for x in dict.fromkeys(variants)] + [{}]


def _rule(field: Field, op: str, v: str, cs: bool) -> Rule:
    value = re.escape(v) if op == "regex" else v
    pred = Predicate(field, op, value, case_sensitive=cs)
    events = _events(field, v)
    tests = tuple(RuleTest.make(f"e{i}", evaluate(pred, {"p_log_type": CT, **e}), e)
                  for i, e in enumerate(events))
    return Rule(id="Prop.Escaping", log_types=(CT,), detection=pred, tests=tests)


def _lowered(rule):
    try:
        lowered = lower_rule(rule, MS)
    except Inexpressible:
        return None
    if not lowered.query:
        # only values that no KQL literal can hold are refused, and the refusal says why
        assert any("U+" in f.construct for f in lowered.findings), lowered.findings
        return None
    return lowered


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values, st.sampled_from(FIELDS), st.sampled_from(OPS), st.booleans())
def test_generated_query_matches_what_the_evaluator_matches(v, field, op, cs):
    rule = _rule(field, op, v, cs)
    lowered = _lowered(rule)
    if lowered is None:
        return
    results, why_not = execute(rule, lowered, MS)
    assert why_not == "", why_not
    partial = any(f.severity == "partial" for f in lowered.findings)
    for r, t in zip(results, rule.tests):
        if r.matched != r.evaluator and partial:
            # the reported divergence: Sentinel cannot tell "" from a missing field
            leaf = t.log.get("eventName", t.log.get("requestParameters", {}).get("v"))
            assert leaf in (None, ""), (r.name, v, lowered.detection)
            continue
        assert r.matched == r.evaluator == r.expected, (r.name, v, lowered.detection)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values, st.sampled_from(FIELDS), st.sampled_from(OPS), st.booleans())
def test_generated_query_is_clean_for_kusto_language(kusto, v, field, op, cs):
    lowered = _lowered(_rule(field, op, v, cs))
    if lowered is None:
        return
    tables = query_tables(MS, lowered)
    assert kusto.analyse(lowered.query, tables) == [], lowered.query
