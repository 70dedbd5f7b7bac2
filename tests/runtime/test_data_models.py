"""Loading Panther data model YAMLs and building the runtime model."""
import textwrap

import pytest

from translator.runtime.data_models import DataModelError, build_data_model, load_data_models
from translator.runtime.event import PantherEvent

GOOD = """\
AnalysisType: datamodel
DataModelID: Test.Model
LogTypes: [Test.Log, Test.Other]
Filename: model.py
Enabled: true
Mappings:
  - Name: source_ip
    Path: $.client.ip
  - Name: actor_user
    Method: get_actor
  - Name: agent
    Path: userAgent
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def tree(tmp_path):
    write(tmp_path, "model.yml", GOOD)
    write(tmp_path, "model.py", "def get_actor(event):\n    return event.get('user', '').upper()\n")
    write(tmp_path, "not_a_model.yml", "AnalysisType: rule\nRuleID: x\n")
    return tmp_path


def test_registry_by_log_type(tree):
    reg = load_data_models([tree])
    assert reg.errors == ()
    spec = reg.for_log_type("Test.Log")
    assert spec is reg.for_log_type("Test.Other") and spec.id == "Test.Model"
    assert reg.for_log_type("Unknown") is None
    assert [m.name for m in spec.mappings] == ["source_ip", "actor_user", "agent"]
    assert spec.mappings[1].method == "get_actor" and spec.mappings[1].line == 9
    assert spec.python_file.endswith("model.py")


def test_built_model_drives_udm(tree):
    model = build_data_model(load_data_models([tree]).for_log_type("Test.Log"))
    ev = PantherEvent({"client": {"ip": "10.0.0.1"}, "user": "bob", "userAgent": "ua"}, model)
    assert (ev.udm("source_ip"), ev.udm("actor_user"), ev.udm("agent")) == ("10.0.0.1", "BOB", "ua")


def test_disabled_models_are_not_registered(tmp_path):
    write(tmp_path, "m.yml", GOOD.replace("Enabled: true", "Enabled: false").replace(
        "Filename: model.py\n", "").replace("    Method: get_actor", "    Path: $.actor"))
    reg = load_data_models([tmp_path])
    assert reg.for_log_type("Test.Log") is None and reg.errors == ()


def test_conflicting_log_types_keep_the_first(tree):
    write(tree, "z_second.yml", GOOD.replace("Test.Model", "Test.Second").replace(
        "Filename: model.py\n", "").replace("    Method: get_actor", "    Path: $.actor"))
    reg = load_data_models([tree])
    assert reg.for_log_type("Test.Log").id == "Test.Model"
    assert len(reg.errors) == 2 and "already has enabled data model Test.Model" in reg.errors[0]


@pytest.mark.parametrize("text, message", [
    ("AnalysisType: datamodel\nDataModelID: [unclosed\n", "malformed YAML"),
    ("AnalysisType: datamodel\nLogTypes: [A]\nMappings: []\n", "DataModelID must be"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: A\nMappings: []\n", "LogTypes must be"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\nMappings: {}\n", "Mappings must be a list"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\nMappings:\n  - Path: a\n", "needs a Name"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\nMappings:\n  - Name: n\n", "exactly one of Path or Method"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\nMappings:\n  - Name: n\n    Method: m\n", "has no Filename"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\nMappings:\n  - Name: n\n    Path: '$.a[['\n", "bad JSONPath"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\nFilename: nope.py\nMappings: []\n", "does not exist"),
    ("AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\nEnabled: maybe\nMappings: []\n", "Enabled must be"),
])
def test_malformed_specs_give_located_errors(tmp_path, text, message):
    path = write(tmp_path, "bad.yml", text)
    reg = load_data_models([tmp_path])
    assert reg.models == () and len(reg.errors) == 1
    error = reg.errors[0]
    assert error.startswith(f"{path}:") and message in error
    assert error.split(":")[1].isdigit() and int(error.split(":")[1]) >= 1  # a line number


def test_mapping_error_names_its_line(tmp_path):
    path = write(tmp_path, "bad.yml", "AnalysisType: datamodel\nDataModelID: X\nLogTypes: [A]\n"
                 "Mappings:\n  - Name: ok\n    Path: a\n  - Name: broken\n")
    assert load_data_models([tmp_path]).errors == (
        f"{path}:7: mapping 'broken' needs exactly one of Path or Method",)


def test_missing_method_is_reported_when_built(tree):
    (tree / "model.py").write_text("def other(event):\n    return 1\n")
    spec = load_data_models([tree]).for_log_type("Test.Log")
    with pytest.raises(DataModelError, match=r"model.yml:9: .*'get_actor'.*does not define"):
        build_data_model(spec)


def test_single_file_and_bad_one_do_not_stop_the_rest(tree):
    write(tree, "broken.yml", "AnalysisType: datamodel\n  bad: [indent\n")
    reg = load_data_models([tree])
    assert reg.for_log_type("Test.Log") is not None and len(reg.errors) == 1
    assert load_data_models([tree / "model.yml"]).for_log_type("Test.Log") is not None
