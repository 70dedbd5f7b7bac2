"""Loops whose result depends on the order of the array's elements (frontends/python/ordered.py):
a body that raises on some elements, breaks, or returns different values. Python stops at the
first element on which the body leaves the loop; the model says so with ``first(...)``. Each
rule is ours; each extraction is compared with the real rule on events that put the deciding
elements in both orders."""
from __future__ import annotations

from pyrule_harness import check, condition, extract


def test_raising_element_before_a_returning_one_makes_the_rule_raise(tmp_path):
    src = '''
    def rule(event):
        for f in event.get("filters", []):
            if "admin" in f.get("ruleId"):
                return True
        return False
    '''
    events = [{"filters": [{"ruleId": "x-admin"}, {"ruleId": None}]},
              {"filters": [{}, {"ruleId": "x-admin"}]}, {"filters": [{"ruleId": "b"}]},
              {"filters": [{"ruleId": "b"}, {"ruleId": "admin"}]}, {"filters": []}, {},
              {"filters": None}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert 'first(filters[*] where .ruleId is_null or .ruleId contains "admin": ' \
           '.ruleId contains "admin")' in condition(out)


def test_different_values_returned_by_different_elements(tmp_path):
    src = '''
    def rule(event):
        for item in event.get("items", []):
            if item.get("a") == 1:
                return True
            if item.get("b") == 1:
                return False
        return False
    '''
    events = [{"items": [{"a": 1}, {"b": 1}]}, {"items": [{"b": 1}, {"a": 1}]},
              {"items": [{"a": 2}, {"a": 1, "b": 1}]}, {"items": [{"c": 1}]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "first(items[*] where" in condition(out)


def test_break_before_the_returning_element(tmp_path):
    src = '''
    def rule(event):
        for step in event.get("steps", []):
            if step.get("name") == "end":
                break
            if step.get("uses", "").startswith("actions/checkout"):
                return True
        return event.get("kind") == "push"
    '''
    events = [{"steps": [{"uses": "actions/checkout@v4"}, {"name": "end"}]},
              {"steps": [{"name": "end"}, {"uses": "actions/checkout@v4"}]},
              {"steps": [{"name": "end"}], "kind": "push"}, {"steps": [{"uses": "x"}], "kind": "push"},
              {"steps": [{"uses": None}], "kind": "push"}, {"kind": "pull"}, {"kind": "push"}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_after_the_loop_the_rule_alerts_when_no_element_left_it(tmp_path):
    # returns False on a bad element, raises on an element without a name, else True
    src = '''
    def rule(event):
        for member in event.get("members", []):
            if member.get("name").endswith("@corp.example"):
                return False
        return True
    '''
    events = [{"members": [{"name": "a@corp.example"}, {}]}, {"members": [{}, {"name": "a@corp.example"}]},
              {"members": [{"name": "b@evil.example"}]}, {"members": []}, {},
              {"members": [{"name": "b@evil.example"}, {"name": None}]}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_the_rule_catches_what_the_first_raising_element_raises(tmp_path):
    src = '''
    def rule(event):
        try:
            for f in event.get("filters", []):
                if "admin" in f.get("ruleId"):
                    return False
        except TypeError:
            return True
        return False
    '''
    events = [{"filters": [{"ruleId": "admin"}, {}]}, {"filters": [{}, {"ruleId": "admin"}]},
              {"filters": [{"ruleId": "b"}]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_elements_raising_different_errors(tmp_path):
    # a KeyError is caught, a TypeError (None.lower()) is not: which comes first decides
    src = '''
    def rule(event):
        try:
            for p in event.get("params", []):
                if p["Name"] == "Forward" and p.get("Value").lower() == "true":
                    return True
        except KeyError:
            return event.get("strict") is True
        return False
    '''
    events = [{"params": [{"Name": "Forward", "Value": None}, {}], "strict": True},
              {"params": [{}, {"Name": "Forward", "Value": None}], "strict": True},
              {"params": [{"Name": "Forward", "Value": "TRUE"}]},
              {"params": [{"Name": "Other"}, {"Name": "Forward", "Value": "true"}]},
              {"params": [{"Name": "Other"}]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_any_stops_at_the_first_truthy_element_and_raises_before_it(tmp_path):
    src = '''
    def rule(event):
        return any(s.get("name").lower().startswith("checkout") for s in event.get("steps", []))
    '''
    events = [{"steps": [{"name": "Checkout repo"}, {}]}, {"steps": [{}, {"name": "checkout"}]},
              {"steps": [{"name": "build"}, {"name": None}]}, {"steps": [{"name": "build"}]},
              {"steps": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "first(steps[*] where" in condition(out)


def test_all_stops_at_the_first_falsy_element(tmp_path):
    src = '''
    def rule(event):
        if not event.get("ports"):
            return False
        return all(p.get("range").endswith("/32") for p in event.get("ports") if p.get("open"))
    '''
    events = [{"ports": [{"open": True, "range": "10.0.0.0/8"}, {"open": True}]},
              {"ports": [{"open": True}, {"open": True, "range": "10.0.0.0/8"}]},
              {"ports": [{"open": True, "range": "1.2.3.4/32"}, {"open": False}]},
              {"ports": [{"open": True, "range": "1.2.3.4/32"}, {"open": True, "range": None}]},
              {"ports": [{"open": False}]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


# --------------------------------------------------------------------------- picked elements
def test_helper_returning_the_first_matching_element(tmp_path):
    # the loop hands back the element itself; the rule reads it, and loops over its own list
    src = '''
    def lookup(kind, event):
        for d in event.get("events", []):
            if d.get("type") == kind:
                return d
        return {}

    def param(params, key):
        for p in params or []:
            if p.get("name") == key:
                return p.get("value")
        return None

    def rule(event):
        details = lookup("access", event)
        return bool(details) and param(details.get("parameters"), "visibility") == "public"
    '''
    events = [{"events": [{"type": "access", "parameters": [{"name": "visibility", "value": "public"}]}]},
              {"events": [{"type": "login"}, {"type": "access", "parameters": [
                  {"name": "x", "value": "public"}, {"name": "visibility", "value": "public"}]}]},
              {"events": [{"type": "access", "parameters": [{"name": "visibility", "value": "private"}]},
                          {"type": "access", "parameters": [{"name": "visibility", "value": "public"}]}]},
              {"events": [{"type": "access"}]}, {"events": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert 'first(events[*] where .type == "access": first(.parameters[*] where ' \
           '.name == "visibility": .value == "public"))' in condition(out)


def test_next_over_a_generator_takes_the_first_element_it_yields(tmp_path):
    src = '''
    def rule(event):
        wanted = next((e.get("resource") for e in event.get("auth", [])
                       if e.get("permission") == "objects.create"), None)
        return bool(wanted) and wanted == event.get("resourceName")
    '''
    events = [{"auth": [{"permission": "objects.create", "resource": "b/o"}], "resourceName": "b/o"},
              {"auth": [{"permission": "objects.create", "resource": "b/x"},
                        {"permission": "objects.create", "resource": "b/o"}], "resourceName": "b/o"},
              {"auth": [{"permission": "objects.get", "resource": "b/o"},
                        {"permission": "objects.create", "resource": "b/o"}], "resourceName": "b/o"},
              {"auth": [{"permission": "objects.create"}], "resourceName": "b/o"}, {"resourceName": "b/o"}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "first(auth[*] where" in condition(out)


def test_deep_walk_first_value_without_and_with_a_default(tmp_path):
    # without a default the first non-null value; with one, every element adds its value or
    # the default, so the first is element 0's (through nested lists too)
    src = '''
    def rule(event):
        if event.deep_walk("target", "name", return_val="first") == "app":
            return True
        if event.deep_walk("target", "props", "old", default="", return_val="first") == "on":
            return True
        return "Org" in event.deep_walk("target", "kind", default="", return_val="first")
    '''
    events = [{"target": [{"name": "app"}, {"name": "b"}]}, {"target": [{"id": 1}, {"name": "app"}]},
              {"target": [{"name": "b"}, {"name": "app"}]}, {"target": [{"name": None}, {"name": "app"}]},
              {"target": [{"kind": "Org2Org"}, {"kind": "x"}]}, {"target": [{}, {"kind": "Org2Org"}]},
              {"target": [{"kind": "x"}, {"kind": "Org2Org"}]}, {"target": []}, {},
              {"target": [{"props": [{"old": "on"}]}]}, {"target": [{"props": [{}, {"old": "on"}]}]},
              {"target": [{"props": []}, {"props": [{"old": "on"}]}]},
              {"target": [{"props": [{"old": None}]}, {"props": [{"old": "on"}]}]}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    text = condition(out)
    assert 'first(target[*] where .name exists: .name == "app")' in text
    assert 'target[0].kind contains "Org"' in text and 'target[0].props[0].old == "on"' in text


def test_subscript_of_a_null_value_is_none_not_a_key_error(tmp_path):
    # b["action"] raises KeyError only when the key is missing; a null action is None, which
    # is not "ADD": the loop goes on to the next binding
    src = '''
    def rule(event):
        try:
            for b in event.get("bindings", []):
                if b["action"] == "ADD" and b["role"].endswith("Admin"):
                    return True
        except KeyError:
            return event.get("strict") is True
        return False
    '''
    events = [{"bindings": [{"action": None}, {"action": "ADD", "role": "roles/Admin"}]},
              {"bindings": [{}, {"action": "ADD", "role": "roles/Admin"}], "strict": False},
              {"bindings": [{"action": "ADD"}], "strict": True},
              {"bindings": [{"action": "ADD", "role": "x"}, {"action": None}]}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "not .action is_present" in condition(out)


def test_loop_whose_first_exit_may_be_an_unexpressed_return_is_reported(tmp_path):
    # the element with kind "x" returns a value computed from it (not expressible), and its
    # null tags raise: the first such element decides, so the raising one cannot stand for it
    src = '''
    def rule(event):
        for item in event.get("items", []):
            if item.get("kind") == "x":
                return len(item.get("tags", [])) > 0
        return False
    '''
    events = [{"items": [{"kind": "y"}, {"kind": "x", "tags": ["a"]}]}, {"items": [{"kind": "x", "tags": None}]}]
    out = extract(tmp_path, src, events=events)
    assert out.status != "exact"
    assert any("a loop returning a value computed from the element" in r for r in out.reasons)


def test_count_of_a_list_in_the_first_matching_element(tmp_path):
    src = '''
    def rule(event):
        first = next((i for i in event.get("items", []) if i.get("kind") == "x"), None)
        if first is None:
            return False
        return len([t for t in first.get("tags", []) if t]) >= 2
    '''
    events = [{"items": [{"kind": "y", "tags": ["a", "b"]}, {"kind": "x", "tags": ["a", "b"]}]},
              {"items": [{"kind": "x", "tags": ["a"]}, {"kind": "x", "tags": ["a", "b"]}]},
              {"items": [{"kind": "x", "tags": ["a", "", "c"]}]}, {"items": [{"kind": "x"}]},
              {"items": []}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "first(items[*] where .kind == \"x\": count(.tags[*] where" in condition(out)
