"""The reference evaluator against hand-computed Python semantics."""
import json

import pytest

from translator.evaluator import NotEvaluable, evaluate
from translator.model import (
    FALSE, TRUE, All, AnyOf, Field, Not, Opaque, Predicate, Quantifier, Transform,
)

EVENT = {
    "eventName": "CreateUser",
    "sourceIPAddress": "10.1.2.3",
    "userAgent": "Mozilla/5.0",
    "count": 7,
    "strnum": "42",
    "nothing": None,
    "tags": ["prod", "Admin"],
    "nested": {"Inner": {"value": "X"}},
    "items": [{"port": 22, "cidr": "0.0.0.0/0"}, {"port": 443, "cidr": "10.0.0.0/8"}],
    "json_text": '{"a": {"b": 1}}',
}


def P(path, op, value=None, **kw):
    fkw = {k: kw.pop(k) for k in ("default", "default_on_null", "transforms", "root") if k in kw}
    steps = tuple(path.split(".")) if isinstance(path, str) else path
    return Predicate(Field(steps, **fkw), op, value, **kw)


@pytest.mark.parametrize("pred, expected", [
    (P("eventName", "eq", "CreateUser"), True),
    (P("eventName", "eq", "createuser"), False),
    (P("eventName", "eq", "createuser", case_sensitive=False), True),
    (P("EVENTNAME", "eq", "CreateUser"), True),  # case-insensitive keys
    (P("eventName", "in", ("A", "CreateUser")), True),
    (P("missing", "eq", None), True),  # event.get("missing") == None
    (P("missing", "eq", "foo", default="<X>"), False),
    (P("missing", "eq", "<X>", default="<X>"), True),
    (P("nothing", "eq", "d", default="d"), False),  # get() default applies only when absent
    (P("nothing", "eq", "d", default="d", default_on_null=True), True),  # deep_get style
    (P("userAgent", "contains", "zilla"), True),
    (P("count", "contains", "7"), False),  # "7" in 7 raises in Python
    (P("tags", "member", "prod"), True),
    (P("tags", "member", "admin"), False),
    (P("tags", "member", "admin", case_sensitive=False), True),
    (P("tags", "contains", "pro"), False),  # substring op is for strings only
    (P("userAgent", "startswith", ("Curl", "Mozilla")), True),
    (P("userAgent", "endswith", "5.0"), True),
    (P("userAgent", "regex", r"^mozilla", flags=("IGNORECASE",)), True),
    (P("userAgent", "regex", r"zilla", flags=("match",)), False),
    (P("userAgent", "glob", "Mozilla/*"), True),
    (P("count", "gt", 5), True),
    (P("strnum", "gt", 5), False),  # str > int raises
    (P("strnum", "gt", 40, transforms=(Transform("int"),)), True),
    (P("missing", "lt", 3), False),
    (P("sourceIPAddress", "cidr", ("10.0.0.0/8",)), True),
    (P("sourceIPAddress", "cidr", ("fd00::/8",)), False),
    (P("eventName", "cidr", ("10.0.0.0/8",)), False),  # not an address
    (P("sourceIPAddress", "ip_private"), True),
    (P("nested.inner.value", "eq", "X"), True),
    (P(("items", 1, "port"), "eq", 443), True),
    (P(("items", 5, "port"), "exists"), False),
    (P("nothing", "exists"), False),
    (P("nothing", "null"), True),
    (P("missing", "null"), True),
    (P("count", "truthy"), True),
    (P("nothing", "truthy"), False),
    (P("eventName", "eq", "createuser", transforms=(Transform("lower"),)), True),
    (P("missing", "eq", "none", transforms=(Transform("str"), Transform("lower"))), True),
    (P("count", "eq", "x", transforms=(Transform("lower"),)), False),  # 7.lower() raises
    (P("json_text", "eq", {"b": 1}, transforms=(Transform("json"), Transform("index", ("a",)))), True),
    (P("tags", "eq", 2, transforms=(Transform("len"),)), True),
    (P("userAgent", "eq", "Mozilla", transforms=(Transform("split", ("/", 0)),)), True),
    (P("eventName", "eq", Field(("EventName",))), True),  # field-to-field
])
def test_predicates(pred, expected):
    assert evaluate(pred, EVENT) is expected


def test_boolean_structure():
    t, f = P("eventName", "eq", "CreateUser"), P("eventName", "eq", "x")
    assert evaluate(All((t, Not(f))), EVENT)
    assert not evaluate(All((t, f)), EVENT)
    assert evaluate(AnyOf((f, t)), EVENT)
    assert evaluate(All(()), EVENT) and not evaluate(AnyOf(()), EVENT)
    assert evaluate(TRUE, EVENT) and not evaluate(FALSE, EVENT)


def test_quantifiers():
    open_port = Predicate(Field(("cidr",), root="element"), "eq", "0.0.0.0/0")
    assert evaluate(Quantifier("any", Field(("items",)), open_port), EVENT)
    assert not evaluate(Quantifier("all", Field(("items",)), open_port), EVENT)
    assert evaluate(Quantifier("one", Field(("items",)), open_port), EVENT)
    assert not evaluate(Quantifier("none", Field(("items",)), open_port), EVENT)
    # a missing array is empty: all() of nothing is True, any() False, as in Python
    assert evaluate(Quantifier("all", Field(("missing",)), open_port), EVENT)
    assert not evaluate(Quantifier("any", Field(("missing",)), open_port), EVENT)


def test_opaque_is_not_evaluable_unless_short_circuited():
    op = Opaque("get_string_set", "KV store", "r.py:4")
    with pytest.raises(NotEvaluable, match="r.py:4"):
        evaluate(All((P("eventName", "eq", "CreateUser"), op)), EVENT)
    assert evaluate(All((P("eventName", "eq", "x"), op)), EVENT) is False


def test_present_tells_a_null_key_from_a_missing_one():
    assert evaluate(P("nothing", "present"), EVENT)
    assert not evaluate(P("missing", "present"), EVENT)
    assert not evaluate(P("nothing", "exists"), EVENT)


def test_pluck_collects_a_sub_path_over_a_list_and_fans_out_on_star():
    from translator.evaluator import resolve
    items = Field(("items",), transforms=(Transform("pluck", ("port",)),))
    assert resolve(items, EVENT) == [22, 443]
    nested = Field(("m",), transforms=(Transform("pluck", ("*", "c")),))
    assert resolve(nested, {"m": [[{"c": 1}, {"d": 2}], [{"c": 3}], "x"]}) == [1, 3]
    assert evaluate(Predicate(items, "member", 443), EVENT)
    assert not evaluate(Predicate(Field(("eventName",), transforms=(Transform("pluck", ("a",)),)),
                                  "eq", []), EVENT)  # not a list: Python would raise


# ---- a rule's list/dict default reaches the evaluator as the rule's Python saw it

@pytest.mark.parametrize("default, transforms, expected", [
    ([], (Transform("len"),), 0),                       # len(event.get("a", [])) == 0
    ([], (Transform("str"),), "[]"),                    # str() of a plain list, not an event view
    ({}, (Transform("str"),), "{}"),
    ({"k": "v"}, (Transform("get", ("k",)),), "v"),     # .get() on a dict default
    ([1, 2], (Transform("index", (1,)),), 2),
])
def test_missing_field_takes_the_rules_default_as_python_does(default, transforms, expected):
    from translator.evaluator import resolve
    from translator.model import _freeze
    f = Field(("a",), _freeze(default), False, transforms)
    assert resolve(f, {}) == expected
    assert resolve(Field.from_dict(json.loads(json.dumps(f.to_dict()))), {}) == expected
