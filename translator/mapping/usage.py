"""Which fields rules use, and how many of them a target's mapping covers.

Field references of a rule come from the canonical model: the detection (``fields_of``),
output fields, dedup key, group-by and SummaryAttributes (``a:b`` is Panther's path syntax
there). A reference counts as mapped on a target when it resolves for at least one of the
rule's log types (a multi-log-type rule usually reads a field that only one of them has).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from ..model import Field, Rule, fields_of
from .entries import ResolvedField, dotted, parse_dotted
from .resolve import MappingSet

# target spellings the report covers: athena twice (Panther data lake, AWS's own table)
REPORT_TARGETS = ("sentinel", "splunk", "chronicle", "athena", "athena:aws", "sigma")
# Unmapped.kind of a field no event of the log type holds (``never_present`` in the mapping
# file): covered, as backends decide tests on it (absent.py), but reported apart
NEVER_PRESENT = "never-present"


@dataclass(frozen=True)
class FieldRef:
    rule_id: str
    log_types: tuple
    path: tuple = ()
    udm: str = ""  # a data-model name when the rule read ``event.udm(name)``
    origin: str = "detection"  # detection | output | summary | scan

    @property
    def text(self) -> str:
        return f"udm:{self.udm}" if self.udm and not self.path else dotted(self.path)


def summary_path(attr: str) -> tuple:
    """SummaryAttributes spell nested paths with ':' (``actor:email``) or '.'
    (``userIdentity.principalId``); both occur in Panther's own rules."""
    if ":" in attr:
        return tuple(attr.split(":"))
    try:
        return parse_dotted(attr)
    except ValueError:
        return (attr,)


def refs_of_rule(rule: Rule) -> list[FieldRef]:
    """Field references the canonical model of ``rule`` holds (element-rooted fields are
    reached through their quantifier's array field)."""
    out: dict[tuple, FieldRef] = {}

    def add(f: Field, origin: str) -> None:
        if f.root != "event":
            return
        udm = "" if f.path else (f.udm or "")
        ref = FieldRef(rule.id, rule.log_types, tuple(f.path), udm, origin)
        out.setdefault((ref.path, ref.udm), ref)

    for expr, origin in ((rule.detection, "detection"), (rule.inline_filters, "detection")):
        if expr is not None:
            for f in fields_of(expr):
                add(f, origin)
    for f in (*rule.output_fields, *rule.dedup_key, *rule.group_by,
              *(f for _, f in getattr(rule, "alert_context", ()))):
        add(f, "output")
    for dyn in rule.dynamic_severities:
        for f in fields_of(dyn.when):
            add(f, "detection")
    if rule.title is not None:
        for part in rule.title.parts:
            if isinstance(part, Field):
                add(part, "output")
    for attr in rule.summary_attributes:
        add(Field(summary_path(attr)), "summary")
    return list(out.values())


def resolve_ref(ms: MappingSet, ref: FieldRef, target: str):
    """The first mapping found over the rule's log types, else a never-present Unmapped, else
    the Unmapped of the last log type.

    SummaryAttributes are looked up the way Panther computes alert summaries, in the data
    lake: top-level names case-insensitively (``sourceIpAddress`` finds ``sourceIPAddress``),
    and a bare data-model name (``username``) through the log type's data model."""
    first = None
    for log_type in ref.log_types or ("",):
        if ref.path:
            r = ms.resolve(log_type, target, ref.path)
            if not isinstance(r, ResolvedField) and ref.origin == "summary":
                r = _summary_fallback(ms, log_type, target, ref.path) or r
        else:
            r = ms.resolve_field(log_type, target, Field((), udm=ref.udm))
        if isinstance(r, ResolvedField):
            return r
        if getattr(first, "kind", "") != NEVER_PRESENT:
            first = r  # an absent field wins: backends decide tests on it
    return first


def _summary_fallback(ms: MappingSet, log_type: str, target: str, path: tuple):
    canonical = ms.schema(log_type).canonical(path)
    if canonical != path:
        r = ms.resolve(log_type, target, canonical)
        if isinstance(r, ResolvedField):
            return r
    if len(path) == 1 and ms.udm_path(log_type, path[0]) is not None:
        r = ms.resolve_field(log_type, target, Field((), udm=path[0]))
        if isinstance(r, ResolvedField):
            return r
    return None


@dataclass
class TargetCoverage:
    target: str
    total: int = 0
    mapped: int = 0
    unmapped: Counter = field(default_factory=Counter)  # "LogType: path" -> rule count
    by_confidence: Counter = field(default_factory=Counter)
    unmapped_kinds: Counter = field(default_factory=Counter)  # Unmapped.kind -> count
    never_present: int = 0  # of ``mapped``: fields the log type never holds (always missing)

    @property
    def share(self) -> float:
        return self.mapped / self.total if self.total else 1.0

    @property
    def share_present(self) -> float:
        """The share with never-present references counted as unmapped."""
        return (self.mapped - self.never_present) / self.total if self.total else 1.0


def coverage(ms: MappingSet, refs: Iterable[FieldRef],
             targets: Iterable[str] = REPORT_TARGETS) -> dict[str, TargetCoverage]:
    refs = list(refs)
    out = {t: TargetCoverage(t) for t in targets}
    for t, cov in out.items():
        for ref in refs:
            if ":" in t and not any(ms.target_mapping(lt, t) for lt in ref.log_types):
                continue  # a variant (athena:aws) only covers the log types it exists for
            cov.total += 1
            r = resolve_ref(ms, ref, t)
            if isinstance(r, ResolvedField):
                cov.mapped += 1
                cov.by_confidence[r.provenance.confidence] += 1
            elif getattr(r, "kind", "") == NEVER_PRESENT:
                cov.mapped += 1
                cov.never_present += 1
            else:
                cov.unmapped[f"{'/'.join(ref.log_types) or '?'}: {ref.text}"] += 1
                cov.unmapped_kinds[getattr(r, "kind", "") or "other"] += 1
    return out


def refs_by_log_type(refs: Iterable[FieldRef]) -> dict[str, list[FieldRef]]:
    out: dict[str, list[FieldRef]] = defaultdict(list)
    for ref in refs:
        for lt in ref.log_types:
            out[lt].append(ref)
    return out

