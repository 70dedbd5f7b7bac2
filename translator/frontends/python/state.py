"""Per-process tracer state: the explorer deciding forks, and what the rule's tests tell about
the event's shape (key spelling, value types). One rule is traced at a time per process."""
from __future__ import annotations

import json
from dataclasses import dataclass, field as dc_field
from typing import Any, Callable

from ...model import MISSING, Field


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


JSON_STEP = "<json>"  # in shape paths: the document parsed from a JSON text field


@dataclass
class Shape:
    """Key spellings and value types seen in the rule's test events, per path.

    Paths are lower-cased key tuples with every list index replaced by ``"*"``: PantherEvent
    keys are case-insensitive, and the schema of a log type does not depend on the position
    in an array.
    """

    types: dict = dc_field(default_factory=dict)  # norm path -> set of type names
    spelling: dict = dc_field(default_factory=dict)  # norm path -> key as written in the tests

    @classmethod
    def from_events(cls, events: list) -> "Shape":
        shape = cls()
        for ev in events:
            shape._walk(ev, ())
        return shape

    def _walk(self, value: Any, path: tuple) -> None:
        if path:
            self.types.setdefault(path, set()).add(_type_name(value))
        if isinstance(value, dict):
            for k, v in value.items():
                key = str(k)
                sub = path + (key.lower(),)
                self.spelling.setdefault(sub, key)
                self._walk(v, sub)
        elif isinstance(value, list):
            for v in value:
                self._walk(v, path + ("*",))
        elif isinstance(value, str) and value[:1] in ("{", "[") and len(value) < 100_000:
            # JSON kept as text (rules json.loads it): its keys continue the same path
            try:
                doc = json.loads(value)
            except ValueError:
                return
            if isinstance(doc, (dict, list)):
                self._walk(doc, path + (JSON_STEP,))

    @staticmethod
    def norm(path: tuple) -> tuple:
        return tuple("*" if isinstance(s, int) else str(s).lower() for s in path)

    def spell(self, parent: tuple, key: str) -> str:
        """The key as the test events write it (PantherEvent matches keys case-insensitively)."""
        return self.spelling.get(self.norm(parent) + (key.lower(),), key)

    def types_of(self, path: tuple) -> set:
        return self.types.get(self.norm(path), set())


@dataclass
class TraceContext:
    shape: Shape = dc_field(default_factory=Shape)
    log_types: tuple = ()
    data_models: dict = dc_field(default_factory=dict)  # log type -> DataModel
    mode: str = "rule"  # rule | title | dedup | context | severity
    notes: list = dc_field(default_factory=list)  # choices made, "file:line: text"
    explorers: list = dc_field(default_factory=list)
    on_unsupported_call: Callable | None = None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @property
    def explorer(self):
        return self.explorers[-1]

    def field_types(self, f: Field) -> set:
        return self.shape.types_of(f.path) if f.root == "event" and not f.transforms else set()


CTX = TraceContext()


def reset(ctx: TraceContext) -> None:
    global CTX
    CTX = ctx


def current() -> TraceContext:
    return CTX


def is_value_maybe_none(f: Field) -> bool:
    """Could Python see None for this field (no default replacing missing and null)?"""
    if f.transforms:
        return False
    if f.root != "event" and not f.path:
        return False  # an array element itself (or a deep_walk's non-null picked value)
    if f.default is MISSING or f.default is None:
        return True
    return not f.default_on_null
