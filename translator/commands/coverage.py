"""`rulec coverage PATH`: extract every Python rule under PATH, check each extraction against
the real rule on its tests, and report verdict counts, top reasons and per-log-type counts."""
from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter

import click

VERDICTS = ("exact", "partial", "unsupported", "mismatch")


@click.command("coverage")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Write per-rule verdicts, reasons, detections and test agreement as JSON.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default=True, help="Child processes running rule code.")
@click.option("--top", type=click.IntRange(1, 1000), default=15, show_default=True,
              help="How many of the most frequent reasons to list.")
def coverage_cmd(paths, json_path, jobs, top):
    """Extraction coverage of the Python rules under PATHS.

    Exit status: 0 no mismatch, 1 some extraction disagrees with its Python rule, 2 bad input.
    """
    from ..frontends.panther_yaml import load_tree
    from ..frontends.python.pipeline import extract_tree

    start = time.monotonic()
    loaded = load_tree(paths)
    for d in loaded.diagnostics:
        if d.level == "error":
            click.echo(str(d), err=True)
    results = extract_tree(loaded.rules, loaded, jobs=jobs)
    elapsed = time.monotonic() - start
    summary = summarize(results, elapsed, top)
    click.echo(format_summary(summary))
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"summary": summary, "rules": [r.to_dict() for r in results]}, fh, indent=1,
                      default=str)
    if loaded.errors and not results:
        sys.exit(2)
    sys.exit(1 if summary["verdicts"]["mismatch"] else 0)


def reason_kind(reason: str) -> str:
    """A reason without its file:line, so equal constructs count together."""
    text = re.sub(r"^\S+\.py:\d+: ", "", reason)
    text = re.sub(r"disagrees with the Python rule on test\(s\): .*", "disagrees with the Python rule", text)
    return text


def summarize(results: list, elapsed: float, top: int) -> dict:
    n = len(results)
    verdicts = Counter(r.verdict for r in results)
    tests = Counter()
    for r in results:
        tests.update(r.counts())
    reasons = Counter()
    for r in results:
        if r.verdict != "exact" and r.reasons:
            reasons[f"{r.verdict}: {reason_kind(r.reasons[0])}"] += 1
    per_log_type: dict = {}
    for r in results:
        for lt in r.log_types or ("(none)",):
            row = per_log_type.setdefault(lt, Counter())
            row[r.verdict] += 1
    return {
        "rules": n,
        "verdicts": {v: verdicts.get(v, 0) for v in VERDICTS},
        "percent": {v: round(100.0 * verdicts.get(v, 0) / n, 1) if n else 0.0 for v in VERDICTS},
        "tests": dict(tests),
        "paths_total": sum(r.paths for r in results),
        "top_reasons": reasons.most_common(top),
        "per_log_type": {lt: dict(c) for lt, c in sorted(per_log_type.items())},
        "seconds": round(elapsed, 1),
    }


def format_summary(s: dict) -> str:
    lines = [f"{s['rules']} Python rules in {s['seconds']}s"]
    for v in VERDICTS:
        lines.append(f"  {v:<12} {s['verdicts'][v]:>5}  {s['percent'][v]:5.1f} %")
    t = s["tests"]
    compared = t.get("agree", 0) + t.get("disagree", 0)
    lines.append(f"tests: {t.get('agree', 0)}/{compared} agree with the real rule; not compared: "
                 f"{t.get('real-error', 0)} real rule raised, {t.get('mocked', 0)} use Mocks, "
                 f"{t.get('not-evaluable', 0)} reach an opaque part")
    if s["top_reasons"]:
        lines.append("top reasons (first reason of each non-exact rule):")
        for reason, count in s["top_reasons"]:
            lines.append(f"  {count:>4}  {reason}")
    lines.append("per log type (exact/partial/unsupported/mismatch):")
    for lt, c in s["per_log_type"].items():
        lines.append(f"  {lt:<40} " + "/".join(str(c.get(v, 0)) for v in VERDICTS))
    return "\n".join(lines)
