"""Differential fuzzing of the Python frontend: generated rules (tests/fuzz/python_rules.py) are
extracted and the canonical detection is evaluated on every generated event against the real
rule run in the sandbox. Shared by the CI sample (test_frontend_differential.py) and the long run
(benchmarks/fuzz_frontend.py)."""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

from translator.frontends.panther_yaml import load_tree
from translator.frontends.python.pipeline import extract_tree

from .python_rules import write_tree


@dataclass
class FuzzReport:
    rules: int = 0
    verdicts: collections.Counter = field(default_factory=collections.Counter)
    tests: collections.Counter = field(default_factory=collections.Counter)
    failures: list = field(default_factory=list)  # (rule file, what went wrong)
    load_errors: list = field(default_factory=list)
    reasons: collections.Counter = field(default_factory=collections.Counter)  # first reason

    def summary(self) -> str:
        v = ", ".join(f"{k} {n}" for k, n in sorted(self.verdicts.items()))
        t = ", ".join(f"{k} {n}" for k, n in sorted(self.tests.items()))
        return (f"{self.rules} generated rules: {v}; events: {t}; "
                f"failures {len(self.failures)}, load errors {len(self.load_errors)}")


def run(root, seed: int, count: int, jobs: int = 2) -> FuzzReport:
    write_tree(root, seed, count)
    loaded = load_tree([root])
    report = FuzzReport(load_errors=[str(d) for d in loaded.diagnostics if d.level == "error"])
    results = extract_tree(loaded.rules, loaded, jobs=jobs)
    for res in results:
        report.rules += 1
        report.verdicts[res.verdict] += 1
        for t in res.tests:
            report.tests[t.status] += 1
        if res.verdict != "exact" and res.reasons:
            # "file.py:12: construct: why" -> "construct: why" (the same idiom in any file)
            report.reasons[res.reasons[0].split(": ", 1)[-1][:110]] += 1
        if res.verdict == "mismatch":
            bad = [(t.name, t.real, t.model) for t in res.tests if t.status == "disagree"]
            report.failures.append((res.source_file, f"mismatch on {bad}"))
        for reason in res.reasons:
            if "internal error" in reason or "extraction failed" in reason:
                report.failures.append((res.source_file, reason))
    return report
