"""The Athena queries of a rule tree rendered in the other SQL dialects (``--dialect``): how many
render without a sqlglot error, parse back in their own dialect, and use no function sqlglot
could not map (``render`` reports those as partial). Every problem is listed with its rule.

    python benchmarks/sql_dialects.py /tmp/panther-analysis/rules --exact-only
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import sqlglot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from translator.backends.athena import build_query  # noqa: E402
from translator.backends.sql_dialects import DIALECTS, construct_text, transpile  # noqa: E402
from translator.backends.sql_mapping import MappingSql  # noqa: E402
from translator.mapping import load_mappings  # noqa: E402
from translator.pipeline import compile_paths  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--exact-only", action="store_true", help="only rules whose Athena SQL is exact")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="frontend extraction processes")
    args = ap.parse_args()
    loaded = compile_paths(args.paths, jobs=args.jobs)
    mapping = MappingSql(load_mappings())
    queries = []
    for rule in loaded.rules:
        if rule.detection is None or rule.correlation is not None:
            continue
        q = build_query(rule, mapping)
        if q.alert is None or (args.exact_only and q.verdict != "exact"):
            continue
        queries.append((rule.id, q.alert_sql()))
    print(f"queries: {len(queries)}{' (exact Athena translations)' if args.exact_only else ''}")
    problems: dict = collections.defaultdict(list)
    for dialect in DIALECTS:
        if dialect in ("athena", "trino"):
            continue
        ok = 0
        t0 = time.perf_counter()
        for rule_id, athena_sql in queries:
            try:
                text, missing = transpile(athena_sql, dialect)
                if missing:  # reported as partial by `rulec build`; the text is not checked
                    problems[dialect].append((rule_id, "no form for " + ", ".join(construct_text(m) for m in missing)))
                    continue
                sqlglot.parse_one(text, read=dialect)
            except Exception as e:  # a sqlglot error: report it, keep going
                problems[dialect].append((rule_id, f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"))
                continue
            ok += 1
        ms = 1000 * (time.perf_counter() - t0) / max(len(queries), 1)
        print(f"  {dialect}: {ok}/{len(queries)} render and parse back with every function mapped "
              f"({ms:.1f} ms/rule)")
    for dialect, items in problems.items():
        by_cause = collections.Counter(cause for _, cause in items)
        print(f"{dialect}: {len(items)} problems")
        for cause, n in by_cause.most_common():
            rules = [r for r, c in items if c == cause]
            print(f"  {n:4d}  {cause}  e.g. {', '.join(rules[:3])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
