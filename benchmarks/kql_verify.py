"""Sentinel KQL measured end to end: every rule under PATHS translated, each query analysed by
Kusto.Language (one node process for the batch) against the mapped table schema, and each
rule's Tests executed in duckdb-kql and compared with ExpectedResult and the reference
evaluator.

    python benchmarks/kql_verify.py [PATHS...]            # default: rules/
    python benchmarks/kql_verify.py /tmp/panther-analysis/rules --details

Prints verdict counts, the Sentinel analytic-rule limits the packaged rules exceed, the
Kusto.Language-clean share (exact rules and all emitted), executed agreement, analysis-only
reasons, and every failure of an exact rule (not clean, not executed,
a test disagreeing) grouped by cause (--details: of every rule).
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
from failure_report import print_by_cause  # noqa: E402


def _kind(text: str) -> str:
    """A finding or diagnostic without its rule-specific values, for counting."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", text)
    return re.sub(r"\d+", "N", text)[:110]


def _test_cause(rule, test, result, ms) -> str:
    """Why a test's engine verdict differs: the model itself disagrees with ExpectedResult, or
    the test event holds a value of another type than the mapping gives the column, or (else)
    the KQL lowering."""
    from translator.backends.kql import detection_of
    from translator.evaluator import resolve
    from translator.mapping import ResolvedField
    from translator.model import MISSING, fields_of
    from translator.verify.kql import log_type_of

    if result.evaluator is not None and result.evaluator != result.expected:
        return "model: the reference evaluator disagrees with ExpectedResult (frontend/model)"
    lt = log_type_of(rule, test.log)
    for f in fields_of(detection_of(rule)):
        value = resolve(f.__class__(f.path), test.log)
        r = ms.resolve(lt, "sentinel", tuple(f.path))
        expected_type = {"string": str, "number": (int, float), "bool": bool}.get(
            r.column_type if isinstance(r, ResolvedField) and not r.steps else "")
        if expected_type and value is not MISSING and value is not None and (
                not isinstance(value, expected_type)
                or (r.column_type == "number" and isinstance(value, bool))):
            return (f"mapping: {'.'.join(map(str, f.path))} maps to {r.column_type} column "
                    f"{r.name}, the test event holds {type(value).__name__} {value!r}")
    return "kql: the query and the evaluator disagree"


def main(argv: list[str]) -> None:
    details = "--details" in argv
    paths = [a for a in argv if not a.startswith("--")] or ["rules"]
    started = time.perf_counter()
    compiled = compile_paths(paths)
    ms = load_mappings()
    rules = [r for r in compiled.rules if r.analysis_type == "rule"]
    verdicts: Counter = Counter()
    reasons: Counter = Counter()
    lints: Counter = Counter()  # Sentinel analytic-rule limits: rules per limit
    translations = {}
    for rule in rules:
        t = translate_one(BACKEND, rule, ms, BuildOptions())
        translations[rule.id] = t
        verdicts[t.verdict] += 1
        for f in t.findings:
            if f.severity in ("partial", "unsupported"):
                reasons[f"{f.severity}: {_kind(f.construct)}"] += 1
        packaging = {f.construct.removeprefix("sentinel limit: ") for f in t.findings
                     if f.construct.startswith("sentinel limit: ") or f.construct == "customDetails"}
        for limit in packaging:
            lints[limit if limit != "customDetails" else "customDetails (first 20 kept)"] += 1
    emitted = [r for r in rules if translations[r.id].outputs]
    with KustoSession() as session:
        results = verify_rules(emitted, ms, session=session)
    by_verdict = {"exact": Counter(), "all": Counter()}
    failures: list[tuple[str, str]] = []  # (cause, line)
    causes: Counter = Counter()
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
        unmapped = [f.construct.removeprefix("unmapped field ") for f in translations[rule.id].findings
                     if f.construct.startswith("unmapped field ")]
        listed = verdict == "exact" or details
        if not v.syntax_ok:
            fallback_only = unmapped and all(d.get("code") == "KS142" for d in v.diagnostics)
            cause = ("not Kusto-clean: unmapped field (its fallback column is not in the table)"
                     if fallback_only else "not Kusto-clean: Kusto.Language error (backend bug)")
            causes[cause] += 1
            if listed:
                failures.append((cause, f"{rule.id} [{verdict}]: "
                                 + (f"unmapped {', '.join(dict.fromkeys(unmapped))}: " if unmapped else "")
                                 + "; ".join(f"{d.get('code')} {d.get('message')}"
                                             for d in v.diagnostics[:2])))
        elif v.analysis_only and listed:
            failures.append(("clean, not executed: " + (
                "the rule has no tests" if "no tests" in v.analysis_only else
                "duckdb-kql lacks a construct (verified by analysis only)"),
                f"{rule.id} [{verdict}]: {v.analysis_only}"))
        for t, test in zip(v.tests, rule.tests):
            if t.matched is None or verdict != "exact":
                continue
            if t.matched != t.expected or (t.evaluator is not None and t.matched != t.evaluator):
                cause = _test_cause(rule, test, t, ms)
                causes[cause.split(":")[0]] += 1
                failures.append(("test disagrees: " + cause.split(":")[0],
                                 f"{rule.id} [{verdict}]: test {t.name!r}: duckdb-kql "
                                 f"{t.matched}, expected {t.expected}, evaluator {t.evaluator}: "
                                 + cause.split(": ", 1)[-1]))
    elapsed = time.perf_counter() - started
    print(f"{len(rules)} streaming rules under {', '.join(paths)} ({elapsed:.1f}s)")
    print("verdicts: " + ", ".join(f"{k} {n}" for k, n in verdicts.most_common()))
    for scope, c in by_verdict.items():
        n = c["rules"] or 1
        print(f"{scope} rules with a query: {c['rules']}; Kusto.Language-clean {c['clean']} "
              f"({100 * c['clean'] / n:.1f}%); executed {c['executed']}, executed and agreeing "
              f"{c['agree']}; analysis only (clean, engine lacks a construct) {c['analysis_only']}")
    print("Sentinel analytic-rule limits (rules per limit; over a limit the rule is partial, "
          "custom details past 20 are cut with a warning): "
          + (", ".join(f"{k} {n}" for k, n in lints.most_common()) or "none"))
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
    print("failure causes:")
    for k, n in causes.most_common():
        print(f"  {n:4d}  {k}")
    print_by_cause(failures, details)


if __name__ == "__main__":
    main(sys.argv[1:])
