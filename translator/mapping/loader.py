"""Reading and validating mapping files, and merging user files over the shipped ones.

File format (one log type per file; see translator/mappings/README.md for the full reference)::

    log_type: AWS.CloudTrail
    event_time: eventTime        # the event's own timestamp (fills p_event_time when absent)
    schema:                      # the Panther-side shape: dotted path -> type ("a[].b" = elements)
      provenance: {source: <url>, confidence: high}
      fields: {eventName: string, requestParameters: json, resources: array, resources[].arn: string}
    udm: {user_agent: userAgent} # Panther data-model names -> paths
    indicators:                  # fields Panther fills each p_any_* field from
      p_any_ip_addresses: [sourceIPAddress]
    targets:
      sentinel:                  # target, or target:variant (athena:aws)
        source: {table: AWSCloudTrail}
        provenance: <url>
        confidence: high
        naming: explicit         # explicit | dotted | flat | lower | columns | legacy_cl
        fields:
          eventName: EventName
          requestParameters: {name: RequestParameters, type: json-string, note: ...}
        absent: ["p_*"]          # schema paths (globs) this target does not hold

A file whose ``log_type`` is ``"*"`` holds standard fields (``p_*``) applying to every log type.
Later files win: user ``--mapping`` files override or extend entries key by key.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from ..resources import mappings_dir
from .naming import NAMING
from .entries import (
    CONFIDENCE, TARGETS, FieldEntry, LogTypeMapping, MappingError, Provenance, Source,
    TargetMapping, parse_dotted, valid_type,
)

STANDARD = "*"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
REQUIRED_SOURCE_KEYS = {
    "sentinel": ("table",), "splunk": ("sourcetype",), "chronicle": ("log_type",),
    "athena": ("table",), "sigma": (),
}
_TOP_KEYS = {"log_type", "description", "event_time", "schema", "udm", "indicators", "targets",
             "conventions", "never_present"}
_TARGET_KEYS = {"source", "provenance", "confidence", "naming", "fields", "fallback", "absent",
                "name_prefix", "record_root"}
_ENTRY_KEYS = {"name", "type", "provenance", "confidence", "note"}


def split_target(key: str) -> tuple[str, str]:
    """``"athena:aws"`` -> ``("athena", "aws")``; ``"sentinel"`` -> ``("sentinel", "")``."""
    target, _, variant = key.partition(":")
    return target, variant


def _path(text, where: str) -> tuple:
    if isinstance(text, list):
        return tuple(text)
    if not isinstance(text, str) or not text:
        raise MappingError(f"{where}: a field path must be a non-empty string")
    try:
        return parse_dotted(text)
    except ValueError as exc:
        raise MappingError(f"{where}: {exc}") from None


def _provenance(raw, default: Provenance, where: str) -> Provenance:
    if raw is None:
        return default
    if isinstance(raw, str):
        return Provenance(raw, default.confidence)
    if isinstance(raw, dict) and set(raw) <= {"source", "confidence"}:
        conf = raw.get("confidence", default.confidence)
        if conf not in CONFIDENCE:
            raise MappingError(f"{where}.confidence: {conf!r} is not one of {', '.join(CONFIDENCE)}")
        return Provenance(str(raw.get("source", default.source)), conf)
    raise MappingError(f"{where}: provenance must be a URL string or {{source, confidence}}")


def _confidence(raw: dict, default: str, where: str) -> str:
    conf = raw.get("confidence", default)
    if conf not in CONFIDENCE:
        raise MappingError(f"{where}.confidence: {conf!r} is not one of {', '.join(CONFIDENCE)}")
    return conf


def _entries(raw, prov: Provenance, file: str, where: str) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: must be a mapping of Panther path -> target name")
    out = []
    for key, val in raw.items():
        here = f"{where}.{key}"
        path = _path(key, here)
        if isinstance(val, str):
            out.append(FieldEntry(path, val, provenance=prov, file=file))
            continue
        if not isinstance(val, dict) or "name" not in val:
            raise MappingError(f"{here}: must be a target name or {{name, type, provenance, note}}")
        unknown = set(val) - _ENTRY_KEYS
        if unknown:
            raise MappingError(f"{here}: unknown key(s) {', '.join(sorted(unknown))}")
        typ = str(val.get("type", ""))
        if typ and not valid_type(typ):
            raise MappingError(f"{here}.type: unknown type {typ!r}")
        eprov = _provenance(val.get("provenance"), prov, here + ".provenance")
        if "confidence" in val:
            eprov = Provenance(eprov.source, _confidence(val, prov.confidence, here))
        out.append(FieldEntry(path, str(val["name"]), typ, eprov, str(val.get("note", "")), file))
    return tuple(out)


def _target(key: str, raw, file: str, where: str) -> TargetMapping:
    target, variant = split_target(key)
    if target not in TARGETS:
        raise MappingError(f"{where}: unknown target {target!r} (known: {', '.join(TARGETS)})")
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: must be a mapping")
    unknown = set(raw) - _TARGET_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    prov = _provenance(raw.get("provenance"), Provenance(), where + ".provenance")
    prov = Provenance(prov.source, _confidence(raw, prov.confidence, where))
    src = raw.get("source") or {}
    if not isinstance(src, dict) or not all(isinstance(v, (str, int)) for v in src.values()):
        raise MappingError(f"{where}.source: must map keys to strings")
    naming = raw.get("naming", "")
    if naming and naming not in NAMING:
        raise MappingError(f"{where}.naming: {naming!r} is not one of {', '.join(NAMING)}")
    absent = raw.get("absent") or []
    if not isinstance(absent, list) or not all(isinstance(a, str) for a in absent):
        raise MappingError(f"{where}.absent: must be a list of path patterns")
    return TargetMapping(
        target, variant, Source(target, variant, tuple(sorted((k, str(v)) for k, v in src.items())), prov),
        naming, _entries(raw.get("fields"), prov, file, where + ".fields"), prov,
        str(raw.get("fallback", "")), file, tuple(absent), str(raw.get("name_prefix", "")),
        _record_root(raw.get("record_root", ""), where),
    )


def _record_root(raw, where: str) -> str:
    if not isinstance(raw, str) or "." in raw or "[" in raw:
        raise MappingError(f"{where}.record_root: must be one top-level key (e.g. data)")
    return raw


def parse_file(path: Path | str, text: str | None = None) -> LogTypeMapping | None:
    """One mapping file -> LogTypeMapping (None for a conventions-only file). Errors name the
    file and the offending key."""
    file = str(path)
    try:
        raw = yaml.load(text if text is not None else Path(path).read_text(encoding="utf-8"),
                        Loader=_SafeLoader)
    except OSError as exc:
        raise MappingError(f"{file}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise MappingError(f"{file}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise MappingError(f"{file}: must be a YAML mapping with log_type and targets")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise MappingError(f"{file}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}")
    log_type = raw.get("log_type")
    if log_type is None and "conventions" in raw:
        return None  # a conventions-only file (see conventions.py)
    if not isinstance(log_type, str) or not log_type:
        raise MappingError(f"{file}: log_type: missing or not a string")

    schema_raw = raw.get("schema") or {}
    if not isinstance(schema_raw, dict) or not set(schema_raw) <= {"provenance", "confidence", "fields"}:
        raise MappingError(f"{file}: schema: must have only provenance and fields")
    schema_prov = _provenance(schema_raw.get("provenance"), Provenance(), f"{file}: schema.provenance")
    schema = []
    schema_sources = []
    for key, typ in (schema_raw.get("fields") or {}).items():
        where = f"{file}: schema.fields.{key}"
        if isinstance(typ, dict):
            # a field with its own source: {type, source, confidence}
            if not set(typ) <= {"type", "source", "confidence"} or "source" not in typ:
                raise MappingError(f"{where}: a field with its own provenance needs type and "
                                   f"source (and optionally confidence)")
            field_prov = _provenance({k: v for k, v in typ.items() if k != "type"}, schema_prov, where)
            typ = typ.get("type")
        else:
            field_prov = None
        if not isinstance(typ, str) or not valid_type(typ):
            raise MappingError(f"{where}: unknown type {typ!r}")
        schema.append((_path(key, where), typ))
        if field_prov is not None:
            schema_sources.append((_path(key, where), field_prov))

    udm_raw = raw.get("udm") or {}
    if not isinstance(udm_raw, dict):
        raise MappingError(f"{file}: udm: must map data-model names to paths")
    udm = tuple((str(k), _path(v, f"{file}: udm.{k}")) for k, v in udm_raw.items())

    ind_raw = raw.get("indicators") or {}
    if not isinstance(ind_raw, dict) or not all(isinstance(v, list) for v in ind_raw.values()):
        raise MappingError(f"{file}: indicators: must map p_any_* fields to lists of paths")
    indicators = tuple((str(k), tuple(_path(p, f"{file}: indicators.{k}") for p in v))
                       for k, v in ind_raw.items())

    never_present = _never_present(raw.get("never_present"), f"{file}: never_present")

    targets_raw = raw.get("targets") or {}
    if not isinstance(targets_raw, dict):
        raise MappingError(f"{file}: targets: must be a mapping of target -> mapping")
    targets = tuple(_target(str(k), v, file, f"{file}: targets.{k}") for k, v in targets_raw.items())
    event_time = _path(raw["event_time"], f"{file}: event_time") if raw.get("event_time") else ()
    return LogTypeMapping(log_type, str(raw.get("description", "")), tuple(schema), schema_prov,
                          udm, targets, (file,), event_time, indicators, tuple(schema_sources),
                          never_present)


def _never_present(raw, where: str) -> tuple:
    """``never_present: {source, note, fields: [key, ...]}`` (or a list of such blocks): top-level
    keys no event of the log type holds, each block with the public source that states it."""
    if raw is None:
        return ()
    blocks = raw if isinstance(raw, list) else [raw]
    out = []
    for i, block in enumerate(blocks):
        at = f"{where}[{i}]" if isinstance(raw, list) else where
        if not isinstance(block, dict) or not set(block) <= {"source", "confidence", "note", "fields"} \
                or not block.get("source") or not isinstance(block.get("fields"), list):
            raise MappingError(f"{at}: needs source and fields (a list of top-level keys), "
                               f"optionally note and confidence")
        prov = _provenance({k: block[k] for k in ("source", "confidence") if k in block},
                           Provenance(), at)
        for key in block["fields"]:
            if not isinstance(key, str) or not key or "." in key or "[" in key:
                raise MappingError(f"{at}.fields: {key!r} is not a top-level key")
            out.append((key, prov, str(block.get("note", ""))))
    return tuple(out)


@lru_cache(maxsize=512)
def _parse_cached(path: str, mtime_ns: int) -> LogTypeMapping | None:
    """parse_file, once per file version (results are immutable)."""
    return parse_file(path)


def _merge_target(old: TargetMapping, new: TargetMapping) -> TargetMapping:
    entries = old.entry_map()
    entries.update(new.entry_map())
    attrs = dict(old.source.attrs)
    attrs.update(new.source.attrs)
    prov = new.provenance if new.provenance.source else old.provenance
    return TargetMapping(
        old.target, old.variant,
        Source(old.target, old.variant, tuple(sorted(attrs.items())), prov),
        new.naming or old.naming, tuple(entries.values()), prov,
        new.fallback or old.fallback, new.file, tuple(dict.fromkeys(old.absent + new.absent)),
        new.name_prefix or old.name_prefix, new.record_root or old.record_root,
    )


def merge(old: LogTypeMapping, new: LogTypeMapping) -> LogTypeMapping:
    """``new`` (a later file) over ``old``: key by key, later wins."""
    schema = dict(old.schema)
    schema.update(new.schema)
    udm = dict(old.udm)
    udm.update(new.udm)
    targets = {(t.target, t.variant): t for t in old.targets}
    for t in new.targets:
        key = (t.target, t.variant)
        targets[key] = _merge_target(targets[key], t) if key in targets else t
    return LogTypeMapping(
        old.log_type, new.description or old.description, tuple(schema.items()),
        new.schema_provenance if new.schema_provenance.source else old.schema_provenance,
        tuple(udm.items()), tuple(targets.values()), old.files + new.files,
        new.event_time or old.event_time, tuple({**dict(old.indicators), **dict(new.indicators)}.items()),
        tuple({**dict(old.schema_sources), **dict(new.schema_sources)}.items()),
        tuple({k: (k, p, n) for k, p, n in old.never_present + new.never_present}.values()),
    )


def _check_sources(m: LogTypeMapping) -> None:
    for t in m.targets:
        missing = [k for k in REQUIRED_SOURCE_KEYS[t.target] if not t.source.get(k)]
        if missing:
            key = t.target + (f":{t.variant}" if t.variant else "")
            raise MappingError(f"{m.files[-1]}: targets.{key}.source: missing {', '.join(missing)} "
                               f"for log type {m.log_type}")


def shipped_files() -> list[Path]:
    return sorted(mappings_dir().glob("*.yaml"))


def load_all(extra_files: Iterable[Path | str] = ()) -> dict[str, LogTypeMapping]:
    """Shipped files, then ``extra_files`` in order; returns log type -> merged mapping
    (the standard ``"*"`` entry included under its own key)."""
    merged: dict[str, LogTypeMapping] = {}
    for path in [*shipped_files(), *extra_files]:
        m = _parse_cached(str(path), Path(path).stat().st_mtime_ns) if Path(path).is_file() \
            else parse_file(path)
        if m is None:
            continue
        merged[m.log_type] = merge(merged[m.log_type], m) if m.log_type in merged else m
    for log_type, m in merged.items():
        if log_type != STANDARD:
            _check_sources(m)
    return merged
