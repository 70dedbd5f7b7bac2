"""Corpus measurement of the Python frontend (not a test): extraction verdicts and wall time
over a Panther rules tree, e.g. the public panther-analysis repository.

    python benchmarks/python_frontend_corpus.py /tmp/panther-analysis/rules [--jobs 2]

Prints verdict counts and percentages, test agreement, top reasons and the wall time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from translator.commands.coverage import format_summary, summarize  # noqa: E402
from translator.frontends.panther_yaml import load_tree  # noqa: E402
from translator.frontends.python.pipeline import extract_tree  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    start = time.monotonic()
    loaded = load_tree(args.paths)
    loaded_s = time.monotonic() - start
    results = extract_tree(loaded.rules, loaded, jobs=args.jobs)
    total = time.monotonic() - start
    print(format_summary(summarize(results, total, 20)))
    print(f"load {loaded_s:.1f}s, total {total:.1f}s on {args.jobs} worker(s)")


if __name__ == "__main__":
    main()
