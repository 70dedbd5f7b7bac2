"""PantherEvent and the read-only containers: Panther's observable behaviour."""
import json

import pytest

from translator.runtime.data_models import DataModel
from translator.runtime.event import (ImmutableCaseInsensitiveDict, ImmutableList, NoDataModelError,
                                      PantherEvent, json_encoder)


@pytest.fixture
def event():
    return PantherEvent({
        "eventName": "CreateUser",
        "UserIdentity": {"Type": "IAMUser", "arn": "arn:aws:iam::1:user/a", "nothing": None},
        "resources": [{"ARN": "r1", "tags": ["x", "y"]}, {"ARN": "r2", "tags": ["y", "z"]},
                      {"other": 1}],
        "emptyList": [],
        "zero": 0,
    })


def test_keys_are_case_insensitive_at_every_level(event):
    assert event["EVENTNAME"] == "CreateUser"
    assert event.get("eventname") == "CreateUser"
    assert event["useridentity"]["type"] == "IAMUser"
    assert event["resources"][0]["arn"] == "r1"
    assert "USERIDENTITY" in event
    assert "missing" not in event


def test_exact_key_wins_then_first_case_variant():
    ev = PantherEvent({"Key": 1, "key": 2, "KEY": 3})
    assert ev["key"] == 2  # exact match first
    assert ev["kEy"] == 1  # otherwise the first key (insertion order) with that lower form


def test_missing_key_raises_keyerror_and_get_defaults(event):
    with pytest.raises(KeyError):
        event["nope"]
    assert event.get("nope") is None
    assert event.get("nope", "d") == "d"


def test_nested_values_are_wrapped_read_only(event):
    assert isinstance(event["userIdentity"], ImmutableCaseInsensitiveDict)
    assert isinstance(event["resources"], ImmutableList)
    assert isinstance(event["resources"][0]["tags"], ImmutableList)
    assert isinstance(event["resources"][0:2], ImmutableList)


@pytest.mark.parametrize("mutate", [
    lambda e: e.__setitem__("eventName", "x"),
    lambda e: e.__delitem__("eventName"),
    lambda e: e["userIdentity"].__setitem__("type", "x"),
    lambda e: e["resources"].__setitem__(0, "x"),
    lambda e: e["resources"].append("x"),
    lambda e: e.update({"a": 1}),
    lambda e: e.pop("eventName"),
    lambda e: setattr(e, "anything", 1),
])
def test_mutation_raises(event, mutate):
    with pytest.raises((TypeError, AttributeError)):
        mutate(event)
    assert event["eventName"] == "CreateUser"


def test_copies_are_mutable_and_detached(event):
    d = event.to_dict()
    d["UserIdentity"]["Type"] = "changed"
    assert event["userIdentity"]["type"] == "IAMUser"
    lst = event["resources"].as_list()
    lst.append(1)
    assert len(event["resources"]) == 3


def test_immutable_list_compares_with_lists_and_tuples(event):
    tags = event["resources"][0]["tags"]
    assert tags == ["x", "y"] and tags == ("x", "y") and tags != ["y", "x"]
    assert "x" in tags and len(tags) == 2 and list(tags) == ["x", "y"]
    assert event["emptyList"] == []


def test_equality_of_mappings(event):
    assert event["userIdentity"] == {"Type": "IAMUser", "arn": "arn:aws:iam::1:user/a", "nothing": None}


def test_deep_get(event):
    assert event.deep_get("userIdentity", "type") == "IAMUser"
    assert event.deep_get("USERIDENTITY", "ARN") == "arn:aws:iam::1:user/a"
    assert event.deep_get("userIdentity", "missing") is None
    assert event.deep_get("userIdentity", "missing", default="d") == "d"
    # a null value gives the default too
    assert event.deep_get("userIdentity", "nothing", default="d") == "d"
    # stepping through a non-mapping gives the default
    assert event.deep_get("eventName", "x", default="d") == "d"
    assert event.deep_get("resources", "ARN", default="d") == "d"
    # falsy but present values are kept
    assert event.deep_get("zero", default="d") == 0


def test_deep_walk_through_lists(event):
    assert event.deep_walk("resources", "ARN") == ["r1", "r2"]
    assert event.deep_walk("resources", "ARN", return_val="first") == "r1"
    assert event.deep_walk("resources", "ARN", return_val="last") == "r2"
    # leaf lists are flattened and values de-duplicated in first-seen order
    assert event.deep_walk("resources", "tags") == ["x", "y", "z"]
    assert event.deep_walk("resources", "other") == 1  # a single value is returned bare
    assert event.deep_walk("resources", "missing") is None
    assert event.deep_walk("resources", "missing", default="d") == "d"
    assert event.deep_walk("emptyList", default="d") == "d"
    assert event.deep_walk("UserIdentity", "Type") == "IAMUser"
    # Panther quirk: an unknown return_val gives the string "all"
    assert event.deep_walk("resources", "ARN", return_val="bogus") == "all"


def test_deep_walk_returns_plain_containers_like_panther(event):
    found = event.deep_walk("resources")
    assert isinstance(found, list) and found[0]["ARN"] == "r1"
    found[0]["ARN"] = "changed"  # a copy: the event is untouched
    assert event["resources"][0]["ARN"] == "r1"
    # keys match exactly, as in Panther's implementation
    assert event.deep_walk("useridentity", "type") is None


def test_json_serialisation(event):
    text = json.dumps(event, default=json_encoder, sort_keys=True)
    assert json.loads(text)["resources"][0]["tags"] == ["x", "y"]
    assert json.loads(json.dumps({"u": event["userIdentity"]}, default=PantherEvent.json_encoder))
    with pytest.raises(TypeError):
        json.dumps(object(), default=json_encoder)


def _model(paths=None, methods=None):
    from jsonpath_ng.ext import parse

    return DataModel("Test.Model", {k: parse(v) for k, v in (paths or {}).items()}, methods or {})


def test_udm_paths_and_methods():
    seen = []

    def actor(ev):
        seen.append(type(ev))
        return ev.get("user", {}).get("name")

    model = _model({"ip": "$.client.ip", "agent": "userAgent", "all_names": "$.items[*].name"},
                   {"actor": actor})
    ev = PantherEvent({"client": {"ip": "1.2.3.4"}, "userAgent": "curl", "user": {"name": "bob"},
                       "items": [{"name": "a"}, {"name": "b"}], "p_udm": {"other": "u"}}, model)
    assert ev.udm("ip") == "1.2.3.4"
    assert ev.udm("agent") == "curl"
    assert ev.udm("actor") == "bob"
    assert seen == [ImmutableCaseInsensitiveDict]  # methods get the read-only mapping
    with pytest.raises(Exception, match="matched multiple fields"):
        ev.udm("all_names")
    # unmapped names fall back to p_udm, then to the event's own keys
    assert ev.udm("other") == "u"
    assert ev.udm("userAgent") == "curl"
    assert ev.udm("user", "name") == "bob"
    assert ev.udm("nothing", default="d") == "d"


def test_udm_mapped_name_without_match_gives_default_not_raw_key():
    model = _model({"ip": "$.client.ip"}, {"actor": lambda ev: None})
    ev = PantherEvent({"ip": "raw", "actor": "raw", "p_udm": {"ip": "p"}}, model)
    assert ev.udm("ip", default="d") == "d"
    assert ev.udm("actor", default="d") is None  # a method's None is its answer
    assert ev.udm("ip") is None


def test_udm_without_model_and_falsy_values():
    ev = PantherEvent({"a": 0, "b": "", "c": "x", "p_udm": {"c": "from_udm"}})
    assert ev.udm("a", default="d") == "d"  # falsy results give the default
    assert ev.udm("b") is None
    assert ev.udm("c") == "from_udm"


def test_udm_path_reports_panthers_text():
    model = _model({"ip": "$.client.ip", "first": "$.items[0].name"}, {"actor": lambda ev: 1})
    ev = PantherEvent({"client": {"ip": "1"}, "items": [{"name": "a"}]}, model)
    assert ev.udm_path("ip") == "client.ip"
    assert ev.udm_path("first") == "items.[0].name"
    assert ev.udm_path("actor") == "<lambda>"
    assert ev.udm_path("unknown") is None
    with pytest.raises(NoDataModelError):
        PantherEvent({}).udm_path("ip")


def test_lookup_uses_mocked_lookup_data_offline():
    ev = PantherEvent({"_mocked_lookup_data_": {"table": {"k": {"v": 1}}}})
    assert ev.lookup("table", "k") == {"v": 1}
    assert ev.lookup("table", "missing") is None
    ev._add_lookup_function(lambda e, name, key: f"{name}/{key}")
    assert ev.lookup("t", "k") == "t/k"


def test_event_time_epoch():
    assert PantherEvent({"p_event_time": "2023-05-23 20:47:51.149"}).event_time_epoch() == 1684874871
    assert PantherEvent({}).event_time_epoch() == 0
    assert PantherEvent({"p_event_time": "not a time"}).event_time_epoch() == 0


def test_copy_and_pickle_keep_the_read_only_view(event):
    import copy
    import pickle

    for clone in (copy.deepcopy(event), pickle.loads(pickle.dumps(event)), copy.copy(event)):
        assert type(clone) is PantherEvent and clone == event
        assert clone["useridentity"]["TYPE"] == "IAMUser"
        with pytest.raises(TypeError):
            clone["x"] = 1
