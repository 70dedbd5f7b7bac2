"""Frontend bugs found by the differential fuzzer (tests/fuzz/python_rules.py), each reduced
to a small rule and checked against the real rule on the events that exposed it."""
from translator.evaluator import evaluate

from pyrule_harness import agrees_on, extract

from translator.model import Predicate, walk

INT_IN_TRY = """
def rule(event):
    try:
        number = int(event.get("count", 0) or 0)
    except (TypeError, ValueError):
        number = 0
    return number < 100
"""

INT_NEGATED = """
def rule(event):
    if int(event.get("count") or 0) > 5:
        return False
    return True
"""

STR_OF_LIST = """
def rule(event):
    return len(str(event.get("action", "none"))) > 5
"""


def test_int_conversion_caught_by_the_rule_is_a_path(tmp_path):
    # int("8.8.8.8") raises, the rule catches it and goes on with 0: that event alerts.
    events = [{"count": "8.8.8.8"}, {"count": "500"}, {"count": 7}, {}, {"count": None}]
    out = extract(tmp_path, INT_IN_TRY, events)
    assert out.status == "exact", out.reasons
    assert agrees_on(tmp_path, out, events) == []
    assert evaluate(out.detection, {"count": "abc"}) is True


def test_int_conversion_raising_under_not_does_not_alert(tmp_path):
    events = [{"count": "abc"}, {"count": "9"}, {"count": "1"}, {}]
    out = extract(tmp_path, INT_NEGATED, events)
    assert agrees_on(tmp_path, out, events) == []
    assert evaluate(out.detection, {"count": "abc"}) is False  # the real rule raises


def test_numeric_fields_need_no_conversion_guard(tmp_path):
    # the tests show only numbers: no fork on int() succeeding, the detection stays one test
    out = extract(tmp_path, INT_NEGATED, [{"count": 9}, {"count": 1}])
    guards = [p for p in walk(out.detection) if isinstance(p, Predicate)
              and p.op == "exists" and p.field.transforms]
    assert guards == []
    assert agrees_on(tmp_path, out, [{"count": 9}, {"count": 1}, {}]) == []


def test_str_of_an_event_list_is_panther_text(tmp_path):
    # str() of a list read from a PantherEvent is "ImmutableList(('é',))", not "['é']"
    events = [{"action": ["é"]}, {"action": "abcdef"}, {"action": "ab"}, {}]
    out = extract(tmp_path, STR_OF_LIST, events)
    assert agrees_on(tmp_path, out, events) == []
    assert evaluate(out.detection, {"action": ["é"]}) is True


def test_extraction_time_limit_is_cpu_time(tmp_path, monkeypatch):
    # A machine busy with other work must not turn an exact rule into a time-limit verdict:
    # the limit counts the extraction's own CPU time. A spinning rule still hits it.
    from translator.frontends.panther_yaml import load_tree
    from translator.frontends.python import pipeline

    (tmp_path / "spin.py").write_text("def rule(event):\n    while True:\n        pass\n")
    (tmp_path / "nap.py").write_text("import time\n\n\ndef rule(event):\n    time.sleep(1)\n"
                                     "    return event.get('a') == 'b'\n")
    for name in ("spin", "nap"):
        (tmp_path / f"{name}.yml").write_text(
            f"AnalysisType: rule\nFilename: {name}.py\nRuleID: {name}\nEnabled: true\n"
            "LogTypes: [Custom.X]\nSeverity: Low\n")
    monkeypatch.setattr(pipeline, "EXTRACT_TIMEOUT_S", 0.5)
    loaded = load_tree([tmp_path])
    verdicts = {r.rule_id: r for r in pipeline.extract_tree(loaded.rules, loaded, jobs=1)}
    assert verdicts["spin"].verdict == "unsupported"
    assert any("CPU time" in r for r in verdicts["spin"].reasons), verdicts["spin"].reasons
    # sleeping (waiting, like a loaded machine) longer than the limit uses no CPU time
    assert verdicts["nap"].verdict == "exact", verdicts["nap"].reasons
