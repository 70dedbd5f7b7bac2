"""Path enumeration: run a function again and again, once per sequence of decisions taken on
symbolic conditions, and fold the paths back into one expression.

Every ``decide(cond)`` forks: the first run takes True, the next run replays the same prefix and
takes False, depth first. The path conditions therefore partition the event space, and the
result is the if-then-else tree of the decisions (linear in the number of paths, no DNF).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ...model import FALSE, TRUE, All, AnyOf, Const, Expr, Not, Opaque, Predicate
from . import picks, state
from .errors import PathLimit, Timeout, TracerError, is_tracer_bug
from .facts import implied


@dataclass
class Outcome:
    kind: str  # value | error | unsupported
    value: Any = None  # the returned value, the exception
    trail: tuple = ()  # ((expr, bool), ...)


class Explorer:
    def __init__(self, max_paths: int, max_decisions: int = 400):
        self.max_paths = max_paths
        self.max_decisions = max_decisions
        self.prefix: list[bool] = []
        self.trail: list[tuple[Expr, bool]] = []
        self.facts: dict = {}
        self.base_facts: dict = {}  # known on every path (a summary's caller's path)

    def decide(self, expr: Expr) -> bool:
        if isinstance(expr, Const):
            return expr.value
        known = implied(expr, self.facts)
        if known is not None:
            return known
        pos = len(self.trail)
        choice = self.prefix[pos] if pos < len(self.prefix) else True
        if pos >= self.max_decisions:
            raise PathLimit("decisions", f"more than {self.max_decisions} decisions on one path")
        self.trail.append((expr, choice))
        self.facts[expr] = choice
        if isinstance(expr, Not):  # facts about a predicate are looked up under its own key
            self.facts[expr.item] = not choice
        return choice

    def _advance(self) -> bool:
        decisions = [b for _, b in self.trail]
        while decisions and decisions[-1] is False:
            decisions.pop()
        if not decisions:
            return False
        decisions[-1] = False
        self.prefix = decisions
        return True

    truncated = False
    covered = False  # with ``cover``: whether exploration switched to branch coverage

    def run(self, fn: Callable[[], Any], on_value: Callable[[Any], Any] = lambda v: v,
            truncate: bool = False, cover: bool = False) -> list[Outcome]:
        """All paths of ``fn``; ``on_value`` maps a returned value (inside the path, so it may
        still decide) to what the Outcome keeps. With ``truncate``, stop at ``max_paths`` and
        return the paths found so far (``self.truncated``) instead of raising PathLimit.

        With ``cover``, when the first path takes more decisions than ``max_paths`` paths could
        combine, or half of ``max_paths`` paths did not exhaust the function, exploration aims
        at branch coverage instead (``self.covered``): each next path
        takes one decision seen so far the way no path took it yet (breadth first), so every
        condition is explored both ways before any combination is, where depth-first order
        would spend the budget on the last few decisions only (an alert_context keeping 11
        fields ``if v is not None`` has 2,048 paths; one reading each field from the first of
        three places that holds it, 27 conditions)."""
        ctx = state.current()
        ctx.explorers.append(self)
        outcomes: list[Outcome] = []
        flips: list | None = None
        try:
            while True:
                self.trail, self.facts = [], dict(self.base_facts)
                try:
                    out = Outcome("value", on_value(fn()))
                except (PathLimit, Timeout):
                    raise
                except TracerError as exc:
                    out = Outcome("unsupported", exc)
                except Exception as exc:  # the rule itself raised on this path
                    if is_tracer_bug(exc):
                        out = Outcome("unsupported", TracerError(
                            "tracer", f"internal error {type(exc).__name__}: {exc}"))
                    else:
                        out = Outcome("error", exc)
                out.trail = tuple(self.trail)
                outcomes.append(out)
                if cover and flips is None and (
                        len(outcomes) == 1 and 2 ** min(len(self.trail), 62) > self.max_paths
                        or len(outcomes) == self.max_paths // 2):
                    # many decisions on the first path, or half the budget spent depth first
                    # without an end: the rest goes to conditions not yet taken both ways
                    flips, taken, self.covered = [], set(), True
                    for o in outcomes:
                        taken.update(o.trail)
                    pending = [o.trail for o in outcomes]
                else:
                    pending = [self.trail] if flips is not None else []
                for trail in pending:
                    choices = [b for _, b in trail]
                    for i, (expr, b) in enumerate(trail):
                        if (expr, not b) not in taken:
                            taken.add((expr, not b))  # queued: explored once
                            flips.append(choices[:i] + [not b])
                    taken.update(trail)
                if len(outcomes) >= self.max_paths and truncate:
                    self.truncated = True
                    return outcomes
                if len(outcomes) > self.max_paths:
                    raise PathLimit("paths", f"more than {self.max_paths} decision paths")
                if flips is not None:
                    if not flips:
                        return outcomes
                    self.prefix = flips.pop(0)
                elif not self._advance():
                    return outcomes
        finally:
            ctx.explorers.pop()


# --------------------------------------------------------------------------- folding
def fold(outcomes: list[Outcome], leaf: Callable[[Outcome], Expr]) -> Expr:
    """If-then-else tree of the decisions, leaves mapped by ``leaf``."""
    return _fold([(list(o.trail), o) for o in outcomes], 0, leaf)


def _fold(items: list, depth: int, leaf: Callable[[Outcome], Expr]) -> Expr:
    if len(items) == 1 and len(items[0][0]) == depth:
        return leaf(items[0][1])
    cond = items[0][0][depth][0]
    yes = [it for it in items if it[0][depth][1]]
    no = [it for it in items if not it[0][depth][1]]
    t = _fold(yes, depth + 1, leaf) if yes else FALSE
    f = _fold(no, depth + 1, leaf) if no else FALSE
    return ite(cond, t, f)


def ite(cond: Expr, t: Expr, f: Expr) -> Expr:
    if t == f:
        return t
    if picks.is_ghost(cond):
        t, f = picks.settle(cond, t, f)
        if t == f:
            return t
        cond = picks.expressed(cond)
    if f == FALSE:
        return conj(cond, t)
    if t == FALSE:
        return conj(negate(cond), f)
    if t == TRUE and f != TRUE:
        return disj(cond, f)
    if f == TRUE:
        return disj(negate(cond), t)
    return disj(conj(cond, t), conj(negate(cond), f))


def negate(e: Expr) -> Expr:
    if isinstance(e, Not):
        return e.item
    if isinstance(e, Const):
        return Const(not e.value)
    return Not(e)


def conj(*items: Expr) -> Expr:
    out: list = []
    for x in items:
        if x == TRUE:
            continue
        if x == FALSE:
            return FALSE
        for y in (x.items if isinstance(x, All) else (x,)):
            if y not in out:
                out.append(y)
    if not out:
        return TRUE
    return out[0] if len(out) == 1 else All(tuple(out))


def disj(*items: Expr) -> Expr:
    out: list = []
    for x in items:
        if x == FALSE:
            continue
        if x == TRUE:
            return TRUE
        for y in (x.items if isinstance(x, AnyOf) else (x,)):
            if y not in out:
                out.append(y)
    if not out:
        return FALSE
    return out[0] if len(out) == 1 else AnyOf(tuple(out))


def has_opaque(e: Expr) -> bool:
    from ...model import walk
    return any(isinstance(n, Opaque) for n in walk(e))


def opaque_of(exc: TracerError) -> Opaque:
    return Opaque(exc.construct, exc.reason, exc.location)


__all__ = ["Explorer", "Outcome", "fold", "ite", "conj", "disj", "negate", "has_opaque",
           "opaque_of", "Predicate"]
