"""An evaluator for the subset of Splunk SPL that rulec emits, written from Splunk's
documentation (not from rulec's emitter), so that generated searches can be run offline on
test events.

Commands: ``search`` (field=value with ``*`` wildcards, case-insensitive values and
case-sensitive field names, ``!=``, ``NOT``, ``AND``/``OR``/implicit AND, ``IN (...)``,
numeric ``< > <= >=``, bare terms against ``_raw``), ``where``, ``eval``, ``stats`` (count,
min, max, sum, values, by), ``table``, ``fields``, ``multisearch [..] [..]`` (first command)
and ``join type=inner max=0 fields [..]`` (Search Reference, "multisearch", "join").
Sources: Splunk Search Reference 9.x, "search" command
(https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/search),
SPL2 search command examples ("Using the NOT or != comparisons"), "Evaluation functions",
"Comparison and Conditional functions", "Multivalue eval functions", "Text functions",
"Conversion functions", "Informational functions", "stats".

Values: NULL is ``None``; field values are text (a multivalue field is a list of texts);
numbers come from literals, ``tonumber``, ``len``, ``mvcount`` and ``stats``. Comparisons with
NULL are NULL; AND/OR/NOT follow three-valued logic; ``where`` keeps an event only when its
expression is TRUE. A comparison of a field's text with a number compares numerically when the
text is a number. A scalar operation on a multivalue value raises ``SplError`` (rulec must not
emit one: Splunk's behaviour there is not what a rule means).
Regular expressions (``match``, ``mvfind``) are PCRE in Splunk; this evaluator runs them with
Python's ``re`` after rewriting the PCRE-only escapes ``\\z`` and ``\\x{hh}``; Python's ``re``
treats ``\\d``/``\\w``/``\\s`` as Unicode where PCRE is ASCII (the emitter warns about it).
"""
from __future__ import annotations

import ipaddress
import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field as dc_field
from typing import Any

__all__ = ["SplError", "parse", "run", "Pipeline"]


class SplError(Exception):
    """A grammar error, or a construct outside the evaluated subset."""


# =========================================================================== lexing

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<qfield>'[^']*')
  | (?P<op>==|!=|<=|>=|=|<|>|\(|\)|,|\+|-|\*|/|%|\.)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE | re.DOTALL)


@dataclass
class Tok:
    kind: str
    text: str
    pos: int


def _unquote(text: str) -> str:
    """A double-quoted literal: ``\\"`` is a quote, ``\\\\`` a backslash; any other backslash
    stays as written (regular expressions keep their escapes)."""
    body = text[1:-1]
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in '"\\':
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def split_pipes(query: str) -> list[str]:
    """Commands separated by ``|`` outside quotes and subsearch brackets."""
    parts, buf, i, quote, depth = [], [], 0, None, 0
    while i < len(query):
        ch = query[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < len(query):
                buf.append(query[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            buf.append(ch)
        elif ch in "[]":
            depth += 1 if ch == "[" else -1
            if depth < 0:
                raise SplError("unbalanced ] (subsearch)")
            buf.append(ch)
        elif ch == "|" and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if quote:
        raise SplError(f"unterminated {quote} quote")
    if depth:
        raise SplError("unterminated [ (subsearch)")
    parts.append("".join(buf))
    return [p.strip() for p in parts]


def eval_tokens(text: str) -> list[Tok]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise SplError(f"unexpected character {text[pos]!r} at {pos} in eval expression")
        kind = m.lastgroup
        if kind != "ws":
            out.append(Tok(kind, m.group(), pos))
        pos = m.end()
    return out


# =========================================================================== eval AST

@dataclass
class Node:
    kind: str  # num str field call bin not neg
    value: Any = None
    args: list = dc_field(default_factory=list)


class EvalParser:
    """Precedence (Splunk "eval" operators): OR < XOR < AND < NOT < comparison < + - . <
    * / % < unary minus."""

    def __init__(self, toks: list[Tok], text: str):
        self.t, self.i, self.text = toks, 0, text

    def peek(self, off: int = 0) -> Tok | None:
        j = self.i + off
        return self.t[j] if j < len(self.t) else None

    def kw(self, word: str) -> bool:
        p = self.peek()
        return p is not None and p.kind == "word" and p.text == word

    def op(self, sym: str) -> bool:
        p = self.peek()
        return p is not None and p.kind == "op" and p.text == sym

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise SplError(f"unexpected end of eval expression: {self.text!r}")
        self.i += 1
        return tok

    def expect(self, sym: str) -> None:
        if not self.op(sym):
            p = self.peek()
            raise SplError(f"expected {sym!r} at {p.pos if p else 'end'} in {self.text!r}")
        self.i += 1

    def parse(self) -> Node:
        n = self.or_()
        if self.peek() is not None:
            raise SplError(f"unexpected {self.peek().text!r} at {self.peek().pos} in {self.text!r}")
        return n

    def or_(self) -> Node:
        n = self.xor()
        while self.kw("OR"):
            self.i += 1
            n = Node("bin", "OR", [n, self.xor()])
        return n

    def xor(self) -> Node:
        n = self.and_()
        while self.kw("XOR"):
            self.i += 1
            n = Node("bin", "XOR", [n, self.and_()])
        return n

    def and_(self) -> Node:
        n = self.not_()
        while self.kw("AND"):
            self.i += 1
            n = Node("bin", "AND", [n, self.not_()])
        return n

    def not_(self) -> Node:
        if self.kw("NOT"):
            self.i += 1
            return Node("not", None, [self.not_()])
        return self.cmp()

    def cmp(self) -> Node:
        n = self.add()
        p = self.peek()
        if p is not None and p.kind == "op" and p.text in ("==", "=", "!=", "<", ">", "<=", ">="):
            self.i += 1
            sym = "==" if p.text == "=" else p.text
            return Node("bin", sym, [n, self.add()])
        if self.kw("LIKE"):
            self.i += 1
            return Node("call", "like", [n, self.add()])
        return n

    def add(self) -> Node:
        n = self.mul()
        while self.op("+") or self.op("-") or self.op("."):
            sym = self.take().text
            n = Node("bin", sym, [n, self.mul()])
        return n

    def mul(self) -> Node:
        n = self.unary()
        while self.op("*") or self.op("/") or self.op("%"):
            sym = self.take().text
            n = Node("bin", sym, [n, self.unary()])
        return n

    def unary(self) -> Node:
        if self.op("-"):
            self.i += 1
            return Node("neg", None, [self.unary()])
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            return Node("num", float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text))
        if tok.kind == "string":
            return Node("str", _unquote(tok.text))
        if tok.kind == "qfield":
            return Node("field", tok.text[1:-1])
        if tok.kind == "word":
            if self.op("("):
                self.i += 1
                args = []
                if not self.op(")"):
                    args.append(self.or_())
                    while self.op(","):
                        self.i += 1
                        args.append(self.or_())
                self.expect(")")
                name = tok.text.lower()
                if name not in FUNCTIONS:
                    raise SplError(f"unknown eval function {tok.text}()")
                return Node("call", name, args)
            if tok.text in ("AND", "OR", "NOT", "XOR", "LIKE"):
                raise SplError(f"unexpected {tok.text} at {tok.pos} in {self.text!r}")
            return Node("field", tok.text)
        if tok.kind == "op" and tok.text == "(":
            n = self.or_()
            self.expect(")")
            return n
        raise SplError(f"unexpected {tok.text!r} at {tok.pos} in {self.text!r}")


def parse_eval(text: str) -> Node:
    return EvalParser(eval_tokens(text), text).parse()


# =========================================================================== eval values


def _is_mv(v) -> bool:
    return isinstance(v, list)


def _scalar(v, fn: str):
    if _is_mv(v):
        raise SplError(f"{fn}: a multivalue value where one value is expected")
    return v


def _num(v):
    """A number from a number or a numeric text; None otherwise."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return int(v) if re.fullmatch(r"[+-]?\d+", v) else float(v) if re.fullmatch(
                r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", v) else None
        except ValueError:
            return None
    return None


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return str(v)


def compare(op: str, a, b):
    if a is None or b is None:
        return None
    _scalar(a, op)
    _scalar(b, op)
    if isinstance(a, bool) or isinstance(b, bool):
        if op in ("==", "!="):
            return (a == b) == (op == "==")
        raise SplError(f"ordering of boolean values ({op})")
    numeric = isinstance(a, (int, float)) or isinstance(b, (int, float))
    if numeric:
        x, y = _num(a), _num(b)
        if x is None or y is None:
            x, y = _text(a), _text(b)  # a text that is not a number: compared as text
    else:
        x, y = a, b
    return {"==": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def pcre_to_python(pattern: str) -> re.Pattern:
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "z" and not in_class:
                out.append("\\Z")
                i += 2
                continue
            if nxt == "Z" and not in_class:
                out.append("(?=\\n?\\Z)")  # PCRE \Z: end or before a final newline
                i += 2
                continue
            if nxt == "x" and pattern[i + 2:i + 3] == "{":
                end = pattern.index("}", i)
                out.append("\\x{:02x}".format(int(pattern[i + 3:end], 16)) if int(
                    pattern[i + 3:end], 16) < 256 else "\\u{:04x}".format(int(pattern[i + 3:end], 16)))
                i = end + 1
                continue
            out.append(ch + nxt)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    try:
        return re.compile("".join(out))
    except re.error as exc:
        raise SplError(f"regular expression {pattern!r}: {exc}") from exc


def _like(s: str, pattern: str) -> bool:
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, s, re.DOTALL) is not None


def _cidrmatch(cidr, ip) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return addr.version == net.version and addr in net


def _spath(doc, path: str):
    try:
        data = json.loads(doc) if isinstance(doc, str) else None
    except ValueError:
        return None
    nodes = [data]
    for seg in re.findall(r"[^.{}]+|\{\d*\}", path):
        nxt = []
        for n in nodes:
            if seg.startswith("{"):
                if isinstance(n, list):
                    nxt.extend(n if seg == "{}" else n[int(seg[1:-1]):int(seg[1:-1]) + 1])
            elif isinstance(n, dict) and seg in n:
                nxt.append(n[seg])
        nodes = nxt
    vals = [json.dumps(n, separators=(",", ":")) if isinstance(n, (dict, list)) else _text(n)
            for n in nodes if n is not None]
    return None if not vals else vals[0] if len(vals) == 1 else vals


def _mv(v) -> list:
    return [] if v is None else v if _is_mv(v) else [v]


def _mvresult(values: list):
    return None if not values else values[0] if len(values) == 1 else values


def _fields_in(n: Node) -> set:
    if n.kind == "field":
        return {n.value}
    out: set = set()
    for a in n.args:
        out |= _fields_in(a)
    return out


def _call(name: str, args: list, row: dict, ev) -> Any:
    if name == "mvfilter":
        (pred,) = args
        names = _fields_in(pred)
        if len(names) != 1:
            raise SplError("mvfilter: the predicate must reference exactly one field")
        (fname,) = names
        kept = [x for x in _mv(row.get(fname)) if ev(pred, {**row, fname: x}) is True]
        return _mvresult(kept)
    if name == "if":
        cond, yes, no = args
        return ev(yes, row) if ev(cond, row) is True else ev(no, row)
    if name == "coalesce":
        for a in args:
            v = ev(a, row)
            if v is not None:
                return v
        return None
    vals = [ev(a, row) for a in args]
    return FUNCTIONS[name](*vals)


def _f_in(v, *items):
    if v is None:
        return None
    return any(compare("==", v, i) for i in items if i is not None)


def _f_tonumber(v, base=10):
    v = _scalar(v, "tonumber")
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if base != 10:
        try:
            return int(v, int(base))
        except ValueError:
            return None
    return _num(v)


def _trim(chars_default: str, fn):
    def inner(v, chars=None):
        v = _scalar(v, "trim")
        if v is None:
            return None
        return fn(_text(v), chars if chars is not None else chars_default)
    return inner


def _str1(fn):
    def inner(v, *rest):
        v = _scalar(v, "text function")
        return None if v is None else fn(_text(v), *rest)
    return inner


def _f_match(s, rx):
    s = _scalar(s, "match")
    return None if s is None else pcre_to_python(rx).search(_text(s)) is not None


def _f_like(s, pat):
    s = _scalar(s, "like")
    return None if s is None else _like(_text(s), pat)


def _f_mvfind(mv, rx):
    c = pcre_to_python(rx)
    for i, x in enumerate(_mv(mv)):
        if c.search(_text(x)) is not None:
            return i
    return None


def _f_mvindex(mv, start, end=None):
    vals = _mv(mv)
    n = len(vals)
    s = start + n if start < 0 else start
    if not 0 <= s < n:
        return None
    if end is None:
        return vals[s]
    e = end + n if end < 0 else end
    return _mvresult(vals[s:e + 1])


def _f_split(s, sep):
    s = _scalar(s, "split")
    if s is None:
        return None
    parts = list(_text(s)) if sep == "" else _text(s).split(sep)
    return _mvresult(parts)


FUNCTIONS: dict = {
    "if": None, "coalesce": None, "mvfilter": None,  # lazy: handled in _call
    "isnull": lambda v: v is None,
    "isnotnull": lambda v: v is not None,
    "null": lambda: None,
    "now": lambda: int(time.time()),  # the search's start time, epoch seconds
    "true": lambda: True,
    "false": lambda: False,
    "in": _f_in,
    "like": _f_like,
    "match": _f_match,
    "cidrmatch": lambda c, ip: None if ip is None else _cidrmatch(c, _scalar(ip, "cidrmatch")),
    "tonumber": _f_tonumber,
    "tostring": lambda v: _text(_scalar(v, "tostring")),
    "lower": _str1(str.lower),
    "upper": _str1(str.upper),
    "len": _str1(len),
    "trim": _trim(" \t", lambda s, c: s.strip(c)),
    "ltrim": _trim(" \t", lambda s, c: s.lstrip(c)),
    "rtrim": _trim(" \t", lambda s, c: s.rstrip(c)),
    "urldecode": _str1(urllib.parse.unquote),
    "split": _f_split,
    "mvindex": _f_mvindex,
    "mvcount": lambda v: None if v is None else len(_mv(v)),
    "mvfind": _f_mvfind,
    "mvappend": lambda *vs: _mvresult([x for v in vs for x in _mv(v)]),
    "mvjoin": lambda v, sep: None if v is None else sep.join(_text(x) for x in _mv(v)),
    "spath": lambda doc, path: _spath(_scalar(doc, "spath"), path),
}


def evaluate(n: Node, row: dict) -> Any:
    k = n.kind
    if k == "num" or k == "str":
        return n.value
    if k == "field":
        return row.get(n.value)
    if k == "call":
        return _call(n.value, n.args, row, evaluate)
    if k == "not":
        v = evaluate(n.args[0], row)
        if v is None:
            return None
        if not isinstance(v, bool):
            raise SplError("NOT of a non-boolean value")
        return not v
    if k == "neg":
        v = _num(_scalar(evaluate(n.args[0], row), "-"))
        return None if v is None else -v
    a, b = n.args
    op = n.value
    if op in ("AND", "OR", "XOR"):
        x = evaluate(a, row)
        if op == "AND" and x is False:
            return False
        if op == "OR" and x is True:
            return True
        y = evaluate(b, row)
        for v in (x, y):
            if v is not None and not isinstance(v, bool):
                raise SplError(f"{op} of a non-boolean value")
        if op == "AND":
            return False if y is False else (None if None in (x, y) else True)
        if op == "OR":
            return True if y is True else (None if None in (x, y) else False)
        return None if None in (x, y) else x != y
    x, y = evaluate(a, row), evaluate(b, row)
    if op in ("==", "!=", "<", ">", "<=", ">="):
        return compare(op, x, y)
    if x is None or y is None:
        return None
    if op == ".":
        return _text(_scalar(x, ".")) + _text(_scalar(y, "."))
    nx, ny = _num(_scalar(x, op)), _num(_scalar(y, op))
    if op == "+" and (nx is None or ny is None):
        return _text(x) + _text(y)
    if nx is None or ny is None:
        return None
    if op == "/" and ny == 0 or op == "%" and ny == 0:
        return None
    return {"+": lambda: nx + ny, "-": lambda: nx - ny, "*": lambda: nx * ny,
            "/": lambda: nx / ny, "%": lambda: nx % ny}[op]()


# =========================================================================== search

_SEARCH_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
  | (?P<word>[^\s=!<>(),"]+)
""", re.VERBOSE | re.DOTALL)


@dataclass
class STerm:
    kind: str  # cmp in term and or not
    field: str = ""
    op: str = ""
    values: list = dc_field(default_factory=list)  # (text, quoted)
    args: list = dc_field(default_factory=list)


class SearchParser:
    def __init__(self, text: str):
        self.text = text
        self.t: list[Tok] = []
        pos = 0
        while pos < len(text):
            m = _SEARCH_TOKEN.match(text, pos)
            if not m:
                raise SplError(f"unexpected character {text[pos]!r} in search")
            if m.lastgroup != "ws":
                self.t.append(Tok(m.lastgroup, m.group(), pos))
            pos = m.end()
        self.i = 0

    def peek(self, off=0):
        j = self.i + off
        return self.t[j] if j < len(self.t) else None

    def is_word(self, w: str, off=0) -> bool:
        p = self.peek(off)
        return p is not None and p.kind == "word" and p.text == w

    def is_op(self, s: str, off=0) -> bool:
        p = self.peek(off)
        return p is not None and p.kind == "op" and p.text == s

    def parse(self) -> STerm:
        n = self.or_()
        if self.peek() is not None:
            raise SplError(f"unexpected {self.peek().text!r} at {self.peek().pos} in search")
        return n

    def or_(self):
        items = [self.and_()]
        while self.is_word("OR"):
            self.i += 1
            items.append(self.and_())
        return items[0] if len(items) == 1 else STerm("or", args=items)

    def and_(self):
        items = [self.not_()]
        while True:
            p = self.peek()
            if p is None or self.is_word("OR") or self.is_op(")"):
                break
            if self.is_word("AND"):
                self.i += 1
            items.append(self.not_())
        return items[0] if len(items) == 1 else STerm("and", args=items)

    def not_(self):
        if self.is_word("NOT"):
            self.i += 1
            return STerm("not", args=[self.not_()])
        return self.primary()

    def value(self) -> tuple:
        p = self.peek()
        if p is None or p.kind not in ("string", "word"):
            raise SplError(f"expected a value at {p.pos if p else 'end'} in search")
        self.i += 1
        return (_unquote(p.text), True) if p.kind == "string" else (p.text, False)

    def primary(self):
        p = self.peek()
        if p is None:
            raise SplError("unexpected end of search")
        if self.is_op("("):
            self.i += 1
            n = self.or_()
            if not self.is_op(")"):
                raise SplError("missing ) in search")
            self.i += 1
            return n
        if p.kind == "word" and self.peek(1) is not None and self.peek(1).kind == "op" \
                and self.peek(1).text in ("=", "!=", "<", ">", "<=", ">="):
            self.i += 2
            return STerm("cmp", p.text, self.peek(-1).text, [self.value()])
        if p.kind == "word" and self.is_word("IN", 1) and self.is_op("(", 2):
            self.i += 3
            values = []
            while not self.is_op(")"):
                if self.is_op(","):
                    self.i += 1
                    continue
                values.append(self.value())
            self.i += 1
            return STerm("in", p.text, "IN", values)
        if p.kind in ("word", "string"):
            return STerm("term", values=[self.value()])
        raise SplError(f"unexpected {p.text!r} at {p.pos} in search")


def _wildcard(value: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else re.escape(c) for c in value),
                      re.IGNORECASE | re.DOTALL)


def _value_matches(actual: str, wanted: str, op: str) -> bool:
    if op in ("=", "!="):
        return _wildcard(wanted).fullmatch(actual) is not None
    x, y = _num(actual), _num(wanted)
    if x is None or y is None:
        x, y = actual.lower(), wanted.lower()
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def search_match(t: STerm, row: dict) -> bool:
    k = t.kind
    if k == "and":
        return all(search_match(a, row) for a in t.args)
    if k == "or":
        return any(search_match(a, row) for a in t.args)
    if k == "not":
        return not search_match(t.args[0], row)
    if k == "term":
        raw = _text(row.get("_raw")) or ""
        return _wildcard("*" + t.values[0][0] + "*").fullmatch(raw) is not None
    values = [_text(v) for v in _mv(row.get(t.field))]
    if k == "in":
        return any(_value_matches(v, w, "=") for v in values for w, _ in t.values)
    wanted = t.values[0][0]
    if t.op == "!=":
        # field!=value: the field exists and its value does not match (NOT field=value
        # also keeps events without the field)
        return bool(values) and not any(_value_matches(v, wanted, "=") for v in values)
    return any(_value_matches(v, wanted, t.op) for v in values)


# =========================================================================== pipeline


@dataclass
class Command:
    name: str
    arg: Any


def _names(text: str) -> list[str]:
    names = [n for n in re.split(r"[\s,]+", text.strip()) if n]
    for n in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.{}:@-]*", n):
            raise SplError(f"bad field name {n!r}")
    return names


def _split_commas(text: str) -> list[str]:
    out, depth, buf, quote, i = [], 0, [], None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and quote == '"' and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            buf.append(ch)
        elif ch == "(":
            depth += 1
            buf.append(ch)
        elif ch == ")":
            depth -= 1
            buf.append(ch)
        elif ch == "," and depth == 0:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    out.append("".join(buf))
    return out


_STATS_AGG = re.compile(r"(count|min|max|sum|values)(?:\(([^)]*)\))?(?:\s+as\s+([A-Za-z_][A-Za-z0-9_]*))?",
                        re.IGNORECASE)


def parse_command(text: str, first: bool) -> Command:
    m = re.match(r"([A-Za-z_]+)\b\s*(.*)\Z", text, re.DOTALL)
    if not m:
        raise SplError(f"not a command: {text[:40]!r}")
    name, rest = m.group(1), m.group(2)
    if name == "search":
        return Command("search", SearchParser(rest).parse())
    if name == "multisearch":
        if not first or not text.startswith("multisearch"):
            raise SplError("multisearch must be the first command")
        subs = _subsearches(rest)
        if len(subs) < 2:
            raise SplError("multisearch needs at least two subsearches")
        return Command("multisearch", [parse(sub) for sub in subs])
    if first:
        raise SplError("the first command must be search or multisearch")
    if name == "join":
        jm = re.match(r"((?:\s*(?:type|max)=\S+)*)\s*(.*?)\s*(\[.*\])\s*\Z", rest, re.DOTALL)
        if not jm:
            raise SplError("join: expected [type=...] [max=...] fields [subsearch]")
        opts = dict(o.split("=", 1) for o in jm.group(1).split())
        if opts.get("type", "inner") != "inner" or opts.get("max") != "0":
            raise SplError("join: only type=inner max=0 is evaluated")
        (sub,) = _subsearches(jm.group(3))
        return Command("join", (_names(jm.group(2)), parse(sub)))
    if name == "where":
        return Command("where", parse_eval(rest))
    if name == "eval":
        assigns = []
        for part in _split_commas(rest):
            am = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)\Z", part, re.DOTALL)
            if not am:
                raise SplError(f"eval: expected name=expression, got {part.strip()[:40]!r}")
            assigns.append((am.group(1), parse_eval(am.group(2))))
        return Command("eval", assigns)
    if name == "stats":
        bm = re.match(r"(.*?)\s+by\s+(.*)\Z", rest, re.DOTALL)
        aggs_text, by = (bm.group(1), bm.group(2)) if bm else (rest, "")
        aggs, pos = [], 0
        aggs_text = aggs_text.strip()
        while pos < len(aggs_text):
            am = _STATS_AGG.match(aggs_text, pos)
            if not am or am.end() == pos:
                raise SplError(f"stats: cannot read {aggs_text[pos:pos + 30]!r}")
            fn, arg, alias = am.group(1).lower(), am.group(2), am.group(3)
            if fn != "count" and not arg:
                raise SplError(f"stats: {fn} needs a field")
            aggs.append((fn, arg, alias or (fn if fn == "count" and not arg else f"{fn}({arg})")))
            pos = am.end()
            while pos < len(aggs_text) and aggs_text[pos] in " ,":
                pos += 1
        return Command("stats", (aggs, _names(by) if by else []))
    if name in ("table", "fields"):
        return Command(name, _names(rest))
    raise SplError(f"command {name!r} is outside the evaluated subset")


def _subsearches(text: str) -> list[str]:
    """The bracketed subsearches of ``[...] [...]`` (nothing else allowed around them)."""
    out, depth, start, quote = [], 0, 0, None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = None
        elif ch == '"':
            quote = ch
        elif ch == "[":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                out.append(text[start:i].strip())
        elif depth == 0 and not ch.isspace():
            raise SplError(f"expected [subsearch], got {text[i:i + 20]!r}")
    if depth:
        raise SplError("unterminated [ (subsearch)")
    return out


@dataclass
class Pipeline:
    commands: list


def parse(query: str) -> Pipeline:
    """Parse a search string; raises SplError on any grammar error."""
    parts = split_pipes(query)
    if len(parts) > 1 and not parts[0] and parts[1].startswith("multisearch"):
        parts = parts[1:]  # "| multisearch ...": a generating command starts the search
    if not parts or not parts[0]:
        raise SplError("empty search")
    return Pipeline([parse_command(p, i == 0) for i, p in enumerate(parts)])


def event_row(event: dict) -> dict:
    """A Splunk event from a flat record: values as text, lists as multivalue fields, JSON
    null as no field (spath and JSON extraction write no value for null)."""
    row = {}
    for k, v in event.items():
        if v is None:
            continue
        if isinstance(v, list):
            vals = [_text(x) if not isinstance(x, (dict, list)) else json.dumps(x)
                    for x in v if x is not None]
            if vals:
                row[k] = _mvresult(vals)
        elif isinstance(v, dict):
            row[k] = json.dumps(v)
        elif k == "_time" and isinstance(v, (int, float)) and not isinstance(v, bool):
            row[k] = v  # "_time: the event's timestamp in UNIX time", a number (eval compares it so)
        else:
            row[k] = _text(v)
    return row


def run(query: str | Pipeline, events: list[dict]) -> list[dict]:
    """The result rows of the search over ``events`` (flat records)."""
    pipe = parse(query) if isinstance(query, str) else query
    rows = [event_row(e) for e in events]
    return _run_commands(pipe.commands, rows)


def _run_commands(commands: list, rows: list[dict]) -> list[dict]:
    events = rows
    for cmd in commands:
        if cmd.name == "search":
            rows = [r for r in rows if search_match(cmd.arg, r)]
        elif cmd.name == "multisearch":
            # every subsearch runs over the same events; results are interleaved by _time
            # (Splunk's multisearch), here concatenated then ordered newest first
            rows = [r for sub in cmd.arg for r in _run_commands(sub.commands, events)]
            rows.sort(key=lambda r: -(_num(r.get("_time")) or 0))
        elif cmd.name == "join":
            # join type=inner max=0: each result row with every subsearch row whose join
            # fields are all present and equal; the subsearch's values win (overwrite=true)
            names, sub = cmd.arg
            right = _run_commands(sub.commands, events)
            out = []
            for r in rows:
                if any(r.get(n) is None for n in names):
                    continue
                for o in right:
                    if all(o.get(n) is not None and o.get(n) == r.get(n) for n in names):
                        out.append({**r, **o})
            rows = out
        elif cmd.name == "where":
            rows = [r for r in rows if evaluate(cmd.arg, r) is True]
        elif cmd.name == "eval":
            out = []
            for r in rows:
                r = dict(r)
                for name, expr in cmd.arg:
                    v = evaluate(expr, r)
                    if isinstance(v, bool):
                        raise SplError("eval cannot store a boolean value in a field")
                    if v is None:
                        r.pop(name, None)
                    else:
                        r[name] = v
                out.append(r)
            rows = out
        elif cmd.name == "stats":
            rows = _stats(cmd.arg, rows)
        elif cmd.name in ("table", "fields"):
            rows = [{k: r[k] for k in cmd.arg if k in r} for r in rows]
    return rows


def _stats(arg, rows: list[dict]) -> list[dict]:
    aggs, by = arg
    groups: dict = {}
    for r in rows:
        key = []
        for b in by:
            if r.get(b) is None:
                break  # an event without a by-field is not counted
            key.append(json.dumps(r[b]))
        else:
            groups.setdefault(tuple(key), []).append(r)
    if not by and not groups:
        groups[()] = []  # without a by clause stats always answers one row (count 0)
    out = []
    for key, members in sorted(groups.items()):
        row = {b: json.loads(k) for b, k in zip(by, key)}
        for fn, f, alias in aggs:
            if fn == "count":
                row[alias] = len(members) if not f else sum(len(_mv(m.get(f))) for m in members)
                continue
            vals = [x for m in members for x in _mv(m.get(f))]
            if not vals:
                continue
            if fn == "values":
                row[alias] = _mvresult(sorted(set(_text(v) for v in vals)))
            elif fn == "sum":
                nums = [_num(v) for v in vals]
                if any(n is None for n in nums):
                    raise SplError(f"stats sum({f}): a value is not a number")
                row[alias] = sum(nums)
            else:
                nums = [_num(v) for v in vals]
                pick = (min if fn == "min" else max)
                row[alias] = pick(nums) if all(n is not None for n in nums) else pick(
                    _text(v) for v in vals)
        out.append(row)
    return out
