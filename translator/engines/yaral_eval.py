"""A parser and evaluator for a subset of YARA-L 2.0, written from Google's documentation and
independent of rulec's YARA-L emitter (it reads rule text, never the emitter's structures).

Pages followed (Google Security Operations docs):
* syntax and sections: https://cloud.google.com/chronicle/docs/detection/yara-l-2-0-syntax
* expressions, precedence (not > and > or; lines of ``events`` are AND-ed):
  https://cloud.google.com/chronicle/docs/yara-l/expressions
* repeated fields (``any``/``all``; unmodified references unnest the event into rows):
  https://cloud.google.com/chronicle/docs/yara-l/repeated-fields
* zero values (an omitted field reads as "" / 0 / false):
  https://cloud.google.com/chronicle/docs/detection/yara-l-best-practices
* functions (re.regex with RE2 substring semantics and ``nocase``, strings.*, net.*):
  https://cloud.google.com/chronicle/docs/yara-l/functions
* match / condition / options (``#e >= N``, ``allow_zero_values``):
  https://cloud.google.com/chronicle/docs/yara-l/options-syntax

Covered: meta, events (comparisons = != < <= > >=, ``nocase``, regex literals ``/../``,
``any``/``all``, not/and/or/parentheses, placeholders ``$v = $e.f``, maps ``f["k"]``, the
functions re.regex, strings.contains/starts_with/ends_with/to_lower/to_upper/concat/coalesce,
net.ip_in_range_cidr, cast.as_float), match (``$v, ... over Nm``), outcome (kept as text), condition (``$e``,
``#e op N``), options. Anything else is a ``YaralSyntaxError`` naming the line.
"""
from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

try:
    import re2 as _re2  # google-re2: the engine YARA-L uses
except ImportError:  # pragma: no cover
    _re2 = None

from ..mapping.udm import lookup as udm_lookup

SECTIONS = ("meta", "events", "match", "outcome", "condition", "options")
KEYWORDS = {"and", "or", "not", "any", "all", "nocase", "over", "true", "false", "rule"}


class YaralSyntaxError(ValueError):
    pass


# ---------------------------------------------------------------------------- lexer
_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n]+|//[^\n]*)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<var>[$#][A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>!=|<=|>=|=|<|>|!|\(|\)|\{|\}|\[|\]|,|:|\.)
  | (?P<slash>/)
""", re.VERBOSE)


@dataclass
class Tok:
    kind: str
    text: str
    line: int


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    i, line = 0, 1
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise YaralSyntaxError(f"line {line}: unexpected character {text[i]!r}")
        kind = m.lastgroup
        if kind == "slash":  # a regex literal /.../ (only after a comparison operator)
            j, k = i + 1, i + 1
            while k < len(text) and text[k] != "/":
                if text[k] == "\n":
                    raise YaralSyntaxError(f"line {line}: unterminated regex literal")
                k += 2 if text[k] == "\\" else 1
            if k >= len(text):
                raise YaralSyntaxError(f"line {line}: unterminated regex literal")
            out.append(Tok("regex", text[j:k].replace("\\/", "/"), line))
            i = k + 1
            continue
        if kind != "ws":
            out.append(Tok(kind, m.group(), line))
        line += m.group().count("\n")
        i = m.end()
    out.append(Tok("eof", "", line))
    return out


def unquote(tok: Tok) -> str:
    if tok.kind == "raw":
        return tok.text[1:-1]
    body, out, i = tok.text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            nxt = body[i + 1]
            if nxt not in "\\\"":
                raise YaralSyntaxError(f"line {tok.line}: unknown escape \\{nxt} in a string")
            out.append(nxt)
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


# ---------------------------------------------------------------------------- AST
@dataclass(frozen=True)
class FieldRef:
    var: str  # "$e"
    path: str  # "principal.ip"
    key: str | None = None  # map key
    modifier: str = ""  # "any" | "all" | ""


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Regex:
    pattern: str


@dataclass(frozen=True)
class Placeholder:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple
    nocase: bool = False


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any
    nocase: bool = False


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    items: tuple


@dataclass(frozen=True)
class NotOp:
    item: Any


@dataclass
class YaralRule:
    name: str
    meta: dict = field(default_factory=dict)
    events: Any = None
    assignments: list = field(default_factory=list)  # (placeholder, FieldRef)
    match_vars: list = field(default_factory=list)
    match_window: str = ""
    outcome: dict = field(default_factory=dict)  # name -> expression text
    # ("exists", "$e") | ("count", "#e", op, N) | ("absent", "$e") | ("and"|"or", (conditions))
    condition: tuple = ()
    options: dict = field(default_factory=dict)

    def fields(self) -> list[str]:
        out: list[str] = []

        def walk(n):
            if isinstance(n, FieldRef):
                out.append(n.path + (f'["{n.key}"]' if n.key is not None else ""))
            elif isinstance(n, (Compare,)):
                walk(n.left), walk(n.right)
            elif isinstance(n, Call):
                for a in n.args:
                    walk(a)
            elif isinstance(n, BoolOp):
                for a in n.items:
                    walk(a)
            elif isinstance(n, NotOp):
                walk(n.item)
        walk(self.events)
        for _, ref in self.assignments:
            walk(ref)
        return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------- parser
class Parser:
    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> Tok:
        t = self.next()
        if t.text != text:
            raise YaralSyntaxError(f"line {t.line}: expected {text!r}, found {t.text or 'end'!r}")
        return t

    def at_section(self) -> bool:
        t = self.peek()
        return (t.kind == "name" and t.text in SECTIONS and self.peek(1).text == ":") or t.text == "}"

    def parse(self) -> list[YaralRule]:
        rules = []
        while self.peek().kind != "eof":
            rules.append(self.rule())
        if not rules:
            raise YaralSyntaxError("no rule")
        return rules

    def rule(self) -> YaralRule:
        self.expect("rule")
        name = self.next()
        if name.kind != "name":
            raise YaralSyntaxError(f"line {name.line}: rule name must be an identifier")
        rule = YaralRule(name.text)
        self.expect("{")
        seen = []
        while self.peek().text != "}":
            sec = self.next()
            if sec.text not in SECTIONS or sec.text in seen:
                raise YaralSyntaxError(f"line {sec.line}: unexpected {sec.text!r} (a section name)")
            seen.append(sec.text)
            self.expect(":")
            getattr(self, "sec_" + sec.text)(rule)
        self.expect("}")
        if "events" not in seen or "condition" not in seen:
            raise YaralSyntaxError(f"rule {rule.name}: events and condition sections are required")
        order = [s for s in SECTIONS if s in seen]
        if seen != order:
            raise YaralSyntaxError(f"rule {rule.name}: sections out of order ({', '.join(seen)})")
        return rule

    def sec_meta(self, rule):
        while not self.at_section():
            key = self.next()
            self.expect("=")
            val = self.next()
            if key.kind != "name" or val.kind not in ("str", "raw"):
                raise YaralSyntaxError(f"line {key.line}: meta entries are name = \"text\"")
            rule.meta[key.text] = unquote(val)

    def sec_events(self, rule):
        lines = []
        while not self.at_section():
            if self.peek().kind == "var" and self.peek().text.startswith("$") and \
                    self.peek(1).text == "=" and self.peek(2).kind == "var":
                ph = self.next().text
                self.next()
                ref = self.operand()
                if not isinstance(ref, FieldRef):
                    raise YaralSyntaxError(f"line {self.peek().line}: a placeholder takes a field")
                rule.assignments.append((ph, ref))
                continue
            lines.append(self.or_expr())
        if not lines:
            raise YaralSyntaxError(f"rule {rule.name}: empty events section")
        rule.events = lines[0] if len(lines) == 1 else BoolOp("and", tuple(lines))

    def or_expr(self):
        items = [self.and_expr()]
        while self.peek().text == "or":
            self.next()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self):
        items = [self.not_expr()]
        while self.peek().text == "and":
            self.next()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def not_expr(self):
        if self.peek().text in ("not", "NOT"):
            self.next()
            return NotOp(self.not_expr())
        return self.atom()

    def atom(self):
        t = self.peek()
        if t.text == "(":
            self.next()
            e = self.or_expr()
            self.expect(")")
            return e
        left = self.operand()
        if self.peek().text in ("=", "!=", "<", "<=", ">", ">="):
            op = self.next().text
            right = self.operand(allow_regex=op in ("=", "!="))
            nocase = self._nocase()
            return Compare(op, left, right, nocase)
        if isinstance(left, Call) and left.name in ("re.regex", "net.ip_in_range_cidr",
                                                    "strings.contains", "strings.starts_with",
                                                    "strings.ends_with"):
            return left
        raise YaralSyntaxError(f"line {t.line}: expected a comparison or a boolean function")

    def _nocase(self) -> bool:
        if self.peek().text == "nocase":
            self.next()
            return True
        return False

    def operand(self, allow_regex: bool = False):
        t = self.next()
        if t.kind == "regex":
            if not allow_regex:
                raise YaralSyntaxError(f"line {t.line}: a regex literal only follows = or !=")
            return Regex(t.text)
        if t.kind in ("str", "raw"):
            return Lit(unquote(t))
        if t.kind == "num":
            return Lit(float(t.text) if "." in t.text else int(t.text))
        if t.text in ("true", "false"):
            return Lit(t.text == "true")
        modifier = ""
        if t.text in ("any", "all"):
            modifier, t = t.text, self.next()
        if t.kind == "var" and t.text.startswith("$"):
            if self.peek().text != ".":
                if modifier:
                    raise YaralSyntaxError(f"line {t.line}: {modifier} needs an event field")
                return Placeholder(t.text)
            parts = []
            while self.peek().text == ".":
                self.next()
                p = self.next()
                if p.kind != "name":
                    raise YaralSyntaxError(f"line {p.line}: bad field name after {t.text}")
                parts.append(p.text)
            key = None
            if self.peek().text == "[":
                self.next()
                k = self.next()
                if k.kind != "str":
                    raise YaralSyntaxError(f"line {k.line}: a map key is a string")
                key = unquote(k)
                self.expect("]")
            return FieldRef(t.text, ".".join(parts), key, modifier)
        if t.kind == "name" and not modifier:
            name = t.text
            while self.peek().text == ".":
                self.next()
                name += "." + self.next().text
            self.expect("(")
            args = []
            while self.peek().text != ")":
                args.append(self.operand())
                if self.peek().text == ",":
                    self.next()
                elif self.peek().text != ")":
                    raise YaralSyntaxError(f"line {self.peek().line}: expected ',' or ')'")
            self.expect(")")
            return Call(name, tuple(args), self._nocase())
        raise YaralSyntaxError(f"line {t.line}: unexpected {t.text or 'end'!r}")

    def sec_match(self, rule):
        while True:
            v = self.next()
            if v.kind != "var" or not v.text.startswith("$"):
                raise YaralSyntaxError(f"line {v.line}: match lists placeholders")
            rule.match_vars.append(v.text)
            if self.peek().text != ",":
                break
            self.next()
        self.expect("over")
        w = self.next()
        unit = self.next()
        if w.kind != "num" or unit.text not in ("m", "h", "d", "s"):
            raise YaralSyntaxError(f"line {w.line}: a match window is <number><m|h|d>")
        rule.match_window = w.text + unit.text

    def sec_outcome(self, rule):
        while not self.at_section():
            v = self.next()
            if v.kind != "var" or not v.text.startswith("$"):
                raise YaralSyntaxError(f"line {v.line}: outcome assigns $variables")
            self.expect("=")
            start = self.i
            depth = 0
            while True:  # an expression runs to the next assignment or section
                t = self.peek()
                if t.kind == "eof":
                    raise YaralSyntaxError("unterminated outcome")
                if depth == 0 and (self.at_section() or (t.kind == "var" and self.peek(1).text == "="
                                                         and self.i > start)):
                    break
                depth += t.text == "("
                depth -= t.text == ")"
                if depth < 0:
                    raise YaralSyntaxError(f"line {t.line}: unbalanced ')'")
                self.next()
            if depth or self.i == start:
                raise YaralSyntaxError(f"line {v.line}: bad outcome expression")
            rule.outcome[v.text] = " ".join(t.text for t in self.toks[start:self.i])

    def sec_condition(self, rule):
        """``$e``, ``#e >= N``, or (multi-event rules) ``and``/``or`` of ``$v``, ``!$v`` and
        ``#v <op> N`` with parentheses: kept as a tree in ``rule.condition`` (a single atom
        keeps its atom form)."""
        rule.condition = self._cond_or()

    def _cond_or(self):
        items = [self._cond_and()]
        while self.peek().text == "or":
            self.next()
            items.append(self._cond_and())
        return items[0] if len(items) == 1 else ("or", tuple(items))

    def _cond_and(self):
        items = [self._cond_atom()]
        while self.peek().text == "and":
            self.next()
            items.append(self._cond_atom())
        return items[0] if len(items) == 1 else ("and", tuple(items))

    def _cond_atom(self):
        t = self.next()
        if t.text == "(":
            inner = self._cond_or()
            self.expect(")")
            return inner
        if t.text == "!":
            v = self.next()
            if v.kind != "var" or not v.text.startswith("$"):
                raise YaralSyntaxError(f"line {t.line}: ! takes an event variable")
            return ("absent", v.text)
        if t.kind == "var" and t.text.startswith("$"):
            return ("exists", t.text)
        if t.kind == "var" and t.text.startswith("#"):
            op = self.next().text
            n = self.next()
            if op not in (">", ">=", "=", "<", "<=") or n.kind != "num":
                raise YaralSyntaxError(f"line {t.line}: condition is #e <op> <number>")
            return ("count", t.text, op, int(n.text))
        raise YaralSyntaxError(f"line {t.line}: unsupported condition {t.text!r}")

    def sec_options(self, rule):
        while not self.at_section():
            k = self.next()
            self.expect("=")
            v = self.next()
            if v.kind == "num" and self.peek().kind == "name" and self.peek().text in "smhd":
                v = Tok("dur", v.text + self.next().text, v.line)
            if k.text not in ("allow_zero_values", "suppression_window"):
                raise YaralSyntaxError(f"line {k.line}: unknown option {k.text!r}")
            rule.options[k.text] = v.text


def parse(text: str) -> list[YaralRule]:
    """All rules in ``text``; raises YaralSyntaxError (with the line) on anything else."""
    return Parser(text).parse()


# ---------------------------------------------------------------------------- evaluation
def _zero(path: str, key: str | None) -> Any:
    f = udm_lookup(path + (f'["{key}"]' if key is not None else ""))
    t = f.type if f else "string"
    return {"int": 0, "float": 0, "bool": False}.get(t, "")


def _values(record: dict, ref: FieldRef) -> list:
    """Every value the field holds (repeated messages flattened), typed as UDM stores them."""
    nodes = [record]
    for step in ref.path.split("."):
        nxt = []
        for n in nodes:
            v = n.get(step) if isinstance(n, dict) else None
            if isinstance(v, list):
                nxt.extend(x for x in v if x is not None)
            elif v is not None:
                nxt.append(v)
        nodes = nxt
    if ref.key is not None:
        nodes = [n.get(ref.key) for n in nodes if isinstance(n, dict) and n.get(ref.key) is not None]
    f = udm_lookup(ref.path + (f'["{ref.key}"]' if ref.key is not None else ""))
    typ = "string" if f is None or f.type == "map" else f.type
    return [_typed(v, typ) for v in nodes if v is not None and not isinstance(v, (dict, list))]


def _typed(v: Any, typ: str) -> Any:
    if typ in ("string", "enum", "timestamp"):
        if isinstance(v, bool):
            return "true" if v else "false"
        return v if isinstance(v, str) else str(v)
    if typ in ("int", "float") and isinstance(v, str):
        try:
            return int(v) if typ == "int" else float(v)
        except ValueError:
            return 0
    return v


class Evaluator:
    def __init__(self, record: dict, bindings: dict | None = None):
        self.record = record
        self.bindings = bindings or {}  # unmodified repeated FieldRef -> chosen element

    def value(self, node) -> Any:
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, FieldRef):
            if node in self.bindings:
                return self.bindings[node]
            vals = _values(self.record, node)
            return vals[0] if vals else _zero(node.path, node.key)
        if isinstance(node, Call):
            args = [self.value(a) for a in node.args]
            if node.name == "strings.to_lower":
                return str(args[0]).lower()
            if node.name == "strings.to_upper":
                return str(args[0]).upper()
            if node.name == "strings.concat":
                return "".join(str(a) for a in args)
            if node.name == "cast.as_float":  # functions page: non-numeric text and "" -> 0
                try:
                    return float(str(args[0]))
                except ValueError:
                    return 0.0
            if node.name == "strings.coalesce":
                return next((a for a in args if a != ""), "")
            return self.call(node, args)
        raise YaralSyntaxError(f"cannot evaluate {node!r} as a value")

    def call(self, node: Call, args: list) -> bool:
        name = node.name
        if name == "re.regex":
            return _regex(str(args[1]), str(args[0]), node.nocase)
        if name == "net.ip_in_range_cidr":
            try:
                return ipaddress.ip_address(str(args[0])) in ipaddress.ip_network(str(args[1]), strict=False)
            except ValueError:
                return False
        hay, needle = str(args[0]), str(args[1])
        if node.nocase:
            hay, needle = hay.lower(), needle.lower()
        if name == "strings.contains":
            return needle in hay
        if name == "strings.starts_with":
            return hay.startswith(needle)
        if name == "strings.ends_with":
            return hay.endswith(needle)
        raise YaralSyntaxError(f"unknown function {name}")

    def truth(self, node) -> bool:
        if isinstance(node, BoolOp):
            results = (self.truth(x) for x in node.items)
            return all(results) if node.op == "and" else any(results)
        if isinstance(node, NotOp):
            return not self.truth(node.item)
        modified = _modified(node)
        if modified is not None:  # any/all: the test per element of the repeated field
            elems = _values(self.record, modified)
            plain = FieldRef(modified.var, modified.path, modified.key)
            outcomes = [Evaluator(self.record, {**self.bindings, modified: e, plain: e}).truth(
                _strip(node, modified)) for e in elems]
            return any(outcomes) if modified.modifier == "any" else all(outcomes)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Call):
            return bool(self.value(node))
        raise YaralSyntaxError(f"not a boolean expression: {node!r}")

    def compare(self, node: Compare) -> bool:
        left = self.value(node.left)
        if isinstance(node.right, Regex):
            hit = _regex(node.right.pattern, str(left), node.nocase)
            return hit if node.op == "=" else not hit
        right = self.value(node.right)
        if node.nocase and isinstance(left, str) and isinstance(right, str):
            left, right = left.lower(), right.lower()
        if isinstance(left, bool) != isinstance(right, bool) or (
                isinstance(left, str) != isinstance(right, str)):
            raise YaralSyntaxError(f"type mismatch: {left!r} {node.op} {right!r}")
        return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
                ">": left > right, ">=": left >= right}[node.op]


def _modified(node) -> FieldRef | None:
    refs = [r for r in _refs(node) if r.modifier]
    return refs[0] if refs else None


def _refs(node) -> list:
    if isinstance(node, FieldRef):
        return [node]
    if isinstance(node, Compare):
        return _refs(node.left) + _refs(node.right)
    if isinstance(node, Call):
        return [r for a in node.args for r in _refs(a)]
    return []


def _strip(node, ref: FieldRef):
    plain = FieldRef(ref.var, ref.path, ref.key)
    if node == ref:
        return plain
    if isinstance(node, Compare):
        return Compare(node.op, _strip(node.left, ref), _strip(node.right, ref), node.nocase)
    if isinstance(node, Call):
        return Call(node.name, tuple(_strip(a, ref) for a in node.args), node.nocase)
    return node


def _regex(pattern: str, text: str, nocase: bool) -> bool:
    body = ("(?i)" if nocase else "") + pattern
    if _re2 is None:  # pragma: no cover
        return re.search(body, text) is not None
    return _re2.search(body, text) is not None


def _repeated_unmodified(rule: YaralRule) -> list[FieldRef]:
    out = []

    def walk(n):
        if isinstance(n, (BoolOp,)):
            for x in n.items:
                walk(x)
        elif isinstance(n, NotOp):
            walk(n.item)
        else:
            for r in _refs(n):
                f = udm_lookup(r.path + (f'["{r.key}"]' if r.key is not None else ""))
                if not r.modifier and f is not None and f.repeated and r not in out:
                    out.append(r)
    walk(rule.events)
    return out


def event_rows(rule: YaralRule, record: dict):
    """The rows an event becomes: one per combination of elements of the repeated fields the
    events section reads without any/all (unnesting); an empty field reads as its zero value."""
    refs = _repeated_unmodified(rule)
    choices = [(_values(record, r) or [_zero(r.path, r.key)]) for r in refs]
    for combo in itertools.product(*choices):
        yield dict(zip(refs, combo))


def matches(rule: YaralRule, record: dict) -> bool:
    """Whether the events section holds for this UDM event (some unnested row satisfies it)."""
    return any(Evaluator(record, b).truth(rule.events) for b in event_rows(rule, record))


def detections(rule: YaralRule, records: list) -> list[tuple]:
    """Match keys that fire over ``records`` (one window): events grouped by the match
    placeholders, zero-valued keys dropped unless allow_zero_values, then the condition."""
    groups: dict = {}
    for rec in records:
        if not matches(rule, rec):
            continue
        ev = Evaluator(rec)
        key = tuple(ev.value(ref) for ph, ref in rule.assignments if ph in rule.match_vars)
        if rule.options.get("allow_zero_values") != "true" and any(k in ("", 0) for k in key):
            continue
        groups[key] = groups.get(key, 0) + 1
    kind = rule.condition[0] if rule.condition else "exists"
    if kind == "exists":
        return [k for k, n in groups.items() if n >= 1]
    _k, _v, op, n = rule.condition
    check = {">": lambda c: c > n, ">=": lambda c: c >= n, "=": lambda c: c == n,
             "<": lambda c: c < n, "<=": lambda c: c <= n}[op]
    return [k for k, c in groups.items() if check(c)]


# ---------------------------------------------------------------------------- multi-event rules
_COMPARE = {">": lambda c, n: c > n, ">=": lambda c, n: c >= n, "=": lambda c, n: c == n,
            "<": lambda c, n: c < n, "<=": lambda c, n: c <= n}
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class _Joined(Evaluator):
    """Evaluates a predicate over several events: each field reads its own variable's event."""

    def __init__(self, records: dict):
        super().__init__({})
        self.records = records

    def value(self, node) -> Any:
        if isinstance(node, FieldRef):
            return Evaluator(self.records[node.var]).value(node)
        return super().value(node)


def _var_of(node) -> set:
    if isinstance(node, BoolOp):
        return set().union(*(_var_of(x) for x in node.items))
    if isinstance(node, NotOp):
        return _var_of(node.item)
    return {r.var for r in _refs(node)}


def _condition_vars(cond) -> set:
    if cond[0] in ("and", "or"):
        return set().union(*(_condition_vars(c) for c in cond[1]))
    return {"$" + cond[1][1:]}


def _holds(cond, counts: dict, chosen: bool) -> bool:
    kind = cond[0]
    if kind == "and":
        return all(_holds(c, counts, chosen) for c in cond[1])
    if kind == "or":
        return any(_holds(c, counts, chosen) for c in cond[1])
    n = counts.get("$" + cond[1][1:], 0)
    if kind == "exists":
        return n >= 1
    if kind == "absent":
        return n == 0
    return _COMPARE[cond[2]](n, cond[3])


def detect_multi(rule: YaralRule, records: list, time_path: str = "metadata.event_timestamp.seconds") -> bool:
    """Whether a multi-event rule (several event variables, ``match: $p, ... over W``) fires
    on ``records`` (the events of one run), from Google's match-section docs: events are
    grouped by the values of the match placeholders within a window of W (hop windows: any W
    long stretch); an event counts for a variable when that variable's own predicates hold
    and its placeholders carry the group's values; the condition counts events per variable
    (``$v``: at least one, ``!$v``: none, ``#v``: how many); predicates across variables
    (timestamp order) must hold for one choice of an event per variable they name."""
    if not rule.match_vars or not rule.match_window:
        raise YaralSyntaxError(f"rule {rule.name}: a multi-event rule needs a match section")
    window = int(rule.match_window[:-1]) * _SECONDS[rule.match_window[-1]]
    lines = list(rule.events.items) if isinstance(rule.events, BoolOp) and rule.events.op == "and" \
        else [rule.events]
    variables = sorted(_condition_vars(rule.condition) | {r.var for _p, r in rule.assignments})
    own = {v: [ln for ln in lines if _var_of(ln) == {v}] for v in variables}
    across = [ln for ln in lines if len(_var_of(ln)) > 1]
    if any(not _var_of(ln) - set(variables) == set() for ln in lines):
        raise YaralSyntaxError(f"rule {rule.name}: a predicate names an undeclared event variable")
    if any(ph not in rule.match_vars for ph, _r in rule.assignments):
        raise YaralSyntaxError(f"rule {rule.name}: placeholders outside match are not evaluated")
    time_ref = {v: FieldRef(v, time_path) for v in variables}

    def bound(v: str, rec: dict) -> dict | None:
        """The placeholder values ``rec`` gives as ``v`` (None: v's predicates fail)."""
        sub = YaralRule(rule.name, events=BoolOp("and", tuple(own[v])) if own[v] else None)
        if own[v] and not matches(sub, rec):
            return None
        return {ph: Evaluator(rec).value(ref) for ph, ref in rule.assignments if ref.var == v}

    cands = {v: [(Evaluator(rec).value(time_ref[v]), rec, b) for rec in records
                 for b in [bound(v, rec)] if b is not None] for v in variables}
    starts = sorted({t for c in cands.values() for t, _r, _b in c})
    zero_ok = rule.options.get("allow_zero_values") == "true"
    for start in starts:
        inside = {v: [(t, r, b) for t, r, b in c if start <= t <= start + window]
                  for v, c in cands.items()}
        keys = {tuple(b.get(ph) for ph in rule.match_vars) for c in inside.values()
                for _t, _r, b in c if all(ph in b for ph in rule.match_vars)}
        for key in keys:
            if not zero_ok and any(k in ("", 0) for k in key):
                continue
            group = {v: [r for _t, r, b in c if all(b.get(ph, k) == k for ph, k in
                                                    zip(rule.match_vars, key))]
                     for v, c in inside.items()}
            counts = {v: len(rs) for v, rs in group.items()}
            if not _holds(rule.condition, counts, True):
                continue
            named = sorted({v for ln in across for v in _var_of(ln)})
            if not across or any(all(_Joined(dict(zip(named, combo))).truth(ln) for ln in across)
                                 for combo in itertools.product(*(group[v] for v in named))):
                return True
    return False
