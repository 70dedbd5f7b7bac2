"""Panther data models (AnalysisType: datamodel): per log type, udm name -> Path or Method."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import Unsupported
from .event import DataModel, parse_json_path


def load_data_models(files: list, loader: Any) -> tuple[dict, list]:
    """log type -> DataModel, and a list of problems (one line each, naming the file)."""
    models: dict = {}
    problems: list = []
    for f in files:
        path = Path(f)
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path}: cannot read data model: {exc}")
            continue
        if not isinstance(doc, dict) or doc.get("AnalysisType") != "datamodel":
            continue
        if doc.get("Enabled") is False:
            continue
        paths: dict = {}
        method_names: dict = {}
        for m in doc.get("Mappings") or []:
            if not isinstance(m, dict) or "Name" not in m:
                problems.append(f"{path}: mapping without Name: {m!r}")
                continue
            if "Path" in m:
                paths[m["Name"]] = parse_json_path(str(m["Path"]))
            elif "Method" in m:
                method_names[m["Name"]] = m["Method"]
        py = doc.get("Filename")
        py_path = str(path.parent / py) if py else None
        model = DataModel(str(doc.get("DataModelID", path.stem)), tuple(doc.get("LogTypes") or ()),
                          paths, _LazyMethods(method_names, py_path, loader), str(path))
        for lt in model.log_types:
            models.setdefault(lt, model)
    return models, problems


class _LazyMethods(dict):
    """Method mappings, resolved through the tracing loader on first use."""

    def __init__(self, names: dict, py_path: str | None, loader: Any):
        super().__init__(names)
        self._py = py_path
        self._loader = loader
        self._module = None

    def __getitem__(self, name):
        method = super().__getitem__(name)
        if callable(method):
            return method
        if self._py is None:
            raise Unsupported("udm()", f"data model method {method!r} without a Filename")
        if self._module is None:
            self._module = self._loader.exec_file(self._py, Path(self._py).stem)
        fn = getattr(self._module, method, None)
        if not callable(fn):
            raise Unsupported("udm()", f"data model method {method!r} not found in {self._py}")
        return fn
