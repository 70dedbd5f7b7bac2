"""The mapping layer seen from the SQL backend: tables, columns with Athena types, rows.

A thin adapter over ``translator.mapping.MappingSet`` (all field knowledge stays in the mapping
data): the column a Panther path lives in comes from ``MappingSet.resolve``; the table schema
(Athena types) is derived from the log type's Panther-side schema the same way the mapping's
``lower`` naming style derives column names (objects with listed members are structs, objects
without listed members and ``json`` fields are JSON text); rows are ``project_event``.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..mapping import EACH, MappingSet, ResolvedField
from ..mapping.entries import base_type
from ..mapping.project import project_event
from .sql_common import SqlField

__all__ = ["MappingSql", "athena_type"]

_SCALARS = {"string": "varchar", "ip": "varchar", "number": "double", "bool": "boolean",
            "timestamp": "timestamp", "json": "varchar", "json-string": "varchar", "any": "varchar",
            "unknown": "varchar"}


def _lower(path: tuple) -> tuple:
    return tuple(s.lower() if isinstance(s, str) else s for s in path)


def athena_type(schema_types: dict, path: tuple, typ: str) -> str:
    """Athena type of the column/struct member at ``path`` with Panther type ``typ``.

    Paths are compared case-insensitively (Panther keys are, and schemas list some members in
    two spellings); a member listed as JSON under any spelling is JSON text, as the mapping's
    resolution (and so the reverse projection) treats it."""
    if typ.endswith("[]"):
        return f"array({athena_type(schema_types, path + (EACH,), typ[:-2])})"
    if typ in ("json", "json-string", "any"):
        return "varchar"
    low = _lower(path)
    children: dict = {}
    for p, t in schema_types.items():
        if len(p) == len(path) + 1 and _lower(p[:len(path)]) == low:
            key = p[len(path)].lower() if isinstance(p[len(path)], str) else p[len(path)]
            if children.get(key) not in ("json", "json-string", "any"):
                children[key] = t
    if base_type(typ) == "object":
        if not children:
            return "varchar"  # members unknown: Panther keeps it as JSON text
        members = ", ".join(f"{_member_name(k)} {athena_type(schema_types, path + (k,), t)}"
                            for k, t in children.items())
        return f"row({members})"
    if base_type(typ) == "array":
        elem = children.get(EACH)
        return f"array({athena_type(schema_types, path + (EACH,), elem)})" if elem else "array(json)"
    return _SCALARS.get(typ, "varchar")


def _member_name(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _merged_top_level(schema_types: dict) -> dict:
    """Top-level paths, one per case-insensitive name (JSON spelling wins)."""
    out: dict = {}
    for p, t in schema_types.items():
        if len(p) == 1:
            key = p[0].lower()
            if key not in out or t in ("json", "json-string", "any"):
                out[key] = (p, t)
    return out


class MappingSql:
    """``SqlMapping`` over a MappingSet for one Athena variant (``""`` = Panther data lake)."""

    def __init__(self, mappings: MappingSet, target: str = "athena", variant: str = ""):
        self.ms, self.target, self.variant = mappings, target, variant
        self.unmapped: dict = {}  # path -> reason, for reports

    def table(self, log_type: str) -> str | None:
        try:
            src = self.ms.source(log_type, self.target, self.variant)
        except Exception:  # MappingError: the caller reports "no table"
            return None
        table = src.get("table")
        db = src.get("database")
        return f"{db}.{table}" if db and table else table

    def column(self, log_type: str, path: tuple) -> SqlField | None:
        r = self.ms.resolve(log_type, self.target, tuple(path), self.variant)
        if not isinstance(r, ResolvedField):
            self.unmapped[tuple(path)] = r.reason
            return None
        parts = r.name.split(".")
        native, json_steps, in_json = list(parts[1:]), [], r.column_type == "json-string"
        for step in r.steps:
            if step.key == EACH:
                return None
            if step.json or in_json:
                in_json = True
                json_steps.append(step.key)
            else:
                native.append(step.key)
        types = self.columns(log_type)
        if parts[0] not in types:
            self.unmapped[tuple(path)] = f"column {parts[0]} is not in the table schema"
            return None
        if in_json and not json_steps and r.column_type != "json-string":
            in_json = False
        return SqlField(parts[0], tuple(native), tuple(json_steps) if in_json else None,
                        "varchar" if in_json else _SCALARS.get(r.type, "varchar"))

    def columns(self, log_type: str) -> dict:
        return _columns(self.ms, log_type, self.target, self.variant)

    def row(self, log_type: str, event: dict) -> dict:
        return project_event(self.ms, log_type, self.target, event, self.variant)


@lru_cache(maxsize=256)
def _columns(ms: MappingSet, log_type: str, target: str, variant: str) -> dict:
    schema = ms.schema(log_type).types
    out: dict = {}
    for path, typ in _merged_top_level(schema).values():
        r = ms.resolve(log_type, target, path, variant)
        if not isinstance(r, ResolvedField) or r.steps or "." in r.name:
            continue
        col_type = r.column_type
        if col_type == "json-string":
            out[r.name] = "varchar"
        elif col_type in _SCALARS and base_type(col_type) not in ("object", "array"):
            out[r.name] = _SCALARS[col_type]
        else:
            out[r.name] = athena_type(schema, path, col_type)
    return out
