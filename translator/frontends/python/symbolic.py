"""Symbolic values: what a rule sees instead of the event's data.

``Sym`` is the (unknown) value of an event field; comparing it builds a ``Cond`` (a symbolic
bool holding a model ``Expr``); using a ``Cond`` or ``Sym`` as a Python bool forks the
exploration. ``Lazy`` is the value of ``a and b`` / ``a or b`` over symbolic operands, kept as
an expression until something needs its concrete value.
"""
from __future__ import annotations

import copy
from typing import Any

from ...model import FALSE, MISSING, TRUE, Const, Expr, Field, Not, Predicate, Transform, _freeze
from . import state
from .errors import Unsupported, as_rule_error
from .explore import conj, disj, negate
from .facts import implied

SCALARS = (str, int, float, bool, type(None))


class _SplitAtMost:
    """``text.split(sep, maxsplit)``: only an item of it at a constant index is expressed
    (the split transform's third argument); any other use of the list is refused."""

    def __init__(self, text, sep, maxsplit):
        self.text, self.sep, self.maxsplit = text, sep, maxsplit

    def __getitem__(self, key):
        if not isinstance(key, int) or isinstance(key, bool) or not isinstance(
                self.maxsplit, int) or isinstance(self.maxsplit, bool) or not (
                self.sep is None or isinstance(self.sep, str)):
            raise Unsupported("split()", "split() with maxsplit, used other than by a constant index")
        f = self.text.field
        return Sym(f.with_transform("split", self.sep, key, self.maxsplit), self.text.origin)

    def _refuse(self, *_a, **_k):
        raise Unsupported("split()", "split() with maxsplit, used other than by a constant index")

    def __getattr__(self, name):
        self._refuse()

    __iter__ = __len__ = __bool__ = __contains__ = __eq__ = __ne__ = __hash__ = _refuse
    __str__ = __add__ = __radd__ = _refuse


class Symbolic:
    """Base of every symbolic value."""

    __slots__ = ()

    def truthy(self) -> Expr:  # pragma: no cover - abstract
        raise NotImplementedError

    def is_true(self) -> Expr:
        """When is the value exactly ``True`` (what a Panther rule() must return to alert)."""
        return self.truthy()

    def __bool__(self) -> bool:
        return decide(self.truthy())

    def __hash__(self):
        raise Unsupported("lookup keyed by a field value",
                          "a set/dict lookup (or hash) of an event value cannot be expressed")

    def __iter__(self):
        raise Unsupported("iteration", f"iterating over {self.describe()}")

    def __len__(self):
        raise Unsupported("len()", f"len() of {self.describe()} inside library code")

    def __index__(self):
        raise Unsupported("arithmetic", f"{self.describe()} used as an integer")

    def __str__(self):
        raise Unsupported("str()", f"text of {self.describe()} inside library code")

    def describe(self) -> str:
        return "a symbolic value"

    # Python would raise TypeError for these, which rule code may catch: refuse them loudly.
    def _no(self, *_a, **_k):
        raise Unsupported("operator", f"arithmetic or an unsupported operation on {self.describe()}")

    __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _no
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = _no
    __neg__ = __pos__ = __abs__ = __invert__ = __round__ = __float__ = __int__ = _no
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __lshift__ = __rshift__ = _no
    __lt__ = __le__ = __gt__ = __ge__ = __add__ = __radd__ = _no
    __call__ = __contains__ = __getitem__ = __setitem__ = __delitem__ = _no


def decide(expr: Expr) -> bool:
    return state.current().explorer.decide(expr)


def truthy(v: Any) -> Expr:
    if isinstance(v, Symbolic):
        return v.truthy()
    return Const(bool(v))


def is_true(v: Any) -> Expr:
    if isinstance(v, Symbolic):
        return v.is_true()
    return Const(v is True)


# --------------------------------------------------------------------------- Cond
class Cond(Symbolic):
    __slots__ = ("expr",)

    def __init__(self, expr: Expr):
        self.expr = expr

    def truthy(self) -> Expr:
        return self.expr

    def describe(self) -> str:
        return "a condition"

    def __eq__(self, other):
        if isinstance(other, bool):
            return self if other else Cond(negate(self.expr))
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, bool):
            return Cond(negate(self.expr)) if other else self
        return NotImplemented

    __hash__ = Symbolic.__hash__


def cond(expr: Expr) -> Any:
    """A Cond, or a plain bool when the expression is constant."""
    if isinstance(expr, Const):
        return expr.value
    return Cond(expr)


# --------------------------------------------------------------------------- Lazy and/or
class Lazy(Symbolic):
    """``v0 and v1 and ...`` (kind "and") or ``v0 or v1 or ...`` (kind "or")."""

    __slots__ = ("kind", "values")

    def __init__(self, kind: str, values: list):
        self.kind = kind
        self.values = values

    def truthy(self) -> Expr:
        parts = [truthy(v) for v in self.values]
        return conj(*parts) if self.kind == "and" else disj(*parts)

    def is_true(self) -> Expr:
        vs = self.values
        if self.kind == "and":
            return conj(*[truthy(v) for v in vs[:-1]], is_true(vs[-1]))
        # or: the first truthy operand is the value
        branches = []
        for i, v in enumerate(vs):
            branches.append(conj(*[negate(truthy(w)) for w in vs[:i]], is_true(v)))
        return disj(*branches)

    def resolve(self) -> Any:
        """The concrete Python value: fork on each operand's truthiness."""
        vs = self.values
        for v in vs[:-1]:
            t = decide(truthy(v))
            if (self.kind == "and" and not t) or (self.kind == "or" and t):
                return v
        return vs[-1]

    def describe(self) -> str:
        return f"an '{self.kind}' of values"

    # Any other use needs the concrete operand.
    def __getattr__(self, name):
        return getattr(self.resolve(), name)

    def __eq__(self, other):
        return self.resolve() == other

    def __ne__(self, other):
        return self.resolve() != other

    def __lt__(self, other):
        return self.resolve() < other

    def __le__(self, other):
        return self.resolve() <= other

    def __gt__(self, other):
        return self.resolve() > other

    def __ge__(self, other):
        return self.resolve() >= other

    def __getitem__(self, k):
        return self.resolve()[k]

    def __add__(self, o):
        return self.resolve() + o

    def __radd__(self, o):
        return o + self.resolve()

    __hash__ = Symbolic.__hash__


def resolve(v: Any) -> Any:
    while isinstance(v, Lazy):
        v = v.resolve()
    return v


# --------------------------------------------------------------------------- Sym
def guard_value(f: Field, what: str) -> None:
    """Python raises when ``what`` is applied to None: fork on the field having a value and
    let the other path raise the way the rule would (a raising rule does not alert)."""
    if state.is_value_maybe_none(f) and not decide(Predicate(f, "exists")):
        # None has no methods (AttributeError); an operator or a call on it is a TypeError:
        # the rule's own ``except`` may catch one and not the other
        error = AttributeError if what.startswith(".") else TypeError
        raise as_rule_error(error(f"{what} on None ({f.dotted} is missing or null)"))


class Sym(Symbolic):
    """``origin`` is the event path used to look up key spellings and types in the tests'
    events (for an array element: the array's path plus an index)."""

    __slots__ = ("field", "origin", "plain", "raw_default")

    def __init__(self, field: Field, origin: tuple | None = None, plain: bool = False,
                 raw_default: Any = None):
        self.field = field
        self.origin = field.path if origin is None else origin
        self.plain = plain  # deep_walk hands out plain lists/dicts, not Panther's immutables
        # the default as the rule wrote it (the model freezes both [] and {} to ())
        self.raw_default = raw_default

    def describe(self) -> str:
        return f"field {self.field}"

    def truthy(self) -> Expr:
        return Predicate(self.field, "truthy")

    def is_true(self) -> Expr:
        return Predicate(self.field, "eq", True)

    # ---- structure
    def _settled(self) -> "Sym":
        """Without its default when the path already knows the value is there and not null
        (``isinstance(v, Mapping)`` held): the default can no longer apply."""
        f = self.field
        if f.default in (MISSING, None, ()) or f.transforms:
            return self
        base = Field(f.path, root=f.root, udm=f.udm)
        if implied(Predicate(base, "exists"), state.current().explorer.facts):
            return Sym(base, self.origin, self.plain)
        return self

    def _default_split(self) -> Any:
        """``event.get(k, [..])`` read further (indexed, .get()): on this path either the default
        applies and Python reads the default itself (returned, a fresh copy), or the field has a
        value (returned: this field without its default). None when there is no such default."""
        f = self.field
        if f.transforms or f.default in (MISSING, None, ()) or self.raw_default is None \
                or isinstance(self.raw_default, (str, int, float, bool)):
            return None
        bare = Field(f.path, root=f.root, udm=f.udm)
        if not decide(Predicate(bare, "present")) or (
                f.default_on_null and not decide(Predicate(bare, "exists"))):
            return ("default", copy.deepcopy(self.raw_default))
        return ("field", Sym(bare, self.origin, self.plain))

    def child(self, key: Any) -> "Sym":
        self = self._settled()
        f = self.field
        if f.transforms:
            if f.transforms[-1].name in ("json", "get", "index") and isinstance(key, str):
                return Sym(f.with_transform("get", key), self.origin + (key,))
            if f.transforms[-1].name in ("json", "get", "index") and type(key) is int:
                # a parsed document's list item (a text's character, as in Python)
                return Sym(f.with_transform("index", key), self.origin + (key,))
            raise Unsupported("subscript", f"indexing into {self.describe()}")
        if f.default not in (MISSING, None, ()):
            raise Unsupported("subscript", f"indexing into {self.describe()} with a non-empty default")
        ctx = state.current()
        step = ctx.shape.spell(self.origin, key) if isinstance(key, str) else key
        return Sym(Field(f.path + (step,), root=f.root), self.origin + (step,), self.plain)

    def get(self, key, default=None):
        self = self._settled()
        split = self._default_split()
        if split is not None:
            return _concrete_call(split[1], "get", key, default) if split[0] == "default" \
                else split[1].get(key, default)
        f = self.field
        if not isinstance(key, (str, int)) or isinstance(key, bool):
            raise Unsupported("get()", "a key that is not a constant")
        if f.default is not MISSING and f.default not in ((), None) and not f.transforms:
            raise Unsupported("get()", f"get() on {self.describe()} with a non-empty default")
        guard_value(f, ".get()")
        if not f.transforms and f.default is MISSING and \
                state.current().shape.types_of(self.origin) - {"null", "dict"} and \
                not decide(Predicate(f, "is_type", ("dict",))):
            # the tests hold other values there too: Python has no .get() on them
            raise as_rule_error(AttributeError(f".get() on {f.dotted}, which is not an object"))
        c = self.child(key)
        if isinstance(default, Symbolic):
            raise Unsupported("get()", "a default that is itself an event value")
        if f.transforms:  # a parsed JSON document
            if default is None:
                return c
            g = c.field
            return Sym(Field(g.path, g.default, g.default_on_null, g.transforms[:-1]
                             + (Transform("get", (key, _freeze(default))),), g.root, g.udm), c.origin,
                       raw_default=default)
        if default is not None:
            return Sym(Field(c.field.path, _freeze(default), False, (), c.field.root), c.origin,
                       raw_default=default)
        return c

    def __getitem__(self, key):
        key = resolve(key)
        if isinstance(key, Symbolic):
            raise Unsupported("subscript", "an index computed from the event")
        if isinstance(key, slice):
            return self._slice(key)
        split = self._default_split()
        if split is not None:
            return _concrete_call(split[1], "__getitem__", key) if split[0] == "default" \
                else split[1][key]
        f = self.field
        if isinstance(key, int) and f.transforms and f.transforms[-1].name == "split" \
                and len(f.transforms[-1].args) == 1:
            sep = f.transforms[-1].args[0]
            return Sym(Field(f.path, f.default, f.default_on_null,
                             f.transforms[:-1] + (Transform("split", (sep, key)),), f.root, f.udm),
                       self.origin)
        if isinstance(key, int) and f.transforms and f.transforms[-1].name == "shlex_split":
            c = Sym(f.with_transform("index", key), self.origin + (key,))
        elif isinstance(key, int) and not f.transforms and \
                "str" in state.current().shape.types_of(self.origin):
            raise Unsupported("subscript", f"indexing into {self.describe()}, which holds text in "
                              "the tests' events (a character, not a list item)")
        else:
            c = self.child(key)
        if not decide(Predicate(c.field, "present")):
            raise as_rule_error((KeyError if isinstance(key, str) else IndexError)(key))
        return c

    def unpacked(self, n: int):
        """``a, b = field.split(sep)``: the items of a list of text, when it has ``n``; Python
        raises ValueError otherwise (any other value is iterated, and refused, as before)."""
        f = self.field
        last = f.transforms[-1] if f.transforms else None
        if last is None or not (last.name == "shlex_split" or (
                last.name == "split" and len(last.args) == 1)):
            return self
        if not decide(Predicate(f.with_transform("len"), "eq", n)):
            raise as_rule_error(ValueError(f"unpacking {f} into {n} names: not {n} items"))
        if last.name == "shlex_split":
            return tuple(Sym(f.with_transform("index", i), self.origin + (i,)) for i in range(n))
        return tuple(Sym(Field(f.path, f.default, f.default_on_null,
                               f.transforms[:-1] + (Transform("split", (last.args[0], i)),),
                               f.root, f.udm), self.origin) for i in range(n))

    def _slice(self, key: slice) -> "Sym":
        """``s[k:]`` where the path knows ``s.startswith(p)`` with ``len(p) >= k`` is
        ``s.removeprefix(p[:k])`` (``s[:-k]`` and a known suffix likewise)."""
        start, stop, step = key.start, key.stop, key.step
        facts = state.current().explorer.facts
        for fact, holds in facts.items():
            if not (holds and isinstance(fact, Predicate) and fact.field == self.field
                    and fact.case_sensitive and isinstance(fact.value, str) and step is None):
                continue
            v = fact.value
            if fact.op == "startswith" and stop is None and isinstance(start, int) \
                    and 0 < start <= len(v):
                return Sym(self.field.with_transform("removeprefix", v[:start]), self.origin)
            if fact.op == "endswith" and start is None and isinstance(stop, int) \
                    and 0 < -stop <= len(v):
                return Sym(self.field.with_transform("removesuffix", v[stop:]), self.origin)
        last = self.field.transforms[-1] if self.field.transforms else None
        if last is not None and (last.name == "shlex_split" or (
                last.name == "split" and len(last.args) == 1)):
            # a list of text: slicing it cannot raise, so the rule goes on; only a use of the
            # slice (a decision, a comparison, a text built from it) is refused
            return Opaque(f"slicing {self.describe()}", construct="slice")
        raise Unsupported("slice", f"slicing {self.describe()}")

    # ---- transforms
    def _transform(self, name: str, *args) -> "Sym":
        guard_value(self.field, f".{name}()")
        return Sym(self.field.with_transform(name, *args), self.origin)

    def lower(self):
        return self._transform("lower")

    def upper(self):
        return self._transform("upper")

    def casefold(self):
        return self._transform("lower")

    def strip(self, chars=None):
        return self._transform("strip", *(() if chars is None else (chars,)))

    def lstrip(self, chars=None):
        return self._transform("lstrip", *(() if chars is None else (chars,)))

    def rstrip(self, chars=None):
        return self._transform("rstrip", *(() if chars is None else (chars,)))

    def split(self, sep=None, maxsplit=-1):
        if maxsplit != -1:
            guard_value(self.field, ".split()")
            return _SplitAtMost(self, sep, maxsplit)
        return self._transform("split", sep)

    def rsplit(self, sep=None, maxsplit=-1):
        if maxsplit == -1:
            return self.split(sep)
        guard_value(self.field, ".rsplit()")
        return _LastPart(self, sep)

    def replace(self, old, new, count=-1):
        if count != -1 or not isinstance(old, str) or not isinstance(new, str):
            raise Unsupported("replace()", "replace() with a count or non-constant text")
        return self._transform("replace", old, new)

    def removeprefix(self, p):
        return self._transform("removeprefix", _const_str(p))

    def removesuffix(self, s):
        return self._transform("removesuffix", _const_str(s))

    def keys(self):
        return self._transform("keys")

    def values(self):
        return self._transform("values")

    def startswith(self, prefix, *rest):
        return self._affix("startswith", prefix, rest)

    def endswith(self, suffix, *rest):
        return self._affix("endswith", suffix, rest)

    def _affix(self, op: str, x: Any, rest: tuple):
        if rest:
            raise Unsupported(f"{op}()", f"{op}() with start/end positions")
        guard_value(self.field, f".{op}()")
        if isinstance(x, (tuple, list)):
            return cond(disj(*[Predicate(self.field, op, _const_str(v)) for v in x]))
        return cond(Predicate(self.field, op, _operand(x)))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsupported(f".{name}()", f"method {name}() on {self.describe()}")

    # ---- comparisons
    def __eq__(self, other):
        other = resolve(other)
        if other is None:
            return cond(Predicate(self.field, "null"))
        if isinstance(other, Cond):
            return NotImplemented
        if isinstance(other, (list, tuple)) and not isinstance(other, Symbolic):
            return self._eq_list(other)
        return cond(Predicate(self.field, "eq", _operand(other)))

    def _eq_list(self, items):
        """``field == ["a", "b"]``: PantherEvent's list equals a list or tuple of the same items
        (deep_walk's plain list only a list): the same length and equal items, in order."""
        split = self._default_split()
        if split is not None:
            return split[1] == items if split[0] == "default" else split[1]._eq_list(items)
        f = self.field
        last = f.transforms[-1].name if f.transforms else None
        document = last in ("json", "get")  # json.loads gives plain lists: equal to lists only
        if (f.transforms and not (document and isinstance(items, list))) or (
                self.plain and isinstance(items, tuple)):
            raise Unsupported("operand", f"comparison of {self.describe()} with a list value")
        if any(not isinstance(x, SCALARS) for x in items):
            raise Unsupported("operand", "comparison with a list of non-constant values")
        # a text or an object has no items at int positions; only `== []` needs the type
        # (and a parsed document, whose text items are indexed by the index transform)
        parts = [Predicate(f.with_transform("len"), "eq", len(items))]
        if not items or document:
            parts.insert(0, Predicate(f, "is_type", ("list",)))
        for i, x in enumerate(items):
            item = f.with_transform("index", i) if document else Field(f.path + (i,), root=f.root)
            parts.append(conj(Predicate(item, "present"), Predicate(item, "null")) if x is None
                         else Predicate(item, "eq", x))
        return cond(conj(*parts))

    def __ne__(self, other):
        r = self.__eq__(other)
        if r is NotImplemented:
            return r
        return cond(negate(truthy(r)))

    def _order(self, op: str, other):
        other = resolve(other)
        guard_value(self.field, "ordering comparison")
        if isinstance(other, Sym):
            guard_value(other.field, "ordering comparison")
        return cond(Predicate(self.field, op, _operand(other)))

    def __gt__(self, o):
        return self._order("gt", o)

    def __ge__(self, o):
        return self._order("ge", o)

    def __lt__(self, o):
        return self._order("lt", o)

    def __le__(self, o):
        return self._order("le", o)

    __hash__ = Symbolic.__hash__

    def __add__(self, o):
        return SymStr.concat(self, o)

    def __radd__(self, o):
        return SymStr.concat(o, self)


class _LastPart(Symbolic):
    """``s.rsplit(sep, n)``: only its last item is expressible (the same as split's last)."""

    __slots__ = ("sym", "sep")

    def __init__(self, sym: Sym, sep):
        self.sym, self.sep = sym, sep

    def describe(self) -> str:
        return f"rsplit() of {self.sym.describe()}"

    def truthy(self) -> Expr:
        raise Unsupported("rsplit()", "truthiness of an rsplit() list")

    def __getitem__(self, k):
        if k == -1:
            f = self.sym.field
            return Sym(f.with_transform("split", self.sep, -1), self.sym.origin)
        raise Unsupported("rsplit()", "an rsplit() item other than the last")

    __hash__ = Symbolic.__hash__


def _const_str(x: Any) -> str:
    x = resolve(x)
    if not isinstance(x, str):
        raise Unsupported("operand", f"expected constant text, got {type(x).__name__}")
    return x


def _concrete_call(value: Any, method: str, *args) -> Any:
    """A method of a default the rule reads (Python's own errors are the rule's errors)."""
    try:
        return getattr(value, method)(*args)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise as_rule_error(exc)


def _operand(x: Any) -> Any:
    x = resolve(x)
    if isinstance(x, SymStr):
        x = x.as_sym()
    if isinstance(x, Sym):
        return x.field
    if isinstance(x, Symbolic):
        raise Unsupported("operand", f"comparison with {x.describe()}")
    if isinstance(x, SCALARS):
        return x
    raise Unsupported("operand", f"comparison with a {type(x).__name__} value")


# --------------------------------------------------------------------------- text
class SymStr(Symbolic):
    """Text built from fields and literals (f-strings, concatenation): a title template."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple):
        self.parts = parts

    @classmethod
    def concat(cls, a: Any, b: Any) -> Any:
        parts: list = []
        for x in (a, b):
            x = resolve(x)
            if isinstance(x, SymStr):
                parts.extend(x.parts)
            elif isinstance(x, Sym):
                parts.append(x)
            elif isinstance(x, str):
                parts.append(x)
            else:
                raise Unsupported("concatenation", f"'+' with {type(x).__name__}")
        return cls(tuple(parts))

    def truthy(self) -> Expr:
        if any(isinstance(p, str) and p for p in self.parts):
            return TRUE
        return self.as_sym().truthy()

    def describe(self) -> str:
        return "text built from fields"

    def as_sym(self) -> Sym:
        """The text as one field's value with a ``concat`` transform (literal text around
        ``str()`` of the field, as an f-string formats it). Text from several fields is not
        one field's value."""
        syms = [i for i, p in enumerate(self.parts) if isinstance(p, Sym)]
        if len(syms) != 1 or not all(isinstance(p, (str, Sym)) for p in self.parts):
            raise Unsupported("text", "text built from several fields used as a value")
        i = syms[0]
        sym = self.parts[i]
        f = sym.field
        last = f.transforms[-1] if f.transforms else None
        if last is None or last.name not in TEXT_TRANSFORMS or (
                last.name == "split" and len(last.args) < 2):
            f = f.with_transform("str")
        prefix, suffix = "".join(self.parts[:i]), "".join(self.parts[i + 1:])
        if prefix or suffix:
            f = f.with_transform("concat", prefix, suffix)
        return Sym(f, sym.origin)

    def __add__(self, o):
        return SymStr.concat(self, o)

    def __radd__(self, o):
        return SymStr.concat(o, self)

    def __eq__(self, other):
        return self.as_sym() == other

    def __ne__(self, other):
        return self.as_sym() != other

    __hash__ = Symbolic.__hash__

    def _literal_ends(self) -> tuple:
        """The literal text before the first field and after the last one."""
        head = "".join(p for p in self.parts[:next(i for i, p in enumerate(self.parts)
                                                    if not isinstance(p, str))])
        tail_start = max(i for i, p in enumerate(self.parts) if not isinstance(p, str)) + 1
        return head, "".join(self.parts[tail_start:])

    def startswith(self, prefix, *rest):
        return self._affix("startswith", prefix, rest)

    def endswith(self, suffix, *rest):
        return self._affix("endswith", suffix, rest)

    def _affix(self, op: str, x: Any, rest: tuple):
        """Settled by the literal text alone where it can be (``f"Unknown{t}"`` never starts
        with "AWS"); else a test of the text as one field's value."""
        if not rest and isinstance(x, str):
            head, tail = self._literal_ends()
            lit = head if op == "startswith" else tail
            if len(lit) >= len(x):
                return getattr(lit, op)(x)
            if not (x.startswith(lit) if op == "startswith" else x.endswith(lit)):
                return False
        return getattr(self.as_sym(), op)(x, *rest)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _TEXT_METHODS:
            return getattr(self.as_sym(), name)
        raise Unsupported(f".{name}()", f"method {name}() on text built from fields")


# transforms whose result is text (str() of it changes nothing); methods of text as one field's
TEXT_TRANSFORMS = {"lower", "upper", "strip", "lstrip", "rstrip", "replace", "removeprefix",
                    "removesuffix", "str", "basename", "concat", "split"}
_TEXT_METHODS = {"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "split", "rsplit",
                 "replace", "removeprefix", "removesuffix"}


class SymMatch(Symbolic):
    """The result of ``re.match``/``search``/``fullmatch`` on a field."""

    __slots__ = ("pred",)

    def __init__(self, pred: Predicate):
        self.pred = pred

    def truthy(self) -> Expr:
        return self.pred

    def is_true(self) -> Expr:
        return FALSE  # a match object is never `True`

    def describe(self) -> str:
        return "a regex match"

    def __eq__(self, other):
        if other is None:
            return cond(Not(self.pred))
        return NotImplemented

    def __ne__(self, other):
        if other is None:
            return cond(self.pred)
        return NotImplemented

    __hash__ = Symbolic.__hash__

    def __getitem__(self, k):
        raise Unsupported("match[...]", "using the text a regex matched or captured")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsupported(f"match.{name}()", "using the text a regex captured (.group())")


class Opaque(Symbolic):
    """A value the tracer could not express, kept so that e.g. alert_context can go on (or
    the rule, when getting the value cannot raise): any use of it is refused."""

    __slots__ = ("reason", "construct")

    def __init__(self, reason: str, construct: str = "opaque value"):
        self.reason = reason
        self.construct = construct

    def truthy(self) -> Expr:
        raise Unsupported(self.construct, self.reason)

    def describe(self) -> str:
        return f"an opaque value ({self.reason})"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __call__(self, *a, **k):
        return self

    def __getitem__(self, k):
        return self

    def __eq__(self, other):
        raise Unsupported(self.construct, self.reason)

    def __iter__(self):
        raise Unsupported(self.construct, self.reason)

    def __hash__(self):
        raise Unsupported(self.construct, self.reason)


__all__ = ["Symbolic", "Sym", "Cond", "Lazy", "SymStr", "SymMatch", "Opaque", "cond", "decide",
           "truthy", "is_true", "resolve", "guard_value", "FALSE", "TRUE"]
