"""fnmatch patterns (``*``, ``?``, ``[seq]``, ``[!seq]``) split into tokens, with
fnmatch.translate's bracket rules, so each backend only renders them in its regex dialect."""
from __future__ import annotations

from typing import Iterator


def glob_tokens(pattern: str) -> Iterator[tuple]:
    """("any",) for ``*``, ("one",) for ``?``, ("class", negated, chars) for a bracket
    expression, ("lit", ch) for a literal character (an unclosed ``[`` is literal)."""
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            yield ("any",)
        elif ch == "?":
            yield ("one",)
        elif ch == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                yield ("lit", "[")
                continue
            body = pattern[i:j]
            i = j + 1
            neg = body.startswith("!")
            yield ("class", neg, body[1:] if neg else body)
        else:
            yield ("lit", ch)


def class_chars(chars: str) -> str:
    """The members of a bracket expression, escaped for a regex character class."""
    return "".join("\\" + c if c in "\\]^[" else c for c in chars)
