"""The functions rewritten rule code calls (``__T.in_(a, b)``, ``__T.call(f, ...)``, ...).

Each one behaves exactly like the Python construct on concrete values and builds a symbolic
value when an operand is symbolic. A call that would hand a symbolic value to library code we
do not trace raises Unsupported instead: library code would otherwise raise a TypeError that
the rule's own ``except`` could swallow, giving a plausible but wrong model.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch as _fnmatch
import functools
import json as _json
import re as _re
import sys
import time as _time
from collections.abc import KeysView, Mapping, Sequence, ValuesView
from typing import Any

from ...model import FALSE, Field, Predicate, Quantifier, _freeze
from . import growth, ordered, state, summary, symdicts
from .errors import PathLimit, Timeout, TracerError, Unsupported, TRACED_FILES, as_rule_error
from .event import SymbolicEvent
from .explore import Explorer, conj, disj, fold, negate, opaque_of
from .iteration import (SKIP, Elements, element_outcomes, iteration_source, quantify,
                        refuse_raising_elements)
from .ipaddrs import IP_CALLS, SymIP
from .symlists import SymList, collect, stable_order
from .textcalls import TEXT_CALLS, SymFindall
from .symbolic import (Cond, Lazy, Opaque, Sym, SymMatch, SymStr, Symbolic, cond, decide,
                       guard_value, is_true, resolve, truthy)

_THIS_PACKAGE = __name__.rsplit(".", 1)[0]


# --------------------------------------------------------------------------- operators
def not_(x):
    if isinstance(x, Symbolic):
        return cond(negate(truthy(x)))
    return not x


def _chain(kind: str, thunks: tuple):
    values: list = []
    for i, thunk in enumerate(thunks):
        try:
            v = thunk()
        except (PathLimit, Timeout, KeyboardInterrupt):
            raise
        except BaseException:
            if not values:
                raise
            # Speculating past a symbolic operand failed: decide the operands for real.
            for prev in values:
                t = decide(truthy(prev))
                if (kind == "and" and not t) or (kind == "or" and t):
                    return prev
            return _chain(kind, thunks[i:])
        if not isinstance(v, Symbolic):
            if (kind == "and" and not v) or (kind == "or" and v):
                if not values:
                    return v
                values.append(v)
                return Lazy(kind, values)
            if i == len(thunks) - 1:
                values.append(v)
            continue
        values.append(v)
    if len(values) == 1:
        return values[0]
    if all(isinstance(v, (Cond, bool)) for v in values):
        parts = [truthy(v) for v in values]
        return cond(conj(*parts) if kind == "and" else disj(*parts))
    return Lazy(kind, values)


def and_(*thunks):
    return _chain("and", thunks)


def or_(*thunks):
    return _chain("or", thunks)


class OrderedSet(set):
    """A constant set literal that remembers its source order."""

    __slots__ = ("order",)


def oset(items: tuple) -> set:
    s = OrderedSet(items)
    s.order = tuple(dict.fromkeys(items))
    return s


def _scalar_tuple(items) -> tuple | None:
    out = []
    for x in stable_order(items):
        x = resolve(x)
        if isinstance(x, Symbolic) or not isinstance(x, (str, int, float, bool, type(None))):
            return None
        out.append(x)
    return tuple(out)


def in_(a, b):
    a, b = resolve(a), resolve(b)
    # text built around one field is that field's value with a concat transform
    a = a.as_sym() if isinstance(a, SymStr) else a
    b = b.as_sym() if isinstance(b, SymStr) else b
    if isinstance(b, (list, tuple)) and not b:
        return False  # nothing to compare with: whatever ``a`` is
    if isinstance(b, (SymList, symdicts.SymDict)):
        return b.contains(a)
    if isinstance(a, SymList) and isinstance(b, (list, tuple, set, frozenset)) and \
            _scalar_tuple(b) is not None:
        if isinstance(b, (set, frozenset)):
            raise as_rule_error(TypeError("unhashable type: 'list'"))
        return False  # a list never equals a scalar
    if isinstance(b, SymbolicEvent):
        return b.__contains__(a)
    if isinstance(b, Sym):
        return _in_field(a, b)
    if isinstance(a, SymIP):
        return a.in_network(b)
    if isinstance(a, Sym):
        if isinstance(b, str):
            raise Unsupported("in", f"{a.describe()} as a substring of a constant text")
        if isinstance(b, Mapping):
            b = list(b.keys())
        if isinstance(b, (list, tuple, set, frozenset, KeysView, ValuesView)) or (
                isinstance(b, Sequence) and not isinstance(b, str)):
            vals = _scalar_tuple(b)
            if vals is None:
                raise Unsupported("in", f"{a.describe()} in a collection of non-constant values")
            if None in vals:
                rest = tuple(v for v in vals if v is not None)
                return cond(disj(Predicate(a.field, "null"), Predicate(a.field, "in", rest)))
            return cond(Predicate(a.field, "in", vals) if vals else FALSE)
        raise Unsupported("in", f"{a.describe()} in a {type(b).__name__}")
    if type(a) is tuple and not isinstance(b, (Symbolic, str)) \
            and any(isinstance(resolve(x), Symbolic) for x in a):
        return _tuple_in(a, b)
    if isinstance(a, Symbolic) or isinstance(b, Symbolic):
        raise Unsupported("in", f"'in' between {_desc(a)} and {_desc(b)}")
    return a in b


def _tuple_in(a: tuple, b):
    """``(x, y) in {("a", "b"), ...}``: some constant tuple equals the values item by item."""
    items = list(b.keys()) if isinstance(b, Mapping) else stable_order(b)
    cases = []
    for item in items:
        if type(item) is not tuple or len(item) != len(a):
            continue
        parts = []
        for mine, theirs in zip(a, item):
            mine = resolve(mine)
            if isinstance(mine, Symbolic):
                parts.append(truthy(mine == theirs))
            elif mine != theirs:
                parts = None
                break
        if parts is not None:
            cases.append(conj(*parts))
    return cond(disj(*cases))


def _desc(x) -> str:
    return x.describe() if isinstance(x, Symbolic) else type(x).__name__


def _in_field(a, b: Sym):
    """``a in field``: substring on text, membership on a list: decided by the field's type."""
    ctx = state.current()
    if isinstance(a, Sym):
        operand = a.field
    elif isinstance(a, (str, int, float, bool)):
        operand = a
    else:
        raise Unsupported("in", f"{_desc(a)} in {b.describe()}")
    guard_value(b.field, "'in'")
    f = b.field
    kinds = ctx.field_types(Field(b.origin)) - {"null"} if not f.transforms else set()
    if f.transforms and f.transforms[-1].name in ("split", "keys", "values", "shlex_split") \
            and len(f.transforms[-1].args) <= 1:
        kinds = {"list"}
    elif f.transforms and f.transforms[-1].name in ("lower", "upper", "strip", "str", "replace",
                                                    "concat"):
        kinds = {"str"}
    elif f.transforms and f.transforms[-1].name in ("json", "get"):
        kinds = ctx.shape.types_of(b.origin) - {"null"}
    if not kinds and isinstance(f.default, str):
        kinds = {"str"}
    elif not kinds and isinstance(f.default, tuple):
        kinds = {"list"}
    if kinds == {"str"}:
        return cond(Predicate(f, "contains", operand))
    if kinds == {"list"}:
        return cond(Predicate(f, "member", operand))
    if kinds == {"dict"}:
        if isinstance(operand, str):
            return cond(Predicate(b.child(operand).field, "present"))
        return cond(Predicate(f.with_transform("keys"), "member", operand))
    # Type unknown or mixed: Python's `in` means both, and each is False on the other type.
    ctx.note(f"{b.field.dotted}: type not known from the tests; 'in' kept as substring-or-member")
    return cond(disj(Predicate(f, "contains", operand), Predicate(f, "member", operand)))


def not_in(a, b):
    return not_(in_(a, b))


def is_(a, b):
    a, b = resolve(a), resolve(b)
    if isinstance(a, SymList) or isinstance(b, SymList):
        return False  # a new list is no other object
    if isinstance(b, Symbolic) and not isinstance(a, Symbolic):
        a, b = b, a
    if isinstance(a, Sym):
        if b is None:
            return cond(Predicate(a.field, "null"))
        if b is True or b is False:
            return cond(Predicate(a.field, "eq", b))
        return False
    if isinstance(a, (Cond, SymMatch)):
        if b is None:
            return False if isinstance(a, Cond) else cond(negate(a.truthy()))
        if b is True:
            return a if isinstance(a, Cond) else False
        if b is False:
            return cond(negate(a.truthy())) if isinstance(a, Cond) else False
    if isinstance(a, Symbolic):
        raise Unsupported("is", f"'is' on {a.describe()}")
    return a is b


def is_not(a, b):
    return not_(is_(a, b))


grow, take_grown = growth.grow, growth.take_grown


def unpack(value, n: int):
    """The value of ``a, b, ... = value`` (n names): a list held by the event has as many
    items only on some paths, elsewhere Python raises ValueError."""
    value = resolve(value)
    return value.unpacked(n) if isinstance(value, Sym) else value


def reraise():
    """First statement of every rewritten except handler: tracer errors are never caught."""
    exc = sys.exc_info()[1]
    if isinstance(exc, TracerError):
        raise exc


# --------------------------------------------------------------------------- f-strings
def _refuse_text_of_container(value, what: str) -> None:
    """Python writes a list/tuple/set/dict as the repr of each item: for an event value that is
    its quoted text, which no template or query states, and the tracer's own object would
    otherwise leak into the output (with its memory address, different on every run)."""
    def holds(v, depth=0):
        if isinstance(v, Symbolic):
            return True
        if depth > 20:
            return False
        if isinstance(v, dict):
            return any(holds(k, depth + 1) or holds(x, depth + 1) for k, x in v.items())
        if isinstance(v, (list, tuple, set, frozenset)):
            return any(holds(x, depth + 1) for x in v)
        return False
    if isinstance(value, (list, tuple, set, frozenset, dict)) and holds(value):
        raise Unsupported(what, f"the text of a {type(value).__name__} holding event values "
                          "(Python writes each item's repr)")


def fmt(value, conversion: int, spec: Any):
    value = resolve(value)
    _refuse_text_of_container(value, "f-string")
    if isinstance(value, Symbolic):
        if isinstance(value, (Sym, SymStr)) and conversion in (-1, 115) and not spec:
            return value if isinstance(value, SymStr) else SymStr((value,))
        if isinstance(value, Opaque):
            return value
        raise Unsupported("f-string", f"formatting {value.describe()}")
    if conversion == 114:
        value = repr(value)
    elif conversion == 97:
        value = ascii(value)
    elif conversion == 115:
        value = str(value)
    return format(value, spec or "")


def fstr(*parts):
    if not any(isinstance(p, Symbolic) for p in parts):
        return "".join(parts)
    out: list = []
    for p in parts:
        if isinstance(p, Opaque):
            return p
        if isinstance(p, SymStr):
            out.extend(p.parts)
        elif p != "" if isinstance(p, str) else True:
            out.append(p)
    return SymStr(tuple(out))


# --------------------------------------------------------------------------- quantifiers
def quant(kind: str, iterable, body, where=None):
    """``any(body(x) for x in iterable if where(x))`` (``all`` likewise)."""
    iterable = resolve(iterable)
    if isinstance(iterable, Sym):
        return _quantifier(kind, iterable, body, where)
    if isinstance(iterable, SymList):
        parts = [quantify(kind, p, body, where) for p in iterable.parts]
        return cond(disj(*parts) if kind == "any" else conj(*parts))
    if isinstance(iterable, Symbolic):
        raise Unsupported(f"{kind}()", f"{kind}() over {iterable.describe()}")
    parts: list = []
    for x in stable_order(iterable):
        if where is not None:
            w = where(x)
            if isinstance(w, Symbolic):
                v = body(x)
                parts.append(conj(truthy(w), truthy(v)) if kind == "any"
                             else disj(negate(truthy(w)), truthy(v)))
                continue
            if not w:
                continue
        v = body(x)
        if not isinstance(v, Symbolic):
            if kind == "any" and v:
                return cond(disj(*parts)) if parts else True
            if kind == "all" and not v:
                return cond(conj(*parts)) if parts else False
            continue
        parts.append(truthy(v))
    if kind == "any":
        return cond(disj(*parts))
    return cond(conj(*parts))


def _quantifier(kind: str, arr: Sym, body, where) -> Any:
    f = iteration_source(arr, f"{kind}()")
    if isinstance(f, list):
        return quant(kind, f, body, where)
    return cond(quantify(kind, Elements(f, arr.origin), body, where, whole=True))


# --------------------------------------------------------------------------- for loops
class _Tag:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return self.name


CONTINUE, BREAK, RETURN, GO_ON = _Tag("CONTINUE"), _Tag("BREAK"), _Tag("RETURN"), _Tag("GO_ON")


def loop(iterable, body, pure: bool, grows: tuple = (), writes: tuple = ()):
    """A rewritten ``for`` loop; returns GO_ON or (RETURN, value). ``grows``: the locals its
    body grows (see growth.py); ``writes``: module globals its body sets."""
    it = resolve(iterable)
    if writes and isinstance(it, (Sym, SymList)):
        try:
            return loop(it, body, pure, grows)
        finally:
            # which element set them last depends on the order: whatever reads them later
            # (severity(), title()) is refused, not given an element's value
            for name in writes:
                body.__globals__[name] = Opaque(f"{name}, set in a loop over {it.describe()}",
                                                construct="module state")
    if grows and isinstance(it, (Sym, SymList)):
        return _growing_loop(it, body, pure, grows)
    if isinstance(it, Sym):
        return _loop_over_field(it, body, pure)
    if isinstance(it, SymList):
        if not pure:
            raise Unsupported("for loop", f"loop over {it.describe()} that changes outer state")
        return loop_over_elements(list(it.parts), body, in_order=not it.unordered)
    if isinstance(it, Symbolic):
        iter(it)  # raises Unsupported naming the value
    if pure and not grows and isinstance(it, (list, tuple, set, frozenset)) and len(it) > 1:
        merged = summary.loop_over_constants(list(stable_order(it)), body,
                                             lambda r: r is None or r is CONTINUE, RETURN)
        if merged is not summary.DIRECT:
            return GO_ON if merged is None else merged
    for x in stable_order(it):
        r = body(x)
        if r is None or r is CONTINUE:
            continue
        if r is BREAK:
            break
        return r
    return GO_ON


def _growing_loop(it, body, pure: bool, grows: tuple):
    if not pure:
        raise Unsupported("for loop", f"loop over {it.describe()} that changes outer state")
    if state.current().__dict__.get("growth_recorders"):
        raise Unsupported("growing a list", f"{', '.join(grows)} grown in nested loops over "
                          "the event's arrays")
    if isinstance(it, SymList):
        parts = list(it.parts)
    else:
        f = iteration_source(it, "for loop")
        if isinstance(f, list):
            return loop(f, body, pure, grows)
        parts = [Elements(f, it.origin)]
    growth.grow_over_elements(parts, body)
    return GO_ON


def _loop_over_field(arr: Sym, body, pure: bool):
    if not pure:
        raise Unsupported("for loop", f"loop over {arr.describe()} that changes outer state")
    f = iteration_source(arr, "for loop")
    if isinstance(f, list):
        return loop(f, body, pure)
    return loop_over_elements([Elements(f, arr.origin)], body)


def loop_over_elements(parts: list, body, in_order: bool = True):
    """``for e in <array elements>:`` -- each element runs the same body, so the loop returns
    ``v`` iff some element's body returns ``v``: an any() quantifier, when one value can come
    out. When the exits differ (several values, a break, a raising element, the element's own
    value) the first exiting element decides: ordered.py, over one array iterated in its order
    (``in_order``: not a set); otherwise refused."""
    def kind(r):
        if r is None or r is CONTINUE:
            return ("continue",)
        if r is BREAK:
            return ("break",)
        value = resolve(r[1])
        if isinstance(value, Sym) and value.field.root == "element" and ordered.picks_allowed():
            return ("pick", value.field, value.origin)  # a value of the element itself
        if isinstance(value, Symbolic):
            raise Unsupported("for loop", "a loop returning a value computed from the element")
        return ("return", value)

    runs = [(p, element_outcomes(p, body, kind)) for p in parts]
    if len(runs) == 1 and in_order:
        ordered_exit = _first_exit(*runs[0])
        if ordered_exit is not None:
            return ordered_exit
    elif any(_exit_key(o) and _exit_key(o)[0] == "pick" for _, outcomes in runs for o in outcomes):
        raise Unsupported("for loop", "a loop returning a value computed from the element of "
                          "several arrays or of a set")
    returns: list = []
    for _, outcomes in runs:
        for o in outcomes:
            if o.kind == "value" and o.value is not SKIP and o.value[0] == "return" and \
                    not any(o.value[1] is v or (type(o.value[1]) is type(v) and o.value[1] == v)
                            for v in returns):
                returns.append(o.value[1])
    for p, outcomes in runs:
        refuse_raising_elements(p.field, outcomes, "for loop")
    for p, outcomes in runs:
        unsupported = [o for o in outcomes if o.kind == "unsupported"]
        if not returns and unsupported:
            # what the body does past an unsupported construct is unknown: it may return
            reached = fold(outcomes, lambda o: TRUE_ if o.kind == "unsupported" else FALSE)
            if decide(Quantifier("any", p.field, reached)):
                raise unsupported[0].value
    if not returns:
        return GO_ON  # a pure body that never returns: the loop has no effect
    if len(returns) > 1 or any(o.kind == "value" and o.value is not SKIP and o.value[0] == "break"
                               for _, outcomes in runs for o in outcomes):
        raise Unsupported("for loop", "which element comes first decides the result")
    value = returns[0]

    def leaf(o):
        if o.kind == "unsupported":
            return opaque_of(o.value)
        return TRUE_ if o.kind == "value" and o.value is not SKIP and o.value[0] == "return" \
            else FALSE
    hit = disj(*[Quantifier("any", p.field, fold(outcomes, leaf)) for p, outcomes in runs])
    if decide(hit):
        return (RETURN, value)
    return GO_ON


def _exit_key(o):
    if o.kind == "error":
        return ordered.error_key(o)
    if o.kind != "value" or o.value is SKIP or o.value[0] == "continue":
        return None
    return o.value  # ("break",) or ("return", value)


def _first_exit(elements: Elements, outcomes: list):
    """A loop over one array whose exits differ (a raising element, a break, several
    values): what the first exiting element does (ordered.py). None: order does not matter."""
    keys = ordered.exit_keys(outcomes, _exit_key)
    if len(keys) < 2 and not (keys and keys[0][0] in ("error", "pick")):
        return None
    key, stop = ordered.first_exit(elements.field, outcomes, _exit_key)
    if key is None or key[0] == "break":
        return GO_ON
    if key[0] == "return":
        return (RETURN, key[1])
    if key[0] == "pick":
        return (RETURN, ordered.picked(elements.field, stop, key[1], key[2]))
    raise ordered.raised(outcomes, key)


TRUE_ = negate(FALSE)


# --------------------------------------------------------------------------- lookups
MAX_LOOKUP_KEYS = 64


def lookup(mapping, key, default=SKIP):
    """``mapping[key]`` / ``mapping.get(key, default)`` with a field value as key: one branch
    per key of the (constant) mapping."""
    keys = list(mapping.keys())
    if len(keys) > MAX_LOOKUP_KEYS or _scalar_tuple(keys) is None:
        raise Unsupported("lookup keyed by a field value",
                          f"a lookup in a mapping of {len(keys)} keys by {key.describe()}")
    for k in keys:
        if decide(Predicate(key.field, "eq", k)):
            return mapping[k]
    if default is SKIP:
        raise as_rule_error(KeyError(key.field.dotted))
    return default


def sub(obj, key):
    """``obj[key]`` (rewritten subscript loads)."""
    if isinstance(key, Sym) and isinstance(obj, Mapping) and not isinstance(obj, (Symbolic, SymbolicEvent)):
        return lookup(obj, key)
    if isinstance(obj, (Symbolic, SymbolicEvent)):
        return obj[key]
    try:
        return obj[key]
    except (LookupError, TypeError) as exc:  # None[0], a missing key: the rule's own error
        raise as_rule_error(exc)


# --------------------------------------------------------------------------- calls
_RE_FLAGS = [("IGNORECASE", _re.IGNORECASE), ("MULTILINE", _re.MULTILINE),
             ("DOTALL", _re.DOTALL), ("VERBOSE", _re.VERBOSE), ("ASCII", _re.ASCII)]


def _regex(mode: str, pattern, s, flags=0):
    pattern, s = resolve(pattern), resolve(s)
    if not isinstance(s, Sym):
        raise Unsupported(f"re.{mode}()", f"regex on {_desc(s)}")
    if isinstance(pattern, _re.Pattern):
        flags |= pattern.flags
        pattern = pattern.pattern
    if not isinstance(pattern, str):
        raise Unsupported(f"re.{mode}()", "a pattern that is not constant text")
    flags = int(flags)
    names = tuple(n for n, v in _RE_FLAGS if flags & v) + (mode,)
    guard_value(s.field, f"re.{mode}()")
    return SymMatch(Predicate(s.field, "regex", pattern, flags=names))


def _glob(name, pat):
    name, pat = resolve(name), resolve(pat)
    if isinstance(name, Sym) and isinstance(pat, str):
        guard_value(name.field, "fnmatch()")
        return cond(Predicate(name.field, "glob", pat))
    raise Unsupported("fnmatch()", f"fnmatch of {_desc(name)} against {_desc(pat)}")


def _len(x):
    x = resolve(x)
    if isinstance(x, (SymList, SymFindall, symdicts.SymDict)):
        return x.count()
    if isinstance(x, Sym):
        guard_value(x.field, "len()")
        return Sym(x.field.with_transform("len"), x.origin)
    if isinstance(x, Symbolic):
        raise Unsupported("len()", f"len() of {x.describe()}")
    return len(x)


def _conv(name: str):
    real = {"str": str, "int": int, "float": float}[name]

    def conv(x=None, *args, **kw):
        x = resolve(x)
        if isinstance(x, Sym) and not kw:
            if name != "str":
                guard_value(x.field, f"{name}()")
            if args and name != "int":
                raise Unsupported(f"{name}()", "extra arguments")
            converted = x.field.with_transform(name, *args)
            if name != "str":
                _guard_conversion(x, converted)
            return Sym(converted, x.origin)
        if name == "str" and isinstance(x, SymStr):
            return x
        if isinstance(x, Symbolic):
            raise Unsupported(f"{name}()", f"{name}() of {x.describe()}")
        return real(*(() if x is None and not args and not kw else (x,)), *args, **kw)
    return conv


def _guard_conversion(x: Sym, converted: Field) -> None:
    """int()/float() raise on text that is not a number, on lists and objects, and the rule's
    own ``except`` may catch that: fork on the conversion succeeding (a converted value is never
    null, so ``exists`` on it means "converted"), unless the tests' events hold only numbers
    (or booleans) there."""
    f = x.field
    if not f.transforms and f.root == "event":
        kinds = state.current().field_types(Field(x.origin)) - {"null"}
        default_ok = f.default is state.MISSING or f.default is None or \
            isinstance(f.default, (int, float))
        if kinds and kinds <= {"number", "bool"} and default_ok:
            return
    if not decide(Predicate(converted, "exists")):
        name = converted.transforms[-1].name
        raise as_rule_error(ValueError(f"{name}() of {f.dotted}: not a number"))


def _bool(x=False):
    x = resolve(x) if isinstance(x, Lazy) else x
    if isinstance(x, Symbolic):
        return cond(truthy(x))
    return bool(x)


class _MappingStandIn(Mapping):
    """What PantherEvent hands out for an object value (ImmutableCaseInsensitiveDict)."""

    def __getitem__(self, k):
        raise as_rule_error(KeyError(k))

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


class _SequenceStandIn(Sequence):
    """What PantherEvent hands out for an array value (ImmutableList)."""

    def __getitem__(self, i):
        raise as_rule_error(IndexError(i))

    def __len__(self):
        return 0


_TYPE_SAMPLES = {"str": "", "number": 0, "bool": False, "dict": _MappingStandIn(),
                 "list": _SequenceStandIn()}


def _isinstance(x, types):
    x = resolve(x)
    if isinstance(x, SymList):
        return isinstance(set() if x.is_set else [], types)
    if isinstance(x, Sym):
        return _isinstance_field(x, types)
    if isinstance(x, Cond):
        return isinstance(True, types)
    if isinstance(x, SymStr):
        return isinstance("", types)
    if isinstance(x, Symbolic) and not isinstance(x, SymbolicEvent):
        raise Unsupported("isinstance()", f"type of {x.describe()}")
    return isinstance(x, types)


_VALUE_KINDS = ("str", "int", "float", "bool", "dict", "list")
# Transforms whose result has one Python type whatever the value.
_FIXED_KIND = {"len": "int", "int": "int", "float": "float", "str": "str", "bool": "bool",
               "lower": "str", "upper": "str", "strip": "str", "lstrip": "str", "rstrip": "str",
               "replace": "str", "removeprefix": "str", "removesuffix": "str", "basename": "str"}


def _kind_sample(kind: str, plain: bool) -> Any:
    if kind in ("dict", "list") and plain:
        return {} if kind == "dict" else []
    return {"int": 0, "float": 0.0}.get(kind, _TYPE_SAMPLES.get(kind))


def _isinstance_field(x: Sym, types) -> Any:
    ctx = state.current()
    f = x.field
    plain = x.plain
    if f.transforms:
        last = f.transforms[-1]
        if last.name in ("split", "shlex_split"):  # a real list; an indexed item is text
            return isinstance("" if len(last.args) > 1 else [], types)
        if last.name in _FIXED_KIND:
            return isinstance(_kind_sample(_FIXED_KIND[last.name], True), types)
        if last.name not in ("json", "get"):
            raise Unsupported("isinstance()", f"type of {f.dotted} after {last.name}()")
        kinds = ctx.shape.types_of(x.origin) - {"null"}
        plain = True  # json.loads builds plain dicts and lists
    else:
        kinds = ctx.field_types(Field(x.origin)) - {"null"}
    base = Field(f.path, root=f.root, transforms=f.transforms)
    has_value = Predicate(base, "exists")
    if len(kinds) == 1:
        (kind,) = kinds
        sample = ({"list": [], "dict": {}}.get(kind) if plain else None)
        matches = isinstance(_TYPE_SAMPLES[kind] if sample is None else sample, types)
        ctx.note(f"isinstance({f.dotted}, ...) decided from the tests' events: {kind}")
        value_expr = has_value if matches else FALSE
    else:
        # Type not known from the tests or mixed: test the kind of the value itself.
        kinds_matching = tuple(k for k in _VALUE_KINDS if isinstance(_kind_sample(k, plain), types))
        if len(kinds_matching) == len(_VALUE_KINDS):
            value_expr = has_value
        elif not kinds_matching:
            value_expr = FALSE
        else:
            value_expr = Predicate(base, "is_type", kinds_matching)
        if f.transforms and f.default is not state.MISSING:
            raise Unsupported("isinstance()", f"type of {f.dotted} with a default")
    none_matches = isinstance(None, types)
    if f.default is state.MISSING or f.default is None or f.default_on_null:
        otherwise = none_matches if f.default in (state.MISSING, None) else \
            _default_matches(x, types)
        if value_expr is has_value and otherwise:
            return True
        if value_expr is FALSE and not otherwise:
            return False
        return cond(disj(value_expr, negate(has_value)) if otherwise else value_expr)
    # event.get(k, default): a missing key gives the default, a null value gives None
    if f.transforms:
        raise Unsupported("isinstance()", f"type of {f.dotted} with a default")
    missing_matches = _default_matches(x, types)
    parts = [value_expr]
    if none_matches:
        parts.append(conj(Predicate(base, "present"), Predicate(base, "null")))
    if missing_matches:
        parts.append(negate(Predicate(base, "present")))
    return cond(disj(*parts))


def _default_matches(x: Sym, types) -> bool:
    """isinstance() of a default as the rule wrote it: get()/deep_get() hand it back as is (a
    plain list or dict; the model freezes both to a tuple, so a container must agree on both)."""
    default = x.field.default
    if isinstance(x.raw_default, (list, dict)) and _freeze(x.raw_default) == default:
        return isinstance(x.raw_default, types)
    if not isinstance(default, tuple):
        return isinstance(default, types)
    as_list, as_dict = isinstance([], types), isinstance({}, types)
    if as_list != as_dict:
        raise Unsupported("isinstance()", "type of a list or dict default")
    return as_list


def _next(iterable, *default):
    """``next(<generator over one event array>[, default])``: the first element the generator
    yields (ordered.py), the default or StopIteration when it yields none."""
    it = resolve(iterable)
    if not isinstance(it, SymList) or it.unordered or len(it.parts) != 1:
        return next(it, *default)
    r = loop_over_elements(list(it.parts), lambda v: (RETURN, v))
    if r is not GO_ON:
        return r[1]
    if default:
        return default[0]
    raise as_rule_error(StopIteration())


def _any_all(kind: str):
    def f(iterable):
        return quant(kind, iterable, lambda v: v)
    return f


def _json_loads(s, *a, **k):
    s = resolve(s)
    if isinstance(s, Sym) and not a and not k:
        guard_value(s.field, "json.loads()")
        doc = Sym(s.field.with_transform("json"), s.origin + (state.JSON_STEP,))
        # invalid JSON raises (the rule may catch it): fork on the text parsing
        if not decide(Predicate(doc.field, "present")):
            raise as_rule_error(_json.JSONDecodeError(f"{s.field.dotted} is not JSON", "", 0))
        return doc
    raise Unsupported("json.loads()", f"json.loads of {_desc(s)}")


def _join(sep: str, items):
    if isinstance(items, Opaque):
        return items  # joining never raises on a list of text: only a use of it is refused
    items = [resolve(i) for i in items]
    if not any(isinstance(i, Symbolic) for i in items):
        try:
            return sep.join(items)
        except TypeError as exc:  # an item that is not text: the rule's own error
            raise as_rule_error(exc)
    out: list = []
    for n, i in enumerate(items):
        if n and sep:
            out.append(sep)
        out.append(i)
    return functools.reduce(SymStr.concat, out, "")


def _wallclock(name: str):
    def f(*a, **k):
        raise Unsupported("wall-clock time", f"{name}() makes the result depend on when it runs")
    return f


def dcomp(iterable, key_of, value_of, keep=None):
    """A rewritten dict comprehension (one ``for``): over an event array, a SymDict."""
    it = resolve(iterable)
    if isinstance(it, Sym):
        src = iteration_source(it, "dict comprehension")
        if not isinstance(src, list):
            return symdicts.build(src, it.origin, key_of, value_of, keep)
        it = src
    elif isinstance(it, Symbolic):
        raise Unsupported("dict comprehension", f"a dict built from {it.describe()}")
    out = {}
    for x in it:
        if keep is None or keep(x):
            out[key_of(x)] = value_of(x)
    return out


def comp(kind: str, iterable, view, keep=None):
    """A rewritten list/set comprehension or generator expression (one ``for``)."""
    return collect(kind, iterable, view, keep)


def _collector(kind: str, real):
    def make(*args, **kw):
        if len(args) == 1 and not kw:
            return collect(kind, args[0])
        return real(*(resolve(a) for a in args), **kw)
    return make


def _set_method(owner, name: str, args: tuple):
    """``{constants}.intersection(arr)`` / ``.isdisjoint(arr)`` with an event array."""
    (other,) = args
    items = collect("set", other)
    if not isinstance(items, SymList):
        return getattr(owner, name)(items)
    common = items.intersect(owner)
    return common if name == "intersection" else cond(negate(common.truthy()))


_INTERCEPT: dict = {
    list: _collector("list", list), set: _collector("set", set), tuple: _collector("tuple", tuple),
    frozenset: _collector("frozenset", frozenset), sorted: _collector("sorted", sorted),
    len: _len, str: _conv("str"), int: _conv("int"), float: _conv("float"), bool: _bool,
    isinstance: _isinstance, any: _any_all("any"), all: _any_all("all"), next: _next,
    _json.loads: _json_loads, _fnmatch.fnmatch: _glob, _fnmatch.fnmatchcase: _glob,
    _re.match: functools.partial(_regex, "match"), _re.search: functools.partial(_regex, "search"),
    _re.fullmatch: functools.partial(_regex, "fullmatch"),
    _re.findall: lambda pattern, s, flags=0: SymFindall(_regex("search", pattern, s, flags)),
    **IP_CALLS, **TEXT_CALLS,
    _time.time: _wallclock("time.time"),
}
_ALWAYS = {_time.time: "time.time", _time.time_ns: "time.time_ns"}
_WALLCLOCK_METHODS = {"now", "utcnow", "today"}

# Library callables that only pass values around (or call back into traced code).
_TRANSPARENT = {functools.reduce, map, filter, enumerate, zip, print, getattr, hasattr, setattr,
                iter, next, list, tuple, set, frozenset, dict, sorted, reversed, type, repr, id,
                callable, max, min}


def _traced(f) -> bool:
    code = getattr(f, "__code__", None)
    if code is None:
        fn = getattr(f, "__func__", None)
        code = getattr(fn, "__code__", None)
    if code is not None:
        return code.co_filename in TRACED_FILES or getattr(f, "__module__", "").startswith(_THIS_PACKAGE)
    if isinstance(f, type):
        mod = sys.modules.get(f.__module__)
        return f.__module__.startswith(_THIS_PACKAGE) or getattr(mod, "__file__", None) in TRACED_FILES \
            or f.__module__ in _TRACED_MODULE_NAMES
    return False


_TRACED_MODULE_NAMES: set = set()


def _symbolic_args(args, kw) -> bool:
    for a in args:
        if isinstance(a, Symbolic):
            return True
    for a in kw.values():
        if isinstance(a, Symbolic):
            return True
    return False


def call(f, *args, **kw):
    if type(getattr(f, "__self__", None)) is str and getattr(f, "__name__", "") == "join" \
            and len(args) == 1 and not kw:
        return _join(f.__self__, args[0])  # its items may be symbolic inside a plain list
    if not _symbolic_args(args, kw):
        if f in _ALWAYS or (getattr(f, "__name__", "") in _WALLCLOCK_METHODS
                            and getattr(f, "__self__", None) in (_dt.datetime, _dt.date)):
            raise Unsupported("wall-clock time", f"{getattr(f, '__qualname__', f)}() makes the "
                              "result depend on when the rule runs")
        if isinstance(f, Symbolic) and not isinstance(f, Opaque):
            raise Unsupported("call", f"calling {f.describe()}")
        if (f is str or f is repr or f is format) and args:
            _refuse_text_of_container(args[0], f"{f.__name__}()")
        return _call_in_mode(f, args, kw)
    handler = _INTERCEPT.get(f) if _hashable(f) else None
    if handler is not None:
        return handler(*args, **kw)
    owner = getattr(f, "__self__", None)
    if owner is not None and not isinstance(owner, type):
        if isinstance(owner, _re.Pattern) and f.__name__ in ("match", "search", "fullmatch"):
            return _regex(f.__name__, owner, *args, **kw)
        if isinstance(owner, _re.Pattern) and f.__name__ == "findall":
            return SymFindall(_regex("search", owner, *args, **kw))
        if isinstance(owner, str) and f.__name__ == "join":
            return _join(owner, *args)
        if isinstance(owner, (Symbolic, SymbolicEvent)):
            return f(*args, **kw)
        if isinstance(owner, dict) and f.__name__ == "get" and args and isinstance(args[0], Sym):
            return lookup(owner, *args)
        if isinstance(owner, (set, frozenset)) and f.__name__ in ("intersection", "isdisjoint") \
                and len(args) == 1 and not kw:
            return _set_method(owner, f.__name__, args)
        if isinstance(owner, (list, dict, set)) and f.__name__ in (
                "append", "extend", "insert", "add", "update", "setdefault", "__setitem__",
                "pop", "get", "remove", "discard", "count", "index"):
            return f(*args, **kw)
    if _traced(f) or (_hashable(f) and f in _TRANSPARENT):
        return _call_in_mode(f, args, kw)
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    mod = getattr(f, "__module__", None)
    raise Unsupported(f"{mod + '.' if mod and mod != 'builtins' else ''}{name}()",
                      "library call on an event value")


def _hashable(f) -> bool:
    try:
        hash(f)
        return True
    except TypeError:
        return False


def _call_in_mode(f, args, kw):
    """In alert_context mode a helper that cannot be followed yields an opaque value instead
    of failing the whole context (its other keys still name output fields)."""
    if state.current().mode != "context" or not _traced(f):
        return _call_user(f, args, kw)
    try:
        return _call_user(f, args, kw)
    except TracerError as exc:
        return Opaque(exc.describe())


def _call_user(f, args, kw):
    """Rule, helper and data-model code is summarized when pure (see summary.py)."""
    if _traced(f) and not getattr(f, "__module__", "").startswith(_THIS_PACKAGE):
        value = summary.call_user_code(f, args, kw)
        if value is not summary.DIRECT:
            return value
    return f(*args, **kw)


__all__ = ["not_", "and_", "or_", "in_", "not_in", "is_", "is_not", "reraise", "fmt", "fstr",
           "quant", "call", "SymIP", "is_true"]
