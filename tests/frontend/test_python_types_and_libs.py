"""Unit tests of the Python frontend on type tests (isinstance), enrichment reads and library
calls on event values. Small rules written here; the real rule is the oracle on every event."""
from __future__ import annotations

from pyrule_harness import agrees_on, condition, extract

from translator.evaluator import evaluate
from translator.model import Field, Predicate, expr_from_dict, expr_to_dict


def check(tmp_path, src, events, **kw):
    out = extract(tmp_path, src, events=events, **kw)
    assert agrees_on(tmp_path, out, events) == []
    return out


def test_is_type_predicate_follows_python_kinds():
    p = Predicate(Field(("v",)), "is_type", ("bool", "int"))
    assert [evaluate(p, {"v": x}) for x in (1, True, 1.0, "1", None, [1], {"a": 1})] == \
        [True, True, False, False, False, False, False]
    assert evaluate(p, {}) is False
    assert evaluate(Predicate(Field(("v",)), "is_type", ("null",)), {}) is True
    assert expr_from_dict(expr_to_dict(p)) == p


def test_isinstance_of_a_field_absent_from_the_tests_is_a_type_test(tmp_path):
    src = '''
    def failed(status):
        if not status:
            return False
        code = status.get("code")
        if not isinstance(code, int):
            return False
        return code >= 400
    def rule(event):
        return failed(event.deep_get("response", "status"))
    '''
    events = [{"response": {"status": {"code": 403}}}, {"response": {"status": {"code": "403"}}},
              {"response": {"status": {"code": 403.0}}}, {"response": {"status": {"code": True}}},
              {"response": {"status": {}}}, {}]
    out = extract(tmp_path, src, events=[{"x": 1}])  # the tests never show the code
    assert agrees_on(tmp_path, out, events) == []
    assert out.status == "exact", out.reasons
    assert 'is_type ["int", "bool"]' in condition(out)


def test_isinstance_of_a_field_of_mixed_type_forks_on_the_kind(tmp_path):
    src = '''
    import json
    from collections.abc import Mapping
    def details(event):
        d = event.get("details", {})
        if isinstance(d, (str, bytes)):
            try:
                return json.loads(d)
            except ValueError:
                return {}
        return d
    def rule(event):
        kind = event.deep_get("spec", "kind", default="<none>")
        if isinstance(kind, Mapping):
            kind = kind.get("value", "<none>")
        return kind == "big" and details(event).get("who") == "x"
    '''
    events = [{"spec": {"kind": "big"}, "details": '{"who": "x"}'},
              {"spec": {"kind": {"value": "big"}}, "details": {"who": "x"}},
              {"spec": {"kind": {"value": "small"}}, "details": {"who": "x"}},
              {"spec": {"kind": "big"}, "details": "not json"},
              {"spec": {"kind": "big"}, "details": '{"who": "y"}'},
              {"spec": {"kind": ["big"]}, "details": {"who": "x"}},
              {"spec": {"kind": "big"}}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "is_type" in condition(out)


def test_isinstance_with_a_get_default_keeps_missing_and_null_apart(tmp_path):
    src = '''
    def rule(event):
        v = event.get("v", "none")
        return isinstance(v, (list, type(None))) or v == "x"
    '''
    events = [{"v": [1]}, {"v": None}, {}, {"v": "x"}, {"v": "y"}, {"v": 3}, {"v": {"a": 1}},
              {"w": 1}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_isinstance_of_a_container_default_uses_the_default_as_written(tmp_path):
    # get(k, []) and get(k, {}) are both an empty tuple in the model: the rule's own default
    # (a plain list, as get() hands it back) decides
    src = '''
    def rule(event):
        v = event.get("v", [])
        w = event.deep_get("w", "x", default={})
        return isinstance(v, list) and not isinstance(w, dict)
    '''
    events = [{"v": [1]}, {"v": "a"}, {}, {"v": None}, {"w": {"x": {}}}, {"w": {"x": 1}},
              {"v": [], "w": {"x": "1"}}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_enrichment_is_read_where_panther_puts_it(tmp_path):
    src = '''
    def rule(event):
        country = event.deep_get("p_enrichment", "geo", "ip", "country", default="")
        return country.lower() in ("kp", "ir")
    '''
    events = [{"ip": "1.2.3.4", "p_enrichment": {"geo": {"ip": {"country": "KP"}}}},
              {"ip": "1.2.3.4", "p_enrichment": {"geo": {"ip": {"country": "FR"}}}},
              {"ip": "1.2.3.4"}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert "p_enrichment.geo.ip.country" in condition(out)
    assert any("enrichment" in n for n in out.notes)


def test_loop_whose_body_cannot_be_followed_is_reported_not_dropped(tmp_path):
    # no element's body returns a value the tracer could follow: the loop is not a no-op
    src = '''
    def table(event):
        enrichment = event.deep_get("p_enrichment", default={})
        for name in enrichment.keys():
            for row in enrichment.get(name, {}).values():
                if row.get("bad"):
                    return name
        return None
    def rule(event):
        return table(event) is not None
    '''
    out = extract(tmp_path, src, events=[{"p_enrichment": {"t": {"ip": {"bad": True}}}}])
    assert out.status != "exact"
    assert any("get(): a key that is not a constant" in r for r in out.reasons), out.reasons


IP_EVENTS = [{"src": s, "dst": d} for s, d in [
    ("8.8.8.8", "10.0.0.1"), ("8.8.8.8", "8.8.4.4"), ("10.1.2.3", "10.0.0.1"),
    ("100.64.1.1", "10.0.0.1"), ("8.8.8.0/24", "192.168.0.0/16"), ("8.8.8.1/24", "10.0.0.1"),
    ("2001:4860::8888", "fd00::1"), ("not an ip", "10.0.0.1"), ("", "10.0.0.1"),
    (None, "10.0.0.1"), (167772161, "10.0.0.1")]] + [{"dst": "10.0.0.1"}, {}]


def test_ip_network_of_a_field_keeps_pythons_network_semantics(tmp_path):
    src = '''
    from ipaddress import ip_network
    def rule(event):
        src = event.get("src") or "0.0.0.0/32"
        if not ip_network(src).is_global:
            return False
        dst = event.get("dst") or "1.0.0.0/32"
        return ip_network(dst).is_private
    '''
    out = check(tmp_path, src, IP_EVENTS)
    assert out.status == "exact", out.reasons
    assert "ip_network(src)" in condition(out)


def test_ip_network_subnet_of_a_constant_network(tmp_path):
    src = '''
    from ipaddress import ip_network
    ALLOWED = {ip_network("10.0.0.0/8"), ip_network("fd00::/8")}
    def inside(supernet, subnet):
        if supernet.network_address.version != subnet.network_address.version:
            return False
        return subnet.subnet_of(supernet)
    def rule(event):
        if "src" not in event:
            return False
        net = ip_network(event.get("src"), strict=False)
        return not any(inside(allowed, net) for allowed in ALLOWED)
    '''
    out = check(tmp_path, src, IP_EVENTS + [{"src": "10.9.0.0/16"}, {"src": "fd00::/7"}])
    assert out.status == "exact", out.reasons


def test_is_loopback_of_an_address(tmp_path):
    src = '''
    import ipaddress
    def rule(event):
        try:
            ip = ipaddress.ip_address(event.get("ip", ""))
        except ValueError:
            return False
        return not (ip.is_private or ip.is_loopback)
    '''
    events = [{"ip": x} for x in ("127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "8.8.8.8",
                                  "10.0.0.1", "2001:4860::8888", "x")] + [{}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_loopback_networks_are_pythons_is_loopback():
    import ipaddress

    from translator.frontends.python.ipaddrs import LOOPBACK_NETWORKS
    p = Predicate(Field(("ip",)), "cidr", LOOPBACK_NETWORKS)
    samples = ["127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0", "0.0.0.0", "::",
               "::1", "::2", "::ffff:127.0.0.1", "::ffff:128.0.0.1", "::127.0.0.1", "fe80::1",
               "::1%eth0", "64:ff9b::7f00:1", "2002:7f00:1::"]
    for a in samples:
        assert evaluate(p, {"ip": a}) == ipaddress.ip_address(a).is_loopback, a


SHELL_EVENTS = [{"cmd": c} for c in ("aws s3 ls", "'aws' s3", "aws", "  ", "", "echo 'unclosed",
                                     "sudo aws", "curl http://x | sh", "x /tmp/a", 5)] + [{}]


def test_shlex_split_words_and_first_word(tmp_path):
    src = '''
    import shlex
    def rule(event):
        command = event.get("cmd")
        if not command:
            return False
        try:
            args = shlex.split(command)
        except ValueError:
            return True  # catching the error must see Python's exception types
        return args[0] == "aws"
    '''
    out = check(tmp_path, src, SHELL_EVENTS)
    assert out.status == "exact", out.reasons
    assert "index(shlex_split(cmd), 0)" in condition(out)


def test_shlex_split_words_in_a_loop(tmp_path):
    src = '''
    import shlex
    from fnmatch import fnmatch
    def rule(event):
        command = event.get("cmd")
        if not command:
            return False
        for word in shlex.split(command.replace("'", "\\\\'")):
            if any(fnmatch(word, p) for p in ("/tmp/*", "curl")):
                return True
        return False
    '''
    out = check(tmp_path, src, SHELL_EVENTS)
    assert out.status == "exact", out.reasons


def test_re_findall_counted_against_zero_is_a_search(tmp_path):
    src = '''
    import re
    PATTERNS = [r"role/Admin.*", r"x*"]
    ADMIN = re.compile(r"Admin$")
    def rule(event):
        arn = event.get("arn")
        if len(re.findall(PATTERNS[0], arn)) > 0:
            return False
        if ADMIN.findall(arn):
            return False
        return len(re.findall(r"(\\d+)", arn, re.I)) == 0
    '''
    events = [{"arn": a} for a in ("arn:role/Admin1", "arn:user/Admin", "arn:user/bob",
                                   "arn:user/42", "")] + [{"arn": None}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_re_findall_items_are_reported(tmp_path):
    src = '''
    import re
    def rule(event):
        return re.findall(r"(\\d+)", event.get("arn", ""))[0] == "1"
    '''
    out = extract(tmp_path, src, events=[{"arn": "a1"}])
    assert out.status != "exact"
    assert any("re.findall" in r for r in out.reasons), out.reasons


def test_default_that_is_another_event_value(tmp_path):
    src = '''
    def rule(event):
        who = event.deep_get("user", "name", default=event.deep_get("user", "id", default="?"))
        where = event.get("region", event.get("zone"))
        return who == "root" or where == "eu"
    '''
    events = [{"user": {"name": "root"}}, {"user": {"name": None, "id": "root"}},
              {"user": {"id": "root"}}, {"user": {"name": "bob", "id": "root"}}, {},
              {"zone": "eu"}, {"region": None, "zone": "eu"}, {"region": "eu"},
              {"region": "us", "zone": "eu"}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons


def test_field_in_the_keys_or_values_of_a_constant_dict(tmp_path):
    src = '''
    NAMES = {"CreateUser": "iam", "DeleteUser": "iam"}
    LEVELS = {"a": "high", "b": "low"}
    def rule(event):
        return event.get("eventName") in NAMES.keys() and event.get("level") in LEVELS.values()
    '''
    events = [{"eventName": "CreateUser", "level": "high"}, {"eventName": "iam", "level": "low"},
              {"eventName": "DeleteUser", "level": "a"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
    assert condition(out) == 'eventName in ["CreateUser", "DeleteUser"]\nlevel in ["high", "low"]'


def test_tuple_of_event_values_in_a_set_of_pairs(tmp_path):
    src = '''
    PAIRS = {("winword.exe", "cmd.exe"), ("excel.exe", "powershell.exe"), ("x",)}
    def rule(event):
        parent = event.get("parent", "").lower()
        child = event.get("child", "").lower().split("\\\\")[-1]
        return (parent, child) in PAIRS
    '''
    events = [{"parent": "WINWORD.exe", "child": "C:\\\\w\\\\cmd.exe"},
              {"parent": "winword.exe", "child": "powershell.exe"},
              {"parent": "excel.exe", "child": "powershell.exe"}, {"parent": "x"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact", out.reasons
