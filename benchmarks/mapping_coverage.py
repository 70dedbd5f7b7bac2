"""Share of a rules tree's field references that each target's mapping covers.

    python benchmarks/mapping_coverage.py /tmp/panther-analysis [--mapping FILE] [--top N]

Field references come from the canonical model (detection, output fields, alert context, dedup
keys, SummaryAttributes), Python rules extracted by the symbolic Python frontend. With
--scan-fallback, rules it could not extract are read by the rough AST scan in field_scan.py
(``origin=scan``). Prints per target: references, mapped, share, the share among references
to fields of the mapped schemas (paths outside them are other log types' fields read by shared
helpers, typos, or schema gaps), and the most frequent unmapped fields. References to fields a
mapping file lists under ``never_present`` (no event of the log type holds them: backends decide
tests on them, translator/mapping/absent.py) count as covered; the share with them counted as
unmapped is printed too.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from field_scan import scan_source  # noqa: E402

from translator.frontends.panther_yaml import load_tree  # noqa: E402
from translator.mapping import load_mappings  # noqa: E402
from translator.mapping.usage import REPORT_TARGETS, FieldRef, coverage, refs_of_rule  # noqa: E402


def corpus_refs(root: str, jobs: int = 2, scan_fallback: bool = False) -> tuple[list[FieldRef], Counter]:
    """Field references of every rule under ``root``: from the canonical model, with Python
    detections, titles, dedup keys and alert_context extracted by the Python frontend. With
    ``scan_fallback``, rules the frontend could not extract are scanned (field_scan.py)."""
    from translator.frontends.python.pipeline import extract_tree

    result = load_tree([root])
    rules = [r for r in result.rules if r.analysis_type == "rule" and r.log_types]
    extracted = {x.rule_id: x for x in extract_tree(rules, result, jobs=jobs)}
    refs: list[FieldRef] = []
    log_types: Counter = Counter()
    for rule in rules:
        for lt in rule.log_types:
            log_types[lt] += 1
        if rule.id in extracted:
            rule = extracted[rule.id].apply(rule)
        refs.extend(refs_of_rule(rule))
        if scan_fallback and rule.detection is None and rule.python_file:
            seen = {r.path for r in refs if r.rule_id == rule.id}
            paths, udms = scan_source(Path(rule.python_file).read_text(encoding="utf-8"))
            refs.extend(FieldRef(rule.id, rule.log_types, p, "", "scan") for p in paths if p not in seen)
            refs.extend(FieldRef(rule.id, rule.log_types, (), u, "scan") for u in udms)
    return refs, log_types


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--mapping", action="append", default=[])
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--log-types", type=int, default=0, help="print the N most used log types")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scan-fallback", action="store_true",
                    help="scan the source of rules the Python frontend could not extract")
    args = ap.parse_args()
    t0 = time.perf_counter()
    refs, log_types = corpus_refs(args.root, args.jobs, args.scan_fallback)
    ms = load_mappings(args.mapping)
    t1 = time.perf_counter()
    cov = coverage(ms, refs)
    t2 = time.perf_counter()
    if args.log_types:
        for lt, n in log_types.most_common(args.log_types):
            print(f"{n:5d}  {lt}{'' if ms.log_type(lt) else '   (no mapping)'}")
    print(f"rules' field references: {len(refs)} "
          f"(by origin: {dict(Counter(r.origin for r in refs))}); "
          f"load {t1 - t0:.2f}s, resolve {t2 - t1:.2f}s")
    for t in REPORT_TARGETS:
        c = cov[t]
        conf = ", ".join(f"{k} {v}" for k, v in sorted(c.by_confidence.items()))
        print(f"{t:11s} {c.mapped:5d}/{c.total:<5d} {100 * c.share:5.1f} %   ({conf}"
              f"{', never-present ' + str(c.never_present) if c.never_present else ''})")
        print(f"{'':11s} never-present references counted as unmapped: "
              f"{100 * c.share_present:5.1f} %")
        hi = c.by_confidence["high"] + c.by_confidence["medium"]
        kinds = ", ".join(f"{k} {v}" for k, v in c.unmapped_kinds.most_common())
        print(f"{'':11s} high+medium only: {100 * hi / max(c.total, 1):5.1f} %; unmapped by kind: {kinds}")
        # references to paths outside the log type's mapped schema (fields of other log types
        # read by shared helpers, typos, schema gaps) set apart: what mapping work can still add
        listed = c.total - c.unmapped_kinds["not-in-schema"]
        print(f"{'':11s} of references to schema fields: {100 * c.mapped / max(listed, 1):5.1f} % "
              f"({c.unmapped_kinds['not-in-schema']} references are outside the schemas)")
        for name, n in c.unmapped.most_common(args.top):
            print(f"      {n:4d}  {name}")


if __name__ == "__main__":
    main()
