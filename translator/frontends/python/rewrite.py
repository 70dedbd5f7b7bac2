"""AST rewrite of rule, helper and data-model code so that constructs Python would force to a
concrete value (``in``, ``is``, ``not``, ``and``/``or``, calls, f-strings) go through the tracer
(``__T``, see tracer.py) and except handlers never catch a tracer error."""
from __future__ import annotations

import ast

T = "__T"

_COMPARE = {ast.In: "in_", ast.NotIn: "not_in", ast.Is: "is_", ast.IsNot: "is_not"}


def _t(name: str, node: ast.AST) -> ast.Attribute:
    return ast.copy_location(ast.Attribute(ast.Name(T, ast.Load()), name, ast.Load()), node)


def _call(name: str, args: list, node: ast.AST, keywords=None) -> ast.Call:
    return ast.copy_location(ast.Call(_t(name, node), args, keywords or []), node)


def _lambda(body: ast.expr, arg: str | None = None) -> ast.Lambda:
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg)] if arg else [], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    return ast.copy_location(ast.Lambda(args, body), body)


def _has(node: ast.AST, kinds: tuple) -> bool:
    return any(isinstance(n, kinds) for n in ast.walk(node))


class Rewriter(ast.NodeTransformer):
    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            return _call(_COMPARE[type(node.ops[0])], [node.left, node.comparators[0]], node)
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return _call("not_", [node.operand], node)
        return node

    def visit_BoolOp(self, node: ast.BoolOp):
        self.generic_visit(node)
        if _has(node, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)):
            return node  # a lambda would change their scope
        name = "and_" if isinstance(node.op, ast.And) else "or_"
        return _call(name, [_lambda(v) for v in node.values], node)

    def visit_Call(self, node: ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "super":
            self.generic_visit(node)
            return node  # zero-argument super() needs to be called directly
        quant = self._quantifier(node)
        if quant is not None:
            return quant
        self.generic_visit(node)
        return ast.copy_location(ast.Call(_t("call", node), [node.func] + node.args,
                                          node.keywords), node)

    def _quantifier(self, node: ast.Call):
        """any/all(<elt> for <name> in <iter> [if ...]) -> __T.quant(kind, iter, lambda, lambda)"""
        if not (isinstance(node.func, ast.Name) and node.func.id in ("any", "all")
                and len(node.args) == 1 and not node.keywords
                and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp))):
            return None
        gen = node.args[0]
        if len(gen.generators) != 1:
            return None
        comp = gen.generators[0]
        if comp.is_async or not isinstance(comp.target, ast.Name) or \
                _has(gen, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)):
            return None
        name = comp.target.id
        elt = self.visit(gen.elt)
        iter_ = self.visit(comp.iter)
        args = [ast.copy_location(ast.Constant(node.func.id), node), iter_, _lambda(elt, name)]
        if comp.ifs:
            ifs = [self.visit(i) for i in comp.ifs]
            cond = ifs[0] if len(ifs) == 1 else _call("and_", [_lambda(i) for i in ifs], node)
            args.append(_lambda(cond, name))
        return _call("quant", args, node)

    def visit_JoinedStr(self, node: ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                spec = self.visit(v.format_spec) if v.format_spec is not None else ast.Constant(None)
                parts.append(_call("fmt", [self.visit(v.value), ast.Constant(v.conversion), spec], v))
            else:
                parts.append(v)
        return _call("fstr", parts, node)

    def visit_Set(self, node: ast.Set):
        self.generic_visit(node)
        if all(isinstance(e, ast.Constant) for e in node.elts):
            # keep the source order of constant sets so extracted `in` lists read like the rule
            return _call("oset", [ast.copy_location(ast.Tuple(node.elts, ast.Load()), node)], node)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler):
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("reraise", [], node)), node))
        return node


def rewrite_source(source: str, filename: str):
    """Compile ``source`` with the tracer rewrite; raises SyntaxError like compile()."""
    tree = ast.parse(source, filename)
    tree = Rewriter().visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec")
