"""Harness for the Python frontend's unit tests: write a small rule (and helpers, data models)
into a temporary tree, extract it in-process, and compare the extraction with the real rule."""
from __future__ import annotations

import textwrap
from pathlib import Path

from translator.evaluator import evaluate
from translator.frontends.python import state
from translator.frontends.python.extract import Extractor
from translator.model import Rule, RuleTest
from translator.pretty import render


def make_tree(tmp: Path, rule_src: str, helpers: dict | None = None,
              data_models: dict | None = None) -> dict:
    (tmp / "global_helpers").mkdir(exist_ok=True)
    (tmp / "data_models").mkdir(exist_ok=True)
    for name, src in (helpers or {}).items():
        (tmp / "global_helpers" / f"{name}.py").write_text(textwrap.dedent(src))
    dm_files = []
    for name, (yml, py) in (data_models or {}).items():
        (tmp / "data_models" / f"{name}.yml").write_text(textwrap.dedent(yml))
        if py:
            (tmp / "data_models" / f"{name}.py").write_text(textwrap.dedent(py))
        dm_files.append(str(tmp / "data_models" / f"{name}.yml"))
    rule_py = tmp / "rule_under_test.py"
    rule_py.write_text(textwrap.dedent(rule_src))
    return {"helpers": [str(tmp / "global_helpers")], "dms": dm_files, "py": str(rule_py)}


def extract(tmp: Path, rule_src: str, events=(), log_types=("Test.Log",), helpers=None,
            data_models=None, severity="Info"):
    tree = make_tree(tmp, rule_src, helpers, data_models)
    tests = tuple(RuleTest.make(f"t{i}", False, ev) for i, ev in enumerate(events))
    rule = Rule(id="Test.Rule", log_types=tuple(log_types), tests=tests, python_file=tree["py"],
                source_file=str(tmp / "rule_under_test.yml"), severity=severity)
    ex = Extractor(tree["helpers"], tree["dms"])
    out = ex.extract(rule)
    return out


def condition(out) -> str:
    return render(out.detection)


def real_rule(tmp: Path, helpers_dir: str | None = None):
    """The rule module imported normally (our own fixture code, so in-process is fine)."""
    import importlib.util
    import sys
    for p in (str(tmp / "global_helpers"),
              str(Path(__file__).resolve().parents[2] / "translator" / "runtime" / "shims")):
        if p not in sys.path:
            sys.path.insert(0, p)
    spec = importlib.util.spec_from_file_location("rule_under_test_real", tmp / "rule_under_test.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def agrees_on(tmp: Path, out, events) -> list:
    """[(event, real, extracted)] for events where they differ."""
    from translator.runtime.event import PantherEvent
    mod = real_rule(tmp)
    bad = []
    for ev in events:
        try:
            real = mod.rule(PantherEvent(ev))
            real = real if isinstance(real, bool) else False
        except Exception:  # noqa: BLE001 - a raising rule does not alert
            real = False
        got = evaluate(out.detection, ev)
        if got != real:
            bad.append((ev, real, got))
    return bad


def check(tmp: Path, rule_src: str, events, **kw):
    """Extract the rule and assert that it agrees with the real rule on ``events``."""
    out = extract(tmp, rule_src, events=events, **kw)
    assert agrees_on(tmp, out, events) == []
    return out


__all__ = ["extract", "condition", "agrees_on", "check", "state"]
