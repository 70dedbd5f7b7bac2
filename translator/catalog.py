"""The rule catalog (`rulec doc`): per rule, the sections of the seed catalog page, computed
from the canonical model over a whole rule set (corpus counts need the set).

Sections: MITRE ATT&CK coverage (names from bundled ATT&CK data, offline), rules detecting the
same action (sharing an indicator on the log type's action field), the rule body YAML, the
detection logic in the catalog's condition notation, exclusions, indicators with the corpus
count, output fields, and the generated queries with their verdicts.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import pretty
from .mitre import attack_data, tactic_name, technique_name
from .model import All, AnyOf, Predicate, Rule

# Fields that name the action (API call / operation) of an event, per the UDM concept they map
# to; found through the mapping, with these Panther names as the fallback for unmapped types.
ACTION_UDM = "metadata.product_event_type"
ACTION_FALLBACK = ("eventName", "eventType", "action", "protoPayload.methodName", "methodName",
                   "operationName", "event_type", "type", "name", "event", "eventtype")


@dataclass
class Indicator:
    field: str
    kind: str
    values: list
    corpus: dict = field(default_factory=dict)  # value -> number of OTHER rules with it

    @property
    def corpus_text(self) -> str:
        """``value: n`` for the values other rules share; blank when specific to this rule."""
        return "; ".join(f"{v}: {n}" for v, n in self.corpus.items() if n)


@dataclass
class RulePage:
    rule: Rule
    yaml_text: str
    mitre: list  # (tactic name, "T1562 Impair Defenses")
    same_action: list  # rule ids
    condition: str
    exclusions: list  # (field, kind, values)
    indicators: list  # Indicator
    output_fields: list
    queries: list = field(default_factory=list)  # (target, verdict, query text, findings, status)


def _positive_predicates(expr) -> list[Predicate]:
    out = []
    for x in (expr.items if isinstance(expr, All) else (expr,)) if expr is not None else ():
        for p in (x.items if isinstance(x, AnyOf) else (x,)):
            if isinstance(p, Predicate) and p.op not in ("truthy", "exists", "null", "present"):
                out.append(p)
    return out


def _values(p: Predicate) -> list:
    v = p.value
    vals = list(v) if isinstance(v, (tuple, list)) else [v]
    return [pretty.value_text(x) for x in vals]


def _key(p: Predicate) -> tuple:
    return (p.field.dotted, pretty._rows(p)[1])


class Catalog:
    """Indexes a rule set once so each page's cross-rule sections are cheap."""

    def __init__(self, rules: list[Rule], mappings=None):
        self.rules = sorted(rules, key=lambda r: r.id)
        self.mappings = mappings
        self.by_indicator: dict[tuple, set] = defaultdict(set)  # (field, kind, value) -> ids
        self.by_action: dict[tuple, set] = defaultdict(set)  # (log type, value) -> ids
        for r in self.rules:
            for p in _positive_predicates(r.detection):
                for val in _values(p):
                    self.by_indicator[_key(p) + (val,)].add(r.id)
                if p.op in ("eq", "in") and self.is_action_field(r, p.field.dotted):
                    for lt in r.log_types or ("",):
                        for val in _values(p):
                            self.by_action[(lt, val)].add(r.id)

    def is_action_field(self, rule: Rule, dotted: str) -> bool:
        if self.mappings is not None:
            for lt in rule.log_types:
                try:
                    res = self.mappings.resolve(lt, "chronicle", dotted)
                except Exception:  # noqa: BLE001 - an unknown log type is just "not mapped"
                    continue
                if res and getattr(res, "name", "") == ACTION_UDM:
                    return True
        return dotted in ACTION_FALLBACK

    def page(self, rule: Rule, queries: list | None = None) -> RulePage:
        mitre = [(tactic_name(m.tactic), f"{m.technique} {technique_name(m.technique)}".strip())
                 for m in rule.mitre]
        same = set()
        indicators = []
        for p in _positive_predicates(rule.detection):
            vals = _values(p)
            corpus = {v: len(self.by_indicator[_key(p) + (v,)] - {rule.id}) for v in vals}
            indicators.append(Indicator(p.field.dotted, _key(p)[1], vals, corpus))
            if p.op in ("eq", "in") and self.is_action_field(rule, p.field.dotted):
                for lt in rule.log_types or ("",):
                    for v in vals:
                        same |= self.by_action[(lt, v)]
        same.discard(rule.id)
        try:
            yaml_text = Path(rule.source_file).read_text()
        except OSError:
            yaml_text = ""
        outputs = [f.dotted for f in rule.output_fields]
        return RulePage(rule, yaml_text, mitre, sorted(same), pretty.render(rule.detection),
                        pretty.exclusions(rule.detection), indicators, outputs, queries or [])

    def navigator_layer(self, name: str = "rulec coverage") -> dict:
        """An ATT&CK Navigator layer: techniques scored by the number of rules covering them."""
        counts = Counter(m.technique for r in self.rules for m in r.mitre if m.technique)
        top = max(counts.values(), default=1)
        return {
            "name": name, "domain": "enterprise-attack", "versions": {"layer": "4.5"},
            "description": "Techniques covered by the rule set; score = number of rules.",
            "gradient": {"colors": ["#ffffff", "#66b1ff"], "minValue": 0, "maxValue": top},
            "techniques": [{"techniqueID": t, "score": n, "comment": f"{n} rule(s)"}
                           for t, n in sorted(counts.items())],
        }

    def matrix(self) -> list[tuple[str, list[tuple[str, str, int]]]]:
        """Tactic columns in ATT&CK order: (tactic name, [(technique id, name, rules)])."""
        counts = Counter(m.technique for r in self.rules for m in r.mitre if m.technique)
        by_tactic: dict[str, Counter] = defaultdict(Counter)
        for r in self.rules:
            for m in r.mitre:
                if m.technique:
                    by_tactic[m.tactic][m.technique] = counts[m.technique]
        out = []
        for tid in attack_data()["tactic_order"]:
            techs = sorted(by_tactic.get(tid, {}).items(), key=lambda kv: (-kv[1], kv[0]))
            out.append((tactic_name(tid), [(t, technique_name(t), n) for t, n in techs]))
        return out
