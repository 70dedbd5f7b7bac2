"""Run the corpus' own unittest suites for global helpers and data models against rulec's
event runtime (our ``panther_core`` stand-in instead of Panther's), in a sandboxed child.

    python benchmarks/corpus_unit_tests.py [/tmp/panther-analysis] [--details]

``global_helpers/global_helpers_test.py`` exercises PantherEvent, ImmutableCaseInsensitiveDict,
ImmutableList, deep_get/deep_walk and every helper; ``data_models/data_models_test.py``
exercises data model methods through ``udm()``. The latter imports panther_analysis_tool to
build its data models; here a stand-in module builds them with ``translator.runtime.data_models``.
"""
from __future__ import annotations

import argparse
import os
import sys
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from translator.runtime.data_models import build_data_model, load_data_models  # noqa: E402
from translator.runtime.python_rule_runner import SHIMS_DIR  # noqa: E402
from translator.runtime.sandbox import Limits, run_isolated  # noqa: E402


def _install_pat_stand_in() -> None:
    """``panther_analysis_tool.main.load_analysis/setup_data_models`` backed by rulec."""
    main = types.ModuleType("panther_analysis_tool.main")

    def load_analysis(path, *_args, **_kw):
        return types.SimpleNamespace(data_models=[path]), []

    def setup_data_models(dirs):
        registry = load_data_models(dirs)
        models = {spec.id: build_data_model(spec) for spec in registry.models}
        by_log_type = {lt: models[registry.for_log_type(lt).id] for lt in registry.log_types}
        return by_log_type, list(registry.errors)

    main.load_analysis, main.setup_data_models = load_analysis, setup_data_models
    package = types.ModuleType("panther_analysis_tool")
    package.main = main
    sys.modules["panther_analysis_tool"], sys.modules["panther_analysis_tool.main"] = package, main


def run_suite(test_file: str) -> dict:
    """Child-process entry: run one unittest file, return counts and failure summaries."""
    tree = os.path.dirname(os.path.dirname(test_file))
    sys.path[:0] = [SHIMS_DIR, os.path.join(tree, "global_helpers"), os.path.dirname(test_file)]
    _install_pat_stand_in()
    suite = unittest.defaultTestLoader.discover(os.path.dirname(test_file),
                                                pattern=os.path.basename(test_file))
    result = unittest.TestResult()
    suite.run(result)
    problems = [(str(test), tb.strip().splitlines()[-1]) for test, tb in result.failures + result.errors]
    return {"run": result.testsRun, "failures": len(result.failures), "errors": len(result.errors),
            "skipped": len(result.skipped), "problems": problems}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("tree", nargs="?", default="/tmp/panther-analysis")
    ap.add_argument("--details", action="store_true")
    args = ap.parse_args()
    for rel in ("global_helpers/global_helpers_test.py", "data_models/data_models_test.py"):
        path = os.path.join(args.tree, rel)
        outcome = run_isolated(run_suite, path, limits=Limits(timeout_s=300, memory_mb=2048))
        if not outcome.ok:
            print(f"{rel}: {outcome.error}")
            continue
        r = outcome.value
        passed = r["run"] - r["failures"] - r["errors"] - r["skipped"]
        print(f"{rel}: {r['run']} tests, passed {passed}, failures {r['failures']}, "
              f"errors {r['errors']}, skipped {r['skipped']}")
        if args.details:
            for name, last_line in r["problems"]:
                print(f"  {name}: {last_line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
