"""Unit tests of the Python frontend on loops and iteration over event arrays: small rules of
our own, each extraction compared with the real rule on the events given."""
from __future__ import annotations

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


def test_loop_body_raising_on_an_element_is_reported_not_guessed(tmp_path):
    # Python stops at the first element whose name is null: whether an earlier element
    # matched decides the result, which no query can express
    src = '''
    def rule(event):
        for step in event.get("steps", []):
            if step.get("name").lower() == "checkout":
                return True
        return False
    '''
    events = [{"steps": [{"name": "Checkout"}]}, {"steps": [{"name": "build"}]}]
    out = extract(tmp_path, src, events=events)
    assert out.status == "partial"
    assert any("raises on some elements of steps" in r for r in out.reasons)
    # events without such an element are still decided exactly
    assert agrees_on(tmp_path, out, events) == []


def test_loop_mutating_a_collection_through_a_method_is_not_pure(tmp_path):
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
    out = extract(tmp_path, src, events=[{"targets": [{"type": "User", "id": "root"}]}])
    assert out.status == "unsupported"
    assert any("changes outer state" in r for r in out.reasons)


def test_body_reaching_an_unsupported_construct_is_not_dropped(tmp_path):
    # the body never returns on the paths the tracer could follow; the unsupported path
    # might: the loop must not be read as having no effect
    src = '''
    import shlex
    def rule(event):
        for cmd in event.get("commands", []):
            if shlex.split(cmd)[0] == "curl":
                return True
        return False
    '''
    out = extract(tmp_path, src, events=[{"commands": ["curl x"]}])
    assert out.status != "exact" and any("shlex" in r for r in out.reasons)


def test_iterating_a_text_field_is_refused(tmp_path):
    src = '''
    def rule(event):
        return any(c == "x" for c in event.get("name", []))
    '''
    out = extract(tmp_path, src, events=[{"name": "abc"}, {"name": ["x"]}])
    assert out.status == "unsupported"
    assert any("name is text (iterating its characters)" in r for r in out.reasons)
