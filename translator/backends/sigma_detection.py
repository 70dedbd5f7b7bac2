"""Canonical detection ``Expr`` -> Sigma ``detection`` (named selections + a readable condition).

Two steps: ``Lowering`` turns the expression into a small Sigma-shaped boolean tree (``Leaf`` =
one ``field|modifiers: values`` item, values OR-ed), keeping Python's meaning and reporting
every construct Sigma cannot express; ``to_detection`` groups the tree into selections named
from the fields they test (``selection``, ``filter_error_code``) and writes the condition.

Missing fields. Sigma's field conditions are false on an event that lacks the field, and
``not`` inverts (pySigma's SQL backends wrap every ``NOT`` in ``COALESCE(.., 0)`` for that):
a two-valued logic in which a missing field simply does not match. Python agrees for most
predicates (``event.get("a") == "x"`` is False when ``a`` is missing, so ``not`` is True), but
not when a default makes the predicate true on a missing field (``event.get("a", "") == ""``).
For every predicate the outcome on a missing field is computed with the reference evaluator
and, when Sigma's differs, a ``field: null`` alternative (or an ``|exists`` guard) is added.
Sigma (and the flattened records it runs on) cannot tell a JSON null from a missing field;
where Python can, the predicate is reported.

Inexpressible constructs are never dropped silently: each becomes a Finding (``partial``) and is
replaced by the over-approximation of its polarity (True where it is required, False where it
is negated), so the Sigma rule matches at least what the Panther rule matches.
"""
from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, replace
from typing import Any

from ..evaluator import NotEvaluable, evaluate
from ..mapping import EACH, MappingSet, Unmapped
from ..mapping.absent import settle, settle_absent
from ..model import (
    MISSING, All, AnyOf, Const, Count, Field, First, Not, Opaque, Predicate, Quantifier, walk,
)
from .base import Finding
from .glob import class_chars, glob_tokens
from . import sigma_regex

# --------------------------------------------------------------------------- Sigma tree


@dataclass(frozen=True)
class Leaf:
    """``field|modifiers: values`` (values OR-ed, as a Sigma list is)."""

    field: str
    modifiers: tuple
    values: tuple

    @property
    def key(self) -> str:
        return "|".join((self.field,) + self.modifiers)

    def value(self) -> Any:
        return self.values[0] if len(self.values) == 1 else list(self.values)


@dataclass(frozen=True)
class SAnd:
    items: tuple


@dataclass(frozen=True)
class SOr:
    items: tuple


@dataclass(frozen=True)
class SNot:
    item: Any


Node = Any  # Leaf | SAnd | SOr | SNot | bool

_STRING_OPS = ("eq", "in", "contains", "startswith", "endswith", "regex", "glob")
_COMPARE = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def escape(text: str) -> str:
    """A literal string as a Sigma value: ``*`` and ``?`` are wildcards, ``\\`` escapes them
    and itself; a backslash before any other character is literal and stays as written."""
    out = []
    for i, c in enumerate(text):
        if c in "*?":
            out.append("\\" + c)
        elif c == "\\" and i + 1 < len(text) and text[i + 1] in "*?\\":
            out.append("\\\\")
        else:
            out.append(c)
    return "".join(out)


_ANCHORS = {"eq": (r"\A", r"\z"), "startswith": (r"\A", ""), "endswith": ("", r"\z"),
            "contains": ("", "")}


def text_leaves(name: str, op: str, values: tuple, case_sensitive: bool) -> Any:
    """Literal text tests. Values holding ``*``, ``?`` or control characters are written as an
    escaped ``|re`` (control characters as ``\\n``, ``\\x{..}``): the same meaning, and
    SigmaHQ's escaped_wildcard and control_character validators (which ask whether such text
    is intentional) stay quiet."""
    plain = tuple(dict.fromkeys(escape(x) for x in values if not _needs_regex(x)))
    starred = tuple(dict.fromkeys(x for x in values if _needs_regex(x)))
    parts = []
    if plain:
        mods = () if op == "eq" else (op,)
        parts.append(Leaf(name, mods + _cased(case_sensitive), plain))
    if starred:
        lead, tail = _ANCHORS[op]
        parts.append(Leaf(name, ("re",) + (() if case_sensitive else ("i",)),
                          tuple(lead + _re_literal(x) + tail for x in starred)))
    return parts[0] if len(parts) == 1 else SOr(tuple(parts))


def _needs_regex(text: str) -> bool:
    return any(c in "*?" or ord(c) < 32 or ord(c) == 127 for c in text)


_CONTROL = {"\n": r"\n", "\t": r"\t", "\r": r"\r", "\f": r"\f", "\v": r"\v"}


def _re_literal(text: str) -> str:
    out = []
    for c in text:
        if c in _CONTROL:
            out.append(_CONTROL[c])
        elif ord(c) < 32 or ord(c) == 127:
            out.append(r"\x{%X}" % ord(c))
        else:
            out.append(_re_escape(c))
    return "".join(out)


def _cased(case_sensitive: bool) -> tuple:
    return ("cased",) if case_sensitive else ()


def _private_networks() -> tuple:
    """The networks Python's ``ip_address(x).is_private`` tests (this interpreter's list)."""
    nets = []
    for cls in (ipaddress.IPv4Address, ipaddress.IPv6Address):
        nets.extend(str(n) for n in cls._constants._private_networks)  # type: ignore[attr-defined]
    return tuple(nets)


# --------------------------------------------------------------------------- lowering


class Lowering:
    """Expr -> Sigma tree for one log type; collects findings."""

    def __init__(self, mappings: MappingSet, log_type: str, strict: bool = False,
                 container_paths: frozenset = frozenset(), array_paths: frozenset = frozenset()):
        self.mappings = mappings
        self.log_type = log_type
        self.strict = strict
        # paths (str keys, EACH for list steps) that hold an object or array in the rule's own
        # test events: Sigma's flat fields hold leaf values only, so their presence is untestable
        self.container_paths = container_paths
        # paths holding an array in the rule's tests: Sigma's flat field below one is multivalue
        self.array_paths = array_paths
        self.findings: list[Finding] = []

    # ----------------------------------------------------------------- reporting
    def report(self, construct: str, reason: str, severity: str = "partial",
               location: str = "") -> None:
        f = Finding(construct, reason, severity, location)
        if f not in self.findings:
            self.findings.append(f)

    def inexpressible(self, construct: str, reason: str, positive: bool) -> bool:
        """Report and over-approximate: True where the construct is required, False where it is
        negated, so that the Sigma rule still matches every event the Panther rule matches."""
        self.report(construct, reason + ("; dropped from the Sigma condition (it matches more "
                                         "events)"))
        return positive

    # ----------------------------------------------------------------- expressions
    def lower_detection(self, e: Any) -> Node:
        """The whole detection for this log type, simplified."""
        settled = settle_absent(settle_log_type(e, self.log_type), self.mappings, self.log_type)
        return simplify(self.lower(settled))

    def lower(self, e: Any, positive: bool = True, element_of: tuple = ()) -> Node:
        if isinstance(e, Const):
            return e.value
        if isinstance(e, All):
            return SAnd(tuple(self.lower(x, positive, element_of) for x in e.items))
        if isinstance(e, AnyOf):
            return SOr(tuple(self.lower(x, positive, element_of) for x in e.items))
        if isinstance(e, Not):
            return SNot(self.lower(e.item, not positive, element_of))
        if isinstance(e, Opaque):
            where = f" ({e.location})" if e.location else ""
            return self.inexpressible(e.construct, f"not extracted from the rule{where}: {e.reason}",
                                      positive)
        if isinstance(e, Quantifier):
            return self.quantifier(e, positive, element_of)
        if isinstance(e, Count):
            return self.inexpressible(f"count() over {e.tally.field}", "Sigma has no count of "
                                      "array elements (only field conditions per event)", positive)
        if isinstance(e, First):
            return self.inexpressible(f"{'last' if e.last else 'first'}() over {e.field}", "which element of the array comes first decides the result (an ordered loop), and Sigma has no ordered array test", positive)
        if isinstance(e, Predicate):
            return self.predicate(e, positive, element_of)
        raise TypeError(f"not an expression: {e!r}")

    def quantifier(self, q: Quantifier, positive: bool, element_of: tuple) -> Node:
        if q.field.transforms or q.field.root == "element" or element_of:
            return self.inexpressible(f"{q.kind}() over {q.field}", "nested or transformed "
                                      "array quantifier", positive)
        if any(isinstance(n, (Not, Quantifier)) for n in walk(q.where)):
            return self.inexpressible(f"{q.kind}() over {q.field}", "Sigma has no array "
                                      "quantifier (a negation inside one cannot be flattened)",
                                      positive)
        if q.kind == "any" and positive:
            self.report(f"any() over {q.field}", "Sigma has no array quantifier: written as "
                        "conditions on the array's multivalue fields (an event matches when "
                        "any element matches each condition, not necessarily the same element; "
                        "how multivalue fields match depends on the Sigma backend)")
            return self.lower(q.where, positive, element_of=tuple(q.field.path))
        return self.inexpressible(f"{q.kind}() over {q.field}",
                                  "Sigma has no array quantifier", positive)

    # ----------------------------------------------------------------- fields
    def field_name(self, field: Field, element_of: tuple, positive: bool) -> str | None:
        if field.root == "element" and not element_of:
            return None
        r = self.mappings.resolve_field(self.log_type, "sigma", field, element_of=element_of)
        if isinstance(r, Unmapped):
            if self.strict or r.fallback is None:
                self.report(f"unmapped field {field}", r.message, "unsupported")
                return r.fallback.name if r.fallback else field.dotted
            if r.kind == "absent":
                # the source never holds it (Panther computes p_* fields, enrichments): a test
                # on it cannot mean what the rule means
                self.report(f"unmapped field {field}", f"{r.message}; written as "
                            f"{r.fallback.name!r}, which no event of this source has")
                return r.fallback.name
            self.report(f"unmapped field {field}", f"{r.message}; written as "
                        f"{r.fallback.name!r} (rulec's documented fallback)", "warning")
            return r.fallback.name
        return r.name

    def under_array(self, path: tuple) -> bool:
        steps = tuple(EACH if isinstance(s, int) else s for s in path)
        return any(steps[:i] in self.array_paths for i in range(1, len(steps) + 1))

    def is_container(self, field: Field, element_of: tuple) -> bool:
        """An object/array by the mapping's type, or in one of the rule's test events."""
        typ = self.field_type(field, element_of)
        if typ in ("json", "object", "array", "any") or typ.endswith("[]"):
            return True
        path = tuple(element_of) + ((EACH,) if field.root == "element" else ()) + tuple(field.path)
        return tuple(EACH if isinstance(s, int) else s for s in path) in self.container_paths

    def field_type(self, field: Field, element_of: tuple) -> str:
        try:
            r = self.mappings.resolve_field(self.log_type, "sigma", field, element_of=element_of)
        except ValueError:
            return "unknown"
        return r.type if not isinstance(r, Unmapped) else "unknown"

    # ----------------------------------------------------------------- predicates
    def predicate(self, p: Predicate, positive: bool, element_of: tuple) -> Node:
        f = p.field
        if f.root == "event" and tuple(f.path) == ("p_log_type",) and not f.transforms:
            # the logsource selects the log type: the test is a constant for this document
            return evaluate(p, {"p_log_type": self.log_type})
        plain = dict(default=MISSING, default_on_null=False, transforms=())
        name_field = replace(f, **plain)
        if any(isinstance(s, int) for s in f.path):
            if not positive:
                return self.inexpressible(f"{f} (array index)", "Sigma field names have no "
                                          "array index", positive)
            self.report(f"{f} (array index)", "Sigma field names have no array index: written "
                        "as a condition on the multivalue field (any element)")
            name_field = replace(name_field, path=tuple(EACH if isinstance(s, int) else s
                                                        for s in f.path))
        work = p
        if f.transforms:
            work = self.fold_transform(p, positive)
            if not isinstance(work, Predicate):
                return work
        work = replace(work, field=replace(work.field, **plain))
        name = self.field_name(name_field, element_of, positive)
        if name is None:
            return self.inexpressible(str(f), "field outside Sigma's reach", positive)
        if _tests_presence(work) and self.is_container(name_field, element_of):
            return self.inexpressible(f"{f} {p.op}", "the field holds an object or array, and "
                                      "Sigma's flat fields hold leaf values only: its presence "
                                      "or emptiness cannot be tested", positive)
        if not _tests_presence(work) and f.root == "event" and not element_of \
                and self.under_array(f.path):
            reason = ("the rule's test events hold an array at or above this field; Sigma's "
                      "flat field then holds every element (a match on any of them), while "
                      "Python compares the value at this path")
            if not positive:
                return self.inexpressible(f"{f} {p.op}", reason, positive)
            self.report(f"{f} {p.op}", reason)
        present = self.present(work, name, element_of, positive)
        if isinstance(present, bool):
            return present
        return self.absent_fixup(p, present, name, element_of)

    def fold_transform(self, p: Predicate, positive: bool) -> Any:
        """``lower(x) == "abc"`` -> case-insensitive ``x == "abc"``; other transforms are not
        expressible in Sigma."""
        names = [t.name for t in p.field.transforms]
        if names[:1] == ["str"] and self.field_type(replace(p.field, transforms=()), ()) == "string":
            names = names[1:]  # str() of a text field is the text (missing: see absent_fixup)
            if not names:
                return replace(p, field=replace(p.field, transforms=()))
        if names not in (["lower"], ["upper"]) or p.op not in _STRING_OPS:
            return self.inexpressible(f"{p.field}", "Sigma cannot transform a field value "
                                      f"({', '.join(names)}) before comparing", positive)
        fold = names[0]
        operands = p.value if isinstance(p.value, tuple) else (p.value,)
        if not all(isinstance(o, str) for o in operands):
            return self.inexpressible(f"{p.field} {p.op} {p.value!r}", "non-text operand of a "
                                      "case-folded field", positive)
        kept = tuple(o for o in operands if getattr(o, fold)() == o)
        if p.op in ("regex", "glob") and kept != operands:
            return self.inexpressible(f"{p.field} {p.op} {p.value!r}", "pattern holds letters "
                                      "the folded field can never contain", positive)
        if not kept:
            return False  # a folded value never equals an operand of the other case
        value = kept if isinstance(p.value, tuple) else kept[0]
        return replace(p, field=replace(p.field, transforms=()), value=value, case_sensitive=False)

    def present(self, p: Predicate, name: str, element_of: tuple, positive: bool) -> Node:
        """The Sigma tree of ``p`` on an event where the field is present (no default)."""
        op, v, cs = p.op, p.value, p.case_sensitive
        if isinstance(v, Field):
            return self.field_reference(p, name, element_of, positive)
        if op == "eq":
            if isinstance(v, str):
                return text_leaves(name, "eq", (v,), cs)
            if isinstance(v, bool) and self.field_type(p.field, element_of) != "bool":
                self.report(f"{p.field} == {v}", "Sigma's boolean also matches the text "
                            f"'{str(v).lower()}' (pySigma's SQL: = 'true' OR = 1), and the "
                            "mapping does not type this field as bool: Python's == does not")
            if v is None or isinstance(v, (bool, int, float)):
                return Leaf(name, (), (v,))
            return self.inexpressible(f"{p.field} == {v!r}", "Sigma values are scalars", positive)
        if op in ("in", "member"):
            if op == "member":
                if not positive:
                    return self.inexpressible(f"{v!r} in {p.field}", "Sigma cannot test list "
                                              "membership under a negation", positive)
                self.report(f"{v!r} in {p.field}", "list membership written as a match on the "
                            "multivalue field (meaning depends on the Sigma backend)")
                v = (v,)
            if not isinstance(v, tuple) or any(isinstance(x, (tuple, list, dict)) for x in v):
                return self.inexpressible(f"{p.field} in {v!r}", "Sigma values are scalars",
                                          positive)
            texts = tuple(x for x in v if isinstance(x, str))
            others = tuple(dict.fromkeys(x for x in v if not isinstance(x, str)))
            parts = ([text_leaves(name, "eq", texts, cs)] if texts else []) + \
                    ([Leaf(name, (), others)] if others else [])
            return SOr(tuple(parts)) if len(parts) != 1 else parts[0]
        if op in ("contains", "startswith", "endswith"):
            operands = v if isinstance(v, tuple) else (v,)
            if not operands or not all(isinstance(o, str) for o in operands):
                return self.inexpressible(f"{p.field} {op} {v!r}", "non-text operand", positive)
            return text_leaves(name, op, operands, cs)
        if op == "regex":
            if not isinstance(v, str):
                return self.inexpressible(f"{p.field} regex {v!r}", "non-text pattern", positive)
            rx = sigma_regex.translate(v, tuple(p.flags), cs)
            if rx.problem:
                return self.inexpressible(f"{p.field} regex {v!r}", rx.problem + " (pySigma 2 "
                                          "checks |re values with RE2)", positive)
            for w in rx.warnings:
                self.report(f"{p.field} regex {v!r}", w, "warning")
            return Leaf(name, ("re",) + rx.modifiers, (rx.pattern,))
        if op == "glob":
            return self.glob(p, name, positive)
        if op in ("exists", "present"):
            # "present" (key there, even null): Sigma sees null as missing; absent_fixup reports it
            return Leaf(name, ("exists",), (True,))
        if op == "null":
            return Leaf(name, (), (None,))
        if op == "truthy":
            return self.truthy(p, name, element_of)
        if op in _COMPARE:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return self.inexpressible(f"{p.field} {op} {v!r}", "Sigma compares numbers only",
                                          positive)
            return Leaf(name, (_COMPARE[op],), (v,))
        if op == "cidr":
            nets = v if isinstance(v, (tuple, list)) else (v,)
            try:
                norm = tuple(dict.fromkeys(str(ipaddress.ip_network(n, strict=False)) for n in nets))
            except ValueError as exc:
                return self.inexpressible(f"{p.field} in network {v!r}", str(exc), positive)
            return Leaf(name, ("cidr",), norm)
        if op == "ip_private":
            return Leaf(name, ("cidr",), _private_networks())
        if op == "ip_public":
            self.report(f"{p.field} is a public address", "Sigma cannot test that a value is "
                        "an IP address: any non-private value matches, also text that is not "
                        "an address")
            return SNot(Leaf(name, ("cidr",), _private_networks() + ("100.64.0.0/10",)))
        if op in ("is_ip", "is_ipv4", "is_ipv6"):
            return self.ip_shape(p, name, positive)
        return self.inexpressible(f"{p.field} {op}", f"no Sigma modifier for {op}", positive)

    def ip_shape(self, p: Predicate, name: str, positive: bool) -> Node:
        """``ipaddress.ip_address(x)`` succeeds: IPv4 exactly as Python 3 parses it (no blanks
        around it); IPv6 by the shape of its text (reported)."""
        octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
        v4 = rf"{octet}(?:\.{octet}){{3}}"
        v6 = r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[^%]+)?"
        shapes = {"is_ipv4": (v4,), "is_ipv6": (v6,), "is_ip": (v4, v6)}[p.op]
        if p.op != "is_ipv4":
            if not positive:
                return self.inexpressible(f"{p.field} {p.op}", "Sigma cannot test that a value "
                                          "is an IPv6 address", positive)
            self.report(f"{p.field} {p.op}", "Sigma cannot parse IPv6 addresses: written as a "
                        "regex of the address's characters (matches some non-addresses)")
        return Leaf(name, ("re",), tuple(rf"\A{shape}\z" for shape in shapes))

    def field_reference(self, p: Predicate, name: str, element_of: tuple, positive: bool) -> Node:
        other = self.field_name(replace(p.value, default=MISSING, default_on_null=False),
                                element_of, positive) if not p.value.transforms else None
        if p.op not in ("eq", "contains", "startswith", "endswith") or other is None \
                or p.value.default is not MISSING:
            return self.inexpressible(f"{p.field} {p.op} {p.value}", "field-to-field comparison "
                                      "Sigma's |fieldref cannot express", positive)
        if p.case_sensitive:
            self.report(f"{p.field} {p.op} {p.value}", "Sigma's |fieldref cannot be |cased: the "
                        "comparison ignores case (Python compares exactly)")
        mods = ("fieldref",) + (() if p.op == "eq" else (p.op,))
        return Leaf(name, mods, (other,))

    def glob(self, p: Predicate, name: str, positive: bool) -> Node:
        pattern, cs = p.value, p.case_sensitive
        if not isinstance(pattern, str):
            return self.inexpressible(f"{p.field} glob {pattern!r}", "non-text pattern", positive)
        if "[" in pattern:  # character classes: as an anchored regex
            return self.present(replace(p, op="regex", value=_glob_regex(pattern),
                                        flags=("fullmatch", "DOTALL")), name, (), positive)
        inner = pattern.strip("*")
        lead, trail = pattern.startswith("*"), pattern.endswith("*")
        if inner and not any(c in inner for c in "*?"):
            op = {(True, True): "contains", (False, True): "startswith",
                  (True, False): "endswith"}.get((lead, trail))
            if op:
                return Leaf(name, (op,) + _cased(cs), (escape(inner),))
        out = []
        for i, c in enumerate(pattern):
            nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
            out.append("\\\\" if c == "\\" and nxt in ("*", "?", "\\") else c)
        return Leaf(name, _cased(cs), ("".join(out),))

    def truthy(self, p: Predicate, name: str, element_of: tuple) -> Node:
        typ = self.field_type(p.field, element_of)
        if typ == "bool":
            return Leaf(name, (), (True,))
        falsy = {"string": ("",), "number": (0,)}.get(typ, ("", 0))
        return SAnd((Leaf(name, ("exists",), (True,)), SNot(Leaf(name, (), falsy))))

    # ----------------------------------------------------------------- missing / null
    def absent_fixup(self, p: Predicate, tree: Node, name: str, element_of: tuple) -> Node:
        """Make the Sigma tree give Python's outcome on an event lacking the field."""
        missing = _outcome(p, element_of, null=False)
        null = _outcome(p, element_of, null=True)
        if missing is None:
            return tree
        if null is not None and null != missing:
            self.report(f"{p.field} {p.op} {p.value!r}",
                        "Sigma does not tell a JSON null from a missing field: Python gives "
                        f"{missing} when the field is missing but {null} when it is null; the "
                        "Sigma rule gives " + str(missing) + " for both")
        sigma_says = _sigma_absent(tree, name)
        if missing and not sigma_says:
            extra = [Leaf(name, (), (None,))]
            if isinstance(tree, Leaf) and "fieldref" in tree.modifiers:
                extra = [SAnd((extra[0], Leaf(tree.values[0], (), (None,))))]
            return SOr((tree,) + tuple(extra))
        if not missing and sigma_says:
            return SAnd((tree, Leaf(name, ("exists",), (True,))))
        return tree


def _tests_presence(p: Predicate) -> bool:
    return p.op in ("exists", "null", "truthy", "present") or (p.op == "eq" and p.value is None)


def container_paths(events, arrays_only: bool = False) -> frozenset:
    """Paths (EACH for list steps) whose value is an object or array (or only: an array) in
    any of ``events``."""
    found: set = set()

    def walk_value(path: tuple, value: Any) -> None:
        if isinstance(value, dict):
            if path and not arrays_only:
                found.add(path)
            for k, v in value.items():
                walk_value(path + (str(k),), v)
        elif isinstance(value, list):
            found.add(path)
            for v in value:
                walk_value(path + (EACH,), v)

    for event in events:
        walk_value((), event)
    return frozenset(found)


def settle_log_type(e: Any, log_type: str) -> Any:
    """Replace tests of ``p_log_type`` by their value for this document's log type and fold the
    constants, so branches of other log types are gone before anything is lowered (or
    reported) for this one."""
    def decide(node: Any) -> Const | None:
        if not isinstance(node, Predicate):
            return None
        f = node.field
        if f.root == "event" and tuple(f.path) == ("p_log_type",) \
                and not f.transforms:
            return Const(evaluate(node, {"p_log_type": log_type}))
        return None

    return settle(e, decide)


def _outcome(p: Predicate, element_of: tuple, null: bool) -> bool | None:
    """Python's outcome of ``p`` on an event where its field is missing (or null)."""
    path = tuple(p.field.path)
    if null and not all(isinstance(s, str) for s in path):
        return None
    leaf: Any = {}
    if null and path:
        node: Any = None
        for step in reversed(path):
            node = {step: node}
        leaf = node
    try:
        if p.field.root == "element":
            return evaluate(Quantifier("any", Field(("__rulec_elements__",)), p),
                            {"__rulec_elements__": [leaf]})
        return evaluate(p, leaf)
    except NotEvaluable:
        return None


def _sigma_absent(tree: Node, name: str) -> bool:
    """What the Sigma tree gives when ``name`` is missing (null) and other fields present."""
    if isinstance(tree, bool):
        return tree
    if isinstance(tree, Leaf):
        if tree.field != name:
            return False
        if tree.modifiers == ("exists",):
            return not tree.values[0]
        return not tree.modifiers and None in tree.values
    if isinstance(tree, SAnd):
        return all(_sigma_absent(x, name) for x in tree.items)
    if isinstance(tree, SOr):
        return any(_sigma_absent(x, name) for x in tree.items)
    if isinstance(tree, SNot):
        return not _sigma_absent(tree.item, name)
    raise TypeError(tree)


def _glob_regex(pattern: str) -> str:
    """fnmatch pattern -> regex body (anchoring added by the caller's fullmatch)."""
    out = []
    for tok in glob_tokens(pattern):
        if tok[0] == "any":
            out.append(".*")
        elif tok[0] == "one":
            out.append(".")
        elif tok[0] == "class":
            out.append("[" + ("^" if tok[1] else "") + class_chars(tok[2]) + "]")
        else:
            out.append(_re_escape(tok[1]))
    return "".join(out)


def _re_escape(c: str) -> str:
    return "\\" + c if c in ".^$*+?{}[]\\|()" else c


# --------------------------------------------------------------------------- simplification


def simplify(node: Node) -> Node:
    if isinstance(node, (bool, Leaf)):
        return node
    if isinstance(node, SNot):
        inner = simplify(node.item)
        if isinstance(inner, bool):
            return not inner
        if isinstance(inner, SNot):
            return inner.item
        return SNot(inner)
    cls = type(node)
    absorbing, neutral = (False, True) if cls is SAnd else (True, False)
    items: list = []
    for x in (simplify(i) for i in node.items):
        if x is absorbing:
            return absorbing
        if x is neutral:
            continue
        for y in (x.items if isinstance(x, cls) else (x,)):
            if y not in items:
                items.append(y)
    if cls is SOr:
        items = _merge_or_leaves(items)
    if not items:
        return neutral
    return items[0] if len(items) == 1 else cls(tuple(items))


def _merge_or_leaves(items: list) -> list:
    """``a: x OR a: y`` -> ``a: [x, y]`` (same field and modifiers)."""
    out: list = []
    for x in items:
        if isinstance(x, Leaf) and "exists" not in x.modifiers:
            for i, y in enumerate(out):
                if isinstance(y, Leaf) and y.key == x.key:
                    out[i] = Leaf(y.field, y.modifiers, tuple(dict.fromkeys(y.values + x.values)))
                    break
            else:
                out.append(x)
        else:
            out.append(x)
    return out


# --------------------------------------------------------------------------- emission


def _snake(name: str) -> str:
    last = name.replace("|", ".").split(".")[-1] or name
    out = []
    for i, c in enumerate(last):
        if c.isupper() and i and (last[i - 1].islower() or (i + 1 < len(last) and last[i + 1].islower())):
            out.append("_")
        out.append(c.lower() if c.isalnum() else "_")
    return "".join(out).strip("_") or "field"


class _Emitter:
    def __init__(self):
        self.selections: dict[str, Any] = {}

    def name(self, negated: bool, fields: list[str]) -> str:
        if not negated and "selection" not in self.selections:
            base = "selection"
        else:
            base = ("filter_" if negated else "selection_") + _snake(fields[0])
        name, n = base, 2
        while name in self.selections:
            name, n = f"{base}_{n}", n + 1
        return name

    def add(self, negated: bool, body: Any, fields: list[str]) -> str:
        for existing, other in self.selections.items():
            if other == body:  # the same test under another polarity: one selection
                return existing
        name = self.name(negated, fields)
        self.selections[name] = body
        return name

    def emit(self, node: Node, negated: bool = False) -> tuple[str, int]:
        """(condition text, precedence: 3 atom, 2 not, 1 and, 0 or)."""
        if isinstance(node, Leaf):
            return self.add(negated, {node.key: node.value()}, [node.field]), 3
        if isinstance(node, SNot):
            text, prec = self.emit(node.item, not negated)
            return "not " + (text if prec >= 2 else f"({text})"), 2
        if isinstance(node, SAnd):
            mapped = _as_map(node)
            if mapped is not None:
                return self.add(negated, mapped, _fields(node)), 3
            leaves = [x for x in node.items if isinstance(x, Leaf)]
            rest = _group_filters([x for x in node.items if not isinstance(x, Leaf)])
            parts = []
            if leaves:
                group = SAnd(tuple(leaves)) if len(leaves) > 1 else leaves[0]
                mapped = _as_map(group) if isinstance(group, SAnd) else None
                if mapped is not None:
                    parts.append(self.add(negated, mapped, _fields(group)))
                else:
                    parts.extend(self.emit(x, negated)[0] for x in leaves)
            for x in rest:
                text, prec = self.emit(x, negated)
                parts.append(text if prec >= 1 else f"({text})")
            return " and ".join(parts), 1
        if isinstance(node, SOr):
            maps = [_as_map(x) if isinstance(x, SAnd) else
                    ({x.key: x.value()} if isinstance(x, Leaf) else None) for x in node.items]
            if all(m is not None for m in maps):
                return self.add(negated, maps, _fields(node)), 3
            parts = []
            for x in node.items:
                text, _ = self.emit(x, negated)
                parts.append(text)
            return " or ".join(parts), 0
        raise TypeError(node)


def _simple(node: Node) -> bool:
    return isinstance(node, Leaf) or (isinstance(node, SAnd) and _as_map(node) is not None)


def _group_filters(items: list) -> list:
    """``not a1 and not a2`` on the same field -> ``not filter_a`` (one selection, a list of
    maps): the same meaning, one name per excluded field."""
    out: list = []
    slot: dict[str, int] = {}
    for x in items:
        if isinstance(x, SNot) and _simple(x.item):
            key = _fields(x.item)[0]
            if key in slot:
                prev = out[slot[key]].item
                prev_items = prev.items if isinstance(prev, SOr) else (prev,)
                out[slot[key]] = SNot(SOr(prev_items + (x.item,)))
                continue
            slot[key] = len(out)
        out.append(x)
    return out


def _fields(node: Node) -> list[str]:
    if isinstance(node, Leaf):
        return [node.field]
    if isinstance(node, SNot):
        return _fields(node.item)
    out: list[str] = []
    for x in node.items:
        out.extend(_fields(x))
    return out


def _as_map(node: SAnd) -> dict | None:
    """An AND of leaves with distinct keys is one Sigma map."""
    if not all(isinstance(x, Leaf) for x in node.items):
        return None
    keys = [x.key for x in node.items]
    if len(set(keys)) != len(keys):
        return None
    return {x.key: x.value() for x in node.items}


def to_detection(tree: Node) -> dict:
    """Named selections plus ``condition`` (the tree must not be a constant)."""
    em = _Emitter()
    condition, _ = em.emit(tree)
    return {**em.selections, "condition": condition}


def describe(node: Node) -> str:
    """Debug text of a Sigma tree."""
    if isinstance(node, Leaf):
        return f"{node.key}: {json.dumps(node.value(), default=str)}"
    if isinstance(node, SNot):
        return f"not ({describe(node.item)})"
    if isinstance(node, bool):
        return str(node)
    joiner = " and " if isinstance(node, SAnd) else " or "
    return "(" + joiner.join(describe(x) for x in node.items) + ")"
