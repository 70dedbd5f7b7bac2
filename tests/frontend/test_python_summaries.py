"""Call summaries (frontends/python/summary.py): pure helpers are explored once per call and their
paths merged by return value, so helpers combined with and/or no longer multiply the paths."""
from __future__ import annotations

import textwrap

import pytest

from pyrule_harness import agrees_on, condition, extract

BOOL_HELPER = {"my_checks": '''
    PREFIXES = ("system:", "eks:")
    def is_system(name):
        if not name:
            return False
        if name.startswith(PREFIXES):
            return True
        return name in ("masterclient", "aksService")
'''}


def check(tmp_path, src, events, **kw):
    out = extract(tmp_path, src, events=events, **kw)
    assert agrees_on(tmp_path, out, events) == []
    return out


def test_boolean_helpers_in_a_chain_do_not_multiply_paths(tmp_path):
    fields = [f"f{i}" for i in range(8)]
    src = "from my_checks import is_system\n" + "def rule(event):\n    return " + " and ".join(
        f"not is_system(event.get('{f}'))" for f in fields) + "\n"
    events = [{f: v for f in fields} for v in ("system:x", "eks:y", "masterclient", "bob", "")]
    events += [dict({f: "bob" for f in fields}, f3="system:a"), {}]
    out = check(tmp_path, src, events, helpers=BOOL_HELPER)
    assert out.status == "exact"
    # 3**8 paths when each helper's decisions fork the rule; one condition per call here
    assert out.paths <= 2


def test_helper_results_are_merged_by_value(tmp_path):
    helpers = {"pick": '''
        def actor(event):
            for key in ("userName", "principal", "email"):
                if event.get(key):
                    return event.get(key)
            return "<unknown>"
    '''}
    src = '''
    from pick import actor
    def rule(event):
        return actor(event) == "root" and actor(event) != "<unknown>"
    '''
    events = [{"userName": "root"}, {"principal": "root"}, {"email": "root"},
              {"userName": "", "email": "root"}, {"userName": "x", "email": "root"}, {}]
    out = check(tmp_path, src, events, helpers=helpers)
    assert out.status == "exact"
    assert out.paths == 4  # one path per value actor() can return, the second call is known


def test_raising_paths_of_a_helper_are_kept(tmp_path):
    helpers = {"strict": '''
        def code_of(event):
            status = event.get("status")
            if status is None:
                raise ValueError("no status")
            return status.get("code") == 403
    '''}
    src = '''
    from strict import code_of
    def rule(event):
        try:
            return code_of(event)
        except ValueError:
            return event.get("fallback") == "yes"
    '''
    events = [{"status": {"code": 403}}, {"status": {"code": 200}}, {"fallback": "yes"},
              {"status": None, "fallback": "yes"}, {}]
    out = check(tmp_path, src, events, helpers=helpers)
    assert out.status == "exact"
    assert "fallback" in condition(out)


def test_helper_with_side_effects_runs_directly(tmp_path):
    helpers = {"counting": '''
        SEEN = []
        def note(name):
            SEEN.append(name)
            return name == "x"
        def seen_twice():
            return len(SEEN) >= 2
    '''}
    src = '''
    from counting import note, seen_twice
    def rule(event):
        note(event.get("a"))
        return note(event.get("b")) and seen_twice()
    '''
    events = [{"a": "x", "b": "x"}, {"a": "y", "b": "x"}, {"b": "y"}]
    out = extract(tmp_path, src, events=events, helpers=helpers)
    assert out.status == "exact"
    assert condition(out) == 'b == "x"'


@pytest.mark.parametrize("body, pure", [
    ("def f(x):\n    out = []\n    out.append(x)\n    return out", True),
    ("def f(x):\n    x.append(1)\n    return x", False),
    ("G = {}\ndef f(x):\n    G[x] = 1", False),
    ("def f(x):\n    global G\n    G = x", False),
    ("def f(x):\n    y = x\n    y['k'] = 1", False),
    ("def f(x):\n    n = 0\n    n += 1\n    return n", True),
    ("def f(x):\n    for e in x:\n        e.update(a=1)", False),
    ("def f(x):\n    d = {}\n    d[x] = [y for y in range(3)]\n    return d", True),
    ("def f(x):\n    yield x", False),
    ("class C:\n    def f(self, x):\n        self.x = x", False),
])
def test_purity_is_read_from_the_source(tmp_path, body, pure):
    from translator.frontends.python.errors import TRACED_FILES
    from translator.frontends.python.summary import is_pure
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(body) + "\n")
    TRACED_FILES[str(path)] = "mod.py"
    ns: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    f = ns["f"] if "f" in ns else ns["C"].f
    assert is_pure(f) is pure


def test_loop_over_constants_returning_one_value_is_one_condition(tmp_path):
    domains = [f"d{i}.example" for i in range(40)]
    src = f'''
    DOMAINS = set({domains!r})
    def rule(event):
        name = event.get("query")
        if not name:
            return False
        for domain in DOMAINS:
            if name.rstrip(".").endswith(domain):
                return True
        return False
    '''
    events = [{"query": "x.d3.example."}, {"query": "d39.example"}, {"query": "other.com"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert out.paths <= 3  # 41 paths when each element's test forks


def test_loop_over_constants_whose_order_matters_runs_as_python(tmp_path):
    src = '''
    def rule(event):
        for kind, verdict in (("admin", True), ("adm", False)):
            if kind in event.get("role", ""):
                return verdict
        return False
    '''
    events = [{"role": "admin"}, {"role": "adm"}, {"role": "x"}, {}]
    out = check(tmp_path, src, events)
    assert out.status == "exact"
    assert condition(out) == 'role contains "admin"'
