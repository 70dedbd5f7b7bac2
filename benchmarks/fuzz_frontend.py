"""Long differential fuzz run of the Python frontend (issue 12, issue 3):
`python benchmarks/fuzz_frontend.py [N] [--seed S] [--jobs J]` generates N Panther-style rules
with 8 events each (tests/fuzz/python_rules.py), extracts them, and compares the canonical
detection with the real rule on every event. Prints verdict and event counts, every failure
(mismatch or tracer-internal error) with its file, and the time; exit 1 on any failure."""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.frontend_differential import run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", help="write the generated tree here and keep it")
    args = ap.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rulec-fuzz-"))
    start = time.monotonic()
    report = run(root / "rules", args.seed, args.n, args.jobs)
    print(report.summary())
    for reason, n in report.reasons.most_common(12):
        print(f"  {n:5d}  {reason}")
    for f, why in report.failures:
        print(f"FAIL {f}: {why}")
    for e in report.load_errors[:20]:
        print(f"LOAD {e}")
    print(f"fuzz_frontend: {args.n} rules, seed {args.seed}, {time.monotonic() - start:.1f}s")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    sys.exit(1 if report.failures or report.load_errors else 0)


if __name__ == "__main__":
    main()
