"""Athena SQL backend over a rule tree: how many rules' SQL, executed on DuckDB, agrees with
every one of their tests; every disagreement with its cause. Also the time per rule.

    python benchmarks/athena_agreement.py rules/            # our rules
    python benchmarks/athena_agreement.py /tmp/panther-analysis/rules --exact-only
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from translator.backends.athena import build_query  # noqa: E402
from translator.backends.sql_mapping import MappingSql  # noqa: E402
from translator.engines.duckdb_sql import check_rule  # noqa: E402
from translator.evaluator import evaluate  # noqa: E402
from translator.pipeline import compile_paths  # noqa: E402
from translator.mapping import load_mappings  # noqa: E402


def _model_note(rule, test, outcome) -> str:
    """Whether the canonical model itself (reference evaluator) agrees with the SQL."""
    if test is None:
        return ""
    try:
        model = bool(evaluate(rule.detection, test.log))
    except Exception:  # NotEvaluable: the model holds an Opaque node
        return ", model not evaluable"
    if model != test.expected_result:
        return ", model also disagrees with the test"
    return f", model {model}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--exact-only", action="store_true", help="only rules the frontend extracted exactly")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="frontend extraction processes")
    args = ap.parse_args()
    t0 = time.perf_counter()
    loaded = compile_paths(args.paths, jobs=args.jobs)
    t_load = time.perf_counter() - t0
    mapping = MappingSql(load_mappings())
    counts: collections.Counter = collections.Counter()
    verdicts: collections.Counter = collections.Counter()
    problems = []
    exact: collections.Counter = collections.Counter()  # exact translations with tests: agree?
    t1 = time.perf_counter()
    for rule in loaded.rules:
        if rule.detection is None:
            counts["no detection (frontend)"] += 1
            continue
        extraction = rule.extraction.verdict if rule.extraction else "?"
        counts[f"extraction {extraction}"] += 1
        if args.exact_only and extraction not in ("exact", "simple"):
            counts["skipped: extraction " + extraction] += 1
            continue
        counts["translated"] += 1
        try:
            q = build_query(rule, mapping)
            verdicts[q.verdict] += 1
            check = check_rule(rule, mapping, q)
        except Exception as e:  # a rulec bug: report it, keep going
            counts["rulec error"] += 1
            problems.append((rule.id, "rulec error", f"{type(e).__name__}: {e}"))
            continue
        counts[f"check {check.status}"] += 1
        if q.verdict == "exact" and check.status != "no-tests":
            exact[check.status == "pass"] += 1
        if check.status != "pass":
            tests = {t.name: t for t in rule.tests}
            causes = sorted({f"{o.name}: {o.status} (expected {o.expected}, SQL {o.matched}"
                             f"{_model_note(rule, tests.get(o.name), o)}) {o.detail}".strip()
                             for o in check.outcomes if o.status != "pass"})
            problems.append((rule.id, f"{check.status} [{q.verdict}]",
                             "; ".join(q.reasons + ([check.skipped_reason] if check.skipped_reason else []) + causes)))
    t_check = time.perf_counter() - t1
    print(f"rules loaded and extracted: {len(loaded.rules)} ({t_load:.2f}s)")
    for k, v in sorted(counts.items()):
        print(f"  {k}: {v}")
    print("translation verdicts:", dict(verdicts))
    n = counts["translated"]
    if n:
        print(f"SQL agrees with all tests on DuckDB: {counts['check pass']}/{n} "
              f"({100 * counts['check pass'] / n:.1f}%); {1000 * t_check / n:.1f} ms/rule")
    n_exact = exact[True] + exact[False]
    if n_exact:
        print(f"exact translations with tests that agree on DuckDB: {exact[True]}/{n_exact} "
              f"({100 * exact[True] / n_exact:.1f}%)")
    by_reason: collections.Counter = collections.Counter()
    for _rid, status, cause in problems:
        if "[partial]" in status or "[unsupported]" in status:
            first = cause.split(";")[0]
            first = first.split(": ", 1)[1] if first.count(": ") >= 1 and " at " in first.split(": ")[0] else first
            by_reason[first.split(":")[0][:60]] += 1
        elif "model also disagrees" in cause:
            by_reason["the canonical model itself disagrees with the test (frontend)"] += 1
        elif "the test mocks" in cause:
            by_reason["the test mocks a function or constant (SQL cannot)"] += 1
        elif "column types cannot hold" in cause:
            by_reason["test value type differs from the mapped column type"] += 1
        else:
            by_reason[f"{status} with an exact translation"] += 1
    print("disagreements by first cause:")
    for reason, n in by_reason.most_common():
        print(f"  {n:4d}  {reason}")
    for rule_id, status, cause in problems:
        print(f"- {rule_id}: {status}: {cause}" if args.verbose else f"- {rule_id}: {status}: {cause[:300]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
