"""SPL translation measured end to end: every rule under PATHS translated, its search parsed by
rulec's SPL-subset evaluator (translator/engines/spl_eval.py), and its Tests run on the projected
Splunk events and compared with ExpectedResult and the reference evaluator.

    python benchmarks/spl_verify.py [PATHS...]          # default: rules/
    python benchmarks/spl_verify.py /tmp/panther-analysis/rules --details

Prints verdict counts, parse results, test agreement (exact rules and all), the share of exact
rules whose SPL agrees on all their tests, the reasons for partial/unsupported verdicts, and
every failure (disagreement, test not executed, exact rule without tests) grouped by its cause
(model also wrong = the canonical model disagrees with ExpectedResult too: a frontend matter,
not the SPL's). Without --details only exact rules' failures are listed.
"""
from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translator.backends.base import BuildOptions  # noqa: E402
from translator.backends.spl import BACKEND  # noqa: E402
from translator.build import translate_one  # noqa: E402
from translator.mapping import load_mappings  # noqa: E402
from translator.pipeline import compile_paths  # noqa: E402
from failure_report import print_by_cause  # noqa: E402
from translator.verify.spl import verify_rule  # noqa: E402


def _kind(construct: str, reason: str) -> str:
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)$", "…", f"{construct}: {reason}")
    return re.sub(r"\b[\w.{}\[\]]+\.[\w.{}\[\]]+\b", "<field>", text)[:110]


def _cause(res) -> str:
    """Why a test's SPL result differs from its ExpectedResult."""
    if res.matched is None:
        return "not executed: " + res.error.split(":")[0]
    if res.evaluator is not None and res.evaluator != res.expected:
        return "the canonical model disagrees with ExpectedResult too (frontend)"
    if res.collisions:
        return "the test gives different values to Panther fields that are one Splunk field"
    if res.type_conflicts:
        return ("the test holds a value of another type than the schema gives the field "
                "(Splunk holds every value as text)")
    if res.evaluator is None:
        return "the reference evaluator cannot evaluate the model; SPL differs from ExpectedResult"
    return "SPL differs from the reference evaluator (backend bug)"


def main(argv: list[str]) -> None:
    details = "--details" in argv
    paths = [a for a in argv if not a.startswith("--")] or ["rules"]
    started = time.perf_counter()
    compiled = compile_paths(paths)
    mappings = load_mappings()
    rules = [r for r in compiled.rules if r.analysis_type == "rule"]
    verdicts: Counter = Counter()
    parsed = emitted = 0
    tests = {"exact": Counter(), "all": Counter()}
    exact_rules_with_tests = exact_rules_all_agree = 0
    causes: Counter = Counter()
    disagreements: list[str] = []
    for rule in rules:
        t = translate_one(BACKEND, rule, mappings, BuildOptions())
        verdicts[t.verdict] += 1
        for f in t.findings:
            if f.severity in ("partial", "unsupported"):
                causes[f"{f.severity}: {_kind(f.construct, f.reason)}"] += 1
        if not t.outputs:
            continue
        emitted += 1
        v = verify_rule(rule, t, mappings)
        parsed += v.syntax_ok
        if not v.syntax_ok:
            disagreements.append(("SPL does not parse (backend bug)",
                                  f"{rule.id} [{t.verdict}]: {v.syntax_errors}"))
            continue
        all_agree = bool(v.tests)
        for res in v.tests:
            agrees = res.matched is not None and res.matched == res.expected
            all_agree &= agrees
            model_wrong = res.evaluator is not None and res.evaluator != res.expected
            for bucket in (("exact", "all") if t.verdict == "exact" else ("all",)):
                c = tests[bucket]
                c["tests"] += 1
                if res.matched is None:
                    c["not executed"] += 1
                elif agrees:
                    c["agree"] += 1
                else:
                    c["disagree"] += 1
                    c["model also disagrees"] += model_wrong
            if not agrees and (t.verdict == "exact" or details):
                why = res.error or (f"spl={res.matched} expected={res.expected} "
                                    f"evaluator={res.evaluator}")
                if res.collisions or res.type_conflicts:
                    why += " (" + "; ".join(res.collisions + res.type_conflicts) + ")"
                disagreements.append((_cause(res), f"{rule.id} [{t.verdict}] {res.name!r}: "
                                                   f"{why}"))
        if t.verdict == "exact" and v.tests:
            exact_rules_with_tests += 1
            exact_rules_all_agree += all_agree
        elif t.verdict == "exact":
            disagreements.append(("no tests: nothing to check", f"{rule.id} [exact]"))
    seconds = time.perf_counter() - started
    print(f"rules: {len(rules)} (+{len(compiled.rules) - len(rules)} not streaming rules) "
          f"in {seconds:.1f}s")
    print("verdicts: " + ", ".join(f"{k} {verdicts[k]}" for k in
                                   ("exact", "partial", "unsupported", "error")))
    print(f"searches emitted: {emitted}; parsed by the SPL evaluator: {parsed}")
    for bucket, c in tests.items():
        print(f"tests ({bucket} rules): {c['tests']} run, {c['agree']} agree, {c['disagree']} "
              f"disagree ({c['model also disagrees']} where the model disagrees too), "
              f"{c['not executed']} not executed")
    share = exact_rules_all_agree / exact_rules_with_tests if exact_rules_with_tests else 0
    print(f"exact rules with tests: {exact_rules_with_tests}; agreeing on all tests: "
          f"{exact_rules_all_agree} ({share:.1%}); of all streaming rules: "
          f"{exact_rules_all_agree / max(len(rules), 1):.1%}")
    print("\nreasons for partial/unsupported (top 25):")
    for k, n in causes.most_common(25):
        print(f"  {n:5d}  {k}")
    print()
    print_by_cause(disagreements, details)


if __name__ == "__main__":
    main(sys.argv[1:])
