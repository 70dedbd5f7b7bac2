"""Exceptions of the symbolic tracer.

They derive from BaseException on purpose: rule code's ``except Exception`` must never swallow
them (handlers that could, ``except:``/``except BaseException``, are rewritten to re-raise them).
"""
from __future__ import annotations

import sys


class TracerError(BaseException):
    """The tracer cannot follow the rule here (a construct no query can express)."""

    def __init__(self, construct: str, reason: str, location: str = ""):
        super().__init__(f"{construct}: {reason}")
        self.construct = construct
        self.reason = reason
        self.location = location or user_location()

    def describe(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.construct}: {self.reason}"


class Unsupported(TracerError):
    """A construct that cannot be expressed (KV store, enrichment, wall-clock time...)."""


class PathLimit(TracerError):
    """Too many decision paths: the rule's logic is too large to enumerate."""


class Timeout(TracerError):
    """The rule ran out of its time budget (raised from a signal handler)."""


# Files compiled through the rewriting loader: used to name the rule's line in reasons.
TRACED_FILES: dict[str, str] = {}  # code filename -> short display name


def user_location(skip: int = 1) -> str:
    """``file.py:line`` of the innermost frame that runs traced (rule/helper/data model) code."""
    frame = sys._getframe(skip)
    while frame is not None:
        name = TRACED_FILES.get(frame.f_code.co_filename)
        if name is not None:
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


def as_rule_error(exc: BaseException) -> BaseException:
    """Mark an exception the tracer raises on purpose, where the real rule would raise it
    (``None.lower()``, a missing key): any other exception from tracer code is a tracer bug."""
    exc.rulec_rule_error = True  # type: ignore[attr-defined]
    return exc


_PACKAGE_DIR = __file__.rsplit("/", 1)[0] + "/"


def is_tracer_bug(exc: BaseException) -> bool:
    """An exception raised inside the tracer's own code that it did not mean to raise."""
    if getattr(exc, "rulec_rule_error", False):
        return False
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and last.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR)
