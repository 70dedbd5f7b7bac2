"""Draft the ``schema.fields`` of a mapping file from the test events of a rules tree: every
path seen, with the JSON type seen there. A starting point to check against the vendor's and
Panther's documentation, never shipped unreviewed.

    python benchmarks/draft_schema.py /tmp/panther-analysis GCP.AuditLog [--max-depth 4]
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from translator.frontends.panther_yaml import load_tree  # noqa: E402


def _type(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def walk(v, path: str, depth: int, out: dict, max_depth: int) -> None:
    out[path].add(_type(v))
    if depth >= max_depth:
        return
    if isinstance(v, dict):
        for k, x in v.items():
            walk(x, f"{path}.{k}" if path else str(k), depth + 1, out, max_depth)
    elif isinstance(v, list):
        for x in v:
            walk(x, f"{path}[]", depth + 1, out, max_depth)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("log_type")
    ap.add_argument("--max-depth", type=int, default=4)
    args = ap.parse_args()
    out: dict = defaultdict(set)
    for rule in load_tree([args.root]).rules:
        if args.log_type in rule.log_types:
            for t in rule.tests:
                if isinstance(t.log, dict):
                    walk(t.log, "", 0, out, args.max_depth)
    for path in sorted(p for p in out if p and not p.startswith("p_")):
        types = sorted(out[path] - {"null"}) or ["string"]
        print(f"    {path}: {types[0] if len(types) == 1 else 'any'}")


if __name__ == "__main__":
    main()
