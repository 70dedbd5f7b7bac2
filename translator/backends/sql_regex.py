"""Python ``re`` patterns rewritten for SQL engines, keeping Python's meaning.

Trino/Athena runs Java-syntax regexes (joni), DuckDB runs RE2. Their ``.``, ``$``, ``\\d``,
``\\w``, ``\\s`` and case folding differ from Python's (``$`` also matches before a final
newline in Python and Java but not in RE2; ``.`` excludes ``\\r``/``\\u2028`` in Java; ``\\d``
is Unicode in Python, ASCII in RE2). So the pattern is parsed with Python's own parser and
re-emitted in a spelling that means the same in all three: explicit classes instead of the
shorthand ones, IGNORECASE expanded into explicit case variants (computed with Python's own
case tables), ``$`` written as ``\\n?\\z`` where that is equivalent.

Constructs with no portable spelling are reported: ``unsupported`` (no SQL engine form keeps
Python's meaning) or ``engine_gaps`` (Athena runs it, RE2/DuckDB cannot, so a DuckDB check of
it proves nothing and is skipped).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache

import re._casefix as _casefix  # noqa: the tables Python's own engine folds case with
import re._constants as C
import re._parser as P
import _sre

__all__ = ["PortableRegex", "translate_regex", "python_whitespace_class"]

_RE2_MAX_REPEAT = 1000
_MAX_IGNORECASE_RANGE = 2000


@dataclass
class PortableRegex:
    pattern: str = ""
    unsupported: list = field(default_factory=list)
    engine_gaps: list = field(default_factory=list)  # DuckDB/RE2 cannot run it
    caveats: list = field(default_factory=list)


@lru_cache(maxsize=1)
def _case_groups() -> dict:
    """lower-case code point -> the other code points that lower-case to it."""
    groups: dict = {}
    tolower = _sre.unicode_tolower
    for cp in range(sys.maxunicode + 1):
        lo = tolower(cp)
        if lo != cp:
            groups.setdefault(lo, []).append(cp)
    return groups


def _case_variants(cp: int) -> list[int]:
    """Every code point Python's IGNORECASE matches against literal ``cp`` (Unicode mode)."""
    lower = _sre.unicode_tolower(cp)
    lowers = [lower, *_casefix._EXTRA_CASES.get(lower, ())]
    out = {cp}
    groups = _case_groups()
    for lo in lowers:
        out.add(lo)
        out.update(groups.get(lo, ()))
    return sorted(out)


@lru_cache(maxsize=1)
def python_whitespace_class() -> str:
    """Body of a character class matching exactly Python's ``\\s`` (and ``str.strip()``)."""
    cps = [cp for cp in range(sys.maxunicode + 1)
           if not 0xD800 <= cp <= 0xDFFF and chr(cp).isspace()]
    return _ranges_body(cps)


def _ranges_body(cps: list[int]) -> str:
    cps = sorted(set(cps))
    out, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        out.append(_class_char(cps[i]) if i == j else f"{_class_char(cps[i])}-{_class_char(cps[j])}")
        i = j + 1
    return "".join(out)


def _char(cp: int) -> str:
    """A literal outside a class: metacharacters backslash-escaped, other printable ASCII and
    all non-ASCII as is, ASCII controls as \\xhh (valid in Java, joni and RE2 alike)."""
    ch = chr(cp)
    if ch in _METAS:
        return "\\" + ch
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}"
    return ch


def _class_char(cp: int) -> str:
    ch = chr(cp)
    if ch in _CLASS_METAS:
        return "\\" + ch
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}"
    return ch


# Special outside a class in Java, joni or RE2 (no engine runs in verbose mode, so space and #
# are plain); inside a class also - ^ [ ] and & (Java's && intersection).
_METAS = frozenset(".^$*+?()[]{}|\\")
_CLASS_METAS = frozenset("[]\\^-&")

_WORD = r"\p{L}\p{N}_"
_DIGIT = r"\p{Nd}"


def translate_regex(pattern: str, flags: tuple = ()) -> PortableRegex:
    """``flags``: names of ``re`` flags plus an optional mode (search|match|fullmatch)."""
    out = PortableRegex()
    re_flags = 0
    for name in flags:
        if name in ("search", "match", "fullmatch"):
            continue
        if not hasattr(re, name):
            out.unsupported.append(f"unknown regex flag {name!r}")
            continue
        re_flags |= getattr(re, name)
    try:
        parsed = P.parse(pattern, re_flags)
    except re.error as e:
        out.unsupported.append(f"invalid Python regex {pattern!r}: {e}")
        return out
    mode = next((f for f in flags if f in ("search", "match", "fullmatch")), "search")
    emitter = _Emitter(out, fullmatch=mode == "fullmatch")
    body = emitter.seq(list(parsed), parsed.state.flags, top=True)
    # No empty "(?:)" anywhere: DuckDB's regex optimizer misreads it (measured: "(?:)\\z" does
    # not match "a" in DuckDB 1.x/2.x).
    group = f"(?:{body})" if body else ""
    if mode == "match":
        body = f"\\A{group}"
    elif mode == "fullmatch":
        body = f"\\A{group}\\z"
    out.pattern = body
    return out


class _Emitter:
    def __init__(self, out: PortableRegex, fullmatch: bool = False):
        self.out = out
        # Under fullmatch the match must end at the very end, so a final $ is just \z.
        self.fullmatch = fullmatch

    # ------------------------------------------------------------------ sequences
    def seq(self, items: list, flags: int, top: bool = False) -> str:
        parts = []
        for i, (op, av) in enumerate(items):
            last = top and i == len(items) - 1
            parts.append(self.item(op, av, flags, at_top_end=last))
        return "".join(parts)

    def atom(self, items: list, flags: int) -> str:
        """A sub-pattern as something a quantifier can follow."""
        text = self.seq(items, flags)
        if not text:
            return ""
        if len(items) == 1 and items[0][0] in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.SUBPATTERN):
            return text
        return f"(?:{text})"

    def item(self, op, av, flags: int, at_top_end: bool = False) -> str:
        if op is C.LITERAL:
            return self.literal(av, flags)
        if op is C.NOT_LITERAL:
            return "[^" + self.class_literal(av, flags) + "]"
        if op is C.ANY:
            return r"[\s\S]" if flags & re.DOTALL else r"[^\x0a]"
        if op is C.IN:
            return self.char_class(av, flags)
        if op is C.BRANCH:
            _, alternatives = av
            return "(?:" + "|".join(self.seq(list(a), flags, top=at_top_end) for a in alternatives) + ")"
        if op is C.SUBPATTERN:
            group, add, delete, sub = av
            inner_flags = (flags | add) & ~delete
            inner = self.seq(list(sub), inner_flags, top=at_top_end)
            if group is not None:
                return f"({inner})"
            return f"(?:{inner})" if inner else ""
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            if max(lo, 0 if hi is C.MAXREPEAT else hi) > _RE2_MAX_REPEAT:
                self.out.engine_gaps.append(f"repeat count over {_RE2_MAX_REPEAT} (RE2 limit)")
            q = self.quantifier(lo, hi)
            if op is C.MIN_REPEAT:
                q += "?"
            elif op is C.POSSESSIVE_REPEAT:
                q += "+"
                self.out.engine_gaps.append("possessive quantifier (RE2 has none)")
            atom = self.atom(list(sub), flags)
            return atom + q if atom else ""
        if op is C.AT:
            return self.anchor(av, flags, at_top_end)
        if op in (C.ASSERT, C.ASSERT_NOT):
            direction, sub = av
            kind = ("=" if op is C.ASSERT else "!") if direction == 1 else ("<=" if op is C.ASSERT else "<!")
            self.out.engine_gaps.append("lookaround assertion (RE2 has none)")
            return f"(?{kind}{self.seq(list(sub), flags)})"
        if op is C.GROUPREF:
            self.out.engine_gaps.append("backreference (RE2 has none)")
            return f"\\{av}"
        if op is C.ATOMIC_GROUP:
            self.out.engine_gaps.append("atomic group (RE2 has none)")
            return f"(?>{self.seq(list(av), flags)})"
        if op is C.GROUPREF_EXISTS:
            self.out.unsupported.append("conditional group (?(n)...) has no Trino/RE2 form")
            return ""
        self.out.unsupported.append(f"regex construct {op} has no portable form")
        return ""

    @staticmethod
    def quantifier(lo: int, hi) -> str:
        if hi is C.MAXREPEAT:
            return {0: "*", 1: "+"}.get(lo, f"{{{lo},}}")
        if (lo, hi) == (0, 1):
            return "?"
        return f"{{{lo}}}" if lo == hi else f"{{{lo},{hi}}}"

    def anchor(self, at, flags: int, at_top_end: bool) -> str:
        multiline = bool(flags & re.MULTILINE)
        if at is C.AT_BEGINNING_STRING:
            return r"\A"
        if at is C.AT_END_STRING:
            return r"\z"
        if at is C.AT_BEGINNING:
            if multiline:
                self.out.unsupported.append("MULTILINE ^: Trino also breaks lines at \\r and \\u2028")
            return "^"
        if at is C.AT_END:
            if multiline:
                self.out.unsupported.append("MULTILINE $: Trino also breaks lines at \\r and \\u2028")
                return "$"
            if not at_top_end:
                self.out.unsupported.append("$ followed by more pattern (end-of-line before a final "
                                            "newline has no RE2 form)")
                return "$"
            return r"\z" if self.fullmatch else r"(?:\x0a?\z)"
        if at in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY):
            if flags & re.ASCII:
                self.out.caveats.append("\\b: word boundary ASCII in RE2, Unicode in joni")
            else:
                self.out.caveats.append("\\b/\\B: RE2 (DuckDB) word boundaries are ASCII-only; "
                                        "non-ASCII word characters are checked by Athena only")
            return r"\b" if at is C.AT_BOUNDARY else r"\B"
        self.out.unsupported.append(f"anchor {at} has no portable form")
        return ""

    # ------------------------------------------------------------------ literals and classes
    def literal(self, cp: int, flags: int) -> str:
        if flags & re.IGNORECASE:
            variants = self.variants(cp, flags)
            if len(variants) > 1:
                return "[" + "".join(_class_char(v) for v in variants) + "]"
        return _char(cp)

    def class_literal(self, cp: int, flags: int) -> str:
        if flags & re.IGNORECASE:
            return "".join(_class_char(v) for v in self.variants(cp, flags))
        return _class_char(cp)

    @staticmethod
    def variants(cp: int, flags: int) -> list[int]:
        if flags & re.ASCII:
            ch = chr(cp)
            return sorted({cp, ord(ch.lower()), ord(ch.upper())}) if ch.isascii() and ch.isalpha() else [cp]
        return _case_variants(cp)

    def char_class(self, items: list, flags: int) -> str:
        negate = False
        body: list[str] = []
        for op, av in items:
            if op is C.NEGATE:
                negate = True
            elif op is C.LITERAL:
                body.append(self.class_literal(av, flags))
            elif op is C.RANGE:
                body.append(self.range(av, flags))
            elif op is C.CATEGORY:
                cat = self.category(av, flags, alone=len(items) == 1 and not negate)
                if cat is None:
                    return ""
                body.append(cat)
            else:
                self.out.unsupported.append(f"class item {op} has no portable form")
        return ("[^" if negate else "[") + "".join(body) + "]"

    def range(self, bounds: tuple, flags: int) -> str:
        lo, hi = bounds
        if not flags & re.IGNORECASE:
            return f"{_class_char(lo)}-{_class_char(hi)}"
        if hi - lo > _MAX_IGNORECASE_RANGE:
            self.out.unsupported.append("IGNORECASE range too wide to expand into case variants")
            return f"{_class_char(lo)}-{_class_char(hi)}"
        candidates = set()
        for cp in range(lo, hi + 1):
            candidates.update(self.variants(cp, flags))
        probe = re.compile(f"[{re.escape(chr(lo))}-{re.escape(chr(hi))}]",
                           re.IGNORECASE | (flags & re.ASCII))
        return _ranges_body([cp for cp in candidates if probe.fullmatch(chr(cp))])

    def category(self, cat, flags: int, alone: bool) -> str | None:
        ascii_only = bool(flags & re.ASCII)
        positive = {
            C.CATEGORY_DIGIT: "0-9" if ascii_only else _DIGIT,
            C.CATEGORY_WORD: "a-zA-Z0-9_" if ascii_only else _WORD,
            C.CATEGORY_SPACE: r"\x20\x09-\x0d" if ascii_only else python_whitespace_class(),
        }
        negative = {C.CATEGORY_NOT_DIGIT: C.CATEGORY_DIGIT, C.CATEGORY_NOT_WORD: C.CATEGORY_WORD,
                    C.CATEGORY_NOT_SPACE: C.CATEGORY_SPACE}
        if cat in positive:
            return positive[cat]
        if cat in negative:
            if cat is C.CATEGORY_NOT_DIGIT and not ascii_only:
                return r"\P{Nd}"
            if alone:
                # The whole class is this one negated category: emit it as a negated class.
                return "^" + positive[negative[cat]]
            self.out.unsupported.append(f"negated shorthand {cat} inside a character class "
                                        "(RE2 cannot nest classes)")
            return None
        self.out.unsupported.append(f"regex category {cat} has no portable form")
        return None
