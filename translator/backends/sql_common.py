"""Lowering of canonical detection expressions into sqlglot expression trees (Trino flavour).

The contract: the lowered condition is TRUE exactly when the reference evaluator
(``translator.evaluator``) says True; otherwise it is FALSE or NULL. Consequences:

* ``Not(x)`` becomes ``NOT COALESCE(x, FALSE)`` (NULL means "Python said False"), unless ``x``
  can never be NULL. AND/OR keep Kleene logic, which agrees with that reading: with every NOT
  closed this way, the rest is monotone, so an unknown result can only be False in Python.
* What a predicate means on a missing or null field is not re-derived in SQL: the reference
  evaluator itself is run at compile time on an event without the field (and with it null),
  and the answer becomes an ``x IS NULL OR ...`` term when it is True. Defaults, default on
  null, and transforms of the default are therefore Python's own.
* Operand types follow Python: a string never equals a number, ``contains`` on a number is
  False. JSON text columns carry values of any type, so comparisons on them are guarded by the
  JSON type of the value (``json_format`` starts with ``"`` for strings) where the literal
  could also be read as a number or boolean.

Constructs without such a form are reported (``Lowering.reasons``); they lower to a NULL
carrying a comment, so the query stays valid and never matches on them silently.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from sqlglot import exp

from ..model import (
    MISSING, TRUE, All, AnyOf, Const, Count, Field, First, Not, Opaque, Predicate, Quantifier,
    Tally,
)
from .sql_ip import (
    IPV4, integer_in_intervals, ip_intervals, ipv4_in_intervals, ipv6_in_intervals, ipv6_pattern,
    network_interval, sql_call as _fn,
)
from .glob import glob_tokens
from .sql_regex import python_whitespace_class, translate_regex

__all__ = ["SqlField", "SqlMapping", "Lowering", "Untranslatable", "Val", "json_path_text"]


@dataclass(frozen=True)
class SqlField:
    """Where a rule's field path lives in a table.

    ``steps`` go below ``column`` through struct fields (str) and array indexes (int, Python
    style: -1 is the last). When ``json_path`` is set, the value at the end of ``steps`` is
    JSON text and ``json_path`` continues inside it. ``type`` is the Athena type at the end of
    ``steps`` (``varchar`` for JSON text).
    """

    column: str
    steps: tuple = ()
    json_path: tuple | None = None
    type: str = "varchar"


class SqlMapping(Protocol):
    """What the SQL backend needs from the mapping layer, for one target."""

    def table(self, log_type: str) -> str | None: ...

    def column(self, log_type: str, path: tuple) -> SqlField | None: ...

    def columns(self, log_type: str) -> dict: ...  # column -> Athena type, the table schema

    def row(self, log_type: str, event: dict) -> dict: ...  # a test event as a table row


class Untranslatable(Exception):
    """Raised instead of reporting, when the error level is "raise"."""


# ----------------------------------------------------------------------------- values
_IP_MAX = 2 ** 128 - 1
# Transforms of text that raise on anything else (so never turn a present value into None).
_TEXT_TRANSFORMS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "split", "basename",
                              "removeprefix", "removesuffix", "replace", "concat", "str"})
_NUMBER_TYPES = {"BIGINT", "INT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DECIMAL", "UBIGINT",
                 "UINT", "USMALLINT", "UTINYINT"}
_STRING_TYPES = {"VARCHAR", "CHAR", "TEXT", "NVARCHAR", "NCHAR"}


@lru_cache(maxsize=1024)
def _column_type(type_text: str) -> exp.DataType:
    """A mapped column's parsed type, shared (read only, never put into a query tree):
    CloudTrail's nested struct types take milliseconds to parse and recur in every rule."""
    return exp.DataType.build(type_text, dialect="athena")


def _kind_of(dtype: exp.DataType) -> str:
    name = dtype.this.name
    if name in _STRING_TYPES:
        return "string"
    if name in _NUMBER_TYPES:
        return "number"
    if name == "BOOLEAN":
        return "boolean"
    if name.startswith("TIMESTAMP") or name == "DATE":
        return "timestamp"
    if name in ("ARRAY", "LIST"):
        return "array"
    if name == "STRUCT":
        return "struct"
    if name == "JSON":
        return "json"
    return "other"


@dataclass
class Val:
    """A value in SQL. For ``kind == "json"``, ``expr`` is the JSON source (a varchar column
    holding JSON text, or a JSON-typed value) and ``json_path`` the steps inside it.
    ``guard`` is a condition the value's Python type requires (e.g. "is a JSON string")."""

    kind: str
    expr: exp.Expression
    dtype: exp.DataType | None = None
    json_path: tuple = ()
    guard: exp.Expression | None = None
    json_typed: bool = False  # json: ``expr`` is a JSON value (not JSON text in a varchar)
    ip_network: bool = False  # string: Python holds ``ipaddress.ip_network(text)`` instead
    origin: tuple | None = None  # the event path it was read from (array elements: index 0)


def json_path_text(steps: tuple) -> str | None:
    out = "$"
    for s in steps:
        if isinstance(s, int):
            if s < 0:
                return None
            out += f"[{s}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s):
            out += "." + s
        else:
            out += '["' + s.replace("\\", "\\\\").replace('"', '\\"') + '"]'
    return out


def _lit(v: Any) -> exp.Expression:
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return exp.Literal.number(repr(v))
    return exp.Literal.string(str(v))


def _py_lower(e: exp.Expression) -> exp.Expression:
    """Python's str.lower(): SQL engines lower-case code point by code point, Python uses the
    full mapping, which differs for U+0130 (İ -> i + combining dot) and a word-final Σ (ς).
    The first is rewritten here; the second is a reported caveat."""
    return exp.Lower(this=_fn("replace", e, exp.Literal.string("\u0130"), exp.Literal.string("i\u0307")))


def _not(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Paren(this=e) if isinstance(e, (exp.And, exp.Or)) else e)


def _and(*items) -> exp.Expression:
    items = [i for i in items if i is not None]
    if any(isinstance(i, exp.Boolean) and not i.this for i in items):
        return exp.false()
    items = [i for i in items if not (isinstance(i, exp.Boolean) and i.this)]
    if not items:
        return exp.true()
    return exp.and_(*items, copy=False) if len(items) > 1 else items[0]


def _or(*items) -> exp.Expression:
    items = [i for i in items if i is not None]
    if any(isinstance(i, exp.Boolean) and i.this for i in items):
        return exp.true()
    items = [i for i in items if not (isinstance(i, exp.Boolean) and not i.this)]
    if not items:
        return exp.false()
    return exp.or_(*items, copy=False) if len(items) > 1 else items[0]


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(v: exp.Expression, pattern: str) -> exp.Expression:
    return exp.Escape(this=exp.Like(this=v, expression=exp.Literal.string(pattern)),
                      expression=exp.Literal.string("\\"))


def _looks_non_string(text: str) -> bool:
    """Could a JSON number/boolean render as this text (json_extract_scalar gives '22',
    'true')? Then a string comparison on JSON needs a "is a JSON string" guard."""
    return bool(re.fullmatch(r"[-+0-9.eE]*", text)) or any(text in w for w in ("true", "false"))


# ----------------------------------------------------------------------------- lowering
@dataclass
class Lowering:
    """Lowers detection expressions of one rule for one log type (table)."""

    mapping: SqlMapping
    log_type: str
    error_level: str = "warn"  # warn: report and continue | raise: Untranslatable
    reasons: list = field(default_factory=list)
    caveats: list = field(default_factory=list)
    engine_gaps: list = field(default_factory=list)
    # The rule's other log types: a field one of them maps but this one does not is simply
    # absent from this table's events (Python sees it missing), not untranslatable.
    sibling_log_types: tuple = ()
    _scopes: list = field(default_factory=list)  # element Vals of enclosing quantifiers

    # ------------------------------------------------------------------ reporting
    def report(self, reason: str) -> None:
        if self.error_level == "raise":
            raise Untranslatable(reason)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def _untranslated(self, reason: str, reported: bool = False) -> exp.Expression:
        """A reported construct: NULL (never matches) with the reason as a SQL comment."""
        if not reported:
            self.report(reason)
        node = exp.Null()
        node.add_comments([f" rulec: not translated: {reason.replace('*/', '* /')} "])
        return node

    def caveat(self, text: str) -> None:
        if text not in self.caveats:
            self.caveats.append(text)

    # ------------------------------------------------------------------ conditions
    def condition(self, e) -> exp.Expression:
        cond, _ = self._cond(e)
        return cond

    def _cond(self, e) -> tuple[exp.Expression, bool]:
        """(SQL condition, may it be NULL)."""
        if isinstance(e, Const):
            return (exp.true() if e.value else exp.false()), False
        if isinstance(e, All):
            parts = [self._cond(x) for x in e.items]
            return _and(*[p for p, _ in parts]), any(n for _, n in parts)
        if isinstance(e, AnyOf):
            parts = [self._cond(x) for x in e.items]
            return _or(*[p for p, _ in parts]), any(n for _, n in parts)
        if isinstance(e, Not):
            inner, nullable = self._cond(e.item)
            if isinstance(inner, exp.Boolean):
                return (exp.false() if inner.this else exp.true()), False
            if nullable:
                inner = exp.Coalesce(this=inner, expressions=[exp.false()])
            return _not(inner), False
        if isinstance(e, Opaque):
            where = f" at {e.location}" if e.location else ""
            return self._untranslated(f"{e.construct}{where}: {e.reason}"), True
        if isinstance(e, Predicate):
            return self._predicate(e), True
        if isinstance(e, Quantifier):
            return self._quantifier(e)
        if isinstance(e, First):
            return self._first(e)
        if isinstance(e, Count):
            return self._count(e)
        return self._untranslated(f"unknown expression {type(e).__name__}"), True

    # ------------------------------------------------------------------ fields
    def value(self, f: Field) -> Val | None:
        """The raw value of ``f`` (no default, no transforms) or None (reported)."""
        if f.root == "element":
            if not self._scopes:
                self.report(f"element field {f.dotted} outside a quantifier")
                return None
            return self._navigate(self._scopes[-1], f.path, f.dotted)
        if any(s == "*" for s in f.path):
            self.report(f"wildcard step in {f.dotted} outside a quantifier")
            return None
        sf = self.mapping.column(self.log_type, tuple(f.path))
        if sf is None:
            if any(self.mapping.column(lt, tuple(f.path)) is not None for lt in self.sibling_log_types):
                self.caveat(f"{f.dotted} is not a field of {self.log_type}: always missing there")
                return Val("absent", exp.Null())
            self.report(f"field {f.dotted} is not mapped for {self.log_type}")
            return None
        top_type = self.mapping.columns(self.log_type).get(sf.column) or sf.type
        dtype = _column_type(top_type)
        cur = Val(_kind_of(dtype), exp.column(sf.column, quoted=not _plain(sf.column)), dtype)
        if sf.steps:
            cur = self._navigate(cur, sf.steps, f.dotted)
            if cur is None:
                return None
        if sf.json_path is not None:
            if cur.kind != "string":
                self.report(f"{f.dotted}: JSON path on a non-text column")
                return None
            return Val("json", cur.expr, json_path=tuple(sf.json_path))
        return replace(cur, origin=tuple(f.path))

    def _element(self, arr: Val, expr: exp.Expression) -> Val:
        """The element ``expr`` of the typed array ``arr``."""
        elem_type = arr.dtype.expressions[0]
        origin = arr.origin + (0,) if arr.origin is not None else None
        return Val(_kind_of(elem_type), expr, elem_type, origin=origin)

    def _json_text_member(self, v: Val, step) -> bool:
        """Is the struct member ``v`` (text) JSON that ``step`` continues into? The mapping
        says so for the event path the value came from (e.g. params[].value)."""
        if v.kind != "string" or v.origin is None or not isinstance(step, str):
            return False
        sf = self.mapping.column(self.log_type, v.origin + (step,))
        return sf is not None and sf.json_path is not None and tuple(sf.json_path) == (step,)

    def _navigate(self, v: Val, steps: tuple, dotted: str) -> Val | None:
        for step in steps:
            if self._json_text_member(v, step):
                v = Val("json", v.expr, guard=v.guard)
            if v.kind == "json":
                v = replace(v, json_path=v.json_path + (step,))
                continue
            if isinstance(step, int):
                if v.kind != "array" or v.dtype is None:
                    self.report(f"{dotted}: index into a non-array")
                    return None
                idx = step + 1 if step >= 0 else step
                v = self._element(v, _fn("element_at", v.expr, _lit(idx)))
                continue
            if v.kind != "struct" or v.dtype is None:
                self.report(f"{dotted}: field {step!r} of a non-struct value")
                return None
            child = next((c for c in v.dtype.expressions
                          if isinstance(c, exp.ColumnDef) and c.name.lower() == str(step).lower()), None)
            if child is None:
                self.report(f"{dotted}: {step!r} is not a field of the mapped struct")
                return None
            dtype = child.args["kind"]
            origin = v.origin + (step,) if v.origin is not None else None
            v = Val(_kind_of(dtype), exp.Dot(this=v.expr, expression=exp.to_identifier(child.name)), dtype,
                    origin=origin)
        return v

    # ------------------------------------------------------------------ JSON helpers
    @staticmethod
    def _jpath(v: Val) -> exp.Expression:
        return exp.Literal.string(json_path_text(v.json_path) or "$")

    def jx(self, v: Val) -> exp.Expression:
        if not v.json_path and v.json_typed:
            return v.expr  # a JSON value (lambda variable, parsed text)
        return _fn("json_extract", v.expr, self._jpath(v))

    def jscalar(self, v: Val) -> exp.Expression:
        return _fn("json_extract_scalar", v.expr, self._jpath(v))

    def jtext(self, v: Val) -> exp.Expression:
        return _fn("json_format", self.jx(v))

    def j_is(self, v: Val, json_type: str) -> exp.Expression:
        text = self.jtext(v)
        if json_type == "string":
            return _fn("starts_with", text, exp.Literal.string('"'))
        if json_type == "number":
            return exp.RegexpLike(this=text, expression=exp.Literal.string(r"^-?[0-9]"))
        if json_type == "boolean":
            return exp.In(this=text, expressions=[exp.Literal.string("true"), exp.Literal.string("false")])
        if json_type == "array":
            return _fn("starts_with", text, exp.Literal.string("["))
        raise ValueError(json_type)

    def _check_json_path(self, v: Val) -> bool:
        if json_path_text(v.json_path) is None:
            self.report(f"negative index inside JSON path {v.json_path}")
            return False
        if any(isinstance(s, str) for s in v.json_path):
            self.caveat("JSON keys are matched case-sensitively in SQL; Python falls back to a "
                        "case-insensitive key lookup")
        return True

    def as_string(self, v: Val, guarded: bool) -> Val | None:
        """A string-kind view of ``v``; None when ``v`` can never be a Python str."""
        if v.kind == "string":
            return v
        if v.kind == "json":
            if not self._check_json_path(v):
                return None
            return Val("string", self.jscalar(v),
                       guard=_and(v.guard, self.j_is(v, "string")) if guarded else v.guard)
        return None

    def as_number(self, v: Val) -> Val | None:
        if v.kind == "number":
            return v
        if v.kind == "json":
            if not self._check_json_path(v):
                return None
            return Val("number", exp.TryCast(this=self.jscalar(v), to=exp.DataType.build("double")),
                       guard=_and(v.guard, self.j_is(v, "number")))
        return None

    # ------------------------------------------------------------------ transforms
    def transform(self, v: Val, t) -> Val | None:
        """SQL of a transform on a present value; None when Python would raise (always)."""
        name, args = t.name, t.args
        if v.kind == "absent":
            return v
        if v.ip_network:
            self.report(f"transform {name}() of an ip_network() value has no SQL form")
            return None
        if name == "ip_network":
            if v.kind not in ("string", "json", "number", "boolean"):
                return None  # Python: TypeError
            self.caveat("ip_network(): a network text with a '/' prefix length is not read in SQL "
                        "(only single addresses match; Python builds the whole network)")
            return replace(v, ip_network=True)
        if name == "index":  # value[i]: an element of a list, a character of a text
            i = args[0] if args else None
            if not isinstance(i, int) or isinstance(i, bool) or i < 0:
                self.report(f"index [{i!r}] has no SQL form (only non-negative integer indexes)")
                return None
            if v.kind == "json":
                if not self._check_json_path(v):
                    return None
                # a dict has no integer keys (KeyError): only a JSON array is indexed
                self.caveat(f"[{i}] of a JSON value: a JSON text's character is not read in SQL "
                            "(only a list's element)")
                return replace(v, json_path=v.json_path + (i,), guard=_and(v.guard, self.j_is(v, "array")))
            if v.kind == "array":
                return self._navigate(v, (i,), f"[{i}]")
            if v.kind == "string":
                fits = exp.GT(this=exp.Length(this=v.expr.copy()), expression=_lit(i))
                return replace(v, expr=exp.Substring(this=v.expr, start=_lit(i + 1), length=_lit(1)),
                               guard=_and(v.guard, fits))
            return None  # Python: TypeError (not subscriptable) or KeyError
        if name == "get":
            if len(args) > 1:
                return self._get_text_default(v, args)
            if v.kind == "json":
                return replace(v, json_path=v.json_path + (args[0],))
            if v.kind == "struct":
                return self._navigate(v, (args[0],), f"get({args[0]!r})")
            return None  # Python: not a dict -> MISSING, and the predicate on MISSING is False
        if name == "concat":  # prefix + text + suffix; Python raises on non-text
            s = self.as_string(v, guarded=True)
            if s is None:
                return None
            return replace(s, expr=exp.DPipe(this=exp.DPipe(this=exp.Literal.string(args[0]), expression=s.expr),
                                             expression=exp.Literal.string(args[1])))
        if name in ("lower", "upper", "strip", "lstrip", "rstrip", "split", "basename",
                    "removeprefix", "removesuffix", "replace"):
            s = self.as_string(v, guarded=True)
            if s is None:
                return None
            return self._string_transform(s, name, args)
        if name == "json":
            s = self.as_string(v, guarded=True)
            if s is None:
                return None
            # Python's json.loads raises on text that is not JSON: TRY makes that NULL.
            self.caveat("json.loads() accepts NaN/Infinity, which SQL JSON parsers reject")
            return Val("json", _fn("try", _fn("json_parse", s.expr)), guard=s.guard, json_typed=True)
        if name == "len":
            if v.kind == "string":
                return Val("number", exp.Length(this=v.expr), guard=v.guard)
            if v.kind == "array":
                return Val("number", _fn("cardinality", v.expr), guard=v.guard)
            if v.kind == "json":
                s = self.as_string(v, guarded=True)
                size = _fn("json_size", self.jx(v), exp.Literal.string("$"))
                container = _or(self.j_is(v, "array"), _fn("starts_with", self.jtext(v), exp.Literal.string("{")))
                return Val("number", exp.Case(ifs=[exp.If(this=s.guard, true=exp.Length(this=s.expr)),
                                                   exp.If(this=container, true=size)]),
                           guard=v.guard)
            return None
        if name == "int":
            if v.kind == "number":
                if v.dtype is not None and v.dtype.this.name in ("DOUBLE", "FLOAT", "DECIMAL"):
                    return Val("number", _fn("truncate", v.expr), v.dtype, guard=v.guard)
                return v
            if v.kind == "boolean":
                return Val("number", exp.Case(ifs=[exp.If(this=v.expr, true=_lit(1))], default=_lit(0)),
                           guard=v.guard)
            if v.kind == "json":
                # int() of a JSON value: numbers truncate, booleans are 0/1, strings parse.
                s = self.as_string(v, guarded=False)
                if s is None:
                    return None
                number = exp.TryCast(this=self.jscalar(v), to=exp.DataType.build("double"))
                return Val("number", exp.Case(ifs=[
                    exp.If(this=self.j_is(v, "number"), true=_fn("truncate", number)),
                    exp.If(this=self.j_is(v, "string"), true=self._int_of_text(s.expr)),
                    exp.If(this=exp.EQ(this=self.jtext(v), expression=exp.Literal.string("true")), true=_lit(1)),
                    exp.If(this=exp.EQ(this=self.jtext(v), expression=exp.Literal.string("false")), true=_lit(0)),
                ]), guard=v.guard)
            s = self.as_string(v, guarded=True)
            if s is None:
                return None
            return Val("number", self._int_of_text(s.expr), guard=s.guard)
        if name == "float":
            if v.kind == "number":
                return v
            if v.kind in ("json", "string"):
                self.caveat("float() of text: Python also accepts 'nan', 'inf' and '_' separators")
                text = self.as_string(v, guarded=False).expr
                parsed = exp.TryCast(this=self._string_transform(Val("string", text), "strip", ()).expr,
                                     to=exp.DataType.build("double"))
                if v.kind == "string":
                    return Val("number", parsed, guard=v.guard)
                return Val("number", exp.Case(ifs=[
                    exp.If(this=self.j_is(v, "number"), true=exp.TryCast(this=self.jscalar(v), to=exp.DataType.build("double"))),
                    exp.If(this=self.j_is(v, "string"), true=parsed),
                ]), guard=v.guard)
            self.report("float() of a non-number value")
            return None
        if name == "str":
            if v.kind == "string":
                return v
            if v.kind == "number" and v.dtype is not None and v.dtype.this.name in ("BIGINT", "INT", "SMALLINT", "TINYINT"):
                return Val("string", exp.cast(v.expr, "varchar"), guard=v.guard)
            if v.kind == "number":
                # A double column does not keep Python's int/float distinction: integral values
                # are taken as ints (str(15) == "15"); others are not rendered (no match).
                self.caveat("str() of a number column: integral values read as Python ints, "
                            "non-integral ones are not rendered")
                integral = _and(exp.EQ(this=v.expr, expression=_fn("truncate", v.expr)),
                                exp.LT(this=exp.Abs(this=v.expr), expression=_lit(10 ** 15)))
                return Val("string", exp.Case(ifs=[exp.If(this=integral, true=exp.cast(
                    exp.cast(v.expr, "bigint"), "varchar"))]), guard=v.guard)
            if v.kind == "boolean":
                return Val("string", exp.Case(ifs=[exp.If(this=v.expr, true=exp.Literal.string("True"))],
                                              default=exp.Literal.string("False")), guard=v.guard)
            if v.kind == "json":
                s = self.as_string(v, guarded=True)
                return Val("string", exp.Case(ifs=[
                    exp.If(this=s.guard, true=s.expr),
                    exp.If(this=exp.RegexpLike(this=self.jtext(v), expression=exp.Literal.string(r"^-?[0-9]+\z")),
                           true=self.jtext(v)),
                    exp.If(this=exp.EQ(this=self.jtext(v), expression=exp.Literal.string("true")), true=exp.Literal.string("True")),
                    exp.If(this=exp.EQ(this=self.jtext(v), expression=exp.Literal.string("false")), true=exp.Literal.string("False")),
                ]), guard=v.guard)
            self.report(f"str() of a {v.kind} value (Python's text differs from SQL's)")
            return None
        self.report(f"transform {name}() has no SQL form")
        return None

    def _get_text_default(self, v: Val, args: tuple) -> Val | None:
        """``get(key, "text")`` followed by more transforms: a string value, the default when
        the key is absent (or null, with default on null) from a present container."""
        key, default = args[0], args[1]
        on_null = len(args) > 2 and bool(args[2])
        if not isinstance(default, str) or v.kind not in ("json", "struct"):
            self.report("get() with a non-text default before other transforms")
            return None
        if v.kind == "struct":
            got = self._navigate(v, (key,), f"get({key!r})")
            if got is None or got.kind != "string":
                self.report(f"get({key!r}) of a non-text struct member with a default")
                return None
            value = exp.Coalesce(this=got.expr, expressions=[exp.Literal.string(default)])
            guard = _and(v.guard, exp.Not(this=exp.Is(this=v.expr, expression=exp.Null())))
            return Val("string", value, guard=guard)
        got = replace(v, json_path=v.json_path + (key,))
        absent = exp.Is(this=self.jx(got), expression=exp.Null())
        if on_null:
            absent = _or(absent, exp.EQ(this=self.jtext(got), expression=exp.Literal.string("null")))
        container = exp.Not(this=exp.Is(this=self.jx(v), expression=exp.Null()))
        value = exp.Case(ifs=[exp.If(this=absent.copy(), true=exp.Literal.string(default))],
                         default=self.jscalar(got))
        guard = _and(v.guard, container, _or(absent, self.j_is(got, "string")))
        return Val("string", value, guard=guard)

    def _int_of_text(self, text: exp.Expression) -> exp.Expression:
        """Python's int(str): surrounding whitespace allowed, an optional sign, digits."""
        ws = python_whitespace_class()
        self.caveat("int(): digit strings with '_' separators or non-ASCII digits are not "
                    "converted in SQL")
        ok = exp.RegexpLike(this=text, expression=exp.Literal.string(f"^[{ws}]*[+-]?[0-9]+[{ws}]*\\z"))
        stripped = self._string_transform(Val("string", text), "strip", ()).expr
        return exp.Case(ifs=[exp.If(this=ok, true=exp.TryCast(this=stripped, to=exp.DataType.build("bigint")))])

    def _string_transform(self, s: Val, name: str, args: tuple) -> Val | None:
        e = s.expr
        if name == "lower":
            return replace(s, expr=_py_lower(e))
        if name == "upper":
            return replace(s, expr=exp.Upper(this=e))
        if name in ("strip", "lstrip", "rstrip"):
            chars = args[0] if args else None
            if chars is not None and not isinstance(chars, str):
                self.report(f"{name}() with non-string characters")
                return None
            body = python_whitespace_class() if chars is None else "".join(
                translate_regex(re.escape(c)).pattern for c in chars)
            if not body:
                return s
            parts = []
            if name in ("strip", "lstrip"):
                parts.append(f"^[{body}]+")
            if name in ("strip", "rstrip"):
                parts.append(f"[{body}]+\\z")
            return replace(s, expr=exp.RegexpReplace(this=e, expression=exp.Literal.string("|".join(parts)),
                                                     replacement=exp.Literal.string("")))
        if name == "split":
            sep = args[0] if args else None
            index = args[1] if len(args) > 1 else None
            if not isinstance(sep, str) or sep == "" or (len(args) > 2):
                self.report(f"split({sep!r}) has no exact SQL form")
                return None
            parts = exp.Split(this=e, expression=exp.Literal.string(sep))
            if index is None:
                return Val("array", parts, exp.DataType.build("array(varchar)", dialect="athena"), guard=s.guard)
            return replace(s, expr=_fn("element_at", parts, _lit(index + 1 if index >= 0 else index)))
        if name == "basename":
            return replace(s, expr=_fn("element_at", exp.Split(this=e, expression=exp.Literal.string("/")), _lit(-1)))
        if name in ("removeprefix", "removesuffix"):
            affix = args[0]
            n = _lit(len(affix))
            if name == "removeprefix":
                test = _like(e, _like_escape(affix) + "%")
                cut = exp.Substring(this=e, start=_lit(len(affix) + 1))
            else:
                test = _like(e, "%" + _like_escape(affix))
                cut = exp.Substring(this=e, start=_lit(1), length=exp.Sub(this=exp.Length(this=e), expression=n))
            if not affix:
                return s
            return replace(s, expr=exp.Case(ifs=[exp.If(this=test, true=cut)], default=e))
        if name == "replace":
            old, new = args[0], args[1]
            if old == "" or len(args) > 2:
                self.report("replace() with an empty needle or a count has no exact SQL form")
                return None
            return replace(s, expr=_fn("replace", e, exp.Literal.string(old), exp.Literal.string(new)))
        raise AssertionError(name)

    def transformed(self, f: Field, with_default: bool = False) -> Val | None | bool:
        """``f`` with transforms applied in SQL (and its default first, ``with_default``).
        None: reported; False: Python always raises."""
        f = _drop_empty_get_defaults(f)
        v = self.value(f)
        if v is not None and with_default and f.default is not MISSING:
            v = self._defaulted(v, f)
        if v is None:
            return None
        for t in f.transforms:
            before = len(self.reasons)
            v = self.transform(v, t)
            if v is None:
                return None if len(self.reasons) > before else False
        return v

    # ------------------------------------------------------------------ predicates
    def _predicate(self, p: Predicate) -> exp.Expression:
        p = replace(p, field=_drop_empty_get_defaults(p.field))
        if isinstance(p.value, Field):
            return self._field_vs_field(p)
        raw = self.value(p.field)
        if raw is None:
            return self._untranslated(self.reasons[-1], reported=True)
        if raw.kind == "absent":
            return exp.true() if _python_on(p, MISSING) else exp.false()
        last = p.field.transforms[-1] if p.field.transforms else None
        if last is not None and last.name == "get":
            return self._predicate_get_default(p, raw)
        n_reasons = len(self.reasons)
        if not p.case_sensitive or any(t.name in ("lower", "upper") for t in p.field.transforms):
            self.caveat("case folding: Python lower-cases a word-final Σ to ς and upper-cases "
                        "ß to SS; SQL maps them code point by code point")
        v = raw
        for t in p.field.transforms:
            v = self.transform(v, t)
            if v is None:
                break
        if len(self.reasons) > n_reasons:
            return self._untranslated(self.reasons[-1], reported=True)
        present = exp.false() if v is None else self._present(p, v)
        if present is None:
            return self._untranslated(self.reasons[-1], reported=True)
        if v is not None and v.guard is not None:
            present = _and(v.guard, present)
        # Python's answer when the field is missing / JSON null, from the reference evaluator.
        on_missing = _python_on(p, MISSING)
        on_null = _python_on(p, None)
        terms = [present]
        if raw.kind == "json":
            if on_missing:
                terms.insert(0, exp.Is(this=self.jx(raw), expression=exp.Null()))
            if on_null:
                terms.insert(0, exp.EQ(this=self.jtext(raw), expression=exp.Literal.string("null")))
        else:
            if on_missing != on_null:
                self.caveat(f"{p.field.dotted}: the data lake stores JSON null and a missing key "
                            "alike (NULL); Python tells them apart here")
            if on_missing:
                terms.insert(0, exp.Is(this=raw.expr, expression=exp.Null()))
        return _or(*terms)

    def _predicate_get_default(self, p: Predicate, raw: Val) -> exp.Expression:
        """``...get(key, default)`` as the last transform: the default when the key is absent
        (or null, with default_on_null) from a present container; Python's own answer for the
        default comes from the reference evaluator."""
        last = p.field.transforms[-1]
        key = last.args[0]
        default = last.args[1] if len(last.args) > 1 else MISSING
        on_null = len(last.args) > 2 and bool(last.args[2])
        ts = p.field.transforms
        start = len(ts) - 1  # the trailing run of get()s: MISSING flows through a get
        while start > 0 and ts[start - 1].name == "get" and len(ts[start - 1].args) == 1:
            start -= 1
        root = raw
        for t in ts[:start]:
            root = self.transform(root, t)
            if root is None:
                break
        before = root
        for t in ts[start:-1]:
            if before is None:
                break
            before = self.transform(before, t)
        if before is None or before.kind not in ("json", "struct") or root.kind not in ("json", "struct"):
            if self.reasons:
                return self._untranslated(self.reasons[-1], reported=True)
            return exp.false()
        got = self.transform(before, type(last)("get", (key,)))
        if got is None:
            return self._untranslated(self.reasons[-1], reported=True) if self.reasons else exp.false()
        present = self._present(p, got)
        if present is None:
            return self._untranslated(self.reasons[-1], reported=True)
        present = _and(got.guard, present)
        probe = Predicate(Field(("v",)), p.op, p.value, p.case_sensitive, p.flags)
        from ..evaluator import evaluate
        on_absent = evaluate(probe, {} if default is MISSING else {"v": default})
        if before.kind == "json" and not on_null and evaluate(probe, {"v": None}):
            # A JSON null under the key: Python sees None (no default on null).
            present = _or(_and(before.guard, exp.EQ(this=self.jtext(got), expression=exp.Literal.string("null"))),
                          present)
        if on_absent:
            if before.kind == "json":
                container = exp.Not(this=exp.Is(this=self.jx(root), expression=exp.Null()))
                absent = exp.Is(this=self.jx(got), expression=exp.Null())
                if on_null:
                    absent = _or(absent, exp.EQ(this=self.jtext(got), expression=exp.Literal.string("null")))
            else:
                container = exp.Not(this=exp.Is(this=root.expr, expression=exp.Null()))
                absent = exp.Is(this=got.expr, expression=exp.Null())
            present = _or(_and(before.guard, container, absent), present)
        on_missing = _python_on(p, MISSING)
        if on_missing:
            missing = self.jx(raw) if raw.kind == "json" else raw.expr
            present = _or(exp.Is(this=missing, expression=exp.Null()), present)
        return present

    def _present(self, p: Predicate, v: Val) -> exp.Expression | None:
        """Condition for a present, non-null value (FALSE/NULL allowed for missing)."""
        op, value = p.op, p.value
        if v.kind == "struct" and op == "truthy" and v.dtype is not None:
            # A dict is truthy when non-empty; a struct holds the listed members only.
            self.caveat(f"{p.field.dotted}: truthy of a struct: a dict whose listed members are all "
                        "absent or null counts as empty")
            members = [exp.Not(this=exp.Is(this=exp.Dot(this=v.expr.copy(), expression=exp.to_identifier(c.name)),
                                            expression=exp.Null()))
                       for c in v.dtype.expressions if isinstance(c, exp.ColumnDef)]
            return _or(*members) if members else exp.false()
        if v.ip_network:
            return self._network_test(p, v)
        if op == "is_type":
            return self._is_type(v, tuple(value or ()), p.field.dotted)
        if v.kind in ("timestamp", "struct", "other") and op not in ("exists", "null", "present"):
            self.report(f"{p.field.dotted}: {op} on a {v.kind} column (Python sees "
                        f"{'text' if v.kind == 'timestamp' else 'a dict'})")
            return None
        if op == "exists":
            if v.kind == "json":
                return exp.NEQ(this=self.jtext(v), expression=exp.Literal.string("null"))
            return exp.Not(this=exp.Is(this=v.expr, expression=exp.Null()))
        if op == "null":
            return exp.false()
        if op == "present":
            return exp.Not(this=exp.Is(this=self.jx(v) if v.kind == "json" else v.expr, expression=exp.Null()))
        if op == "truthy":
            return self._truthy(v)
        if op == "eq":
            return self._eq(v, value, p.case_sensitive)
        if op == "in":
            if not isinstance(value, (tuple, list, set, frozenset)):
                return exp.false()
            return self._in(v, list(value), p.case_sensitive)
        if op in ("contains", "startswith", "endswith"):
            return self._substring(v, op, value, p.case_sensitive)
        if op == "regex":
            return self._regex(v, value, p.flags, p.case_sensitive)
        if op == "glob":
            return self._glob(v, value, p.case_sensitive)
        if op in ("gt", "ge", "lt", "le"):
            return self._compare(v, op, value)
        if op == "member":
            return self._member(v, value, p.case_sensitive)
        if op == "cidr":
            return self._cidr(v, value)
        if op in ("is_ip", "is_ipv4", "is_ipv6", "ip_private", "ip_public"):
            return self._ip_test(v, op)
        self.report(f"operator {op} has no SQL form yet")
        return None

    def _eq(self, v: Val, value: Any, case_sensitive: bool) -> exp.Expression:
        if value is None:
            return exp.false()
        if isinstance(value, str):
            s = self.as_string(v, guarded=_looks_non_string(value))
            if s is None:
                return exp.false()
            lhs, rhs = s.expr, value
            if not case_sensitive:
                lhs, rhs = _py_lower(lhs), value.lower()
            return _and(s.guard, exp.EQ(this=lhs, expression=exp.Literal.string(rhs)))
        if isinstance(value, bool) or isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                self.report(f"comparison with non-finite number {value!r}")
                return exp.false()
            as_number = float(value)
            terms = []
            if v.kind == "boolean":
                return exp.EQ(this=v.expr, expression=_lit(bool(value))) if as_number in (0.0, 1.0) else exp.false()
            if v.kind == "json":
                if as_number in (0.0, 1.0):
                    terms.append(exp.EQ(this=self.jtext(v), expression=exp.Literal.string(
                        "true" if as_number else "false")))
            n = self.as_number(v)
            if n is not None:
                if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2 ** 53 and v.kind == "json":
                    self.caveat(f"integer {value} beyond double precision compared on JSON")
                number = value if not isinstance(value, bool) else int(value)
                terms.append(_and(n.guard, exp.EQ(this=n.expr, expression=_lit(number))))
            return _or(*terms)
        self.report(f"equality with a {type(value).__name__} value")
        return exp.false()

    def _in(self, v: Val, values: list, case_sensitive: bool) -> exp.Expression:
        strings = [x for x in values if isinstance(x, str)]
        others = [x for x in values if not isinstance(x, str)]
        terms = []
        if strings:
            guarded = any(_looks_non_string(x) for x in strings)
            s = self.as_string(v, guarded=guarded)
            if s is not None:
                lhs = s.expr if case_sensitive else _py_lower(s.expr)
                folded = sorted({x if case_sensitive else x.lower() for x in strings})
                cmp = (exp.EQ(this=lhs, expression=exp.Literal.string(folded[0])) if len(folded) == 1
                       else exp.In(this=lhs, expressions=[exp.Literal.string(x) for x in folded]))
                terms.append(_and(s.guard, cmp))
        for x in others:
            terms.append(self._eq(v, x, case_sensitive))
        return _or(*terms)

    def _substring(self, v: Val, op: str, value: Any, case_sensitive: bool) -> exp.Expression:
        values = value if isinstance(value, (tuple, list)) and op != "contains" else (value,)
        if not all(isinstance(x, str) for x in values):
            return exp.false()
        s = self.as_string(v, guarded=any(_looks_non_string(x) for x in values))
        if s is None:
            return exp.false()
        lhs = s.expr if case_sensitive else _py_lower(s.expr)
        terms = []
        for x in values:
            x = x if case_sensitive else x.lower()
            pat = _like_escape(x)
            pat = {"contains": f"%{pat}%", "startswith": f"{pat}%", "endswith": f"%{pat}"}[op]
            terms.append(_like(lhs, pat))
        return _and(s.guard, _or(*terms))

    def _regex(self, v: Val, pattern: Any, flags: tuple, case_sensitive: bool) -> exp.Expression:
        if not isinstance(pattern, str):
            self.report("regex pattern is not a string")
            return exp.false()
        s = self.as_string(v, guarded=True)
        if s is None:
            return exp.false()
        if not case_sensitive:
            # The evaluator lower-cases both the value and the pattern text.
            pattern = pattern.lower()
        r = translate_regex(pattern, tuple(flags))
        for reason in r.unsupported:
            self.report(f"regex {pattern!r}: {reason}")
        for gap in r.engine_gaps:
            if gap not in self.engine_gaps:
                self.engine_gaps.append(f"regex {pattern!r}: {gap}")
        for c in r.caveats:
            self.caveat(c)
        if r.unsupported:
            return None
        lhs = s.expr if case_sensitive else _py_lower(s.expr)
        return _and(s.guard, exp.RegexpLike(this=lhs, expression=exp.Literal.string(r.pattern)))

    def _glob(self, v: Val, pattern: Any, case_sensitive: bool) -> exp.Expression:
        if not isinstance(pattern, str):
            return exp.false()
        if "[" not in pattern:
            s = self.as_string(v, guarded=True)
            if s is None:
                return exp.false()
            lhs = s.expr if case_sensitive else _py_lower(s.expr)
            if not case_sensitive:
                pattern = pattern.lower()
            like = "".join("%" if c == "*" else "_" if c == "?" else _like_escape(c) for c in pattern)
            return _and(s.guard, _like(lhs, like))
        return self._regex(v, _glob_regex(pattern), ("match",), case_sensitive)

    def _truthy(self, v: Val) -> exp.Expression:
        if v.kind == "string":
            return exp.NEQ(this=v.expr, expression=exp.Literal.string(""))
        if v.kind == "number":
            return exp.NEQ(this=v.expr, expression=_lit(0))
        if v.kind == "boolean":
            return v.expr
        if v.kind == "array":
            return exp.GT(this=_fn("cardinality", v.expr), expression=_lit(0))
        if v.kind == "json":
            text = self.jtext(v)
            falsy = exp.In(this=text, expressions=[exp.Literal.string(x) for x in ("null", "false", '""', "[]", "{}")])
            n = self.as_number(v)
            zero = _and(n.guard, exp.EQ(this=n.expr, expression=_lit(0)))
            return _and(_not(falsy), _not(exp.Coalesce(this=zero, expressions=[exp.false()])))
        self.report(f"truthiness of a {v.kind} value")
        return None

    def _is_type(self, v: Val, kinds: tuple, dotted: str) -> exp.Expression | None:
        """Python's kind of a present value (missing / SQL NULL is decided by the caller). JSON
        text: from the canonical text of the value (json_format: ``"`` string, ``{`` dict,
        ``[`` list, digits without ``.``/exponent an int); a typed column: from its type."""
        if v.kind == "json":
            if not self._check_json_path(v):
                return None
            text = self.jtext(v)
            number = r"^-?[0-9]+$" if "int" in kinds else r"^-?[0-9]+[.eE]"
            tests = {"str": self.j_is(v, "string"), "bool": self.j_is(v, "boolean"),
                     "list": self.j_is(v, "array"),
                     "dict": _fn("starts_with", text, exp.Literal.string("{")),
                     "null": exp.EQ(this=text, expression=exp.Literal.string("null"))}
            terms = [tests[k] for k in kinds if k in tests]
            if "int" in kinds and "float" in kinds:
                terms.append(self.j_is(v, "number"))
            elif "int" in kinds or "float" in kinds:
                self.caveat(f"{dotted}: int vs float from the JSON number's text; an integer "
                            "beyond 64 bits may be re-rendered as a float by the SQL engine")
                terms.append(exp.RegexpLike(this=self.jtext(v), expression=exp.Literal.string(number)))
            return _or(*terms)
        if v.kind == "number" and v.dtype is not None:
            integral = v.dtype.this.name in ("BIGINT", "INT", "SMALLINT", "TINYINT", "UBIGINT",
                                             "UINT", "USMALLINT", "UTINYINT")
            if integral:
                python_kind = "int"
            elif ("int" in kinds) == ("float" in kinds):
                python_kind = "int" if "int" in kinds else "float"
            else:
                self.report(f"{dotted}: is_type int vs float on a {v.dtype.sql()} column (the "
                            "column does not keep whether the event held 1 or 1.0)")
                return None
        else:
            python_kind = {"string": "str", "timestamp": "str", "boolean": "bool", "array": "list",
                           "struct": "dict"}.get(v.kind)
            if python_kind is None:
                self.report(f"{dotted}: is_type on a {v.kind} value")
                return None
        decided = python_kind in kinds
        self.caveat(f"{dotted}: is_type decided by the column type ({python_kind} when present: "
                    f"{'always' if decided else 'never'} {'/'.join(kinds)})")
        return exp.Not(this=exp.Is(this=v.expr, expression=exp.Null())) if decided else exp.false()

    def _compare(self, v: Val, op: str, value: Any) -> exp.Expression:
        cls = {"gt": exp.GT, "ge": exp.GTE, "lt": exp.LT, "le": exp.LTE}[op]
        if value is None:
            return exp.false()
        if isinstance(value, str):
            s = self.as_string(v, guarded=True)
            if s is None:
                return exp.false()
            return _and(s.guard, cls(this=s.expr, expression=exp.Literal.string(value)))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # Python (and Panther's comparison operators) order true/false as 1/0
            if v.kind == "boolean":
                return _and(v.guard, exp.Not(this=exp.Is(this=v.expr.copy(), expression=exp.Null())),
                            cls(this=exp.cast(v.expr.copy(), "integer"), expression=_lit(value)))
            n = self.as_number(v)
            if n is None:
                return exp.false()
            number = _and(n.guard, cls(this=n.expr, expression=_lit(value)))
            if v.kind != "json":
                return number
            as_int = exp.Case(ifs=[exp.If(this=exp.EQ(this=self.jtext(v).copy(),
                                                      expression=exp.Literal.string("true")),
                                          true=exp.Literal.number(1))], default=exp.Literal.number(0))
            boolean = _and(v.guard.copy() if v.guard is not None else None,
                           self.j_is(v, "boolean"), cls(this=as_int, expression=_lit(value)))
            return _or(number, boolean)
        self.report(f"ordering comparison with a {type(value).__name__}")
        return None

    def _member(self, v: Val, value: Any, case_sensitive: bool) -> exp.Expression:
        if v.kind == "array" and v.dtype is not None:
            elem = v.dtype.expressions[0]
            if case_sensitive and isinstance(value, str) and _kind_of(elem) == "string":
                return exp.ArrayContains(this=v.expr, expression=exp.Literal.string(value))
        where = Predicate(Field((), root="element"), "eq", value, case_sensitive)
        cond, _ = self._quantified("any", v, where)
        return cond

    # ------------------------------------------------------------------ IP addresses
    # ipaddress reads text exactly as given (no stripping), as the anchored patterns do.
    @staticmethod
    def _is_ipv4(text: exp.Expression) -> exp.Expression:
        return exp.RegexpLike(this=text, expression=exp.Literal.string(f"^{IPV4}\\z"))

    @staticmethod
    def _is_ipv6(text: exp.Expression) -> exp.Expression:
        return exp.RegexpLike(this=text, expression=exp.Literal.string(ipv6_pattern()))

    def _ip_test(self, v: Val, op: str) -> exp.Expression:
        """``op`` on what ipaddress reads from ``v``: an address text, or an integer (a JSON
        true is 1, address 0.0.0.1); with ``v.ip_network``, the one-address network."""
        if op in ("is_ip", "exists", "present", "truthy"):
            return self._ip_where(v, (0, _IP_MAX), (0, _IP_MAX))
        if op == "is_ipv4":
            return self._ip_where(v, (0, 2 ** 32 - 1), None)
        if op == "is_ipv6":
            return self._ip_where(v, None, (0, _IP_MAX))
        prop = {"ip_private": "is_private", "ip_public": "is_global"}[op]
        level = "network" if v.ip_network else "address"
        return self._ip_where(v, *[ip_intervals(version, prop, level) for version in (4, 6)])

    def _ip_where(self, v: Val, v4, v6) -> exp.Expression:
        """The address ``v`` holds lies in one of the integer intervals of its version (a
        single pair: one interval; None: none)."""
        v4 = () if not v4 else (v4,) if isinstance(v4[0], int) else tuple(v4)
        v6 = () if not v6 else (v6,) if isinstance(v6[0], int) else tuple(v6)
        v4 = tuple((lo, min(hi, 2 ** 32 - 1)) for lo, hi in v4)
        terms = []
        s = self.as_string(v, guarded=True)
        if s is not None:
            for version, ranges, is_version, within in ((4, v4, self._is_ipv4, ipv4_in_intervals),
                                                         (6, v6, self._is_ipv6, ipv6_in_intervals)):
                if not ranges:
                    continue
                whole = ranges == ((0, 2 ** 32 - 1 if version == 4 else _IP_MAX),)
                terms.append(_and(s.guard, is_version(s.expr) if whole else within(s.expr.copy(), ranges)))
        n = self._ip_integer(v)
        if n is not None:
            # ipaddress reads an integer below 2**32 as IPv4, above as IPv6 (a BIGINT holds
            # the IPv6 addresses below 2**63: the intervals are clipped to that).
            ranges = [(lo, hi) for lo, hi in v4] + [(max(lo, 2 ** 32), min(hi, 2 ** 63 - 1))
                                                    for lo, hi in v6 if hi >= 2 ** 32 and lo < 2 ** 63]
            if ranges:
                terms.append(_and(n.guard, integer_in_intervals(n.expr, ranges, "rulec_ip_int")))
        return _or(*terms)

    def _ip_integer(self, v: Val) -> Val | None:
        """The integer ipaddress would read from ``v`` (bool as 0/1), or None."""
        if v.kind == "boolean":
            return Val("number", exp.Case(ifs=[exp.If(this=v.expr, true=_lit(1))], default=_lit(0)), guard=v.guard)
        if v.kind == "number":
            if v.dtype is None or v.dtype.this.name not in ("BIGINT", "INT", "SMALLINT", "TINYINT"):
                self.caveat("IP tests on a non-integer number column: ipaddress reads an integer "
                            "value as an address; SQL does not")
                return None
            return v
        if v.kind == "json":
            if not self._check_json_path(v):
                return None
            self.caveat("IP tests: a JSON integer beyond 64 bits (an IPv6 address to ipaddress) "
                        "is not read in SQL")
            text = self.jtext(v)
            number = exp.TryCast(this=self.jscalar(v), to=exp.DataType.build("bigint"))
            return Val("number", exp.Case(ifs=[
                exp.If(this=exp.EQ(this=text, expression=exp.Literal.string("true")), true=_lit(1)),
                exp.If(this=exp.EQ(this=text.copy(), expression=exp.Literal.string("false")), true=_lit(0)),
                exp.If(this=exp.RegexpLike(this=text.copy(), expression=exp.Literal.string("^-?[0-9]+$")),
                       true=number)]), guard=v.guard)
        return None

    def _network_test(self, p: Predicate, v: Val) -> exp.Expression | None:
        """A predicate on ``ip_network(x)`` of an address (see the transform's caveat); a value
        Python rejects raises, so every predicate is False on it."""
        if p.op in ("is_ip", "is_ipv4", "is_ipv6", "ip_private", "ip_public", "exists", "present",
                    "truthy"):
            return self._ip_test(v, p.op)
        if p.op == "null":
            return exp.false()
        if p.op == "cidr":
            return self._cidr(v, p.value)  # subnet_of a network = in it, for one address
        self.report(f"{p.field.dotted}: {p.op} on an ip_network() value has no SQL form")
        return None

    def _cidr(self, v: Val, networks: Any) -> exp.Expression:
        nets = networks if isinstance(networks, (tuple, list)) else (networks,)
        try:
            parsed = [ipaddress.ip_network(n, strict=False) for n in nets]
        except (ValueError, TypeError) as e:
            self.report(f"cidr: bad network in {nets!r}: {e}")
            return None
        return self._ip_where(v, [network_interval(n) for n in parsed if n.version == 4],
                              [network_interval(n) for n in parsed if n.version == 6])

    # ------------------------------------------------------------------ field vs field
    def _field_vs_field(self, p: Predicate) -> exp.Expression:
        a, b = _drop_empty_get_defaults(p.field), _drop_empty_get_defaults(p.value)
        if p.op == "member":
            return self._member_of_field(p, a, b)
        va, vb = self.transformed(a, True), self.transformed(b, True)
        if va is None or vb is None:
            return self._untranslated(self.reasons[-1], reported=True)
        terms = []
        if va is not False and vb is not False and "absent" not in (va.kind, vb.kind):
            cmp = self._compare_fields(p, va, vb)
            if cmp is None:
                return self._untranslated(self.reasons[-1], reported=True)
            terms.append(cmp)
        if p.op == "eq":
            # Python: None == None (missing or null fields their defaults do not replace)
            nones = [self._is_none(f) for f in (a, b)]
            if any(n is None for n in nones):
                return self._untranslated(self.reasons[-1], reported=True)
            terms.append(_and(*nones))
        return _or(*terms)

    def _member_of_field(self, p: Predicate, a: Field, b: Field) -> exp.Expression:
        """Python ``b in a`` for a list ``a`` (anything else: False): some element == b."""
        if a.default in ((), []) and not a.transforms:
            a = replace(a, default=MISSING, default_on_null=False)  # [] and missing: never a member
        arr, x = self.transformed(a, True), self.transformed(b, True)
        if arr is None or x is None:
            return self._untranslated(self.reasons[-1], reported=True)
        if arr is False or x is False or arr.kind == "absent":
            return exp.false()
        parts = self._elements(arr)
        if parts is None:
            return exp.false()  # not a list
        if len(parts) == 2:  # an unreadable array, reported
            return parts[0]
        array_expr, var, elem = parts
        elem_none = exp.Is(this=elem.expr.copy(), expression=exp.Null())
        if elem.kind == "json":
            # a JSON null element: SQL NULL after the cast in some engines, JSON null in others
            elem_none = _or(elem_none, exp.EQ(this=self.jtext(elem), expression=exp.Literal.string("null")))
        eq = replace(p, op="eq")
        body = self._compare_fields(eq, elem, x) if x.kind != "absent" else None
        if body is None and x.kind != "absent":
            return self._untranslated(self.reasons[-1], reported=True)
        none = self._is_none(b)  # None in [None]
        if none is None:
            return self._untranslated(self.reasons[-1], reported=True)
        body = _or(body, _and(none, elem_none))
        return _and(arr.guard, _fn("any_match", array_expr, exp.Lambda(this=body, expressions=[var])))

    def _defaulted(self, raw: Val, f: Field) -> Val | None:
        """``raw`` with ``f.default`` where Python substitutes it (missing; null too with
        default_on_null)."""
        d = f.default
        if not isinstance(d, (str, int, float, bool)) or (isinstance(d, float) and not math.isfinite(d)):
            self.report(f"{f.dotted}: default {d!r} in a comparison with another field")
            return None
        kind = "string" if isinstance(d, str) else "boolean" if isinstance(d, bool) else "number"
        if raw.kind == "absent":
            return Val(kind, _lit(d))
        if raw.kind == "json":
            if not self._check_json_path(raw):
                return None
            absent = exp.Is(this=self.jx(raw), expression=exp.Null())
            if f.default_on_null:
                absent = _or(absent, exp.EQ(this=self.jtext(raw), expression=exp.Literal.string("null")))
            constant = _fn("json_parse", exp.Literal.string(json.dumps(d)))
            return Val("json", exp.Case(ifs=[exp.If(this=absent, true=constant)], default=self.jx(raw)),
                       guard=raw.guard, json_typed=True)
        if raw.kind != kind:
            self.report(f"{f.dotted}: a {kind} default for a {raw.kind} column in a comparison "
                        "with another field")
            return None
        if not f.default_on_null:
            self.caveat(f"{f.dotted}: the data lake stores JSON null and a missing key alike (NULL); "
                        "Python tells them apart here")
        return replace(raw, expr=exp.Coalesce(this=raw.expr, expressions=[_lit(d)]))

    def _numeric_view(self, v: Val) -> Val | None:
        """``v`` as the number Python's == sees (a bool is 0/1), or None (never a number)."""
        if v.kind == "number":
            return v
        if v.kind == "boolean":
            return Val("number", exp.Case(ifs=[exp.If(this=v.expr, true=_lit(1))], default=_lit(0)), guard=v.guard)
        if v.kind != "json" or not self._check_json_path(v):
            return None
        text = self.jtext(v)
        return Val("number", exp.Case(ifs=[
            exp.If(this=exp.EQ(this=text, expression=exp.Literal.string("true")), true=_lit(1)),
            exp.If(this=exp.EQ(this=text.copy(), expression=exp.Literal.string("false")), true=_lit(0)),
            exp.If(this=self.j_is(v, "number"), true=exp.TryCast(this=self.jscalar(v), to=exp.DataType.build("double")))]),
            guard=v.guard)

    def _is_none(self, f: Field) -> exp.Expression | None:
        """Python's value of ``f`` is None: decided by the reference evaluator for a missing
        and for a null value (defaults, transforms); text transforms never give None from a
        present value, the others are reported."""
        from ..evaluator import resolve

        if any(t.name not in _TEXT_TRANSFORMS for t in f.transforms):
            self.report(f"{f.dotted}: {'/'.join(t.name for t in f.transforms)}() of a value compared "
                        "for equality with another field (None == None)")
            return None
        probe = replace(f, path=("v",), root="event")
        on_missing = resolve(probe, {}) in (None, MISSING)
        on_null = resolve(probe, {"v": None}) in (None, MISSING)
        if not (on_missing or on_null):
            return exp.false()
        raw = self.value(f)
        if raw is None:
            return None
        if raw.kind == "absent":
            return exp.true() if on_missing else exp.false()
        if raw.kind == "json":
            if not self._check_json_path(raw):
                return None
            return _or(exp.Is(this=self.jx(raw), expression=exp.Null()) if on_missing else None,
                       exp.EQ(this=self.jtext(raw), expression=exp.Literal.string("null")) if on_null else None)
        if on_missing != on_null:
            self.caveat(f"{f.dotted}: the data lake stores JSON null and a missing key alike (NULL); "
                        "Python tells them apart here")
        return exp.Is(this=raw.expr, expression=exp.Null()) if on_missing else exp.false()

    def _compare_fields(self, p: Predicate, va: Val, vb: Val) -> exp.Expression | None:
        a, b = p.field, p.value
        if p.op == "eq" and not (va.kind == vb.kind == "string"):
            # Python's == across kinds: numbers by value (True == 1), text by text
            terms = []
            na, nb = self._numeric_view(va), self._numeric_view(vb)
            if na is not None and nb is not None:
                terms.append(_and(na.guard, nb.guard, exp.EQ(this=na.expr, expression=nb.expr)))
            sa, sb = self.as_string(va, True), self.as_string(vb, True)
            if sa is not None and sb is not None:
                x, y = (sa.expr, sb.expr) if p.case_sensitive else (_py_lower(sa.expr), _py_lower(sb.expr))
                terms.append(_and(sa.guard, sb.guard, exp.EQ(this=x, expression=y)))
            if "json" in (va.kind, vb.kind) or "array" in (va.kind, vb.kind):
                self.caveat(f"{a.dotted} == {b.dotted}: two lists or dicts equal by value are not matched in SQL")
            if not terms:
                self.report(f"{p.op} of {a.dotted} with {b.dotted} of types {va.kind}/{vb.kind}")
                return None
            return _or(*terms)
        if p.op in ("eq", "contains", "startswith", "endswith"):
            sa, sb = self.as_string(va, True), self.as_string(vb, True)
            if sa is None or sb is None:
                self.report(f"{p.op} of {a.dotted} with {b.dotted} of types {va.kind}/{vb.kind}")
                return None
            x, y = (sa.expr, sb.expr) if p.case_sensitive else (_py_lower(sa.expr), _py_lower(sb.expr))
            if p.op == "eq":
                cmp = exp.EQ(this=x, expression=y)
            elif p.op == "contains":
                cmp = exp.GT(this=_fn("strpos", x, y), expression=_lit(0))
            elif p.op == "startswith":
                cmp = _fn("starts_with", x, y)
            else:  # by code points (reverse() keeps grapheme clusters in some engines)
                cmp = _and(exp.LTE(this=exp.Length(this=y), expression=exp.Length(this=x)),
                           exp.EQ(this=exp.Substring(this=x.copy(), start=exp.Add(
                               this=exp.Sub(this=exp.Length(this=x.copy()), expression=exp.Length(this=y.copy())),
                               expression=_lit(1))), expression=y.copy()))
            return _and(sa.guard, sb.guard, cmp)
        self.report(f"operator {p.op} between two fields")
        return None

    # ------------------------------------------------------------------ quantifiers
    def _quantifier(self, q: Quantifier) -> tuple[exp.Expression, bool]:
        if q.kind not in ("any", "all", "none", "one"):
            return self._untranslated(f"quantifier {q.kind}"), True
        arr = self.transformed(q.field)
        if arr is None:
            return self._untranslated(self.reasons[-1], reported=True), True
        if arr is False:  # Python raises on every value: as if the array were empty
            return (exp.false() if q.kind in ("any", "one") else exp.true()), False
        return self._quantified(q.kind, arr, q.where)

    def _elements(self, arr: Val):
        """(SQL array, lambda variable, element Val) of an array value; None when Python
        iterates nothing (a missing or non-list value is an empty array); a tuple from
        _untranslated when the array cannot be read."""
        var = exp.to_identifier(f"x{len(self._scopes) + 1}")
        if arr.kind == "array" and arr.dtype is not None:
            return arr.expr, var, self._element(arr, exp.column(var.name))
        if arr.kind == "json":
            if not self._check_json_path(arr):
                return self._untranslated("JSON array path"), True
            array_expr = exp.TryCast(this=self.jx(arr), to=exp.DataType.build("array(json)", dialect="athena"))
            return array_expr, var, Val("json", exp.column(var.name), json_typed=True)
        return None

    def _element_cond(self, elem: Val, where) -> tuple[exp.Expression, bool]:
        self._scopes.append(elem)
        try:
            return self._cond(where)
        finally:
            self._scopes.pop()

    def _first(self, f: First) -> tuple[exp.Expression, bool]:
        """The first (last) element passing ``stop`` passes ``then``: ``then`` tested on
        the first item of the elements that pass ``stop``, none when none does."""
        arr = self.transformed(f.field)
        if arr is None:
            return self._untranslated(self.reasons[-1], reported=True), True
        found = self._elements(arr) if arr is not False else None
        if found is None or isinstance(found[1], bool):
            return found if found is not None else (exp.false(), False)
        array_expr, var, elem = found
        stop, stop_nullable = self._element_cond(elem, f.stop)
        if stop_nullable:
            stop = exp.Coalesce(this=stop, expressions=[exp.false()])
        then, _ = self._element_cond(elem, f.then)
        stopping = exp.ArrayFilter(this=array_expr, expression=exp.Lambda(this=stop, expressions=[var]))
        if f.last:
            stopping = exp.Reverse(this=stopping)
        first = exp.ArraySlice(this=stopping, start=_lit(1), end=_lit(1))
        match = _fn("any_match", first, exp.Lambda(this=then, expressions=[var.copy()]))
        return _and(arr.guard, match), True

    def _count(self, c: Count) -> tuple[exp.Expression, bool]:
        sides = [self._tally(t) for t in c.tallies]
        if any(x is None for x in sides):
            return self._untranslated(self.reasons[-1], reported=True), True
        right = sides[1] if len(sides) > 1 else _lit(c.value)
        cmp = {"eq": exp.EQ, "ne": exp.NEQ, "gt": exp.GT, "ge": exp.GTE, "lt": exp.LT,
               "le": exp.LTE}[c.op]
        return cmp(this=sides[0], expression=right), False

    def _tally(self, t: Tally) -> exp.Expression | None:
        """The number of elements passing ``where``, never NULL: a missing or non-list value
        (or one Python cannot read) has no elements; filter() keeps only elements whose
        condition is TRUE, as Python counts only those it holds for."""
        arr = self.transformed(t.field)
        if arr is None:
            return None
        if arr is False or arr.kind == "absent":
            return _lit(0)
        found = self._elements(arr)
        if found is None:
            return _lit(0)
        if isinstance(found[1], bool):
            return None
        array_expr, var, elem = found
        body, _ = self._element_cond(elem, t.where)
        if t.where == TRUE:
            counted = array_expr
        else:
            counted = exp.ArrayFilter(this=array_expr,
                                      expression=exp.Lambda(this=body, expressions=[var]))
        if t.distinct is not None:
            counted = self._distinct_values(counted, var, elem, t.distinct)
            if counted is None:
                return None
        n = exp.Coalesce(this=_fn("cardinality", counted), expressions=[_lit(0)])
        if arr.guard is not None:
            n = exp.If(this=exp.Coalesce(this=arr.guard, expressions=[exp.false()]), true=n,
                       false=_lit(0))
        return n

    def _distinct_values(self, elements: exp.Expression, var, elem: Val,
                         key: Field) -> exp.Expression | None:
        """The distinct non-null values of ``key`` over ``elements``. array_distinct compares
        SQL values: Python's == only where the values have one SQL type that is not JSON
        (JSON keeps 1, 1.0 and true apart, which Python's dict keys merge)."""
        self._scopes.append(elem)
        try:
            v = self.transformed(key, with_default=True)
        finally:
            self._scopes.pop()
        if v is None:
            return None
        if v is False:  # Python raises on every value: none is a value found
            return exp.Array(expressions=[])
        if v.kind not in ("string", "number", "boolean") or v.guard is not None or v.ip_network:
            self.report(f"count of distinct {key.dotted} values: {v.kind} values, which SQL "
                        "tells apart otherwise than Python's == (1 == 1.0 == True)")
            return None
        values = exp.Transform(this=elements, expression=exp.Lambda(this=v.expr, expressions=[var]))
        value = exp.to_identifier(f"{var.name}v")
        present = exp.Not(this=exp.Is(this=exp.column(value.name), expression=exp.Null()))
        return exp.ArrayDistinct(this=exp.ArrayFilter(
            this=values, expression=exp.Lambda(this=present, expressions=[value])))

    def _quantified(self, kind: str, arr: Val, where) -> tuple[exp.Expression, bool]:
        if arr.kind == "absent":
            return (exp.false() if kind in ("any", "one") else exp.true()), False
        found = self._elements(arr)
        if found is None:
            # Python iterates nothing: a missing or non-list value is an empty array.
            return (exp.false() if kind in ("any", "one") else exp.true()), False
        if isinstance(found[1], bool):
            return found
        array_expr, var, elem = found
        guard = arr.guard
        body, nullable = self._element_cond(elem, where)
        if kind in ("all", "none") and nullable:
            body = exp.Coalesce(this=body, expressions=[exp.false()])
        lam = exp.Lambda(this=body, expressions=[var])
        if kind == "any":
            out = _and(guard, _fn("any_match", array_expr, lam))
            return out, True
        if kind == "one":
            filtered = exp.ArrayFilter(this=array_expr, expression=lam)
            return _and(guard, exp.EQ(this=_fn("cardinality", filtered), expression=_lit(1))), True
        fn = "all_match" if kind == "all" else "none_match"
        match = _fn(fn, array_expr, lam)
        empty = exp.Is(this=array_expr, expression=exp.Null())
        if guard is not None:
            empty = _or(_not(exp.Coalesce(this=guard, expressions=[exp.false()])), empty)
        return _or(empty, match), True


def _glob_regex(pattern: str) -> str:
    """fnmatch.translate without its atomic groups (RE2 has none): ``(?>.*?X)`` stands between
    two stars, where the lazy group matching the first X accepts exactly the same texts (the
    next star absorbs the rest), so a plain group means the same. A bracket expression holding
    ``(`` keeps fnmatch's text (its ``(?>`` could be class members)."""
    regex = fnmatch.translate(pattern)
    if any(t[0] == "class" and "(" in t[2] for t in glob_tokens(pattern)):
        return regex
    return regex.replace("(?>", "(?:")


def _drop_empty_get_defaults(f: Field) -> Field:
    """``.get(k, {}).get(j)`` is ``.get(k).get(j)``: an empty dict and MISSING both give
    MISSING to the next get (the frontend freezes ``{}`` as an empty tuple)."""
    ts = list(f.transforms)
    changed = False
    for i in range(len(ts) - 1):
        t = ts[i]
        if t.name == "get" and len(t.args) > 1 and t.args[1] in ((), {}, []) and ts[i + 1].name == "get":
            ts[i] = type(t)("get", (t.args[0],))
            changed = True
    return replace(f, transforms=tuple(ts)) if changed else f


def _plain(name: str) -> bool:
    return bool(re.fullmatch(r"[a-z_][a-z0-9_]*", name))


def _python_on(p: Predicate, raw: Any) -> bool:
    """The reference evaluator's answer for ``p`` when its field's raw value is ``raw``
    (MISSING or None), defaults and transforms included."""
    from ..evaluator import evaluate

    probe_field = replace(p.field, path=("v",), root="event")
    probe = replace(p, field=probe_field)
    event = {} if raw is MISSING else {"v": raw}
    return bool(evaluate(probe, event))
