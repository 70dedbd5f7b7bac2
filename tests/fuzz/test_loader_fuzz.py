"""Hostile input never produces a traceback: every failure is a one-line diagnostic naming the
file. CI runs a small sample; `python benchmarks/fuzz_loaders.py` runs 10k+ cases."""
import json
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from translator.frontends.panther_yaml import load_tree
from translator.mapping import MappingError
from translator.mapping.loader import parse_file

from .strategies import documents, rule_documents

EXAMPLES = int(os.environ.get("RULEC_FUZZ_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _check(result, path):
    for d in result.diagnostics:
        text = str(d)
        assert "\n" not in text and "Traceback" not in text
        assert d.file, d
    for rule in result.rules:  # what loads must be a well-formed model
        assert rule.id
        json.loads(rule.to_json())


def _dump(doc) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return json.dumps(doc, default=str)


@SETTINGS
@given(doc=rule_documents)
def test_structured_rule_files(tmp_path_factory, doc):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "x.py").write_text("def rule(event):\n    return True\n")
    if isinstance(doc, dict) and doc.get("Filename") is not None:
        doc["Filename"] = "x.py" if isinstance(doc["Filename"], str) else doc["Filename"]
    (root / "r.yml").write_text(_dump(doc))
    _check(load_tree([root]), root)


@SETTINGS
@given(text=st.text(max_size=400) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_garbage_files(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "r.yml").write_text("AnalysisType: rule\n" + text)
    (root / "g.yml").write_text(text)
    _check(load_tree([root]), root)


@SETTINGS
@given(source=st.text(max_size=200))
def test_python_sources(tmp_path_factory, source):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "r.yml").write_text("AnalysisType: rule\nFilename: r.py\nRuleID: F\nEnabled: true\n"
                                "LogTypes: [AWS.CloudTrail]\nSeverity: Low\n")
    (root / "r.py").write_text(source)
    _check(load_tree([root]), root)


@SETTINGS
@given(doc=documents(["LogType", "Targets", "Fields", "sentinel", "splunk", "athena", "sigma",
                      "chronicle", "Table", "Column", "Type", "Path", "Schema"]))
def test_mapping_files(tmp_path_factory, doc):
    root = tmp_path_factory.mktemp("fuzz")
    path = root / "m.yaml"
    path.write_text(_dump(doc))
    try:
        parse_file(path)  # the user-file half of load_mappings (merging is tested elsewhere)
    except MappingError as exc:
        assert str(exc) and "\n" not in str(exc).strip(), str(exc)


def test_mapping_error_found_by_fuzzing_is_one_line(tmp_path):
    # A top-level key holding a newline, next to a non-string key: one line, no TypeError.
    path = tmp_path / "m.yaml"
    path.write_text('"a\\nb": 1\n0: 2\n')
    try:
        parse_file(path)
    except MappingError as exc:
        assert "\n" not in str(exc) and "a\\nb" in str(exc)
    else:
        raise AssertionError("an invalid mapping file loaded")
