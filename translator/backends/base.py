"""What every backend (one module per target) produces, so that `rulec build`, `verify`, `diff`
and the reports treat all targets alike.

A backend module exposes ``BACKEND``, an object with:

* ``name``: the target name used on the command line (``athena``, ``sigma``, ``kql``, ...);
* ``translate(rule, mappings, options) -> Translation``: one rule, never raising for a rule the
  target cannot express (that is a Finding); raising only for rulec bugs;
* optionally ``package(translations, options) -> list[Output]``: whole-build files
  (a Splunk app's savedsearches.conf, a combined Sigma collection...).

Verdicts per rule x target: ``exact`` (every construct expressed with the rule's meaning),
``partial`` (the query was emitted but some construct could not be expressed: findings name
it), ``unsupported`` (no query could be emitted), ``error`` (rulec failed on this rule).
"""
from __future__ import annotations

from dataclasses import dataclass, field

VERDICTS = ("exact", "partial", "unsupported", "error")
_RANK = {v: i for i, v in enumerate(VERDICTS)}


@dataclass(frozen=True)
class Finding:
    """A construct a target cannot express for a rule (or a mapping fallback), with why."""

    construct: str  # e.g. "regex lookbehind", "unmapped field requestParameters.foo"
    reason: str
    severity: str = "partial"  # partial | unsupported | warning
    location: str = ""  # "rule.py:12" where known

    def __str__(self) -> str:
        where = f" ({self.location})" if self.location else ""
        return f"{self.severity}: {self.construct}: {self.reason}{where}"


@dataclass(frozen=True)
class Output:
    path: str  # relative to the build's output directory, '/'-separated
    text: str


@dataclass(frozen=True)
class Translation:
    rule_id: str
    target: str
    outputs: tuple = ()  # Output
    findings: tuple = ()  # Finding
    query: str = ""  # the bare query text (what engines check), when the target has one
    error: str = ""

    @property
    def verdict(self) -> str:
        if self.error:
            return "error"
        if any(f.severity == "unsupported" for f in self.findings) or not self.outputs:
            return "unsupported"
        if any(f.severity == "partial" for f in self.findings):
            return "partial"
        return "exact"


def worst(verdicts) -> str:
    """The least favourable verdict of several (exact < partial < unsupported < error)."""
    out = "exact"
    for v in verdicts:
        if _RANK[v] > _RANK[out]:
            out = v
    return out


@dataclass
class BuildOptions:
    strict: bool = False
    dialect: str = ""  # SQL dialect for athena (athena default)
    since: str = ""  # time window override
    extra: dict = field(default_factory=dict)
    # Every loaded rule by id: correlation rules build their steps from their sub-rules.
    rules: dict = field(default_factory=dict, compare=False, repr=False)


def unsupported(rule, target: str, why: str) -> Translation:
    """No output for ``rule`` on ``target``, and why."""
    return Translation(rule.id, target, (), (Finding("rule", why, "unsupported"),))


def streaming_detection(rule, target: str, who: str):
    """(detection, None) for a streaming rule the per-event backends (Sigma, SPL, YARA-L)
    lower: its InlineFilters AND Detection; or (None, refusal) when it is not a streaming
    rule, has no usable extracted detection, or names no LogTypes."""
    from ..testing import effective_detection

    if rule.analysis_type != "rule":
        return None, unsupported(rule, target, f"{rule.analysis_type} ({who} translates "
                                 "streaming rules)")
    expr = effective_detection(rule)
    if expr is None:
        return None, unsupported(rule, target, "the rule has no extracted detection")
    if not rule.log_types:
        return None, unsupported(rule, target, "the rule has no LogTypes")
    return expr, None
