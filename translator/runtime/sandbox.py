"""Run untrusted Python (rule code, data models, helpers, tracers) in forked child processes.

Each call runs in its own ``os.fork()`` child, so nothing one call does (module state, patched
globals, a crash) can reach another call or the parent. In the child:

* the address space is capped (``RLIMIT_AS``, relative to what the fork inherited) and CPU time
  is capped (``RLIMIT_CPU``) as a backstop to the parent's wall-clock timeout;
* socket creation raises ``PermissionError`` (no network);
* ``os.kill``/``os.killpg`` raise ``PermissionError``; the child dies with its parent
  (``PR_SET_PDEATHSIG``);
* file descriptors 1 and 2 go to a temporary file, so a rule that prints (even with
  ``os.write(1, ...)``) cannot corrupt our output; the text comes back in ``Outcome.output``;
* stdin is ``/dev/null``; the child leads its own process group, so a timeout kills anything
  it spawned too.

The function and its argument must be picklable only for the result: the child is a fork, so
``func`` and ``arg`` are inherited, never pickled. The result is pickled back through a pipe.
A child that hangs, crashes, calls ``os._exit`` or returns something unpicklable yields an
``Outcome`` whose ``error`` says so; the others still run.
"""
from __future__ import annotations

import os
import pickle
import resource
import selectors
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

__all__ = ["Limits", "IsolatedError", "Outcome", "run_isolated", "map_isolated", "imap_isolated",
           "describe_exception", "NetworkDisabled"]

# Our own handles on process control: children replace os.kill/os.killpg with refusals, and
# the sandbox (a zygote is a child too) must still be able to stop its own children.
_kill_process, kill_group = os.kill, os.killpg
_OUTPUT_LIMIT = 64 * 1024  # bytes of captured stdout/stderr returned per call
_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # translator/


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # wall clock, per call
    memory_mb: int = 1024  # extra address space the call may map beyond what it inherited
    network: bool = False


@dataclass(frozen=True)
class IsolatedError:
    """Why a call produced no value. kind: exception | timeout | crash | exit | result."""

    kind: str
    message: str  # one line
    location: str = ""  # "file.py:12" of the innermost user frame, if known
    traceback: str = ""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    error: IsolatedError | None = None
    output: str = ""  # what the call printed (truncated)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class NetworkDisabled(PermissionError):
    pass


def _library_dirs() -> tuple:
    import sysconfig

    paths = sysconfig.get_paths()
    dirs = {paths.get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(sorted(d + os.sep for d in dirs if d))


def _is_user_file(filename: str, user_roots: Sequence[str]) -> bool:
    if filename.startswith("<"):
        return False
    if user_roots:
        return any(filename.startswith(root) for root in user_roots)
    return not filename.startswith(_library_dirs() + (_PKG_DIR + os.sep,))


def describe_exception(exc: BaseException, user_roots: Sequence[str] = ()) -> tuple[str, str]:
    """(location, message) for an exception: location is "file:line" of the innermost frame
    in user code (files under ``user_roots`` if given, else outside the stdlib, site-packages
    and rulec itself), falling back to the innermost frame."""
    message = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    message = " ".join(message.split())  # one line
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno or 0}", f"SyntaxError: {exc.msg}"
    frames = traceback.extract_tb(exc.__traceback__)
    chosen = None
    for frame in reversed(frames):
        if _is_user_file(frame.filename, user_roots):
            chosen = frame
            break
    if chosen is None and frames:
        chosen = frames[-1]
    location = f"{chosen.filename}:{chosen.lineno}" if chosen is not None else ""
    return location, message


# --------------------------------------------------------------------------- child side
def _block_network() -> None:
    import _socket
    import socket

    def refuse(*_a, **_k):
        raise NetworkDisabled("network access is disabled for rule code")

    class BlockedSocket(socket.socket):
        def __init__(self, *_a, **_k):  # pylint: disable=super-init-not-called
            refuse()

    socket.socket = BlockedSocket  # type: ignore[misc]
    _socket.socket = BlockedSocket  # type: ignore[misc]
    for name in ("create_connection", "create_server", "socketpair", "fromfd", "getaddrinfo",
                 "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        if hasattr(socket, name):
            setattr(socket, name, refuse)


def _block_signalling() -> None:
    """Rule code has no business signalling other processes (``os.kill(os.getppid(), 9)``
    would stop rulec). A guard against the obvious calls, not a security boundary."""
    def refuse(*_a, **_k):
        raise PermissionError("sending signals is disabled for rule code")

    os.kill = refuse  # type: ignore[assignment]
    os.killpg = refuse  # type: ignore[assignment]


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _apply_limits(limits: Limits) -> None:
    if limits.memory_mb:
        cap = _vm_bytes() + limits.memory_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        except (ValueError, OSError):
            pass  # an existing lower hard limit stays in force
    cpu = int(limits.timeout_s) + 2
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY or hard > cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    except (ValueError, OSError):
        pass
    if not limits.network:
        _block_network()
    _block_signalling()


_PRCTL: list = []  # [libc.prctl] once resolved (in the parent, so children need not)


def _prepare_parent() -> None:
    """Import in the parent, once, what every child needs, instead of once per child."""
    if _PRCTL:
        return
    import socket  # noqa: F401 - imported for the children's network block

    try:
        import ctypes

        _PRCTL.append(ctypes.CDLL(None, use_errno=True).prctl)
    except (OSError, AttributeError, ImportError):
        _PRCTL.append(None)


def _die_with_parent() -> None:
    """Linux: have the kernel kill this process when its parent dies, so no call outlives
    the run that started it (e.g. after Ctrl-C, or a killed zygote)."""
    _prepare_parent()
    if _PRCTL[0] is not None:
        _PRCTL[0](1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def enter_sandbox(limits: Limits, out_fd: int) -> None:
    """Turn the current (freshly forked) process into a sandbox: own process group, stdin from
    /dev/null, stdout/stderr to ``out_fd``, resource limits, no network."""
    os.setpgid(0, 0)
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stdin = open(0, "r", encoding="utf-8", closefd=False)  # noqa: SIM115
    _apply_limits(limits)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _child_main(func: Callable, arg: Any, limits: Limits, write_fd: int, out_file) -> None:
    """Runs in the forked child; never returns."""
    status = 0
    try:
        enter_sandbox(limits, out_file.fileno())
        try:
            payload = ("ok", func(arg))
        except BaseException as exc:  # user code may raise anything, SystemExit included
            location, message = describe_exception(exc)
            payload = ("err", IsolatedError("exception", message, location,
                                            "".join(traceback.format_exception(exc))[-8000:]))
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - any pickling failure is reported, not raised
            data = pickle.dumps(("err", IsolatedError(
                "result", f"result could not be sent back: {type(exc).__name__}: {exc}")))
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        write_all(write_fd, data)
    except BaseException:  # noqa: BLE001 - the child must reach os._exit whatever happens
        status = 70
    finally:
        os._exit(status)


# --------------------------------------------------------------------------- parent side
@dataclass
class _Running:
    index: int
    pid: int
    read_fd: int
    out_file: Any
    started: float
    deadline: float
    chunks: list
    limits: Limits


def _start(index: int, func: Callable, arg: Any, limits: Limits) -> _Running:
    _prepare_parent()
    out_file = tempfile.TemporaryFile()
    read_fd, write_fd = os.pipe()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # or the child would flush the parent's pending output a second time
        except Exception:  # noqa: BLE001
            pass
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child_main(func, arg, limits, write_fd, out_file)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    now = time.monotonic()
    return _Running(index, pid, read_fd, out_file, now, now + limits.timeout_s, [], limits)


def _kill(run: _Running) -> None:
    for target in (lambda: kill_group(run.pid, signal.SIGKILL),
                   lambda: _kill_process(run.pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def _read_output(out_file) -> str:
    try:
        out_file.seek(0)
        data = out_file.read(_OUTPUT_LIMIT + 1)
    finally:
        out_file.close()
    text = data[:_OUTPUT_LIMIT].decode("utf-8", errors="replace")
    return text + ("\n... (output truncated)" if len(data) > _OUTPUT_LIMIT else "")


def _finish(run: _Running, timed_out: bool) -> Outcome:
    limits = run.limits
    if timed_out:
        _kill(run)
    _, status = os.waitpid(run.pid, 0)
    os.close(run.read_fd)
    output = _read_output(run.out_file)
    duration = time.monotonic() - run.started
    if timed_out:
        error = IsolatedError("timeout", f"timed out after {limits.timeout_s:g}s")
        return Outcome(error=error, output=output, duration_s=duration)
    data = b"".join(run.chunks)
    if data:
        try:
            tag, value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001
            return Outcome(error=IsolatedError("result", f"unreadable result: {exc}"), output=output,
                           duration_s=duration)
        if tag == "ok":
            return Outcome(value=value, output=output, duration_s=duration)
        return Outcome(error=value, output=output, duration_s=duration)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        hint = " (CPU time limit)" if sig == signal.SIGXCPU else ""
        error = IsolatedError("crash", f"child process killed by signal {signal.Signals(sig).name}{hint}")
    else:
        code = os.WEXITSTATUS(status)
        error = IsolatedError("exit", f"child process exited with status {code} without a result "
                                      "(os._exit or a crash in native code)")
    return Outcome(error=error, output=output, duration_s=duration)


def imap_isolated(func: Callable, items: Iterable, *, workers: int = 2, limits: Limits = Limits(),
                  limits_of: Callable[[Any], Limits] | None = None) -> Iterator[tuple[int, Outcome]]:
    """Yield ``(index, Outcome)`` for ``func(item)`` as each call finishes, at most ``workers``
    children at a time. ``limits_of(item)``, if given, overrides ``limits`` per item."""
    pending = iter(enumerate(items))
    running: dict[int, _Running] = {}  # read fd -> run
    selector = selectors.DefaultSelector()
    workers = max(1, workers)
    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < workers:
                nxt = next(pending, None)
                if nxt is None:
                    exhausted = True
                    break
                run = _start(nxt[0], func, nxt[1], limits_of(nxt[1]) if limits_of else limits)
                running[run.read_fd] = run
                selector.register(run.read_fd, selectors.EVENT_READ)
            if not running:
                return
            now = time.monotonic()
            wait = max(0.0, min(r.deadline for r in running.values()) - now)
            finished: list[tuple[_Running, bool]] = []
            for key, _ in selector.select(timeout=wait):
                run = running[key.fd]
                try:
                    chunk = os.read(key.fd, 1 << 20)
                except BlockingIOError:
                    continue
                if chunk:
                    run.chunks.append(chunk)
                else:
                    finished.append((run, False))
            now = time.monotonic()
            done_fds = {r.read_fd for r, _ in finished}
            for run in running.values():
                if run.read_fd not in done_fds and now >= run.deadline:
                    finished.append((run, True))
            for run, timed_out in finished:
                selector.unregister(run.read_fd)
                del running[run.read_fd]
                yield run.index, _finish(run, timed_out)
    finally:  # the consumer stopped early or raised: leave no child behind
        for run in running.values():
            _kill(run)
            os.waitpid(run.pid, 0)
            os.close(run.read_fd)
            run.out_file.close()
        selector.close()


def map_isolated(func: Callable, items: Iterable, *, workers: int = 2, limits: Limits = Limits(),
                 limits_of: Callable[[Any], Limits] | None = None,
                 preload: Callable[[Any], None] | None = None, preload_arg: Any = None) -> list[Outcome]:
    """``[func(item) for item in items]``, each call in its own sandboxed child; results in
    input order. With ``preload``, calls fork from a zygote that ran ``preload(preload_arg)``
    once (e.g. imported the modules every call needs); see ``zygote``."""
    items = list(items)
    if preload is not None:
        from .zygote import imap_preloaded  # zygote builds on this module

        stream = imap_preloaded(func, items, preload=preload, preload_arg=preload_arg,
                                workers=workers, limits=limits, limits_of=limits_of)
    else:
        stream = imap_isolated(func, items, workers=workers, limits=limits, limits_of=limits_of)
    results: list[Outcome | None] = [None] * len(items)
    for index, outcome in stream:
        results[index] = outcome
    return results  # type: ignore[return-value]


def run_isolated(func: Callable, arg: Any, *, limits: Limits = Limits()) -> Outcome:
    """``func(arg)`` in a sandboxed child process."""
    return map_isolated(func, [arg], workers=1, limits=limits)[0]
