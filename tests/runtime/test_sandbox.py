"""The generic isolation primitive: hostile calls fail alone, with a clear error."""
import os
import sys
import time

from translator.runtime.sandbox import Limits, map_isolated, run_isolated

FAST = Limits(timeout_s=2.0, memory_mb=256)


def square(x):
    return x * x


def test_values_come_back_in_order():
    outcomes = map_isolated(square, range(6), workers=3, limits=FAST)
    assert [o.value for o in outcomes] == [0, 1, 4, 9, 16, 25]
    assert all(o.ok and o.error is None for o in outcomes)


def test_state_does_not_leak_between_calls():
    def bump(_):
        sys.modules.setdefault("leak_probe", type(sys)("leak_probe")).count = \
            getattr(sys.modules.get("leak_probe"), "count", 0) + 1
        return sys.modules["leak_probe"].count

    assert [o.value for o in map_isolated(bump, range(3), workers=1, limits=FAST)] == [1, 1, 1]
    assert "leak_probe" not in sys.modules


def test_exception_names_file_and_line():
    def boom(_):
        raise ValueError("bad value")

    out = run_isolated(boom, None, limits=FAST)
    assert not out.ok and out.error.kind == "exception"
    assert out.error.message == "ValueError: bad value"
    assert out.error.location.startswith(__file__ + ":")
    assert str(out.error).endswith("ValueError: bad value")


def test_infinite_loop_times_out_and_others_still_run():
    def maybe_hang(x):
        while x == 1:
            pass
        return x

    t0 = time.monotonic()
    outcomes = map_isolated(maybe_hang, [0, 1, 2], workers=2, limits=Limits(timeout_s=0.5))
    assert time.monotonic() - t0 < 5
    assert outcomes[0].value == 0 and outcomes[2].value == 2
    assert outcomes[1].error.kind == "timeout" and "timed out after 0.5s" in outcomes[1].error.message


def test_os_exit_is_reported():
    out = run_isolated(lambda _: os._exit(3), None, limits=FAST)
    assert out.error.kind == "exit" and "status 3" in out.error.message


def test_system_exit_is_an_exception_not_an_exit():
    out = run_isolated(lambda _: sys.exit(5), None, limits=FAST)
    assert out.error.kind == "exception" and "SystemExit" in out.error.message


def test_crash_by_signal_is_reported():
    def segfault(_):
        import ctypes

        return ctypes.string_at(0)

    out = run_isolated(segfault, None, limits=FAST)
    assert out.error.kind == "crash" and "SIGSEGV" in out.error.message


def test_rule_code_cannot_signal_rulec():
    out = run_isolated(lambda _: os.kill(os.getppid(), 9), None, limits=FAST)
    assert "sending signals is disabled" in out.error.message


def test_printing_is_captured_not_leaked(capfd):
    def noisy(_):
        print("to stdout")
        print("to stderr", file=sys.stderr)
        os.write(1, b"raw fd write\n")
        return "done"

    out = run_isolated(noisy, None, limits=FAST)
    assert out.value == "done"
    assert "to stdout" in out.output and "to stderr" in out.output and "raw fd write" in out.output
    captured = capfd.readouterr()
    assert "to stdout" not in captured.out and "raw fd write" not in captured.out


def test_huge_allocation_hits_the_memory_limit():
    def hog(_):
        return len(bytearray(2 * 1024 ** 3))

    out = run_isolated(hog, None, limits=Limits(timeout_s=5, memory_mb=128))
    assert not out.ok and "MemoryError" in str(out.error)


def test_network_is_blocked():
    def connect(_):
        import socket

        socket.socket(socket.AF_INET, socket.SOCK_STREAM)

    out = run_isolated(connect, None, limits=FAST)
    assert not out.ok and "NetworkDisabled" in out.error.message

    def resolve(_):
        import socket

        return socket.getaddrinfo("example.com", 80)

    assert "network access is disabled" in run_isolated(resolve, None, limits=FAST).error.message


def test_network_can_be_allowed():
    def make(_):
        import socket

        with socket.socket(socket.AF_INET, socket.SOCK_STREAM):
            return "ok"

    assert run_isolated(make, None, limits=Limits(timeout_s=2, network=True)).value == "ok"


def test_unpicklable_result_is_an_error():
    out = run_isolated(lambda _: (lambda: 1), None, limits=FAST)
    assert out.error.kind == "result" and "could not be sent back" in out.error.message


def test_spawned_children_die_with_a_timed_out_call(tmp_path):
    marker = tmp_path / "alive"

    def spawn_and_hang(_):
        import subprocess

        subprocess.Popen([sys.executable, "-c",
                          f"import time; time.sleep(0.7); open({str(marker)!r}, 'w').write('x')"])
        time.sleep(60)

    out = run_isolated(spawn_and_hang, None, limits=Limits(timeout_s=0.5))
    assert out.error.kind == "timeout"
    time.sleep(1.2)
    assert not marker.exists()


def test_per_item_limits():
    def sleep(item):
        time.sleep(item[0])
        return item[0]

    outcomes = map_isolated(sleep, [(0.3, 0.1), (0.3, 5.0)], workers=2,
                            limits_of=lambda item: Limits(timeout_s=item[1]))
    assert outcomes[0].error.kind == "timeout" and outcomes[1].value == 0.3


def test_large_results_do_not_deadlock():
    out = run_isolated(lambda n: "x" * n, 5_000_000, limits=FAST)
    assert out.ok and len(out.value) == 5_000_000
