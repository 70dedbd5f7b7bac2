"""Reverse projection agrees with forward resolution on every Test event of our own rules/:
where a field the rule reads is present in the event and resolves to a plain column, the
projected record holds the event's value under that column, for every target."""
import json
from pathlib import Path

import pytest

from translator.frontends.panther_yaml import load_tree
from translator.mapping import EACH, ResolvedField, load_mappings
from translator.mapping.project import project_event
from translator.mapping.usage import REPORT_TARGETS, refs_of_rule

ROOT = Path(__file__).resolve().parents[2]
_MISSING = object()


def _get(node, path):
    for step in path:
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
            node = node[step]
        else:
            return _MISSING
    return node


def _rules():
    return [r for r in load_tree([ROOT / "rules"]).rules if r.tests and len(r.log_types) == 1]


def _stored(record, target, name):
    if target in ("sentinel", "splunk", "sigma"):
        return record.get(name, _MISSING)
    return _get(record, name.split("."))


@pytest.mark.parametrize("target", REPORT_TARGETS)
def test_projected_record_holds_the_values_the_rule_reads(target):
    ms = load_mappings()
    checked = 0
    for rule in _rules():
        log_type = rule.log_types[0]
        if ms.target_mapping(log_type, target) is None:
            continue
        for test in rule.tests:
            event = test.log
            if not isinstance(event, dict):
                continue
            record = project_event(ms, log_type, target, event)
            json.dumps(record, default=str)  # a record is plain data
            for ref in refs_of_rule(rule):
                if not ref.path or any(isinstance(s, int) or s == EACH for s in ref.path):
                    continue
                value = _get(event, ref.path)
                r = ms.resolve(log_type, target, ref.path)
                if (value is _MISSING or value is None or isinstance(value, (dict, list))
                        or not isinstance(r, ResolvedField) or r.steps or r.any_of
                        or r.column_type in ("constant", "labels", "timestamp") or r.array_steps):
                    continue
                got = _stored(record, target, r.name)
                where = (rule.id, test.name, ref.text, r.name)
                assert got is not _MISSING, where
                if isinstance(got, list):
                    got = got[0] if len(got) == 1 else got
                if isinstance(value, bool) or r.column_type == "bool" or target == "splunk":
                    assert str(got).lower() == str(value).lower(), (where, got, value)
                else:
                    assert got == value, (where, got, value)
                checked += 1
    assert checked >= 20, f"only {checked} values compared on {target}"
