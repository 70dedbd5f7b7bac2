"""The model's ``First`` node (an ordered loop: the first element of an array passing ``stop``
passes ``then``), checked on generated arrays against a scan written with ``any()`` over
one-element arrays, and against the identities that tie it to the array quantifiers."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from translator.evaluator import evaluate
from translator.model import (
    All, AnyOf, Field, First, Not, Predicate, Quantifier, expr_from_dict, expr_to_dict,
)
from translator.pretty import render

A, B = Field(("a",), root="element"), Field(("b",), root="element")
TESTS = [Predicate(A, "exists"), Predicate(A, "null"), Predicate(A, "eq", "x"),
         Predicate(A, "startswith", "x"), Predicate(B, "gt", 1), Predicate(B, "truthy"),
         Not(Predicate(A, "present")), All((Predicate(A, "exists"), Predicate(B, "eq", 2))),
         AnyOf((Predicate(A, "eq", "y"), Predicate(B, "null")))]
SCALARS = st.sampled_from([None, "x", "xy", "y", "", 0, 1, 2, 5, True])
ELEMENT = st.one_of(
    st.fixed_dictionaries({}, optional={"a": SCALARS, "b": SCALARS}),
    SCALARS, st.lists(SCALARS, max_size=2))
ARRAY = st.one_of(st.lists(ELEMENT, max_size=5), SCALARS)  # not a list: no elements
ARR = Field(("arr",))


def holds(test, element) -> bool:
    """``test`` on one element, through the any() quantifier of a one-element array."""
    return evaluate(Quantifier("any", Field(("one",)), test), {"one": [element]})


def scan(arr, stop, then) -> bool:
    for element in arr if isinstance(arr, list) else ():
        if holds(stop, element):
            return holds(then, element)
    return False


@settings(max_examples=300, deadline=None)
@given(arr=ARRAY, stop=st.sampled_from(TESTS), then=st.sampled_from(TESTS),
       last=st.booleans())
def test_first_is_the_first_stopping_element(arr, stop, then, last):
    node = First(ARR, stop, then, last)
    order = list(reversed(arr)) if last and isinstance(arr, list) else arr
    assert evaluate(node, {"arr": arr}) == scan(order, stop, then)
    assert evaluate(Not(node), {"arr": arr}) != scan(order, stop, then)


@settings(max_examples=200, deadline=None)
@given(arr=ARRAY, stop=st.sampled_from(TESTS), then=st.sampled_from(TESTS),
       last=st.booleans())
def test_first_and_the_quantifiers(arr, stop, then, last):
    event = {"arr": arr}

    def ev(e):
        return evaluate(e, event)
    some_stop = ev(Quantifier("any", ARR, stop))
    # the first stopping element passes then, or it does not: exactly when one stops
    assert (ev(First(ARR, stop, then, last)) or ev(First(ARR, stop, Not(then), last))) == some_stop
    assert not (ev(First(ARR, stop, then, last)) and ev(First(ARR, stop, Not(then), last)))
    # it is one of the elements passing both
    if ev(First(ARR, stop, then, last)):
        assert ev(Quantifier("any", ARR, All((stop, then))))
    assert ev(First(ARR, stop, stop, last)) == some_stop
    # then is only ever read on a stopping element
    assert ev(First(ARR, stop, All((stop, then)), last)) == ev(First(ARR, stop, then, last))


@given(stop=st.sampled_from(TESTS), then=st.sampled_from(TESTS), last=st.booleans())
def test_first_round_trips_and_prints(stop, then, last):
    node = Not(First(ARR, stop, then, last))
    assert expr_from_dict(expr_to_dict(node)) == node
    text = render(node)
    assert text.startswith(f"not ({'last' if last else 'first'}(arr[*] where ")
