"""`rulec doc` speed (issue 11: the corpus site in under 30 s): prints numbers, asserts nothing.

    python benchmarks/doc_speed.py [RULES_PATH] [--warm N]

Measures on RULES_PATH (default: the public corpus at /tmp/panther-analysis/rules) a cold
`rulec doc` (empty cache: extraction, translation and pages), then warm runs with the same
cache (best of --warm). Wall clock and CPU time (children included) with the load average, as
in build_speed.py.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_speed import RULEC, best, load, timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default="/tmp/panther-analysis/rules")
    ap.add_argument("--warm", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, RULEC_CACHE_DIR=str(tmp / "cache"))
        cmd = RULEC + ["doc", args.path, "--out", str(tmp / "site")]
        print(f"doc: cold ({load()}) ...", flush=True)
        cold = timed(cmd, env)
        pages = len(list((tmp / "site").glob("*.html")))
        print(f"doc: cold, {pages} pages: {cold} (exit {cold.rc}; {load()})")
        if cold.rc != 0:
            print(cold.tail)
        warm = best([timed(cmd, env) for _ in range(args.warm)])
        print(f"doc: warm: {warm} (best of {args.warm}; {load()})")


if __name__ == "__main__":
    main()
