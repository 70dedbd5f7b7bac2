"""Sigma translation measured end to end: every rule under PATHS translated, its Sigma parsed by
pySigma, checked by the offline SigmaHQ validators, and its Tests executed in SQLite
(pysigma-backend-sqlite) and compared with ExpectedResult and the reference evaluator.

    python benchmarks/sigma_verify.py [PATHS...]          # default: rules/
    python benchmarks/sigma_verify.py /tmp/panther-analysis/rules --details

Prints verdict counts, syntax/validator results, executed-test agreement (for exact rules and
for all), validator issues by validator, and every failure of an exact rule grouped by cause
(--details: of every rule).
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translator.backends.base import BuildOptions  # noqa: E402
from translator.backends.sigma import BACKEND  # noqa: E402
from translator.build import translate_one  # noqa: E402
from translator.mapping import load_mappings  # noqa: E402
from translator.pipeline import compile_paths  # noqa: E402
from failure_report import print_by_cause  # noqa: E402
from translator.verify.sigma import EXCLUDED_VALIDATORS, verify_rule  # noqa: E402


def main(argv: list[str]) -> None:
    details = "--details" in argv
    paths = [a for a in argv if not a.startswith("--")] or ["rules"]
    started = time.perf_counter()
    compiled = compile_paths(paths)
    mappings = load_mappings()
    rules = [r for r in compiled.rules if r.analysis_type == "rule"]
    verdicts: Counter = Counter()
    syntax_ok = validators_clean = 0
    issue_kinds: Counter = Counter()
    tests = {"exact": Counter(), "all": Counter()}
    disagreements: list[tuple[str, str]] = []  # (cause, line)
    exact_with_tests = exact_agreeing = 0
    construct_counts: Counter = Counter()
    emitted_files = 0
    for rule in rules:
        t = translate_one(BACKEND, rule, mappings, BuildOptions())
        verdicts[t.verdict] += 1
        for f in t.findings:
            if f.severity in ("partial", "unsupported"):
                construct_counts[f"{f.severity}: {_kind(f.construct, f.reason)}"] += 1
        if not t.outputs:
            continue
        emitted_files += 1
        v = verify_rule(rule, t, mappings)
        syntax_ok += v.syntax.ok
        validators_clean += v.syntax.clean
        for issue in v.syntax.unavailable:
            issue_kinds["(could not run offline) " + issue.split(":")[0]] += 1
        for issue in v.syntax.issues:
            issue_kinds[issue.split(":")[0]] += 1
            if details:
                print(f"  validator {rule.id}: {issue}")
        for res in v.tests:
            model_wrong = (res.evaluator is not None and res.evaluator != res.expected
                           and res.matched == res.evaluator)
            for bucket in (("exact", "all") if t.verdict == "exact" else ("all",)):
                c = tests[bucket]
                c["tests"] += 1
                if res.matched is None:
                    c["not executed"] += 1
                elif res.agrees:
                    c["agree"] += 1
                else:
                    c["disagree"] += 1
                    c["model also disagrees"] += model_wrong
            if not res.agrees and (t.verdict == "exact" or details):
                why = res.error or (f"sqlite={res.matched} expected={res.expected} "
                                    f"evaluator={res.evaluator}")
                if res.matched is None:
                    cause = "not executed"
                elif res.evaluator is not None and res.evaluator != res.expected:
                    cause = "the canonical model disagrees with ExpectedResult too (frontend)"
                elif t.verdict != "exact":
                    cause = f"{t.verdict} translation (constructs not expressed, listed above)"
                else:
                    cause = "Sigma (SQLite) differs from the reference evaluator (backend bug)"
                disagreements.append((cause, f"{rule.id} [{t.verdict}] {res.name!r}: {why}"))
        if t.verdict == "exact":
            exact_with_tests += bool(v.tests)
            exact_agreeing += bool(v.tests) and v.syntax.clean and all(r.agrees for r in v.tests)
            if not v.tests:
                disagreements.append(("no tests: nothing to check", f"{rule.id} [exact]"))
            if not v.syntax.clean:
                disagreements.append(("not validator-clean", f"{rule.id} [exact]: "
                                      + "; ".join(v.syntax.issues)[:200]))
    seconds = time.perf_counter() - started
    print(f"rules: {len(rules)} (+{len(compiled.rules) - len(rules)} not streaming rules) "
          f"in {seconds:.1f}s")
    print("verdicts: " + ", ".join(f"{k} {verdicts[k]}" for k in
                                   ("exact", "partial", "unsupported", "error")))
    print(f"Sigma files parsed by pySigma: {syntax_ok}/{emitted_files}; validators clean: "
          f"{validators_clean}/{emitted_files} ({len(EXCLUDED_VALIDATORS)} validators excluded)")
    for bucket in ("exact", "all"):
        c = tests[bucket]
        print(f"tests of {bucket} rules: {c['tests']}; agree {c['agree']}, disagree "
              f"{c['disagree']} (of which the canonical model itself gives the same wrong "
              f"answer: {c['model also disagrees']}), not executed {c['not executed']}")
    if issue_kinds:
        print("validator issues: " + ", ".join(f"{k} {n}" for k, n in issue_kinds.most_common()))
    if construct_counts:
        print("constructs not expressed (rules):")
        for k, n in construct_counts.most_common(25):
            print(f"  {n:4d}  {k}")
    print(f"exact rules with tests: {exact_with_tests}; valid, validator-clean and agreeing on "
          f"every test: {exact_agreeing}")
    print_by_cause(disagreements, details)


def _kind(construct: str, reason: str) -> str:
    """A finding reduced to its kind (without the rule's own values)."""
    head = reason.split(";")[0].split(":")[0]
    return head[:90]


if __name__ == "__main__":
    main(sys.argv[1:])
