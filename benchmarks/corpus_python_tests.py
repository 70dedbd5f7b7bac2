"""Run every Test of every Python rule of a Panther tree through ``run_many_rule_tests`` and
report agreement with the tests' ExpectedResult.

    python benchmarks/corpus_python_tests.py [/tmp/panther-analysis] [--workers N] [--details]

Counts (per test): agree (rule() returned ExpectedResult), disagree (returned the other bool),
error (rule() raised / timed out / the module failed to load), and Panther's stricter "passed"
(an expected alert also needs title/dedup/alert_context/... to work).
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from translator.frontends.panther_yaml import load_tree  # noqa: E402
from translator.runtime.python_rule_runner import RuleJob, run_many_rule_tests  # noqa: E402


def jobs_for(tree: str, infer_log_type: bool) -> tuple[list[RuleJob], dict]:
    loaded = load_tree([os.path.join(tree, "rules")])
    helper_dirs = tuple(str(d) for d in loaded.helper_dirs)
    data_models = tuple(str(f) for f in loaded.data_model_files)
    jobs, kinds = [], collections.Counter()
    for rule in loaded.rules:
        kinds[rule.analysis_type] += 1
        if not rule.python_file or not rule.tests:
            continue
        jobs.append(RuleJob(rule.id, rule.python_file, rule.tests, rule.log_types, helper_dirs,
                            data_models, rule.analysis_type, rule.severity,
                            infer_log_type=infer_log_type))
    return jobs, kinds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("tree", nargs="?", default="/tmp/panther-analysis")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--details", action="store_true", help="list every disagreement and error")
    ap.add_argument("--without-mocks", action="store_true",
                    help="run only the tests that have Mocks, with the Mocks removed: shows which "
                         "tests depend on them (KV store, enrichment helpers)")
    ap.add_argument("--slowest", type=int, default=0, help="list the N slowest rules")
    ap.add_argument("--infer-log-type", action="store_true",
                    help="use the rule's only LogType when a test log has no p_log_type (not Panther)")
    args = ap.parse_args()

    t0 = time.monotonic()
    jobs, kinds = jobs_for(args.tree, args.infer_log_type)
    if args.without_mocks:
        jobs = [dataclasses.replace(job, tests=tuple(dataclasses.replace(t, mocks=())
                                                     for t in job.tests if t.mocks))
                for job in jobs if any(t.mocks for t in job.tests)]
    t_load = time.monotonic() - t0
    results = run_many_rule_tests(jobs, workers=args.workers)
    wall = time.monotonic() - t0

    by_type: dict = collections.defaultdict(collections.Counter)
    problems = []
    for job, res in zip(jobs, results):
        counts = by_type[job.analysis_type]
        counts["rules"] += 1
        counts["rules with mocks"] += any(t.mocks for t in job.tests)
        counts["rule-level errors"] += bool(res.error)
        for spec, out in zip(job.tests, res.tests):
            counts["tests"] += 1
            counts["tests with mocks"] += bool(spec.mocks)
            if out.error:
                counts["error"] += 1
                problems.append((job.rule_id, out.name, "error", out.error))
            elif out.agrees:
                counts["agree"] += 1
            else:
                counts["disagree"] += 1
                problems.append((job.rule_id, out.name, "disagree",
                                 f"expected {out.expected}, rule() returned {out.matched}"))
            counts["panther passed"] += out.passed
            if out.agrees and not out.passed:
                problems.append((job.rule_id, out.name, "aux error",
                                 "; ".join(f"{k}: {v}" for k, v in out.aux_errors.items())))
    print(f"tree: {args.tree}  rules loaded: {dict(kinds)}  jobs: {len(jobs)}")
    for kind, counts in by_type.items():
        print(f"[{kind}] rules {counts['rules']}, tests {counts['tests']}: "
              f"agree {counts['agree']}, disagree {counts['disagree']}, error {counts['error']}; "
              f"Panther-passed {counts['panther passed']}; rules with mocks {counts['rules with mocks']} "
              f"({counts['tests with mocks']} tests); rule-level errors {counts['rule-level errors']}")
    cpu = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(f"wall time {wall:.1f}s (loading {t_load:.1f}s, {args.workers} workers), "
          f"CPU time {cpu:.1f}s, load average {os.getloadavg()[0]:.1f}")
    for res in sorted(results, key=lambda r: -r.duration_s)[:args.slowest]:
        print(f"  slow {res.duration_s:6.2f}s {res.rule_id} ({len(res.tests)} tests)")
    if args.details:
        for rule_id, name, what, why in problems:
            print(f"  {what:9} {rule_id} / {name}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
