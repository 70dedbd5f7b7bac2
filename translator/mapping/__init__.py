"""Field mapping as data: Panther log types x targets (sentinel, splunk, chronicle, athena,
sigma). Shipped YAML lives in ``translator/mappings/``; users add or override with
``--mapping FILE``. See ``resolve`` for how a path resolves and ``project`` for the reverse
direction (test event -> target record)."""
from __future__ import annotations

from .entries import (
    EACH, TARGETS, MappingError, Provenance, ResolvedField, Source, Step, Unmapped, Warnings,
    dotted, parse_dotted,
)
from .resolve import MappingSet, load_mappings

__all__ = [
    "EACH", "TARGETS", "MappingError", "MappingSet", "Provenance", "ResolvedField", "Source",
    "Step", "Unmapped", "Warnings", "dotted", "parse_dotted", "load_mappings", "project_event",
]


def project_event(log_type: str, target: str, event: dict, variant: str = "",
                  mappings: MappingSet | None = None) -> dict:
    """The record ``target`` would hold for Panther event ``event`` (see ``project``)."""
    from .project import project_event as _project
    return _project(mappings or load_mappings(), log_type, target, event, variant)
