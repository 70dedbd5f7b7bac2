"""Shared test configuration.

Hypothesis: under CI (CI=true) every property test runs derandomized, so a run is reproducible
and a red CI is always a real, repeatable failure; locally the default profile keeps exploring
new examples (and `python benchmarks/fuzz_loaders.py` runs the long fuzz)."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
