"""Naming styles: how a target spells a schema path when no explicit entry names it.

Each style takes the Panther path, the types along it (from the schema) and whether a node is
an open JSON subtree, and returns a ``Spelling`` (or a reason string when it cannot spell it):

* ``dotted`` (Sigma): ``a.b.c``; array elements leave no trace (``items.cidrIp``); no indexes.
* ``flat`` (Splunk JSON extraction): ``a.b{}.c``; array steps recorded for multivalue/mvindex.
* ``lower`` (Athena over Glue): lower-case struct path as the name; below an array native steps
  (struct keys lower-cased), below a JSON node JSON steps (keys keep their case).
* ``columns`` (Log Analytics tables created by a DCR): the top-level key is the column; objects
  and arrays are ``dynamic`` columns navigated natively.
* ``legacy_cl`` (Log Analytics HTTP Data Collector API ``*_CL`` tables): nested object keys
  joined by ``_`` plus a type suffix (``_s`` string, ``_b`` bool, ``_d`` number, ``_t``
  datetime; keys of free-form objects are text, ``_s``); arrays are stored as JSON text in one
  ``_s`` column (as Okta_CL's ``target_s``).
"""
from __future__ import annotations

from dataclasses import dataclass

from .entries import EACH, Step, base_type

NAMING = ("explicit", "dotted", "flat", "lower", "columns", "legacy_cl")
OPEN_TYPES = ("json", "any", "json-string")
_LEGACY_SUFFIX = {"string": "_s", "ip": "_s", "bool": "_b", "number": "_d", "timestamp": "_t"}


@dataclass(frozen=True)
class Spelling:
    name: str
    column_type: str
    value_type: str
    steps: tuple = ()
    array_steps: tuple = ()


def _is_array(t: str) -> bool:
    return base_type(t) == "array" or t.endswith("[]")


def _elem_type(t: str) -> str:
    return t[:-2] if t.endswith("[]") else "unknown"


def flat_name(path: tuple) -> tuple[str, tuple]:
    """Splunk's spelling of a JSON path: ``a.b{}.c``; returns (name, array steps)."""
    name, arrays = "", []
    for step in path:
        if isinstance(step, int) or step == EACH:
            name += "{}"
            arrays.append(step)
        else:
            name += ("." if name else "") + step
    return name, tuple(arrays)


def spell(style: str, path: tuple, types: dict, opens_json, prefix: str = "") -> Spelling | str:
    """``types``: prefix length -> type along ``path``; ``opens_json(i)``: whether the node at
    prefix length ``i`` is an open JSON subtree. ``prefix`` is put before the name (Splunk's
    ``data.`` for events wrapped by an add-on)."""
    value_type = types.get(len(path), "unknown")
    if style == "dotted":
        if any(isinstance(s, int) for s in path):
            return "Sigma field names have no array index"
        name = ".".join(s for s in path if s != EACH)
        return Spelling(prefix + name, value_type, value_type)
    if style == "flat":
        name, arrays = flat_name(path)
        arrays = list(arrays)
        if _is_array(value_type):  # the array itself: its elements as a multivalue field
            name += "{}"
            arrays.append(EACH)
            value_type = _elem_type(value_type)
        return Spelling(prefix + name, value_type, value_type, (), tuple(arrays))
    if style == "lower":
        return _nested(path, types, opens_json, lower=True)
    if style == "columns":
        return _columns(path, types, opens_json)
    if style == "legacy_cl":
        return _legacy(path, types, opens_json)
    raise ValueError(f"unknown naming style {style!r}")


def _nested(path: tuple, types: dict, opens_json, lower: bool) -> Spelling:
    value_type = types.get(len(path), "unknown")
    parts: list[str] = []
    steps: list[Step] = []
    mode = "name"  # name | native | json
    column_type = value_type
    for i, step in enumerate(path, start=1):
        typ = types.get(i, "unknown")
        is_json = opens_json(i)
        if mode == "name" and isinstance(step, str) and step != EACH:
            parts.append(step.lower() if lower else step)
            column_type = "json-string" if is_json else typ
            if is_json:
                mode = "json"
            elif _is_array(typ):
                mode = "native"
            continue
        if mode == "json":
            steps.append(Step(step, json=True))
            continue
        mode = "native"
        steps.append(Step(step.lower() if lower and isinstance(step, str) and step != EACH else step))
        if is_json:
            mode = "json"
    return Spelling(".".join(parts), column_type, value_type, tuple(steps))


def _columns(path: tuple, types: dict, opens_json) -> Spelling:
    value_type = types.get(len(path), "unknown")
    first = types.get(1, "unknown")
    nested = first in OPEN_TYPES or first == "object" or _is_array(first) or opens_json(1)
    column_type = "object" if nested else first
    return Spelling(path[0], column_type, value_type, tuple(Step(s) for s in path[1:]))


def _legacy(path: tuple, types: dict, opens_json) -> Spelling | str:
    value_type = types.get(len(path), "unknown")
    parts: list[str] = []
    for i, step in enumerate(path, start=1):
        if not isinstance(step, str) or step == EACH:
            return "legacy _CL tables hold arrays as JSON text; reached through its parent column"
        parts.append(step)
        typ = types.get(i, "unknown")
        if _is_array(typ) or (typ in ("json-string", "any") and i < len(path)):
            rest = tuple(Step(s, json=True) for s in path[i:])
            return Spelling("_".join(parts) + "_s", "json-string", value_type, rest)
    if opens_json(len(path)) or value_type == "object":
        return "legacy _CL tables flatten an object into one column per key"
    if value_type in ("unknown", "json"):
        value_type = "string"  # below a free-form object: the collector's default, text
    suffix = _LEGACY_SUFFIX.get(base_type(value_type))
    if suffix is None:
        return f"no legacy column type for a {value_type} value"
    return Spelling("_".join(parts) + suffix, value_type, value_type)
