"""Corpus measurement: YAML-level logic of the public panther-analysis repository.

How many simple detections (``Detection`` on a rule), InlineFilters, AlertTitle/AlertContext/
GroupBy/DynamicSeverities and correlation rules lower into the canonical model without error,
and whether the reference evaluators (``translator.evaluator`` for detections,
``translator.correlation`` for correlation rules) agree with each rule's Tests.

    python benchmarks/corpus_simple_detections.py [/tmp/panther-analysis]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translator.correlation import CorrelationTestError, evaluate_correlation  # noqa: E402
from translator.evaluator import NotEvaluable, evaluate  # noqa: E402
from translator.frontends.panther_yaml import load_tree, read_yaml  # noqa: E402
from translator.testing import effective_detection  # noqa: E402

YAML_KEYS = ("Detection", "InlineFilters", "AlertTitle", "AlertContext", "GroupBy",
             "DynamicSeverities")


def main(corpus: Path) -> None:
    roots = [p for p in (corpus / "rules", corpus / "correlation_rules") if p.is_dir()]
    if not roots:
        sys.exit(f"{corpus}: no rules/ or correlation_rules/ directory")
    started = time.perf_counter()
    loaded = load_tree(roots)
    seconds = time.perf_counter() - started

    # What the files declare (independent of whether lowering worked).
    declared = {k: 0 for k in YAML_KEYS}
    declared_correlation = 0
    files_with_keys: dict = {}
    for root in roots:
        for path in sorted(root.rglob("*.yml")):
            try:
                doc, _ = read_yaml(path)
            except Exception:  # noqa: BLE001 - the loader reports bad YAML itself
                continue
            if not isinstance(doc, dict):
                continue
            if doc.get("AnalysisType") == "correlation_rule":
                declared_correlation += 1
                continue
            for key in YAML_KEYS:
                if key in doc:
                    declared[key] += 1
                    files_with_keys.setdefault(str(path), []).append(key)

    lowering_errors = [d for d in loaded.diagnostics if d.code == "bad-detection"]
    by_id = {r.id: r for r in loaded.rules}
    simple = [r for r in loaded.rules if r.extraction and r.extraction.frontend == "simple_detection"]
    correlation = [r for r in loaded.rules if r.correlation is not None]
    lowered = {
        "Detection": len(simple),
        "InlineFilters": sum(1 for r in loaded.rules if r.inline_filters is not None),
        "AlertTitle": sum(1 for r in loaded.rules if r.title is not None),
        "AlertContext": sum(1 for r in loaded.rules if r.alert_context),
        "GroupBy": sum(1 for r in loaded.rules if r.group_by),
        "DynamicSeverities": sum(1 for r in loaded.rules if r.dynamic_severities),
    }

    print(f"corpus: {corpus}  ({len(loaded.rules)} rules loaded in {seconds:.2f}s)")
    print(f"{'key':<18} {'declared':>9} {'lowered':>8}")
    for key in YAML_KEYS:
        print(f"{key:<18} {declared[key]:>9} {lowered[key]:>8}")
    print(f"{'correlation rules':<18} {declared_correlation:>9} {len(correlation):>8}")
    print(f"lowering errors: {len(lowering_errors)}")
    for d in lowering_errors:
        print(f"  {d}")

    agree = total = 0
    for rule in simple:
        expr = effective_detection(rule)
        for t in rule.tests:
            total += 1
            try:
                ok = evaluate(expr, t.log) == t.expected_result
            except NotEvaluable:
                ok = False
            agree += ok
            if not ok:
                print(f"  disagree: {rule.id}: {t.name!r}")
    print(f"simple detections: {len(simple)} rules, evaluator agrees on {agree}/{total} tests")

    # Python rules' InlineFilters: the filter must let every positive test through.
    blocked = [(r.id, t.name) for r in loaded.rules
               if r.inline_filters is not None and r.python_file
               for t in r.tests if t.expected_result and not evaluate(r.inline_filters, t.log)]
    print(f"InlineFilters on Python rules: {lowered['InlineFilters'] - sum(1 for r in simple if r.inline_filters is not None)}"
          f" rules; positive tests blocked by their filter: {len(blocked)}")

    agree = total = 0
    for rule in correlation:
        for t in rule.tests:
            total += 1
            try:
                ok = evaluate_correlation(rule.correlation, t.log.get("RuleOutputs") or []) \
                    == t.expected_result
            except CorrelationTestError as exc:
                ok = False
                print(f"  unreadable: {rule.id}: {t.name!r}: {exc}")
            agree += ok
            if not ok:
                print(f"  disagree: {rule.id}: {t.name!r}")
    kinds = {}
    for rule in correlation:
        kind = rule.to_dict()["correlation"]["kind"]
        kinds[kind] = kinds.get(kind, 0) + 1
    missing_refs = sorted({s["rule_id"] for r in correlation
                           for s in r.to_dict()["correlation"]["steps"]} - set(by_id))
    print(f"correlation rules: {len(correlation)} ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}),"
          f" evaluator agrees on {agree}/{total} tests;"
          f" sub-rule ids not found in the corpus: {len(missing_refs)}")
    for rid in missing_refs:
        print(f"  unknown RuleID: {rid}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/panther-analysis"))
