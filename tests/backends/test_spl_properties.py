"""Property tests of the SPL backend's quoting: for hostile values (quotes, backslashes,
wildcards * ? % _, regex metacharacters, newlines, Unicode, `| delete`, `"; drop`) the search
keeps its shape (search | where | eval | table: no value becomes a command) and matches, in
rulec's SPL-subset evaluator, exactly the events the reference evaluator matches."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.backends.spl import BACKEND
from translator.engines.spl_eval import parse, run
from translator.evaluator import evaluate
from translator.mapping import load_mappings
from translator.model import Field, Predicate, Rule, Template
from translator.verify.spl import splunk_event

MS = load_mappings()
CT = "AWS.CloudTrail"
HOSTILE = ["'", '"', "`", "\\", "*", "?", "%", "_", "[", "]", "^", "$", ".", "(", ")", "|",
           "{", "}", "+", "\n", "\t", "\r", " ", "é", "É", "ß", "\u00a0", "😀", "-", "=", "/",
           ",", "#", "\x00"]
INJECTIONS = ['") or 1=1 --', '"; drop', "| delete", "\\*", "a\\", "%_%", "*?*", "[!a]",
              '" | delete | search "', "' | where true() | eval x='"]
SHAPE = ["search", "where", "eval", "table"]
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def texts() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(INJECTIONS),
                     st.text(st.sampled_from(HOSTILE + list("abcAB")), max_size=8))


def near(operand: str) -> st.SearchStrategy[str]:
    free = texts()
    return st.one_of(st.just(operand), st.just(operand.swapcase()),
                     st.builds(lambda a, b: a + operand + b, free, free),
                     st.builds(lambda a: operand + a, free), st.builds(lambda a: a + operand, free),
                     free)


def spl_agrees(pred, event: dict) -> None:
    rule = Rule(id="Prop.Spl", log_types=(CT,), detection=pred)
    t = BACKEND.translate(rule, MS)
    assert t.verdict == "exact", [str(f) for f in t.findings]
    assert "\n" not in t.query and "\r" not in t.query  # a .conf value is one line
    assert [c.name for c in parse(t.query).commands] == SHAPE
    got = bool(run(t.query, [splunk_event(MS, CT, event)]))
    assert got == evaluate(pred, event), t.query


@st.composite
def cases(draw, ops):
    operand = draw(texts())
    value = draw(near(operand))
    op = draw(st.sampled_from(ops))
    cs = draw(st.booleans())
    return Predicate(Field(("userAgent",)), op, operand, case_sensitive=cs), {"userAgent": value}


@SETTINGS
@given(cases(["eq", "contains", "startswith", "endswith"]))
def test_string_operators(case):
    spl_agrees(*case)


@SETTINGS
@given(texts(), texts(), near("x"))
def test_in_lists(a, b, value):
    spl_agrees(Predicate(Field(("userAgent",)), "in", (a, b, "x")), {"userAgent": value})
    spl_agrees(Predicate(Field(("userAgent",)), "in", (a, b)), {"userAgent": a})


@SETTINGS
@given(texts(), st.sampled_from(["search", "match", "fullmatch"]))
def test_regex_of_escaped_literal(text, mode):
    pattern = re.escape(text)
    for value in (text, "x" + text, text + "\n", text.upper()):
        spl_agrees(Predicate(Field(("userAgent",)), "regex", pattern, flags=(mode,)),
                   {"userAgent": value})


@SETTINGS
@given(texts(), texts())
def test_glob(pattern, value):
    spl_agrees(Predicate(Field(("userAgent",)), "glob", pattern), {"userAgent": value})
    spl_agrees(Predicate(Field(("userAgent",)), "glob", pattern), {"userAgent": pattern})


@SETTINGS
@given(texts(), texts())
def test_title_literals_and_defaults(literal, default):
    rule = Rule(id="Prop.Spl.Title", log_types=(CT,),
                detection=Predicate(Field(("eventName",)), "eq", "x"),
                title=Template((literal, Field(("userAgent",), default=default))))
    t = BACKEND.translate(rule, MS)
    assert [c.name for c in parse(t.query).commands] == SHAPE
    rows = run(t.query, [splunk_event(MS, CT, {"eventName": "x"})])
    assert rows[0]["title"] == literal + default
