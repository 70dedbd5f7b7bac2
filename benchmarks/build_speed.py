"""Build speed (issue 10): prints numbers, asserts nothing.

    python benchmarks/build_speed.py [RULES_PATH] [--cold N] [--noop N] [--synthetic N]
                                     [--sigma-cli PATH]

Measures, on RULES_PATH (default: the public corpus at /tmp/panther-analysis/rules):
  * `rulec --help` (lazy imports; goal <= 0.3 s),
  * a cold `rulec build --target all` (empty cache and output directory; goal <= 20 s on
    2 cores), best of --cold runs,
  * a no-op rebuild (goal <= 1 s), best of --noop runs,
  * rulec's Sigma time per rule against sigma-cli's per-rule conversion of rulec's own Sigma
    output to SQLite, in the same run. sigma-cli needs pySigma < 2 while rulec uses pySigma 2,
    so it lives in its own venv:  python -m venv /tmp/sigmacli-venv &&
    /tmp/sigmacli-venv/bin/pip install sigma-cli "pySigma<2" "pySigma-backend-sqlite<2".
    pySigma 1 rejects RE2 regular expressions (\\z, \\p{..}) that pySigma 2 accepts, so only
    the files it parses are converted (their count is printed),
  * with --synthetic N, the same for a generated tree of N simple-detection rules.

Every time is wall clock and CPU (user + system of the processes, children included): on a
machine shared with other work, CPU time is the steadier number. The load average is printed
with each measurement.
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
DEFAULT_SIGMA_CLI = "/tmp/sigmacli-venv/bin/sigma"

# Run with the venv's python: which files pySigma 1 parses without errors.
PARSEABLE_BY_PYSIGMA1 = """
import sys
from pathlib import Path
from sigma.collection import SigmaCollection
for f in sys.argv[1:]:
    try:
        c = SigmaCollection.from_yaml(Path(f).read_text())
    except Exception:
        continue
    if not c.errors and not any(getattr(r, "errors", None) for r in c.rules):
        print(f)
"""


class Run:
    def __init__(self, wall: float, cpu: float, rc: int, tail: str):
        self.wall, self.cpu, self.rc, self.tail = wall, cpu, rc, tail

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def timed(cmd: list[str], env: dict | None = None) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, proc.returncode, proc.stdout[-400:] + proc.stderr[-400:])


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall)


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


def build_cmd(path: str, out: Path, target: str = "all") -> list[str]:
    return RULEC + ["build", path, "--target", target, "--out", str(out), "-q",
                    "--fail-on", "never"]


def measure_build(path: str, label: str, tmp: Path, colds: int, noops: int) -> Run:
    runs = []
    for i in range(colds):
        out, cache = tmp / f"out-{label}", tmp / f"cache-{label}"
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        env = dict(os.environ, RULEC_CACHE_DIR=str(cache))
        print(f"{label}: cold build {i + 1}/{colds} ({load()}) ...", flush=True)
        runs.append(timed(build_cmd(path, out), env))
        if runs[-1].rc not in (0, 1):
            print(runs[-1].tail)
    cold = best(runs)
    print(f"{label}: cold build, all targets: {cold} (best of {colds}; exit {cold.rc}; {load()})")
    noop = best([timed(build_cmd(path, out), env) for _ in range(noops)])
    print(f"{label}: no-op rebuild: {noop} (best of {noops}; {load()})")
    print(f"{label}: peak RSS of one build process: {peak_rss_mb():.0f} MiB")
    return cold


def measure_sigma_ratio(path: str, tmp: Path, sigma_cli: str, cold: Run) -> None:
    """rulec's Sigma time per rule, against sigma-cli converting rulec's Sigma output."""
    label = "corpus"
    out, cache = tmp / f"out-{label}", tmp / f"cache-{label}"
    sigma_files = sorted((out / "sigma").glob("*.yml"))
    if not sigma_files:
        print("sigma-cli: no Sigma output to convert")
        return
    # rulec, Sigma only, from Panther sources with extraction cached: load + translate + write
    translate_cache = tmp / "cache-sigma-only"
    shutil.rmtree(translate_cache, ignore_errors=True)
    shutil.copytree(cache / "extract", translate_cache / "extract")
    sigma_out = tmp / "out-sigma-only"
    rulec = timed(build_cmd(path, sigma_out, "sigma"),
                  dict(os.environ, RULEC_CACHE_DIR=str(translate_cache)))
    n_rulec = len(list((sigma_out / "sigma").glob("*.yml")))
    python = str(Path(sigma_cli).with_name("python"))
    listed = subprocess.run([python, "-c", PARSEABLE_BY_PYSIGMA1, *map(str, sigma_files)],
                            capture_output=True, text=True)
    files = listed.stdout.split()
    if not files:
        print(f"sigma-cli: pySigma 1 parses none of the files ({listed.stderr[-300:]})")
        return
    cli = timed([sigma_cli, "convert", "-t", "sqlite", "--without-pipeline",
                 "--skip-unsupported", *files])
    if cli.rc != 0:
        print(f"sigma-cli failed (exit {cli.rc}): {cli.tail}")
        return
    print(f"sigma-cli: converts {len(files)} rulec Sigma rules (of {len(sigma_files)}; the rest "
          f"use RE2 regex syntax pySigma 1 rejects) to SQLite: {cli} "
          f"({1000 * cli.cpu / len(files):.1f} ms CPU per rule; {load()})")
    print(f"rulec: Sigma build of {n_rulec} rules from Panther sources, extraction cached: "
          f"{rulec} ({1000 * rulec.cpu / max(n_rulec, 1):.1f} ms CPU per rule)")
    ratio = (rulec.cpu / max(n_rulec, 1)) / (cli.cpu / len(files))
    print(f"ratio rulec/sigma-cli per rule (CPU): {ratio:.2f} for the Sigma translation")
    cold_ratio = (cold.cpu / max(n_rulec, 1)) / (cli.cpu / len(files))
    print(f"ratio rulec/sigma-cli per rule (CPU): {cold_ratio:.2f} for rulec's cold build of all "
          "five targets from Panther sources (real rule runs and symbolic extraction included)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default="/tmp/panther-analysis/rules")
    ap.add_argument("--cold", type=int, default=1, help="cold builds (best is printed)")
    ap.add_argument("--noop", type=int, default=3, help="no-op rebuilds (best is printed)")
    ap.add_argument("--synthetic", type=int, default=0)
    ap.add_argument("--sigma-cli", default=DEFAULT_SIGMA_CLI if Path(DEFAULT_SIGMA_CLI).exists()
                    else shutil.which("sigma"))
    args = ap.parse_args()
    help_run = best([timed(RULEC + ["--help"]) for _ in range(3)])
    print(f"rulec --help: {help_run.wall:.3f} s wall, {help_run.cpu:.3f} s CPU (best of 3; {load()})")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if Path(args.path).exists():
            cold = measure_build(args.path, "corpus", tmp, args.cold, args.noop)
            rules = len(list((tmp / "out-corpus" / "sigma").glob("*.yml")))
            if rules:
                print(f"corpus: {1000 * cold.cpu / rules:.1f} ms CPU per rule for five targets")
            if args.sigma_cli:
                measure_sigma_ratio(args.path, tmp, args.sigma_cli, cold)
            else:
                print(f"sigma-cli not found (looked for {DEFAULT_SIGMA_CLI} and `sigma`)")
        if args.synthetic:
            tree = tmp / "synthetic"
            synthetic_tree(tree, args.synthetic)
            measure_build(str(tree), f"synthetic-{args.synthetic}", tmp, 1, args.noop)


if __name__ == "__main__":
    main()
