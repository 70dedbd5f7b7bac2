"""Sandboxed calls forked from a preloaded "zygote" process.

Importing what rule code imports (global helpers, boto3, policyuniverse...) costs more than
running most rules. A zygote is a sandboxed child that runs ``preload(arg)`` once (user code,
hence in a child) and then forks every call from itself, so each call starts with those
modules already imported, yet still in a fresh process: nothing one call does reaches the
next. Results stream back to the parent as length-prefixed pickles.

If the preload fails, hangs, or the zygote dies, the calls it has not reported are run the
plain way (forked from the parent by ``sandbox.imap_isolated``), so the outcome of a call
never depends on the zygote.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import tempfile
import time
from typing import Any, Callable, Iterator

from .sandbox import Limits, Outcome, enter_sandbox, imap_isolated, kill_group, write_all

__all__ = ["imap_preloaded"]

_HEADER = struct.Struct("!Q")


class _PreloadTimeout(BaseException):
    pass


def _zygote_main(preload: Callable, preload_arg: Any, preload_timeout: float, func: Callable,
                 items: list, workers: int, limits: Limits, limits_of, write_fd: int) -> None:
    status = 0
    try:
        with tempfile.TemporaryFile() as out:
            zygote_limits = Limits(timeout_s=1e9, memory_mb=limits.memory_mb * 2,
                                   network=limits.network)
            enter_sandbox(zygote_limits, out.fileno())

            def on_alarm(_signum, _frame):
                raise _PreloadTimeout()

            signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, preload_timeout)
            try:
                preload(preload_arg)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
            for index, outcome in imap_isolated(func, items, workers=workers, limits=limits,
                                                limits_of=limits_of):
                data = pickle.dumps((index, outcome), protocol=pickle.HIGHEST_PROTOCOL)
                write_all(write_fd, _HEADER.pack(len(data)) + data)
    except BaseException:  # noqa: BLE001 - whatever happened, the parent falls back
        status = 70
    finally:
        os._exit(status)


def _records(read_fd: int, idle_timeout: float) -> Iterator[tuple[int, Outcome]]:
    """Decode records until EOF; stop early if nothing arrives for ``idle_timeout``."""
    buffer = b""
    deadline = time.monotonic() + idle_timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([read_fd], [], [], remaining)[0]:
            return
        chunk = os.read(read_fd, 1 << 20)
        if not chunk:
            return
        buffer += chunk
        while len(buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer)
            if len(buffer) < _HEADER.size + size:
                break
            record = buffer[_HEADER.size:_HEADER.size + size]
            buffer = buffer[_HEADER.size + size:]
            deadline = time.monotonic() + idle_timeout
            yield pickle.loads(record)


def imap_preloaded(func: Callable, items: list, *, preload: Callable, preload_arg: Any = None,
                   preload_timeout: float = 60.0, workers: int = 2, limits: Limits = Limits(),
                   limits_of: Callable[[Any], Limits] | None = None) -> Iterator[tuple[int, Outcome]]:
    """Like ``sandbox.imap_isolated`` but every call is forked from a zygote that ran
    ``preload(preload_arg)`` first."""
    items = list(items)
    longest = max((limits_of(i) if limits_of else limits).timeout_s for i in items) if items else 0
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _zygote_main(preload, preload_arg, preload_timeout, func, items, workers, limits,
                     limits_of, write_fd)
    os.close(write_fd)
    reported: set[int] = set()
    try:
        # Between two results at most one call's timeout passes (plus the preload at first).
        for index, outcome in _records(read_fd, preload_timeout + longest + 10.0):
            reported.add(index)
            yield index, outcome
    finally:
        os.close(read_fd)
        try:
            kill_group(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        os.waitpid(pid, 0)
    rest = [i for i in range(len(items)) if i not in reported]
    if rest:
        for j, outcome in imap_isolated(func, [items[i] for i in rest], workers=workers,
                                        limits=limits, limits_of=limits_of):
            yield rest[j], outcome
