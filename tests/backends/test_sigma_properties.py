"""Property tests of the Sigma backend's escaping: for hostile values (quotes of every kind,
backslashes, Sigma/LIKE/GLOB wildcards, regex metacharacters, newlines, Unicode, SQL and SPL
injections) the generated Sigma rule, converted by pysigma-backend-sqlite and run in SQLite,
matches exactly the events the reference evaluator matches.

Case-insensitive tests draw ASCII text only: SQLite's NOCASE and LIKE fold ASCII letters only,
an engine limit (Python's lower() folds all of Unicode); case-sensitive tests use everything.
"""
from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from translator.backends.sigma import BACKEND
from translator.backends.sigma_detection import escape
from translator.backends.sigma_regex import _re2, translate as translate_regex
from translator.evaluator import evaluate
from translator.mapping import load_mappings
from translator.model import Field, Predicate, Rule
from translator.verify.sigma import compile_sql, parse, run_sql, sigma_record

MS = load_mappings()
HOSTILE = ["'", '"', "`", "\\", "*", "?", "%", "_", "[", "]", "^", "$", ".", "(", ")", "|",
           "{", "}", "+", "\n", "\t", " ", "é", "É", "ß", "١", "\u00a0", "😀", "-", "=", "/"]
INJECTIONS = ['") or 1=1 --', "' OR '1'='1", "| delete", "\\*", "a\\", "%_%", "*?*", "[!a]"]
ASCII_HOSTILE = [c for c in HOSTILE if c.isascii()]


def texts(alphabet: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(INJECTIONS),
                     st.text(st.sampled_from(alphabet + list("abcAB")), max_size=8))


def related_value(operand: str, alphabet: list[str]) -> st.SearchStrategy[str]:
    """Event values near the operand: equal, around it, case-swapped, or unrelated."""
    free = texts(alphabet)
    return st.one_of(
        st.just(operand), st.just(operand.swapcase()),
        st.builds(lambda a, b: a + operand + b, free, free),
        st.builds(lambda a: operand + a, free), st.builds(lambda a: a + operand, free), free)


def sigma_agrees(predicate: Predicate, event: dict) -> None:
    rule = Rule(id="Prop.Rule", display_name="Property rule", log_types=("AWS.CloudTrail",),
                detection=predicate)
    t = BACKEND.translate(rule, MS)
    assert t.verdict == "exact", [str(f) for f in t.findings]
    sql, required = compile_sql(parse(t.query).rules[0])
    got = run_sql(sql, sigma_record(MS, "AWS.CloudTrail", event), required)
    assert got == evaluate(predicate, event), (t.query, sql, event)


@st.composite
def text_case(draw):
    case_sensitive = draw(st.booleans())
    alphabet = HOSTILE if case_sensitive else ASCII_HOSTILE
    operand = draw(texts(alphabet))
    op = draw(st.sampled_from(["eq", "contains", "startswith", "endswith"]))
    if op != "eq" and not operand:
        operand = "x"
    value = draw(related_value(operand, alphabet))
    return Predicate(Field(("userAgent",)), op, operand, case_sensitive=case_sensitive), value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_case())
def test_text_operators_match_exactly_what_python_matches(case):
    predicate, value = case
    sigma_agrees(predicate, {"userAgent": value})


@settings(max_examples=60, deadline=None)
@given(st.lists(texts(HOSTILE), min_size=1, max_size=4), texts(HOSTILE))
def test_in_lists(values, pick):
    predicate = Predicate(Field(("eventName",)), "in", tuple(values))
    sigma_agrees(predicate, {"eventName": pick})
    sigma_agrees(predicate, {"eventName": values[0]})


@settings(max_examples=300, deadline=None)
@given(texts(HOSTILE))
def test_escape_reads_back_as_the_literal(text):
    from sigma.types import SigmaString
    parsed = SigmaString(escape(text))
    assert not parsed.contains_special()
    assert "".join(p for p in parsed.s if isinstance(p, str)) == text


# --------------------------------------------------------------------------- regex

_ATOMS = [r"a", r"B", r"\.", r"\\", r"\*", r".", r"\d", r"\w", r"\s", r"\W", r"[a-c]",
          r"[^a]", r"[\d_]", r"é", r"\u00e9", r"\n", r"'", r'"', r"%"]


@st.composite
def regexes(draw, depth=2):
    n = draw(st.integers(1, 4))
    parts = []
    for _ in range(n):
        if depth and draw(st.integers(0, 5)) == 0:
            inner = draw(regexes(depth=depth - 1))
            parts.append(f"(?:{inner})")
        else:
            parts.append(draw(st.sampled_from(_ATOMS)))
        parts[-1] += draw(st.sampled_from(["", "", "*", "+", "?", "{1,2}"]))
    body = "".join(parts)
    if draw(st.booleans()):
        body += "|" + draw(st.sampled_from(_ATOMS))
    return draw(st.sampled_from(["", "^"])) + body + draw(st.sampled_from(["", "$", r"\Z"]))


REGEX_VALUES = st.text(st.sampled_from(list("aBbc._*\\'\"%\n é١0123") + ["\u00a0", "\u2028"]),
                       max_size=8)


@settings(max_examples=300, deadline=None)
@given(regexes(), st.sampled_from([(), ("IGNORECASE",), ("match",), ("fullmatch",),
                                    ("MULTILINE",), ("DOTALL",)]), REGEX_VALUES)
def test_regex_translation_keeps_pythons_meaning_in_re2(pattern, flags, value):
    rx = translate_regex(pattern, flags)
    if rx.problem:  # the one construct the generator builds that RE2 cannot say
        assert "'$' followed by more pattern" in rx.problem, rx
        return
    if any("word boundary" in w for w in rx.warnings):
        return
    mode = next((f for f in flags if f in ("match", "fullmatch")), "search")
    py_flags = 0
    for f in flags:
        if f not in ("match", "fullmatch"):
            py_flags |= getattr(re, f)
    expected = getattr(re.compile(pattern, py_flags), mode)(value) is not None
    inline = "".join(rx.modifiers)
    compiled = _re2.compile((f"(?{inline})" if inline else "") + rx.pattern)
    assert (compiled.search(value) is not None) == expected, (pattern, flags, rx.pattern, value)


@settings(max_examples=40, deadline=None)
@given(regexes(), REGEX_VALUES)
def test_regex_predicates_run_through_sigma_and_sqlite(pattern, value):
    assume(not translate_regex(pattern, ()).problem)  # reported, checked above
    sigma_agrees(Predicate(Field(("userAgent",)), "regex", pattern), {"userAgent": value})
