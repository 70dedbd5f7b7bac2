"""YARA-L translation measured end to end: every rule under PATHS translated; each emitted rule
parsed by yaraast and by rulec's documentation-based parser, its UDM fields checked against the
UDM field list, tree-sitter-yaral's opinion recorded, and its Tests evaluated over UDM events
(reverse projection, target chronicle) against ExpectedResult and the reference evaluator.

    python benchmarks/yaral_verify.py [PATHS...]          # default: rules/
    python benchmarks/yaral_verify.py /tmp/panther-analysis/rules --details

Prints verdict counts, syntax/field results, test agreement for exact rules and for all,
rules with unmapped fields (with the fields), constructs not expressed, and every failure of an
exact rule (not clean, no tests, a test not agreeing) grouped by cause (--details: every rule).
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translator.backends.base import BuildOptions  # noqa: E402
from translator.backends.yaral import BACKEND  # noqa: E402
from translator.build import translate_one  # noqa: E402
from translator.evaluator import NotEvaluable, evaluate  # noqa: E402
from translator.testing import effective_detection  # noqa: E402
from translator.mapping import load_mappings  # noqa: E402
from translator.pipeline import compile_paths  # noqa: E402
from failure_report import print_by_cause  # noqa: E402
from translator.verify.yaral import check, tree_sitter_errors, tree_sitter_gaps  # noqa: E402


def main(argv: list[str]) -> None:
    details = "--details" in argv
    paths = [a for a in argv if not a.startswith("--")] or ["rules"]
    started = time.perf_counter()
    compiled = compile_paths(paths)
    mappings = load_mappings()
    rules = [r for r in compiled.rules if r.analysis_type == "rule"]
    verdicts: Counter = Counter()
    emitted = syntax_clean = ts_ok = 0
    ts_gaps: Counter = Counter()
    clean_agree = {"exact": 0, "all": 0}
    tests = {"exact": Counter(), "all": Counter()}
    constructs: Counter = Counter()
    unmapped: dict[str, list] = {}
    failures: list[tuple[str, str]] = []  # (cause, line)
    for rule in rules:
        t = translate_one(BACKEND, rule, mappings, BuildOptions())
        verdicts[t.verdict] += 1
        for f in t.findings:
            if f.severity in ("partial", "unsupported"):
                kind = f.construct.split(" ")[0] if f.construct.startswith("unmapped") else \
                    f.reason.split(";")[0].split(":")[0][:80]
                constructs[f"{f.severity}: {kind}"] += 1
            if f.construct.startswith("unmapped field "):
                unmapped.setdefault(rule.id, []).append(f.construct[len("unmapped field "):])
        if not t.outputs:
            continue
        emitted += 1
        report = check(rule, t, mappings)
        ts = tree_sitter_errors(t.query)
        ts_ok += ts == []
        if ts:
            ts_gaps[tree_sitter_gaps(t.query) or "other"] += 1
        syntax_clean += report.syntax_ok
        executed = [x for x in report.tests if x.matched is not None]
        all_agree = report.syntax_ok and bool(executed) and all(x.agrees for x in report.tests)
        for bucket in (("exact", "all") if t.verdict == "exact" else ("all",)):
            clean_agree[bucket] += all_agree
            c = tests[bucket]
            for x in report.tests:
                c["tests"] += 1
                c["agree" if x.agrees else "not executed" if x.matched is None else "disagree"] += 1
        logs = {test.name: test.log for test in rule.tests}
        listed = t.verdict == "exact" or details
        if listed and not report.syntax_ok:
            failures.append(("not syntax- or field-clean (backend bug)",
                             f"{rule.id} [{t.verdict}]: {report.syntax_errors[:2]}"))
        if listed and not report.tests:
            failures.append(("no tests: nothing to check", f"{rule.id} [{t.verdict}]"))
        for x in report.tests:
            model = _model(rule, logs[x.name])
            if x.matched is not None and not x.agrees and model == x.matched:
                for bucket in (("exact", "all") if t.verdict == "exact" else ("all",)):
                    tests[bucket]["model also disagrees"] += 1
            if not x.agrees and listed:
                if x.matched is None:
                    cause = "not executed"
                elif model is not None and model != x.expected:
                    cause = "the canonical model disagrees with ExpectedResult too (frontend)"
                elif t.verdict != "exact":
                    cause = f"{t.verdict} translation (constructs not expressed, listed above)"
                else:
                    cause = "YARA-L differs from the reference evaluator (backend bug)"
                failures.append((cause, f"{rule.id} [{t.verdict}] {x.name!r}: "
                                        f"{x.error or f'yaral={x.matched} expected={x.expected}'}"))
    seconds = time.perf_counter() - started
    exact = verdicts["exact"]
    print(f"rules: {len(rules)} (+{len(compiled.rules) - len(rules)} not streaming rules) in {seconds:.1f}s")
    print("verdicts: " + ", ".join(f"{k} {verdicts[k]}" for k in ("exact", "partial", "unsupported", "error")))
    print(f"emitted {emitted}; syntax- and field-clean (yaraast + rulec parser + UDM field list): "
          f"{syntax_clean}/{emitted}; tree-sitter-yaral parses {ts_ok}/{emitted} (not a gate)")
    if ts_gaps:
        print("  tree-sitter-yaral rejections, by what it lacks: " + ", ".join(
            f"{k} {n}" for k, n in ts_gaps.most_common()))
    print(f"exact rules clean with every test agreeing: {clean_agree['exact']}/{exact}"
          + (f" ({100 * clean_agree['exact'] / exact:.1f} %)" if exact else ""))
    for bucket in ("exact", "all"):
        c = tests[bucket]
        print(f"tests of {bucket} rules: {c['tests']}; agree {c['agree']}, disagree {c['disagree']}, "
              f"not executed {c['not executed']} (disagreeing where the canonical model itself gives "
              f"the same answer: {c['model also disagrees']})")
    print(f"rules with unmapped fields: {len(unmapped)}")
    for rid, fields in sorted(unmapped.items())[: None if details else 15]:
        print(f"  {rid}: {', '.join(dict.fromkeys(fields))}")
    print("constructs not expressed (findings):")
    for k, n in constructs.most_common(25):
        print(f"  {n:4d}  {k}")
    print_by_cause(failures, details)


def _model(rule, log):
    try:
        return evaluate(effective_detection(rule), log)
    except (NotEvaluable, TypeError):
        return None


if __name__ == "__main__":
    main(sys.argv[1:])
