"""Reverse projection: a Panther test event -> the record a target would hold.

Driven by the same resolution as the forward mapping, so a query built from ``resolve`` reads
exactly the places this projection fills. Walking the event from the root, each node is
resolved on the target:

* mapped with no steps below -> the value is stored under the target name, converted to the
  column type (``json-string`` -> JSON text, ``bool`` -> bool, ``T[]`` -> list, struct -> keys
  lower-cased for Athena); for flat targets (Splunk, Sigma) only leaves are stored, and array
  steps turn values into multivalue lists;
* unmapped -> its children are tried (``userIdentity`` has no Sentinel column, but
  ``userIdentity.arn`` has); an unmapped leaf is dropped: the target would not hold it.

Records: Sentinel row ``{Column: value, "Type": table}``; Splunk event ``{"a.b": v,
"a{}.c": [..], "_raw": json, "sourcetype": .., "index": ..}``; UDM event (nested dict with
``metadata.log_type``); Athena row (columns as the table has them, p_* included); Sigma record
(flat dotted keys).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from .entries import EACH, ResolvedField, base_type
from .resolve import MappingSet

NESTED_NAME_TARGETS = ("chronicle", "athena")  # a dotted name is a path into nested data
FLAT_TARGETS = ("splunk", "sigma")


def _truthy_text(v: Any) -> Any:
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return v


def _epoch_to_iso(value: float) -> str:
    """Epoch seconds (or milliseconds, as many SaaS logs write them) as ISO-8601 UTC text."""
    seconds = value / 1000 if abs(value) > 1e11 else value
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _lower_keys(v: Any, keep_json: bool) -> Any:
    if isinstance(v, dict):
        return {str(k).lower(): _lower_keys(x, keep_json) for k, x in v.items()}
    if isinstance(v, list):
        return [_lower_keys(x, keep_json) for x in v]
    return v


def convert(value: Any, r: ResolvedField) -> Any:
    """A Panther value as stored in a column of ``r.column_type``."""
    t = r.column_type
    if value is None:
        return None
    if t == "json-string":
        # JSON text whose parse is the Panther value: a text value of a JSON-typed field is a
        # JSON string (Duo's description holds JSON *as text*, which rules json.loads); a
        # string-typed Panther field keeps its text, which the target parses as JSON
        if isinstance(value, str) and r.type == "string":
            return value
        return json.dumps(value, sort_keys=True)
    if t == "bool":
        return _truthy_text(value)
    if t == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _epoch_to_iso(value)
    if t.endswith("[]"):
        return value if isinstance(value, list) else [value]
    if r.target == "athena" and t in ("object", "array"):
        return _lower_keys(value, keep_json=False)
    if t == "string" and isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def _json_members(schema, path: tuple, value: Any) -> Any:
    """``value`` (stored whole in one Athena array/struct column) with each member the schema
    types ``json`` as JSON text, as Panther's table holds it (a varchar the query json_parse()s):
    GitLab's ``params[].value`` is "[FILTERED]" in one element and an object in another."""
    if path and schema.type_of(path) in ("json", "any") and value is not None:
        return json.dumps(value, sort_keys=True)
    if isinstance(value, dict):
        return {k: _json_members(schema, path + (str(k),), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_members(schema, path + (i,), v) for i, v in enumerate(value)]
    return value


def _set_nested(record: dict, name: str, value: Any, append: bool) -> None:
    parts = name.split(".")
    node = record
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            return  # a scalar already sits where a message should: keep the first writer
    _store(node, parts[-1], value, append)


def _store(node: dict, key: str, value: Any, append: bool) -> None:
    if append:
        cur = node.setdefault(key, [])
        if not isinstance(cur, list):
            cur = node[key] = [cur]
        cur.extend(value if isinstance(value, list) else [value])
    elif key not in node:
        node[key] = value


def _set_label(record: dict, name: str, key: str, value: Any) -> None:
    """UDM key/value labels as a dict under ``name`` (``additional.fields["k"]``); values are
    text, as the parser writes them."""
    node = record
    for p in name.split("."):
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            return
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    node.setdefault(key, text)


def event_leaves(value: Any, path: tuple = ()):
    """(Panther path, scalar) for every leaf of an event; list elements step through ``EACH``
    (the verifiers place each leaf at the target's name for that path)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from event_leaves(v, path + (str(k),))
    elif isinstance(value, list):
        for v in value:
            yield from event_leaves(v, path + (EACH,))
    else:
        yield path, value


def schema_spelling(ms: MappingSet, log_type: str, event: Any, path: tuple = ()) -> Any:
    """``event`` with its keys spelled as the log type's schema spells them. Panther reads keys
    case-insensitively, so a test event may write ``protopayload`` for the log's
    ``protoPayload``; the log a target ingests has the schema's spelling. Keys the schema does
    not list (inside free-form JSON) keep theirs; of two keys that fold together the first
    wins."""
    schema = ms.schema(log_type)
    if isinstance(event, dict):
        out: dict = {}
        for key, value in event.items():
            spelled = schema.canonical(path + (str(key),))[-1] if schema else key
            out.setdefault(spelled, schema_spelling(ms, log_type, value, path + (spelled,)))
        return out
    if isinstance(event, list):
        return [schema_spelling(ms, log_type, v, path + (EACH,)) for v in event]
    return event


def with_standard_fields(ms: MappingSet, log_type: str, event: dict) -> dict:
    """The event as Panther stores it: p_log_type, and p_event_time from the log type's own
    timestamp field when the test event does not carry it."""
    out = dict(event)
    out.setdefault("p_log_type", log_type)
    m = ms.log_type(log_type)
    if "p_event_time" not in out and m is not None and m.event_time:
        node: Any = event
        for step in m.event_time:
            node = node.get(step) if isinstance(node, dict) else None
        if node is not None:
            out["p_event_time"] = node
    return out


def project_event(ms: MappingSet, log_type: str, target: str, event: dict,
                  variant: str = "") -> dict:
    """The record ``target`` would hold for the Panther event ``event``."""
    src = ms.source(log_type, target, variant)  # raises a clear error when not mapped
    full = with_standard_fields(ms, log_type, event)
    record: dict = {}
    flat = src.target in FLAT_TARGETS

    def visit(path: tuple, value: Any) -> None:
        # flat names have no index: every element lands in the same multivalue field
        lookup = tuple(EACH if isinstance(s, int) else s for s in path) if flat else path
        r = ms.resolve(log_type, target, lookup, variant)
        if isinstance(r, ResolvedField) and (r.any_of or r.column_type == "constant"):
            return  # Panther-computed (indicator union, log type): the target stores no column
        if isinstance(r, ResolvedField) and r.members:
            descend(path, value)  # its members are stored one by one
            return
        if isinstance(r, ResolvedField) and r.column_type == "labels":
            if isinstance(value, (dict, list)):
                descend(path, value)
            elif value is not None:
                _set_label(record, r.name, r.steps[0].key, value)
            return
        if isinstance(r, ResolvedField) and not r.steps:
            if flat and isinstance(value, (dict, list)):
                descend(path, value)
                return
            if src.target == "athena" and r.column_type == "object" and isinstance(value, dict):
                # A struct: each member as resolved, so a JSON member is stored as JSON text.
                descend(path, value)
                return
            if flat:
                if src.target == "splunk" and isinstance(value, bool):
                    value = "true" if value else "false"  # JSON extraction yields text
                _store(record, r.name, value, append=EACH in lookup)
                return
            append = r.column_type.endswith("[]")
            if src.target == "athena" and base_type(r.column_type) in ("array", "object"):
                value = _json_members(ms.schema(log_type), tuple(path), value)
            stored = convert(value, r)
            if src.target in NESTED_NAME_TARGETS:
                _set_nested(record, r.name, stored, append)
            else:
                _store(record, r.name, stored, append=False)
            if isinstance(value, (dict, list)):
                descend(path, value)  # entries below a nested column (GCP's PrincipalEmail)
            return
        if isinstance(r, ResolvedField):
            return  # below a mapped column: stored with the column already
        descend(path, value)

    def descend(path: tuple, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                visit(path + (str(k),), v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                visit(path + (i,), v)

    descend((), full)
    if src.target == "sentinel":
        record["Type"] = src.get("table")
    elif src.target == "splunk":
        record["_raw"] = json.dumps(event, sort_keys=True)
        record["sourcetype"] = src.get("sourcetype")
        if src.get("index"):
            record["index"] = src.get("index")
    elif src.target == "chronicle":
        record.setdefault("metadata", {})["log_type"] = src.get("log_type")
    return record
