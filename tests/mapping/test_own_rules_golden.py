"""Golden file: how every field our own rules/ reference maps on each target.

The references come from the canonical model: simple detections, Python rules through the
Python frontend, output fields, alert context, SummaryAttributes. A change to a
mapping file or to the resolver shows up here as a diff of names, types and unmapped reasons.
Regenerate on purpose only:  RULEC_UPDATE_GOLDEN=1 python -m pytest tests/mapping/test_own_rules_golden.py
"""
import json
import os
from pathlib import Path

from translator.commands.mappings import extracted_rules
from translator.frontends.panther_yaml import load_tree
from translator.mapping import ResolvedField, load_mappings
from translator.mapping.entries import describe
from translator.mapping.usage import REPORT_TARGETS, refs_of_rule, resolve_ref

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "own_rules_fields.json"


def current() -> dict:
    ms = load_mappings()
    loaded = load_tree([ROOT / "rules"])
    rules = extracted_rules([r for r in loaded.rules if r.log_types], loaded, jobs=2)
    out: dict = {}
    for rule in sorted(rules, key=lambda r: r.id):
        for ref in refs_of_rule(rule):
            row = {}
            for t in REPORT_TARGETS:
                if ":" in t and not any(ms.target_mapping(lt, t) for lt in ref.log_types):
                    continue
                r = resolve_ref(ms, ref, t)
                row[t] = (f"{describe(r)} [{r.type}; {r.origin}; {r.provenance.confidence}]"
                          if isinstance(r, ResolvedField) else f"UNMAPPED: {r.reason}")
            out.setdefault(rule.id, {})[f"{'/'.join(ref.log_types)}: {ref.text}"] = row
    return out


def test_own_rules_field_mapping_matches_golden():
    got = current()
    assert got, "no field references found in rules/"
    if os.environ.get("RULEC_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert got == want, ("field mapping of rules/ changed; if on purpose, regenerate with "
                         "RULEC_UPDATE_GOLDEN=1 python -m pytest tests/mapping/test_own_rules_golden.py")
