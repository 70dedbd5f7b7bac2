"""Panther YAML loader: analysis files (rules, scheduled rules, correlation rules, global
helpers, data models) from one file or a whole tree, into canonical ``Rule`` objects.

Layout understood: the public panther-analysis repository (``rules/``, ``global_helpers/``,
``data_models/``, ``correlation_rules/``) and any tree that keeps global helpers and data
models in directories named ``global_helpers`` / ``data_models`` at or above the rules.

Every problem is a Diagnostic naming the file and line; one bad file never stops the others.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..diagnostics import Diagnostic
from ..model import SEVERITIES, Mock, MitreRef, Rule, RuleTest

# Keys Panther documents per analysis type (panther_analysis_tool schemas + Panther docs).
_RULE_KEYS = {
    "AnalysisType", "Filename", "RuleID", "DisplayName", "Enabled", "LogTypes", "ScheduledQueries",
    "Tags", "Reports", "Severity", "DedupPeriodMinutes", "Threshold", "Description", "Runbook",
    "Reference", "SummaryAttributes", "Tests", "InlineFilters", "Detection", "AlertTitle",
    "AlertContext", "GroupBy", "DynamicSeverities", "CreateAlert", "OutputIds", "Suppressions",
    "OnlyUseBaseRiskScore", "CreatedBy", "Status", "BaseVersion", "BaseDetection",
}
_CORRELATION_KEYS = _RULE_KEYS - {"Filename", "LogTypes", "ScheduledQueries", "InlineFilters"}
_TEST_KEYS = {"Name", "ExpectedResult", "Log", "Mocks", "ExpectedDestinations", "LogType",
              "RuleOutputs", "Resource"}
RULE_TYPES = ("rule", "scheduled_rule", "correlation_rule")
OTHER_TYPES = ("global", "datamodel", "policy", "pack", "saved_query", "scheduled_query",
               "lookup_table", "scheduled_prompt")
_MITRE_RE = re.compile(r"^(TA\d{4})(?::(T\d{4}(?:\.\d{3})?))?$")
_SKIP_DIRS = {"__pycache__", "node_modules", ".git", ".venv", "venv", ".tox"}


# --------------------------------------------------------------------------- YAML with lines
class LineDict(dict):
    """A dict that remembers the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict


# libyaml's C parser when available (5-10x faster on the corpus' large test logs).
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable mapping key {key!r}", key_node.start_mark)
        if key in out:
            loader.duplicate_keys.append((key, key_node.start_mark.line + 1))
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


class TextFloat(float):
    """A YAML float that remembers its source text: ``CIS: [3.10]`` stays "3.10" in Reports."""

    text: str = ""

    def __str__(self) -> str:
        return self.text or float.__repr__(self)


def _construct_float(loader: _LineLoader, node: yaml.ScalarNode) -> float:
    value = TextFloat(loader.construct_yaml_float(node))
    value.text = node.value
    return value


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


# Scalars as panther_analysis_tool reads them (YAML 1.2, its ruamel heritage), not PyYAML's
# YAML 1.1: only true/false are booleans (a test log's `policy: off` is the string "off"),
# leading-zero integers are decimal, 1:30:00 and unquoted dates stay text.
def _construct_yaml12_bool(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    return text.lower() == "true" if text.lower() in ("true", "false") else text


def _construct_yaml12_int(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if ":" in text:
        return text
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    base = {"0x": 16, "0X": 16, "0b": 2, "0B": 2}.get(digits[:2])
    return sign * (int(digits[2:], base) if base else int(digits, 10))


_LineLoader.add_constructor("tag:yaml.org,2002:bool", _construct_yaml12_bool)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_yaml12_int)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _LineLoader.construct_scalar)


def read_yaml(path: Path) -> tuple[Any, list[tuple[str, int]]]:
    """Parse a YAML file keeping line numbers; returns (document, duplicate keys)."""
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8")
    loader = _LineLoader(text)
    loader.duplicate_keys = []
    try:
        return loader.get_single_data(), loader.duplicate_keys
    finally:
        loader.dispose()


def _yaml_error(path: Path, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Diagnostic("error", str(path), f"invalid YAML: {problem}",
                      mark.line + 1 if mark else None, code="yaml-syntax")


# --------------------------------------------------------------------------- results
@dataclass
class LoadResult:
    rules: list[Rule] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    helper_dirs: list[Path] = field(default_factory=list)  # dirs with global helper modules
    data_model_files: list[Path] = field(default_factory=list)  # datamodel YAML files
    skipped: dict = field(default_factory=dict)  # analysis type -> count (policies, queries...)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    def add_dir(self, kind: str, path: Path) -> None:
        target = self.helper_dirs if kind == "helper" else self.data_model_files
        if path not in target:
            target.append(path)


# --------------------------------------------------------------------------- discovery
def _yaml_files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".yml", ".yaml")):
                yield Path(dirpath) / name


def _support_dirs(start: Path) -> Iterable[Path]:
    """Directories named global_helpers / data_models at or above ``start`` (and beside it)."""
    seen = set()
    for base in [start, *start.parents]:
        for name in ("global_helpers", "data_models"):
            cand = base / name
            if cand.is_dir() and cand not in seen:
                seen.add(cand)
                yield cand
        if (base / ".git").exists():
            break


def load_tree(paths: Iterable[str | os.PathLike]) -> LoadResult:
    """Load every analysis file under ``paths`` (files or directories)."""
    result = LoadResult()
    files: list[Path] = []
    support: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            result.diagnostics.append(Diagnostic("error", str(path), "no such file or directory",
                                                 code="not-found"))
            continue
        if path.is_dir():
            files.extend(_yaml_files(path))
            support.extend(_support_dirs(path.resolve()))
        else:
            files.append(path)
            support.extend(_support_dirs(path.resolve().parent))
    # helpers and data models outside the given paths (e.g. `rulec test rules/aws/x.yml`)
    known = {f.resolve() for f in files}
    for d in support:
        for f in _yaml_files(d):
            if f.resolve() not in known:
                known.add(f.resolve())
                files.append(f)
    seen_ids: dict[str, str] = {}
    for f in files:
        _load_file(f, result, seen_ids, explicit=True)
    if any(r.correlation is not None for r in result.rules):
        from .correlation import check_references
        result.diagnostics.extend(check_references(result.rules))
    return result


# --------------------------------------------------------------------------- one file
def _load_file(path: Path, result: LoadResult, seen_ids: dict[str, str], explicit: bool) -> None:
    try:
        doc, dups = read_yaml(path)
    except yaml.YAMLError as exc:
        result.diagnostics.append(_yaml_error(path, exc))
        return
    except (OSError, UnicodeDecodeError) as exc:
        result.diagnostics.append(Diagnostic("error", str(path), f"cannot read file: {exc}",
                                             code="io"))
        return
    if not isinstance(doc, dict) or "AnalysisType" not in doc:
        # Not a Panther analysis file (CI configs, packs of other tools...): say so quietly.
        result.diagnostics.append(Diagnostic("info", str(path), "not a Panther analysis file "
                                             "(no AnalysisType); skipped", code="not-analysis"))
        return
    for key, line in dups:
        result.diagnostics.append(Diagnostic("warning", str(path), f"duplicate key {key!r}; the "
                                             "last value wins", line, code="duplicate-key"))
    kind = doc.get("AnalysisType")
    if kind == "global":
        _check_helper(path, doc, result)
        result.add_dir("helper", path.parent.resolve())
        return
    if kind == "datamodel":
        result.add_dir("datamodel", path.resolve())
        return
    if kind in OTHER_TYPES:
        result.skipped[kind] = result.skipped.get(kind, 0) + 1
        return
    if kind not in RULE_TYPES:
        result.diagnostics.append(Diagnostic(
            "error", str(path), f"AnalysisType {kind!r} is not one of "
            f"{', '.join(RULE_TYPES + OTHER_TYPES)}", doc.key_lines.get("AnalysisType"),
            code="bad-type"))
        return
    diags: list[Diagnostic] = []
    rule = _build_rule(path, doc, diags)
    result.diagnostics.extend(diags)
    if rule is None:
        return
    if rule.id in seen_ids:
        result.diagnostics.append(Diagnostic(
            "error", str(path), f"RuleID {rule.id!r} already defined in {seen_ids[rule.id]}",
            doc.key_lines.get("RuleID"), rule.id, code="duplicate-id"))
        return
    seen_ids[rule.id] = str(path)
    result.rules.append(rule)


def _check_helper(path: Path, doc: LineDict, result: LoadResult) -> None:
    fname = doc.get("Filename")
    if not isinstance(fname, str) or not (path.parent / fname).is_file():
        result.diagnostics.append(Diagnostic(
            "error", str(path), f"global helper Filename {fname!r} not found next to it",
            doc.key_lines.get("Filename", doc.line), code="missing-file"))


class _Collector:
    """Collects diagnostics for one file with typed getters for its keys."""

    def __init__(self, path: Path, doc: LineDict, diags: list[Diagnostic]):
        self.path, self.doc, self.diags = path, doc, diags
        self.rule_id: str | None = None
        self.failed = False

    def line(self, key: str) -> int | None:
        return self.doc.key_lines.get(key, self.doc.line or None)

    def error(self, message: str, key: str | None = None, line: int | None = None, code: str = ""):
        self.failed = True
        self.diags.append(Diagnostic("error", str(self.path), message,
                                     line or (self.line(key) if key else None), self.rule_id, code))

    def warn(self, message: str, key: str | None = None, line: int | None = None, code: str = ""):
        self.diags.append(Diagnostic("warning", str(self.path), message,
                                     line or (self.line(key) if key else None), self.rule_id, code))

    def get(self, key: str, kind: type | tuple, default: Any = None, required: bool = False) -> Any:
        if key not in self.doc or self.doc[key] is None:
            if required:
                self.error(f"missing required key {key}", code="missing-key")
            return default
        value = self.doc[key]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.error(f"{key} must be {names}, got {type(value).__name__}", key, code="bad-type")
            return default
        return value

    def str_list(self, key: str) -> tuple:
        value = self.get(key, (list, str), ())
        if isinstance(value, str):
            value = [value]
        out = []
        for item in value:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                out.append(str(item))
            else:
                self.error(f"{key} entries must be strings, got {item!r}", key, code="bad-type")
        return tuple(out)


def _build_rule(path: Path, doc: LineDict, diags: list[Diagnostic]) -> Rule | None:
    c = _Collector(path, doc, diags)
    kind = doc["AnalysisType"]
    rule_id = c.get("RuleID", str, required=True)
    c.rule_id = rule_id
    known = _CORRELATION_KEYS if kind == "correlation_rule" else _RULE_KEYS
    for key in doc:
        if key not in known:
            c.warn(f"unknown key {key!r} for a {kind}; ignored", key, code="unknown-key")

    enabled = c.get("Enabled", bool, True)
    severity = c.get("Severity", str, "Info", required=True)
    if severity not in SEVERITIES:
        c.error(f"Severity {severity!r} is not one of {', '.join(SEVERITIES)}", "Severity",
                code="bad-value")
    log_types = c.str_list("LogTypes")
    queries = c.str_list("ScheduledQueries")
    if kind == "rule" and not log_types and "BaseDetection" not in doc:
        c.error("a rule needs LogTypes", "AnalysisType", code="missing-key")
    if kind == "scheduled_rule" and not queries:
        c.error("a scheduled_rule needs ScheduledQueries", "AnalysisType", code="missing-key")

    python_file = ""
    py_bytes = b""
    filename = c.get("Filename", str)
    if kind != "correlation_rule" and filename is None and "Detection" not in doc \
            and "BaseDetection" not in doc:
        c.error("missing Filename (or Detection): no rule logic", code="missing-key")
    if filename is not None and "Detection" in doc:
        c.error("Filename and Detection are mutually exclusive", "Detection", code="bad-value")
    if filename is not None:
        py_path = (path.parent / filename)
        if not py_path.is_file():
            c.error(f"Filename {filename!r}: no such file next to the YAML", "Filename",
                    code="missing-file")
        else:
            python_file = str(py_path)
            py_bytes = py_path.read_bytes()
            _check_python(py_path, py_bytes, c)

    mitre, reports = _reports(c)
    tests = _tests(c)
    dedup = c.get("DedupPeriodMinutes", int, 60)
    threshold = c.get("Threshold", int, 1)
    if dedup is not None and dedup < 0:
        c.error("DedupPeriodMinutes must be >= 0", "DedupPeriodMinutes", code="bad-value")
    if threshold is not None and threshold < 1:
        c.error("Threshold must be >= 1", "Threshold", code="bad-value")

    if c.failed and rule_id is None:
        return None
    digest = hashlib.sha256(path.read_bytes() + b"\0" + py_bytes).hexdigest()
    kwargs = dict(
        id=rule_id or path.stem, analysis_type=kind,
        display_name=c.get("DisplayName", str, "") or "", enabled=enabled,
        log_types=log_types, scheduled_queries=queries, severity=severity,
        description=(c.get("Description", str, "") or "").strip(),
        runbook=(c.get("Runbook", str, "") or "").strip(),
        reference=(c.get("Reference", str, "") or "").strip(),
        tags=c.str_list("Tags"), mitre=mitre, reports=reports,
        dedup_period_minutes=dedup, threshold=threshold,
        summary_attributes=c.str_list("SummaryAttributes"), output_ids=c.str_list("OutputIds"),
        create_alert=c.get("CreateAlert", bool, True), tests=tests,
        source_file=str(path), python_file=python_file, source_hash=digest,
    )
    kwargs.update(_yaml_logic(c))
    if c.failed:
        return None
    return Rule(**kwargs)


def _check_python(py_path: Path, source: bytes, c: _Collector) -> None:
    try:
        ast.parse(source, filename=str(py_path))
    except SyntaxError as exc:
        c.failed = True
        c.diags.append(Diagnostic("error", str(py_path), f"Python syntax error: {exc.msg}",
                                  exc.lineno, c.rule_id, code="python-syntax"))
    except ValueError as exc:  # NUL bytes
        c.failed = True
        c.diags.append(Diagnostic("error", str(py_path), f"cannot parse Python: {exc}", None,
                                  c.rule_id, code="python-syntax"))


def _reports(c: _Collector) -> tuple[tuple, tuple]:
    reports = c.get("Reports", dict, {}) or {}
    mitre: list[MitreRef] = []
    other: list[tuple] = []
    for framework, ids in reports.items():
        if not isinstance(ids, list):
            ids = [ids]
        if str(framework).strip().upper() == "MITRE ATT&CK":
            for item in ids:
                m = _MITRE_RE.match(str(item).strip())
                if not m:
                    c.warn(f"Reports.MITRE ATT&CK entry {item!r} is not TAxxxx:Txxxx[.xxx]",
                           "Reports", code="bad-mitre")
                    continue
                ref = MitreRef(m.group(1), m.group(2) or "")
                if ref not in mitre:
                    mitre.append(ref)
        else:
            other.append((str(framework), tuple(str(i) for i in ids)))
    return tuple(mitre), tuple(other)


def _tests(c: _Collector) -> tuple:
    raw = c.get("Tests", list, []) or []
    out = []
    for i, t in enumerate(raw):
        where = f"Tests[{i}]"
        line = getattr(t, "line", None) or c.line("Tests")
        if not isinstance(t, dict):
            c.error(f"{where}: a test must be a mapping", line=line, code="bad-test")
            continue
        name = t.get("Name")
        where = f"Tests[{i}] ({name!r})" if name else where
        for key in t:
            if key not in _TEST_KEYS:
                c.warn(f"{where}: unknown test key {key!r}; ignored", line=t.key_lines.get(key, line),
                       code="unknown-key")
        if not isinstance(name, str) or not name:
            c.error(f"{where}: missing Name", line=line, code="bad-test")
            continue
        expected = t.get("ExpectedResult")
        if not isinstance(expected, bool):
            c.error(f"{where}: ExpectedResult must be true or false, got {expected!r}",
                    line=t.key_lines.get("ExpectedResult", line), code="bad-test")
            continue
        if c.doc.get("AnalysisType") == "correlation_rule":
            log = {"RuleOutputs": t.get("RuleOutputs", [])}
        else:
            if "Log" not in t:
                c.error(f"{where}: missing Log", line=line, code="bad-test")
                continue
            log = t["Log"]
            if isinstance(log, str):
                # Panther accepts a JSON string as the Log.
                try:
                    log = json.loads(log)
                except ValueError as exc:
                    c.error(f"{where}: Log is a string but not JSON: {exc}",
                            line=t.key_lines.get("Log", line), code="bad-test")
                    continue
        mocks = []
        for m in t.get("Mocks") or []:
            if not isinstance(m, dict) or not isinstance(m.get("objectName"), str) \
                    or "returnValue" not in m:
                c.error(f"{where}: each Mock needs objectName and returnValue, got {m!r}",
                        line=t.key_lines.get("Mocks", line), code="bad-test")
                continue
            mocks.append(Mock(m["objectName"], m["returnValue"]))
        out.append(RuleTest.make(name, expected, log, mocks))
    return tuple(out)


def _yaml_logic(c: _Collector) -> dict:
    """Detection, InlineFilters, AlertTitle, AlertContext, GroupBy, DynamicSeverities and
    correlation Detection, lowered by the simple-detection frontend."""
    keys = ("Detection", "InlineFilters", "AlertTitle", "AlertContext", "GroupBy",
            "DynamicSeverities")
    if not any(k in c.doc for k in keys):
        return {}
    try:  # imported only for files that need it
        from .simple_detection import lower_rule_keys
    except ImportError:
        present = ", ".join(k for k in keys if k in c.doc)
        c.error(f"{present}: YAML detections are not supported by this build of rulec",
                next(k for k in keys if k in c.doc), code="unsupported")
        return {}
    return lower_rule_keys(c)
