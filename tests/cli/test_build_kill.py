"""A build killed at any point leaves every output either as it was or as it will be, never
truncated (atomic temp-file + rename writes)."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

RULE = """\
AnalysisType: rule
RuleID: K.{i}
Enabled: true
LogTypes: [AWS.CloudTrail]
Severity: {sev}
Detection:
  - KeyPath: eventName
    Condition: Equals
    Value: X{i}
"""

DRIVER = textwrap.dedent("""
    import importlib.machinery, os, signal, sys, types
    from translator.backends.base import Output, Translation
    from translator import backends, outputs

    # SIGKILL ourselves inside the KILL_AT-th file write: after the data reached the temporary
    # file, before the rename. Nothing gets to clean up, as with a real kill -9 or power loss.
    kill_at, calls = int(os.environ.get("KILL_AT", "0")), [0]
    real_replace = outputs.os.replace
    def replace(src, dst):
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)
    outputs.os.replace = replace

    class Big:
        # Large outputs so that a kill is likely to land inside a write.
        name = "sigma"
        def translate(self, rule, mappings, options):
            body = (rule.severity + "\\n") * 20000
            return Translation(rule.id, "sigma", (Output(f"sigma/{rule.id}.txt", body),))

    mod = types.ModuleType("translator.backends._big")
    mod.__spec__ = importlib.machinery.ModuleSpec("translator.backends._big", None)
    mod.BACKEND = Big()
    sys.modules["translator.backends._big"] = mod
    backends.TARGETS["sigma"] = "translator.backends._big"
    from translator.cli import main
    main(sys.argv[1:], prog_name="rulec")
""")


def write_rules(d, sev, n):
    for i in range(n):
        (d / f"r{i}.yml").write_text(RULE.format(i=i, sev=sev))


@pytest.mark.parametrize("kill_at", [1, 12])
def test_killed_build_leaves_old_or_new_files(tmp_path, kill_at):
    pytest.importorskip("translator.frontends.simple_detection")
    n = 20
    rules, out = tmp_path / "rules", tmp_path / "out"
    rules.mkdir()
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = dict(os.environ, PYTHONPATH=os.getcwd(), RULEC_CACHE_DIR=str(tmp_path / "cache"))
    args = [sys.executable, str(driver), "build", str(rules), "-t", "sigma", "--out", str(out),
            "--no-cache", "-q"]
    write_rules(rules, "Low", n)
    subprocess.run(args, env=env, check=True, capture_output=True)
    old = ("Low\n" * 20000)
    new = ("High\n" * 20000)
    write_rules(rules, "High", n)
    proc = subprocess.run(args, env=dict(env, KILL_AT=str(kill_at)), capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    states = []
    for i in range(n):
        text = (out / f"sigma/K.{i}.txt").read_text()
        assert text in (old, new), f"K.{i}: truncated or mixed output ({len(text)} chars)"
        states.append(text == new)
    # files are written in sorted order: those before the kill are new, the rest old
    assert sum(states) == kill_at - 1, states
    # no temp files become outputs: leftovers are hidden .tmp files only
    visible = [p.name for p in (out / "sigma").iterdir() if not p.name.startswith(".")]
    assert len(visible) == n
