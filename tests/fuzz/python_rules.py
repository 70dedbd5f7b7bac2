"""Random Panther-style Python rules and events for differential fuzzing of the Python frontend.

Each generated rule is valid Python built from the idioms of real Panther rules (event.get with
and without defaults, deep_get, subscripts, `in` on strings and lists, string methods, regex,
fnmatch, len/int/str, any/all over list fields, a split() unpacked into names, a slice of a
split() the rule builds but does not use, a set or list grown in a loop over a list field, a dict
built from a list field's elements (a comprehension, or a loop assigning d[k] = v), a loop
setting a module global,
helper functions, early returns, try/except),
with hostile literal values (quotes, backslashes, wildcards, regex metacharacters, newlines,
unicode). Events draw their values from the same pool, so comparisons hit as often as they miss,
and vary types (missing, null, text, numbers, booleans, lists, objects) per field.

The property checked by tests/fuzz/test_frontend_differential.py and benchmarks/fuzz_frontend.py:
an extraction never disagrees with the real rule on an event (verdict ``mismatch``) and never
fails with a tracer-internal error; it may honestly be partial or unsupported.
"""
from __future__ import annotations

import json
import random

VALUES = ["admin", "Admin", "ADMIN", "root", "", " ", "a'b", 'a"b', "a\\b", "50%_off", "*", "?x",
          "a.b", "(x)", "[y]", "new\nline", "tab\there", "é", "日本", "\x00z", "') or 1=1 --",
          "| delete", '"; drop', "DeleteBucket", "deletebucket", "Create", "10.0.0.1",
          "192.168.1.20", "8.8.8.8", "::1"]
REGEXES = [r"^a", r"[0-9]+", r"\.", r"(?i)admin", r"b$", r"^(root|admin)$"]
GLOBS = ["*min", "a?b", "[!a]*", "*.*", "*%*"]
NUMBERS = [0, 1, 2, 5, 10, -3, 100]
STRING_FIELDS = [("name",), ("user", "role"), ("action",)]
NUMBER_FIELDS = [("count",), ("user", "age")]
LIST_FIELD = ("items",)


class RuleGen:
    def __init__(self, rnd: random.Random):
        self.r = rnd

    # ------------------------------------------------------------------ values
    def value(self) -> str:
        return repr(self.r.choice(VALUES))

    def values(self) -> str:
        picked = self.r.sample(VALUES, self.r.randint(1, 4))
        return repr(picked) if self.r.random() < 0.5 else repr(tuple(picked))

    def default(self) -> str:
        return self.r.choice(["", ", ''", ", 'none'", ", None", ", 'admin'"])

    # ------------------------------------------------------------------ field reads
    def string_read(self) -> str:
        path = self.r.choice(STRING_FIELDS)
        if len(path) == 1:
            return self.r.choice([f"event.get({path[0]!r}{self.default()})",
                                  f"event.get({path[0]!r}{self.default()})",
                                  f"event.deep_get({path[0]!r}{self.default().replace(', ', ', default=', 1)})"])
        keys = ", ".join(repr(k) for k in path)
        return self.r.choice([f"event.deep_get({keys}{self.default().replace(', ', ', default=', 1)})",
                              f"event.get({path[0]!r}, {{}}).get({path[1]!r}{self.default()})"])

    def number_read(self) -> str:
        path = self.r.choice(NUMBER_FIELDS)
        keys = ", ".join(repr(k) for k in path)
        return self.r.choice([f"event.deep_get({keys}, default=0)", f"event.deep_get({keys})"])

    # ------------------------------------------------------------------ conditions
    def condition(self, depth: int = 0) -> str:
        r = self.r
        if depth < 2 and r.random() < 0.3:
            op = r.choice(["and", "or"])
            return f"({self.condition(depth + 1)} {op} {self.condition(depth + 1)})"
        if depth < 2 and r.random() < 0.1:
            return f"not {self.condition(depth + 1)}"
        return self.r.choice(self.ATOMS)(self, self.string_read())

    # One entry per idiom: (generator, string-field read) -> condition text.
    ATOMS = [
        lambda g, s: f"{s} == {g.value()}",
        lambda g, s: f"{s} != {g.value()}",
        lambda g, s: f"{s} in {g.values()}",
        lambda g, s: f"{s} not in {g.values()}",
        lambda g, s: f"{s} in {set(g.r.sample(VALUES, 3))!r}",
        lambda g, s: f"{g.value()} in ({s} or '')",
        lambda g, s: f"str({s}).{g.r.choice(['startswith', 'endswith'])}({g.value()})",
        lambda g, s: f"str({s}).startswith(({g.value()}, {g.value()}))",
        lambda g, s: f"({s} or '').lower() == {g.value()}.lower()",
        lambda g, s: f"re.search({g.r.choice(REGEXES)!r}, str({s}))",
        lambda g, s: f"re.match({g.r.choice(REGEXES)!r}, str({s}), re.IGNORECASE)",
        lambda g, s: f"fnmatch.fnmatch(str({s}), {g.r.choice(GLOBS)!r})",
        lambda g, s: f"not {s}",
        lambda g, s: f"{s} is None",
        lambda g, s: f"isinstance({s}, {g.r.choice(['str', 'list', 'dict', '(int, float)'])})",
        lambda g, s: f"len(str({s})) > {g.r.choice([0, 1, 3, 5])}",
        lambda g, s: f"str({s}).split('.')[-1] == {g.value()}",
        lambda g, s: f'f"{{{s}}}:x" == {g.value()} + ":x"',
        lambda g, s: f"any(word in str({s}) for word in {g.values()})",
        lambda g, s: f"{s} and {g.value()} in str({s})",
        lambda g, s: (f"({g.number_read()} or 0) {g.r.choice(['>', '>=', '<', '<=', '==', '!='])} "
                      f"{g.r.choice(NUMBERS)}"),
        lambda g, s: f"{g.value()} in (event.get('tags') or [])",
        lambda g, s: f"len(event.get('tags') or []) > {g.r.choice([0, 1, 2])}",
        lambda g, s: f"{g.value()} in event.deep_walk('items', 'kind', default=[])",
        lambda g, s: f"event.deep_walk('items', 'kind') == {g.value()}",
        lambda g, s: f"parsed_kind(event) == {g.value()}",
        lambda g, s: f"split_pair(str({s})) {g.r.choice(['==', '!='])} {g.value()}",
        lambda g, s: (f"kind_numbers(event).get({g.value()}{g.r.choice(['', ', 0'])}) "
                      f"{g.r.choice(['==', '!='])} {g.r.choice(NUMBERS)}"),
        lambda g, s: f"{g.value()} {g.r.choice(['in', 'not in'])} kind_numbers(event)",
        lambda g, s: f"word_info(str({s}))['parts'] {g.r.choice(['>', '=='])} {g.r.choice([1, 2, 4])}",
        lambda g, s: f"word_info(str({s}))['rest'] == {g.value()}",
        lambda g, s: f"private_ip(event)",
        lambda g, s: (f"{g.r.choice(['any', 'all'])}("
                      + g.r.choice([f"item.get('kind') == {g.value()}",
                                    f"str(item.get('kind', '')).startswith({g.value()})",
                                    f"item.get('n', 0) > {g.r.choice(NUMBERS)}"])
                      + " for item in event.get('items', []) or [] if isinstance(item, dict))"),
        lambda g, s: f"first_item(event).get('kind') == {g.value()}",
        lambda g, s: (f"next((item.get('kind') for item in event.get('items') or [] "
                      f"if isinstance(item, Mapping) and {g.r.choice(g.RAISING_TESTS)(g)}), "
                      f"{g.r.choice(['None', repr('admin')])}) == {g.value()}"),
        lambda g, s: (f"{g.r.choice(['any', 'all'])}({g.r.choice(g.RAISING_TESTS)(g)} "
                      "for item in event.get('items') or [] if isinstance(item, Mapping))"),
        # counts beyond empty/non-empty: of a filtered list, of two lists, of deep_walk's values
        lambda g, s: (f"len([item for item in event.get('items') or [] if isinstance(item, Mapping)"
                      f" and item.get('kind') {g.r.choice(['==', '!='])} {g.value()}]) "
                      f"{g.r.choice(['>=', '==', '<', '!='])} {g.r.choice([1, 2, 3])}"),
        lambda g, s: (f"len([t for t in event.get('tags', []) if t != {g.value()}]) "
                      f"{g.r.choice(['>', '==', '!='])} len([item for item in event.get('items', []) "
                      "if isinstance(item, dict)])"),
        lambda g, s: (f"len(event.deep_walk('items', 'kind', default=[])) "
                      f"{g.r.choice(['>=', '==', '<'])} {g.r.choice([1, 2, 3])}"),
    ]

    # ------------------------------------------------------------------ statements
    def body(self, indent: str = "    ") -> list[str]:
        r = self.r
        lines: list[str] = []
        for _ in range(r.randint(0, 3)):
            kind = r.randrange(10)
            if kind == 0:
                lines.append(f"{indent}if {self.condition()}:")
                lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
            elif kind == 1:
                lines.append(f"{indent}value = {self.string_read()}")
                lines.append(f"{indent}if value {r.choice(['==', '!='])} {self.value()}:")
                lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
            elif kind == 2:
                lines.append(f"{indent}if helper(event):")
                lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
            elif kind == 3:
                lines.append(f"{indent}for item in event.get('items') or []:")
                lines.append(f"{indent}    if isinstance(item, dict) and item.get('kind') == {self.value()}:")
                lines.append(f"{indent}        return {r.choice(['True', 'False'])}")
            elif kind == 5:
                lines.extend(self.ordered_loop(indent))
            elif kind == 6:
                start, grow = r.choice([("set()", "add"), ("[]", "append")])
                lines.append(f"{indent}found = {start}")
                lines.append(f"{indent}for item in event.get('items') or []:")
                lines.append(f"{indent}    if isinstance(item, Mapping) and item.get('kind') "
                             f"{r.choice(['==', '!='])} {self.value()}:")
                lines.append(f"{indent}        found.{grow}(item.get('n'))")
                lines.append(f"{indent}if {r.choice(NUMBERS)} in found:")
                lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
            elif kind == 8:
                lines.append(f"{indent}by_kind = {{}}")
                lines.append(f"{indent}for item in event.get('items') or []:")
                lines.append(f"{indent}    if isinstance(item, Mapping):")
                lines.append(f"{indent}        by_kind[item.get('kind')] = item.get('n')")
                lines.append(f"{indent}if by_kind.get({self.value()}) {r.choice(['==', '!='])} "
                             f"{r.choice(NUMBERS)}:")
                lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
            elif kind == 9:
                self.globals_set = getattr(self, "globals_set", 0) + 1
                flag = f"SEEN_{self.globals_set}"
                lines.append(f"{indent}for item in event.get('items') or []:")
                lines.append(f"{indent}    if isinstance(item, Mapping) and item.get('kind') == {self.value()}:")
                lines.append(f"{indent}        global {flag}")
                lines.append(f"{indent}        {flag} = item.get('n')")
                lines.append(f"{indent}        return {r.choice(['True', 'False'])}")
            elif kind == 7:
                lines.append(f"{indent}seen = []")
                lines.append(f"{indent}seen.extend(event.get('tags') or [])")
                lines.append(f"{indent}if {self.value()} {r.choice(['in', 'not in'])} seen:")
                lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
            else:
                lines.append(f"{indent}try:")
                lines.append(f"{indent}    number = int(event.get('count', 0) or 0)")
                lines.append(f"{indent}except (TypeError, ValueError):")
                lines.append(f"{indent}    number = 0")
                lines.append(f"{indent}if number {r.choice(['>', '<', '=='])} {r.choice(NUMBERS)}:")
                lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
        lines.append(f"{indent}return bool({self.condition()})")
        return lines

    # Tests of an element that raise on some elements (None.lower(), "x" in None, a missing
    # key, None > 1, .get on a text element): Python stops at the first element that
    # returns, breaks or raises, so the elements' order decides (frontends/python/ordered.py).
    # (Panther hands out nested objects as Mappings, not dicts: isinstance(item, dict) is False.)
    RAISING_TESTS = [
        lambda g: f"item.get('kind').lower() == {g.value()}.lower()",
        lambda g: f"{g.value()} in item.get('kind')",
        lambda g: f"item['kind'].startswith({g.value()})",
        lambda g: f"item.get('n') > {g.r.choice(NUMBERS)}",
    ]

    def ordered_loop(self, indent: str) -> list[str]:
        r = self.r
        # inside try/except the first raising element's error is the rule's answer, which the
        # comparison sees (a rule that raises is not compared)
        inner = indent + ("    " if r.random() < 0.5 else "")
        lines = [f"{indent}try:"] if inner != indent else []
        lines.append(f"{inner}for item in event.get('items') or []:")
        if r.random() < 0.4:
            lines.append(f"{inner}    if isinstance(item, Mapping) and item.get('n') == {r.choice(NUMBERS)}:")
            lines.append(f"{inner}        {r.choice(['break', 'return True', 'return False'])}")
        lines.append(f"{inner}    if isinstance(item, Mapping) and {r.choice(self.RAISING_TESTS)(self)}:")
        lines.append(f"{inner}        return {r.choice(['True', 'False'])}")
        if inner != indent:
            lines.append(f"{indent}except {r.choice(['TypeError', 'KeyError', 'AttributeError'])}:")
            lines.append(f"{indent}    return {r.choice(['True', 'False'])}")
        return lines

    def source(self) -> str:
        head = ["import fnmatch", "import ipaddress", "import json", "import re",
                "from collections.abc import Mapping", "", "",
                "def helper(event):", f"    return {self.condition()}", "", "",
                "def parsed_kind(event):",
                "    try:",
                "        doc = json.loads(event.get('doc', '{}'))",
                "    except (TypeError, ValueError):",
                f"        return {self.value()}",
                "    return doc.get('kind') if isinstance(doc, dict) else None", "", "",
                "def split_pair(text):",
                "    head, tail = text.split('.')",
                "    return tail", "", "",
                "def kind_numbers(event):",
                "    items = event.get('items') or []",
                "    return {item['kind']: item.get('n') for item in items if isinstance(item, Mapping)}",
                "", "",
                "def word_info(text):",
                "    words = text.split()",
                "    return {'rest': ' '.join(words[1:]), 'parts': len(text.split('.'))}", "", "",
                "def first_item(event):",
                "    for item in event.get('items') or []:",
                f"        if isinstance(item, Mapping) and {self.r.choice(self.RAISING_TESTS)(self)}:",
                "            return item",
                "    return {}", "", "",
                "def private_ip(event):",
                "    try:",
                "        return ipaddress.ip_address(event.get('ip', '')).is_private",
                "    except ValueError:",
                f"        return {self.r.choice(['True', 'False'])}", "", "",
                "def rule(event):"]
        return "\n".join(head + self.body()) + "\n"

    # ------------------------------------------------------------------ events
    def scalar(self):
        r = self.r.random()
        if r < 0.55:
            return self.r.choice(VALUES)
        if r < 0.7:
            return self.r.choice(NUMBERS)
        if r < 0.8:
            return self.r.choice([True, False])
        if r < 0.9:
            return None
        return self.r.choice([[self.r.choice(VALUES)], {"k": self.r.choice(VALUES)}])

    def item(self, kinds: list) -> dict:
        """An element of ``items``; some lack a key or hold null, so that the ordered loops'
        tests raise on them (``item["kind"]`` raises KeyError on a missing key, not on null).
        A known tracer gap kept out: values of another type (a test that raises on a number
        reads as False, the model's "type does not fit")."""
        item: dict = {"kind": self.r.choice(kinds), "n": self.r.choice(NUMBERS)}
        roll = self.r.random()
        if roll < 0.15:
            del item["kind"]
        elif roll < 0.2:
            item["kind"] = None
        elif roll < 0.25:
            item["n"] = None
        elif roll < 0.3:
            del item["n"]
        return item

    def event(self) -> dict:
        r = self.r
        ev: dict = {}
        for path in STRING_FIELDS + NUMBER_FIELDS:
            if r.random() < 0.2:
                continue
            value = r.choice(NUMBERS) if path in NUMBER_FIELDS and r.random() < 0.8 else self.scalar()
            node = ev
            for step in path[:-1]:
                node = node.setdefault(step, {}) if isinstance(node.get(step, {}), dict) else {}
            node[path[-1]] = value
        if r.random() < 0.7:
            # a third of the lists repeat one kind (deep_walk then finds one distinct value)
            kinds = VALUES if r.random() < 0.67 else [r.choice(VALUES)]
            ev["items"] = [self.item(kinds) if r.random() < 0.85 else self.scalar()
                           for _ in range(r.randint(0, 3))]
        if r.random() < 0.5:
            ev["tags"] = r.sample(VALUES, r.randint(0, 3))
        if r.random() < 0.6:
            ev["doc"] = r.choice([json.dumps({"kind": r.choice(VALUES)}), "not json", "[1]",
                                  json.dumps({"other": 1}), self.scalar()])
        if r.random() < 0.6:
            ev["ip"] = r.choice(["10.0.0.1", "8.8.8.8", "192.168.1.20", "::1", "fe80::1",
                                 "2001:4860::8888", "999.1.1.1", " 10.0.0.1", "", self.scalar()])
        return ev


def generate(seed: int, count: int, events_per_rule: int = 8):
    """[(rule source, [events])] — deterministic for a seed."""
    rnd = random.Random(seed)
    gen = RuleGen(rnd)
    return [(gen.source(), [gen.event() for _ in range(events_per_rule)]) for _ in range(count)]


def write_tree(root, seed: int, count: int, events_per_rule: int = 8) -> None:
    """A Panther rules tree of ``count`` generated rules (YAML + Python) under ``root``."""
    import json
    from pathlib import Path
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for i, (source, events) in enumerate(generate(seed, count, events_per_rule)):
        (root / f"fuzz_{i}.py").write_text(source, encoding="utf-8")
        tests = [{"Name": f"event {j}", "ExpectedResult": False,
                  "Log": json.loads(json.dumps(ev))} for j, ev in enumerate(events)]
        meta = {"AnalysisType": "rule", "RuleID": f"Fuzz.{seed}.{i}", "Filename": f"fuzz_{i}.py",
                "Enabled": True, "LogTypes": ["Custom.Fuzz"], "Severity": "Low", "Tests": tests}
        # JSON is YAML: no yaml dump quirks between the generator and the loader
        (root / f"fuzz_{i}.yml").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
