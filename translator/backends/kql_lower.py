"""Lowering of a canonical detection ``Expr`` into one KQL boolean expression over a Sentinel
table, keeping Python's meaning on every row the table can hold.

How Python states map onto Sentinel values (this is where translators usually go wrong):

* a ``string`` column never holds null: a missing field, JSON null and ``""`` are all ``""``;
* a ``dynamic`` value (a JSON step below a column) is null for a missing key and for JSON null;
* typed scalar columns (bool, number, datetime) are null when the field is missing or null.

So each leaf is lowered in two parts: ``K``, the test for a present value (written with guards
so that it is two-valued, e.g. ``gettype(x) == "string"`` before a substring test on a value
of unknown type), and the answer for the collapsed missing class, which the reference
evaluator computes from the rule itself (defaults and transforms included). When Python
answers differently for states the table cannot tell apart (``exists`` on a string column is
False when missing but True for ``""``), the query follows the missing case and a ``partial``
finding says so.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ..evaluator import evaluate
from ..mapping import EACH, MappingSet, ResolvedField
from ..model import (
    COUNT_OPS, MISSING, All, AnyOf, Const, Count, Field, First, Not, Opaque, Predicate,
    Quantifier, Tally,
)
from ..backends.base import Finding
from .kql_text import (
    Inexpressible, glob_to_re2, identifier, member, number_literal, regex_literal, string_literal,
)
from .sigma_regex import translate as python_regex_to_re2

TARGET = "sentinel"
NUMERIC_TYPES = '("int", "long", "real", "double", "decimal")'
_DYNAMIC_COLUMN_TYPES = ("object", "array", "json", "any", "json-string", "unknown")
# Python kinds (model.JSON_KINDS) as gettype() names a dynamic value's type.
_KUSTO_TYPES = {"str": ("string",), "int": ("int", "long"), "float": ("real", "double", "decimal"),
                "bool": ("bool",), "dict": ("dictionary",), "list": ("array",), "null": ("null",)}
_DECLARED = {"string": "string", "real": "number", "bool": "bool", "datetime": "timestamp"}


@lru_cache(maxsize=64)
def _declared_columns(ms: MappingSet, log_type: str) -> dict:
    """{column: Kusto type} of the log type's table, as the mapping declares it."""
    from .kql import table_schema  # kql.py builds on this module
    return dict(table_schema(ms, log_type)[1])


@dataclass(frozen=True)
class Term:
    """A KQL expression for a (possibly transformed) field value. ``kind``: string (a KQL
    string; the Python value is a str), number, bool, timestamp, or dynamic; ``ptype`` is the
    Panther-side type from the mapping (``unknown`` below free-form JSON)."""

    expr: str
    kind: str
    ptype: str = "unknown"
    guards: tuple = ()
    # After a ``get``/``json`` transform the value itself may be missing or null, which the
    # missing-class probe of the base field does not cover: ``present`` is the KQL test for
    # "not MISSING" then (None when the value is always present).
    maybe_missing: bool = False
    present: str | None = None


@dataclass(frozen=True)
class Slot:
    """Where a field lives: its term, the KQL test for the collapsed missing class, and the
    Python states that class stands for."""

    term: Term
    missing_test: str
    collapsed: tuple  # of "missing" | "null" | "empty"
    path: tuple  # Panther path (for building evaluator probes)
    root: str = "event"


@dataclass
class Quant:
    var: str
    array_expr: str
    hits: str
    count: str
    where: str
    nested: list = field(default_factory=list)  # Quant stages inside this one's subquery

    def stage(self) -> str:
        """``| mv-apply``: per row, count the elements satisfying ``where`` (two-valued
        countif) and the elements in all, whatever the array's length (an empty array still
        yields one summary row)."""
        return "| " + self._operator()

    def _operator(self) -> str:
        ops = [q._operator() for q in self.nested]
        ops.append(f"summarize {self.hits} = countif({self.where}), {self.count} = count()")
        return (f"mv-apply {self.var} = {self.array_expr} to typeof(dynamic) on "
                f"({' | '.join(ops)})")


@dataclass
class FirstQuant(Quant):
    """A ``First``: per row, the index of the first (last) element satisfying ``stop``
    (``hits``) and of the first (last) satisfying ``stop`` and ``where`` (``count``); the
    first stopping element passes ``where`` iff both are the same element. ``with_itemindex``
    numbers the elements in array order, so the answer never rests on row order."""

    stop: str = "false"
    last: bool = False

    @property
    def index(self) -> str:
        return f"{self.var}_i"

    def _operator(self) -> str:
        agg = "maxif" if self.last else "minif"
        ops = [q._operator() for q in self.nested]
        ops.append(f"summarize {self.hits} = {agg}({self.index}, {self.stop}), "
                   f"{self.count} = {agg}({self.index}, ({self.stop}) and ({self.where}))")
        return (f"mv-apply with_itemindex={self.index} {self.var} = {self.array_expr} to "
                f"typeof(dynamic) on ({' | '.join(ops)})")


@dataclass
class Lowering:
    """Result for one log type: quantifier stages (mv-apply) and the where condition."""

    condition: str
    quantifiers: list = field(default_factory=list)
    findings: list = field(default_factory=list)


def _and(parts) -> str:
    parts = [p for p in parts if p != "true"]
    if "false" in parts:
        return "false"
    if not parts:
        return "true"
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def _or(parts) -> str:
    parts = [p for p in parts if p != "false"]
    if "true" in parts:
        return "true"
    if not parts:
        return "false"
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


_NEGATIONS = {"isempty(": "isnotempty(", "isnotempty(": "isempty(", "isnull(": "isnotnull(",
              "isnotnull(": "isnull("}


def _wraps_whole(text: str, opening: int) -> bool:
    """Whether the parenthesis at ``opening`` closes at the last character (string literals,
    regular and verbatim, skipped)."""
    depth, quote, i = 0, "", opening
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == '"':
                quote = ""
        elif ch == '"':
            quote = "@" if i > 0 and text[i - 1] == "@" else '"'
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
        i += 1
    return False


def _not(part: str) -> str:
    if part == "true":
        return "false"
    if part == "false":
        return "true"
    if part.startswith("not(") and _wraps_whole(part, 3):
        return part[4:-1]
    for fn, neg in _NEGATIONS.items():
        if part.startswith(fn) and _wraps_whole(part, len(fn) - 1):
            return neg + part[len(fn):]
    return f"not({part})"


def _probe(path: tuple, value: Any) -> Any:
    """An event (or element) holding ``value`` at ``path``; MISSING -> an empty container."""
    if not path:
        return value
    if value is MISSING:
        return {}
    step, rest = path[0], path[1:]
    inner = _probe(rest, value)
    if isinstance(step, int):
        size = step + 1 if step >= 0 else -step
        items: list = [None] * size
        items[step] = inner
        return items
    return {step: inner}


_STATE_VALUES = {"missing": MISSING, "null": None, "empty": ""}

# Helper functions (``let`` statements at the head of the query), each two-valued on any
# dynamic value. ``__truthy``: Python truthiness of a JSON value. ``__gt``/``__ge``/``__lt``/
# ``__le``: a JSON number (or bool, ordering as 1/0 as in Python) against a number; any other
# value is False (Python raises, the rule does not alert).
HELPERS = {
    "__truthy": ('let __truthy = (v: dynamic) { case(gettype(v) == "string", isnotempty(tostring(v)), '
                 'gettype(v) == "bool", tobool(v), '
                 f"gettype(v) in {NUMERIC_TYPES}, todouble(v) != 0, "
                 'gettype(v) == "array", array_length(v) > 0, '
                 'gettype(v) == "dictionary", tostring(v) != "{}", false) };'),
    **{f"__{op}": (f"let __{op} = (v: dynamic, n: real) {{ (gettype(v) in {NUMERIC_TYPES} and "
                   f'todouble(v) {sym} n) or (gettype(v) == "bool" and toint(tobool(v)) {sym} n) }};')
       for op, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))},
}


class UnmappedColumn(Inexpressible):
    """A field with no column in this log type's Sentinel table (and no fallback spelling the
    mapping file states)."""


class ExprLowerer:
    def __init__(self, mappings: MappingSet, log_type: str, strict: bool = False):
        self.ms = mappings
        self.log_type = log_type
        self.strict = strict
        self.findings: list[Finding] = []
        self.quantifiers: list[Quant] = []
        self._elements: list[tuple] = []  # stack of (var, array path)
        self._counter = 0
        self.columns: dict[str, str] = {}  # every mapped column the query reads -> column type
        # alert columns of a rule over several log types: a data-model field is looked up in
        # each log type's own data model (the frontend resolved it in one of them)
        self.prefer_udm = False
        self.helpers: dict[str, str] = {}  # name -> `let` of the helper functions the text calls
        self._shared_exprs: dict[str, str] = {}  # row-level expression -> its stand-in

    def _shared(self, expr: str) -> str:
        """A stand-in for a row-level expression several tests may read (a parsed JSON text):
        ``resolve_shared`` computes it once in an ``extend`` column when the text reads it
        more than once, else writes it in place. The stand-in holds NUL characters, which no
        KQL literal rulec writes can hold (control characters are refused)."""
        token = self._shared_exprs.get(expr)
        if token is None:
            token = f"\x00{len(self._shared_exprs)}\x00"
            self._shared_exprs[expr] = token
        return token

    def resolve_shared(self, lines: list[str]) -> tuple[list[str], list[str]]:
        """``lines`` with every stand-in resolved, and the names of the columns it added:
        the ``| extend`` lines (one per column, each may read an earlier one) come first."""
        texts = list(lines)
        binds: list[tuple[str, str]] = []  # (name, expr), inner ones first
        # outermost first: an inner stand-in also occurs inside the outer expression
        for expr, token in reversed(list(self._shared_exprs.items())):
            uses = sum(t.count(token) for t in texts) + sum(e.count(token) for _n, e in binds)
            if uses >= 2:
                name = f"__j{token.strip(chr(0))}"
                replacement = name
                binds.insert(0, (name, expr))
            else:
                replacement = expr
            texts = [t.replace(token, replacement) for t in texts]
            binds = [(n, e.replace(token, replacement)) for n, e in binds]
        out = [f"| extend {name} = {expr}" for name, expr in binds] + texts
        if any("\x00" in t for t in out):
            raise AssertionError("an unresolved shared expression in the KQL text")
        return out, [name for name, _e in binds]

    def _helper(self, name: str) -> str:
        """The name of a helper function (``HELPERS``), recorded as used: a test spelled out
        at every use would repeat a long expression per field and outgrow Sentinel's
        10,000-character query limit."""
        self.helpers[name] = HELPERS[name]
        return name

    # ----------------------------------------------------------------- public
    def lower(self, expr) -> Lowering:
        cond = self._expr(expr)
        return Lowering(cond, self.quantifiers, self.findings)

    def note(self, construct: str, reason: str, severity: str = "partial") -> None:
        f = Finding(construct, reason, severity)
        if f not in self.findings:
            self.findings.append(f)

    # ----------------------------------------------------------------- structure
    def _expr(self, e) -> str:
        if isinstance(e, Predicate):
            return self._predicate(e)
        if isinstance(e, All):
            return _and(self._items(e.items, "false"))
        if isinstance(e, AnyOf):
            return _or(self._items(e.items, "true"))
        if isinstance(e, Not):
            return _not(self._expr(e.item))
        if isinstance(e, Const):
            return "true" if e.value else "false"
        if isinstance(e, Quantifier):
            return self._quantifier(e)
        if isinstance(e, First):
            return self._quantifier(e)
        if isinstance(e, Count):
            return self._count(e)
        if isinstance(e, Opaque):
            raise Inexpressible(e.construct, e.reason or "not extracted from the rule")
        raise TypeError(f"not an expression: {e!r}")

    def _items(self, items, absorbing: str) -> list[str]:
        """The items' KQL. An item reading a field this table lacks is dropped when another
        item already decides the whole (``p_log_type == "Okta.SystemLog" and <Okta field>``
        is false on the CloudTrail table); otherwise the rule has no query."""
        parts: list[str] = []
        lacking: UnmappedColumn | None = None
        for x in items:
            try:
                parts.append(self._expr(x))
            except UnmappedColumn as exc:
                lacking = lacking or exc
        if lacking is not None and absorbing not in parts:
            raise lacking
        return [absorbing] if lacking is not None else parts

    def _count(self, c: Count) -> str:
        """Each side is the ``countif`` of an mv-apply stage, as a quantifier's."""
        sides = [self._tally(t) for t in c.tallies]
        right = sides[1] if len(sides) > 1 else str(c.value)
        op = COUNT_OPS[c.op]
        return f"{sides[0]} {op} {right}"

    def _tally(self, t: Tally) -> str:
        if t.distinct is not None:
            # make_set keeps 1, 1.0 and true apart (dynamic values of other types), which
            # Python's dict keys merge, and dcount is an estimate
            raise Inexpressible(f"count of distinct {t.distinct.dotted} values over {t.field}",
                                "KQL has no distinct count that compares values as Python's == does")
        self._quantifier(Quantifier("any", t.field, t.where))
        return self.quantifiers[-1].hits

    def _quantifier(self, q: Quantifier | First) -> str:
        slot = self._slot(q.field)
        if slot.term.kind not in ("dynamic", "string") or q.field.transforms:
            raise Inexpressible(f"quantifier over {q.field}", "the field is not an array column")
        self._counter += 1
        n = self._counter
        var, hits, count = f"__e{n}", f"__hits{n}", f"__n{n}"
        if isinstance(q, First):
            hits, count = f"__stop{n}", f"__then{n}"  # indexes of the first such elements
        # a string column may hold an array as JSON text (legacy _CL tables flatten arrays so);
        # plain text parses to a non-array, which counts as no elements, as in Python
        arr = slot.term.expr if slot.term.kind == "dynamic" else f"parse_json({slot.term.expr})"
        array_expr = f'iff(gettype({arr}) == "array", {arr}, dynamic([]))'
        array_path = self._resolved_path(q.field)
        if q.field.root == "element":
            array_path = self._elements[-1][1] + (EACH,) + array_path
        outer = self.quantifiers
        self.quantifiers = []
        self._elements.append((var, array_path))
        try:
            where = self._expr(q.then if isinstance(q, First) else q.where)
            stop = self._expr(q.stop) if isinstance(q, First) else None
        finally:
            self._elements.pop()
            nested, self.quantifiers = self.quantifiers, outer
        if isinstance(q, First):
            self.quantifiers.append(FirstQuant(var, array_expr, hits, count, where, nested,
                                               stop, q.last))
            return f"(isnotnull({count}) and {hits} == {count})"
        self.quantifiers.append(Quant(var, array_expr, hits, count, where, nested))
        return {"any": f"{hits} > 0", "all": f"{hits} == {count}", "none": f"{hits} == 0",
                "one": f"{hits} == 1"}[q.kind]

    # ----------------------------------------------------------------- fields
    def _resolved_path(self, f: Field) -> tuple:
        """The field's path in this log type, keys in the schema's spelling (Panther looks
        keys up case-insensitively; Sentinel columns and JSON properties are exact)."""
        if f.udm and f.root == "event" and (not f.path or self.prefer_udm):
            found = self.ms.udm_path(self.log_type, f.udm)
            if found is not None:
                return tuple(found)
        if not f.path and f.udm:
            found = self.ms.udm_path(self.log_type, f.udm)
            if found is None:
                raise Inexpressible(f"data-model field {f.udm}",
                                    f"{self.log_type} has no data-model path for it")
            return tuple(found)
        if f.root == "event":
            return self.ms.schema(self.log_type).canonical(tuple(f.path))
        if self._elements:
            array_path = self._elements[-1][1]
            full = self.ms.schema(self.log_type).canonical(array_path + (EACH,) + tuple(f.path))
            return full[len(array_path) + 1:]
        return tuple(f.path)

    def _slot(self, f: Field, fallback: bool = True) -> Slot:
        path = self._resolved_path(f)
        if f.root == "element":
            if not self._elements:
                raise Inexpressible(f"element field {f}", "used outside a quantifier")
            var, array_path = self._elements[-1]
            r = self.ms.resolve(self.log_type, TARGET, array_path + (EACH,) + path)
            ptype = r.type if isinstance(r, ResolvedField) else "unknown"
            expr = var
            for step in path:
                expr = member(expr, step)
            return Slot(Term(expr, "dynamic", ptype), f'gettype({expr}) == "null"',
                        ("missing", "null"), path, "element")
        r = self.ms.resolve(self.log_type, TARGET, path)
        if isinstance(r, ResolvedField) and (r.any_of or r.members or r.column_type == "constant"):
            raise Inexpressible(f"field {f.dotted}", "an indicator union, composite object or "
                                "constant is only lowered for the tests rulec knows on it")
        if not isinstance(r, ResolvedField):
            if r.fallback is not None and not self.strict and fallback and self._documented_fallback():
                self.note(f"unmapped field {f.dotted}", r.message + f"; using {r.fallback.name!r}",
                          "warning")
                r = r.fallback
            else:
                # Without a fallback spelling stated by the mapping file, the default one (the
                # dotted path) names no column of the Sentinel table: a query reading it would
                # not even save in Sentinel (Kusto's unknown-name error), so there is no query.
                raise UnmappedColumn(f"unmapped field {f.dotted or f.udm}",
                                     r.message + "; no column of the Sentinel table holds it")
        return self._slot_of(r, path)

    def _documented_fallback(self) -> bool:
        """Whether the mapping file states where unmapped fields of this log type live on
        Sentinel (its ``fallback`` template, e.g. a column of extra properties)."""
        tm = self.ms.target_mapping(self.log_type, TARGET)
        return bool(tm is not None and tm.fallback)


    def _slot_of(self, r: ResolvedField, path: tuple) -> Slot:
        if not r.is_fallback:
            self.columns.setdefault(r.name, r.column_type)
        col = identifier(r.name)
        ctype = r.column_type
        if ctype == "unknown" and not r.is_fallback:
            # an untyped entry naming a column another entry types (SigninLogs' IPAddress is
            # callerIpAddress's string column): the table has one type for it
            ctype = _DECLARED.get(_declared_columns(self.ms, self.log_type).get(r.name), ctype)
        if not r.steps:
            if ctype in ("string", "ip"):
                return Slot(Term(col, "string", r.type if r.type != "unknown" else "string"),
                            f"isempty({col})", ("missing", "null", "empty"), path)
            if ctype == "number":
                return Slot(Term(col, "number", "number"), f"isnull({col})", ("missing", "null"), path)
            if ctype == "bool":
                return Slot(Term(col, "bool", "bool"), f"isnull({col})", ("missing", "null"), path)
            if ctype == "timestamp":
                return Slot(Term(col, "timestamp", "timestamp"), f"isnull({col})",
                            ("missing", "null"), path)
            if ctype == "json-string":
                expr = f"parse_json({col})"
                return Slot(Term(expr, "dynamic", r.type), f'gettype({expr}) == "null"',
                            ("missing", "null"), path)
            if ctype in _DYNAMIC_COLUMN_TYPES or ctype.endswith("[]"):
                return Slot(Term(col, "dynamic", r.type), f'gettype({col}) == "null"',
                            ("missing", "null"), path)
            raise Inexpressible(f"column {r.name} of type {ctype}", "no KQL lowering for this type")
        expr = f"parse_json({col})" if ctype == "json-string" else col
        for step in r.steps:
            if step.key == EACH:
                raise Inexpressible(f"field {r.name} with an array step",
                                    "a path through every element needs a quantifier")
            expr = member(expr, step.key)
        return Slot(Term(expr, "dynamic", r.type), f'gettype({expr}) == "null"',
                    ("missing", "null"), path)

    # ----------------------------------------------------------------- predicates
    def _predicate(self, p: Predicate) -> str:
        if isinstance(p.value, Field):
            return self._field_eq(p)
        path = self._resolved_path(p.field)
        probe = replace(p, field=replace(p.field, path=path, udm=None))
        if p.field.root == "event" and path and path[0] == "p_log_type":
            # the table already selects the log type: the test is a constant
            return "true" if evaluate(probe, {"p_log_type": self.log_type}) else "false"
        if p.field.root == "event":
            r = self.ms.resolve(self.log_type, TARGET, path)
            if isinstance(r, ResolvedField) and r.column_type == "constant":
                return "true" if evaluate(probe, _probe(path, r.constant)) else "false"
            if isinstance(r, ResolvedField) and r.any_of:
                return self._indicator(p, r)
        slot = self._slot(p.field)
        if p.op == "present" and not p.field.transforms and slot.term.kind == "dynamic" \
                and len(path) > 1 and isinstance(path[-1], str):
            parent = self._slot(replace(p.field, path=path[:-1], transforms=(), udm=None,
                                        default=MISSING, default_on_null=False))
            if parent.term.kind == "dynamic":
                # a key below JSON: Kusto tells an absent key from a null value
                x = parent.term.expr
                return f'(gettype({x}) == "dictionary" and bag_has_key({x}, {string_literal(path[-1])}))'
        term = slot.term
        guards: list[str] = []
        for t in p.field.transforms:
            term, g = self._transform(term, t.name, t.args, p)
            guards.extend(g)
        present = _and(guards + [self._op(term, p)])
        return self._with_missing(slot, p, path, present)

    def _field_eq(self, p: Predicate) -> str:
        """``a == b`` between two fields, compared as text of the same JSON type. Python's
        None == None is True, as Sentinel's "" == "" and null-to-null renderings are; a present
        "" next to a missing field is where they differ (reported)."""
        a, b = p.field, p.value
        if p.op != "eq" or a.transforms or b.transforms or a.default is not MISSING \
                or b.default is not MISSING:
            raise Inexpressible(f"{p.op} of {a} with field {b}",
                                "only plain equality of two fields is lowered for KQL")
        sa, sb = self._slot(a), self._slot(b)
        guards: list[str] = []
        if sa.term.kind == "dynamic" and sb.term.kind == "dynamic":
            guards.append(f"gettype({sa.term.expr}) == gettype({sb.term.expr})")
        va = sa.term.expr if sa.term.kind == "string" else f"tostring({sa.term.expr})"
        vb = sb.term.expr if sb.term.kind == "string" else f"tostring({sb.term.expr})"
        if "empty" in sa.collapsed or "empty" in sb.collapsed:
            self.note(f"{a} == {b}", "Sentinel stores a missing string as \"\": a present empty "
                      "string equals a missing field in the query, not in Python")
        return _and(guards + [f"{va} {'==' if p.case_sensitive else '=~'} {vb}"])

    def _indicator(self, p: Predicate, r: ResolvedField) -> str:
        """``"x" in p_any_*`` on a target without the indicator column: any of the fields the
        indicator gathers holds the value."""
        if p.op != "member" or p.field.transforms or not isinstance(p.value, str) or not p.value:
            raise Inexpressible(f"{p.op} on indicator field {p.field.dotted}",
                                "only membership of a non-empty string is lowered")
        parts = []
        for sub in r.any_of:
            slot = self._slot_of(sub, sub.path)
            parts.append(self._op(slot.term, Predicate(p.field, "eq", p.value, p.case_sensitive)))
        return _or(parts)

    def _with_missing(self, slot: Slot, p: Predicate, path: tuple, present: str) -> str:
        answers = {}
        probe_pred = replace(p, field=replace(p.field, path=path, udm=None))
        for state in slot.collapsed:
            value = _STATE_VALUES[state]
            if slot.root == "element":
                from ..evaluator import _predicate as eval_pred  # element-rooted probe
                answers[state] = eval_pred(probe_pred, {}, _probe(path, value))
            else:
                answers[state] = evaluate(probe_pred, _probe(path, value))
        missing_answer = answers["missing"]
        if len(set(answers.values())) > 1:
            states = ", ".join(f"{s}: {a}" for s, a in answers.items())
            self.note(f"{p.op} on {p.field}",
                      f"Sentinel holds the same value for a missing, null{' and empty' if 'empty' in slot.collapsed else ''} "
                      f"field; Python answers differently ({states}); the query follows the "
                      f"missing case")
        if present in ("true", "false") and (present == "true") == missing_answer:
            return present
        if missing_answer:
            return _or([slot.missing_test, present])
        if self._false_when_missing(slot, p, present):
            return present
        return _and([_not(slot.missing_test), present])

    @staticmethod
    def _false_when_missing(slot: Slot, p: Predicate, present: str) -> bool:
        """Whether ``present`` is already False on the collapsed value (so no extra test is
        needed): plain string tests with a non-empty operand on an untransformed column."""
        x = slot.term.expr
        if slot.term.kind == "dynamic" and present.startswith(f'(gettype({x}) == "string" and ') \
                and _wraps_whole(present, 0):
            # the first test reads the field's own value (before any transform): gettype(null)
            # is "null", so the whole test is False on null whatever follows
            return True
        if p.field.transforms or slot.term.kind not in ("string", "dynamic"):
            return False
        # truthiness and number ordering are False on "" / null (helpers: two-valued)
        if present in (f"isnotempty({x})", f"__truthy({x})") or (
                p.op in ("gt", "ge", "lt", "le") and present.startswith(f"__{p.op}({x}, ")):
            return True
        if slot.term.kind == "dynamic":
            if p.op in ("eq", "in") and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                            for v in (p.value if p.op == "in" else (p.value,))):
                return True
        if p.op in ("eq", "contains", "startswith", "endswith"):
            vals = p.value if isinstance(p.value, (tuple, list)) else (p.value,)
            return all(isinstance(v, str) and v for v in vals)
        if p.op == "in":
            return isinstance(p.value, (tuple, list)) and all(isinstance(v, str) and v for v in p.value)
        if p.op == "regex" and slot.term.kind == "string" and isinstance(p.value, str):
            # RE2 and Python agree on whether a supported pattern matches the empty string
            import re
            try:
                return re.search(p.value, "") is None
            except re.error:
                return False
        return False

    # ----------------------------------------------------------------- transforms
    def _transform(self, term: Term, name: str, args: tuple, p: Predicate) -> tuple[Term, list]:
        guards: list[str] = []

        def as_string(t: Term) -> str:
            if t.kind == "string":
                return t.expr
            if t.kind == "dynamic":
                if t.ptype != "string":
                    guards.append(f'gettype({t.expr}) == "string"')
                return f"tostring({t.expr})"
            raise Inexpressible(f"{name}() on a {t.kind} value", "Python raises: str method on non-str")

        if name in ("lower", "upper"):
            fn = "tolower" if name == "lower" else "toupper"
            return Term(f"{fn}({as_string(term)})", "string", "string"), guards
        if name in ("strip", "lstrip", "rstrip") and not args:
            fn = {"strip": "trim", "lstrip": "trim_start", "rstrip": "trim_end"}[name]
            self.note(f"{name}()", r"Python strips Unicode whitespace; KQL trims the RE2 \s set",
                      "warning")
            return Term(f'{fn}(@"\\s+", {as_string(term)})', "string", "string"), guards
        if name == "split" and len(args) >= 2 and isinstance(args[0], str) and args[0] \
                and isinstance(args[1], int) and len(args) == 2:
            s = as_string(term)
            parts = f"split({s}, {string_literal(args[0])})"
            idx = args[1]
            need = idx + 1 if idx >= 0 else -idx
            guards.append(f"array_length({parts}) >= {need}")
            return Term(f"tostring({parts}[{idx}])", "string", "string"), guards
        if name == "split" and len(args) == 1 and isinstance(args[0], str) and args[0]:
            return Term(f"split({as_string(term)}, {string_literal(args[0])})", "dynamic",
                        "string[]"), guards
        if name == "index" and len(args) == 1 and isinstance(args[0], int):
            if term.kind != "dynamic":
                raise Inexpressible(f"index of a {term.kind} value", "not lowered")
            idx = args[0]
            guards.append(f'gettype({term.expr}) == "array"')
            guards.append(f"array_length({term.expr}) >= {idx + 1 if idx >= 0 else -idx}")
            elem = "string" if term.ptype == "string[]" else "unknown"
            return Term(f"{term.expr}[{idx}]", "dynamic", elem), guards
        if name == "len":
            if term.kind == "string":
                return Term(f"strlen({term.expr})", "number", "number"), guards
            if term.kind == "dynamic" and (term.ptype.endswith("[]") or term.ptype == "array"):
                guards.append(f'gettype({term.expr}) == "array"')
                return Term(f"array_length({term.expr})", "number", "number"), guards
            if term.kind == "dynamic":
                x = term.expr
                guards.append(f'gettype({x}) in ("string", "array", "dictionary")')
                return Term(f'case(gettype({x}) == "string", strlen(tostring({x})), '
                            f'gettype({x}) == "array", array_length({x}), '
                            f"array_length(bag_keys({x})))", "number", "number"), guards
            raise Inexpressible(f"len() of a {term.kind} value", "Python raises")
        if name == "json":
            parsed = f"parse_json({as_string(term)})"
            if p.field.root == "event":
                parsed = self._shared(parsed)
            return Term(parsed, "dynamic", "unknown", maybe_missing=True), guards
        if name == "get" and args and isinstance(args[0], str):
            return self._get(term, args), guards
        if name == "int" and not args:
            if term.kind == "number":
                return Term(f"tolong({term.expr})", "number", "number"), guards
            if term.kind == "dynamic" and term.ptype != "string":
                # Python's int() of a JSON value: bools and numbers (truncated), digit text
                x = term.expr
                value = (f'case(gettype({x}) == "bool", tolong(iff(tobool({x}), 1, 0)), '
                         f"gettype({x}) in {NUMERIC_TYPES}, tolong({x}), "
                         f'gettype({x}) == "string" and tostring({x}) matches regex '
                         rf'@"\A\s*[+-]?[0-9]+\s*\z", tolong(trim(@"\s+", tostring({x}))), '
                         f"long(null))")
                guards.append(f"isnotnull({value})")
                return Term(value, "number", "number"), guards
            s = as_string(term)
            guards.append(f'{s} matches regex @"\\A\\s*[+-]?[0-9]+\\s*\\z"')
            return Term(f'tolong(trim(@"\\s+", {s}))', "number", "number"), guards
        if name == "str":
            return self._str(term, guards), guards
        raise Inexpressible(f"transform {name}{args if args else ''}",
                            "no KQL lowering with Python's meaning")

    def _str(self, term: Term, guards: list) -> Term:
        """Python's ``str(value)`` for a present value. Integers and text render alike in KQL;
        booleans are spelled True/False; a float, list or object renders differently from
        Python's repr, so such values are excluded (reported)."""
        x = term.expr
        if term.kind == "string":
            return term
        if term.kind == "bool":
            return Term(f'iff({x}, "True", "False")', "string", "string")
        if term.kind == "number":
            # Sentinel stores numbers as real; integral values print like Python ints
            guards.append(f"{x} == floor({x}, 1)")
            return Term(f"tostring(tolong({x}))", "string", "string")
        if term.kind == "dynamic":
            if term.ptype not in ("string", "number", "bool"):
                self.note("str() of a JSON value", "Python's repr of a float, list or object "
                          "differs from KQL's text; such values never match in the query")
            guards.append(f'gettype({x}) in ("string", "bool", "int", "long")')
            return Term(f'iff(gettype({x}) == "bool", iff(tobool({x}), "True", "False"), '
                        f"tostring({x}))", "string", "string")
        raise Inexpressible(f"str() of a {term.kind} value", "no KQL text with Python's spelling")

    def _get(self, term: Term, args: tuple) -> Term:
        """Python ``dict.get(key[, default])`` on a parsed JSON value (exact key, as Kusto's
        property access); ``args[2]`` true: the default also replaces null (deep_get)."""
        key = args[0]
        if term.kind != "dynamic":
            # not an object: Python's get yields the default (or MISSING)
            if len(args) > 1:
                return Term(_dynamic_literal(args[1]), "dynamic", "unknown", maybe_missing=args[1] is None)
            return Term("dynamic(null)", "dynamic", "unknown", maybe_missing=True, present="false")
        x = term.expr
        value = member(x, key)
        has_key = f'(gettype({x}) == "dictionary" and bag_has_key({x}, {string_literal(key)}))'
        if len(args) == 1:
            return Term(value, "dynamic", "unknown", maybe_missing=True, present=has_key)
        default = _dynamic_literal(args[1])
        on_null = len(args) > 2 and bool(args[2])
        if on_null:
            expr = f'iff(gettype({value}) == "null", {default}, {value})'
        else:
            expr = f"iff({has_key}, {value}, {default})"
        return Term(expr, "dynamic", "unknown", maybe_missing=args[1] is None)

    # ----------------------------------------------------------------- operators
    def _string_view(self, t: Term, guards: list, operands=None) -> str:
        """The value as KQL text, adding a type guard when a non-string JSON value could
        render as text that the test would accept."""
        if t.kind == "string":
            return t.expr
        if t.kind != "dynamic":
            return ""
        if t.ptype != "string" and not (operands is not None and all(_plainly_text(o) for o in operands)):
            guards.append(f'gettype({t.expr}) == "string"')
        return f"tostring({t.expr})"

    def _op(self, t: Term, p: Predicate) -> str:
        op, v, cs = p.op, p.value, p.case_sensitive
        if not cs and op in ("eq", "in", "contains", "startswith", "endswith", "glob", "gt",
                             "ge", "lt", "le", "member"):
            v = _fold(v)
        if t.maybe_missing:
            if op == "present":
                return t.present or f'gettype({t.expr}) != "null"'
            if op == "exists":
                return f'gettype({t.expr}) != "null"'
            if op == "null":
                return f'gettype({t.expr}) == "null"'
        if op in ("exists", "present"):
            return "true"
        if op == "null":
            return "false"
        if op == "truthy":
            return self._truthy(t)
        if op == "eq":
            return self._eq(t, v, cs)
        if op == "in":
            if not isinstance(v, (tuple, list)):
                return "false"
            return self._in(t, tuple(v), cs)
        if op in ("contains", "startswith", "endswith"):
            return self._substring(t, op, v, cs)
        if op == "regex":
            return self._regex(t, p)
        if op == "glob":
            if not isinstance(v, str):
                return "false"
            g: list[str] = []
            s = self._string_view(t, g)
            if not s:
                return "false"
            pattern = glob_to_re2(v)
            if not cs:
                s = f"tolower({s})"
            return _and(g + [f"{s} matches regex {regex_literal(pattern)}"])
        if op in ("gt", "ge", "lt", "le"):
            return self._compare(t, op, v)
        if op == "member":
            return self._member(t, v, cs)
        if op in ("cidr", "is_ip", "is_ipv4", "is_ipv6", "ip_private", "ip_public"):
            return self._ip(t, op, v)
        if op == "is_type":
            return self._is_type(t, tuple(v or ()))
        raise Inexpressible(f"operator {op}", "no KQL lowering")

    @staticmethod
    def _is_type(t: Term, kinds: tuple) -> str:
        """Python's kind of a present value: gettype() of a dynamic value; a typed column's
        type decides it, except int vs float of a number column (not kept by the column)."""
        if t.kind == "dynamic":
            names = [n for k in kinds for n in _KUSTO_TYPES[k]]
            return f"gettype({t.expr}) in ({', '.join(string_literal(n) for n in names)})" if names else "false"
        python_kind = {"string": "str", "timestamp": "str", "bool": "bool"}.get(t.kind)
        if t.kind == "number" and ("int" in kinds) == ("float" in kinds):
            python_kind = "int" if "int" in kinds else "float"
        if python_kind is None:
            raise Inexpressible("operator is_type", f"the kind of a {t.kind} value ({t.ptype}) "
                                "is not kept by the column (int vs float)")
        return "true" if python_kind in kinds else "false"

    def _truthy(self, t: Term) -> str:
        x = t.expr
        if t.kind == "string":
            return f"isnotempty({x})"
        if t.kind == "number":
            return f"({x} != 0)"
        if t.kind == "bool":
            return f"({x} == true)"
        if t.kind == "timestamp":
            return "true"
        return f"{self._helper('__truthy')}({x})"

    def _eq(self, t: Term, v: Any, cs: bool) -> str:
        x = t.expr
        if v is None:
            return f'gettype({x}) == "null"' if t.kind == "dynamic" else "false"
        if isinstance(v, bool):
            if t.kind == "bool":
                return f"({x} == {number_literal(v)})"
            if t.kind == "number":
                return f"({x} == {int(v)})"
            if t.kind == "dynamic":
                return (f'((gettype({x}) == "bool" and tobool({x}) == {number_literal(v)}) or '
                        f"(gettype({x}) in {NUMERIC_TYPES} and todouble({x}) == {int(v)}))")
            return "false"
        if isinstance(v, (int, float)):
            lit = number_literal(v)
            if t.kind == "number":
                return f"({x} == {lit})"
            if t.kind == "bool":
                return f"({x} == {number_literal(bool(v))})" if v in (0, 1) else "false"
            if t.kind == "dynamic":
                parts = [f"(gettype({x}) in {NUMERIC_TYPES} and todouble({x}) == {lit})"]
                if v in (0, 1):
                    parts.append(f'(gettype({x}) == "bool" and tobool({x}) == {number_literal(bool(v))})')
                return _or(parts)
            return "false"
        if isinstance(v, str):
            g: list[str] = []
            s = self._string_view(t, g, (v,))
            if not s:
                return "false"
            return _and(g + [f"{s} {'==' if cs else '=~'} {string_literal(v)}"])
        raise Inexpressible(f"comparison with {type(v).__name__} value", "no KQL literal for it")

    def _in(self, t: Term, values: tuple, cs: bool) -> str:
        strs = [v for v in values if isinstance(v, str)]
        others = [v for v in values if not isinstance(v, str)]
        parts = []
        if strs:
            g: list[str] = []
            s = self._string_view(t, g, strs)
            if s:
                uniq = list(dict.fromkeys(strs))
                if len(uniq) == 1:
                    test = f"{s} {'==' if cs else '=~'} {string_literal(uniq[0])}"
                else:
                    test = f"{s} {'in' if cs else 'in~'} ({', '.join(string_literal(u) for u in uniq)})"
                parts.append(_and(g + [test]))
        for v in others:
            parts.append(self._eq(t, v, cs))
        return _or(parts)

    def _substring(self, t: Term, op: str, v: Any, cs: bool) -> str:
        operands = v if isinstance(v, (tuple, list)) and op != "contains" else (v,)
        if not all(isinstance(o, str) for o in operands):
            return "false"  # Python raises on a non-str operand
        g: list[str] = []
        s = self._string_view(t, g)
        if not s:
            return "false"
        kql_op = {"contains": "contains", "startswith": "startswith", "endswith": "endswith"}[op]
        if cs:
            kql_op += "_cs"
        return _and(g + [_or([f"{s} {kql_op} {string_literal(o)}" for o in operands])])

    def _regex(self, t: Term, p: Predicate) -> str:
        if not isinstance(p.value, str):
            return "false"
        pattern = p.value if p.case_sensitive else p.value.lower()  # the evaluator folds both
        rx = python_regex_to_re2(pattern, tuple(p.flags), True)
        if rx.problem:
            raise Inexpressible(rx.problem, "RE2 (KQL's regex engine) has no equivalent")
        for w in rx.warnings:
            self.note(f"regex {p.value!r}", w, "warning")
        re2 = (f"(?{''.join(rx.modifiers)})" if rx.modifiers else "") + rx.pattern
        g: list[str] = []
        s = self._string_view(t, g)
        if not s:
            return "false"
        if not p.case_sensitive:
            s = f"tolower({s})"
        return _and(g + [f"{s} matches regex {regex_literal(re2)}"])

    def _compare(self, t: Term, op: str, v: Any) -> str:
        sym = COUNT_OPS[op]
        x = t.expr
        if isinstance(v, bool) or v is None:
            raise Inexpressible(f"ordering against {v!r}", "not lowered")
        if isinstance(v, (int, float)):
            lit = number_literal(v)
            if t.kind == "number":
                return f"({x} {sym} {lit})"
            if t.kind == "bool":
                return f"(toint({x}) {sym} {lit})"
            if t.kind == "dynamic":
                # JSON true/false order as 1/0, as in Python (and Panther's operators)
                return f"{self._helper('__' + op)}({x}, {lit})"
            return "false"
        if isinstance(v, str):
            g: list[str] = []
            s = self._string_view(t, g)
            if not s:
                return "false"
            return _and(g + [f"(strcmp({s}, {string_literal(v)}) {sym} 0)"])
        raise Inexpressible(f"ordering against {type(v).__name__}", "not lowered")

    def _member(self, t: Term, v: Any, cs: bool) -> str:
        if t.kind not in ("dynamic", "string"):
            return "false"
        # a string column may hold the list as JSON text (legacy _CL); plain text is no array
        x = t.expr if t.kind == "dynamic" else f"parse_json({t.expr})"
        if isinstance(v, str) and not cs:
            raise Inexpressible("case-insensitive membership in an array",
                                "needs a per-element test; write it as a quantifier")
        if isinstance(v, str):
            lit = string_literal(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            lit = number_literal(v)
        else:
            raise Inexpressible(f"membership of {v!r}", "not lowered")
        return f'(gettype({x}) == "array" and set_has_element({x}, {lit}))'

    def _ip(self, t: Term, op: str, v: Any) -> str:
        g: list[str] = []
        s = self._string_view(t, g)
        if not s:
            return "false"
        s = f'trim(@"\\s+", {s})'
        is_v4 = f"{s} matches regex {regex_literal(_IPV4_RE)}"
        is_v6 = f'({s} contains ":" and isnotnull(parse_ipv6({s})))'
        if op == "is_ip":
            return _and(g + [_or([is_v4, is_v6])])
        if op == "is_ipv4":
            return _and(g + [is_v4])
        if op == "is_ipv6":
            return _and(g + [is_v6])
        if op == "cidr":
            nets = v if isinstance(v, (tuple, list)) else (v,)
            networks = [ipaddress.ip_network(n, strict=False) for n in nets]
        else:
            networks = _python_private_networks()
        v4 = [n for n in networks if n.version == 4]
        v6 = [n for n in networks if n.version == 6]
        parts = []
        if v4:
            parts.append(_and([is_v4, _or([f'ipv4_is_in_range({s}, "{n}")' for n in v4])]))
        if v6:
            parts.append(_and([is_v6, _or([f'ipv6_is_in_range({s}, "{n}")' for n in v6])]))
        inside = _or(parts)
        if op == "ip_public":
            extra = [f'ipv4_is_in_range({s}, "{n}")' for n in _python_not_global_extra()]
            inside = _not(_or([inside] + [_and([is_v4, e]) for e in extra]))
            return _and(g + [_or([is_v4, is_v6]), inside])
        return _and(g + [inside])


_IPV4_RE = r"\A(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\z"


def _python_private_networks() -> list:
    """The networks this Python's ``ipaddress`` calls private (they change across versions)."""
    from ipaddress import _IPv4Constants, _IPv6Constants  # noqa: the list is_private reads
    return list(_IPv4Constants._private_networks) + list(_IPv6Constants._private_networks)


def _python_not_global_extra() -> list:
    """IPv4 networks that are neither private nor global (is_global excludes them)."""
    return [ipaddress.ip_network("100.64.0.0/10")]


def _dynamic_literal(v: Any) -> str:
    if v is None:
        return "dynamic(null)"
    if isinstance(v, str):
        return f"dynamic({string_literal(v)})"
    if isinstance(v, (bool, int, float)):
        return f"dynamic({number_literal(v)})"
    raise Inexpressible(f"default {v!r}", "only scalar defaults are lowered")


def _fold(v: Any) -> Any:
    if isinstance(v, str):
        return v.lower()
    if isinstance(v, (tuple, list)):
        return tuple(_fold(x) for x in v)
    return v


def _plainly_text(v: Any) -> bool:
    """True when no non-string JSON value renders (via tostring) as ``v``: then an equality
    test on the rendering needs no type guard."""
    if not isinstance(v, str) or not v or v[0] in "[{" or v.strip() != v:
        return False
    if v.lower() in ("true", "false", "null", "nan", "inf", "-inf", "infinity", "-infinity"):
        return False
    try:
        float(v)
        return False
    except ValueError:
        pass
    return not all(c in "0123456789.eE+-_" for c in v)
