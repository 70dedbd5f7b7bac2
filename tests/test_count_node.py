"""The model's ``Count`` node (the number of elements of an array passing a test, compared with
a number or with another such number), checked on generated arrays against a count written
with ``any()`` over one-element arrays, and against the identities that tie it to the
quantifiers."""
from __future__ import annotations

import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.evaluator import evaluate
from translator.model import (
    COUNT_OPS, TRUE, All, AnyOf, Count, Field, Not, Predicate, Quantifier, Tally, expr_from_dict,
    expr_to_dict, fields_of, walk,
)
from translator.pretty import render

A, B = Field(("a",), root="element"), Field(("b",), root="element")
TESTS = [TRUE, Predicate(A, "exists"), Predicate(A, "null"), Predicate(A, "eq", "x"),
         Predicate(B, "gt", 1), Predicate(B, "truthy"), Not(Predicate(A, "present")),
         All((Predicate(A, "exists"), Predicate(B, "eq", 2))),
         AnyOf((Predicate(A, "eq", "y"), Predicate(B, "null")))]
SCALARS = st.sampled_from([None, "x", "y", "", 0, 1, 2, 5, True])
ELEMENT = st.one_of(st.fixed_dictionaries({}, optional={"a": SCALARS, "b": SCALARS}), SCALARS,
                    st.lists(SCALARS, max_size=2))
ARRAY = st.one_of(st.lists(ELEMENT, max_size=6), SCALARS)  # not a list: no elements
ARR, OTHER = Field(("arr",)), Field(("other",))
PY_OPS = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge,
          "lt": operator.lt, "le": operator.le}


def holds(test, element) -> bool:
    """``test`` on one element, through the any() quantifier of a one-element array."""
    return evaluate(Quantifier("any", Field(("one",)), test), {"one": [element]})


def python_len(arr, test) -> int:
    """``len([x for x in arr if test(x)])``, duplicates included; a non-list has no elements."""
    return len([x for x in (arr if isinstance(arr, list) else []) if holds(test, x)])


@settings(max_examples=300, deadline=None)
@given(arr=ARRAY, other=ARRAY, test=st.sampled_from(TESTS), other_test=st.sampled_from(TESTS),
       op=st.sampled_from(sorted(COUNT_OPS)), n=st.integers(-1, 4))
def test_count_is_the_length_of_the_filtered_list(arr, other, test, other_test, op, n):
    event = {"arr": arr, "other": other}
    mine, theirs = python_len(arr, test), python_len(other, other_test)
    versus_number = Count(Tally(ARR, test), op, n)
    assert evaluate(versus_number, event) == PY_OPS[op](mine, n)
    assert evaluate(Not(versus_number), event) != PY_OPS[op](mine, n)
    versus_count = Count(Tally(ARR, test), op, Tally(OTHER, other_test))
    assert evaluate(versus_count, event) == PY_OPS[op](mine, theirs)


@settings(max_examples=200, deadline=None)
@given(arr=ARRAY, test=st.sampled_from(TESTS))
def test_counts_against_zero_and_one_are_the_quantifiers(arr, test):
    event = {"arr": arr}

    def ev(e):
        return evaluate(e, event)
    tally = Tally(ARR, test)
    assert ev(Count(tally, "gt", 0)) == ev(Quantifier("any", ARR, test))
    assert ev(Count(tally, "eq", 0)) == ev(Quantifier("none", ARR, test))
    assert ev(Count(tally, "eq", 1)) == ev(Quantifier("one", ARR, test))
    assert ev(Count(tally, "eq", Tally(ARR))) == ev(Quantifier("all", ARR, test))


def python_distinct(arr, test, key: str) -> int:
    """The number of values ``deep_walk`` would find at ``key`` of the kept elements: non-null,
    deduplicated by Python's dict keys (1, 1.0 and True are one key)."""
    found: dict = {}
    for x in (arr if isinstance(arr, list) else []):
        if holds(test, x) and isinstance(x, dict) and x.get(key) is not None:
            found[x[key]] = None
    return len(found)


@settings(max_examples=300, deadline=None)
@given(arr=ARRAY, test=st.sampled_from(TESTS), op=st.sampled_from(sorted(COUNT_OPS)),
       n=st.integers(0, 3))
def test_distinct_count_is_the_number_of_dict_keys(arr, test, op, n):
    event = {"arr": arr}
    node = Count(Tally(ARR, test, distinct=A), op, n)
    assert evaluate(node, event) == PY_OPS[op](python_distinct(arr, test, "a"), n)


@given(test=st.sampled_from(TESTS), other_test=st.sampled_from(TESTS),
       op=st.sampled_from(sorted(COUNT_OPS)), n=st.integers(0, 5))
def test_count_round_trips_and_prints(test, other_test, op, n):
    for node in (Not(Count(Tally(ARR, test), op, n)),
                 Count(Tally(ARR, test), op, Tally(OTHER, other_test)),
                 Count(Tally(ARR, test, distinct=B), op, Tally(OTHER, other_test, A))):
        assert expr_from_dict(expr_to_dict(node)) == node
        assert render(node).replace("not (", "").startswith("count(arr[*]")
    assert fields_of(Count(Tally(ARR, test), op, Tally(OTHER, other_test)))[:2] == [ARR, OTHER]
    assert test in list(walk(Count(Tally(ARR, test), op, n)))


def test_count_prints_its_filter_and_operator():
    node = Count(Tally(ARR, Predicate(A, "eq", "x")), "ge", Tally(OTHER))
    assert render(node) == 'count(arr[*] where .a == "x") >= count(other[*])'
    assert render(Count(Tally(ARR, distinct=B), "eq", 1)) == "count(arr[*] distinct .b) == 1"


@pytest.mark.parametrize("op, value", [("in", 1), ("gt", True), ("gt", 1.5), ("gt", "2")])
def test_count_refuses_other_operators_and_operands(op, value):
    with pytest.raises(ValueError):
        Count(Tally(ARR), op, value)
