"""Build speed (issue 10): prints numbers, asserts nothing.

    python benchmarks/build_speed.py [RULES_PATH] [--synthetic N]

Measures, on RULES_PATH (default: the public corpus at /tmp/panther-analysis/rules):
  * `rulec --help` wall time (lazy imports; goal <= 0.3 s),
  * a cold `rulec build --target all` (empty cache and output directory; goal <= 20 s on 2 cores),
  * a no-op rebuild (goal <= 1 s),
  * per-rule time of rulec vs. sigma-cli's per-rule conversion of rulec's own Sigma output
    to a backend query, measured in the same run (when `sigma` is installed),
  * peak memory (max RSS of the build process) and, with --synthetic N, the same for a
    generated tree of N simple-detection rules (issue 12's 10,000-rule check).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RULEC = [sys.executable, "-m", "translator"]


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, proc.returncode, proc.stdout[-400:] + proc.stderr[-400:]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def synthetic_tree(root: Path, n: int) -> None:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"rule_{i:05d}.yml").write_text(
            f"AnalysisType: rule\nRuleID: Synthetic.Rule{i}\nEnabled: true\n"
            f"LogTypes: [AWS.CloudTrail]\nSeverity: Low\nDedupPeriodMinutes: 60\n"
            f"Detection:\n  - KeyPath: eventName\n    Condition: IsIn\n"
            f"    Values: [Event{i}, Other{i % 97}]\n  - KeyPath: sourceIPAddress\n"
            f"    Condition: IsIPAddressInCIDR\n    Value: 10.{i % 256}.0.0/16\n"
            f"Tests:\n  - Name: hit\n    ExpectedResult: true\n"
            f"    Log: {{eventName: Event{i}, sourceIPAddress: 10.{i % 256}.1.2}}\n")


def measure_build(path: str, label: str, tmp: Path) -> None:
    out, cache = tmp / f"out-{label}", tmp / f"cache-{label}"
    env = dict(os.environ, RULEC_CACHE_DIR=str(cache))
    cmd = RULEC + ["build", path, "--target", "all", "--out", str(out), "-q", "--fail-on", "never"]
    cold, rc, tail = timed(cmd, env)
    print(f"{label}: cold build, all targets: {cold:.2f} s (exit {rc})")
    if rc not in (0, 1):
        print(tail)
    noop, rc, _ = timed(cmd, env)
    print(f"{label}: no-op rebuild: {noop:.2f} s (exit {rc})")
    print(f"{label}: peak RSS of build processes so far: {peak_rss_mb():.0f} MiB")
    n_rules = len(list((out / "sigma").glob("*.yml"))) if (out / "sigma").exists() else 0
    if n_rules and shutil.which("sigma"):
        files = sorted((out / "sigma").glob("*.yml"))
        start = time.perf_counter()
        subprocess.run(["sigma", "convert", "-t", "sqlite", "--without-pipeline",
                        *map(str, files)], capture_output=True)
        sigma_s = time.perf_counter() - start
        print(f"{label}: sigma-cli converts {len(files)} rules in {sigma_s:.2f} s "
              f"({1000 * sigma_s / len(files):.1f} ms/rule); rulec {1000 * cold / n_rules:.1f} "
              f"ms/rule over 5 targets; ratio {cold / n_rules / (sigma_s / len(files)):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default="/tmp/panther-analysis/rules")
    ap.add_argument("--synthetic", type=int, default=0)
    args = ap.parse_args()
    help_s = min(timed(RULEC + ["--help"])[0] for _ in range(3))
    print(f"rulec --help: {help_s:.3f} s (best of 3)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if Path(args.path).exists():
            measure_build(args.path, "corpus", tmp)
        if args.synthetic:
            tree = tmp / "synthetic"
            synthetic_tree(tree, args.synthetic)
            measure_build(str(tree), f"synthetic-{args.synthetic}", tmp)


if __name__ == "__main__":
    main()
