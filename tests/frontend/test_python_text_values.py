"""Text built around a field (f-strings, "+", str.join), list values and defaults read further:
each construct in a small rule, checked against the real rule on events."""
from __future__ import annotations

from pyrule_harness import agrees_on, condition, extract


def check(tmp_path, src, events, **kw):
    out = extract(tmp_path, src, events=events, **kw)
    assert agrees_on(tmp_path, out, events) == []
    return out


def test_field_ends_with_text_built_from_another_field(tmp_path):
    src = '''
    def rule(event):
        arn = event.deep_get("identity", "arn", default="")
        return not arn.endswith(f"user/{event.deep_get('target', 'name', default='')}")
    '''
    events = [{"identity": {"arn": "a:user/bob"}, "target": {"name": "bob"}},
              {"identity": {"arn": "a:user/bob"}, "target": {"name": "eve"}},
              {"identity": {"arn": "a:user/"}}, {"identity": {"arn": "xuser/"}, "target": None},
              {"target": {"name": 5}, "identity": {"arn": "user/5"}}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    # (the text shows a default outermost; it applies before the transforms)
    assert condition(out) == 'not identity.arn ends_with (("user/" + str(target.name)) ?? "")'


def test_text_built_from_a_field_compared_and_searched(tmp_path):
    src = '''
    def rule(event):
        domain = event.get("email", "").split("@")[-1]
        label = "team-" + event.get("team", "none")
        return event.get("member", "").endswith(f"@{domain}") or label == "team-red" \\
            or "x" in f"{event.get('code')}!"
    '''
    events = [{"email": "a@corp.com", "member": "b@corp.com"}, {"email": "a@corp.com", "member": "b@evil.com"},
              {"team": "red"}, {"team": "blue"}, {"code": "xyz"}, {"code": 7}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_literal_text_alone_settles_startswith(tmp_path):
    src = '''
    def rule(event):
        kind = event.get("kind")
        name = f"Unknown{kind}"
        if name.startswith("AWSReserved"):
            return True
        return name.startswith("Unknown") and name.endswith("Role")
    '''
    events = [{"kind": "AssumedRole"}, {"kind": "User"}, {}]
    out = check(tmp_path, src, events)
    assert out.paths == 1  # neither test forks on something the literal settles
    assert condition(out) == '("Unknown" + str(kind)) ends_with "Role"'


def test_join_of_fields_is_text(tmp_path):
    src = '''
    def rule(event):
        res = event.get("resource", "")
        if event.get("sub"):
            res = "/".join([res, event.get("sub")])
        return res == "pods/exec" or "/".join(["a", "b"]) == event.get("x")
    '''
    events = [{"resource": "pods", "sub": "exec"}, {"resource": "pods/exec"}, {"resource": "pods"},
              {"x": "a/b"}, {}]
    out = extract(tmp_path, src, events=events)
    # res + "/" + sub is text from two fields: reported, not guessed
    assert "several fields" in " ".join(out.reasons)
    assert agrees_on(tmp_path, out, [{"x": "a/b"}, {"resource": "pods/exec"}]) == []


def test_field_equal_to_a_list(tmp_path):
    src = '''
    def rule(event):
        ips = event.get("ips", ["0.0.0.0"])
        if ips == ["127.0.0.1"]:
            return False
        return event.deep_get("req", "body", default=[-1]) == [] or ips == ["1.1.1.1", None]
    '''
    events = [{"ips": ["127.0.0.1"]}, {"ips": ["127.0.0.1", "x"]}, {"ips": "127.0.0.1"},
              {"req": {"body": []}}, {"req": {"body": ""}}, {"req": {"body": {}}},
              {"req": {"body": None}}, {"ips": ["1.1.1.1", None]}, {"ips": ["1.1.1.1"]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_default_list_indexed_and_read(tmp_path):
    src = '''
    def rule(event):
        first = event.get("sourceIPs", ["0.0.0.0"])[0]
        if first == "0.0.0.0":
            return False
        return event.get("ctx", {"k": "dflt"}).get("k") == "dflt" or first.startswith("10.")
    '''
    events = [{"sourceIPs": ["10.1.1.1"]}, {"sourceIPs": ["1.1.1.1"]}, {"sourceIPs": []},
              {"sourceIPs": None}, {"sourceIPs": ["1.1.1.1"], "ctx": {"k": "dflt"}},
              {"sourceIPs": ["1.1.1.1"], "ctx": {"k": "other"}}, {"sourceIPs": ["8.8.8.8"], "ctx": None},
              {"sourceIPs": ["8.8.8.8"]}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_field_in_dict_keys_and_values(tmp_path):
    src = '''
    ITEMS = {"id-1": "payroll", "id-2": "keys"}
    def rule(event):
        return event.get("uuid") in ITEMS.keys() or event.get("name") in ITEMS.values()
    '''
    events = [{"uuid": "id-1"}, {"uuid": "id-3"}, {"name": "keys"}, {"name": "id-1"}, {}]
    out = check(tmp_path, src, events)
    assert condition(out) == 'uuid in ["id-1", "id-2"] or name in ["payroll", "keys"]'


def test_filtered_constants_are_one_condition(tmp_path):
    src = '''
    KEYWORDS = ["sso", "okta", "login", "auth", "secure", "verify", "account", "support"]
    def rule(event):
        name = event.get("domain", "").lower()
        matches = [k for k in KEYWORDS if k in name]
        if matches:
            return len(matches) >= 2
        return False
    '''
    events = [{"domain": "okta-sso.evil"}, {"domain": "SSO.evil"}, {"domain": "plain.com"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    # `if matches:` is one decision; len() needs the list, decided element by element
    assert out.paths <= 2 + 2 ** 8


def test_filtered_constants_keep_changes_made_to_the_list(tmp_path):
    src = '''
    def rule(event):
        found = [k for k in ("a", "b") if k == event.get("x")]
        found.append("z")
        return len(found) == 2 and found[0] == "b"
    '''
    events = [{"x": "a"}, {"x": "b"}, {"x": "c"}, {}]
    out = check(tmp_path, src, events)  # the appended "z" is seen by len() (agreement on x=b)
    assert out.status == "exact" and condition(out).endswith('x == "b"')


def test_slice_after_a_known_prefix_or_suffix(tmp_path):
    src = '''
    def rule(event):
        part = event.get("id", "").split("_")[2] if len(event.get("id", "").split("_")) > 2 else ""
        if part.startswith("role-"):
            return "admin" in part[5:].lower()
        name = event.get("name", "")
        return name.endswith(".exe") and name[:-4] == "cmd"
    '''
    events = [{"id": "role_assignment_role-org-admin"}, {"id": "role_assignment_role-admin"},
              {"id": "role_assignment_admin-role"}, {"id": "a_b_role-reader"},
              {"name": "cmd.exe"}, {"name": "xcmd.exe"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert 'removeprefix' in condition(out) and 'removesuffix' in condition(out)


def test_parsed_document_lists_compared_and_indexed(tmp_path):
    src = '''
    import json
    def rule(event):
        doc = json.loads(event.get("log", "{}"))
        ips = doc.get("ips") or []
        if ips == ["127.0.0.1"]:
            return False
        return bool(ips) and ips[0].startswith("10.")
    '''
    events = [{"log": '{"ips": ["127.0.0.1"]}'}, {"log": '{"ips": ["10.0.0.1", "x"]}'},
              {"log": '{"ips": ["8.8.8.8"]}'}, {"log": '{"ips": "10.1"}'}, {"log": '{"ips": []}'},
              {"log": '{"ips": {"a": 1}}'}, {"log": "{}"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_pair_of_fields_in_a_set_of_pairs(tmp_path):
    src = '''
    PAIRS = {("excel.exe", "cmd.exe"), ("word.exe", "powershell.exe"), "not-a-pair"}
    def rule(event):
        parent = event.get("parent", "").lower()
        return (parent, event.get("child")) in PAIRS or ("x", "y") in PAIRS
    '''
    events = [{"parent": "EXCEL.exe", "child": "cmd.exe"}, {"parent": "excel.exe", "child": "x"},
              {"parent": "word.exe", "child": "powershell.exe"}, {"child": "cmd.exe"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"


def test_default_that_is_another_field(tmp_path):
    # (helper modules get names of their own: the real rule's imports stay in sys.modules)
    helpers = {"actors": '''
        from coalesce_helpers import deep_get
        def actor(event):
            return deep_get(event, "user", "name",
                            default=deep_get(event, "user", "id", default="unknown"))
    ''', "coalesce_helpers": '''
        def deep_get(dictionary, *keys, default=None):
            out = dictionary
            for key in keys:
                out = out.get(key, default) if hasattr(out, "get") else default
            return default if out is None else out
    '''}
    src = '''
    from actors import actor
    def rule(event):
        return actor(event) in ("root", "unknown") or event.get("a", event.get("b")) == "x"
    '''
    events = [{"user": {"name": "root"}}, {"user": {"name": None, "id": "root"}},
              {"user": {"id": "bob"}}, {}, {"a": "x"}, {"b": "x"}, {"a": None, "b": "x"}]
    out = check(tmp_path, src, events, helpers=helpers)
    assert out.status == "exact"


def test_unused_slice_of_a_split_list_does_not_stop_the_rule(tmp_path):
    src = '''
    def context(event):
        words = event.get("detail", "").split()
        out = {"name": " ".join(words[2:])}
        parts = event.get("detail", "").split("-")
        out["change"] = parts[1].strip() if len(parts) > 1 else ""
        return out

    def rule(event):
        return "Off" in context(event).get("change", "")
    '''
    events = [{"detail": "Group a b - On to Off"}, {"detail": "Group a b - Off to On"},
              {"detail": "no dash Off"}, {"detail": "x-Off-y"}, {"detail": None}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert "len(split(detail" in condition(out)


def test_a_used_slice_of_a_split_list_is_reported(tmp_path):
    src = '''
    def rule(event):
        tail = ".".join(event.get("domain", "").split(".")[-2:])
        return tail == "example.com"
    '''
    out = extract(tmp_path, src, events=[{"domain": "a.example.com"}, {}])
    assert out.status == "unsupported"
    assert any("slice: slicing field split(domain, '.')" in r for r in out.reasons)


def test_unpacking_a_split_decides_its_length(tmp_path):
    src = '''
    def rule(event):
        try:
            kind, zone, name = event.get("path", "x/y/z").split("/")
        except ValueError:
            return event.get("strict") is False
        return zone == "prod" and name.startswith("db") and kind != zone
    '''
    events = [{"path": "svc/prod/db1"}, {"path": "prod/prod/db1"}, {"path": "svc/prod/db1/x"},
              {"path": "svc/prod"}, {"path": "svc/prod", "strict": False}, {"path": "a/b/c"},
              {"path": None}, {}, {"strict": False, "path": "/prod/db"}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert '(len(split(path, "/")) ?? "x/y/z") == 3' in condition(out)


def test_unpacking_anything_else_is_left_to_python(tmp_path):
    src = '''
    def rule(event):
        a, b = ("x", event.get("b"))
        first, second = event.get("pair") or ["", ""]
        return b == "y" and a == "x"
    '''
    out = extract(tmp_path, src, events=[{"b": "y", "pair": ["p", "q"]}])
    assert out.status != "exact" and any("iterating over field pair" in r for r in out.reasons)


WALK_HELPER = {"walk_helpers": '''
    from collections.abc import Mapping, Sequence

    def deep_walk(obj, *keys, default=None, return_val="all"):
        if not keys:
            return default if _only_empty_lists(obj) else obj
        if isinstance(obj, Mapping):
            value = obj.get(keys[0])
            return deep_walk(value, *keys[1:], default=default) if value is not None else default
        return default

    def _only_empty_lists(obj):
        if isinstance(obj, Sequence) and not isinstance(obj, str):
            return all(_only_empty_lists(x) for x in obj)
        return False
    '''}


def test_deep_walk_into_a_dict_of_event_values(tmp_path):
    # a value deep_walk reaches is handed back itself, or the default when it is a list of
    # empty lists: a list there stays unexpressed, and only its use is refused
    src = '''
    from walk_helpers import deep_walk

    def rule(event):
        info = {"zone": event.get("path", "").split("/")[0], "owner": event.get("owner")}
        owner = deep_walk(info, "owner", default="<none>")
        if owner in []:
            return False
        return deep_walk(info, "zone", default="") == "prod"
    '''
    events = [{"path": "prod/x", "owner": "bob"}, {"path": "dev/x", "owner": []},
              {"path": "prod", "owner": [[]]}, {"path": "prod", "owner": None}, {"path": 3}, {}]
    out = check(tmp_path, src, events, helpers=WALK_HELPER)
    assert out.status == "exact"
    used = src.replace("if owner in []:", "if owner == 'root':")
    out = extract(tmp_path, used, events=events, helpers=WALK_HELPER)
    assert out.status != "exact"
    assert any("deep_walk() reaching the list owner" in r for r in out.reasons)


def test_text_of_a_container_holding_event_values_is_reported_not_the_tracer_objects(tmp_path):
    # Python writes a tuple/list as its items' reprs (quoted texts): no template states that,
    # and the tracer's own objects (with their memory address) must never reach an output.
    src = '''
    def rule(event):
        return True
    def title(event):
        pair = (event.get("a"), event.get("b"))
        return f"pair {pair}"
    def dedup(event):
        return str([event.get("a")]) + "!"
    '''
    out = extract(tmp_path, src, events=[{"a": "x", "b": "y"}])
    assert out.title is None and out.dedup_key == ()
    assert any("title(): " in e and "f-string: the text of a tuple holding event values" in e
               for e in out.extras)
    assert any("dedup(): " in e and "str(): the text of a list holding event values" in e
               for e in out.extras)


def test_a_set_iterated_by_the_rule_keeps_the_source_order_in_every_process(tmp_path):
    # A set iterates in an order set by the process' string-hash seed; the extraction (and so
    # every output file) must not: the comprehension sees the set display's source order.
    names = [f"n{i:02d}" for i in range(40, 0, -1)]
    src = f'''
    NAMES = {{{", ".join(repr(n) for n in names)}}}
    def rule(event):
        return event.get("name", "").lower() in [n.lower() for n in NAMES]
    '''
    out = extract(tmp_path, src, events=[{"name": "N03"}, {"name": "x"}])
    (pred,) = [p for p in [out.detection] if hasattr(p, "value")]
    assert list(pred.value) == names


MAXSPLIT_EVENTS = [{"arn": "arn:aws:s3:::bucket/dir/note.txt"}, {"arn": "arn:aws:s3:::bucket/x"},
                   {"arn": "arn:aws:s3:::bucket"}, {"arn": "a/b/c"}, {"arn": ""}, {"arn": None},
                   {"arn": 5}, {}]


def test_an_item_of_a_split_with_maxsplit_keeps_the_separators_after_it(tmp_path):
    src = '''
    def rule(event):
        arn = event.get("arn") or ""
        if "/" not in arn:
            return False
        return arn.split("/", 1)[1].endswith("/note.txt") or arn.split("/", 1)[-1] == "b/c"
    '''
    out = check(tmp_path, src, MAXSPLIT_EVENTS)
    assert out.status == "exact"
    assert 'split(arn, "/", 1, 1)' in condition(out)


def test_a_split_with_maxsplit_used_as_a_list_is_refused(tmp_path):
    src = '''
    def rule(event):
        return len(event.get("arn", "").split("/", 1)) == 2
    '''
    out = extract(tmp_path, src, events=MAXSPLIT_EVENTS)
    assert out.status != "exact"
    assert any("split() with maxsplit" in r for r in out.reasons)


def test_a_split_with_maxsplit_on_a_separator_from_the_event_is_refused(tmp_path):
    src = '''
    def rule(event):
        return event.get("arn", "").split(event.get("sep", "/"), 1)[0] == "a"
    '''
    out = extract(tmp_path, src, events=MAXSPLIT_EVENTS)
    assert out.status != "exact"
