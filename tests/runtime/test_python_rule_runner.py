"""Running real Python rules' tests in the sandbox, with Panther's test semantics."""
import textwrap

import pytest

from translator.model import Mock, RuleTest
from translator.runtime.python_rule_runner import RuleJob, run_many_rule_tests, run_rule_tests


@pytest.fixture
def tree(tmp_path):
    """A miniature Panther tree: a helper, a data model with a method, rules."""
    (tmp_path / "global_helpers").mkdir()
    (tmp_path / "data_models").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "global_helpers" / "my_helpers.py").write_text(textwrap.dedent("""\
        CALLS = []

        def is_admin(name):
            CALLS.append(name)  # module state: must not leak between rules
            return name in ("root", "admin")
    """))
    (tmp_path / "data_models" / "m.yml").write_text(textwrap.dedent("""\
        AnalysisType: datamodel
        DataModelID: Test.Model
        LogTypes: [Test.Log]
        Filename: m.py
        Enabled: true
        Mappings:
          - Name: actor_user
            Method: actor
          - Name: source_ip
            Path: $.client.ip
    """))
    (tmp_path / "data_models" / "m.py").write_text(
        "def actor(event):\n    return event.deep_get('user', 'name')\n")
    return tmp_path


def rule_file(tree, name, body):
    path = tree / "rules" / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


def job(tree, name, body, tests, **kw):
    return RuleJob(name, rule_file(tree, name, body), tuple(tests), log_types=("Test.Log",),
                   helper_dirs=(str(tree / "global_helpers"),),
                   data_model_paths=(str(tree / "data_models"),), timeout_s=kw.pop("timeout_s", 2.0), **kw)


def t(name, expected, log, mocks=()):
    return RuleTest.make(name, expected, log, [Mock(*m) for m in mocks])


ADMIN_RULE = """\
from my_helpers import is_admin, CALLS

def rule(event):
    return is_admin(event.udm("actor_user")) and len(CALLS) == 1

def title(event):
    return f"admin {event.udm('actor_user')} from {event.udm('source_ip')}"

def alert_context(event):
    return {"ip": event.udm("source_ip"), "raw": event.get("client")}

def severity(event):
    return "high"
"""


def test_matches_with_helpers_data_model_and_aux_outputs(tree):
    log = {"p_log_type": "Test.Log", "user": {"name": "root"}, "client": {"ip": "1.2.3.4"}}
    res = run_rule_tests(job(tree, "Admin", ADMIN_RULE, [
        t("admin", True, log),
        t("user", False, {**log, "user": {"name": "bob"}}),
        t("no log type: no data model", False, {"user": {"name": "root"}}),
    ]))
    assert res.error == "" and res.passed
    admin, user, no_model = res.tests
    assert admin.matched is True and admin.outputs == {
        "title": "admin root from 1.2.3.4", "dedup": "admin root from 1.2.3.4",
        "alert_context": {"ip": "1.2.3.4", "raw": {"ip": "1.2.3.4"}}, "severity": "HIGH"}
    assert user.matched is False and user.outputs == {}
    assert no_model.matched is False  # udm() without a data model falls back to raw keys


def test_infer_log_type_option_uses_the_only_log_type(tree):
    tests = [t("no p_log_type", True, {"user": {"name": "root"}})]
    assert run_rule_tests(job(tree, "A", ADMIN_RULE, tests)).tests[0].matched is False
    assert run_rule_tests(job(tree, "A", ADMIN_RULE, tests, infer_log_type=True)).tests[0].matched is True


@pytest.mark.parametrize("preload", [False, True])
def test_helper_state_does_not_leak_between_rules(tree, preload):
    log = {"p_log_type": "Test.Log", "user": {"name": "root"}}
    jobs = [job(tree, f"R{i}", ADMIN_RULE, [t("x", True, log)]) for i in range(3)]
    jobs.append(job(tree, "Exit", "import os\ndef rule(event):\n    os._exit(1)\n", [t("x", True, log)]))
    jobs.append(job(tree, "Hog", "def rule(event):\n    return len(bytearray(8 * 1024 ** 3)) > 0\n",
                    [t("x", True, log)], memory_mb=256))
    results = run_many_rule_tests(jobs, workers=2, preload=preload)
    assert [r.tests[0].matched for r in results] == [True, True, True, None, None]
    assert "exited with status 1" in results[3].error
    assert "MemoryError" in results[4].tests[0].error


def test_mocks_patch_the_rule_module_and_keep_string_values(tree):
    body = """\
    from my_helpers import is_admin

    ALLOW = ["a"]

    def lookup(key):
        raise RuntimeError("would need the network")

    def rule(event):
        return lookup(event.get("k")) == "yes" and is_admin("root")
    """
    res = run_rule_tests(job(tree, "M", body, [
        t("mocked str", True, {"k": 1}, [("lookup", "yes")]),
        t("mocked bool stays bool", False, {"k": 1}, [("lookup", True)]),
        t("unmocked", False, {"k": 1}),
        t("unknown name", False, {"k": 1}, [("nope", 1)]),
    ]))
    mocked, mocked_bool, unmocked, unknown = res.tests
    assert mocked.matched is True and mocked_bool.matched is False
    assert unmocked.matched is None and "RuntimeError: would need the network" in unmocked.error
    assert unmocked.error.startswith(f"{tree / 'rules' / 'M.py'}:6:")
    assert unknown.matched is None and "cannot mock nope" in unknown.error


def test_kv_store_helpers_need_mocks(tree):
    body = """\
    from panther_detection_helpers.caching import get_string_set

    def rule(event):
        return "x" in get_string_set("key")
    """
    res = run_rule_tests(job(tree, "KV", body, [
        t("mocked", True, {}, [("get_string_set", ["x"])]),
        t("not mocked", False, {}),
    ]))
    assert res.tests[0].matched is True
    assert "KVStoreUnavailable" in res.tests[1].error and "mock get_string_set" in res.tests[1].error


def test_panther_core_shim_is_importable(tree):
    body = """\
    from panther_core import PantherEvent
    from panther_core.immutable import ImmutableList

    def rule(event):
        return isinstance(event, PantherEvent) and isinstance(event.get("l"), ImmutableList)
    """
    assert run_rule_tests(job(tree, "S", body, [t("x", True, {"l": [1]})])).tests[0].matched is True


def test_rule_must_return_a_bool(tree):
    body = "def rule(event):\n    return event.get('x')\n"
    res = run_rule_tests(job(tree, "B", body, [t("none", False, {}), t("true", True, {"x": True})]))
    assert res.tests[0].matched is None and "returned NoneType, expected bool" in res.tests[0].error
    assert not res.tests[0].passed and res.tests[1].passed


def test_aux_errors_fail_only_tests_expecting_an_alert(tree):
    body = """\
    def rule(event):
        return event.get("hit", False)

    def title(event):
        return event["missing"]

    def alert_context(event):
        return ["not", "a", "dict"]
    """
    res = run_rule_tests(job(tree, "X", body, [t("alert", True, {"hit": True}), t("quiet", False, {})]))
    alert, quiet = res.tests
    assert alert.agrees and not alert.passed
    assert set(alert.aux_errors) == {"title", "alert_context"}
    assert "KeyError: 'missing'" in alert.aux_errors["title"]
    assert quiet.passed and quiet.aux_errors == {}


def test_severity_and_dedup_rules(tree):
    body = """\
    def rule(event):
        return True

    def severity(event):
        return event.get("sev")

    def dedup(event):
        return ""
    """
    res = run_rule_tests(job(tree, "Sev", body, [
        t("default", True, {"sev": "DEFAULT"}), t("bad", True, {"sev": "urgent"})], severity="Medium"))
    default, bad = res.tests
    assert default.outputs["severity"] == "MEDIUM" and default.outputs["dedup"] == "defaultDedupString:Sev"
    assert "expected one of" in bad.aux_errors["severity"]


def test_rule_printing_is_captured_per_test(tree, capfd):
    body = "print('at import')\ndef rule(event):\n    print('in rule', event.get('n'))\n    return False\n"
    res = run_rule_tests(job(tree, "P", body, [t("a", False, {"n": 1}), t("b", False, {"n": 2})]))
    assert [x.output for x in res.tests] == ["in rule 1\n", "in rule 2\n"]
    assert "at import" in res.output
    assert "in rule" not in capfd.readouterr().out


HOSTILE = {
    "syntax": ("def rule(event)\n    return True\n", "P.py:1: SyntaxError"),
    "missing_import": ("import no_such_module_xyz\ndef rule(event):\n    return True\n",
                       "P.py:1: ModuleNotFoundError: No module named 'no_such_module_xyz'"),
    "no_rule_function": ("def title(event):\n    return 'x'\n", "defines no rule(event) function"),
    "loop_at_import": ("while True:\n    pass\n", "timed out after 0.5s"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_broken_rules_give_one_line_errors_naming_the_file(tree, kind):
    body, expected = HOSTILE[kind]
    res = run_rule_tests(job(tree, "P", body, [t("a", True, {}), t("b", False, {})], timeout_s=0.5))
    for outcome in res.tests:
        assert outcome.matched is None and expected in outcome.error and "\n" not in outcome.error
        assert str(tree / "rules" / "P.py") in outcome.error


def test_hostile_rules_fail_alone(tree):
    good = job(tree, "Good", "def rule(event):\n    return True\n", [t("a", True, {})])
    hostile = {
        "Loop": "def rule(event):\n    while True:\n        pass\n",
        "SwallowingLoop": "def rule(event):\n    while True:\n        try:\n            pass\n"
                          "        except Exception:\n            pass\n",
        "Exit": "import os\ndef rule(event):\n    os._exit(1)\n",
        "Hog": "def rule(event):\n    return len(bytearray(4 * 1024 ** 3)) > 0\n",
        "Net": "import socket\ndef rule(event):\n    socket.create_connection(('1.1.1.1', 80))\n",
    }
    jobs = [good] + [job(tree, name, body, [t("a", True, {}), t("b", False, {})], timeout_s=0.5,
                         memory_mb=256) for name, body in hostile.items()]
    results = {r.rule_id: r for r in run_many_rule_tests(jobs, workers=2)}
    assert results["Good"].passed
    assert "timed out after 0.5s" in results["Loop"].tests[0].error
    assert "timed out" in results["SwallowingLoop"].tests[1].error
    assert results["Exit"].error and "exited with status 1" in results["Exit"].tests[0].error
    assert "MemoryError" in results["Hog"].tests[0].error
    assert "network access is disabled" in results["Net"].tests[0].error
    for name in hostile:
        assert all(o.matched is None and o.error for o in results[name].tests)


def test_scheduled_rule_without_rule_function_passes_rows_through(tree):
    res = run_rule_tests(job(tree, "Q", "def title(event):\n    return 'q'\n", [t("row", True, {})],
                             analysis_type="scheduled_rule"))
    assert res.tests[0].matched is True and res.tests[0].outputs["title"] == "q"


def test_a_log_that_is_not_a_mapping_fails_its_test_only(tree):
    res = run_rule_tests(job(tree, "L", "def rule(event):\n    return True\n",
                             [t("list", True, [1, 2]), t("ok", True, {})]))
    assert "Log is list, not a mapping" in res.tests[0].error and res.tests[1].passed
