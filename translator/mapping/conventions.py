"""Conventions: target homes for fields no entry names, inferred from meaning, never silently.

Read from ``translator/mappings/_conventions.yaml`` (a user file with top-level
``conventions:`` replaces a target's lists). Two kinds, tried in order after a log type's own
entries and naming style failed:

* ``concepts``: Panther data-model names -> target field. A path that the log type's data
  model declares as, say, ``source_ip`` lands where that concept lives (UDM ``principal.ip``).
  Confidence medium: Panther states the meaning, the target's field list states the home.
* ``names``: regular expressions over the dotted Panther path -> target field. Confidence low,
  with a note: the home is inferred from the field name and must be checked against the
  parser. Applied only to paths of the log type's schema (typos stay unmapped) and never to
  values inside free-form JSON.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..resources import mappings_dir
from .entries import MappingError, valid_type

CONVENTIONS_FILE = "_conventions.yaml"


@dataclass(frozen=True)
class NameRule:
    pattern: re.Pattern
    name: str
    type: str = ""
    note: str = ""


@dataclass(frozen=True)
class TargetConventions:
    concepts: tuple = ()  # (data-model name, target name, type)
    names: tuple = ()  # NameRule
    source: str = ""  # provenance of the target field list

    def concept(self, udm_name: str):
        for name, target_name, typ in self.concepts:
            if name == udm_name:
                return target_name, typ
        return None

    def by_name(self, dotted_path: str) -> NameRule | None:
        for rule in self.names:
            if rule.pattern.search(dotted_path):
                return rule
        return None


def parse_conventions(raw, file: str) -> dict[str, TargetConventions]:
    if not isinstance(raw, dict):
        raise MappingError(f"{file}: conventions: must map targets to {{concepts, names}}")
    out = {}
    for target, body in raw.items():
        where = f"{file}: conventions.{target}"
        if not isinstance(body, dict) or not set(body) <= {"concepts", "names", "source"}:
            raise MappingError(f"{where}: must have only source, concepts and names")
        concepts = []
        for name, spec in (body.get("concepts") or {}).items():
            spec = {"name": spec} if isinstance(spec, str) else spec
            if not isinstance(spec, dict) or "name" not in spec:
                raise MappingError(f"{where}.concepts.{name}: must be a name or {{name, type}}")
            if spec.get("type") and not valid_type(spec["type"]):
                raise MappingError(f"{where}.concepts.{name}.type: unknown type {spec['type']!r}")
            concepts.append((str(name), str(spec["name"]), str(spec.get("type", ""))))
        rules = []
        for i, spec in enumerate(body.get("names") or []):
            if not isinstance(spec, dict) or not {"match", "name"} <= set(spec):
                raise MappingError(f"{where}.names[{i}]: needs match and name")
            try:
                pattern = re.compile(spec["match"])
            except re.error as exc:
                raise MappingError(f"{where}.names[{i}].match: bad regular expression: {exc}") from None
            if spec.get("type") and not valid_type(spec["type"]):
                raise MappingError(f"{where}.names[{i}].type: unknown type {spec['type']!r}")
            rules.append(NameRule(pattern, str(spec["name"]), str(spec.get("type", "")),
                                  str(spec.get("note", ""))))
        out[str(target)] = TargetConventions(tuple(concepts), tuple(rules), str(body.get("source", "")))
    return out


def load_conventions(extra_files=()) -> dict[str, TargetConventions]:
    """Shipped conventions, then any user mapping file's top-level ``conventions:`` (a target
    given there replaces the shipped lists of that target)."""
    out: dict[str, TargetConventions] = {}
    shipped = mappings_dir() / CONVENTIONS_FILE
    files = [shipped] if shipped.is_file() else []
    for path in [*files, *map(Path, extra_files)]:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # the mapping loader reports unreadable files with their location
        if isinstance(raw, dict) and "conventions" in raw:
            out.update(parse_conventions(raw["conventions"], str(path)))
    return out
