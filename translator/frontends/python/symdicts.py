"""Dicts a rule builds from an event array: ``{item["Key"]: item["Value"] for item in arr}``
(Panther's key_value_list_to_dict), then asks for one constant key.

The comprehension runs on every element first: an element on which the key or the value
raises (a missing key, a text element) makes the rule raise whatever the order. Then
``d.get(K, default)`` is the value of the *last* element whose key equals K (a later element
overwrites an earlier one): the model's ``First`` with ``last`` (see ordered.py), and the
default when no element has that key. ``K in d`` and ``d[K]`` likewise. ``len(d)`` is the
number of distinct keys of the kept elements (the model's Count with ``distinct``).
"""
from __future__ import annotations

from typing import Any

from ...model import FALSE, Field, Quantifier, Tally
from . import ordered, state
from .errors import Unsupported, as_rule_error
from .explore import fold, negate, opaque_of
from .iteration import SKIP, Elements, element_outcomes
from .symbolic import SCALARS, Sym, Symbolic, cond, decide, resolve, truthy

TRUE_ = negate(FALSE)


class SymDict(Symbolic):
    __slots__ = ("elements", "key_of", "value_of")

    def __init__(self, elements: Elements, key_of, value_of):
        self.elements, self.key_of, self.value_of = elements, key_of, value_of

    def describe(self) -> str:
        return f"a dict built from {self.elements.field}"

    def truthy(self):
        return Quantifier("any", self.elements.field, self._where(lambda k, v: True))

    def _where(self, test):
        """The element-rooted condition: the element is kept and ``test(key, value)``."""
        def run(v):
            return test(resolve(self.key_of(v)), v)
        outcomes = element_outcomes(self.elements, run, truthy)

        def leaf(o):
            if o.kind == "unsupported":
                return opaque_of(o.value)
            return FALSE if o.kind == "error" or o.value is SKIP else o.value
        return fold(outcomes, leaf)

    def _has(self, key) -> Any:
        key = resolve(key)
        if isinstance(key, Symbolic) or not isinstance(key, SCALARS):
            raise Unsupported("dict lookup", f"a key that is not a constant in {self.describe()}")
        return self._where(lambda k, _v: k == key)

    def contains(self, key):
        return cond(Quantifier("any", self.elements.field, self._has(key)))

    def get(self, key, default=None):
        stop = self._has(key)
        if not decide(Quantifier("any", self.elements.field, stop)):
            return default
        return self._value(stop)

    def __getitem__(self, key):
        stop = self._has(key)
        if not decide(Quantifier("any", self.elements.field, stop)):
            raise as_rule_error(KeyError(key))
        return self._value(stop)

    def _value(self, stop):
        """The value of the last element whose key matched."""
        if not ordered.picks_allowed():
            raise Unsupported("dict lookup", f"a value of {self.describe()} outside rule()")
        # (no element raises on this path: build() decided it, so error runs are not there)
        values = self._per_element(self.value_of)
        if len(values) != 1:
            raise Unsupported("dict lookup", f"a value of {self.describe()} that depends on the "
                              "element's own decisions")
        value = values[0]
        if isinstance(value, SCALARS):
            return value
        if not isinstance(value, Sym) or value.field.root != "element":
            raise Unsupported("dict lookup", f"a value of {self.describe()} that is not a value "
                              "of the element")
        return ordered.picked(self.elements.field, stop, value.field, value.origin, last=True)

    def _per_element(self, fn) -> list:
        """The different results of ``fn`` on a kept element, one per element path."""
        outcomes = element_outcomes(self.elements, lambda v: fn(v), resolve)
        for o in outcomes:
            if o.kind == "unsupported":
                raise o.value
        found: list = []
        for o in outcomes:
            if o.kind == "value" and o.value is not SKIP and not any(_same(o.value, x) for x in found):
                found.append(o.value)
        return found

    def count(self):
        from .symlists import SymCount
        return SymCount(self)

    def tally(self) -> Tally:
        """len(): the distinct keys of the kept elements, equal as Python's dict sees them.
        The model's distinct count leaves null values out, so the key must be a value that
        is never null (text a text method made)."""
        keys = self._per_element(self.key_of)
        key = keys[0] if len(keys) == 1 else None
        if not (isinstance(key, Sym) and key.field.root == "element" and _never_null(key.field)):
            raise Unsupported("len()", f"the number of keys of {self.describe()}: keys that "
                              "are not one text value made from each element")
        return Tally(self.elements.field, self._where(lambda k, v: True), distinct=key.field)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsupported(f".{name}()", f"method {name}() on {self.describe()}")

    __hash__ = Symbolic.__hash__


# transforms whose result is text (or a number), never None; split only with an index
_TEXT_RESULTS = {"lower", "upper", "strip", "lstrip", "rstrip", "str", "int", "float", "len",
                 "basename", "removeprefix", "removesuffix", "replace", "concat"}


def _never_null(f: Field) -> bool:
    if not f.transforms:
        return False
    last = f.transforms[-1]
    return last.name in _TEXT_RESULTS or (last.name == "split" and len(last.args) > 1
                                          and last.args[1] is not None)


def _same(a, b) -> bool:
    if isinstance(a, Sym) and isinstance(b, Sym):
        return a.field == b.field
    return type(a) is type(b) and isinstance(a, SCALARS) and a == b


def build(field: Field, origin: tuple, key_of, value_of, keep=None, view=None) -> SymDict:
    """``{key_of(x): value_of(x) for x in <array> if keep(x)}`` (x: the element seen through
    ``view``): every element's key and value are computed before the rule goes on (Python
    raises at the first that raises)."""
    elements = Elements(field, origin, keep=keep, view=view)

    def check(v):
        k, value = resolve(key_of(v)), value_of(v)
        if isinstance(k, Sym) and not k.field.transforms and \
                state.current().shape.types_of(k.origin) & {"dict", "list"}:
            raise Unsupported("dict comprehension", f"a key {k.field.dotted}, which holds objects "
                              "or lists in the tests' events (unhashable)")
        if isinstance(k, Symbolic) and not isinstance(k, Sym):
            raise Unsupported("dict comprehension", f"a key that is {k.describe()}")
        return value

    outcomes = element_outcomes(elements, check, lambda v: True)
    for kind in ("error", "unsupported"):
        hits = [o for o in outcomes if o.kind == kind]
        if hits and decide(Quantifier("any", field, fold(
                outcomes, lambda o, kind=kind: TRUE_ if o.kind == kind else FALSE))):
            if kind == "unsupported":
                raise hits[0].value
            raise as_rule_error(type(hits[0].value)(*hits[0].value.args))
    return SymDict(Elements(field, origin, keep=keep, view=view, eager=True), key_of, value_of)


__all__ = ["SymDict", "build"]
