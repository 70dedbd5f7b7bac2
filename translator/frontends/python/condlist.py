"""``[x for x in CONSTANTS if test(x, event)]``: a list of constants, each there under a condition.

Building the list by deciding every element's test forks the rule 2**n ways, while rules mostly
ask only whether the list is empty (``if matches:``). A ``CondList`` keeps the elements'
conditions: its truthiness is one condition (some element's test holds); any other use needs the
concrete list, which is then decided element by element (as Python builds it) once per path.
"""
from __future__ import annotations

from typing import Any

from ...model import FALSE, TRUE, Expr
from .errors import PathLimit, Timeout, TracerError
from .explore import disj
from .symbolic import Lazy, Symbolic, decide, truthy


class CondList(Lazy):
    __slots__ = ("items", "ctor", "_resolved")

    def __init__(self, items: list, ctor: type):
        super().__init__("list", [])
        self.items = items  # [(condition Expr, element value)] in iteration order
        self.ctor = ctor
        self._resolved = None

    def describe(self) -> str:
        return "a list whose elements depend on the event"

    def truthy(self) -> Expr:
        if self._resolved is not None:
            return TRUE if self._resolved else FALSE
        return disj(*[c for c, _ in self.items])

    def is_true(self) -> Expr:
        return FALSE  # a list is never `True`

    def resolve(self) -> Any:
        """The list Python built on this path (the same object for every later use, so that
        changes the rule makes to it stay)."""
        if self._resolved is None:
            self._resolved = self.ctor(v for c, v in self.items if decide(c))
        return self._resolved

    def __iter__(self):
        return iter(self.resolve())

    def __len__(self):
        return len(self.resolve())

    def __contains__(self, x):
        return x in self.resolve()

    __hash__ = Symbolic.__hash__


def conditional_list(kind: str, items, view, keep) -> Any:
    """A list comprehension over plain values whose filter may depend on the event."""
    ctor = list if kind == "list" else tuple
    out: list = []
    conditional = False
    for x in items:
        k = keep(x)
        if isinstance(k, Symbolic):
            c = truthy(k)
            try:
                v = view(x) if view is not None else x
            except (PathLimit, Timeout):
                raise
            except (TracerError, Exception):
                # the element's value raises or cannot be followed where the test may be
                # False: decide the test as Python does before computing the value
                if not decide(c):
                    continue
                out.append((TRUE, view(x)))
                continue
            out.append((c, v))
            conditional = True
        elif k:
            out.append((TRUE, view(x) if view is not None else x))
    if not conditional:
        return ctor(v for _, v in out)
    return CondList(out, ctor)


__all__ = ["CondList", "conditional_list"]
