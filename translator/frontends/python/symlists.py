"""Lists and sets a rule builds from event arrays: ``[f(x) for x in arr if c(x)]``,
``set(arr)``, ``list(a) + list(b)``, ``S & set(arr)``.

Their elements stay symbolic (a ``SymList`` is a union of filtered, mapped arrays); what the
rule then asks of them is expressible when it does not depend on order: truthiness,
``len(...)`` compared with a number or another ``len(...)`` (the model's Count, for lists of
one array's elements), ``x in ...``, any()/all()/for over them, intersection with constants,
and set (in)equality of two plain arrays.
"""
from __future__ import annotations

from typing import Any

from ...model import FALSE, Count, Field, Predicate, Quantifier, Tally
from . import state
from .errors import Unsupported, as_rule_error
from .explore import conj, disj, fold, negate
from .condlist import conditional_list
from .iteration import SKIP, Elements, element_outcomes, iteration_source, quantify
from .symbolic import Sym, Symbolic, cond, decide, resolve, truthy

TRUE_ = negate(FALSE)


class SymList(Symbolic):
    __slots__ = ("parts", "is_set", "unordered", "distinct", "counted", "generator")

    def __init__(self, parts: tuple, is_set: bool = False, unordered: bool = False,
                 distinct: bool = False, counted: Tally | None = None, generator: bool = False):
        self.parts = parts  # Elements
        self.is_set = is_set
        # built by iterating a set: the elements' order is not the arrays' (next() needs it)
        self.unordered = unordered or is_set
        # one item per distinct value of the array elements it was built from (a set, the
        # values deep_walk found, or a list built from either): len() is not their number
        self.distinct = distinct or is_set
        self.counted = counted  # its number of items, where its parts do not tell it (deep_walk)
        self.generator = generator  # a generator expression: no len()

    def describe(self) -> str:
        kind = "set" if self.is_set else "list"
        sources = dict.fromkeys(str(p.field) for p in self.parts)
        return f"a {kind} built from {', '.join(sources)}"

    def truthy(self):
        return disj(*[quantify("any", p, lambda v: True) for p in self.parts])

    # ---- membership and comparisons
    def contains(self, x: Any):
        x = resolve(x)
        if isinstance(x, Sym) and _has_element_root(x.field):
            raise Unsupported("in", "an element of one array looked up in another array")
        if isinstance(x, Symbolic) and not isinstance(x, Sym):
            raise Unsupported("in", f"{x.describe()} in {self.describe()}")
        return cond(disj(*[quantify("any", p, lambda v: v == x) for p in self.parts]))

    def __eq__(self, other):
        other = resolve(other)
        if isinstance(other, (list, tuple, set, frozenset)) and not other:
            return cond(negate(self.truthy()))
        if isinstance(other, (str, int, float, bool, type(None))):
            return False  # a list or set never equals a scalar
        if isinstance(other, SymList) and self.is_set and other.is_set:
            return cond(negate(_sets_differ(self, other)))
        raise Unsupported("comparison", f"comparing {self.describe()} with "
                          + (other.describe() if isinstance(other, Symbolic) else type(other).__name__))

    def __ne__(self, other):
        return cond(negate(truthy(self.__eq__(other))))

    __hash__ = Symbolic.__hash__

    # ---- combining
    def __add__(self, other):
        other = resolve(other)
        if isinstance(other, SymList) and not self.is_set and not other.is_set:
            return SymList(self.parts + other.parts, distinct=self.distinct or other.distinct)
        if isinstance(other, list) and not other:
            return self
        raise Unsupported("concatenation", f"{self.describe()} + {type(other).__name__}")

    def __radd__(self, other):
        other = resolve(other)
        if isinstance(other, list) and not other:
            return self
        raise Unsupported("concatenation", f"{type(other).__name__} + {self.describe()}")

    def intersect(self, constants) -> "SymList":
        values = _constants(constants)
        return SymList(tuple(_restrict(p, lambda v: _in_constants(v, values)) for p in self.parts),
                       is_set=True)

    def __and__(self, other):
        if isinstance(other, (set, frozenset)):
            return self.intersect(other)
        raise Unsupported("set operation", f"{self.describe()} & {_desc(other)}")

    __rand__ = __and__

    def __next__(self):
        raise Unsupported("next()", f"the first item of {self.describe()}: which element comes "
                          "first decides the result")

    def count(self) -> "SymCount":
        if self.generator:
            raise as_rule_error(TypeError("object of type 'generator' has no len()"))
        return SymCount(self)

    def tally(self) -> Tally:
        """The model's number of items; Unsupported when it cannot say it: items of several
        arrays, or distinct values (a set, or a list built from one or from deep_walk's)."""
        if self.counted is not None:
            return self.counted
        if self.distinct or len(self.parts) != 1:
            why = "it counts distinct values" if self.distinct else "it counts the items of several arrays"
            raise Unsupported("len()", f"the number of items of {self.describe()} compared beyond "
                              f"empty/non-empty: {why}")
        q = quantify("any", self.parts[0], lambda v: True)
        if q == FALSE:
            return Tally(self.parts[0].field, FALSE)
        return Tally(q.field, q.where)


class SymCount(Symbolic):
    """``len()`` of a SymList (or SymDict): compared with 0 or 1 it says "is it empty";
    compared with another number or another such count it is the model's Count."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items  # has truthy(), describe() and tally()

    def describe(self) -> str:
        return f"the number of items of {self.items.describe()}"

    def truthy(self):
        return self.items.truthy()

    def _nonempty_when(self, op: str, n) -> bool | None:
        """True if ``len op n`` means "not empty", False if it means "empty"."""
        if isinstance(n, bool) or not isinstance(n, int):
            return None
        table = {("gt", 0): True, ("ge", 1): True, ("ne", 0): True, ("eq", 0): False,
                 ("lt", 1): False, ("le", 0): False}
        return table.get((op, n))

    def _compare(self, op: str, n):
        n = resolve(n)
        nonempty = self._nonempty_when(op, n)
        if nonempty is not None:
            t = self.items.truthy()
            return cond(t if nonempty else negate(t))
        if isinstance(n, SymCount) or (isinstance(n, int) and not isinstance(n, bool)):
            mine = self.items.tally()
            return cond(Count(mine, op, n.items.tally() if isinstance(n, SymCount) else n))
        raise Unsupported("len()", f"{self.describe()} compared with {_desc(n)}: only a whole "
                          "number or another count compares with a count")

    def __gt__(self, n):
        return self._compare("gt", n)

    def __ge__(self, n):
        return self._compare("ge", n)

    def __lt__(self, n):
        return self._compare("lt", n)

    def __le__(self, n):
        return self._compare("le", n)

    def __eq__(self, n):
        return self._compare("eq", n)

    def __ne__(self, n):
        return self._compare("ne", n)

    __hash__ = Symbolic.__hash__


# --------------------------------------------------------------------------- building
def stable_order(items):
    """A set iterates in an order that depends on the process' string-hash seed; every order
    is one the real rule may run in, so take a fixed one (a set display's source order, else
    sorted), so that the extraction and every output built from it are the same in every run."""
    if not isinstance(items, (set, frozenset)):
        return items
    order = getattr(items, "order", None)
    if order is not None and len(order) == len(items) and set(order) == items:
        return order
    return sorted(items, key=lambda v: (type(v).__name__, repr(v)))


def collect(kind: str, iterable, view=None, keep=None):
    """A comprehension (kind "list", "set", "gen") or list()/set()/tuple()/sorted() (no view,
    no keep) over ``iterable``: a SymList when it ranges over event arrays, else the real
    Python value."""
    it = resolve(iterable)
    unordered = kind == "sorted"  # sorted by value, not in the array's order
    distinct = False
    if isinstance(it, Sym):
        src = iteration_source(it, "comprehension" if view or keep else f"{kind}()")
        if isinstance(src, list):
            return _concrete(kind, src, view, keep)
        parts = (Elements(src, it.origin),)
    elif isinstance(it, SymList):
        parts = it.parts
        unordered = unordered or it.unordered
        distinct = it.distinct
    elif isinstance(it, Symbolic):
        raise Unsupported("iteration", f"iterating over {it.describe()}")
    else:
        return _concrete(kind, it, view, keep)
    if view is not None or keep is not None:
        parts = tuple(_compose(p, view, keep) for p in parts)
    if kind != "gen":
        parts = tuple(_eager(p, kind) for p in parts)
    return SymList(parts, is_set=kind in ("set", "frozenset"), unordered=unordered,
                   distinct=distinct, generator=kind == "gen")


def _concrete(kind: str, items, view, keep):
    if keep is not None and kind in ("list", "tuple"):
        return conditional_list(kind, items, view, keep)

    def gen():
        for x in stable_order(items):
            if keep is not None and not keep(x):
                continue
            yield view(x) if view is not None else x
    if kind == "gen":
        return gen()
    return {"list": list, "set": set, "frozenset": frozenset, "tuple": tuple,
            "sorted": sorted}[kind](gen())


def _compose(p: Elements, view, keep) -> Elements:
    def new_keep(e):
        v = _through(p, e)
        if v is SKIP:
            return False
        return True if keep is None else keep(v)

    def new_view(e):
        v = p.view(e) if p.view is not None else e
        return view(v) if view is not None else v
    return Elements(p.field, p.origin, new_keep, new_view)


def _through(p: Elements, e):
    if p.keep is not None:
        k = p.keep(e)
        if not (decide(truthy(k)) if isinstance(k, Symbolic) else k):
            return SKIP
    return p.view(e) if p.view is not None else e


def _eager(p: Elements, kind: str) -> Elements:
    """A list or set comprehension runs on every element before the rule goes on: if it
    raises on one, the rule raises whatever the order. On the other paths no element
    raises, and the part is marked eager (see Elements.value)."""
    if p.keep is None and p.view is None:
        return p

    def check(v):
        if kind in ("set", "frozenset") and isinstance(v, Sym) and not v.field.transforms:
            kinds = state.current().shape.types_of(v.origin)
            if kinds & {"dict", "list"}:
                raise Unsupported("set()", f"a set of {v.field.dotted}, which holds objects or "
                                  "lists in the tests' events (unhashable)")
        return True

    outcomes = element_outcomes(p, check, lambda v: v)
    errors = [o for o in outcomes if o.kind == "error"]
    if errors:
        raising = fold(outcomes, lambda o: TRUE_ if o.kind == "error" else FALSE)
        if decide(Quantifier("any", p.field, raising)):
            raise as_rule_error(type(errors[0].value)(str(errors[0].value)))
    unsupported = [o for o in outcomes if o.kind == "unsupported"]
    if unsupported:
        reached = fold(outcomes, lambda o: TRUE_ if o.kind == "unsupported" else FALSE)
        if decide(Quantifier("any", p.field, reached)):
            raise unsupported[0].value
    return Elements(p.field, p.origin, p.keep, p.view, eager=True)


def _restrict(p: Elements, test) -> Elements:
    def keep(e):
        v = _through(p, e)
        return False if v is SKIP else test(v)
    return Elements(p.field, p.origin, keep, p.view, eager=p.eager)


# --------------------------------------------------------------------------- helpers
def _constants(values) -> tuple:
    out = []
    for v in values:
        if isinstance(v, Symbolic) or not isinstance(v, (str, int, float, bool, type(None))):
            raise Unsupported("set operation", "a set of values that are not constants")
        out.append(v)
    try:
        return tuple(sorted(out, key=lambda v: (type(v).__name__, v)))
    except TypeError:
        return tuple(out)


def _in_constants(v, values: tuple):
    v = resolve(v)
    if isinstance(v, Sym):
        return cond(Predicate(v.field, "in", values)) if values else False
    if isinstance(v, Symbolic):
        raise Unsupported("set operation", f"{v.describe()} in a set of constants")
    return v in values


def _sets_differ(a: SymList, b: SymList):
    """set(a) != set(b) of two plain arrays: an element of one missing from the other."""
    if len(a.parts) != 1 or len(b.parts) != 1 or any(
            p.keep is not None or p.view is not None for p in a.parts + b.parts):
        raise Unsupported("comparison", "comparing sets built by comprehensions")
    pa, pb = a.parts[0], b.parts[0]
    for p in (pa, pb):
        if _has_element_root(p.field) or state.current().shape.types_of(p.origin + (0,)) & {"dict", "list"}:
            raise Unsupported("comparison", f"comparing sets of {p.field.dotted}")
    elem = Field((), root="element")
    return disj(Quantifier("any", pa.field, negate(Predicate(pb.field, "member", elem))),
                Quantifier("any", pb.field, negate(Predicate(pa.field, "member", elem))))


def _has_element_root(f: Field) -> bool:
    return f.root == "element"


def _desc(x) -> str:
    if isinstance(x, Symbolic):
        return x.describe()
    return repr(x) if isinstance(x, (int, float, str)) else type(x).__name__


__all__ = ["SymList", "SymCount", "collect"]
