"""Lowering a canonical detection to Splunk SPL: an exact ``where`` condition plus the
``search`` terms that narrow the events before it.

Why two parts. ``field=value`` in ``search`` is case-insensitive, treats ``*`` as a wildcard
that cannot be escaped, and ``NOT field=x`` / ``field!=x`` differ on events without the field.
None of that is Python's meaning, so the meaning lives in one ``| where`` eval expression whose
comparisons are case-sensitive (``==``, ``like``, ``match``, ``in``) and whose every predicate
is guarded with ``isnotnull`` so it is never NULL: negation then keeps Python's missing-field
meaning (``event.get("a") != "x"`` is true when ``a`` is missing). The ``search`` part only adds
terms every matching event must satisfy anyway (positive top-level equalities without ``*``),
so Splunk can use its index; it never decides a match on its own.

Splunk field values are text (JSON extraction turns ``true`` into ``"true"`` and numbers into
their digits), a JSON null and a missing key are both NULL, and array elements become one
multivalue field per leaf (``resources{}.arn``): quantifiers are ``mvfilter``/``mvcount`` over
that field, membership is ``mvfind``. Constructs without an SPL equivalent raise
``Inexpressible`` with the reason; the backend reports them per rule.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ..mapping import EACH, MappingError, MappingSet, ResolvedField, Unmapped
from ..model import (
    COUNT_OPS, All, AnyOf, Const, Count, Field, First, Not, Opaque, Predicate, Quantifier,
)
from .base import Finding
from .glob import class_chars, glob_tokens

SEARCH_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.{}:@-]*$")
PYTHON_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"


class Inexpressible(Exception):
    """A construct SPL (as rulec emits it) cannot state with the rule's meaning."""

    def __init__(self, construct: str, reason: str):
        super().__init__(f"{construct}: {reason}")
        self.construct = construct
        self.reason = reason


# --------------------------------------------------------------------------- literals


def eval_string(text: str) -> str:
    """An eval string literal: double quotes, backslash-escaped ``"`` and ``\\``; control
    characters (which a one-line savedsearches.conf value cannot hold) as ``urldecode("%0A")``
    joined with the ``.`` concatenation operator."""
    parts: list[str] = []
    buf = ""
    for ch in text:
        if ord(ch) < 32 or ord(ch) == 127:
            if buf or not parts:
                parts.append('"' + buf.replace("\\", "\\\\").replace('"', '\\"') + '"')
            buf = ""
            parts.append(f'urldecode("%{ord(ch):02X}")')
        else:
            buf += ch
    if buf or not parts:
        parts.append('"' + buf.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return parts[0] if len(parts) == 1 else "(" + " . ".join(parts) + ")"


def search_string(text: str) -> str | None:
    """A quoted ``search`` value, or None when search cannot hold it literally (``*`` is always
    a wildcard there; control characters cannot be written on one line)."""
    if "*" in text or any(ord(c) < 32 or ord(c) == 127 for c in text) or text == "":
        return None
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def field_ref(name: str) -> str:
    """A field in an eval expression: single-quoted, as names with ``.``/``{}`` need."""
    if "'" in name or "\\" in name or any(ord(c) < 32 for c in name):
        raise Inexpressible(f"field name {name!r}", "an eval field reference cannot hold a "
                            "single quote, backslash or control character")
    return f"'{name}'"


def number(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(v)
    if isinstance(v, float) and not (v == v and abs(v) != float("inf")):
        raise Inexpressible(f"number {v!r}", "not a finite number")
    return repr(v)


def literal_regex(text: str) -> str:
    """A PCRE matching ``text`` literally: every character that is not a letter or digit is
    backslash-escaped (PCRE treats ``\\`` + non-alphanumeric as that character)."""
    out = []
    for ch in text:
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{{{ord(ch):x}}}")
        elif ch.isascii():
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


_PY_FLAGS = {"IGNORECASE": "i", "I": "i", "MULTILINE": "m", "M": "m", "DOTALL": "s", "S": "s",
             "VERBOSE": "x", "X": "x"}


def python_regex_to_pcre(pattern: str, flags: tuple) -> tuple[str, list[str]]:
    """Python ``re`` pattern + flags + mode -> a PCRE that ``match()`` (which searches) runs
    with the same meaning; returns (pcre, differences worth a warning)."""
    notes: list[str] = []
    inline = ""
    for f in flags:
        if f in ("search", "match", "fullmatch"):
            continue
        if f == "ASCII" or f == "A":
            continue  # PCRE's \d, \w, \s are ASCII already
        if f not in _PY_FLAGS:
            raise Inexpressible(f"regex flag {f}", "no PCRE equivalent")
        inline += _PY_FLAGS[f]
    leading = re.match(r"\(\?([aiLmsux]+)\)", pattern)
    if leading:  # Python's global flags at the start: hoisted before the mode's anchor
        inline += "".join(_PY_FLAGS[c.upper()] for c in leading.group(1) if c in "imsx")
        pattern = pattern[leading.end():]
    body = _translate_escapes(pattern)
    if re.search(r"\\[dwsbDWSB]", pattern) and "ASCII" not in flags and "A" not in flags:
        notes.append("\\d, \\w, \\s and \\b match Unicode in Python's re, ASCII in Splunk's PCRE")
    mode = next((f for f in flags if f in ("search", "match", "fullmatch")), "search")
    if mode == "match":
        body = f"\\A(?:{body})"
    elif mode == "fullmatch":
        body = f"\\A(?:{body})\\z"
    if inline:
        body = f"(?{inline}){body}"
    return body, notes


def _translate_escapes(pattern: str) -> str:
    """Python-only spellings: ``\\Z`` (end of string) is PCRE's ``\\z``; ``{,n}`` is
    ``{0,n}``. Everything else rulec's rules use is the same in both."""
    out = []
    i = 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("\\z" if nxt == "Z" and not in_class else ch + nxt)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        elif ch == "{" and not in_class and pattern[i + 1:i + 2] == ",":
            out.append("{0")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def glob_to_pcre(pattern: str) -> str:
    """fnmatch.fnmatchcase's language (``*``, ``?``, ``[seq]``, ``[!seq]``) as an anchored
    PCRE; ``*`` and ``?`` cross newlines as in fnmatch."""
    out = ["\\A"]
    for tok in glob_tokens(pattern):
        if tok[0] == "any":
            out.append("[\\s\\S]*")
        elif tok[0] == "one":
            out.append("[\\s\\S]")
        elif tok[0] == "class":
            out.append(("[^" if tok[1] else "[") + class_chars(tok[2]) + "]")
        else:
            out.append(literal_regex(tok[1]))
    out.append("\\z")
    return "".join(out)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Value:
    """An eval expression for a field's value. ``multi``: a multivalue field (array leaves).
    ``kind``: text | number (after tonumber/len) | list."""

    text: str
    multi: bool = False
    kind: str = "text"
    type: str = "unknown"  # the mapping's value type


def _private_networks(version: int) -> tuple[list[str], list[str]]:
    """Python's own tables behind ``is_private`` (and the exceptions newer Pythons carve out)."""
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    consts = cls._constants  # type: ignore[attr-defined]
    nets = [str(n) for n in consts._private_networks]
    exceptions = [str(n) for n in getattr(consts, "_private_networks_exceptions", ())]
    return nets, exceptions


def _cidr_any(nets: list[str], v: str) -> str:
    return "(" + " OR ".join(f"cidrmatch({eval_string(n)}, {v})" for n in nets) + ")"


# --------------------------------------------------------------------------- lowering


class Lowering:
    """One rule on one log type: ``condition(expr)`` -> eval boolean text (never NULL),
    ``search_terms(expr)`` -> necessary ``search`` terms; ``findings`` collects warnings."""

    def __init__(self, mappings: MappingSet, log_type: str, strict: bool = False):
        self.mappings = mappings
        self.log_type = log_type
        self.strict = strict
        self.findings: list[Finding] = []
        self._element: tuple | None = None  # (array path, mv field name) inside mvfilter

    def warn(self, construct: str, reason: str) -> None:
        f = Finding(construct, reason, "warning")
        if f not in self.findings:
            self.findings.append(f)

    # ----------------------------------------------------------------- fields
    def spelled(self, path: tuple) -> tuple:
        """``path`` with its keys in the schema's spelling: Panther reads keys
        case-insensitively (a rule traced on ``protopayload`` reads the log's ``protoPayload``);
        Splunk field names are the log's own, exact."""
        return self.mappings.schema(self.log_type).canonical(tuple(path))

    def resolve(self, field: Field, extra: tuple = ()) -> ResolvedField:
        if field.root == "element":
            if self._element is None:
                raise Inexpressible(f"element field {field}", "outside a quantifier")
            array_path = self._element[0]
            full = self.spelled(array_path + (EACH,) + tuple(field.path) + extra)
            r = self.mappings.resolve(self.log_type, "splunk", full)
        else:
            path = tuple(field.path)
            if not path and field.udm:
                r = self.mappings.resolve_field(self.log_type, "splunk", field)
            else:
                r = self.mappings.resolve(self.log_type, "splunk", self.spelled(path + extra))
        if isinstance(r, Unmapped):
            if self.strict or r.fallback is None:
                raise Inexpressible(f"field {field.dotted}", r.message)
            if "does not hold" in r.reason:
                raise Inexpressible(f"field {field.dotted}", r.message)
            self.warn(f"unmapped field {field.dotted}", f"{r.message}; written as "
                      f"{r.fallback.name!r}")
            return r.fallback
        return r

    def value(self, field: Field, extra: tuple = ()) -> Value:
        """The field's value as an eval expression (default and transforms applied)."""
        r = self.resolve(field, extra)
        if field.transforms and field.transforms[0].name == "len" and not extra:
            counted = self._length(field, r)
            if counted is not None:
                v = counted
                for t in field.transforms[1:]:
                    v = self._transform(v, t, field)
                return v
        if r.column_type == "constant":
            raise Inexpressible(f"constant field {field.dotted}", "folded by the caller")
        if r.any_of:
            self.warn(f"field {field.dotted}", r.note)
            names = [field_ref(x.name) for x in r.any_of]
            v = Value(f"mvappend({', '.join(names)})", True, "list", r.type)
        elif r.members:
            raise Inexpressible(f"object field {field.dotted}", "Splunk holds an object as one "
                                "field per member; only its presence is expressible")
        elif r.steps:
            raise Inexpressible(f"field {field.dotted}", "a Splunk source reached through "
                                "JSON steps is not supported by rulec's SPL backend")
        else:
            multi = bool(r.array_steps)
            if self._element is not None and r.name == self._element[1]:
                multi = False  # inside mvfilter the field stands for one value
            text = field_ref(r.name)
            index_steps = [s for s in r.array_steps if isinstance(s, int)]
            if index_steps and multi:
                if len(r.array_steps) != 1:
                    raise Inexpressible(f"field {field.dotted}", "nested array indexes have no "
                                        "Splunk multivalue position")
                text = f"mvindex({text}, {index_steps[0]})"
                multi = False
                if tuple(field.path)[-1] != index_steps[0]:
                    self.warn(f"field {field.dotted}", "array position taken in the multivalue "
                              "field of the leaf: elements lacking the leaf shift positions")
            v = Value(text, multi, "list" if multi else "text", r.type)
        if field.default is not MISSING_SENTINEL:
            if v.multi:
                raise Inexpressible(f"default of {field.dotted}", "on a multivalue field")
            v = Value(f"coalesce({v.text}, {self._literal(field.default)})", False, v.kind, v.type)
            if not field.default_on_null:
                self.warn(f"default of {field.dotted}", "Splunk cannot tell a JSON null from a "
                          "missing key: the default also replaces null")
        for t in field.transforms:
            v = self._transform(v, t, field)
        return v

    def _length(self, field: Field, r: ResolvedField) -> Value | None:
        """``len()`` of a list (or of a value whose JSON type is not known): Splunk has no
        field for the list itself, so its elements are counted with
        ``spath(_raw, "<path>{}")``; a text value is measured with len()."""
        array = r.type == "array" or r.type.endswith("[]")
        if not (array or r.type in ("unknown", "json")) or r.is_fallback or r.any_of \
                or r.members or r.steps or self._element is not None:
            return None
        base = r.name[:-2] if r.name.endswith("{}") else r.name
        if r.array_steps and not r.name.endswith("{}") or "{}" in base:
            return None
        if not SEARCH_NAME.match(base):
            return None
        elems = f"spath(_raw, {eval_string(base + '{}')})"
        text = f"mvcount({elems})" if array else \
            f"if(isnotnull({elems}), mvcount({elems}), len({field_ref(base)}))"
        if field.default is not MISSING_SENTINEL:
            if field.default not in ((), [], ""):
                raise Inexpressible(f"default of {field.dotted}", "a non-empty default "
                                    "under len()")
            text = f"coalesce({text}, 0)"
        self.warn(f"len({field.dotted})", "an empty list reads as absent in Splunk "
                  "(spath returns no value for [])")
        return Value(text, False, "number")

    def _literal(self, v) -> str:
        if isinstance(v, bool):
            return eval_string("true" if v else "false")
        if isinstance(v, (int, float)):
            return number(v)
        if isinstance(v, str):
            return eval_string(v)
        raise Inexpressible(f"default {v!r}", "not a scalar")

    def _transform(self, v: Value, t, field: Field) -> Value:
        name, args = t.name, t.args
        if name == "len":
            if v.multi or v.type.endswith("[]") or v.type == "array":
                self.warn(f"len({field.dotted})", "an empty array has no Splunk multivalue "
                          "field: len == 0 is never seen")
                return Value(f"mvcount({v.text})", False, "number")
            return Value(f"len({v.text})", False, "number")
        if v.multi:
            raise Inexpressible(f"{name}() on {field.dotted}", "a transform of a multivalue "
                                "field outside a quantifier")
        if name in ("lower", "upper"):
            return Value(f"{name}({v.text})", False, "text", v.type)
        if name in ("strip", "lstrip", "rstrip"):
            fn = {"strip": "trim", "lstrip": "ltrim", "rstrip": "rtrim"}[name]
            chars = args[0] if args and args[0] is not None else PYTHON_WHITESPACE
            return Value(f"{fn}({v.text}, {eval_string(chars)})", False, "text", v.type)
        if name == "split":
            if not args or args[0] is None or args[0] == "":
                raise Inexpressible(f"split() of {field.dotted}", "Python's whitespace split "
                                    "has no Splunk equivalent")
            if len(args) > 2:
                raise Inexpressible(f"split() of {field.dotted}", "split() with maxsplit "
                                    "(the last item keeps the separators) is not lowered")
            if len(args) < 2 or args[1] is None:
                return Value(f"split({v.text}, {eval_string(args[0])})", True, "list")
            return Value(f"mvindex(split({v.text}, {eval_string(args[0])}), {int(args[1])})",
                         False, "text")
        if name == "int":
            if args:
                raise Inexpressible(f"int() of {field.dotted}", "with a base")
            digits = eval_string(r"\A[ \t\n\r\x0b\x0c]*[+-]?[0-9]+[ \t\n\r\x0b\x0c]*\z")
            return Value(f"if(match({v.text}, {digits}), tonumber(trim({v.text}, "
                         f"{eval_string(PYTHON_WHITESPACE)})), null())", False, "number")
        if name == "float":
            return Value(f"tonumber({v.text})", False, "number")
        if name == "str":
            if v.type == "bool":
                raise Inexpressible(f"str() of {field.dotted}", "Python writes True/False, "
                                    "Splunk holds true/false")
            return Value(f"coalesce({v.text}, \"None\")", False, "text", v.type)
        raise Inexpressible(f"{name}() of {field.dotted}", "no SPL eval equivalent in rulec")

    # ----------------------------------------------------------------- expressions
    def condition(self, e) -> str:
        if isinstance(e, Const):
            return "true()" if e.value else "false()"
        if isinstance(e, All):
            parts = [self.condition(x) for x in e.items]
            if not parts:
                return "true()"
            return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
        if isinstance(e, AnyOf):
            parts = [self.condition(x) for x in e.items]
            if not parts:
                return "false()"
            return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
        if isinstance(e, Not):
            return f"NOT {self.condition(e.item)}"
        if isinstance(e, Predicate):
            return self.predicate(e)
        if isinstance(e, Quantifier):
            return self.quantifier(e)
        if isinstance(e, Count):
            return self.count(e)
        if isinstance(e, First):
            raise Inexpressible(f"{'last' if e.last else 'first'}() over {e.field}", "which element of the array comes first decides the result (an ordered loop), and SPL (as rulec emits it) has no ordered array test")
        if isinstance(e, Opaque):
            raise Inexpressible(e.construct, e.reason)
        raise TypeError(f"not an expression: {e!r}")

    def _constant(self, p: Predicate) -> bool | None:
        """A predicate on a field the source fixes (p_log_type): decided now, in Python."""
        if p.field.root != "event" or not p.field.path:
            return None
        r = self.mappings.resolve(self.log_type, "splunk", self.spelled(p.field.path))
        if isinstance(r, ResolvedField) and r.column_type == "constant":
            from ..evaluator import evaluate
            event: dict = {}
            node = event
            for step in p.field.path[:-1]:
                node = node.setdefault(step, {})
            node[p.field.path[-1]] = r.constant
            return evaluate(p, event)
        return None

    def predicate(self, p: Predicate) -> str:
        fixed = self._constant(p)
        if fixed is not None:
            return "true()" if fixed else "false()"
        op = p.op
        if op == "truthy" and not p.field.transforms and p.field.default in ((), [], "", 0):
            # a falsy default (deep_get(e, "a", default=[])) reads as false, as missing does
            from dataclasses import replace
            p = replace(p, field=replace(p.field, default=MISSING_SENTINEL,
                                         default_on_null=False))
        if op != "member" and self._structured_default(p.field):
            return self._with_structured_default(p)
        if op in ("exists", "null", "present", "truthy") and self._is_object(p.field):
            return self._object_presence(p)
        if op == "member":
            return self._member(p)
        v = self.value(p.field)
        if v.multi:
            raise Inexpressible(f"{op} on {p.field.dotted}", "a comparison of a multivalue "
                                "field outside a quantifier")
        x = v.text
        guard = f"isnotnull({x})"
        if op == "exists":
            return guard
        if op == "null":
            return f"isnull({x})"
        if op == "present":
            self.warn(f"key presence of {p.field.dotted}", "Splunk cannot tell a key holding "
                      "JSON null from a missing key")
            return guard
        if op == "truthy":
            return self._truthy(v, p.field)
        if not p.case_sensitive:
            x = f"lower({x})"
        if op == "eq":
            return self._eq(v, x, guard, p)
        if op == "in":
            items = tuple(p.value) if isinstance(p.value, (tuple, list)) else ()
            if not items:
                return "false()"
            if all(isinstance(i, str) for i in items):
                if self._bool_never_text(v, p):
                    return "false()"
                vals = [i.lower() if not p.case_sensitive else i for i in items]
                return f"({guard} AND in({x}, {', '.join(eval_string(s) for s in vals)}))"
            if all(isinstance(i, (int, float)) and not isinstance(i, bool) for i in items):
                self._numeric_note(p.field)
                n = f"tonumber({v.text})"
                return f"(isnotnull({n}) AND in({n}, {', '.join(number(i) for i in items)}))"
            parts = [self._eq(v, x, guard, Predicate(p.field, "eq", i, p.case_sensitive))
                     for i in items]
            return "(" + " OR ".join(parts) + ")"
        if op in ("contains", "startswith", "endswith"):
            operands = p.value if isinstance(p.value, (tuple, list)) and op != "contains" \
                else (p.value,)
            parts = []
            for s in operands:
                if isinstance(s, Field):
                    raise Inexpressible(f"{op} with a field operand", "not supported")
                if not isinstance(s, str):
                    return "false()"
                s = s.lower() if not p.case_sensitive else s
                parts.append(self._affix(op, x, s))
            body = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
            return f"({guard} AND {body})"
        if op == "regex":
            if not isinstance(p.value, str):
                raise Inexpressible("regex", "pattern is not text")
            pcre, notes = python_regex_to_pcre(p.value, p.flags)
            for n in notes:
                self.warn(f"regex {p.value!r}", n)
            return f"({guard} AND match({v.text if p.case_sensitive else x}, {eval_string(pcre)}))"
        if op == "glob":
            pat = p.value.lower() if not p.case_sensitive else p.value
            return f"({guard} AND match({x}, {eval_string(glob_to_pcre(pat))}))"
        if op in ("gt", "ge", "lt", "le"):
            sym = COUNT_OPS[op]
            if isinstance(p.value, (int, float)) and not isinstance(p.value, bool):
                n = v.text if v.kind == "number" else f"tonumber({v.text})"
                if v.kind != "number":
                    self._numeric_note(p.field)
                return f"(isnotnull({n}) AND {n} {sym} {number(p.value)})"
            raise Inexpressible(f"{op} with {type(p.value).__name__} operand",
                                "only numeric ordering is emitted")
        if op == "cidr":
            nets = p.value if isinstance(p.value, (tuple, list)) else (p.value,)
            for n in nets:
                ipaddress.ip_network(n, strict=False)  # a bad network is a rulec bug upstream
            return f"({guard} AND {_cidr_any([str(ipaddress.ip_network(n, strict=False)) for n in nets], x)})"
        if op in ("is_ip", "is_ipv4", "is_ipv6", "ip_private", "ip_public"):
            return f"({guard} AND {self._ip_class(op, x, p.field)})"
        raise Inexpressible(f"operator {op}", "no SPL form in rulec")

    @staticmethod
    def _structured_default(field: Field) -> bool:
        return field.root == "event" and not field.transforms and \
            field.default is not MISSING_SENTINEL and \
            not isinstance(field.default, (str, int, float, bool, type(None)))

    def _with_structured_default(self, p: Predicate) -> str:
        """A list or object default (``deep_get(e, "a", default={})``) has no eval literal, but
        what the predicate says of it is a constant Python decides here: a present value is
        tested as it is, an absent one gives that constant."""
        from dataclasses import replace
        from ..evaluator import evaluate
        bare = replace(p.field, default=MISSING_SENTINEL, default_on_null=False)
        tested = self.predicate(replace(p, field=bare))
        on_default = evaluate(p, {})
        if on_default == evaluate(replace(p, field=bare), {}):
            return tested  # the lowering already says that of an absent value
        if not p.field.default_on_null:
            self.warn(f"default of {p.field.dotted}", "Splunk cannot tell a JSON null from a "
                      "missing key: the default also replaces null")
        absent = self.predicate(Predicate(bare, "null"))
        return f"({tested} OR {absent})" if on_default else f"(NOT {absent} AND {tested})"

    def _numeric_note(self, field: Field) -> None:
        self.warn(f"numeric comparison of {field.dotted}", "Splunk field values are text: "
                  "tonumber() also accepts a number written as a string, which Python would "
                  "not compare with a number, and gives null for a JSON true/false, which "
                  "Python orders as 1/0")

    def _eq(self, v: Value, x: str, guard: str, p: Predicate) -> str:
        val = p.value
        if isinstance(val, Field):
            w = self.value(val)
            if w.multi:
                raise Inexpressible("comparison with a multivalue field", "not supported")
            y = w.text if p.case_sensitive else f"lower({w.text})"
            return (f"((isnull({v.text}) AND isnull({w.text})) OR (isnotnull({v.text}) AND "
                    f"isnotnull({w.text}) AND {x}=={y}))")
        if val is None:
            return f"isnull({v.text})"
        if isinstance(val, bool):
            if v.type not in ("bool", "unknown"):
                return "false()"  # a string or number field never equals True/False in Python
            # a test event holding the text "true" shows the difference: partial, not a warning
            f = Finding(f"{p.field.dotted} == {val}", "Splunk holds JSON true/false and the "
                        "texts \"true\"/\"false\" alike: a text value also matches "
                        "(the search matches more events)", "partial")
            if f not in self.findings:
                self.findings.append(f)
            return f"({guard} AND {x}=={eval_string('true' if val else 'false')})"
        if isinstance(val, (int, float)):
            n = v.text if v.kind == "number" else f"tonumber({v.text})"
            if v.kind != "number":
                self._numeric_note(p.field)
            return f"(isnotnull({n}) AND {n}=={number(val)})"
        if isinstance(val, str):
            if v.kind == "number":
                return "false()"  # Python: a number never equals a string
            if self._bool_never_text(v, p):
                return "false()"
            s = val.lower() if not p.case_sensitive else val
            return f"({guard} AND {x}=={eval_string(s)})"
        raise Inexpressible(f"comparison with {type(val).__name__}", "not a scalar")

    def _bool_never_text(self, v: Value, p: Predicate) -> bool:
        """A field the schema types bool holds JSON true/false, which Python never finds equal
        to a text; Splunk extracts JSON true as the text "true", so ``'f'=="true"`` would match
        where the rule does not."""
        if v.type != "bool" or v.kind != "text":
            return False
        self.warn(f"{p.field.dotted} {p.op} text", "the schema types the field bool: Python "
                  "never finds a bool equal to a text, so this comparison is false")
        return True

    def _affix(self, op: str, x: str, s: str) -> str:
        plain = not any(c in s for c in "%_\\") and not any(ord(c) < 32 for c in s)
        if plain:
            pat = {"contains": f"%{s}%", "startswith": f"{s}%", "endswith": f"%{s}"}[op]
            return f"like({x}, {eval_string(pat)})"
        lit = literal_regex(s)
        pat = {"contains": lit, "startswith": f"\\A{lit}", "endswith": f"{lit}\\z"}[op]
        return f"match({x}, {eval_string(pat)})"

    def _ip_class(self, op: str, x: str, field: Field) -> str:
        v4, v6 = f"cidrmatch(\"0.0.0.0/0\", {x})", f"cidrmatch(\"::/0\", {x})"
        self.warn(f"IP test of {field.dotted}", "cidrmatch's address parser and Python's "
                  "ipaddress may differ on unusual spellings (leading zeros, zone ids)")
        if op == "is_ip":
            return f"({v4} OR {v6})"
        if op == "is_ipv4":
            return v4
        if op == "is_ipv6":
            return v6
        n4, e4 = _private_networks(4)
        n6, e6 = _private_networks(6)

        def private(nets, exc):
            text = _cidr_any(nets, x)
            return f"({text} AND NOT {_cidr_any(exc, x)})" if exc else text

        if op == "ip_private":
            return f"({private(n4, e4)} OR {private(n6, e6)})"
        public4 = str(ipaddress.IPv4Address._constants._public_network)  # type: ignore[attr-defined]
        return (f"(({v4} AND NOT {private(n4, e4)} AND NOT cidrmatch({eval_string(public4)}, {x}))"
                f" OR ({v6} AND NOT {private(n6, e6)}))")

    def _truthy(self, v: Value, field: Field) -> str:
        x = v.text
        if v.kind == "number":
            return f"(isnotnull({x}) AND {x}!=0)"
        if v.type == "bool":
            return f"(isnotnull({x}) AND {x}==\"true\")"
        if v.type in ("number",):
            return f"(isnotnull(tonumber({x})) AND tonumber({x})!=0)"
        if v.type in ("string", "ip", "timestamp"):
            return f"(isnotnull({x}) AND len({x})>0)"
        self.warn(f"truthiness of {field.dotted}", "the value's JSON type is not known: "
                  "false, 0 and \"\" count as false (Splunk holds JSON false and the text "
                  "\"false\" alike)")
        return f"(isnotnull({x}) AND NOT in({x}, \"\", \"false\", \"0\"))"

    def _is_object(self, field: Field) -> bool:
        if field.transforms or field.default is not MISSING_SENTINEL:
            return False
        r = self.resolve(field)
        if r.members:
            return True
        if r.array_steps or r.any_of or r.column_type == "constant" or r.is_fallback:
            return False
        # objects and values of unknown JSON type (below free-form JSON): read from _raw
        return r.type in ("object", "json", "unknown") or r.column_type in ("object", "json")

    def _object_presence(self, p: Predicate) -> str:
        """An object (or free-form JSON) has no Splunk field of its own, only its leaves:
        its presence is read from the event's JSON with ``spath(_raw, path)``, which returns
        the object's JSON text. An object spread over several fields (composite) is present
        when one of them is."""
        r = self.resolve(p.field)
        if r.members:
            self.warn(f"{p.op} of object {p.field.dotted}", "present when one of its mapped "
                      "members is; an empty object reads as absent")
            body = "(" + " OR ".join(f"isnotnull({field_ref(m.name)})" for _, m in r.members) + ")"
            return f"NOT {body}" if p.op == "null" else body
        if r.is_fallback or not SEARCH_NAME.match(r.name):
            raise Inexpressible(f"object {p.field.dotted}", "no spath path for it")
        raw = f"spath(_raw, {eval_string(r.name)})"
        if p.op == "null":
            return f"isnull({raw})"
        if p.op == "truthy":
            self.warn(f"truthiness of {p.field.dotted}", "read from the event JSON: {}, [], "
                      "\"\", false and 0 count as false (spath gives JSON false and the text "
                      "\"false\" alike)")
            return f"(isnotnull({raw}) AND NOT in({raw}, \"{{}}\", \"[]\", \"\", \"false\", \"0\"))"
        if p.op == "present":
            self.warn(f"key presence of {p.field.dotted}", "Splunk cannot tell a key holding "
                      "JSON null from a missing key")
        return f"isnotnull({raw})"

    def _member(self, p: Predicate) -> str:
        # an empty-list default (deep_get(..., default=[])) has no member: same as missing
        empty_default = p.field.default in ((), []) and not p.field.transforms
        if p.field.transforms or (p.field.default is not MISSING_SENTINEL and not empty_default):
            raise Inexpressible(f"membership in {p.field}", "with transforms or defaults")
        r = self.resolve(p.field)
        if r.any_of:
            mv = f"mvappend({', '.join(field_ref(x.name) for x in r.any_of)})"
            self.warn(f"field {p.field.dotted}", r.note)
        else:
            r = self.resolve(p.field, (EACH,))
            mv = field_ref(r.name)
        val = p.value
        if isinstance(val, bool):
            text = "true" if val else "false"
        elif isinstance(val, (int, float)):
            text = number(val)
        elif isinstance(val, str):
            text = val
        else:
            raise Inexpressible(f"membership of {val!r}", "not a scalar")
        pat = f"\\A{literal_regex(text)}\\z"
        if not p.case_sensitive:
            pat = "(?i)" + pat
            self.warn(f"membership in {p.field.dotted}", "PCRE's (?i) folds case per "
                      "character, Python's lower() per string (differs for a few letters)")
        return f"isnotnull(mvfind({mv}, {eval_string(pat)}))"

    def quantifier(self, q: Quantifier) -> str:
        hits, mv = self._hits(q.field, q.where, q.kind)
        if q.kind == "any":
            return f"{hits}>0"
        if q.kind == "none":
            return f"{hits}==0"
        if q.kind == "one":
            return f"{hits}==1"
        if q.kind == "all":
            return f"{hits}==coalesce(mvcount({field_ref(mv)}), 0)"
        raise Inexpressible(f"quantifier {q.kind}", "unknown")

    def count(self, c: Count) -> str:
        """Each side is the number of multivalue entries the condition keeps, as for a
        quantifier (and with its limits)."""
        for t in c.tallies:
            if t.distinct is not None:
                raise Inexpressible(f"count of distinct {t.distinct.dotted} values over {t.field}",
                                    "Splunk's multivalue fields hold text: mvdedup merges 1 and "
                                    "\"1\", which Python's == tells apart")
        sides = [self._hits(t.field, t.where, "count")[0] for t in c.tallies]
        right = sides[1] if len(sides) > 1 else str(c.value)
        op = COUNT_OPS[c.op]
        return f"{sides[0]}{op}{right}"

    def _hits(self, array: Field, where, kind: str) -> tuple[str, str]:
        """(the number of elements of ``array`` passing ``where``, the multivalue field)."""
        if self._element is not None:
            raise Inexpressible("nested quantifier", "Splunk flattens nested arrays")
        if array.transforms or array.default is not MISSING_SENTINEL:
            raise Inexpressible(f"quantifier over {array}", "with transforms or defaults")
        array_path = self.spelled(array.path)
        leaf_fields = []
        from ..model import walk
        for node in walk(where):
            if isinstance(node, Predicate):
                for f in (node.field, node.value):
                    if isinstance(f, Field) and f.root == "element":
                        leaf_fields.append(f)
                    elif isinstance(f, Field):
                        raise Inexpressible("quantifier body reading the event", "mvfilter "
                                            "sees one multivalue field only")
            elif isinstance(node, (Quantifier, Count)):
                raise Inexpressible("nested quantifier", "Splunk flattens nested arrays")
        leaves = {tuple(f.path) for f in leaf_fields}
        if len(leaves) != 1:
            raise Inexpressible(f"{kind}() over {array.dotted}", "the condition reads "
                                f"{len(leaves)} element fields; Splunk keeps one multivalue "
                                "field per leaf, so elements cannot be matched on several")
        (leaf,) = leaves
        element = self.mappings.resolve(self.log_type, "splunk",
                                        self.spelled(array_path + (EACH,) + leaf))
        if isinstance(element, Unmapped):
            if self.strict or element.fallback is None or "does not hold" in element.reason:
                raise Inexpressible(f"array {array.dotted}", element.message)
            self.warn(f"unmapped array {array.dotted}", element.message)
            element = element.fallback
        mv = element.name
        self._element = (array_path, mv)
        try:
            body = self.condition(where)
        finally:
            self._element = None
        hits = f"coalesce(mvcount(mvfilter({body})), 0)"
        if leaf:
            # Elements lacking the leaf are not in Splunk's multivalue field. That changes
            # nothing when the condition is false on them (any/none/one), but ``all`` counts
            # them in Python, and a condition true on them counts them for every kind.
            from ..evaluator import evaluate
            probe = Quantifier("any", Field(("a",)), where)
            try:
                true_on_missing = evaluate(probe, {"a": [{}]})
            except Exception:  # noqa: BLE001 - an opaque body is reported elsewhere
                true_on_missing = True
            if true_on_missing or kind == "all":
                raise Inexpressible(f"{kind}() over {array.dotted}", "elements without "
                                    f"{'.'.join(map(str, leaf))} are not in Splunk's "
                                    f"multivalue field {mv}, and this condition counts them")
        return hits, mv

    # ----------------------------------------------------------------- search terms
    def search_terms(self, e) -> list[str]:
        """Terms of ``search`` that every event matching ``e`` satisfies: positive top-level
        equalities and IN lists whose values search can hold literally (case-insensitive
        superset of the exact test)."""
        conjuncts = list(_flatten_all(e))
        out: list[str] = []
        for c in conjuncts:
            if not isinstance(c, Predicate) or c.op not in ("eq", "in"):
                continue
            f = c.field
            if f.transforms and [t.name for t in f.transforms] not in (["lower"], ["upper"]):
                continue
            if f.default is not MISSING_SENTINEL or f.root != "event":
                continue
            try:
                r = self.resolve(f)
            except (Inexpressible, MappingError):
                continue
            if r.column_type == "constant" or r.any_of or r.members or r.steps or r.array_steps \
                    or r.is_fallback or not SEARCH_NAME.match(r.name):
                continue
            values = [c.value] if c.op == "eq" else list(c.value or ())
            if not values or not all(isinstance(v, str) for v in values):
                continue
            quoted = [search_string(v) for v in values]
            if any(q is None for q in quoted):
                continue
            if len(quoted) == 1:
                out.append(f"{r.name}={quoted[0]}")
            else:
                out.append(f"{r.name} IN ({', '.join(quoted)})")
        return out


def _flatten_all(e):
    if isinstance(e, All):
        for x in e.items:
            yield from _flatten_all(x)
    else:
        yield e


from ..model import MISSING as MISSING_SENTINEL  # noqa: E402  (kept last: names read above)
