"""Library functions on event text that the model expresses as transforms (Python's own
function runs in the evaluator)."""
from __future__ import annotations

import shlex

from ...model import FALSE, Predicate
from . import state
from .errors import Unsupported, as_rule_error
from .symbolic import Sym, SymMatch, Symbolic, decide, resolve
from .symlists import SymCount


def _shlex_split(s, comments=False, posix=True):
    s = resolve(s)
    if not isinstance(s, Symbolic):
        return shlex.split(s, comments, posix)
    if not isinstance(s, Sym) or comments is not False or posix is not True:
        raise Unsupported("shlex.split()", "shlex.split of "
                          + (s.describe() if not isinstance(s, Sym) else "text with options"))
    words = s.field.with_transform("shlex_split")
    if not decide(Predicate(words, "exists")):
        # Python's own failure on this path: bad quoting is a ValueError, a value that is not
        # text an AttributeError (it is read as a stream); None reads standard input (< 3.12)
        if state.is_value_maybe_none(s.field) and not decide(Predicate(s.field, "exists")):
            raise Unsupported("shlex.split()", f"shlex.split of {s.field.dotted} when it is "
                              "missing or null")
        if decide(Predicate(s.field, "is_type", ("str",))):
            raise as_rule_error(ValueError(f"{s.field.dotted}: no closing quotation"))
        raise as_rule_error(AttributeError(f"{s.field.dotted} is not text"))
    return Sym(words, s.origin)


class SymFindall(Symbolic):
    """``re.findall(p, field)``: the list is non-empty exactly when ``re.search`` finds a match
    (findall's first match is search's, an empty match included); its items, the captured
    text, are not expressible."""

    __slots__ = ("match",)

    def __init__(self, match: SymMatch):
        self.match = match

    def describe(self) -> str:
        return "the matches of a regex (re.findall)"

    def truthy(self):
        return self.match.truthy()

    def is_true(self):
        return FALSE  # a list is never `True`

    def count(self) -> SymCount:
        return SymCount(self)

    def tally(self):
        raise Unsupported("len()", f"{self.describe()} counted beyond empty/non-empty: the "
                          "number of matches is not expressible")

    __hash__ = Symbolic.__hash__


TEXT_CALLS = {shlex.split: _shlex_split}

__all__ = ["TEXT_CALLS", "SymFindall"]
