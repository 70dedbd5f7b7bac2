"""KQL lexical helpers: string literals, identifiers, property access, glob -> RE2 (Python
regexes are rewritten for RE2 by ``sigma_regex``, shared with the Sigma backend).

Every value that reaches a query goes through ``string_literal`` or ``regex_literal``; nothing
else builds quoted text, so no rule value can end a literal early and change the query.
"""
from __future__ import annotations

import re

from .glob import class_chars, glob_tokens

__all__ = ["Inexpressible", "string_literal", "regex_literal", "identifier", "member",
           "glob_to_re2", "number_literal"]


class Inexpressible(Exception):
    """A construct this target cannot state with the rule's meaning."""

    def __init__(self, construct: str, reason: str, severity: str = "unsupported"):
        super().__init__(f"{construct}: {reason}")
        self.construct = construct
        self.reason = reason
        self.severity = severity


_SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Names Kusto.Language 12.4 rejects unbracketed as a column or dynamic property (KS228/KS006):
# every keyword text of its SyntaxFacts tried as `T | where isnotnull(D.<w>) | extend <w> = 1`.
_KEYWORDS = frozenset("""
__contextual_datatable __crossCluster __crossDB __executeAndCache __id __isFuzzy
__noWithSource __packedColumn __projectAway __sourceColumnIndex accumulate and anomalychart
areachart as asc bagexpansion barchart between bin_legacy boolean by byte cachingpolicy
callout cancel card char columnchart contains contains_cs containscs cycles dataexport
datascope datatable date datetime decimal decodeblocks desc double dynamic earliest
encodingpolicy endswith endswith_cs expandoutput extent_tags_retention external_data
externaldata find first flags float force_remote harddelete hardretention has has_all
has_any has_cs hasprefix hasprefix_cs hassuffix hassuffix_cs hotcache in int int16 int32
int64 int8 invoke isfuzzy journal kind ladderchart last latest like likecs linechart long
materialize mdm missing nooptimization notcontains notcontainscs notlike notlikecs of or
others pathformat piechart pivotchart print project queries query_results real relaxed
restricted_view_access row_level_security rowstore rowstore_references rowstore_sealinfo
rowstorepolicy rowstores sample scatterchart seal seals search set shards simple softdelete
softretention sql stackedareachart startswith startswith_cs statistics
storedqueryresultcontainers string tablepurge time timechart timeline timepivot timespan
title to toscalar totable treemap uint uint16 uint32 uint64 uint8 ulong union uniqueid
unrestrictedviewers verbose viewers views where with_itemindex with_match_id with_source
with_step_name withsource writeaheadlog
""".split())


def _check_text(text: str, what: str) -> None:
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            raise Inexpressible(f"{what} with character U+{code:04X}",
                                "KQL string literals have no portable spelling for it")


def string_literal(text: str) -> str:
    """A double-quoted KQL string literal equal to ``text``."""
    _check_text(text, "string value")
    out = ['"']
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def regex_literal(pattern: str) -> str:
    """A verbatim KQL string (``@"..."``, quotes doubled) holding an RE2 pattern. Control
    characters are written as RE2 escapes so the literal stays on one line."""
    body = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "\\" and i < len(pattern):
            nxt = ord(pattern[i])
            if nxt < 0x20 or nxt == 0x7F:  # an escaped control character: the escape alone
                body.append(f"\\x{{{nxt:02X}}}")
                i += 1
            elif pattern[i] == '"':
                body.append('\\""')
                i += 1
            elif 0xD800 <= nxt <= 0xDFFF:
                raise Inexpressible(f"regex with character U+{nxt:04X}", "not a valid code point")
            else:
                body.append(ch + pattern[i])
                i += 1
            continue
        code = ord(ch)
        if code < 0x20 or code == 0x7F:
            body.append(f"\\x{{{code:02X}}}")
        elif 0xD800 <= code <= 0xDFFF:
            raise Inexpressible(f"regex with character U+{code:04X}", "not a valid code point")
        elif ch == '"':
            body.append('""')
        else:
            body.append(ch)
    return '@"' + "".join(body) + '"'


def number_literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}"
    text = repr(float(value))
    if text in ("inf", "-inf", "nan"):
        raise Inexpressible(f"number {text}", "KQL has no literal for it")
    return text if ("." in text or "e" in text) else text + ".0"


def identifier(name: str) -> str:
    """A column name, bracket-quoted unless it is a plain identifier."""
    if _SIMPLE_NAME.match(name) and name not in _KEYWORDS:
        return name
    return "[" + string_literal(name) + "]"


def member(base: str, step) -> str:
    """``base.key`` / ``base['odd key']`` / ``base[3]`` on a dynamic value."""
    if isinstance(step, int):
        return f"{base}[{step}]"
    if _SIMPLE_NAME.match(step) and step not in _KEYWORDS:
        return f"{base}.{step}"
    return f"{base}[{string_literal(step)}]"


# --------------------------------------------------------------------------- regex
_RE2_SPECIAL = set("\\.+*?()|[]{}^$")


def glob_to_re2(pattern: str) -> str:
    """fnmatch semantics (case-sensitive, ``*`` spans ``/``), anchored at both ends."""
    out = []
    for tok in glob_tokens(pattern):
        if tok[0] == "any":
            out.append("(?s:.*)")
        elif tok[0] == "one":
            out.append("(?s:.)")
        elif tok[0] == "class":
            out.append(f"[{'^' if tok[1] else ''}{class_chars(tok[2])}]")
        else:
            ch = tok[1]
            out.append("\\" + ch if ch in _RE2_SPECIAL or ch in "#&~-" else ch)
    return r"\A" + "".join(out) + r"\z"
