"""Python ``re`` patterns -> Sigma ``|re`` values with the same meaning.

pySigma 2 checks every ``|re`` value with RE2 (``google-re2``), and RE2 is also what the Sigma
verification runs, so a pattern is rewritten where Python and RE2 read the same text
differently, and reported where RE2 has no equivalent:

* ``$`` (no MULTILINE) is "end, or before a final newline" in Python but "end" in RE2:
  written ``\\n?\\z``; ``\\Z`` (Python: absolute end) is RE2's ``\\z``;
* ``\\d``, ``\\s``, ``\\w`` are Unicode classes in Python and ASCII in RE2: written as the
  Unicode property classes Python uses (unless the ASCII flag is set);
* ``\\uXXXX``/``\\UXXXXXXXX`` become ``\\x{...}``;
* ``re.match``/``re.fullmatch`` anchor with ``\\A`` and ``\\z`` (``^``/``$`` move with MULTILINE);
* lookarounds, backreferences, conditionals, ``\\N{..}``, VERBOSE: no RE2 equivalent -> reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

try:  # pySigma 2 depends on google-re2; without it the RE2 check is skipped, not faked
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None

# Python's str.isspace() set (\t \n \v \f \r, \x1c-\x1f, \x85 and the Unicode Z categories).
_SPACE_MEMBERS = r"\t-\r\x1c-\x1f\x85\p{Z}"
_WORD_MEMBERS = r"\p{L}\p{N}_"
_CLASS_MEMBERS = {"d": r"\p{Nd}", "s": _SPACE_MEMBERS, "w": _WORD_MEMBERS}

_UNSUPPORTED = (
    (re.compile(r"\(\?<?[=!]"), "regex lookaround"),
    (re.compile(r"\(\?P=|\\[1-9]"), "regex backreference"),  # checked before unescaping
    (re.compile(r"\(\?\("), "regex conditional group"),
    (re.compile(r"\(\?>|[*+?}]\+"), "regex atomic group or possessive quantifier"),
    (re.compile(r"\\N\{"), "regex named Unicode escape"),
)


@dataclass(frozen=True)
class SigmaRegex:
    pattern: str  # "" when not expressible
    modifiers: tuple  # sub-modifiers after |re: ("i",), ("m", "s")...
    problem: str = ""  # construct that RE2 cannot express (pattern is "" then)
    warnings: tuple = ()  # differences kept, reported


def translate(pattern: str, flags: tuple = (), case_sensitive: bool = True) -> SigmaRegex:
    """The Sigma ``|re`` form of Python ``re.<mode>(pattern, value, flags)``."""
    names = set(flags)
    mode = next((f for f in flags if f in ("search", "match", "fullmatch")), "search")
    unknown = names - {"search", "match", "fullmatch", "IGNORECASE", "I", "MULTILINE", "M",
                       "DOTALL", "S", "ASCII", "A", "UNICODE", "U"}
    if names & {"VERBOSE", "X"} or re.search(r"\(\?[aiLmsux]*x", pattern):
        return SigmaRegex("", (), "regex VERBOSE flag")
    if unknown:
        return SigmaRegex("", (), "regex flag " + ", ".join(sorted(unknown)))
    unescaped = re.sub(r"\\[^1-9]", "E", pattern)  # escapes are literals, not syntax
    for finder, construct in _UNSUPPORTED:
        if finder.search(unescaped):
            return SigmaRegex("", (), construct)
    mods = []
    if names & {"IGNORECASE", "I"} or not case_sensitive:
        mods.append("i")
    multiline = bool(names & {"MULTILINE", "M"}) or re.search(r"\(\?[aiLmsux]*m", pattern)
    if multiline:
        mods.append("m")
    if names & {"DOTALL", "S"}:
        mods.append("s")
    ascii_only = bool(names & {"ASCII", "A"}) or re.search(r"\(\?[aiLmsux]*a", pattern)
    try:
        body, warnings = _rewrite(pattern, multiline=bool(multiline), ascii_only=bool(ascii_only),
                                  fullmatch=mode == "fullmatch")
    except ValueError as exc:
        return SigmaRegex("", (), f"regex {exc}")
    if mode == "fullmatch":
        body = rf"\A(?:{body})\z"
    elif mode == "match" and not (pattern.startswith("^") and not multiline
                                  and not _top_level_alternation(pattern)):
        body = rf"\A(?:{body})"
    problem = re2_problem(body)
    if problem:
        return SigmaRegex("", (), f"regex RE2 rejects: {problem}")
    return SigmaRegex(body, tuple(mods), "", tuple(warnings))


def re2_problem(pattern: str) -> str:
    """RE2's complaint about ``pattern`` ("" when it compiles, or RE2 is unavailable)."""
    if _re2 is None:
        return ""
    try:
        _re2.compile(pattern)
    except Exception as exc:  # google-re2 raises its own error type
        return str(exc) or type(exc).__name__
    return ""


def _top_level_alternation(pattern: str) -> bool:
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def _rewrite(p: str, multiline: bool, ascii_only: bool, fullmatch: bool = False) -> tuple[str, list]:
    out: list[str] = []
    warnings: list[str] = []
    i, in_class = 0, False
    while i < len(p):
        c = p[i]
        if c == "\\":
            if i + 1 >= len(p):
                raise ValueError("pattern ends with a backslash")
            e = p[i + 1]
            i += 2
            if e == "Z":
                out.append(r"\z")
            elif e == "s" and ascii_only:  # Python's ASCII \s includes \v, RE2's does not
                out.append(r"\t-\r " if in_class else r"[\t-\r ]")
            elif e in "dsw" and not ascii_only:
                members = _CLASS_MEMBERS[e]
                out.append(members if in_class or e == "d" else f"[{members}]")
            elif e in "DSW" and not ascii_only:
                if in_class:
                    raise ValueError(rf"\{e} inside a character class has no RE2 equivalent")
                out.append(f"[^{_CLASS_MEMBERS[e.lower()]}]")
            elif e in "bB" and not ascii_only and not in_class:
                out.append("\\" + e)
                warnings.append(rf"\{e} is an ASCII word boundary in RE2 (Unicode in Python)")
            elif e == "u" or e == "U":
                width = 4 if e == "u" else 8
                digits = p[i:i + width]
                if len(digits) != width or not all(ch in "0123456789abcdefABCDEF" for ch in digits):
                    raise ValueError(f"bad \\{e} escape")
                out.append(r"\x{" + digits.lstrip("0").upper().rjust(1, "0") + "}")
                i += width
            else:
                out.append("\\" + e)
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            # a leading ']' (or '^]') is a literal member in both engines
            if p[i:i + 1] == "^":
                out.append("^")
                i += 1
            if p[i:i + 1] == "]":
                out.append(r"\]")
                i += 1
            continue
        if c == "$" and not multiline:
            # Python's $ is zero-width ("end, or before a final newline"); \n?\z consumes the
            # newline, which is the same only where nothing follows in the branch (RE2 has no
            # lookahead to say "before a newline" otherwise)
            if not re.fullmatch(r"[)$]*(?:\|.*)?", p[i + 1:], re.DOTALL):
                raise ValueError("'$' followed by more pattern has no RE2 equivalent")
            # fullmatch must end at the very end: a final newline is left unmatched in Python
            out.append(r"\z" if fullmatch else r"\n?\z")
        else:
            out.append(c)
        i += 1
    return "".join(out), warnings
