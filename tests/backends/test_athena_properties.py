"""Property tests: arbitrary strings (quotes, backslashes, %, _, unicode, newlines) as values of
eq/in/contains/startswith/endswith/regex predicates give SQL that matches on DuckDB exactly the
events the reference evaluator matches."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from translator.model import Field, First, Not, Predicate

from .sql_helpers import assert_agrees

# Surrogates cannot be stored as UTF-8 text; NUL is not a valid SQL string character.
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
SPICY = st.text(st.sampled_from(list("aA%_\\'\"\n\t é.*[]()^$?+|{}-İıſKk\u2028")), max_size=8)
VALUES = st.one_of(TEXT, SPICY)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FIELDS = [("eventName",), ("requestParameters", "name")]


def _events(path: tuple, value: str, others: list[str]) -> list[dict]:
    out = []
    for v in [value, *others, value.upper(), value.lower(), "x" + value + "y", value + "\n"]:
        node: dict = {"eventTime": "2024-01-01T00:00:00Z"}
        cur = node
        for step in path[:-1]:
            cur = cur.setdefault(step, {})
        cur[path[-1]] = v
        out.append(node)
    out.append({"eventTime": "2024-01-01T00:00:00Z"})
    return out


@SETTINGS
@given(value=VALUES, others=st.lists(VALUES, max_size=3), path=st.sampled_from(FIELDS),
       op=st.sampled_from(["eq", "contains", "startswith", "endswith"]))
@example(value="\") or 1=1 --", others=["x') or ('1'='1"], path=("eventName",), op="eq")
@example(value="| delete", others=["'; DROP TABLE t; --"], path=("requestParameters", "name"), op="contains")
@example(value="\\%_", others=["\\\\%_x", "%", "_"], path=("eventName",), op="endswith")
def test_string_operators(value, others, path, op):
    pred = Predicate(Field(path), op, value)
    events = _events(path, value, others)
    assert_agrees(pred, events)
    assert_agrees(Not(pred), events)


@SETTINGS
@given(a=VALUES, b=VALUES, others=st.lists(VALUES, max_size=2),
       op=st.sampled_from(["eq", "contains", "startswith", "endswith"]),
       case_sensitive=st.booleans(), default=st.one_of(st.none(), SPICY))
def test_field_against_field(a, b, others, op, case_sensitive, default):
    """Two fields (a typed column and a JSON member), arbitrary text in both, with or without a
    default: combining marks, quotes and wildcards must not change the answer."""
    name = Field(("eventName",))
    other = Field(("requestParameters", "name")) if default is None else \
        Field(("requestParameters", "name"), default=default, default_on_null=True)
    pred = Predicate(name, op, other, case_sensitive=case_sensitive)
    base = {"eventTime": "2024-01-01T00:00:00Z"}
    events = [dict(base, eventName=x, requestParameters={"name": y})
              for x, y in [(a, b), (a, a), (a + b, b), (b + a, b), (a.upper(), a), (a, None)]]
    events += [dict(base, eventName=x) for x in [a, *others]] + [dict(base, requestParameters={"name": b}), base]
    assert_agrees(pred, events)
    assert_agrees(Not(pred), events)


def _glob_literal(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


@SETTINGS
@given(value=VALUES, others=st.lists(VALUES, max_size=2), path=st.sampled_from(FIELDS),
       shape=st.sampled_from(["{}", "*{}*", "{}?", "*{}*{}*", "[!a]{}*", "?*{}"]))
def test_glob_of_literal_text(value, others, path, shape):
    pattern = shape.format(*[_glob_literal(value)] * shape.count("{}"))
    pred = Predicate(Field(path), "glob", pattern)
    assert_agrees(pred, _events(path, value, others))


@SETTINGS
@given(values=st.lists(VALUES, min_size=1, max_size=4), path=st.sampled_from(FIELDS))
def test_in(values, path):
    pred = Predicate(Field(path), "in", tuple(values))
    assert_agrees(pred, _events(path, values[0], values[1:]))


@SETTINGS
@given(value=VALUES, others=st.lists(VALUES, max_size=2), path=st.sampled_from(FIELDS),
       mode=st.sampled_from(["search", "match", "fullmatch"]),
       shape=st.sampled_from(["{}", "^{}", "{}$", "(?:{})+", "{}|zz", "[^z]{}.?"]))
def test_regex_of_escaped_text(value, others, path, mode, shape):
    pattern = shape.format(re.escape(value))
    pred = Predicate(Field(path), "regex", pattern, flags=(mode,))
    assert_agrees(pred, _events(path, value, others))


@SETTINGS
@given(value=SPICY, others=st.lists(SPICY, max_size=2), path=st.sampled_from(FIELDS),
       op=st.sampled_from(["eq", "contains", "startswith", "regex"]))
def test_ignorecase_on_case_folding_corners(value, others, path, op):
    # Python lower() and IGNORECASE on İ, ı, ſ, K (Kelvin): SQL must agree.
    if op == "regex":
        pred = Predicate(Field(path), "regex", re.escape(value), flags=("IGNORECASE",))
    else:
        pred = Predicate(Field(path), op, value, case_sensitive=False)
    assert_agrees(pred, _events(path, value, others))


# An ordered loop (model First): a JSON array of objects and a typed array of structs.
_ELEM_VALUES = st.sampled_from([None, "x", "xy", "y", 0, 1, 22])
_ITEM = st.one_of(st.fixed_dictionaries({}, optional={"a": _ELEM_VALUES, "b": _ELEM_VALUES}),
                  _ELEM_VALUES)
_ARN = st.fixed_dictionaries({}, optional={"arn": st.sampled_from([None, "arn:x", "arn:y", "x"]),
                                           "type": st.sampled_from([None, "T", "U"])})


def _elem(*path):
    return Field(path, root="element")


_ITEM_TESTS = [Predicate(_elem("a"), "exists"), Predicate(_elem("a"), "eq", "x"),
               Predicate(_elem("b"), "gt", 0), Predicate(_elem("a"), "startswith", "x"),
               Not(Predicate(_elem("b"), "exists"))]
_ARN_TESTS = [Predicate(_elem("arn"), "exists"), Predicate(_elem("arn"), "startswith", "arn:"),
              Predicate(_elem("type"), "eq", "T"), Not(Predicate(_elem("type"), "exists"))]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.lists(_ITEM, max_size=4), min_size=1, max_size=4),
       resources=st.lists(st.lists(_ARN, max_size=4), min_size=1, max_size=4),
       tests=st.tuples(st.sampled_from(_ITEM_TESTS), st.sampled_from(_ITEM_TESTS),
                       st.sampled_from(_ARN_TESTS), st.sampled_from(_ARN_TESTS)),
       last=st.booleans())
def test_first_element_passing_a_test(items, resources, tests, last):
    base = {"eventTime": "2024-01-01T00:00:00Z"}
    events = [dict(base, requestParameters={"items": x}) for x in items] + \
        [dict(base, resources=r) for r in resources] + [base]
    for node in (First(Field(("requestParameters", "items")), tests[0], tests[1], last),
                 First(Field(("resources",)), tests[2], tests[3], last)):
        assert_agrees(node, events)
        assert_agrees(Not(node), events)
