"""Microsoft Sentinel scheduled analytic rules in the Azure-Sentinel repository's YAML format
(``Detections/*.yaml``, ``Solutions/*/Analytic Rules/*.yaml``), and a lint of Sentinel's limits.

Field meanings follow the repository's template: ``id`` (GUID), ``name``, ``description``,
``severity`` (Informational|Low|Medium|High), ``requiredDataConnectors`` (connectorId +
dataTypes), ``queryFrequency``/``queryPeriod`` (5m..14d), ``triggerOperator``/
``triggerThreshold``, ``tactics`` (MITRE tactic names without spaces), ``relevantTechniques``,
``query``, ``entityMappings``, ``customDetails``, ``alertDetailsOverride``,
``eventGroupingSettings``, ``version``, ``kind``.
"""
from __future__ import annotations

import re
import uuid

from .base import Finding
from ..mitre import sentinel_tactic

# A fixed namespace so the same Panther RuleID always yields the same analytic rule id.
RULEC_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/panther-labs/panther-analysis#RuleID")

SEVERITY = {"Info": "Informational", "Low": "Low", "Medium": "Medium", "High": "High",
            "Critical": "High"}

# Limits Sentinel enforces on a scheduled rule (Sentinel documentation, "Create a scheduled
# analytics rule"; the entity limit is the one this project's brief states).
MIN_MINUTES, MAX_MINUTES = 5, 14 * 24 * 60
MAX_ENTITY_MAPPINGS = 5
MAX_IDENTIFIERS_PER_ENTITY = 3
MAX_CUSTOM_DETAILS = 20
MAX_CUSTOM_DETAIL_KEY = 20
MAX_OVERRIDE_PLACEHOLDERS = 3
MAX_QUERY_CHARS = 10_000
MAX_THRESHOLD = 10_000
MAX_NAME_CHARS = 256
MAX_DESCRIPTION_CHARS = 5_000


def rule_guid(rule_id: str) -> str:
    return str(uuid.uuid5(RULEC_NAMESPACE, rule_id))


def duration(minutes: int) -> str:
    """Sentinel's short duration text: 5m, 90m, 1h, 1d."""
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def schedule(dedup_minutes: int) -> tuple[int, list[Finding]]:
    """Query frequency = period = the rule's dedup period, clamped into Sentinel's range."""
    findings = []
    minutes = dedup_minutes
    if minutes < MIN_MINUTES or minutes > MAX_MINUTES:
        minutes = min(max(minutes, MIN_MINUTES), MAX_MINUTES)
        findings.append(Finding("DedupPeriodMinutes",
                                f"{dedup_minutes} minutes is outside Sentinel's 5m-14d schedule "
                                f"range; using {duration(minutes)}", "warning"))
    return minutes, findings


def mitre(rule) -> tuple[list[str], list[str], list[Finding]]:
    tactics, techniques, findings = [], [], []
    for ref in rule.mitre:
        name = sentinel_tactic(ref.tactic)
        if name is None:
            findings.append(Finding(f"MITRE tactic {ref.tactic}", "not an ATT&CK Enterprise tactic "
                                    "Sentinel knows; left out", "warning"))
        elif name not in tactics:
            tactics.append(name)
        if ref.technique and ref.technique not in techniques:
            techniques.append(ref.technique)
    return tactics, techniques, findings


_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_DETAIL_KEY = re.compile(r"[A-Za-z0-9_]+\Z")


def lint(doc: dict) -> list[Finding]:
    """Sentinel's limits on an analytic rule document; each violation is a finding."""
    out: list[Finding] = []

    def bad(construct: str, reason: str) -> None:
        out.append(Finding(f"sentinel limit: {construct}", reason, "partial"))

    if len(doc.get("name", "")) > MAX_NAME_CHARS:
        bad("name", f"{len(doc['name'])} characters; at most {MAX_NAME_CHARS}")
    if len(doc.get("description", "")) > MAX_DESCRIPTION_CHARS:
        bad("description", f"{len(doc['description'])} characters; at most {MAX_DESCRIPTION_CHARS}")
    freq, period = _minutes(doc.get("queryFrequency", "")), _minutes(doc.get("queryPeriod", ""))
    for key, value in (("queryFrequency", freq), ("queryPeriod", period)):
        if value is None or not MIN_MINUTES <= value <= MAX_MINUTES:
            bad(key, f"{doc.get(key)!r} is outside 5m-14d")
    if freq is not None and period is not None and period < freq:
        bad("queryPeriod", "shorter than queryFrequency")
    if doc.get("triggerOperator") not in ("gt", "lt", "eq", "ne"):
        bad("triggerOperator", f"{doc.get('triggerOperator')!r} is not gt, lt, eq or ne")
    threshold = doc.get("triggerThreshold")
    if not isinstance(threshold, int) or not 0 <= threshold <= MAX_THRESHOLD:
        bad("triggerThreshold", f"{threshold!r} is not an integer in 0..{MAX_THRESHOLD}")
    if len(doc.get("query", "")) > MAX_QUERY_CHARS:
        bad("query", f"{len(doc['query'])} characters; at most {MAX_QUERY_CHARS}")
    entities = doc.get("entityMappings") or []
    if len(entities) > MAX_ENTITY_MAPPINGS:
        bad("entityMappings", f"{len(entities)} entities; at most {MAX_ENTITY_MAPPINGS}")
    for e in entities:
        if len(e.get("fieldMappings", [])) > MAX_IDENTIFIERS_PER_ENTITY:
            bad(f"entity {e.get('entityType')}",
                f"{len(e['fieldMappings'])} identifiers; at most {MAX_IDENTIFIERS_PER_ENTITY}")
    details = doc.get("customDetails") or {}
    if len(details) > MAX_CUSTOM_DETAILS:
        bad("customDetails", f"{len(details)} entries; at most {MAX_CUSTOM_DETAILS}")
    for key in details:
        if len(key) > MAX_CUSTOM_DETAIL_KEY or not _DETAIL_KEY.match(key):
            bad(f"customDetails key {key!r}",
                f"keys are letters, digits and _ only, at most {MAX_CUSTOM_DETAIL_KEY} characters")
    override = doc.get("alertDetailsOverride") or {}
    for key in ("alertDisplayNameFormat", "alertDescriptionFormat"):
        n = len(_PLACEHOLDER.findall(override.get(key, "")))
        if n > MAX_OVERRIDE_PLACEHOLDERS:
            bad(f"alertDetailsOverride.{key}", f"{n} placeholders; at most {MAX_OVERRIDE_PLACEHOLDERS}")
    return out


def _minutes(text) -> int | None:
    m = re.fullmatch(r"(\d+)([mhd])", str(text))
    if not m:
        return None
    return int(m.group(1)) * {"m": 1, "h": 60, "d": 1440}[m.group(2)]
