"""Panther data models: loading the YAML specs (parent side, no user code) and building the
runtime object ``PantherEvent.udm`` uses (child side: it imports the model's Python file).

A data model YAML::

    AnalysisType: datamodel
    DataModelID: Standard.AWS.CloudTrail
    LogTypes: [AWS.CloudTrail]
    Filename: aws_cloudtrail_data_model.py      # needed only for Method mappings
    Enabled: true
    Mappings:
      - Name: source_ip
        Method: load_ip_address                  # a function in Filename
      - Name: user
        Path: $.responseElements.user.userName   # JSONPath (jsonpath-ng "ext" dialect, as Panther)

Only enabled models are registered; a log type claimed by two enabled models keeps the first
(files in sorted order) and the conflict is reported, as panther_analysis_tool does.
"""
from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

__all__ = ["MappingSpec", "DataModelSpec", "DataModelRegistry", "DataModel", "DataModelError",
           "load_data_models", "load_data_models_cached", "build_data_model"]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataModelError(Exception):
    """A data model that cannot be used; the message names file and line."""


@dataclass(frozen=True)
class MappingSpec:
    name: str
    path: str = ""  # JSONPath text
    method: str = ""  # function name in the model's Python file
    line: int = 0  # 1-based line of the mapping in the YAML


@dataclass(frozen=True)
class DataModelSpec:
    id: str
    log_types: tuple
    mappings: tuple  # MappingSpec
    python_file: str = ""  # resolved path of Filename, "" if none
    enabled: bool = True
    source_file: str = ""

    def location(self, line: int = 0) -> str:
        return f"{self.source_file}:{line}" if line else self.source_file


@dataclass(frozen=True)
class DataModelRegistry:
    """Enabled data models by log type, plus one-line errors for the specs that were rejected."""

    models: tuple = ()  # DataModelSpec, enabled and valid, in load order
    errors: tuple = ()  # "file:line: message"
    _by_log_type: dict = field(default_factory=dict, compare=False, repr=False)

    def for_log_type(self, log_type: str) -> DataModelSpec | None:
        return self._by_log_type.get(log_type)

    @property
    def log_types(self) -> tuple:
        return tuple(self._by_log_type)


def _mark_line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 0


def _key_nodes(node: yaml.Node) -> dict:
    """Top-level key -> value node of a YAML mapping node (for line numbers)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _parse_spec(path: Path) -> DataModelSpec | None:
    """The spec in ``path``, None if the file is not a data model; raises DataModelError."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_LOADER)
        doc = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise DataModelError(f"{path}:{line}: malformed YAML: {problem}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataModelError(f"{path}: cannot read: {err}") from None
    if not isinstance(doc, dict) or str(doc.get("AnalysisType", "")).lower() != "datamodel":
        return None
    keys = _key_nodes(node)

    def fail(key: str, message: str) -> DataModelError:
        return DataModelError(f"{path}:{_mark_line(keys.get(key, node))}: {message}")

    model_id = doc.get("DataModelID")
    if not isinstance(model_id, str) or not model_id:
        raise fail("DataModelID", "DataModelID must be a non-empty string")
    log_types = doc.get("LogTypes")
    if not isinstance(log_types, list) or not log_types or not all(isinstance(t, str) for t in log_types):
        raise fail("LogTypes", "LogTypes must be a non-empty list of log type names")
    enabled = doc.get("Enabled", True)
    if not isinstance(enabled, bool):
        raise fail("Enabled", f"Enabled must be true or false, not {enabled!r}")
    python_file = ""
    if doc.get("Filename") is not None:
        python_file = str(path.parent / str(doc["Filename"]))
        if not os.path.isfile(python_file):
            raise fail("Filename", f"Filename {doc['Filename']!r} does not exist next to the YAML")
    raw_mappings = doc.get("Mappings")
    if not isinstance(raw_mappings, list):
        raise fail("Mappings", "Mappings must be a list of {Name, Path|Method}")
    mapping_nodes = keys["Mappings"].value if isinstance(keys.get("Mappings"), yaml.SequenceNode) else []
    mappings = []
    for i, raw in enumerate(raw_mappings):
        line = _mark_line(mapping_nodes[i]) if i < len(mapping_nodes) else 0
        mappings.append(_parse_mapping(path, line, raw, python_file))
    return DataModelSpec(model_id, tuple(log_types), tuple(mappings), python_file, enabled, str(path))


def _parse_mapping(path: Path, line: int, raw: Any, python_file: str) -> MappingSpec:
    where = f"{path}:{line}"
    if not isinstance(raw, dict) or not isinstance(raw.get("Name"), str) or not raw["Name"]:
        raise DataModelError(f"{where}: a mapping needs a Name (string)")
    json_path, method = raw.get("Path"), raw.get("Method")
    if bool(json_path) == bool(method):
        raise DataModelError(f"{where}: mapping {raw['Name']!r} needs exactly one of Path or Method")
    if json_path:
        try:
            _compile_path(str(json_path))
        except Exception as err:  # jsonpath-ng raises several unrelated types
            raise DataModelError(f"{where}: mapping {raw['Name']!r}: bad JSONPath {json_path!r}: {err}") from None
        return MappingSpec(raw["Name"], path=str(json_path), line=line)
    if not python_file:
        raise DataModelError(f"{where}: mapping {raw['Name']!r} uses Method but the model has no Filename")
    return MappingSpec(raw["Name"], method=str(method), line=line)


@functools.lru_cache(maxsize=1)
def _jsonpath_parser() -> Any:
    # jsonpath_ng.ext.parse() builds a new LALR parser per call (~80 ms); one instance is
    # reusable, since each parse() starts from a fresh lexer.
    from jsonpath_ng.ext.parser import ExtendedJsonPathParser

    return ExtendedJsonPathParser()


@functools.lru_cache(maxsize=4096)
def _compile_path(text: str) -> Any:
    return _jsonpath_parser().parse(text)


def load_data_models(dirs: Iterable[str | os.PathLike]) -> DataModelRegistry:
    """Every data model YAML under ``dirs`` (recursively). Bad specs become errors."""
    models: list[DataModelSpec] = []
    errors: list[str] = []
    by_log_type: dict[str, DataModelSpec] = {}
    for root in dirs:
        root = Path(root)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml"))
        for path in files:
            try:
                spec = _parse_spec(path)
            except DataModelError as err:
                errors.append(str(err))
                continue
            if spec is None or not spec.enabled:
                continue
            models.append(spec)
            for log_type in spec.log_types:
                if log_type in by_log_type:
                    errors.append(f"{spec.source_file}: log type {log_type} already has enabled data "
                                  f"model {by_log_type[log_type].id} ({by_log_type[log_type].source_file})")
                    continue
                by_log_type[log_type] = spec
    return DataModelRegistry(tuple(models), tuple(errors), by_log_type)


@functools.lru_cache(maxsize=32)
def load_data_models_cached(dirs: tuple) -> DataModelRegistry:
    """``load_data_models`` memoised on the (hashable) tuple of directories."""
    return load_data_models(dirs)


class DataModel:
    """The runtime form ``PantherEvent`` consumes: compiled paths and imported methods."""

    def __init__(self, data_model_id: str, paths: dict, methods: dict[str, Callable]):
        self.data_model_id = data_model_id
        self.paths = paths
        self.methods = methods

    def __repr__(self) -> str:
        return f"DataModel({self.data_model_id!r})"


def build_data_model(spec: DataModelSpec) -> DataModel:
    """Compile paths and import the Python file (user code: call only in a sandboxed child).
    Raises DataModelError naming the YAML line of a mapping whose method does not exist."""
    module = None
    if spec.python_file and any(m.method for m in spec.mappings):
        module_spec = importlib.util.spec_from_file_location(spec.id, spec.python_file)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    paths, methods = {}, {}
    for mapping in spec.mappings:
        if mapping.path:
            paths[mapping.name] = _compile_path(mapping.path)
        else:
            func = getattr(module, mapping.method, None)
            if not callable(func):
                raise DataModelError(f"{spec.location(mapping.line)}: data model {spec.id} maps "
                                     f"{mapping.name!r} to method {mapping.method!r}, which "
                                     f"{spec.python_file} does not define")
            methods[mapping.name] = func
    return DataModel(spec.id, paths, methods)
