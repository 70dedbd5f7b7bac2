"""Sentinel KQL measured end to end: every rule under PATHS translated, each query analysed by
Kusto.Language (one node process for the batch) against the mapped table schema, and each
rule's Tests executed in duckdb-kql and compared with ExpectedResult and the reference
evaluator.

    python benchmarks/kql_verify.py [PATHS...]            # default: rules/
    python benchmarks/kql_verify.py /tmp/panther-analysis/rules --details

Prints verdict counts, the Kusto.Language-clean share (exact rules and all emitted), executed
agreement, analysis-only reasons, and every failure with its cause.
"""
from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translator.backends.base import BuildOptions  # noqa: E402
from translator.backends.kql import BACKEND  # noqa: E402
from translator.build import translate_one  # noqa: E402
from translator.mapping import load_mappings  # noqa: E402
from translator.pipeline import compile_paths  # noqa: E402
from translator.verify.kql import KustoSession, verify_rules  # noqa: E402


def _kind(text: str) -> str:
    """A finding or diagnostic without its rule-specific values, for counting."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", text)
    return re.sub(r"\d+", "N", text)[:110]


def main(argv: list[str]) -> None:
    details = "--details" in argv
    paths = [a for a in argv if not a.startswith("--")] or ["rules"]
    started = time.perf_counter()
    compiled = compile_paths(paths)
    ms = load_mappings()
    rules = [r for r in compiled.rules if r.analysis_type == "rule"]
    verdicts: Counter = Counter()
    reasons: Counter = Counter()
    translations = {}
    for rule in rules:
        t = translate_one(BACKEND, rule, ms, BuildOptions())
        translations[rule.id] = t
        verdicts[t.verdict] += 1
        for f in t.findings:
            if f.severity in ("partial", "unsupported"):
                reasons[f"{f.severity}: {_kind(f.construct)}"] += 1
    emitted = [r for r in rules if translations[r.id].outputs]
    with KustoSession() as session:
        results = verify_rules(emitted, ms, session=session)
    by_verdict = {"exact": Counter(), "all": Counter()}
    failures: list[str] = []
    diag_kinds: Counter = Counter()
    only: Counter = Counter()
    for rule, v in zip(emitted, results):
        verdict = translations[rule.id].verdict
        for scope in (("exact", "all") if verdict == "exact" else ("all",)):
            c = by_verdict[scope]
            c["rules"] += 1
            c["clean"] += v.syntax_ok
            c["executed"] += v.executed
            c["agree"] += v.agrees
            c["analysis_only"] += bool(v.analysis_only) and v.syntax_ok
        for d in v.diagnostics:
            diag_kinds[f"{d.get('code')}: {_kind(d.get('message', ''))}"] += 1
        if v.analysis_only:
            construct = re.search(r"construct '([^']+)'", v.analysis_only)
            only[construct.group(1) if construct else _kind(v.analysis_only)] += 1
        if not v.syntax_ok:
            failures.append(f"{rule.id} [{verdict}]: Kusto.Language: " + "; ".join(
                f"{d.get('code')} {d.get('message')}" for d in v.diagnostics[:2]))
        for t in v.tests:
            if t.matched is None or verdict != "exact":
                continue
            if t.matched != t.expected or (t.evaluator is not None and t.matched != t.evaluator):
                failures.append(f"{rule.id} [{verdict}]: test {t.name!r}: duckdb-kql {t.matched}, "
                                f"expected {t.expected}, evaluator {t.evaluator}")
        if details and v.syntax_ok:
            print(f"  {rule.id}: {verdict}, executed={v.executed}, agrees={v.agrees} {v.analysis_only}")
    elapsed = time.perf_counter() - started
    print(f"{len(rules)} streaming rules under {', '.join(paths)} ({elapsed:.1f}s)")
    print("verdicts: " + ", ".join(f"{k} {n}" for k, n in verdicts.most_common()))
    for scope, c in by_verdict.items():
        n = c["rules"] or 1
        print(f"{scope} rules with a query: {c['rules']}; Kusto.Language-clean {c['clean']} "
              f"({100 * c['clean'] / n:.1f}%); executed {c['executed']}, executed and agreeing "
              f"{c['agree']}; analysis only (clean, engine lacks a construct) {c['analysis_only']}")
    print("why not exact (top 15):")
    for k, n in reasons.most_common(15):
        print(f"  {n:4d}  {k}")
    if diag_kinds:
        print("Kusto.Language errors:")
        for k, n in diag_kinds.most_common(15):
            print(f"  {n:4d}  {k}")
    if only:
        print("analysis only, because:")
        for k, n in only.most_common(10):
            print(f"  {n:4d}  {k}")
    print(f"failures ({len(failures)}):")
    for f in failures:
        print("  " + f)


if __name__ == "__main__":
    main(sys.argv[1:])
