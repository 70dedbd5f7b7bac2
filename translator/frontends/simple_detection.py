"""Panther simple detections (YAML match expressions) lowered into the canonical model.

Covers the match-expression grammar of Panther's analysis schema (panther-analysis
``.vscode/schemas/analysis_config_schema.json``) and the documented conditions:

* key specifiers ``Key`` (one top-level key, dots are literal), ``DeepKey`` (list of keys and
  indexes), ``KeyPath`` (``a.b``, ``a[0]``, ``a[*].b``) and ``Enrichment`` (a lookup-table
  row, read where Panther puts it: ``p_enrichment.<Table>.<Selector>.<FieldPath>``);
* key/value, key/values (``IsIn``/``IsNotIn``), multi-key (``Values: [{KeyPath}, {KeyPath}]``),
  list comprehension (``AnyElement``/``AllElements``/``OnlyOneElement``/``NoElement`` with
  ``Expressions`` relative to the element), existence and absolute (``AlwaysTrue``) expressions;
* combinators ``All``/``Any``/``OnlyOne``/``None``; a list of expressions means ``All``.

Semantics chosen (Panther transpiles these to Python server-side; the transpiler is not public):

* A ``DoesNot``/``Not`` condition is the negation of its positive form, so it is True on a
  missing or null key (``DoesNotEqual`` on a missing key matches).
* A ``[*]`` step means "some element": ``a[*].b Equals x`` is true when any element's ``b`` is
  ``x``; a negated condition negates that (no element's ``b`` is ``x``).
* ``IsNull``/``DoesNotExist`` hold for a missing or null key; ``Exists``/``IsNotNull`` for a
  present, non-null one (Python's ``deep_get`` cannot tell missing from null). Over ``[*]``,
  ``DoesNotExist`` is "no element has it" and ``IsNotNull`` "no element lacks it".
* ``IsNullOrEmpty``: missing, null, or a value of length 0 (``""``, ``[]``, ``{}``).
* Inline filters: documented to *pass* when the event lacks the key; otherwise they mean what the
  same condition means in a detection (null fails positive comparators, passes negated ones).

Every malformed expression raises :class:`SimpleDetectionError` naming its YAML path
(``Detection[2].Condition: unknown condition 'Equal' (did you mean 'Equals'?)``) and, when the
document carries line numbers (``LineDict`` from the loader), the line.
"""
from __future__ import annotations

import datetime
import difflib
import ipaddress
import re
from typing import Any, Callable

from ..model import (
    FALSE, SEVERITIES, TRUE, All, AnyOf, DynamicSeverity, Field, Not, Predicate, Quantifier,
    Template, Transform,
)

__all__ = [
    "SimpleDetectionError", "lower_detection", "lower_inline_filters", "lower_match_expressions",
    "lower_alert_title", "lower_alert_context", "lower_group_by", "lower_dynamic_severities",
    "parse_key_path", "CONDITIONS", "INLINE_FILTER_CONDITIONS", "lower_rule_keys",
]


class SimpleDetectionError(ValueError):
    """A malformed simple detection: ``where`` is the YAML path, ``line`` the 1-based line."""

    def __init__(self, where: str, message: str, line: int | None = None):
        self.where, self.message, self.line = where, message, line
        super().__init__(f"{where}: {message}" if where else message)


class _Wildcard:
    def __repr__(self) -> str:
        return "[*]"


WILDCARD: Any = _Wildcard()

# --------------------------------------------------------------------------- conditions
# name -> (operand kind, model op, negated, case_sensitive)
# operand kinds: "any" scalar, "str", "num", "cidr", "list" (Values), "none" (no operand)
_SCALAR = {
    "Equals": ("any", "eq", False, True),
    "DoesNotEqual": ("any", "eq", True, True),
    "IEquals": ("any", "eq", False, False),
    "IDoesNotEqual": ("any", "eq", True, False),
    "IsGreaterThan": ("num", "gt", False, True),
    "IsGreaterThanOrEqual": ("num", "ge", False, True),
    "IsLessThan": ("num", "lt", False, True),
    "IsLessThanOrEqual": ("num", "le", False, True),
    "IsIPAddressInCIDR": ("cidr", "cidr", False, True),
    "IsIPAddressNotInCIDR": ("cidr", "cidr", True, True),
    # the Value (a CIDR) contains one of the event's addresses (a list): Panther's filter
    # operator contains_ip (panther-core) - null/missing is no match, any element in the block
    "CIDRContainsIPAddresses": ("cidr", "cidr_contains", False, True),
    "CIDRDoesNotContainIPAddresses": ("cidr", "cidr_contains", True, True),
    "IsIn": ("list", "in", False, True),
    "IsNotIn": ("list", "in", True, True),
    "Exists": ("none", "exists", False, True),
    "DoesNotExist": ("none", "exists", True, True),
    "IsNull": ("none", "null", False, True),
    "IsNotNull": ("none", "null", True, True),
    "IsNullOrEmpty": ("none", "null_or_empty", False, True),
    "IsNotNullOrEmpty": ("none", "null_or_empty", True, True),
    "IsIPAddress": ("none", "is_ip", False, True),
    "IsIPv4Address": ("none", "is_ipv4", False, True),
    "IsIPv6Address": ("none", "is_ipv6", False, True),
    "IsIPAddressPublic": ("none", "ip_public", False, True),
    "IsIPAddressPrivate": ("none", "ip_private", False, True),
}
for _name, _op in (("Contains", "contains"), ("StartsWith", "startswith"),
                   ("EndsWith", "endswith")):
    _neg = "DoesNot" + {"Contains": "Contain", "StartsWith": "StartWith",
                        "EndsWith": "EndWith"}[_name]
    _SCALAR[_name] = ("str", _op, False, True)
    _SCALAR[_neg] = ("str", _op, True, True)
    _SCALAR["I" + _name] = ("str", _op, False, False)
    _SCALAR["I" + _neg] = ("str", _op, True, False)
# Panther's inline-filter list spells the inclusive comparisons with a trailing "s".
_ALIASES = {"IsGreaterThanOrEquals": "IsGreaterThanOrEqual",
            "IsLessThanOrEquals": "IsLessThanOrEqual"}
_QUANTIFIERS = {"AnyElement": "any", "AllElements": "all", "OnlyOneElement": "one",
                "NoElement": "none"}
_ABSOLUTE = {"AlwaysTrue": TRUE, "AlwaysFalse": FALSE}
CONDITIONS = tuple(_SCALAR) + tuple(_ALIASES) + tuple(_QUANTIFIERS) + tuple(_ABSOLUTE)
# The conditions Panther lists for InlineFilters.
INLINE_FILTER_CONDITIONS = (
    "Equals", "DoesNotEqual", "IsGreaterThan", "IsGreaterThanOrEqual", "IsGreaterThanOrEquals",
    "IsLessThan", "IsLessThanOrEqual", "IsLessThanOrEquals", "Contains", "DoesNotContain",
    "StartsWith", "EndsWith", "IsIPAddressInCIDR", "IsIPAddressNotInCIDR", "IsIn", "IsNotIn",
    "IsIPAddressPublic", "IsIPAddressPrivate", "IsNullOrEmpty", "IsNotNullOrEmpty",
    "CIDRContainsIPAddresses", "CIDRDoesNotContainIPAddresses",
)
_MULTI_KEY_KINDS = ("any", "str", "num")
_DUAL = {"exists": "null", "null": "exists"}
_COMBINATORS = ("All", "Any", "OnlyOne", "None")
_KEY_SPECS = ("Key", "DeepKey", "KeyPath")


# --------------------------------------------------------------------------- context
class _Ctx:
    """Where we are in the YAML (path text and nearest line) and which grammar applies."""

    def __init__(self, where: str, line: int | None, inline: bool = False, root: str = "event"):
        self.where, self.line, self.inline, self.root = where, line, inline, root

    def at(self, step: str | int, node: Any = None) -> "_Ctx":
        where = f"{self.where}[{step}]" if isinstance(step, int) else \
            (f"{self.where}.{step}" if self.where else step)
        return _Ctx(where, _line_of(node) or self.line, self.inline, self.root)

    def key(self, node: Any, key: str) -> "_Ctx":
        line = getattr(node, "key_lines", {}).get(key) if node is not None else None
        c = self.at(key)
        c.line = line or _line_of(node) or self.line
        return c

    def error(self, message: str) -> SimpleDetectionError:
        return SimpleDetectionError(self.where, message, self.line)


def _line_of(node: Any) -> int | None:
    return getattr(node, "line", None) or None


def _type_name(v: Any) -> str:
    return "null" if v is None else {"str": "string", "int": "integer", "float": "number",
                                      "bool": "boolean", "list": "list",
                                      "dict": "mapping"}.get(type(v).__name__, type(v).__name__)


# --------------------------------------------------------------------------- key specifiers
_PATH_TOKEN = re.compile(r"\[(\*|-?\d+)\]|([^.\[\]]+)|(\.)")


def parse_key_path(text: str) -> list:
    """``a.b[0].c[*]`` -> ``["a", "b", 0, "c", WILDCARD]``. Raises ValueError when malformed."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a KeyPath must be a non-empty string")
    steps: list = []
    pos, expect_key = 0, True
    while pos < len(text):
        m = _PATH_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"bad KeyPath {text!r} at character {pos + 1}")
        index, key, dot = m.groups()
        if dot:
            if expect_key:
                raise ValueError(f"bad KeyPath {text!r}: empty key at character {pos + 1}")
            expect_key = True
        elif key is not None:
            if not expect_key:
                raise ValueError(f"bad KeyPath {text!r}: missing '.' before {key!r}")
            steps.append(key.strip())
            expect_key = False
        else:
            if not steps:
                raise ValueError(f"bad KeyPath {text!r}: an index needs a key before it")
            if expect_key:
                raise ValueError(f"bad KeyPath {text!r}: empty key at character {pos + 1}")
            steps.append(WILDCARD if index == "*" else int(index))
        pos = m.end()
    if expect_key:
        raise ValueError(f"bad KeyPath {text!r}: ends with '.'")
    return steps


def _enrichment_steps(raw: Any, ctx: _Ctx) -> list:
    """Lookup-table enrichment: Panther puts the matching row at
    ``p_enrichment.<Table>.<Selector>`` of the event before detections run."""
    if not isinstance(raw, dict):
        raise ctx.error(f"Enrichment must be a mapping with Table, Selector and FieldPath, got "
                        f"{_type_name(raw)}")
    _check_keys(raw, ctx, {"Table", "Selector", "FieldPath"})
    for key in ("Table", "Selector", "FieldPath"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ctx.error(f"Enrichment needs a non-empty string {key}")
    try:
        path = parse_key_path(raw["FieldPath"])
    except ValueError as exc:
        raise ctx.key(raw, "FieldPath").error(str(exc)) from None
    return ["p_enrichment", raw["Table"], raw["Selector"], *path]


def _key_steps(node: dict, ctx: _Ctx, allowed: tuple = _KEY_SPECS) -> list | None:
    """The path steps of the one key specifier in ``node`` (None when it has none)."""
    present = [k for k in _KEY_SPECS + ("Enrichment",) if k in node]
    if not present:
        return None
    if len(present) > 1:
        raise ctx.error(f"give one key specifier, not {' and '.join(present)}")
    spec = present[0]
    kctx = ctx.key(node, spec)
    if spec == "Enrichment":
        return _enrichment_steps(node[spec], kctx)
    if spec not in allowed:
        raise kctx.error(f"{spec} is not allowed here (use {' or '.join(allowed)})")
    value = node[spec]
    if spec == "Key":
        if not isinstance(value, str) or not value:
            raise kctx.error(f"Key must be a non-empty string, got {_type_name(value)}")
        return [value]
    if spec == "DeepKey":
        if not isinstance(value, list) or not value:
            raise kctx.error(f"DeepKey must be a non-empty list of keys, got {_type_name(value)}")
        for i, step in enumerate(value):
            if isinstance(step, bool) or not isinstance(step, (str, int)) or step == "":
                raise kctx.at(i).error(f"DeepKey steps must be strings or integers, got "
                                       f"{step!r}")
        return list(value)
    try:
        return parse_key_path(value)
    except ValueError as exc:
        raise kctx.error(str(exc)) from None


def _on_path(steps: list, root: str, build: Callable[[Field], Any]) -> Any:
    """``build`` applied to the field at ``steps``; each ``[*]`` becomes an "any" Quantifier
    whose body is rooted at the element."""
    for i, step in enumerate(steps):
        if step is WILDCARD:
            inner = _on_path(steps[i + 1:], "element", build)
            return Quantifier("any", Field(tuple(steps[:i]), root=root), inner)
    return build(Field(tuple(steps), root=root))


def _plain_field(steps: list, root: str = "event") -> Field:
    """A Field for output (title, context, group-by): ``a[*].b`` reads as ``pluck`` of ``b``
    over the list ``a`` (flattened over further ``[*]``)."""
    for i, step in enumerate(steps):
        if step is WILDCARD:
            rest = tuple("*" if s is WILDCARD else s for s in steps[i + 1:])
            return Field(tuple(steps[:i]), root=root, transforms=(Transform("pluck", rest),))
    return Field(tuple(steps), root=root)


# --------------------------------------------------------------------------- operands
def _scalar(value: Any, ctx: _Ctx, kind: str, condition: str) -> Any:
    if isinstance(value, datetime.datetime):
        raise ctx.error(f"{condition}: the Value was read as a timestamp; quote it")
    if isinstance(value, datetime.date):
        value = value.isoformat()  # YAML 1.1 reads 2024-01-02 as a date; Panther sees text
    if kind == "str":
        if not isinstance(value, str):
            raise ctx.error(f"{condition} needs a string Value, got {_type_name(value)} "
                            f"{value!r}")
        return value
    if kind == "num":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.error(f"{condition} needs a number Value, got {_type_name(value)} "
                            f"{value!r}")
        return value
    if kind == "cidr":
        if not isinstance(value, str):
            raise ctx.error(f"{condition} needs a CIDR string Value, got {_type_name(value)}")
        try:
            ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ctx.error(f"{condition}: {value!r} is not an IP network (CIDR)") from None
        return (value.strip(),)
    if value is None or not isinstance(value, (str, int, float, bool)):
        raise ctx.error(f"{condition} needs a string, number or boolean Value, got "
                        f"{_type_name(value)}")
    return value


def _predicate(field: Field, op: str, value: Any, negated: bool, case_sensitive: bool) -> Any:
    if op == "null_or_empty":
        pred: Any = AnyOf((Predicate(field, "null"),
                           Predicate(field.with_transform("len"), "eq", 0)))
    elif op == "cidr_contains":
        # an element that is itself a CIDR block is tested for inclusion in Value (Panther's
        # operator asks for overlap: the same for addresses, which the condition names)
        pred = Quantifier("any", field, Predicate(Field((), root="element"), "cidr", value))
    else:
        pred = Predicate(field, op, value if op not in (
            "exists", "null", "is_ip", "is_ipv4", "is_ipv6", "ip_public", "ip_private") else None,
            case_sensitive=case_sensitive)
    return Not(pred) if negated else pred


def _inline_guard(steps: list, expr: Any) -> Any:
    """Inline filters pass when the event lacks the key."""
    prefix = steps[:next((i for i, s in enumerate(steps) if s is WILDCARD), len(steps))]
    return AnyOf((Not(Predicate(Field(tuple(prefix)), "present")), expr))


# --------------------------------------------------------------------------- expressions
def _condition_name(node: dict, ctx: _Ctx) -> str:
    if "Condition" not in node:
        raise ctx.error("missing Condition")
    cond = node["Condition"]
    cctx = ctx.key(node, "Condition")
    if not isinstance(cond, str):
        raise cctx.error(f"Condition must be a string, got {_type_name(cond)}")
    allowed = INLINE_FILTER_CONDITIONS if ctx.inline else CONDITIONS
    if cond not in allowed:
        if ctx.inline and cond in CONDITIONS:
            raise cctx.error(f"condition {cond!r} cannot be used in InlineFilters")
        hint = difflib.get_close_matches(cond, allowed, n=1)
        raise cctx.error(f"unknown condition {cond!r}" +
                         (f" (did you mean {hint[0]!r}?)" if hint else ""))
    return _ALIASES.get(cond, cond)


def _check_keys(node: dict, ctx: _Ctx, allowed: set) -> None:
    extra = [str(k) for k in node if k not in allowed]
    if extra:
        raise ctx.error(f"unexpected key{'s' if len(extra) > 1 else ''} {', '.join(extra)}"
                        f" (allowed here: {', '.join(sorted(allowed))})")


def _expression(node: Any, ctx: _Ctx) -> Any:
    if not isinstance(node, dict):
        raise ctx.error(f"a match expression must be a mapping, got {_type_name(node)}")
    if not node:
        raise ctx.error("empty match expression")
    combinators = [k for k in _COMBINATORS if k in node]
    if combinators:
        return _combinator(node, combinators[0], ctx)
    cond = _condition_name(node, ctx)
    if cond in _ABSOLUTE:
        if ctx.inline:
            raise ctx.error(f"{cond} cannot be used in InlineFilters")
        _check_keys(node, ctx, {"Condition"})
        return _ABSOLUTE[cond]
    allowed_specs = ("KeyPath",) if ctx.inline else _KEY_SPECS
    steps = _key_steps(node, ctx, allowed_specs)
    if cond in _QUANTIFIERS:
        return _list_comprehension(node, cond, steps, ctx)
    if steps is None:
        if "Values" in node and isinstance(node["Values"], list) and node["Values"] and \
                all(isinstance(v, dict) for v in node["Values"]):
            return _multi_key(node, cond, ctx)
        raise ctx.error(f"{cond} needs a key (KeyPath, Key or DeepKey)")
    kind, op, negated, cs = _SCALAR[cond]
    spec = next(k for k in _KEY_SPECS + ("Enrichment",) if k in node)
    value: Any = None
    if kind == "none":
        _check_keys(node, ctx, {spec, "Condition"})
    elif kind == "list":
        if "Values" not in node:
            raise ctx.error(f"{cond} needs Values (a list)" +
                            (", not Value" if "Value" in node else ""))
        _check_keys(node, ctx, {spec, "Condition", "Values"})
        vctx = ctx.key(node, "Values")
        raw = node["Values"]
        if not isinstance(raw, list):
            raise vctx.error(f"Values must be a list, got {_type_name(raw)}")
        value = tuple(_scalar(v, vctx.at(i), "any", cond) for i, v in enumerate(raw))
    else:
        if "Value" not in node:
            raise ctx.error(f"{cond} needs a Value" +
                            (" (Values is for IsIn/IsNotIn and multi-key comparisons)"
                             if "Values" in node else ""))
        _check_keys(node, ctx, {spec, "Condition", "Value"})
        value = _scalar(node["Value"], ctx.key(node, "Value"), kind, cond)

    if negated and op in _DUAL and WILDCARD not in steps:
        op, negated = _DUAL[op], False  # not-exists is null: say it without a Not

    def build(field: Field) -> Any:
        return _predicate(field, op, value, False, cs)

    expr = _on_path(steps, ctx.root, build)
    if negated:
        expr = Not(expr)
    if ctx.inline:
        expr = _inline_guard(steps, expr)
    return expr


def _combinator(node: dict, name: str, ctx: _Ctx) -> Any:
    _check_keys(node, ctx, {name})
    if ctx.inline and name not in ("All", "Any"):
        raise ctx.key(node, name).error(f"combinator {name} cannot be used in InlineFilters "
                                        "(All or Any only)")
    items = _expression_list(node[name], ctx.key(node, name), allow_empty=True)
    if name == "All":
        return All(tuple(items))
    if name == "Any":
        return AnyOf(tuple(items))
    if name == "None":
        return Not(AnyOf(tuple(items)))
    # OnlyOne: exactly one item holds.
    return AnyOf(tuple(
        All(tuple(x if j == i else Not(x) for j, x in enumerate(items)))
        for i in range(len(items))))


def _list_comprehension(node: dict, cond: str, steps: list | None, ctx: _Ctx) -> Any:
    if steps is None:
        raise ctx.error(f"{cond} needs the key of a list (KeyPath, Key or DeepKey)")
    spec = next(k for k in _KEY_SPECS + ("Enrichment",) if k in node)
    _check_keys(node, ctx, {spec, "Condition", "Expressions"})
    if "Expressions" not in node:
        raise ctx.error(f"{cond} needs Expressions (match expressions on each element)")
    ectx = ctx.key(node, "Expressions")
    ectx = _Ctx(ectx.where, ectx.line, ctx.inline, root="element")
    where = _all(_expression_list(node["Expressions"], ectx, allow_empty=False))
    kind = _QUANTIFIERS[cond]
    return _on_path(steps, ctx.root, lambda f: Quantifier(kind, f, where))


def _multi_key(node: dict, cond: str, ctx: _Ctx) -> Any:
    _check_keys(node, ctx, {"Condition", "Values"})
    kind, op, negated, cs = _SCALAR[cond]
    vctx = ctx.key(node, "Values")
    if kind not in _MULTI_KEY_KINDS:
        raise ctx.key(node, "Condition").error(
            f"condition {cond!r} cannot compare two keys (use an equality, string or number "
            "condition)")
    keys = node["Values"]
    if len(keys) != 2:
        raise vctx.error(f"a multi-key comparison takes exactly two keys, got {len(keys)}")
    paths = []
    for i, k in enumerate(keys):
        kctx = vctx.at(i, k)
        _check_keys(k, kctx, set(_KEY_SPECS))
        paths.append(_key_steps(k, kctx))
    if any(s is WILDCARD for s in paths[1]):
        raise vctx.at(1).error("the second key of a multi-key comparison cannot use [*]")
    other = Field(tuple(paths[1]), root=ctx.root)
    expr = _on_path(paths[0], ctx.root, lambda f: _predicate(f, op, other, False, cs))
    return Not(expr) if negated else expr


def _all(items: list) -> Any:
    return items[0] if len(items) == 1 else All(tuple(items))


def _expression_list(raw: Any, ctx: _Ctx, allow_empty: bool) -> list:
    if not isinstance(raw, list):
        raise ctx.error(f"expected a list of match expressions, got {_type_name(raw)}")
    if not raw and not allow_empty:
        raise ctx.error("empty list of match expressions")
    return [_expression(item, ctx.at(i, item)) for i, item in enumerate(raw)]


# --------------------------------------------------------------------------- public lowering
def lower_match_expressions(raw: Any, where: str = "Detection", line: int | None = None,
                            inline: bool = False) -> Any:
    """A YAML list of match expressions (implicitly All) -> one model Expr."""
    ctx = _Ctx(where, line or _line_of(raw), inline)
    if inline and (raw is None or raw == []):
        return TRUE  # no filter
    items = _expression_list(raw, ctx, allow_empty=False)
    return _all(items)


def lower_detection(raw: Any, line: int | None = None) -> Any:
    return lower_match_expressions(raw, "Detection", line)


def lower_inline_filters(raw: Any, line: int | None = None) -> Any:
    """InlineFilters: the restricted grammar, True when empty; a filter on a key the event
    lacks passes."""
    return lower_match_expressions(raw, "InlineFilters", line, inline=True)


def lower_dynamic_severities(raw: Any, line: int | None = None) -> tuple:
    ctx = _Ctx("DynamicSeverities", line or _line_of(raw))
    if not isinstance(raw, list):
        raise ctx.error(f"expected a list of {{ChangeTo, Conditions}}, got {_type_name(raw)}")
    out = []
    canonical = {s.lower(): s for s in SEVERITIES}
    for i, item in enumerate(raw):
        ictx = ctx.at(i, item)
        if not isinstance(item, dict):
            raise ictx.error(f"expected a mapping with ChangeTo and Conditions, got "
                             f"{_type_name(item)}")
        _check_keys(item, ictx, {"ChangeTo", "Conditions"})
        for key in ("ChangeTo", "Conditions"):
            if key not in item:
                raise ictx.error(f"missing {key}")
        sev = item["ChangeTo"]
        if not isinstance(sev, str) or sev.lower() not in canonical:
            raise ictx.key(item, "ChangeTo").error(
                f"ChangeTo {sev!r} is not one of {', '.join(SEVERITIES)}")
        cctx = ictx.key(item, "Conditions")
        when = _all(_expression_list(item["Conditions"], cctx, allow_empty=False))
        out.append(DynamicSeverity(canonical[sev.lower()], when))
    return tuple(out)


_TEMPLATE_TOKEN = re.compile(r"\{([^{}]*)\}")


def lower_alert_title(raw: Any, line: int | None = None) -> Template:
    """``"Repo [{repo}] archived by {actor.login}"`` -> Template(literals and Fields)."""
    ctx = _Ctx("AlertTitle", line)
    if not isinstance(raw, str):
        raise ctx.error(f"AlertTitle must be a string, got {_type_name(raw)}")
    parts: list = []
    pos = 0
    for m in _TEMPLATE_TOKEN.finditer(raw):
        literal = raw[pos:m.start()]
        if "{" in literal or "}" in literal:
            raise ctx.error(f"unbalanced brace in {raw!r}")
        if literal:
            parts.append(literal)
        try:
            parts.append(_plain_field(parse_key_path(m.group(1).strip())))
        except ValueError as exc:
            raise ctx.error(f"placeholder {{{m.group(1)}}}: {exc}") from None
        pos = m.end()
    tail = raw[pos:]
    if "{" in tail or "}" in tail:
        raise ctx.error(f"unbalanced brace in {raw!r}")
    if tail:
        parts.append(tail)
    return Template(tuple(parts))


def _key_spec_list(raw: Any, ctx: _Ctx) -> list:
    if not isinstance(raw, list):
        raise ctx.error(f"expected a list, got {_type_name(raw)}")
    return raw


def lower_alert_context(raw: Any, line: int | None = None) -> tuple:
    """AlertContext ``[{KeyName, KeyValue: {KeyPath}}]`` -> ((name, Field), ...)."""
    ctx = _Ctx("AlertContext", line or _line_of(raw))
    out = []
    names = set()
    for i, item in enumerate(_key_spec_list(raw, ctx)):
        ictx = ctx.at(i, item)
        if not isinstance(item, dict):
            raise ictx.error(f"expected KeyName and KeyValue, got {_type_name(item)}")
        _check_keys(item, ictx, {"KeyName", "KeyValue"})
        name, spec = item.get("KeyName"), item.get("KeyValue")
        if not isinstance(name, str) or not name:
            raise ictx.error("KeyName must be a non-empty string")
        if name in names:
            raise ictx.key(item, "KeyName").error(f"KeyName {name!r} given twice")
        names.add(name)
        vctx = ictx.key(item, "KeyValue")
        if not isinstance(spec, dict):
            raise vctx.error(f"KeyValue must be a key specifier (KeyPath, Key or DeepKey), got "
                             f"{_type_name(spec)}")
        _check_keys(spec, vctx, set(_KEY_SPECS))
        steps = _key_steps(spec, vctx)
        if steps is None:
            raise vctx.error("KeyValue needs KeyPath, Key or DeepKey")
        out.append((name, _plain_field(steps)))
    return tuple(out)


def lower_group_by(raw: Any, line: int | None = None) -> tuple:
    ctx = _Ctx("GroupBy", line or _line_of(raw))
    out = []
    for i, item in enumerate(_key_spec_list(raw, ctx)):
        ictx = ctx.at(i, item)
        if not isinstance(item, dict):
            raise ictx.error(f"expected a key specifier (KeyPath, Key or DeepKey), got "
                             f"{_type_name(item)}")
        _check_keys(item, ictx, set(_KEY_SPECS))
        steps = _key_steps(item, ictx)
        if steps is None:
            raise ictx.error("expected a key specifier (KeyPath, Key or DeepKey)")
        out.append(_plain_field(steps))
    return tuple(out)


# --------------------------------------------------------------------------- loader glue
def lower_rule_keys(c: Any) -> dict:
    """Rule keyword arguments from the YAML keys of one analysis file. ``c`` is the loader's
    collector: ``c.doc`` (a mapping with ``key_lines``), ``c.error(message, key, line, code)``.
    Each key is lowered on its own so one bad key does not hide the others' errors."""
    from ..model import Extraction  # noqa: PLC0415 (kept local: only this glue needs it)
    from .correlation import CorrelationError, lower_correlation  # noqa: PLC0415

    doc = c.doc
    out: dict = {}
    key_lines = getattr(doc, "key_lines", {})

    def run(key: str, fn: Callable) -> Any:
        try:
            return fn(doc[key], key_lines.get(key))
        except (SimpleDetectionError, CorrelationError) as exc:
            c.error(str(exc), key, exc.line, code="bad-detection")
            return None

    is_correlation = doc.get("AnalysisType") == "correlation_rule"
    if "Detection" in doc:
        if is_correlation:
            out["correlation"] = run("Detection", lower_correlation)
            if out["correlation"] is not None:
                out["extraction"] = Extraction("simple", "correlation")
        else:
            detection = run("Detection", lower_detection)
            if detection is not None:
                out["detection"] = detection
                out["extraction"] = Extraction("simple", "simple_detection")
    if "InlineFilters" in doc:
        out["inline_filters"] = run("InlineFilters", lower_inline_filters)
    if "AlertTitle" in doc:
        out["title"] = run("AlertTitle", lower_alert_title)
    if "AlertContext" in doc:
        ctx = run("AlertContext", lower_alert_context)
        if ctx is not None:
            out["output_fields"] = tuple(f for _, f in ctx)
            out["alert_context"] = ctx
    if "GroupBy" in doc:
        out["group_by"] = run("GroupBy", lower_group_by) or ()
    if "DynamicSeverities" in doc:
        out["dynamic_severities"] = run("DynamicSeverities", lower_dynamic_severities) or ()
    return {k: v for k, v in out.items() if v is not None}
