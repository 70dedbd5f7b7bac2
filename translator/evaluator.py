"""Reference evaluator: the meaning of a canonical ``Expr`` on one JSON event.

This is the semantic yardstick every backend is verified against, and it must agree with the
real Python rule on the rule's tests. Python/Panther semantics throughout:

* Keys are looked up exactly first, then case-insensitively (PantherEvent keys are
  case-insensitive at every level).
* A missing value is ``MISSING``; Field defaults apply as in ``event.get(k, default)`` and
  ``deep_get(..., default=)`` (see model.Field).
* An operation Python would raise on (``"x" in None``, ``None > 3``, ``int("abc")``) makes the
  predicate False: a raising rule does not alert.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import json
import os
import re
import shlex
from functools import lru_cache
from typing import Any

from .runtime.event import freeze
from .model import (
    MISSING, All, AnyOf, Const, Count, Field, First, Not, Opaque, Predicate, Quantifier, Tally,
    thaw,
)

__all__ = ["evaluate", "resolve", "NotEvaluable", "apply_transforms", "json_kind"]


class NotEvaluable(Exception):
    """The expression holds an Opaque node (a construct the frontend could not express)."""


class _Error:
    """A transform failed the way Python would raise: the predicate is False."""

    def __repr__(self) -> str:
        return "ERROR"


ERROR: Any = _Error()


def _lookup(container: Any, step: Any) -> Any:
    if isinstance(step, int):
        if isinstance(container, list) and -len(container) <= step < len(container):
            return container[step]
        return MISSING
    if isinstance(container, dict):
        if step in container:
            return container[step]
        folded = str(step).casefold()
        for key, value in container.items():
            if isinstance(key, str) and key.casefold() == folded:
                return value
    return MISSING


def resolve(field: Field, event: Any, element: Any = MISSING) -> Any:
    """The value of ``field`` (default and transforms applied), MISSING, or ERROR."""
    value = element if field.root == "element" else event
    for step in field.path:
        value = _lookup(value, step)
        if value is MISSING:
            break
    if field.default is not MISSING and (value is MISSING or (value is None and field.default_on_null)):
        # The rule's own default, as its Python saw it (a list, not the model's frozen form,
        # and not an event view: str() of it is "[]", not "ImmutableList(())").
        return apply_transforms(thaw(field.default), field.transforms, wrapped=False)
    return apply_transforms(value, field.transforms)


def _split(v, sep=None, index=None, maxsplit=-1):
    parts = v.split(sep, maxsplit)
    return parts if index is None else parts[index]


_STR_METHODS = {
    "lower": lambda v: v.lower(),
    "upper": lambda v: v.upper(),
    "strip": lambda v, chars=None: v.strip(chars),
    "lstrip": lambda v, chars=None: v.lstrip(chars),
    "rstrip": lambda v, chars=None: v.rstrip(chars),
    "split": _split,
    "basename": os.path.basename,
    "removeprefix": lambda v, p: v.removeprefix(p),
    "removesuffix": lambda v, s: v.removesuffix(s),
    "replace": lambda v, old, new: v.replace(old, new),
    "concat": lambda v, prefix, suffix: prefix + v + suffix,
}


# Transforms whose result is a plain Python value, no longer PantherEvent's read-only view.
_UNWRAPPING = frozenset({"json", "pluck", "split", "keys", "values"})


def apply_transforms(value: Any, transforms: tuple, wrapped: bool = True) -> Any:
    # wrapped: lists/objects read from the event are PantherEvent's immutable views
    for t in transforms:
        if value is ERROR:
            return ERROR
        try:
            value = _apply(t.name, value, t.args, wrapped)
        except (TypeError, ValueError, AttributeError, IndexError, KeyError):
            return ERROR
        wrapped = wrapped and t.name not in _UNWRAPPING
    return value


def _apply(name: str, value: Any, args: tuple, wrapped: bool = False) -> Any:
    if name in _STR_METHODS:
        if not isinstance(value, str):
            raise TypeError(name)
        return _STR_METHODS[name](value, *args)
    if value is MISSING:
        # Python would see None from event.get(): str(None) == "None", len(None) raises.
        value = None
    if name == "str":
        # Python's own text: True, None, [1, 2], {'a': 1}; an event's list or object is
        # PantherEvent's view, whose text is "ImmutableList((1, 2))".
        return str(freeze(value) if wrapped else value)
    if name == "int":
        if isinstance(value, str):
            return int(value.strip(), *args)
        if value is None or isinstance(value, (dict, list)):
            raise TypeError(name)
        return int(value)
    if name == "float":
        if value is None or isinstance(value, (dict, list)):
            raise TypeError(name)
        return float(value)
    if name == "bool":
        return bool(value)
    if name == "len":
        if not isinstance(value, (str, list, dict)):
            raise TypeError(name)
        return len(value)
    if name == "json":
        if not isinstance(value, (str, bytes)):
            raise TypeError(name)
        return json.loads(value)
    if name == "index":
        return value[args[0]]
    if name == "get":
        got = value.get(args[0], MISSING) if isinstance(value, dict) else MISSING
        if len(args) > 1 and (got is MISSING or (got is None and len(args) > 2 and args[2])):
            got = thaw(args[1])
        return got
    if name == "shlex_split":
        if not isinstance(value, str):
            raise TypeError(name)
        return shlex.split(value)
    if name == "ip_network":
        if not isinstance(value, (str, int)):  # bool is an int to ipaddress too
            raise TypeError(name)
        return ipaddress.ip_network(value, *args)
    if name == "pluck":
        if not isinstance(value, list):
            raise TypeError(name)
        return _pluck(value, args)
    if name == "keys":
        if not isinstance(value, dict):
            raise TypeError(name)
        return list(value.keys())
    if name == "values":
        if not isinstance(value, dict):
            raise TypeError(name)
        return list(value.values())
    raise ValueError(f"unknown transform {name!r}")


def _pluck(items: list, steps: tuple) -> list:
    """Values at ``steps`` under each element of ``items``; a "*" step fans out over a list."""
    out = []
    for item in items:
        if not steps:
            out.append(item)
            continue
        step, rest = steps[0], steps[1:]
        if step == "*":
            if isinstance(item, list):
                out.extend(_pluck(item, rest))
            continue
        value = _lookup(item, step)
        if value is not MISSING:
            out.extend(_pluck([value], rest))
    return out


def _fold(v: Any) -> Any:
    if isinstance(v, str):
        return v.lower()  # rules lower-case with str.lower(), not casefold()
    if isinstance(v, tuple):
        return tuple(_fold(x) for x in v)
    return v


@lru_cache(maxsize=4096)
def _compiled(pattern: str, flags: tuple) -> re.Pattern:
    f = 0
    for name in flags:
        if name in ("search", "match", "fullmatch"):
            continue
        f |= getattr(re, name)
    return re.compile(pattern, f)


@lru_cache(maxsize=4096)
def _network(text: str):
    return ipaddress.ip_network(text, strict=False)


_NETWORKS = (ipaddress.IPv4Network, ipaddress.IPv6Network)


def _ip(value: Any):
    """An address parsed from text, or a network the ip_network transform built."""
    if isinstance(value, _NETWORKS):
        return value
    # exactly ipaddress.ip_address(): text without surrounding blanks, or an integer (a JSON
    # true is the integer 1, address 0.0.0.1)
    if not isinstance(value, (str, int)):
        raise ValueError("not an address")
    return ipaddress.ip_address(value)


def json_kind(value: Any) -> str:
    """The JSON kind (model.JSON_KINDS) of a value; MISSING is None to Python (event.get)."""
    if value is None or value is MISSING:
        return "null"
    if isinstance(value, bool):
        return "bool"
    for kind, types in (("int", int), ("float", float), ("str", str), ("dict", dict),
                        ("list", (list, tuple))):
        if isinstance(value, types):
            return kind
    return type(value).__name__


def _operand(value: Any, event: Any, element: Any) -> Any:
    return resolve(value, event, element) if isinstance(value, Field) else value


def _predicate(p: Predicate, event: Any, element: Any) -> bool:
    v = resolve(p.field, event, element)
    if v is ERROR:
        return False
    op = p.op
    if op == "present":
        return v is not MISSING
    if op == "exists":
        return v is not MISSING and v is not None
    if op == "null":
        return v is MISSING or v is None
    if op == "truthy":
        return v is not MISSING and bool(v)
    if op == "is_type":
        return json_kind(v) in p.value
    if v is MISSING:
        v = None  # what event.get() would hand to Python
    operand = _operand(p.value, event, element)
    if operand is ERROR:
        return False
    if operand is MISSING:
        operand = None
    if not p.case_sensitive:
        v, operand = _fold(v), _fold(operand)
    try:
        if op == "eq":
            return bool(v == operand)
        if op == "in":
            return v in operand if isinstance(operand, (tuple, list, frozenset, set)) else False
        if op == "member":
            if not isinstance(v, list):
                return False
            elems = [_fold(x) for x in v] if not p.case_sensitive else v
            return operand in elems
        if op in ("contains", "startswith", "endswith"):
            if not isinstance(v, str):
                return False
            if op == "contains":
                return isinstance(operand, str) and operand in v
            if isinstance(operand, (tuple, list)):
                operand = tuple(operand)
            return getattr(v, op)(operand)
        if op == "regex":
            if not isinstance(v, str):
                return False
            mode = next((f for f in p.flags if f in ("search", "match", "fullmatch")), "search")
            return getattr(_compiled(operand, tuple(p.flags)), mode)(v) is not None
        if op == "glob":
            if not isinstance(v, str):
                return False
            return fnmatch.fnmatchcase(v, operand)
        if op in ("gt", "ge", "lt", "le"):
            if v is None or operand is None:
                return False
            return {"gt": v > operand, "ge": v >= operand, "lt": v < operand, "le": v <= operand}[op]
        if op == "cidr":
            addr = _ip(v)
            nets = operand if isinstance(operand, (tuple, list)) else (operand,)
            if isinstance(addr, _NETWORKS):
                return any(addr.version == _network(n).version and addr.subnet_of(_network(n))
                           for n in nets)
            return any(addr.version == _network(n).version and addr in _network(n) for n in nets)
        if op == "is_ip":
            _ip(v)
            return True
        if op == "is_ipv4":
            return _ip(v).version == 4
        if op == "is_ipv6":
            return _ip(v).version == 6
        if op == "ip_private":
            return _ip(v).is_private
        if op == "ip_public":
            return _ip(v).is_global
    except (TypeError, ValueError):
        return False
    raise ValueError(f"evaluator does not know operator {op!r}")


def _quantifier(q: Quantifier, event: Any, element: Any) -> bool:
    arr = resolve(q.field, event, element)
    if not isinstance(arr, list):
        arr = []
    hits = sum(1 for x in arr if _eval(q.where, event, x))
    if q.kind == "any":
        return hits > 0
    if q.kind == "all":
        return hits == len(arr)
    if q.kind == "none":
        return hits == 0
    if q.kind == "one":
        return hits == 1
    raise ValueError(f"unknown quantifier {q.kind!r}")


def _tally(t: Tally, event: Any, element: Any) -> int:
    arr = resolve(t.field, event, element)
    kept = [x for x in arr if _eval(t.where, event, x)] if isinstance(arr, list) else []
    if t.distinct is None:
        return len(kept)
    seen: list = []  # compared with ==, as a dict's keys are (values may be unhashable here)
    for x in kept:
        v = resolve(t.distinct, event, x)
        if v is not MISSING and v is not ERROR and v is not None and not any(v == s for s in seen):
            seen.append(v)
    return len(seen)


def _count(c: Count, event: Any, element: Any) -> bool:
    n = _tally(c.tally, event, element)
    m = _tally(c.value, event, element) if isinstance(c.value, Tally) else c.value
    return {"eq": n == m, "ne": n != m, "gt": n > m, "ge": n >= m, "lt": n < m, "le": n <= m}[c.op]


def _first(f: First, event: Any, element: Any) -> bool:
    arr = resolve(f.field, event, element)
    if not isinstance(arr, list):
        return False
    for x in (reversed(arr) if f.last else arr):
        if _eval(f.stop, event, x):
            return _eval(f.then, event, x)
    return False


def _eval(e: Any, event: Any, element: Any) -> bool:
    if isinstance(e, Predicate):
        return _predicate(e, event, element)
    if isinstance(e, All):
        return all(_eval(x, event, element) for x in e.items)
    if isinstance(e, AnyOf):
        return any(_eval(x, event, element) for x in e.items)
    if isinstance(e, Not):
        return not _eval(e.item, event, element)
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Quantifier):
        return _quantifier(e, event, element)
    if isinstance(e, First):
        return _first(e, event, element)
    if isinstance(e, Count):
        return _count(e, event, element)
    if isinstance(e, Opaque):
        raise NotEvaluable(f"{e.construct}: {e.reason}" + (f" ({e.location})" if e.location else ""))
    raise TypeError(f"not an expression: {e!r}")


def evaluate(expr: Any, event: Any) -> bool:
    """True when ``expr`` matches the JSON ``event``. Raises NotEvaluable on Opaque nodes
    that the result depends on (short-circuiting as Python would)."""
    return _eval(expr, event, MISSING)
