"""The failure listing the corpus benchmarks share: every failure with its cause, grouped."""
from __future__ import annotations


def print_by_cause(failures: list[tuple[str, str]], details: bool) -> None:
    """``failures``: (cause, line) pairs; printed grouped by cause, causes sorted."""
    print(f"failures ({len(failures)}{'' if details else ', exact rules'}) by cause:")
    for cause in sorted({c for c, _ in failures}):
        lines = [line for c, line in failures if c == cause]
        print(f"  {cause} ({len(lines)}):")
        for line in lines:
            print("    " + line)
