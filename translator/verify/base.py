"""Results of checking one generated query with a real engine or parser (`rulec verify`).

Each target has a module ``translator/verify/<target>.py`` exposing
``check(rule, translation, mappings) -> EngineReport``: the syntax/semantic analysis of the
query and, where an engine runs offline, its execution over the rule's test events projected
into the target's records. Agreement means: the engine's match equals the test's
ExpectedResult (which the real Python rule also produced, see `rulec test`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TestCheck:
    __test__ = False  # not a pytest test class

    name: str
    expected: bool
    matched: bool | None  # None: not executed (see error)
    error: str = ""

    @property
    def agrees(self) -> bool:
        return self.matched is not None and self.matched == self.expected


@dataclass
class EngineReport:
    rule_id: str
    target: str
    engine: str = ""  # e.g. "duckdb 1.1 (sqlglot athena->duckdb)", "Kusto.Language 12.4"
    syntax_ok: bool | None = None  # None: no syntax check ran
    syntax_errors: list = field(default_factory=list)
    executed: bool = False  # tests ran on an engine (vs analysis only)
    tests: list = field(default_factory=list)  # TestCheck
    notes: list = field(default_factory=list)  # e.g. "verified by analysis only: mv-apply"

    @property
    def status(self) -> str:
        """ok | analysis-only | fail | skipped"""
        if self.syntax_ok is False or any(not t.agrees for t in self.tests if t.matched is not None):
            return "fail"
        if self.executed and self.tests and all(t.agrees for t in self.tests):
            return "ok"
        if self.syntax_ok:
            return "analysis-only"
        return "skipped"

    def to_dict(self) -> dict:
        return {"rule_id": self.rule_id, "target": self.target, "engine": self.engine,
                "status": self.status, "syntax_ok": self.syntax_ok,
                "syntax_errors": list(self.syntax_errors), "executed": self.executed,
                "tests": [t.__dict__ | {"agrees": t.agrees} for t in self.tests],
                "notes": list(self.notes)}


_PYTHON_TYPES = {"string": (str,), "number": (int, float), "bool": (bool,)}


def type_conflicts(mappings, log_type: str, target: str, expr, event: Any) -> list[str]:
    """Fields of ``expr`` whose value in the test ``event`` has another JSON type than the
    log type's schema gives them (``securityContext.isProxy`` typed bool, the test writes
    ``"true"``). Real logs follow the schema; an engine that stores the schema's type (or, like
    Splunk, text for everything) cannot hold such a test event as Python sees it."""
    from ..evaluator import resolve
    from ..mapping import ResolvedField
    from ..model import MISSING, Field, fields_of

    out: list[str] = []
    schema = mappings.schema(log_type)
    for f in fields_of(expr):
        if f.root != "event" or not f.path:
            continue
        value = resolve(Field(tuple(f.path)), event)
        if value is MISSING or value is None:
            continue
        r = mappings.resolve(log_type, target, schema.canonical(tuple(f.path)))
        wanted = _PYTHON_TYPES.get(r.type) if isinstance(r, ResolvedField) else None
        if wanted and (not isinstance(value, wanted)
                       or (r.type == "number" and isinstance(value, bool))):
            text = f"{f.dotted} is {r.type} in the schema, the test holds " \
                   f"{type(value).__name__} {value!r}"
            if text not in out:
                out.append(text)
    return out
