"""Unit tests of the Python frontend on loops and iteration over event arrays: small rules of
our own, each extraction compared with the real rule on the events given."""
from __future__ import annotations

import pytest

from pyrule_harness import agrees_on, check, condition, extract


def test_loop_over_field_with_non_empty_default_iterates_the_default(tmp_path):
    # a missing list iterates [{}]: the body sees an empty object, whose .get gives "@"
    src = '''
    def rule(event):
        for member in event.get("members", [{}]):
            if (member.get("email") or "@").split("@")[-1] != "corp.example":
                return True
        return False
    '''
    events = [{"members": [{"email": "a@corp.example"}]}, {"members": [{"email": "b@evil.example"}]},
              {"members": []}, {}, {"members": [{}]}, {"members": [{"email": None}]}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    text = condition(out)
    assert "not members is_present" in text and "any(members[*]:" in text


def test_any_over_deep_get_with_empty_default_on_null(tmp_path):
    # deep_get's default also replaces null: null and missing both iterate []
    src = '''
    def rule(event):
        scopes = event.deep_get("key", "scopes", default=[])
        return any(s.lower() == "admin" for s in scopes if s)
    '''
    events = [{"key": {"scopes": ["read", "Admin"]}}, {"key": {"scopes": ["read"]}},
              {"key": {"scopes": None}}, {"key": {}}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert condition(out) == 'any(key.scopes[*]: element is_not_null and lower(element) == "admin")'


def test_any_over_null_raises_like_python(tmp_path):
    # event.get("a", []) hands None to any() when a is null: Python raises, no alert
    src = '''
    def rule(event):
        return not any(x == "bad" for x in event.get("tags", []))
    '''
    events = [{"tags": ["good"]}, {"tags": ["bad"]}, {"tags": None}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_default_of_a_parsed_document_key(tmp_path):
    src = '''
    import json
    def rule(event):
        doc = json.loads(event.get("payload", "{}"))
        for r in doc.get("rules", [{"verbs": ["*"]}]):
            if "*" in (r.get("verbs") or []):
                return True
        return False
    '''
    events = [{"payload": '{"rules": [{"verbs": ["get"]}]}'}, {"payload": '{"rules": [{"verbs": ["*"]}]}'},
              {"payload": '{}'}, {"payload": '{"rules": []}'}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_loop_growing_a_set_it_started_is_a_collection_of_element_values(tmp_path):
    src = '''
    def collect(items):
        found = set()
        for item in items:
            if item.get("type") == "User":
                found.add(item.get("id"))
        return found

    def rule(event):
        return "root" in collect(event.get("targets", []))
    '''
    # found starts empty and is only read once grown: each element adds its id (growth.py)
    events = [{"targets": [{"type": "User", "id": "root"}]}, {"targets": [{"type": "App", "id": "root"}]},
              {"targets": [{"type": "User", "id": "x"}, {"type": "User", "id": "root"}]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_body_reaching_an_unsupported_construct_is_not_dropped(tmp_path):
    # the body never returns on the paths the tracer could follow; the unsupported path
    # might: the loop must not be read as having no effect
    src = '''
    import base64
    def rule(event):
        for cmd in event.get("commands", []):
            if base64.b64decode(cmd) == b"curl":
                return True
        return False
    '''
    out = extract(tmp_path, src, events=[{"commands": ["Y3VybA=="]}])
    assert out.status != "exact" and any("b64decode" in r for r in out.reasons)


def test_iterating_a_text_field_is_refused(tmp_path):
    src = '''
    def rule(event):
        return any(c == "x" for c in event.get("name", []))
    '''
    out = extract(tmp_path, src, events=[{"name": "abc"}, {"name": ["x"]}])
    assert out.status == "unsupported"
    assert any("name is text (iterating its characters)" in r for r in out.reasons)


def test_list_comprehension_over_field_and_its_truthiness(tmp_path):
    src = '''
    def rule(event):
        added = [s for s in event.deep_get("change", "new", default=[])
                 if s not in event.deep_get("change", "old", default=[])]
        return bool(added)
    '''
    events = [{"change": {"new": ["a", "b"], "old": ["a"]}}, {"change": {"new": ["a"], "old": ["a", "b"]}},
              {"change": {"new": [], "old": []}}, {"change": {"new": ["x"]}}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert "any(change.new[*]: change.old not has element)" in condition(out)


def test_mapped_lists_concatenated_then_any(tmp_path):
    src = '''
    OPEN = {"0.0.0.0/0", "::/0"}
    def rule(event):
        v4 = [r.get("cidrIp") for r in event.deep_get("ranges", "v4", default=[])]
        v6 = [r.get("cidrIpv6") for r in event.deep_get("ranges", "v6", default=[])]
        return any(cidr in OPEN for cidr in v4 + v6)
    '''
    events = [{"ranges": {"v4": [{"cidrIp": "10.0.0.0/8"}, {"cidrIp": "0.0.0.0/0"}]}},
              {"ranges": {"v6": [{"cidrIpv6": "::/0"}]}}, {"ranges": {"v4": [{}]}}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    text = condition(out)
    assert "any(ranges.v4[*]: .cidrIp in" in text and "any(ranges.v6[*]: .cidrIpv6 in" in text


def test_set_intersection_with_constants_and_length(tmp_path):
    src = '''
    ADMIN = ["UserModify", "TokenRead"]
    def rule(event):
        perms = set(event.get("permissions", []))
        return len(set(ADMIN).intersection(perms)) > 0
    '''
    events = [{"permissions": ["UserModify"]}, {"permissions": ["Read"]}, {"permissions": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert condition(out).endswith('any(permissions[*]: element in ["TokenRead", "UserModify"])')


def test_set_inequality_of_two_arrays(tmp_path):
    src = '''
    def rule(event):
        return set(event.deep_get("new", "methods", default=[])) != set(event.deep_get("old", "methods", default=[]))
    '''
    events = [{"new": {"methods": ["sms", "totp"]}, "old": {"methods": ["totp", "sms"]}},
              {"new": {"methods": ["sms"]}, "old": {"methods": ["sms", "totp"]}},
              {"new": {"methods": ["sms", "sms"]}, "old": {"methods": ["sms"]}}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_count_of_a_filtered_list_compared_with_a_number(tmp_path):
    # len() of a comprehension counts every element it keeps, duplicates included
    src = '''
    def active(event):
        return len([t for t in event.get("threats", []) if t.get("status") == "active"])

    def rule(event):
        return active(event) >= 3 and 5 > active(event)
    '''
    active, idle = {"status": "active"}, {"status": "idle"}
    events = [{"threats": [active] * 3}, {"threats": [active, active, idle]},
              {"threats": [active] * 5}, {"threats": [active] * 4 + [idle, {}]}, {"threats": []},
              {}, {"threats": [active, {"status": None}, active, active]}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "count(threats[*] where .status == \"active\") >= 3" in condition(out)


def test_counts_of_two_lists_compared(tmp_path):
    src = '''
    def rule(event):
        olds = [c for c in event.get("changes", []) if c.get("old")]
        news = list(event.get("added", []))
        if len(olds) != len(news):
            return True
        return len(news) == 2
    '''
    events = [{"changes": [{"old": "a"}, {"old": ""}], "added": ["x"]},
              {"changes": [{"old": "a"}], "added": ["x", "x"]},
              {"changes": [{"old": "a"}, {"old": "b"}], "added": ["x", "y"]},
              {"changes": [{"old": "a"}, {"old": "b"}, {"old": "c"}], "added": [1, 2, 3]},
              {"changes": [], "added": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


@pytest.mark.parametrize("counted, why", [
    ("set(event.get('names', []))", "distinct values"),
    ("[n for n in set(event.get('names', []))]", "distinct values"),
    ("list(event.get('names', [])) + [n for n in event.get('others', []) if n]", "several arrays"),
])
def test_counts_of_distinct_values_or_several_arrays_are_reported(tmp_path, counted, why):
    src = f'''
    def rule(event):
        return len({counted}) > 1
    '''
    out = extract(tmp_path, src, events=[{"names": ["a", "a"], "others": ["b"]}])
    assert out.status == "unsupported"
    assert any(why in r for r in out.reasons), out.reasons


def test_number_of_keys_of_a_dict_built_in_a_loop(tmp_path):
    # later elements overwrite earlier ones: len() counts distinct keys
    src = '''
    def rule(event):
        owners = {}
        for item in event.get("items", []):
            if item.get("kind") == "bucket":
                owners[item.get("name", "").lower()] = item.get("owner")
        return len(owners) >= 2
    '''
    events = [{"items": [{"kind": "bucket", "name": "A"}, {"kind": "bucket", "name": "a"}]},
              {"items": [{"kind": "bucket", "name": "A"}, {"kind": "bucket", "name": "b"}]},
              {"items": [{"kind": "bucket"}, {"kind": "bucket", "name": "b"}, {"kind": "x", "name": "c"}]},
              {"items": [{"kind": "x", "name": "A"}, {"kind": "bucket", "name": "b"}]}, {"items": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "distinct (lower(.name) ?? \"\")) >= 2" in condition(out)


def test_number_of_keys_that_may_be_null_is_reported(tmp_path):
    # the model's distinct count leaves nulls out; a dict keeps a None key
    src = '''
    def rule(event):
        owners = {}
        for item in event.get("items", []):
            owners[item.get("name")] = 1
        return len(owners) >= 2
    '''
    out = extract(tmp_path, src, events=[{"items": [{"name": "a"}, {}]}])
    assert out.status == "unsupported"
    assert any("number of keys" in r for r in out.reasons), out.reasons


def test_number_of_regex_matches_is_reported(tmp_path):
    src = '''
    import re

    def rule(event):
        return len(re.findall(r"\\d", event.get("name", ""))) >= 2
    '''
    out = extract(tmp_path, src, events=[{"name": "a12"}])
    assert out.status == "unsupported"
    assert any("number of matches" in r for r in out.reasons), out.reasons


def test_length_of_a_generator_raises_as_in_python(tmp_path):
    src = '''
    def rule(event):
        return len(x for x in event.get("names", []) if x) >= 2
    '''
    out = check(tmp_path, src, [{"names": ["a", "b", "c"]}, {"names": []}, {}])
    assert out.status == "exact" and condition(out) == "false"


def test_count_compared_with_a_fraction_is_reported(tmp_path):
    src = '''
    def rule(event):
        return len([n for n in event.get("names", []) if n]) > 1.5
    '''
    out = extract(tmp_path, src, events=[{"names": ["a", "a"]}])
    assert out.status == "unsupported"
    assert any("whole number" in r for r in out.reasons), out.reasons


def test_comprehension_raising_on_an_element_raises_whatever_the_order(tmp_path):
    # a list comprehension runs on every element first: a null name raises the rule on any
    # event holding one, which is expressible (unlike a loop that may return earlier)
    src = '''
    def rule(event):
        names = [s.get("name").lower() for s in event.get("steps", [])]
        return "checkout" in names
    '''
    events = [{"steps": [{"name": "Checkout"}]}, {"steps": [{"name": "Checkout"}, {"name": None}]},
              {"steps": [{"name": "build"}]}, {"steps": []}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_first_item_of_a_generator_over_a_set_is_reported(tmp_path):
    # a set iterates in no order the query knows (next() over an array: test_python_ordered_loops)
    src = '''
    def rule(event):
        first = next((r for r in {e.get("resource") for e in event.get("entries", [])}), None)
        return first == "bucket"
    '''
    out = extract(tmp_path, src, events=[{"entries": [{"ok": True, "resource": "bucket"}]}])
    assert out.status == "unsupported" and any("next()" in r for r in out.reasons)


def test_deep_walk_through_a_list_normalised_to_a_list(tmp_path):
    # deep_walk hands back the one value found, or a list of the distinct values: the rule
    # normalises both to a list, so whether one or several were found does not matter
    src = '''
    def rule(event):
        flags = event.deep_walk("trail", "selectors", "enabled")
        if flags is None:
            flags = []
        if not isinstance(flags, list):
            flags = [flags]
        return not all(flags)
    '''
    events = [{"trail": {"selectors": [{"enabled": True}, {"enabled": False}]}},
              {"trail": {"selectors": [{"enabled": True}, {"enabled": True}]}},
              {"trail": {"selectors": [{"enabled": False}]}}, {"trail": {"selectors": [{"enabled": None}]}},
              {"trail": {"selectors": []}}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert condition(out) == ("any(trail.selectors[*]: .enabled exists)\n"
                              "not (all(trail.selectors[*]: .enabled is_null or .enabled is_not_null))")


def test_deep_walk_through_nested_lists_plucks_the_values(tmp_path):
    src = '''
    def rule(event):
        names = event.deep_walk("groups", "members", "name")
        if names is None:
            return False
        if not isinstance(names, list):
            names = [names]
        return "root" in names
    '''
    events = [{"groups": [{"members": [{"name": "root"}, {"name": "bob"}]}, {"members": []}]},
              {"groups": [{"members": [{"name": "root"}]}]}, {"groups": [{"members": [{"name": "x"}]}]},
              {"groups": [{"members": [{}]}]}, {"groups": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert 'pluck(groups, "members", "*", "name")' in condition(out)


def test_deep_walk_one_value_or_membership_in_several(tmp_path):
    src = '''
    def rule(event):
        found = event.deep_walk("grants", "granted", default=[])
        return any(found) if isinstance(found, list) else bool(found)
    '''
    events = [{"grants": [{"granted": False}, {"granted": True}]}, {"grants": [{"granted": False}]},
              {"grants": [{"granted": True}, {"granted": True}]}, {"grants": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_deep_walk_whose_result_depends_on_one_or_several_values(tmp_path):
    # one distinct value: a substring test on it; several: membership in the list. The number
    # of distinct values found (duplicates are one) is the model's distinct count
    src = '''
    def rule(event):
        return "Admin" in event.deep_walk("target", "displayName", default=[])
    '''
    events = [{"target": [{"displayName": "Admin Console"}]},
              {"target": [{"displayName": "Admin"}, {"displayName": "x"}]},
              {"target": [{"displayName": "Admin Console"}, {"displayName": "x"}]},
              {"target": [{"displayName": "Admin Console"}, {"displayName": "Admin Console"}]},
              {"target": [{"displayName": "Admin Console"}, {"displayName": None}, {}]},
              {"target": [{"displayName": "Admins"}, {"displayName": "Admins"}, {"displayName": 1}]},
              {"target": [{"displayName": 1}, {"displayName": 1.0}, {"displayName": True}]},
              {"target": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "count(target[*] distinct .displayName) >= 2" in condition(out)


def test_deep_walk_default_counts_as_a_value_found(tmp_path):
    # elements lacking the key add the default ("") to the values found: a second distinct
    # value beside "Admin Console" turns the substring test into membership
    src = '''
    def rule(event):
        return "Admin" in event.deep_walk("target", "displayName", default="")
    '''
    events = [{"target": [{"displayName": "Admin Console"}]},
              {"target": [{"displayName": "Admin Console"}, {}]},
              {"target": [{"displayName": "Admin"}, {"displayName": None}]},
              {"target": [{"displayName": ""}, {}]}, {"target": [{}]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_length_of_deep_walk_lists_compared(tmp_path):
    src = '''
    def rule(event):
        olds = event.deep_walk("changes", "old", default=[])
        news = event.deep_walk("changes", "new", default=[])
        if not isinstance(olds, list):
            olds = [olds] if olds else []
        if not isinstance(news, list):
            news = [news] if news else []
        return len(olds) != len(news) or len(olds) >= 3
    '''
    events = [{"changes": [{"old": "a", "new": "b"}, {"old": "a", "new": "c"}]},
              {"changes": [{"old": "a", "new": "b"}, {"old": "c", "new": "d"}]},
              {"changes": [{"old": "a"}, {"old": "b", "new": "x"}, {"old": "c", "new": "x"}]},
              {"changes": [{"old": "a", "new": "b"}, {"old": "b", "new": "c"}, {"old": "c", "new": "d"}]},
              {"changes": [{"old": "a", "new": "b"}]}, {"changes": [{"new": "b"}]}, {"changes": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_deep_walk_default_added_by_elements_without_the_key(tmp_path):
    # an element without imageId adds "<none>" to the values found: a second distinct value
    src = '''
    def rule(event):
        ids = event.deep_walk("items", "imageId", default="<none>")
        if not isinstance(ids, list):
            ids = [ids]
        return "ami-1" in ids
    '''
    events = [{"items": [{"imageId": "ami-1"}, {}]}, {"items": [{"imageId": "ami-1"}]},
              {"items": [{"imageId": "ami-2"}, {"imageId": None}]}, {"items": [{}]}, {"items": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


@pytest.mark.parametrize("default, test", [
    ("None", '== "denied"'), ('""', '== "denied"'), ('"denied"', '== "denied"'),
    ('""', '!= "denied"'), ("None", '== "denied" or event.get("force") == 1')])
def test_deep_walk_equal_to_a_text_needs_no_count_of_values(tmp_path, default, test):
    # one distinct value equal to "denied" <=> every value found is "denied" (several distinct
    # values are a list, never equal to a text); elements without the key add the default
    src = f'''
    def rule(event):
        reason = event.deep_walk("details", "reason", default={default})
        return reason {test}
    '''
    events = [{"details": [{"reason": "denied"}]}, {"details": [{"reason": "denied"}, {"reason": "denied"}]},
              {"details": [{"reason": "denied"}, {"reason": "other"}]}, {"details": [{"reason": "other"}]},
              {"details": [{"reason": "denied"}, {}]}, {"details": [{"reason": "denied"}, {"reason": None}]},
              {"details": [{}]}, {"details": []}, {"details": [{"reason": "denied"}], "force": 1},
              {"details": [{"reason": "x"}, {"reason": "y"}], "force": 1}, {"details": ["denied"]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert "all(details[*]: " in condition(out)


def test_deep_walk_default_through_nested_lists_is_reported(tmp_path):
    src = '''
    def rule(event):
        names = event.deep_walk("groups", "members", "name", default="?")
        if not isinstance(names, list):
            names = [names]
        return "root" in names
    '''
    out = extract(tmp_path, src, events=[{"groups": [{"members": [{"name": "root"}]}]}])
    assert out.status == "unsupported"
    assert any("which elements without the key add to the values" in r for r in out.reasons)


def test_a_list_compared_with_scalars_is_never_equal(tmp_path):
    src = '''
    def rule(event):
        names = [t.get("name") for t in event.get("targets", [])]
        if names == "root" or names in ["root", "admin"]:
            return True
        return "root" in names
    '''
    events = [{"targets": [{"name": "root"}]}, {"targets": [{"name": "x"}]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_a_set_grown_in_a_loop_over_a_field_answers_membership(tmp_path):
    src = '''
    def values_where(items, key, value):
        found = set()
        for item in items:
            if item.get(key) == value:
                found.add(item.get("id"))
        return found

    def rule(event):
        users = values_where(event.get("target", [{}]), "type", "User")
        return event.get("actor") not in users
    '''
    events = [{"actor": "bob", "target": [{"type": "User", "id": "bob"}]},
              {"actor": "bob", "target": [{"type": "User", "id": "eve"}, {"type": "App", "id": "bob"}]},
              {"actor": "bob", "target": []}, {"actor": "bob"}, {"target": [{"type": "User"}]},
              {"target": [{"type": "App"}]}, {"actor": "bob", "target": None},
              {"actor": "bob", "target": ["not-an-object"]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    # an element that is not an object makes .get() raise: the rule raises whatever the order
    assert 'not (any(target[*]: not element is_type ["dict"]))' in condition(out)
    assert '.type == "User" and .id == actor)' in condition(out)


def test_a_list_grown_from_arrays_in_a_loop_over_constants(tmp_path):
    src = '''
    def rule(event):
        keys = set()
        for section in ["added", "changed"]:
            keys.update(set(event.deep_get("delta", section, default=[])))
        names = []
        if event.get("extra"):
            names.extend(event.get("extra"))
        return bool(keys & {"ssh-keys", "sshKeys"}) or len(names) > 0
    '''
    events = [{"delta": {"added": ["ssh-keys"]}}, {"delta": {"changed": ["a", "sshKeys"]}},
              {"delta": {"added": ["a"], "changed": None}}, {"delta": {}}, {"extra": ["x"]},
              {"extra": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


@pytest.mark.parametrize("body, reason", [
    ("found.append(c.get('name'))\n            return True", "a loop that adds to a list and returns"),
    ("found.append(c.get('name'))\n            found.append(c.get('id'))", "more than one value per element"),
])
def test_growth_that_depends_on_order_or_counts_is_reported(tmp_path, body, reason):
    src = f'''
    def rule(event):
        found = []
        for c in event.get("containers", []):
            {body}
        return "root" in found
    '''
    out = extract(tmp_path, src, events=[{"containers": [{"name": "root", "id": "1"}]}])
    assert out.status != "exact" and any(reason in r for r in out.reasons)


def test_a_list_read_while_it_grows_is_not_rewritten(tmp_path):
    # `seen` is read inside the loop: each element sees what earlier ones added (order)
    src = '''
    def rule(event):
        seen = []
        for c in event.get("containers", []):
            if c.get("name") in seen:
                return True
            seen.append(c.get("name"))
        return False
    '''
    out = extract(tmp_path, src, events=[{"containers": [{"name": "a"}, {"name": "a"}]}])
    assert out.status != "exact" and any("changes outer state" in r for r in out.reasons)


def test_get_on_an_element_the_tests_show_is_not_an_object(tmp_path):
    # Python has no .get() on a text element: the body raises there, so which element comes
    # first decides any() (the first element that is not an object or matches)
    src = '''
    def rule(event):
        return any(item.get("type") == "User" for item in event.get("target", []))
    '''
    events = [{"target": ["not-an-object"]}, {"target": [{"type": "User"}]}, {"target": [{"type": "App"}]},
              {"target": ["x", {"type": "User"}]}, {"target": [{"type": "User"}, "x"]}, {"target": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert 'not element is_type ["dict"]' in condition(out)


def test_a_dict_built_from_key_value_elements_reads_the_last_match(tmp_path):
    # {item["Key"]: item["Value"] for ...}: a later element with the same key overwrites an
    # earlier one, and an element without Key or Value makes the comprehension raise
    src = '''
    def pairs(event):
        return {item["Key"]: item["Value"] for item in event.get("pairs", [])}

    def rule(event):
        kv = pairs(event)
        if "mode" in kv and kv["mode"] == "off":
            return True
        return kv.get("roles", "").split(",")[0] == "admin"
    '''
    events = [{"pairs": [{"Key": "mode", "Value": "off"}]}, {"pairs": [{"Key": "mode", "Value": "on"}]},
              {"pairs": [{"Key": "mode", "Value": "off"}, {"Key": "mode", "Value": "on"}]},
              {"pairs": [{"Key": "mode", "Value": "on"}, {"Key": "mode", "Value": "off"}]},
              {"pairs": [{"Key": "roles", "Value": "admin,x"}]}, {"pairs": [{"Key": "roles", "Value": "x"}]},
              {"pairs": [{"Key": "roles", "Value": "admin"}, {"Value": "y"}]},
              {"pairs": [{"Key": "roles", "Value": None}]}, {"pairs": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert 'last(pairs[*] where .Key == "mode": .Value == "off")' in condition(out)


def test_a_dict_lookup_with_a_key_from_the_event_is_reported(tmp_path):
    src = '''
    def rule(event):
        kv = {item["Key"]: item["Value"] for item in event.get("pairs", [])}
        return kv.get(event.get("wanted")) == "x"
    '''
    out = extract(tmp_path, src, events=[{"pairs": [{"Key": "a", "Value": "x"}], "wanted": "a"}])
    assert out.status != "exact" and any("a key that is not a constant" in r for r in out.reasons)


def test_a_dict_filled_in_a_loop_over_a_field_reads_the_last_assignment(tmp_path):
    src = '''
    REQUIRED = ["read", "write"]

    def rule(event):
        granted = {}
        for auth in event.get("auths") or []:
            if auth.get("kind") != "skip":
                granted[auth.get("permission")] = auth.get("granted")
        for permission in REQUIRED:
            if not granted.get(permission):
                return False
        return True
    '''
    events = [{"auths": [{"permission": "read", "granted": True}, {"permission": "write", "granted": True}]},
              {"auths": [{"permission": "read", "granted": True}, {"permission": "write", "granted": False}]},
              {"auths": [{"permission": "read", "granted": True}, {"permission": "write", "granted": True},
                         {"permission": "write", "granted": False}]},
              {"auths": [{"permission": "read", "granted": True}, {"permission": "write", "granted": False},
                         {"permission": "write", "granted": True}]},
              {"auths": [{"permission": "read", "granted": True}, {"permission": "write", "granted": True},
                         {"permission": "write", "granted": False, "kind": "skip"}]},
              {"auths": [{"permission": "read", "granted": True}]}, {"auths": None}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert 'last(auths[*] where ' in condition(out)


def test_a_loop_variable_reused_by_a_later_comprehension_is_not_outer_state(tmp_path):
    # the generator's `item` is its own variable: the loop's `item` is not read after the loop
    src = '''
    def rule(event):
        for item in event.get("items") or []:
            if item.get("kind") == "admin":
                return True
        return any(item.get("n") == 1 for item in event.get("items") or [])
    '''
    events = [{"items": [{"kind": "admin"}]}, {"items": [{"kind": "x", "n": 1}]},
              {"items": [{"kind": "x", "n": 2}]}, {"items": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_a_loop_setting_a_module_global_leaves_it_opaque(tmp_path):
    # the detection does not read SHARED_WITH_USER; which element set it last depends on the
    # order, so severity() reading it is refused rather than given an element's value
    src = '''
    SHARED_WITH_USER = False

    def rule(event):
        for item in event.get("items") or []:
            if item.get("userId") or item.get("group") == "all":
                global SHARED_WITH_USER
                SHARED_WITH_USER = "userId" in item
                return True
        return False

    def severity(event):
        return "INFO" if SHARED_WITH_USER else "DEFAULT"
    '''
    events = [{"items": [{"userId": "1"}]}, {"items": [{"group": "all"}]}, {"items": [{"group": "x"}]},
              {"items": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert any("module state: SHARED_WITH_USER, set in a loop over field items" in r for r in out.extras)


def test_a_loop_assigning_a_module_global_before_reading_it_is_a_quantifier(tmp_path):
    # each element assigns LABEL before the body reads it, so no element sees the previous
    # element's value: the loop is an any() over the elements (LABEL is opaque after it)
    src = '''
    LABEL = ""

    def rule(event):
        for item in event.get("items", []):
            if item.get("kind") != "grant":
                continue
            global LABEL
            LABEL = item.get("role")
            if LABEL == "owner":
                return True
        return False

    def title(event):
        return f"granted {LABEL}"
    '''
    events = [{"items": [{"kind": "grant", "role": "owner"}]},
              {"items": [{"kind": "grant", "role": "viewer"}, {"kind": "revoke", "role": "owner"}]},
              {"items": [{"kind": "grant", "role": "viewer"}, {"kind": "grant", "role": "owner"}]},
              {"items": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert "any(items" in condition(out)


@pytest.mark.parametrize("read_first", [
    "if LABEL == 'owner':\n                return True\n            LABEL = item.get('role')",
    "LABEL += item.get('role')\n            if LABEL == 'owner':\n                return True",
])
def test_a_loop_reading_a_module_global_before_assigning_it_stays_refused(tmp_path, read_first):
    # an element reads the value the previous element left: order decides, no quantifier
    src = f'''
    LABEL = ""

    def rule(event):
        for item in event.get("items", []):
            global LABEL
            {read_first}
        return False
    '''
    out = extract(tmp_path, src, events=[{"items": [{"role": "owner"}, {"role": "x"}]}])
    assert out.status != "exact"
    assert any("iterating over field items" in r for r in out.reasons)


SEARCH_EVENTS = [
    {"items": [{"kind": "file", "name": "notes/README.txt"}]},
    {"items": [{"kind": "dir", "name": "a.txt"}, {"kind": "file", "name": "b.exe"},
               {"kind": "file", "name": "c.txt"}]},
    {"items": [{"kind": "file", "name": "b.exe"}, {"kind": "file", "name": "c.txt"}]},
    {"items": [{"kind": "file"}, {"kind": "file", "name": "x.txt"}]},
    {"items": [{"kind": "dir", "name": "a.txt"}]}, {"items": []}, {"name": "top.txt"}, {},
]


def test_a_loop_that_assigns_a_local_and_breaks_is_a_search_for_the_first_element(tmp_path):
    # `name = ...; break` keeps the first matching element's value: the first element that
    # leaves the loop decides (a First node), the value before the loop when none does
    src = '''
    def rule(event):
        name = event.get("name", "")
        for item in event.get("items", []):
            if item.get("kind") == "file":
                name = item.get("name", "")
                break
        return name.endswith(".txt")
    '''
    out = check(tmp_path, src, SEARCH_EVENTS)
    assert out.status == "exact"
    assert "first(items" in condition(out)


def test_a_search_loop_whose_locals_are_read_after_it_stays_a_plain_loop(tmp_path):
    # `kind` is read after the loop: moving the loop into a function would hide it
    src = '''
    def rule(event):
        name, kind = "", ""
        for item in event.get("items", []):
            kind = item.get("kind")
            if kind == "file":
                name = item.get("name", "")
                break
        return name.endswith(".txt") and kind == "file"
    '''
    out = extract(tmp_path, src, events=SEARCH_EVENTS)
    assert out.status != "exact"
    assert any("iterating over field items" in r for r in out.reasons)
