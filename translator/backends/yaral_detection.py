"""Canonical detection -> the boolean expression of a YARA-L 2.0 ``events`` section over ``$e``.

Meaning is kept against translator.evaluator (Panther's Python) as follows:

* UDM fields that are absent read as their zero value ("" / 0 / false) in YARA-L. For each
  predicate rulec asks the reference evaluator what Python answers on a missing field and what
  the emitted test answers on the zero value; when they differ a guard (``and $e.f != ""`` or
  ``or $e.f = ""``) restores Python's answer. A present empty value and a missing one look the
  same in UDM (proto3): that residue is a warning, not silently assumed away.
* Repeated UDM fields (``principal.ip``, ``security_result.*``...) are always addressed with
  ``any``: documented to be false on an empty list, so ``not`` around it means "none".
  Unmodified references would unnest the event into rows, whose meaning under ``not`` differs.
* Regexes go through the RE2 rewriting shared with Sigma (YARA-L uses RE2); lookarounds and
  backreferences are reported unsupported. Case-insensitive tests are ``nocase``.
* Anything else that cannot keep its meaning is a Finding: ``partial`` when emitted with a
  stated difference, ``unsupported`` when no faithful test exists (no rule is emitted then).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Any

from ..evaluator import evaluate
from ..mapping import EACH, MappingSet, ResolvedField, Unmapped, dotted
from ..mapping.udm import UdmField, lookup
from ..model import (
    COUNT_OPS, All, AnyOf, Const, Count, Field, First, Not, Opaque, Predicate, Quantifier,
)
from .base import Finding
from .sigma_detection import _glob_regex, _private_networks
from .sigma_regex import translate as re2_translate

ZERO = {"string": "", "enum": "", "map": "", "int": 0, "float": 0, "bool": False}
NUMERIC = ("int", "float")
_HOMES: dict = {}  # (log type) -> UDM homes; mappings are immutable within a process


class Inexpressible(Exception):
    """A construct with no faithful YARA-L test (reported unsupported by the caller)."""

    def __init__(self, construct: str, reason: str):
        super().__init__(f"{construct}: {reason}")
        self.construct, self.reason = construct, reason


def string_literal(text: str) -> str:
    """A YARA-L double-quoted string (backslash and quote escaped). Control characters have no
    documented escape: callers use a regex for those (``has_control``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def re2_literal(text: str) -> str:
    """RE2 pattern matching ``text`` literally."""
    out = []
    for c in text:
        if ord(c) < 0x20 or ord(c) == 0x7F or c == "`":
            out.append("\\x{%x}" % ord(c))
        elif c in ".^$*+?()[]{}|\\":
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def regex_arg(body: str) -> str:
    """A backquoted (raw) YARA-L string for an RE2 pattern; a backquote cannot appear inside."""
    return "`" + body.replace("`", "\\x{60}") + "`"


@dataclass(frozen=True)
class Ref:
    """One UDM value a predicate reads: ``text`` is the accessor (``$e.principal.ip``)."""

    name: str  # UDM name, with ["key"] for maps
    udm: UdmField | None
    panther_type: str  # the Panther-side value type from the mapping
    fallback: bool = False

    @property
    def repeated(self) -> bool:
        return bool(self.udm and self.udm.repeated)

    @property
    def type(self) -> str:
        if self.udm is None:
            return "string"
        return "string" if self.udm.type == "map" else self.udm.type

    def text(self) -> str:
        return ("any " if self.repeated else "") + "$e." + self.name


class Lowering:
    def __init__(self, mappings: MappingSet, log_type: str, strict: bool = False):
        self.mappings, self.log_type, self.strict = mappings, log_type, strict
        self.findings: list[Finding] = []
        self.unmapped: list[str] = []
        self._in_quantifier = False
        self.zero_compared = False

    def note(self, construct: str, reason: str, severity: str = "partial") -> None:
        f = Finding(construct, reason, severity)
        if f not in self.findings:
            self.findings.append(f)

    # ------------------------------------------------------------------ fields
    def ref(self, field: Field, element_of: tuple = (), fallback: bool = True) -> Ref | list | tuple:
        """A Ref, a list of Refs (indicator unions: any of them), or ("const", value). Unmapped
        fields read from the fallback location (a partial finding) unless ``fallback`` is off
        (outcome fields: left out instead)."""
        # Panther reads keys case-insensitively: a rule traced on a test writing "eventname"
        # reads the log's eventName, which is what the mapping (and the UDM parser) knows
        schema = self.mappings.schema(self.log_type)
        lead = tuple(element_of) + ((EACH,) if element_of else ())
        spelled = schema.canonical(lead + tuple(field.path))
        if field.path:
            field = replace(field, path=spelled[len(lead):])
            element_of = spelled[:len(element_of)]
        r = self.mappings.resolve_field(self.log_type, "chronicle", field, element_of=element_of)
        where = dotted(spelled)
        walked = schema.walk(spelled)
        self._panther_type = walked[-1][1] if walked else "unknown"
        if isinstance(r, Unmapped):
            if self.strict or r.fallback is None or not fallback:
                raise Inexpressible(f"unmapped field {where}", r.reason)
            self.unmapped.append(where)
            self.note(f"unmapped field {where}", f"{r.reason}; read from {r.fallback.name}, "
                      "where UDM parsers keep unmapped data (confirm for your parser)")
            return self._ref_of(r.fallback, where, fallback=True)
        return self._ref_of(r, where)

    def _ref_of(self, r: ResolvedField, where: str, fallback: bool = False):
        if r.column_type == "constant":
            return ("const", r.constant)
        if r.any_of:
            self.note(f"indicator field {where}", r.note, "warning")
            return [self._ref_of(x, where) for x in r.any_of]
        if r.members:
            raise Inexpressible(f"object {where}", "compared as a whole; UDM spreads it over "
                                "several fields")
        if r.column_type == "labels":
            name = f'{r.name}["{_key_text(str(r.steps[0].key))}"]'
        elif fallback:
            name = r.name
        elif r.steps:
            if any(s.json or not isinstance(s.key, str) or s.key == EACH for s in r.steps):
                raise Inexpressible(f"field {where}", f"below UDM {r.name} as JSON/indexed data, "
                                    "which YARA-L cannot address")
            name = r.name + "." + ".".join(s.key for s in r.steps)
        else:
            name = r.name
        others = [(x, o) for x, o in self._homes().get(name, ()) if x != where]
        if others and not fallback and r.column_type != "labels":
            # when only this field's home is stated by the mapping, the others are the doubtful
            # ones (a warning); two stated homes, or a guessed one, make the value uncertain
            doubtful = r.origin != "explicit" or any(o == "explicit" for _, o in others)
            self.note(f"UDM field {name}", f"also filled from {', '.join(x for x, _ in others[:3])}"
                      f": which value it holds for {where} depends on the parser",
                      "partial" if doubtful else "warning")
        udm = lookup(name)
        if udm is None:
            self.note(f"UDM field {name}", "not in the UDM field list shipped with rulec "
                      "(translator/data/udm_fields.yaml)", "warning")
        return Ref(name, udm, getattr(self, "_panther_type", r.type), fallback)

    def _homes(self) -> dict:
        """UDM name -> the Panther schema paths of this log type that resolve to it."""
        key = (self.mappings, self.log_type)
        cache = _HOMES
        if key not in cache:
            out: dict = {}
            for path in self.mappings.schema(self.log_type).types:
                r = self.mappings.resolve(self.log_type, "chronicle", path)
                if isinstance(r, ResolvedField) and r.name and not r.steps and \
                        r.column_type not in ("labels", "constant", "composite"):
                    out.setdefault(r.name, []).append((dotted(path), r.origin))
            cache[key] = out
        return cache[key]

    # ------------------------------------------------------------------ expressions
    def lower_lines(self, e: Any) -> list | bool:
        """The events-section lines (implicitly AND-ed) of ``e``, or a constant."""
        items = e.items if isinstance(e, All) else (e,)
        lines = []
        for item in items:
            x = self.lower(item)
            if x is False:
                return False
            if x is not True:
                lines.extend(self.lower_lines(item) if isinstance(item, All) else [x])
        return lines or True

    def lower(self, e: Any, element_of: tuple = ()) -> str | bool:
        if isinstance(e, Const):
            return e.value
        if isinstance(e, Opaque):
            raise Inexpressible(e.construct, e.reason)
        if isinstance(e, Not):
            inner = self.lower(e.item, element_of)
            return (not inner) if isinstance(inner, bool) else f"not ({inner})"
        if isinstance(e, (All, AnyOf)):
            conj = isinstance(e, All)
            parts = []
            for item in e.items:
                x = self.lower(item, element_of)
                if isinstance(x, bool):
                    if x != conj:
                        return x
                    continue
                parts.append(x)
            if not parts:
                return conj
            if len(parts) == 1:
                return parts[0]
            return "(" + (" and " if conj else " or ").join(parts) + ")"
        if isinstance(e, Quantifier):
            return self.quantifier(e)
        if isinstance(e, Count):
            raise Inexpressible(f"count() over {e.tally.field}", "YARA-L's event conditions "
                                "test a repeated UDM field's values one at a time; they cannot "
                                "count the elements that pass a test")
        if isinstance(e, First):
            raise Inexpressible(f"{'last' if e.last else 'first'}() over {e.field}", "which element of the array comes first decides the result (an ordered loop), and YARA-L (UDM repeated fields have no order) has no ordered array test")
        if isinstance(e, Predicate):
            return self.predicate(e, element_of)
        raise TypeError(f"not an expression: {e!r}")

    def quantifier(self, q: Quantifier) -> str | bool:
        if q.field.root != "event" or q.field.transforms:
            raise Inexpressible(f"{q.kind}() over {q.field}", "nested or transformed arrays")
        path = tuple(q.field.path)
        preds = [n for n in _leaves(q.where)]
        for p in preds:
            ref = self.ref(p.field, element_of=path) if p.field.root == "element" else None
            if isinstance(ref, Ref) and not ref.repeated:
                self.note(f"{q.kind}() over {q.field.dotted}",
                          f"the elements map to the single-valued UDM field {ref.name}: only one "
                          "element is held, the others are not tested")
        joint = isinstance(q.where, All) and len([p for p in preds if p.field.root == "element"]) > 1
        if joint and q.kind in ("any", "none"):
            self.note(f"{q.kind}() over {q.field.dotted}", "conditions on one array element are "
                      "tested each on any element (UDM keeps no element identity across fields)")
        if q.kind in ("any", "none"):
            self._in_quantifier = True
            try:
                inner = self.lower(q.where, element_of=path)
            finally:
                self._in_quantifier = False
            if q.kind == "none":
                return (not inner) if isinstance(inner, bool) else f"not ({inner})"
            return inner
        if q.kind == "all" and isinstance(q.where, Predicate) and q.where.op == "eq" \
                and not isinstance(q.where.value, Field):
            ref = self.ref(q.where.field, element_of=path)
            if isinstance(ref, Ref) and ref.repeated and not ref.udm.type == "map":
                # all(x == v) == not any(x != v); any() over an empty list is false
                value = self.literal(q.where.value, ref, q.where.case_sensitive)
                return f"not ({ref.text()} != {value})"
        raise Inexpressible(f"{q.kind}() over {q.field.dotted}", "YARA-L's any/all apply to "
                            "one comparison on one repeated field")

    # ------------------------------------------------------------------ predicates
    def predicate(self, p: Predicate, element_of: tuple) -> str | bool:
        ref = self.ref(p.field, element_of)
        if isinstance(ref, tuple):  # p_log_type and the like: the source fixes the value
            return evaluate(replace(p, field=Field(("v",))), {"v": ref[1]})
        if isinstance(ref, list):
            parts = [self.predicate_on(p, r) for r in ref]
            return "(" + " or ".join(parts) + ")" if len(parts) > 1 else parts[0]
        return self.predicate_on(p, ref)

    def predicate_on(self, p: Predicate, ref: Ref) -> str:
        accessor = ref.text()
        for t in p.field.transforms:
            if t.name in ("lower", "upper") and not ref.repeated:
                accessor = f"strings.to_{t.name}({accessor})"
            else:
                raise Inexpressible(f"{t.name}() on {p.field.dotted}", "no YARA-L function with "
                                    "Python's meaning" + (" on a repeated field" if ref.repeated else ""))
        core = self.core(p, ref, accessor)
        if isinstance(p.value, Field):
            self.note(f"comparison of {p.field.dotted} with {p.value.dotted}", "missing fields read "
                      "as empty values on both sides", "warning")
            return core
        return self.guard(p, ref, core)

    def guard(self, p: Predicate, ref: Ref, core: str) -> str:
        if self.zero_compared:  # `= ""` itself: a guard would contradict it (reported)
            self.zero_compared = False
            if p.op == "eq":
                return core
        missing = _outcome(p, None)
        zero = ZERO.get(ref.type)
        if zero is None:
            return core
        if p.op in ("exists", "present", "truthy"):
            on_zero = False  # the emitted `!= zero` / `= true` tests
        elif p.op == "null":
            on_zero = True
        else:
            on_zero = False if ref.repeated else _outcome(
                p, 0 if p.op in ("gt", "ge", "lt", "le") else zero)  # cast.as_float("") is 0
        if p.op in ("exists", "present", "truthy", "null") or missing != on_zero:
            self.note(f"empty {p.field.dotted}", "UDM does not tell a present empty value from a "
                      "missing one", "warning")
        if missing == on_zero:
            return core
        plain = "$e." + ref.name
        zero_text = self.literal(zero, ref, True)
        if missing:  # Python matches the missing field, the test does not
            if ref.repeated:
                return f"({core} or not ({plain.replace('$e.', 'any $e.', 1)} != {zero_text}))"
            return f"({core} or {plain} = {zero_text})"
        return f"({core} and {plain} != {zero_text})"

    def literal(self, v: Any, ref: Ref, case_sensitive: bool) -> str:
        if isinstance(v, bool):
            if ref.type == "bool":
                return "true" if v else "false"
            return string_literal("true" if v else "false")
        if isinstance(v, (int, float)):
            return str(v) if ref.type in NUMERIC else string_literal(str(v))
        if isinstance(v, str):
            return string_literal(v) + ("" if case_sensitive else " nocase")
        raise Inexpressible(f"value {v!r}", "no YARA-L literal")

    def core(self, p: Predicate, ref: Ref, a: str) -> str:
        op, v, cs = p.op, p.value, p.case_sensitive
        if op == "eq":
            if isinstance(v, Field):
                if v.root == "element" or p.field.root == "element":
                    raise Inexpressible(f"comparison with {v.dotted}", "two fields of array "
                                        "elements: UDM keeps no element boundaries")
                other = self.ref(v)
                if not isinstance(other, Ref) or other.repeated or ref.repeated:
                    raise Inexpressible(f"comparison with {v.dotted}", "only single-valued fields")
                return f"{a} = $e.{other.name}"
            if v is None:
                return self.core(replace(p, op="null"), ref, a)
            if isinstance(v, str) and has_control(v):
                return self.regex_test(a, r"\A" + re2_literal(v) + r"\z", cs)
            if isinstance(v, str) and ref.type in NUMERIC:
                raise Inexpressible(f"{p.field.dotted} == {v!r}", "a text value on a numeric UDM field")
            if v == ZERO.get(ref.type) and type(v) is type(ZERO.get(ref.type)) and not ref.repeated:
                self.zero_compared = True
                self.note(f"{p.field.dotted} == {v!r}", "the empty value: UDM cannot tell it from "
                          "a missing field, which matches as well")
            if isinstance(v, (bool, int, float)) and ref.type == "string":
                self.note(f"{p.field.dotted} == {v!r}", "the UDM field holds text: the text "
                          f"{str(v).lower() if isinstance(v, bool) else str(v)!r} matches as well")
            return f"{a} = {self.literal(v, ref, cs)}"
        if op == "in":
            values = tuple(v) if isinstance(v, (tuple, list, set, frozenset)) else ()
            if not values:
                raise Inexpressible(f"{p.field.dotted} in {v!r}", "not a list of values")
            parts = [self.core(replace(p, op="eq", value=x), ref, a) for x in values]
            return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"
        if op in ("contains", "startswith", "endswith"):
            values = v if isinstance(v, tuple) else (v,)
            if not all(isinstance(x, str) for x in values):
                raise Inexpressible(f"{op} on {p.field.dotted}", "non-text operand")
            parts = []
            for x in values:
                lit = re2_literal(x)
                body = {"contains": lit, "startswith": r"\A" + lit, "endswith": lit + r"\z"}[op]
                if op == "contains" and cs and not has_control(x):
                    parts.append(f"strings.contains({a}, {string_literal(x)})")
                elif op == "startswith" and cs and not has_control(x):
                    parts.append(f"strings.starts_with({a}, {string_literal(x)})")
                else:
                    parts.append(self.regex_test(a, body, cs))
            return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"
        if op == "regex":
            rx = re2_translate(str(v), tuple(p.flags), cs)
            if rx.problem:
                raise Inexpressible(rx.problem, f"RE2 (YARA-L's regex engine) has no equivalent of {v!r}")
            for w in rx.warnings:
                self.note(f"regex {v!r}", w, "warning")
            inline = "".join(m for m in rx.modifiers if m in "ms")
            body = (f"(?{inline})" if inline else "") + rx.pattern
            return self.regex_test(a, body, "i" not in rx.modifiers)
        if op == "glob":
            return self.regex_test(a, r"(?s)\A(?:" + _glob_regex(str(v)) + r")\z", cs)
        if op in ("exists", "present", "truthy", "null"):
            zero = self.literal(ZERO.get(ref.type, ""), ref, True)
            if ref.udm is not None and ref.udm.type == "map" and \
                    ref.panther_type not in ("string", "number", "bool", "timestamp", "ip"):
                self.note(f"{op} on {p.field.dotted}", "the value may be an object or a list, of "
                          "which UDM key/value fields hold only the scalar leaves")
            if op == "truthy" and ref.type == "string" and ref.panther_type == "bool":
                return f'{a} = "true"'
            if op == "truthy" and ref.type == "string" and ref.panther_type != "string":
                self.note(f"truthiness of {p.field.dotted}", "the value's type is not known: "
                          "\"false\" is read as false (a JSON false becomes that text in UDM)",
                          "warning")
                return f'({a} != "" and {a} != "false")'
            if op == "truthy" and ref.type == "bool":
                return f"{a} = true"
            if op == "null":
                return f"not ({a} != {zero})" if ref.repeated else f"{a} = {zero}"
            return f"{a} != {zero}"
        if op in ("gt", "ge", "lt", "le"):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or p.field.transforms:
                raise Inexpressible(f"{p.field.dotted} {op} {v!r}", "an order comparison YARA-L "
                                    "types cannot state (text value or transformed field)")
            sym = COUNT_OPS[op]
            if ref.type in NUMERIC:
                self.note(f"{p.field.dotted} {op} {v!r}", "a JSON true/false in this field: "
                          "Python orders it as 1/0, a UDM number field holds no boolean",
                          "warning")
                return f"{a} {sym} {v}"
            if ref.type != "string" or ref.repeated:
                raise Inexpressible(f"{p.field.dotted} {op} {v!r}", f"an order comparison on a "
                                    f"{ref.type} UDM field")
            # a number kept as text (labels): cast.as_float reads "" and non-numbers as 0
            self.note(f"{p.field.dotted} {op} {v!r}", "compared as cast.as_float(text): text "
                      "that is not a number reads as 0 (Python would not match it; a JSON "
                      "true/false, which Python orders as 1/0, too), floats keep 7 digits",
                      "warning")
            return f"cast.as_float({a}) {sym} {v}"
        if op in ("cidr", "ip_private"):
            nets = _private_networks() if op == "ip_private" else (
                v if isinstance(v, (tuple, list)) else (v,))
            parts = [f"net.ip_in_range_cidr({a}, {string_literal(str(n))})" for n in nets]
            return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"
        if op in ("is_ip", "is_ipv4", "is_ipv6", "ip_public"):
            # net.ip_in_range_cidr is false for text that is not an address of that family
            nets = {"is_ipv4": ("0.0.0.0/0",), "is_ipv6": ("::/0",)}.get(op, ("0.0.0.0/0", "::/0"))
            parts = [f"net.ip_in_range_cidr({a}, {string_literal(n)})" for n in nets]
            test = parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"
            if op != "ip_public":
                return test
            if ref.repeated and self._in_quantifier:
                self.note(f"public address test on {p.field.dotted}", "address and non-public "
                          "ranges are tested each on any element of the repeated UDM field")
            # Python's is_global: not private, and (IPv4) not in the shared address space
            special = _private_networks() + (str(ipaddress.IPv4Address._constants._public_network),)
            ranges = " or ".join(f"net.ip_in_range_cidr({a}, {string_literal(n)})" for n in special)
            return f"({test} and not ({ranges}))"
        if op == "member":
            if not ref.repeated:
                raise Inexpressible(f"{v!r} in {p.field.dotted}", "the UDM field is not repeated")
            return f"{a} = {self.literal(v, ref, cs)}"
        raise Inexpressible(f"{op} on {p.field.dotted}", "no YARA-L test with Python's meaning")

    @staticmethod
    def regex_test(a: str, body: str, case_sensitive: bool) -> str:
        return f"re.regex({a}, {regex_arg(body)})" + ("" if case_sensitive else " nocase")


def _key_text(key: str) -> str:
    return key.replace("\\", "\\\\").replace('"', '\\"')


def _leaves(e: Any) -> list:
    if isinstance(e, Predicate):
        return [e]
    if isinstance(e, (All, AnyOf)):
        return [p for x in e.items for p in _leaves(x)]
    if isinstance(e, Not):
        return _leaves(e.item)
    return []


def _outcome(p: Predicate, value: Any) -> bool:
    """What Python answers for ``p`` when its field is missing (value None) or holds ``value``."""
    probe = Field(("v",), p.field.default, p.field.default_on_null, p.field.transforms)
    event = {} if value is None else {"v": value}
    return evaluate(replace(p, field=probe), event)
