"""Diagnostics: every problem rulec reports names the file, the line where known, and what is
wrong, as one line: ``rules/x.yml:12: error: Tests[0]: missing ExpectedResult``."""
from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("error", "warning", "info")


@dataclass(frozen=True)
class Diagnostic:
    level: str
    file: str
    message: str
    line: int | None = None
    rule_id: str | None = None
    code: str = ""  # short machine-readable kind, e.g. "yaml-syntax", "unknown-key"

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.level}: {self.message}"

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


class RulecError(Exception):
    """An error about one input, carrying its Diagnostic."""

    def __init__(self, file: str, message: str, line: int | None = None, code: str = ""):
        self.diagnostic = Diagnostic("error", str(file), message, line, code=code)
        super().__init__(str(self.diagnostic))
