"""What a loop (``for``, ``any()``/``all()``) over an event value iterates over.

Python iterates the value the rule holds: the field's value, or the default that replaced it
(``event.get("a", [{}])`` iterates ``[{}]`` when ``a`` is missing), and raises on None. The
loop over the field itself becomes a Quantifier (whose missing array is empty); a default
that applies is a concrete list and runs as plain Python.
"""
from __future__ import annotations

import copy
from typing import Any

from ...model import FALSE, MISSING, Expr, Field, Predicate, Quantifier, Transform
from . import state
from .errors import TracerError, Unsupported, as_rule_error
from .explore import Explorer, fold, negate, opaque_of
from .symbolic import Sym, Symbolic, decide, truthy

# Values a rule can iterate without knowing their elements: Python would iterate the
# characters of a text and the keys of an object, which no Quantifier over an array means.
_NOT_ARRAYS = {"str": "text (iterating its characters)", "dict": "an object (iterating its keys)",
               "number": "a number (not iterable)", "bool": "a bool (not iterable)"}


def iteration_source(arr: Sym, what: str) -> Field | list:
    """The array Field to quantify over, or the concrete default list the rule iterates
    instead (on this path). Forks on the default applying; None raises as in Python."""
    f = arr.field
    last = f.transforms[-1] if f.transforms else None
    if last is None and f.default not in (MISSING, None, ()):
        bare, on_null = Field(f.path, root=f.root, udm=f.udm), f.default_on_null
    elif last is not None and last.name == "get" and len(last.args) > 1 \
            and last.args[1] not in (None, ()):
        on_null = len(last.args) > 2 and bool(last.args[2])
        bare = Field(f.path, f.default, f.default_on_null,
                     f.transforms[:-1] + (Transform("get", last.args[:1]),), f.root, f.udm)
    else:
        bare = None
    if bare is not None:
        if not decide(Predicate(bare, "present")):
            return _concrete(arr, what)
        if on_null and not decide(Predicate(bare, "exists")):
            return _concrete(arr, what)
        f = bare
    if not decide_has_value(f):
        raise as_rule_error(TypeError(f"{what} over None ({f.dotted} is null)"))
    if f.default == () and not f.transforms:
        f = Field(f.path, root=f.root, udm=f.udm)  # missing (and null if so) iterate as []
    _check_is_array(arr, f, what)
    return f


def decide_has_value(f: Field) -> bool:
    """False on the path where Python would iterate None."""
    if f.transforms and f.transforms[-1].name == "get" and len(f.transforms[-1].args) == 1:
        return decide(Predicate(f, "exists"))  # dict.get() gives None for a missing key
    if not state.is_value_maybe_none(f):
        return True
    return decide(Predicate(f, "exists"))


def _bare(f: Field) -> Field:
    return Field(f.path, root=f.root, transforms=f.transforms, udm=f.udm)


def _concrete(arr: Sym, what: str) -> list:
    raw = arr.raw_default
    if raw is None or isinstance(raw, (str, bytes)) or not hasattr(raw, "__iter__"):
        raise Unsupported(what, f"loop over {arr.describe()} whose default is not a list")
    return copy.deepcopy(list(raw))


def _check_is_array(arr: Sym, f: Field, what: str) -> None:
    """A Quantifier iterates arrays only: refuse fields the tests show holding other values."""
    if f.transforms:
        return  # split/keys/values/pluck give lists; json/get documents: checked by shape
    ctx = state.current()
    seen = ctx.shape.types_of(arr.origin) - {"null"}
    kinds = seen - {"list"}
    name = "the value deep_walk found" if f.root.startswith("pick:") else f.dotted
    if not seen:
        ctx.note(f"{what} over {name}: no test event holds a value there; read as an array "
                 "(a text or object there would be iterated by Python, not by the query)")
    for kind in sorted(kinds):
        if kind in _NOT_ARRAYS:
            raise Unsupported(what, f"{name} is {_NOT_ARRAYS[kind]} in the tests' events")




# --------------------------------------------------------------------------- element runs
class Elements:
    """The elements a quantifier or loop ranges over: those of the array ``field`` that pass
    ``keep``, each seen through ``view`` (a comprehension's filter and expression; None for
    the elements themselves)."""

    __slots__ = ("field", "origin", "keep", "view", "eager")

    def __init__(self, field: Field, origin: tuple, keep=None, view=None, eager: bool = False):
        self.field, self.origin, self.keep, self.view = field, origin, keep, view
        # a list/set comprehension already ran on every element: on this path none raises
        self.eager = eager

    def element(self) -> Sym:
        return Sym(Field((), root="element"), self.origin + (0,))

    def value(self):
        """The element as the body sees it, or SKIP (filtered out, or not an element of
        this path: a comprehension that raised on it raised before the loop ran)."""
        elem = self.element()
        try:
            if self.keep is not None:
                k = self.keep(elem)
                if not (decide(truthy(k)) if isinstance(k, Symbolic) else k):
                    return SKIP
            return self.view(elem) if self.view is not None else elem
        except TracerError:
            raise
        except Exception:  # noqa: BLE001 - the comprehension itself raised
            if self.eager:
                return SKIP  # such elements are not there on this path (see symlists)
            raise


SKIP = object()


def element_outcomes(elements: Elements, body, on_value) -> list:
    """Run ``body(element value)`` on a symbolic element, once per path."""
    def run():
        v = elements.value()
        return SKIP if v is SKIP else body(v)
    return Explorer(max_paths=64).run(run, on_value=lambda v: v if v is SKIP else on_value(v))


def refuse_raising_elements(f: Field, outcomes: list, what: str) -> None:
    """Python stops at the first element whose body raises, and the rule raises (no alert)
    unless an earlier element already decided the result: the elements' order decides, which
    no query can express. Events with such an element are refused (on this path only); on the
    others the quantifier is exact."""
    errors = [o for o in outcomes if o.kind == "error"]
    if not errors:
        return
    raising = fold(outcomes, lambda o: TRUE_ if o.kind == "error" else FALSE)
    if decide(Quantifier("any", f, raising)):
        exc = errors[0].value
        raise Unsupported(what, f"the body raises on some elements of {f.dotted} "
                          f"({type(exc).__name__}: {exc}), and which element comes first "
                          "decides the result")


def quantify(kind: str, elements: Elements, body, where=None, whole: bool = False) -> Expr:
    """``any/all(body(x) for x in <elements> if where(x))`` as a Quantifier. ``whole``: the
    elements are all the generator iterates, so a raising element is ordered (see ordered.py)."""
    def full(v):
        if where is not None:
            w = where(v)
            if not (decide(truthy(w)) if isinstance(w, Symbolic) else w):
                return SKIP
        return body(v)

    outcomes = element_outcomes(elements, full, truthy)
    if whole and any(o.kind == "error" for o in outcomes):
        return _ordered_quantify(kind, elements, full)
    refuse_raising_elements(elements.field, outcomes, f"{kind}()")

    def leaf(o):
        if o.kind == "unsupported":
            return opaque_of(o.value)
        if o.kind == "error":
            return FALSE
        if o.value is SKIP:
            return FALSE if kind == "any" else TRUE_
        return o.value

    where = fold(outcomes, leaf)
    if where == (FALSE if kind == "any" else TRUE_):
        return where  # no element can change the answer: any() of nothing, all() of anything
    return Quantifier(kind, elements.field, where)


def _ordered_quantify(kind: str, elements: Elements, full) -> Expr:
    """any() stops at the first truthy element, all() at the first falsy one, and both raise
    at a raising element before it: the first element that stops the scan decides."""
    from . import ordered
    decisive = kind == "any"
    outcomes = element_outcomes(elements, full, lambda v: decide(truthy(v)))

    def exit_key(o):
        if o.kind == "error":
            return ordered.error_key(o)
        if o.kind == "value" and o.value is not SKIP and o.value == decisive:
            return ("return", decisive)
        return None

    key, _ = ordered.first_exit(elements.field, outcomes, exit_key)
    if key is not None and key[0] == "error":
        raise ordered.raised(outcomes, key)
    return (TRUE_ if decisive else FALSE) if key is not None else (FALSE if decisive else TRUE_)


TRUE_ = negate(FALSE)


__all__ = ["iteration_source", "Elements", "SKIP", "element_outcomes", "refuse_raising_elements",
           "quantify"]
