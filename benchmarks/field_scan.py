"""A rough scan of the fields a Panther Python rule reads, for measuring mapping coverage
until the symbolic Python frontend fills ``Rule.detection`` / ``output_fields``.

It follows ``event.get("a")``, ``event["a"]``, ``event.deep_get("a", "b")``,
``deep_get(event, "a", "b")``, ``deep_walk(...)``, chains of them (``event.get("a", {}).get("b")``),
local names bound to such paths (``rp = event.get("requestParameters") or {}``), ``for x in
<path>`` (elements) and ``event.udm("name")``. It does not follow calls into global helpers.
Paths that are only a step towards a longer one in the same rule are dropped.
"""
from __future__ import annotations

import ast

from translator.mapping.entries import EACH

GETTERS = ("get", "deep_get", "deep_walk")


class _Scan(ast.NodeVisitor):
    def __init__(self):
        self.paths: set[tuple] = set()
        self.udm: set[str] = set()
        self.env: dict[str, tuple] = {}

    def path_of(self, node) -> tuple | None:
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.BoolOp):  # `event.get("a") or {}`
            return self.path_of(node.values[0])
        if isinstance(node, ast.Subscript):
            base = self.path_of(node.value)
            key = node.slice
            if base is not None and isinstance(key, ast.Constant) and isinstance(key.value, (str, int)):
                return base + (key.value,)
            return None
        if isinstance(node, ast.Call):
            func = node.func
            consts = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if isinstance(func, ast.Attribute) and func.attr in GETTERS:
                base = self.path_of(func.value)
                if base is None or not node.args or not isinstance(node.args[0], ast.Constant):
                    return None
                keys = consts[:1] if func.attr == "get" else [c for c in consts if isinstance(c, str)]
                return base + tuple(keys) if all(isinstance(k, str) for k in keys) else None
            if isinstance(func, ast.Name) and func.id in ("deep_get", "deep_walk") and node.args:
                base = self.path_of(node.args[0])
                if base is None:
                    return None
                keys = [a.value for a in node.args[1:] if isinstance(a, ast.Constant)
                        and isinstance(a.value, str)]
                return base + tuple(keys)
        return None

    def visit_FunctionDef(self, node):
        saved = self.env
        self.env = dict(saved)
        for arg in node.args.args[:1]:
            if arg.arg in ("event", "record", "log", "e"):
                self.env[arg.arg] = ()
        self.generic_visit(node)
        self.env = saved

    def visit_Assign(self, node):
        path = self.path_of(node.value)
        if path is not None:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.env[t.id] = path
        self.generic_visit(node)

    def visit_For(self, node):
        path = self.path_of(node.iter)
        if path is not None and isinstance(node.target, ast.Name):
            self.env[node.target.id] = path + (EACH,)
        self.generic_visit(node)

    def visit_comprehension(self, node):
        path = self.path_of(node.iter)
        if path is not None and isinstance(node.target, ast.Name):
            self.env[node.target.id] = path + (EACH,)
        self.generic_visit(node)

    def _comprehension(self, node):
        # bind the loop targets before visiting the element expression
        for gen in node.generators:
            self.visit(gen)
        for name in ("elt", "key", "value"):
            if getattr(node, name, None) is not None:
                self.visit(getattr(node, name))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_Call(self, node):
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == "udm" and node.args
                and isinstance(node.args[0], ast.Constant) and self.path_of(func.value) == ()):
            self.udm.add(str(node.args[0].value))
        path = self.path_of(node)
        if path:
            self.paths.add(path)
        self.generic_visit(node)

    def visit_Subscript(self, node):
        path = self.path_of(node)
        if path:
            self.paths.add(path)
        self.generic_visit(node)


def scan_source(source: str) -> tuple[list[tuple], list[str]]:
    """(paths, udm names) a rule's Python source reads from its event."""
    s = _Scan()
    tree = ast.parse(source)
    s.visit(tree)
    paths = {p for p in s.paths if p and p[-1] != EACH}
    maximal = [p for p in paths if not any(q != p and q[:len(p)] == p for q in paths)]
    return sorted(maximal, key=str), sorted(s.udm)
