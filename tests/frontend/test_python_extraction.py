"""Unit tests of the Python rule frontend: one construct per test, small inline rules.

Each test checks the extracted condition text and, where events are given, that the
extraction agrees with the real rule on them (the real rule is the oracle)."""
from __future__ import annotations

import pytest

from pyrule_harness import agrees_on, check, condition, extract, real_rule

AWS_HELPER = {"my_aws": '''
    def cloudtrail_success(event):
        if event.get("errorCode", "") or event.get("errorMessage", ""):
            return False
        return True
'''}


def test_seed_shape_helper_set_and_lazy_or(tmp_path):
    src = '''
    from my_aws import cloudtrail_success
    EVENTS = {"B", "A", "C"}
    def rule(event):
        return cloudtrail_success(event) and event.get("eventName") in EVENTS
    '''
    events = [{"eventName": "A"}, {"eventName": "A", "errorCode": "X"}, {"eventName": "Z"}, {}]
    out = check(tmp_path, src, events, helpers=AWS_HELPER)
    assert out.status == "exact"
    assert condition(out) == ('not (errorCode is_not_null or errorMessage is_not_null)\n'
                              'eventName in ["B", "A", "C"]')  # source order of the set literal


def test_defaults_make_missing_fields_match(tmp_path):
    src = '''
    def rule(event):
        return event.get("a", "<X>") != "foo" and event.get("b", "on") == "on"
    '''
    events = [{"a": "foo"}, {"a": "bar"}, {}, {"a": None}, {"b": "off"}, {"b": None}]
    out = check(tmp_path, src, events)
    # the default of `a` cannot change the result (shown only where it does)
    assert condition(out) == 'a != "foo"\n(b ?? "on") == "on"'


def test_or_of_equalities_lifts_to_in_and_contradictions_drop(tmp_path):
    src = '''
    def rule(event):
        name = event.get("eventName")
        if name == "A" or name == "B":
            return True
        if name == "C":
            return name == "C"
        return False
    '''
    out = check(tmp_path, src, [{"eventName": x} for x in "ABCD"] + [{}])
    assert condition(out) == 'eventName in ["A", "B", "C"]'


def test_deep_get_default_applies_to_null(tmp_path):
    src = '''
    def rule(event):
        return event.deep_get("a", "b", default="none") == "none"
    '''
    events = [{"a": {"b": None}}, {"a": {"b": "x"}}, {}, {"a": "str"}]
    out = check(tmp_path, src, events)
    assert condition(out) == '(a.b ?? "none") == "none"'


def test_keys_are_spelled_as_the_tests_spell_them(tmp_path):
    src = '''
    def rule(event):
        return event.get("EVENTNAME") == "x"
    '''
    out = check(tmp_path, src, [{"eventName": "x"}, {"eventName": "y"}])
    assert condition(out) == 'eventName == "x"'


def test_substring_or_membership_by_field_type(tmp_path):
    src = '''
    def rule(event):
        return "adm" in event.get("text") and "root" in event.get("groups")
    '''
    events = [{"text": "xadmx", "groups": ["root", "b"]}, {"text": "x", "groups": ["root"]},
              {"text": "adm", "groups": ["rootx"]}, {}]
    out = check(tmp_path, src, events)
    assert condition(out) == 'text contains "adm"\ngroups has "root"'


def test_unknown_type_keeps_both_meanings_of_in(tmp_path):
    src = '''
    def rule(event):
        return "x" in event.get("never_seen", "")
    '''
    out = check(tmp_path, src, [{"a": 1}])
    assert condition(out) == 'never_seen contains "x"'  # the default "" is text


def test_string_methods_and_startswith_tuple(tmp_path):
    src = '''
    def rule(event):
        user = event.get("user", "")
        return user.lower().startswith(("svc-", "bot-")) and event.get("path", "").split("/")[1] == "admin"
    '''
    events = [{"user": "SVC-a", "path": "/admin/x"}, {"user": "svc-a", "path": "/user"},
              {"user": "joe", "path": "/admin"}, {}, {"user": None}]
    out = check(tmp_path, src, events)
    assert "lower" in condition(out) and "split" in condition(out)


def test_regex_fnmatch_len_int(tmp_path):
    src = '''
    import re
    from fnmatch import fnmatch
    PAT = re.compile(r"^ab+c$", re.IGNORECASE)
    def rule(event):
        return (PAT.match(event.get("a", "")) is not None and fnmatch(event.get("b", ""), "*.exe")
                and len(event.get("c", [])) > 2 and int(event.get("d", "0")) >= 10)
    '''
    good = {"a": "ABBC", "b": "x.exe", "c": [1, 2, 3], "d": "12"}
    events = [good, dict(good, a="ac"), dict(good, b="x.dll"), dict(good, c=[1]), dict(good, d="3"), {}]
    out = check(tmp_path, src, events)
    text = condition(out)
    assert "matches /^ab+c$/ [IGNORECASE, match]" in text and 'glob "*.exe"' in text
    assert "len(" in text and "int(" in text


def test_any_over_list_becomes_quantifier(tmp_path):
    src = '''
    def rule(event):
        return any(p.get("port") == 22 for p in event.get("perms", []))
    '''
    events = [{"perms": [{"port": 80}, {"port": 22}]}, {"perms": [{"port": 80}]}, {"perms": []}, {}]
    out = check(tmp_path, src, events)
    # iterating a null value raises in Python (no alert): the guard stays, as for all()
    assert condition(out) == '(perms ?? []) exists\nany(perms[*]: .port == 22)'


def test_all_over_list_with_filter(tmp_path):
    src = '''
    def rule(event):
        return all(p.get("ok") for p in event.get("items", []) if p.get("kind") == "x")
    '''
    events = [{"items": [{"kind": "x", "ok": True}, {"kind": "y"}]},
              {"items": [{"kind": "x", "ok": False}]}, {"items": []}]
    out = check(tmp_path, src, events)
    # all() over null raises in Python (no alert) while all() over [] is True: the guard stays
    assert condition(out) == '(items ?? []) exists\nall(items[*]: .kind != "x" or .ok is_not_null)'


def test_isinstance_decided_from_test_event_types(tmp_path):
    src = '''
    def rule(event):
        value = event.get("v")
        if isinstance(value, str):
            return value == "a"
        return False
    '''
    out = check(tmp_path, src, [{"v": "a"}, {"v": "b"}, {}])
    assert condition(out) == 'v == "a"'
    assert any("isinstance" in n for n in out.notes)


def test_json_parse_inside_try_is_not_swallowed(tmp_path):
    src = '''
    import json
    def rule(event):
        try:
            doc = json.loads(event.get("raw", ""))
        except (ValueError, TypeError):
            return False
        return doc.get("kind") == "evil"
    '''
    out = extract(tmp_path, src, events=[{"raw": '{"kind": "evil"}'}])
    assert "json(" in condition(out)
    assert out.status == "exact"


def test_library_call_on_field_is_reported_not_swallowed(tmp_path):
    src = '''
    import base64
    def rule(event):
        try:
            text = base64.b64decode(event.get("cmd", ""))
        except Exception:
            return False
        return text == b"rm"
    '''
    out = extract(tmp_path, src, events=[{"cmd": "cm0="}])
    assert out.status == "unsupported"
    assert any("b64decode" in r and "rule_under_test.py:5" in r for r in out.reasons), out.reasons


@pytest.mark.parametrize("body, construct", [
    ("from panther_detection_helpers.caching import get_string_set\n"
     "def rule(event):\n    return event.get('a') in get_string_set('k')\n", "get_string_set"),
    ("import datetime\ndef rule(event):\n    return datetime.datetime.now().hour > 3\n",
     "wall-clock"),
    ("M = {str(i): i for i in range(100)}\ndef rule(event):\n    return M.get(event.get('k')) == 1\n",
     "keyed by a field"),
    ("import re\ndef rule(event):\n    m = re.match('(a)', event.get('k', ''))\n"
     "    return bool(m) and m.group(1) == 'a'\n", ".group"),
])
def test_unexpressible_constructs_are_reported(tmp_path, body, construct):
    out = extract(tmp_path, body, events=[{"k": "a"}])
    assert out.status in ("unsupported", "partial")
    assert any(construct in r for r in out.reasons), out.reasons


def test_mutating_calls_really_execute(tmp_path):
    src = '''
    def rule(event):
        names = []
        names.append("x")
        if event.get("a") == 1:
            names.append("y")
        return len(names) == 2
    '''
    out = check(tmp_path, src, [{"a": 1}, {"a": 2}])
    assert condition(out) == "a == 1"


def test_subscript_raises_on_missing_key(tmp_path):
    # a missing key raises KeyError; a null value is None (which is not "x")
    src = '''
    def rule(event):
        return event["a"] != "x" and event.get("b", {})["c"] is None
    '''
    events = [{"a": "x", "b": {"c": None}}, {"a": "y", "b": {"c": None}}, {"a": "y", "b": {}},
              {"a": None, "b": {"c": None}}, {"a": "y", "b": {"c": 1}}, {}]
    out = check(tmp_path, src, events)
    assert condition(out) == 'a is_present\nb.c is_present\na != "x"\nb.c is_null'


def test_negated_method_call_guards_missing_value(tmp_path):
    src = '''
    def rule(event):
        return not event.get("a").lower() == "x"
    '''
    out = check(tmp_path, src, [{"a": "X"}, {"a": "y"}, {}])
    assert condition(out) == 'a exists\nlower(a) != "x"'


DM = {"test_dm": ('''
    AnalysisType: datamodel
    LogTypes: [Test.Log]
    DataModelID: Test.DM
    Filename: test_dm.py
    Mappings:
      - Name: user
        Path: $.actor.name
      - Name: kind
        Method: get_kind
''', '''
    def get_kind(event):
        if event.get("type") == "login":
            return "LOGIN"
        return None
''')}


def test_udm_path_and_method(tmp_path):
    src = '''
    def rule(event):
        return event.udm("kind") == "LOGIN" and event.udm("user") == "root"
    '''
    out = extract(tmp_path, src, events=[{"type": "login", "actor": {"name": "root"}}],
                  data_models=DM)
    assert condition(out) == 'type == "login"\nactor.name == "root"'


def test_multi_log_type_udm_branches_on_p_log_type(tmp_path):
    dm2 = dict(DM)
    dm2["other_dm"] = ('''
    AnalysisType: datamodel
    LogTypes: [Other.Log]
    DataModelID: Other.DM
    Mappings:
      - Name: user
        Path: userName
    ''', None)
    src = '''
    def rule(event):
        return event.udm("user") == "root"
    '''
    out = extract(tmp_path, src, events=[{}], data_models=dm2, log_types=("Test.Log", "Other.Log"))
    assert condition(out) == ('(p_log_type == "Test.Log" and actor.name == "root") or '
                              '(p_log_type != "Test.Log" and userName == "root")')


def test_title_dedup_context_and_severity(tmp_path):
    src = '''
    def rule(event):
        return True
    def title(event):
        return f"User {event.get('user', '<none>')} did {event.get('action')}"
    def dedup(event):
        return event.get("user")
    def alert_context(event):
        return {"user": event.get("user"), "ip": event.deep_get("net", "ip"), "fixed": "x"}
    def severity(event):
        if event.get("action") == "delete":
            return "HIGH"
        return "DEFAULT"
    '''
    out = extract(tmp_path, src, events=[{"user": "a", "action": "delete", "net": {"ip": "1"}}],
                  severity="Low")
    assert [p if isinstance(p, str) else p.dotted for p in out.title.parts] == \
        ["User ", "user", " did ", "action"]
    assert out.title.parts[1].default == "<none>" and out.title.parts[3].default == "None"
    assert [f.dotted for f in out.dedup_key] == ["user"]
    assert [f.dotted for f in out.output_fields] == ["user", "net.ip"]
    assert [(d.severity, condition(type("X", (), {"detection": d.when}))) for d in
            out.dynamic_severities] == [("High", 'action == "delete"')]


def test_title_text_for_a_missing_field_is_what_python_shows_after_the_transforms(tmp_path):
    src = '''
    def rule(event):
        return True
    def title(event):
        items = event.deep_get("resp", "items", default=[])
        return f"{len(items)} items for {event.get('user', '<NONE>').lower()}"
    '''
    out = extract(tmp_path, src, events=[{"resp": {"items": [1]}, "user": "A"}])
    fields = [p for p in out.title.parts if not isinstance(p, str)]
    real = real_rule(tmp_path)
    from translator.runtime.event import PantherEvent
    # The real rule's title on an event missing both fields: "0 items for <none>".
    assert real.title(PantherEvent({})) == "0 items for <none>"
    assert [f.default for f in fields] == ["0", "<none>"]


def test_path_limit_is_reported(tmp_path):
    conds = " or ".join(f"event.get('f{i}') == {i}" for i in range(3))
    src = "def rule(event):\n" + "".join(
        f"    if event.get('f{i}'):\n        x = 1\n" for i in range(12)) + "    return True\n"
    out = extract(tmp_path, src, events=[{}])
    assert out.status == "unsupported" and "decision paths" in out.reasons[0]
    assert conds  # the rule above forks 2**12 ways


def test_non_bool_return_does_not_alert(tmp_path):
    src = '''
    def rule(event):
        return event.get("a") and event.get("b")
    '''
    events = [{"a": 1, "b": True}, {"a": 1, "b": "yes"}, {"a": 0, "b": True}, {}]
    out = check(tmp_path, src, events)
    assert condition(out) == "a is_not_null\nb == true"


def test_lookup_in_small_constant_mapping_enumerates_keys(tmp_path):
    src = '''
    LEVELS = {"low": 1, "high": 3, "critical": 4}
    def rule(event):
        return LEVELS.get(event.get("level"), 0) >= 3 or LEVELS[event.get("other", "low")] == 4
    '''
    events = [{"level": "high"}, {"level": "low"}, {"other": "critical"}, {"other": "x"}, {}]
    out = check(tmp_path, src, events)  # agrees with Python on every event above
    assert out.status == "exact" and "level" in condition(out) and "other" in condition(out)


def test_for_loop_over_array_becomes_any(tmp_path):
    src = '''
    def rule(event):
        for perm in event.get("perms") or []:
            if perm.get("cidr") == "0.0.0.0/0" and perm.get("port") == 22:
                return True
        return False
    '''
    events = [{"perms": [{"cidr": "10.0.0.0/8", "port": 22}, {"cidr": "0.0.0.0/0", "port": 22}]},
              {"perms": [{"cidr": "0.0.0.0/0", "port": 80}]}, {"perms": []}, {}]
    out = check(tmp_path, src, events)
    assert 'any(perms[*]: .cidr == "0.0.0.0/0" and .port == 22)' in condition(out)


def test_loop_over_constants_runs_concretely(tmp_path):
    src = '''
    PREFIXES = ["adm", "root"]
    def rule(event):
        for p in PREFIXES:
            if event.get("user", "").startswith(p):
                return True
        return False
    '''
    out = check(tmp_path, src, [{"user": "admin"}, {"user": "rootx"}, {"user": "bob"}, {}])
    assert condition(out) == 'user starts_with "adm" or user starts_with "root"'


def test_rsplit_last_item(tmp_path):
    src = '''
    def rule(event):
        return event.get("method", "").rsplit(".", maxsplit=1)[-1] == "Delete"
    '''
    out = check(tmp_path, src, [{"method": "a.b.Delete"}, {"method": "Delete"}, {"method": "a.Get"}, {}])
    assert condition(out) == 'split(method, ".", -1) == "Delete"'


def _context_of_first_place_holding(names: list) -> str:
    """A rule whose alert_context reads each of ``names`` from the first of three places
    holding it (top level, under "event", under "raw"): 3**len(names) paths."""
    return '''
    def pick(event, name):
        return event.get(name) or event.deep_get("event", name) or event.deep_get("raw", name) or ""
    def rule(event):
        return True
    def alert_context(event):
        return {n: pick(event, n) for n in %r}
    ''' % names


def test_alert_context_with_more_paths_than_the_budget_is_explored_for_branch_coverage(tmp_path):
    # 8 fields, each read from the first of three places that holds one: 3**8 paths. Depth
    # first, the 32-path budget only varies the last fields; exploring each condition both
    # ways finds every place of every field (8 * 3 conditions -> 25 paths).
    names = [f"f{i}" for i in range(8)]
    out = extract(tmp_path, _context_of_first_place_holding(names), events=[{"f0": "x"}])
    fields = {f.dotted for f in out.output_fields}
    assert fields == {p + n for n in names for p in ("", "event.", "raw.")}
    assert any("alert_context(): 25 paths explored: each condition both ways" in e
               for e in out.extras)


def test_alert_context_within_the_budget_is_explored_path_by_path(tmp_path):
    src = '''
    def rule(event):
        return True
    def alert_context(event):
        ctx = {"a": event.get("a")}
        if event.get("kind") == "x":
            ctx["b"] = event.get("b")
        return ctx
    '''
    out = extract(tmp_path, src, events=[{"a": 1}])
    assert {f.dotted for f in out.output_fields} == {"a", "b"}
    assert not any("paths explored" in e for e in out.extras)


def test_alert_context_that_outgrows_half_the_budget_depth_first_switches_to_branch_coverage(tmp_path):
    # 5 fields from the first of three places: 5 decisions on the first path (32 combinations
    # would fit) but 3**5 paths in all; after 16 depth-first paths the rest of the budget takes
    # each condition seen the other way, so every place of every field is found.
    names = [f"f{i}" for i in range(5)]
    out = extract(tmp_path, _context_of_first_place_holding(names), events=[{"f0": "x"}])
    assert {f.dotted for f in out.output_fields} == \
        {p + n for n in names for p in ("", "event.", "raw.")}
    assert any("alert_context():" in e and "each condition both ways" in e for e in out.extras)
