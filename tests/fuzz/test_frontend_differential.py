"""A CI-sized sample of the frontend's differential fuzzing (the long run:
`python benchmarks/fuzz_frontend.py`): on generated Panther-style rules the extraction never
disagrees with the real rule and never fails inside the tracer."""
import os

from .frontend_differential import run

RULES = int(os.environ.get("RULEC_FUZZ_RULES", "40"))


def test_generated_rules_never_mismatch(tmp_path):
    report = run(tmp_path / "rules", seed=20261128, count=RULES, jobs=1)
    assert not report.load_errors, report.load_errors[:3]
    assert report.rules == RULES
    # the sample must exercise the comparison, not only produce unsupported verdicts
    assert report.tests["agree"] >= RULES, report.summary()
    assert not report.failures, "\n".join(f"{f}: {why}" for f, why in report.failures[:5])
