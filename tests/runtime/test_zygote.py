"""Calls forked from a preloaded zygote: same outcomes as plain sandboxed calls."""
import os
import sys
import time

from translator.runtime.sandbox import Limits, map_isolated
from translator.runtime.zygote import imap_preloaded

FAST = Limits(timeout_s=2.0, memory_mb=256)


def preload_probe(value):
    probe = type(sys)("zygote_probe")
    probe.value, probe.pid, probe.calls = value, os.getpid(), []
    sys.modules["zygote_probe"] = probe


def read_probe(x):
    probe = sys.modules.get("zygote_probe")
    if probe is None:
        return (x, None, None)
    probe.calls.append(x)  # must not be visible to the next call
    return (x, probe.value, len(probe.calls))


def run(func, items, **kw):
    kw.setdefault("limits", FAST)
    return dict(imap_preloaded(func, items, **kw))


def test_calls_see_the_preload_but_not_each_other():
    out = run(read_probe, [1, 2, 3], preload=preload_probe, preload_arg="loaded", workers=2)
    assert [out[i].value for i in range(3)] == [(1, "loaded", 1), (2, "loaded", 1), (3, "loaded", 1)]
    assert "zygote_probe" not in sys.modules  # nothing ran in this process


def test_a_failing_preload_falls_back_to_plain_calls():
    def bad_preload(_):
        raise ImportError("helper broken")

    out = run(read_probe, [1, 2], preload=bad_preload)
    assert [out[i].value for i in range(2)] == [(1, None, None), (2, None, None)]


def test_a_hanging_preload_falls_back_after_its_timeout():
    def hang(_):
        while True:
            pass

    t0 = time.monotonic()
    out = run(read_probe, [1], preload=hang, preload_timeout=0.5)
    assert out[0].value == (1, None, None) and time.monotonic() - t0 < 5


def test_hostile_calls_fail_alone_under_a_zygote():
    def hostile(x):
        if x == "exit":
            os._exit(2)
        if x == "loop":
            while True:
                pass
        return x

    out = run(hostile, ["a", "exit", "loop", "b"], preload=preload_probe,
              limits=Limits(timeout_s=0.5), workers=2)
    assert out[0].value == "a" and out[3].value == "b"
    assert out[1].error.kind == "exit" and out[2].error.kind == "timeout"


def test_a_zygote_that_dies_mid_run_leaves_the_rest_to_plain_calls():
    def kill_zygote(x):
        probe = sys.modules.get("zygote_probe")  # present only under the zygote
        if x == 0 and probe is not None:
            os.system(f"kill -9 {probe.pid}")  # os.kill itself is refused in the sandbox
            time.sleep(1)
        return x

    out = run(kill_zygote, [0, 1, 2, 3], preload=preload_probe, workers=1)
    assert [out[i].value for i in (1, 2, 3)] == [1, 2, 3]
    assert 0 in out  # reported too: either its result or an error, never missing


def test_map_isolated_accepts_a_preload():
    outcomes = map_isolated(read_probe, [5, 6], preload=preload_probe, preload_arg="p", limits=FAST)
    assert [o.value for o in outcomes] == [(5, "p", 1), (6, "p", 1)]
