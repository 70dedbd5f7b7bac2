"""Athena backend: every operator and the NULL/default/case/escape cases, executed on DuckDB
and compared with the reference evaluator event by event."""
from __future__ import annotations

import pytest
import sqlglot

from translator.backends.athena import build_query, parse_since, render
from translator.backends.sql_common import Untranslatable
from translator.model import (
    FALSE, TRUE, All, AnyOf, Count, Field, First, Not, Opaque, Predicate, Quantifier, Rule, Tally,
    Template,
)

from .sql_helpers import assert_agrees, mapping, sql_matches

F = Field


def P(path, op, value=None, **kw):
    return Predicate(F(tuple(path.split("."))), op, value, **kw)


BASE = {"eventSource": "ec2.amazonaws.com", "eventTime": "2024-01-01T00:00:00Z"}


def ev(**kw):
    return {**BASE, **kw}


NAMES = [ev(eventName=n) for n in ("Foo", "foo", "FOO", "fo", "xFoo", "", "50%_off", "a\\b", "it's")] + [ev()]


@pytest.mark.parametrize("pred", [
    P("eventName", "eq", "Foo"),
    P("eventName", "eq", "foo", case_sensitive=False),
    P("eventName", "in", ("Foo", "fo")),
    P("eventName", "in", ("FOO", "it's"), case_sensitive=False),
    P("eventName", "contains", "oo"),
    P("eventName", "contains", "%_"),
    P("eventName", "contains", "\\"),
    P("eventName", "startswith", "fo"),
    P("eventName", "startswith", ("x", "F")),
    P("eventName", "endswith", "OO", case_sensitive=False),
    P("eventName", "regex", r"^f.o$"),
    P("eventName", "regex", r"o{2}", flags=("IGNORECASE",)),
    P("eventName", "regex", r"F", flags=("match",)),
    P("eventName", "glob", "*o"),
    P("eventName", "glob", "[fF]o?"),
    P("eventName", "exists"),
    P("eventName", "null"),
    P("eventName", "truthy"),
    P("eventName", "gt", "fo"),
    P("eventName", "le", "Foo"),
    P("eventName", "eq", None),
    P("eventName", "eq", 5),
])
def test_string_column_ops(pred):
    assert_agrees(pred, NAMES)
    assert_agrees(Not(pred), NAMES)


def test_missing_field_and_not_keep_python_meaning():
    # not (x == 'a') is True when x is missing; SQL's NOT (NULL = 'a') is NULL.
    events = [ev(userAgent="a"), ev(userAgent="b"), ev(), ev(userAgent=None)]
    assert sql_matches(Not(P("userAgent", "eq", "a")), events) == [False, True, True, True]
    assert_agrees(Not(All((P("userAgent", "eq", "a"), P("eventName", "eq", "x")))), events)
    assert_agrees(Not(AnyOf((P("userAgent", "contains", "a"), Not(P("userAgent", "exists"))))), events)


def test_defaults_are_python_defaults():
    events = [ev(userAgent="foo"), ev(), ev(userAgent=None), ev(userAgent="")]
    with_default = Predicate(F(("userAgent",), default="foo"), "eq", "foo")
    assert sql_matches(with_default, events) == [True, True, True, False]
    on_null = Predicate(F(("userAgent",), default="", default_on_null=True), "eq", "")
    assert_agrees(on_null, events)
    assert_agrees(Not(Predicate(F(("userAgent",), default="<X>"), "startswith", "f")), events)


def test_transforms():
    events = [ev(userAgent=u) for u in ("  Mixed Case \t", "a/b/c", "x", "")] + [ev()]
    for t, args, op, value in [("lower", (), "eq", "  mixed case \t"), ("upper", (), "contains", "MIX"),
                               ("strip", (), "eq", "Mixed Case"), ("split", ("/", 1), "eq", "b"),
                               ("split", ("/", -1), "eq", "c"), ("basename", (), "eq", "c"),
                               ("removeprefix", ("a/",), "eq", "b/c"), ("replace", ("/", "-"), "eq", "a-b-c"),
                               ("len", (), "gt", 3)]:
        pred = Predicate(F(("userAgent",)).with_transform(t, *args), op, value)
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_json_column_types_are_python_types():
    # requestParameters is JSON text: 22 and "22" differ in Python and must differ in SQL.
    events = [ev(requestParameters={"port": v}) for v in (22, "22", 22.0, True, None, [22], {"a": 1}, "x")]
    events += [ev(requestParameters={}), ev()]
    for pred in [P("requestParameters.port", "eq", 22), P("requestParameters.port", "eq", "22"),
                 P("requestParameters.port", "eq", True), P("requestParameters.port", "gt", 5),
                 P("requestParameters.port", "contains", "2"), P("requestParameters.port", "exists"),
                 P("requestParameters.port", "null"), P("requestParameters.port", "truthy"),
                 P("requestParameters.port", "present"), P("requestParameters.port", "regex", r"\d"),
                 P("requestParameters.port", "in", (22, "x")), P("requestParameters.port", "member", 22)]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_nested_struct_and_arrays():
    events = [
        ev(userIdentity={"type": "Root", "sessionContext": {"sessionIssuer": {"userName": "admin"}}}),
        ev(userIdentity={"type": "IAMUser"}),
        ev(p_any_aws_arns=["arn:a", "arn:b"]),
        ev(resources=[{"arn": "arn:x", "type": "AWS::S3::Bucket"}, {"arn": "arn:y"}]),
        ev(resources=[]),
        ev(),
    ]
    preds = [P("userIdentity.type", "eq", "Root"),
             P("userIdentity.sessionContext.sessionIssuer.userName", "startswith", "adm"),
             P("p_any_aws_arns", "member", "arn:b"),
             P("p_any_aws_arns", "member", "ARN:B", case_sensitive=False),
             Predicate(F(("resources", 0, "arn")), "eq", "arn:x"),
             Predicate(F(("resources", -1, "arn")), "eq", "arn:y")]
    for kind in ("any", "all", "none", "one"):
        preds.append(Quantifier(kind, F(("resources",)), Predicate(F(("arn",), root="element"), "startswith", "arn:x")))
        preds.append(Quantifier(kind, F(("resources",)), Not(Predicate(F(("type",), root="element"), "exists"))))
    for pred in preds:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_quantifier_over_json_array_with_nested_quantifier():
    events = [ev(requestParameters={"items": [{"ports": [22, 80]}, {"ports": [443]}]}),
              ev(requestParameters={"items": [{"ports": ["22"]}]}),
              ev(requestParameters={"items": "not a list"}), ev()]
    inner = Quantifier("any", F(("ports",), root="element"), Predicate(F((), root="element"), "eq", 22))
    for kind in ("any", "all", "none"):
        q = Quantifier(kind, F(("requestParameters", "items")), inner)
        assert_agrees(q, events)
        assert_agrees(Not(q), events)


def test_first_element_passing_a_test_in_array_order():
    # first(arr[*] where stop: then) / last(...): an ordered loop whose raising elements make
    # the rule raise; order, missing/null keys, empty and non-list arrays
    events = [ev(resources=[{"arn": "arn:x"}, {"type": "T"}]),
              ev(resources=[{"type": "T"}, {"arn": "arn:x"}]),
              ev(resources=[{"arn": None}, {"arn": "arn:x", "type": "T"}, {"arn": "arn:y"}]),
              ev(resources=[{"arn": "arn:y", "type": "T"}]), ev(resources=[]), ev(),
              ev(requestParameters={"items": [{"port": 22}, {"port": "x"}, {"port": 80}]}),
              ev(requestParameters={"items": [{"port": "22"}, {"port": 22}]}),
              ev(requestParameters={"items": "not a list"})]
    arn = F(("arn",), root="element")
    stop = AnyOf((Not(Predicate(arn, "exists")), Predicate(arn, "startswith", "arn:x")))
    port = F(("port",), root="element")
    port_stop = Predicate(port, "is_type", ("int",))
    for last in (False, True):
        for first in (First(F(("resources",)), stop, Predicate(arn, "startswith", "arn:x"), last),
                      First(F(("resources",)), Predicate(F(("type",), root="element"), "eq", "T"),
                            Predicate(arn, "exists"), last),
                      First(F(("requestParameters", "items")), port_stop,
                            Predicate(port, "eq", 22), last)):
            assert_agrees(first, events)
            assert_agrees(Not(first), events)


def test_counts_of_array_elements_against_numbers_and_each_other():
    # count(arr[*] where ...) compared with a number or another count: typed struct arrays,
    # JSON arrays (requestParameters), empty, missing and non-list values, duplicates
    events = [ev(resources=[{"arn": "arn:x"}, {"arn": "arn:x"}, {"arn": "arn:y", "type": "T"}]),
              ev(resources=[{"arn": "arn:x"}], requestParameters={"items": [1, 1, 2]}),
              ev(resources=[], requestParameters={"items": [{"p": 1}]}),
              ev(requestParameters={"items": "not a list"}), ev(),
              ev(resources=[{"type": "T"}, {"arn": None}],
                 requestParameters={"items": [None, {"p": 2}, 3, 4]})]
    arn_x = Predicate(F(("arn",), root="element"), "startswith", "arn:x")
    resources, items = Tally(F(("resources",)), arn_x), Tally(F(("requestParameters", "items")))
    counts = [Count(resources, op, n) for op in ("eq", "ne", "gt", "ge", "lt", "le") for n in (0, 2)]
    counts += [Count(Tally(F(("resources",))), "gt", items), Count(items, "eq", resources),
               Count(Tally(F(("requestParameters", "items")),
                           Predicate(F(("p",), root="element"), "exists")), "ge", 1)]
    arn = F(("arn",), root="element")
    counts += [Count(Tally(F(("resources",)), TRUE, arn), "ge", 2),
               Count(Tally(F(("resources",)), TRUE, F(("arn",), default="", default_on_null=True,
                                                      root="element")), "eq", 2),
               Count(Tally(F(("resources",)), Predicate(F(("type",), root="element"), "null"),
                           arn), "eq", 1)]
    for c in counts:
        assert_agrees(c, events)
        assert_agrees(Not(c), events)


def test_counts_inside_quantifiers_and_first():
    # a count of a list in each element (len([t for t in item["tags"] if t]) >= 2 in a loop)
    items = [{"kind": "y", "tags": ["a", "b"]}, {"kind": "x", "tags": ["a", "", 0, "c"]}]
    events = [ev(requestParameters={"items": items}), ev(requestParameters={"items": items[1:]}),
              ev(requestParameters={"items": [{"kind": "x", "tags": ["a"]}] + items}),
              ev(requestParameters={"items": [{"kind": "x"}, {"tags": "ab"}]}), ev()]
    el = lambda *p: F(p, root="element")  # noqa: E731
    tags = Count(Tally(el("tags"), Predicate(el(), "truthy")), "ge", 2)
    array = F(("requestParameters", "items"))
    for node in (Quantifier("any", array, tags), Quantifier("all", array, tags),
                 First(array, Predicate(el("kind"), "eq", "x"), tags),
                 Count(Tally(array, tags), "eq", 1)):
        assert_agrees(node, events)
        assert_agrees(Not(node), events)


def test_distinct_count_of_json_values_is_reported():
    # Python's dict keys merge 1, 1.0 and True; SQL's array_distinct on JSON does not
    c = Count(Tally(F(("requestParameters", "items")), TRUE, F((), root="element")), "ge", 2)
    rule = Rule(id="Test.Rule", log_types=("AWS.CloudTrail",), detection=c)
    q = build_query(rule, mapping())
    assert q.verdict != "exact" and any("distinct" in r for r in q.reasons), q.reasons


def test_cidr_and_ip():
    events = [ev(sourceIPAddress=a) for a in ("10.1.2.3", "11.0.0.1", "192.168.0.1", "010.1.1.1",
                                              "256.1.1.1", "cloudtrail.amazonaws.com", "::1")] + [ev()]
    for pred in [P("sourceIPAddress", "cidr", ("10.0.0.0/8", "192.168.0.0/16")),
                 P("sourceIPAddress", "is_ipv4")]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


IP_TEXTS = ("10.1.2.3", "8.8.8.8", "100.64.0.1", "::1", "::", "fe80::1%eth0", "FE80::1",
            "2001:db8::1", "2606:4700::1111", "::ffff:10.0.0.1", "::ffff:8.8.8.8", "::1.2.3.4",
            "1:2:3:4:5:6:7::", "64:ff9b::8.8.8.8", "fc00::1", "fbff::1", "1:2::3:4.5.6.7",
            "0:0:0:0:0:ffff:0a00:0001", "2001:0db8:0000:0000:0000:0000:0000:0001", " ::1", "::1 ",
            "1::2::3", "12345::", "::ffff:256.0.0.1", "1.2.3.4/32", "")


def test_ipv6_private_public_and_cidr_agree_with_ipaddress():
    """IPv6 through its 32-hex-digit expansion: compressed, upper-case, scoped, IPv4-tailed and
    mapped forms, and text ipaddress rejects."""
    events = [ev(sourceIPAddress=a) for a in IP_TEXTS] + [ev(), ev(sourceIPAddress=None)]
    for pred in [P("sourceIPAddress", "ip_private"), P("sourceIPAddress", "ip_public"),
                 P("sourceIPAddress", "cidr", ("2001:db8::/32", "10.0.0.0/8", "::ffff:0:0/96")),
                 P("sourceIPAddress", "cidr", ("fe80::/10",)), P("sourceIPAddress", "cidr", ("::1/128",))]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


@pytest.mark.filterwarnings("ignore:__int__ returned non-int:DeprecationWarning")  # ipaddress on a bool
def test_ip_tests_on_json_integers_and_booleans():
    """ipaddress reads an integer as an address (IPv6 from 2**32 on) and a bool as 0/1."""
    values = [167772161, 134744072, True, False, 0, -1, 1.0, 2 ** 40, (0xFFFF << 32) | 0x08080808,
              (0xFFFF << 32) | 0x0A000001, 2 ** 63 - 1, "10.0.0.1", "::ffff:8.8.8.8", None]
    events = [ev(requestParameters={"ip": x}) for x in values] + [ev()]
    field = F(("requestParameters", "ip"))
    for f in (field, field.with_transform("ip_network")):
        for op, value in [("is_ip", None), ("is_ipv4", None), ("is_ipv6", None), ("ip_private", None),
                          ("ip_public", None), ("cidr", ("10.0.0.0/8", "::ffff:0:0/96"))]:
            pred = Predicate(f, op, value)
            assert_agrees(pred, events)
            assert_agrees(Not(pred), events)


def test_ip_tests_inside_a_quantifier():
    """The IPv6 expansion binds its steps as lambda variables, inside the element lambda."""
    events = [ev(requestParameters={"ips": ["8.8.8.8", "fe80::1"]}),
              ev(requestParameters={"ips": ["2606:4700::1111", "8.8.4.4"]}),
              ev(requestParameters={"ips": []}), ev(requestParameters={"ips": [5, None]}), ev()]
    for pred in [Predicate(F((), root="element"), "ip_private"),
                 Predicate(F((), root="element"), "cidr", ("2606:4700::/32",))]:
        for kind in ("any", "all"):
            q = Quantifier(kind, F(("requestParameters", "ips")), pred)
            assert_agrees(q, events)
            assert_agrees(Not(q), events)


def test_ip_network_of_an_address_is_a_one_address_network():
    """ip_network(text) of an address: exists when it parses; is_private/is_global are the
    network's (an IPv4-mapped /128 is private as a network, not as an address)."""
    events = [ev(sourceIPAddress=a) for a in IP_TEXTS if "/" not in a] + [ev()]
    net = F(("sourceIPAddress",)).with_transform("ip_network")
    for op, value in [("exists", None), ("is_ipv4", None), ("is_ipv6", None), ("ip_private", None),
                      ("ip_public", None), ("cidr", ("10.0.0.0/8", "2001:db8::/32")), ("null", None)]:
        pred = Predicate(net, op, value)
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_numbers_and_booleans():
    events = [ev(readOnly=True), ev(readOnly=False), ev(), ev(p_schema_version=3), ev(p_schema_version=0)]
    for pred in [P("readOnly", "eq", True), P("readOnly", "eq", False), P("readOnly", "truthy"),
                 P("p_schema_version", "ge", 1), P("p_schema_version", "eq", 3), P("p_schema_version", "truthy")]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_constants_and_field_comparisons():
    events = [ev(userAgent="a", eventName="a"), ev(userAgent="ab", eventName="a"), ev(eventName="a")]
    for pred in [TRUE, FALSE, Predicate(F(("userAgent",)), "eq", F(("eventName",))),
                 Predicate(F(("userAgent",)), "startswith", F(("eventName",)))]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_field_comparisons_with_defaults_and_transforms():
    """``deep_get(e, "a", default="").endswith("/" + str(deep_get(e, "b", default="")))`` and
    relatives: defaults (on missing, and on null with default_on_null) on typed and JSON
    fields, both fields missing (None == None), text around a value, split parts."""
    events = [ev(userAgent="x/bob", requestParameters={"userName": "bob", "n": 5}),
              ev(userAgent="x/bob", requestParameters={"userName": None}),
              ev(userAgent="x/5", requestParameters={"userName": 5}),
              ev(userAgent="x/", requestParameters={}), ev(userAgent="bob"), ev(),
              ev(eventName="a@corp.com", userAgent="b@corp.com"), ev(eventName="a@corp.com"),
              ev(eventName="@", userAgent="x@"), ev(requestParameters={"userName": "Bob"}, userAgent="BOB"),
              ev(requestParameters={"userName": "e\u0301"}, userAgent="xe\u0301"),
              ev(requestParameters={"userName": "\u0301"}, userAgent="e\u0301"),
              ev(requestParameters={"n": True, "m": 1}), ev(requestParameters={"n": 1.0, "m": 1}),
              ev(requestParameters={"n": "5", "m": 5}), ev(requestParameters={"n": None, "m": None}),
              ev(requestParameters={"n": False, "m": 0, "userName": False}),
              ev(requestParameters={"n": "a", "m": "a", "userName": "a"})]
    user = F(("requestParameters", "userName"))
    agent = F(("userAgent",), default="", default_on_null=True)
    domain = lambda f: f.with_transform("split", "@", -1)  # noqa: E731
    for pred in [
        Predicate(agent, "endswith", F(user.path, default="", default_on_null=True)
                  .with_transform("str").with_transform("concat", "/", "")),
        Predicate(agent, "endswith", F(user.path, default="<none>").with_transform("concat", "/", "")),
        Predicate(F(user.path, default="x"), "eq", F(("userAgent",), default="x")),
        Predicate(F(user.path), "eq", F(("userAgent",))),
        Predicate(F(user.path), "eq", F(("userAgent",)), case_sensitive=False),
        Predicate(F(user.path), "eq", F(("requestParameters", "other"))),
        Predicate(domain(F(("eventName",), default="")), "eq", domain(F(("userAgent",), default="@"))),
        Predicate(F(("userAgent",), default=""), "endswith", domain(F(("eventName",), default="@"))),
        Predicate(F(("userAgent",)), "contains", F(user.path, default="", default_on_null=True)),
        Predicate(F(("userAgent",)), "startswith", F(user.path, default="b")),
        Predicate(F(("requestParameters", "n"), default=0), "eq", F(("requestParameters", "m"), default=5)),
        Predicate(F(("requestParameters", "n")), "eq", F(("requestParameters", "m"))),
        Predicate(F(("requestParameters", "n")), "eq", F(("requestParameters", "userName"))),
    ]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_member_of_a_list_field():
    """``x in event["a"]`` for x the element of another list: typed and JSON arrays, a
    default [] (never a member), None in [None], numbers equal across int/float."""
    events = [ev(requestParameters={"old": ["sms", "totp"], "new": ["sms"]}),
              ev(requestParameters={"old": ["sms"], "new": ["sms", "push"]}),
              ev(requestParameters={"old": None, "new": ["sms"]}),
              ev(requestParameters={"old": "sms", "new": ["sms"]}),
              ev(requestParameters={"old": [1, None], "new": [1.0, None]}),
              ev(requestParameters={"new": ["x"]}), ev(requestParameters={"old": [], "new": []}), ev()]
    old = F(("requestParameters", "old"))
    for old_field in (old, F(old.path, default=(), default_on_null=True)):
        for case_sensitive in (True, False):
            where = Predicate(old_field, "member", F((), root="element"), case_sensitive=case_sensitive)
            for kind in ("any", "all"):
                q = Quantifier(kind, F(("requestParameters", "new")), where)
                assert_agrees(q, events)
                assert_agrees(Not(q), events)


def test_index_of_a_json_list_a_typed_array_and_a_text():
    """value[i]: a list's element (out of range: IndexError, False), a text's character, a
    dict raises (no integer keys)."""
    # (a JSON text indexed for a character is a reported caveat, not in these events)
    events = [ev(requestParameters={"ips": ["1.2.3.4", "x"]}), ev(requestParameters={"ips": []}),
              ev(requestParameters={"ips": 12}), ev(requestParameters={"ips": {"0": "1.2.3.4"}}),
              ev(requestParameters={"ips": [["1.2.3.4"]]}), ev(userAgent="ab"), ev(userAgent=""), ev()]
    for path, index, value in [(("requestParameters", "ips"), 0, "1.2.3.4"), (("requestParameters", "ips"), 1, "x"),
                               (("requestParameters", "ips"), 0, "1"), (("userAgent",), 1, "b"),
                               (("userAgent",), 0, "a")]:
        field = F(path).with_transform("index", index)
        for pred in [Predicate(field, "eq", value), Predicate(field, "exists"), Predicate(field, "is_ip")]:
            assert_agrees(pred, events)
            assert_agrees(Not(pred), events)


def test_json_text_member_of_an_array_element():
    """GitLab.Production params[].value is JSON text in a struct member (Panther's
    QueryParam.Value is raw JSON): a quantifier reads below it as JSON."""
    from translator.engines.duckdb_sql import check_rule
    from translator.evaluator import evaluate
    from translator.model import RuleTest

    base = {"method": "POST", "path": "/x", "status": 200, "time": "2024-01-01T00:00:00Z", "duration_s": 1}
    events = [dict(base, params=[{"key": "user", "value": {"email": ["a@x.com", "b@y.com"]}}]),
              dict(base, params=[{"key": "user", "value": {"email": []}}]),
              dict(base, params=[{"key": "n", "value": {"email": ["c@z.com"]}}, {"key": "user", "value": {}}]),
              dict(base, params=[]), base]
    where = All((Predicate(F(("key",), root="element"), "eq", "user"),
                 Predicate(F(("value", "email"), root="element"), "truthy")))
    for expr in (Quantifier("any", F(("params",)), where), Not(Quantifier("any", F(("params",)), where))):
        tests = tuple(RuleTest.make(f"e{i}", bool(evaluate(expr, e)), e) for i, e in enumerate(events))
        rule = Rule(id="R", log_types=("GitLab.Production",), detection=expr, tests=tests)
        q = build_query(rule, mapping())
        assert q.verdict == "exact", q.reasons
        check = check_rule(rule, mapping(), q)
        assert [o.matched for o in check.outcomes] == [t.expected_result for t in tests], check.duckdb_sql


def test_text_in_a_boolean_column_is_named_as_the_cause():
    """A test event holding "true" where the table has a boolean: the row cannot hold it (the
    projection stores true), so a failing test names that cause instead of looking like a
    translation bug."""
    from translator.engines.duckdb_sql import check_rule
    from translator.model import RuleTest

    rule = Rule(id="R", log_types=("Okta.SystemLog",),
                detection=Predicate(F(("securityContext", "isProxy")), "eq", True),
                tests=(RuleTest.make("text", False, {"eventType": "x", "securityContext": {"isProxy": "true"}}),
                       RuleTest.make("bool", True, {"eventType": "x", "securityContext": {"isProxy": True}})))
    outcomes = check_rule(rule, mapping()).outcomes
    assert [o.status for o in outcomes] == ["fail", "pass"]
    assert "securitycontext.isproxy is str, the column is BOOLEAN" in outcomes[0].detail


def test_globs_with_several_stars_run_on_duckdb():
    """fnmatch.translate puts the pieces between stars in atomic groups, which RE2 lacks; a
    plain group matches the same texts."""
    events = [ev(eventName=n) for n in ("abc", "aXbYc", "acb", "sa:x.svc.id.goog[1", "sa:x.svc.id.goog",
                                        "a.b[c", "ab[", "(?>", "")] + [ev()]
    for pattern in ("*a*b*c", "*a*b*", "sa:*.svc.id.goog[*", "a*[*", "*[[]*", "*[!a]*b*"):
        assert_agrees(P("eventName", "glob", pattern), events)
        assert_agrees(Not(P("eventName", "glob", pattern)), events)


def test_untranslatable_constructs_are_reported_not_approximated():
    m = mapping()
    cases = {
        Opaque("dynamo lookup", "external state", "rule.py:3"): "dynamo lookup",
        P("eventName", "regex", r"(a)(?(1)b|c)"): "conditional group",
        P("nosuchField", "eq", "x"): "not mapped",
        Predicate(F(("userAgent",)).with_transform("keys"), "eq", "x"): "keys()",
        Predicate(F(("sourceIPAddress",)).with_transform("ip_network").with_transform("lower"), "eq", "x"):
            "ip_network() value",
    }
    for expr, needle in cases.items():
        q = build_query(Rule(id="R", log_types=("AWS.CloudTrail",), detection=All((P("eventName", "eq", "x"), expr))), m)
        assert q.verdict == "partial"
        assert any(needle in r for r in q.reasons), q.reasons
        text, _ = render(q)
        assert "not translated" in text and sqlglot.parse_one(text, read="athena") is not None
        with pytest.raises(Untranslatable):
            build_query(Rule(id="R", log_types=("AWS.CloudTrail",), detection=expr), m, error_level="raise")


def test_lookbehind_runs_on_athena_but_is_not_checked_on_duckdb():
    from translator.engines.duckdb_sql import check_rule
    from translator.model import RuleTest
    rule = Rule(id="R", log_types=("AWS.CloudTrail",), detection=P("eventName", "regex", r"(?<=a)b"),
                tests=(RuleTest.make("t", True, ev(eventName="ab")),))
    q = build_query(rule, mapping())
    assert q.verdict == "exact" and "(?<=a)b" in q.alert.sql("athena")
    check = check_rule(rule, mapping(), q)
    assert check.status == "skipped" and "lookaround" in check.skipped_reason


def test_alert_query_shape_window_threshold_title():
    rule = Rule(id="R", log_types=("AWS.CloudTrail",), detection=P("eventName", "eq", "x"),
                dedup_period_minutes=720, threshold=5, dedup_key=(F(("userIdentity", "arn")),),
                title=Template(("By ", F(("userIdentity", "arn")))),
                output_fields=(F(("eventName",)), F(("requestParameters", "groupId"))))
    q = build_query(rule, mapping())
    tree = sqlglot.parse_one(q.alert.sql("athena"), read="athena")
    assert tree.args["having"].sql("athena") == "HAVING COUNT(*) >= 5"
    inner = tree.find(sqlglot.exp.Subquery).this
    assert "INTERVAL '720' MINUTE" in inner.args["where"].sql("athena")
    assert [s.alias_or_name for s in inner.selects] == [
        "p_event_time", "alert_title", "alert_dedup", "eventName", "requestParameters.groupId"]
    assert "INTERVAL '90' MINUTE" in build_query(rule, mapping(), since="90m").alert.sql("athena")
    assert parse_since("2h", 60) == 120 and parse_since(None, 15) == 15


@pytest.mark.parametrize("dialect", ["athena", "trino", "snowflake", "bigquery", "databricks", "duckdb"])
def test_every_dialect_renders_and_parses_back(dialect):
    rule = Rule(id="R", log_types=("AWS.CloudTrail",), detection=All((
        P("eventName", "in", ("a", "b")), P("requestParameters.groupId", "startswith", "sg-"),
        Quantifier("any", F(("resources",)), Predicate(F(("arn",), root="element"), "contains", "x")))))
    text, missing = render(build_query(rule, mapping()), dialect)
    assert missing == []
    body = text.split("\n-- verdict: exact\n", 1)[1]
    sqlglot.parse_one(body.rstrip().rstrip(";"), read="athena" if dialect == "trino" else dialect)


def test_json_parsing_in_other_dialects_stays_non_raising():
    """try(json_parse(x)) and a root JSON path (json_extract(x, '$'), which sqlglot writes as
    ``x:`` in Databricks) become the target's non-raising parse; a construct sqlglot drops
    (only a log line) is reported, not written."""
    from translator.backends.sql_dialects import transpile

    parsed = F(("userAgent",)).with_transform("json")
    rule = Rule(id="R", log_types=("AWS.CloudTrail",), detection=AnyOf((
        Predicate(parsed.with_transform("get", "a"), "eq", "x"), Predicate(F(("requestParameters",)), "exists"))))
    q = build_query(rule, mapping())
    assert q.verdict == "exact"
    for dialect, spelling in [("snowflake", "TRY_PARSE_JSON("), ("bigquery", "SAFE.PARSE_JSON("),
                              ("databricks", "TRY_PARSE_JSON(useragent)")]:
        text, missing = render(q, dialect)
        assert spelling in text and missing == [] and "-- verdict: exact" in text, (dialect, missing)
        body = text.split("\n-- verdict: exact\n", 1)[1]
        sqlglot.parse_one(body.rstrip().rstrip(";"), read=dialect)
    assert "requestparameters:" not in render(q, "databricks")[0]
    assert transpile("SELECT TRY(CAST(x AS INTEGER)) FROM t", "bigquery")[1] == ["try"]


def test_header_is_one_line_per_value_even_with_hostile_ids():
    rule = Rule(id="R\nDROP TABLE x", log_types=("AWS.CloudTrail",), detection=P("eventName", "eq", "x"),
                source_file="rules/r.yml", source_hash="abc")
    text, _ = render(build_query(rule, mapping()))
    assert text.splitlines()[1] == "-- rule: R DROP TABLE x"
    assert "-- source: rules/r.yml (sha256 abc)" in text and "-- verdict: exact" in text


def test_field_of_another_log_type_is_missing_there():
    from translator.engines.duckdb_sql import check_rule
    from translator.evaluator import evaluate
    from translator.model import RuleTest
    detection = AnyOf((P("eventName", "eq", "ConsoleLogin"), Not(P("eventType", "exists")),
                       P("outcome.result", "eq", "FAILURE", case_sensitive=False)))
    events = [{"eventName": "ConsoleLogin", "p_log_type": "AWS.CloudTrail"},
              {"eventName": "Other", "p_log_type": "AWS.CloudTrail"},
              {"eventType": "user.session.start", "outcome": {"result": "Failure"}, "p_log_type": "Okta.SystemLog"},
              {"eventType": "user.session.start", "outcome": {"result": "SUCCESS"}, "p_log_type": "Okta.SystemLog"}]
    tests = tuple(RuleTest.make(f"e{i}", evaluate(detection, e), e) for i, e in enumerate(events))
    assert [t.expected_result for t in tests] == [True, True, True, False]
    rule = Rule(id="R", log_types=("AWS.CloudTrail", "Okta.SystemLog"), detection=detection, tests=tests,
                output_fields=(F(("sourceIPAddress",)), F(("client", "ipAddress"))))
    q = build_query(rule, mapping())
    assert q.verdict == "exact" and any("not a field of Okta.SystemLog" in c for c in q.caveats)
    check = check_rule(rule, mapping(), q)
    assert check.status == "pass", [(o.name, o.status, o.detail) for o in check.outcomes]


def test_rulec_verify_check_reports_execution():
    from translator.backends.athena import translate
    from translator.mapping import load_mappings
    from translator.model import RuleTest
    from translator.verify.athena import check
    rule = Rule(id="R", log_types=("AWS.CloudTrail",), detection=P("eventName", "startswith", "Put"),
                tests=(RuleTest.make("hit", True, ev(eventName="PutBucketPolicy")),
                       RuleTest.make("miss", False, ev(eventName="GetObject")),
                       RuleTest.make("wrong expectation", True, ev(eventName="GetObject"))))
    ms = load_mappings()
    report = check(rule, translate(rule, ms), ms)
    assert report.syntax_ok and report.executed
    assert [(t.name, t.matched) for t in report.tests] == [("hit", True), ("miss", False), ("wrong expectation", False)]
    assert report.status == "fail"


def test_json_values_through_int_float_len_and_json_parse():
    events = [ev(requestParameters={"n": v}) for v in (15, 15.7, "15", " 7 ", "x", True, [1, 2, 3], {"a": 1}, "", None)]
    events += [ev(userAgent=t) for t in ('["a", "b"]', '{"k": 1, "j": 2}', "not json", '"s"', "12")] + [ev()]
    for pred in [Predicate(F(("requestParameters", "n")).with_transform("int"), "gt", 10),
                 Predicate(F(("requestParameters", "n")).with_transform("float"), "ge", 7.0),
                 Predicate(F(("requestParameters", "n")).with_transform("len"), "eq", 2),
                 Predicate(F(("requestParameters", "n")).with_transform("len"), "ge", 1),
                 Predicate(F(("userAgent",)).with_transform("json").with_transform("len"), "eq", 2),
                 Predicate(F(("userAgent",)).with_transform("json"), "present"),
                 Predicate(F(("userAgent",)).with_transform("json"), "truthy"),
                 Predicate(F(("userAgent",)).with_transform("int"), "eq", 12)]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_text_value_of_a_json_column_is_a_json_string():
    # Duo's description, Box's additional_details: a JSON-typed field whose value is JSON
    # written as text (rules json.loads it); the column holds that text as a JSON string
    events = [ev(requestParameters=t) for t in ('{"a": "x"}', '"x"', "x", "")]
    events += [ev(requestParameters={"a": "x"}), ev()]
    doc = F(("requestParameters",))
    for pred in [Predicate(doc.with_transform("json").with_transform("get", "a"), "eq", "x"),
                 Predicate(doc, "eq", '{"a": "x"}'), Predicate(doc, "startswith", "{"),
                 Predicate(doc, "truthy")]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_get_transform_on_json_documents():
    events = [ev(userAgent=t) for t in ('{"a": "x"}', '{"a": null}', '{"b": 1}', '[1]', '"s"', "bad", '{"A": "x"}')]
    events += [ev(requestParameters={"doc": d}) for d in ({"a": "x"}, {"a": None}, {}, [], "x")] + [ev()]
    fields = [F(("userAgent",)).with_transform("json").with_transform("get", "a"),
              F(("userAgent",)).with_transform("json").with_transform("get", "a", "x"),
              F(("userAgent",)).with_transform("json").with_transform("get", "a", "x", True),
              F(("requestParameters", "doc")).with_transform("get", "a", "x", True),
              F(("requestParameters", "doc")).with_transform("get", "a", "y")]
    for f in fields:
        for op, value in (("eq", "x"), ("exists", None), ("null", None)):
            pred = Predicate(f, op, value)
            assert_agrees(pred, events)
            assert_agrees(Not(pred), events)


def test_str_of_a_number_column():
    events = [ev(p_schema_version=v) for v in (3, 0, -12, 7)] + [ev()]
    for value in ("3", "0", "-12", "3.0"):
        pred = Predicate(F(("p_schema_version",)).with_transform("str"), "eq", value)
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_truthy_of_a_struct():
    events = [ev(userIdentity={"type": "Root"}), ev(userIdentity={}), ev(userIdentity=None), ev(),
              ev(tlsDetails={"tlsVersion": "1.2"})]
    for pred in [P("userIdentity", "truthy"), P("tlsDetails", "truthy")]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_get_with_a_text_default_then_more_transforms():
    events = [ev(userAgent=t) for t in ('{"a": "XY"}', '{"a": null}', '{"b": 1}', '{"a": 5}', '[1]', "bad")]
    events += [ev(userIdentity={"type": "ROOT"}), ev(userIdentity={"arn": "x"})] + [ev()]
    fields = [F(("userAgent",)).with_transform("json").with_transform("get", "a", "none").with_transform("lower"),
              F(("userAgent",)).with_transform("json").with_transform("get", "a", "none", True).with_transform("lower"),
              F(("userIdentity",)).with_transform("get", "type", "none").with_transform("lower")]
    for f in fields:
        for value in ("xy", "none", "root"):
            pred = Predicate(f, "eq", value)
            assert_agrees(pred, events)
            assert_agrees(Not(pred), events)


def test_chained_get_with_empty_dict_default():
    events = [ev(userAgent=t) for t in ('{"p": {"h": false}}', '{"p": {"h": true}}', '{"p": {}}', '{"q": 1}',
                                        '{"p": 3}', "bad")] + [ev()]
    f = F(("userAgent",)).with_transform("json").with_transform("get", "p", ()).with_transform("get", "h")
    for pred in [Predicate(f, "eq", False), Predicate(f, "null")]:
        assert_agrees(pred, events)
        assert_agrees(Not(pred), events)


def test_booleans_order_as_numbers_like_python():
    """Python (and Panther's comparison operators, panther-core) order true/false as 1/0:
    a JSON boolean and a boolean column compare so on DuckDB too."""
    from translator.backends.base import BuildOptions
    from translator.mapping import load_mappings
    from translator.model import Field, Predicate, Rule, RuleTest
    from translator.verify.athena import check
    ms = load_mappings()
    rules = [
        Rule("Probe.JsonBool", log_types=("AWS.CloudTrail",),
             detection=Predicate(Field(("requestParameters", "flag")), "le", 0),
             tests=(RuleTest.make("false", True, {"requestParameters": {"flag": False}}),
                    RuleTest.make("true", False, {"requestParameters": {"flag": True}}),
                    RuleTest.make("minus", True, {"requestParameters": {"flag": -1}}),
                    RuleTest.make("text", False, {"requestParameters": {"flag": "x"}}))),
        Rule("Probe.BoolColumn", log_types=("Okta.SystemLog",),
             detection=Predicate(Field(("securityContext", "isProxy")), "gt", 0),
             tests=(RuleTest.make("true", True, {"securityContext": {"isProxy": True}}),
                    RuleTest.make("false", False, {"securityContext": {"isProxy": False}}),
                    RuleTest.make("missing", False, {}))),
    ]
    for rule in rules:
        from translator.backends.athena import translate
        t = translate(rule, ms, BuildOptions())
        assert t.verdict == "exact", t.findings
        report = check(rule, t, ms)
        assert report.executed and all(x.agrees for x in report.tests), report.tests


KIND_SETS = [("str",), ("int",), ("float",), ("bool",), ("dict",), ("list",), ("null",),
             ("bool", "int"), ("int", "float"), ("str", "null"), ("dict", "list")]


@pytest.mark.parametrize("kinds", KIND_SETS)
def test_is_type_on_json_values_follows_python_kinds(kinds):
    values = ("22", 22, -3, 22.0, 1e20, -0.5, True, False, None, [], [1], {}, {"a": 1}, "")
    events = [ev(requestParameters={"port": v}) for v in values]
    events += [ev(requestParameters={}), ev(), ev(requestParameters={"items": [1, "a", 2.5, None, {}]})]
    pred = P("requestParameters.port", "is_type", kinds)
    assert_agrees(pred, events)
    assert_agrees(Not(pred), events)
    for kind in ("any", "all"):
        q = Quantifier(kind, F(("requestParameters", "items")), Predicate(F((), root="element"), "is_type", kinds))
        assert_agrees(q, events)
        assert_agrees(Not(q), events)


@pytest.mark.parametrize("kinds", KIND_SETS)
def test_is_type_on_typed_columns_is_decided_by_the_column_type(kinds):
    events = [ev(readOnly=True), ev(readOnly=None), ev(userIdentity={"type": "Root"}),
              ev(resources=[{"arn": "a"}]), ev(eventName="x"), ev(eventName=None)]
    for path in ("eventName", "readOnly", "userIdentity", "resources"):
        assert_agrees(P(path, "is_type", kinds), events)
        assert_agrees(Not(P(path, "is_type", kinds)), events)


def test_is_type_int_or_float_alone_on_a_double_column_is_reported():
    rule = Rule(id="T", log_types=("AWS.CloudTrail",), detection=P("p_schema_version", "is_type", ("int",)))
    q = build_query(rule, mapping())
    assert q.verdict != "exact" and any("int vs float" in r for r in q.reasons)
    both = Rule(id="T", log_types=("AWS.CloudTrail",),
                detection=P("p_schema_version", "is_type", ("int", "float")))
    assert build_query(both, mapping()).verdict == "exact"


@pytest.mark.parametrize("kinds", [("dict",), ("null",), ("list", "str")])
def test_is_type_of_parsed_json_text(kinds):
    events = [ev(requestParameters={"doc": d}) for d in ('{"a":1}', "[1]", "null", '"s"', "7")]
    events += [ev(requestParameters={"doc": 7}), ev()]
    assert_agrees(Predicate(F(("requestParameters", "doc")).with_transform("json"), "is_type", kinds), events)
