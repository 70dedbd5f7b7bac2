"""AST rewrite of rule, helper and data-model code so that constructs Python would force to a
concrete value (``in``, ``is``, ``not``, ``and``/``or``, calls, f-strings) go through the tracer
(``__T``, see tracer.py) and except handlers never catch a tracer error."""
from __future__ import annotations

import ast
import copy

T = "_rulec_T"  # no leading double underscore: class bodies would mangle it

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


_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "remove",
             "discard", "clear", "popitem", "sort", "reverse"}


def _names_bound(nodes) -> set:
    out = set()
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                out.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                out.update((a.asname or a.name).split(".")[0] for a in n.names)
    return out


_SEARCH_REFUSED = (ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal,
                   ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _own_breaks(body: list) -> list:
    """(statement list, index) of each ``break`` of this loop (not of loops inside it)."""
    out = []
    for i, st in enumerate(body):
        if isinstance(st, ast.Break):
            out.append((body, i))
        elif not isinstance(st, (ast.For, ast.AsyncFor, ast.While)):
            for attr in ("body", "orelse", "finalbody"):
                block = getattr(st, attr, None)
                if isinstance(block, list):
                    out += _own_breaks(block)
            for handler in getattr(st, "handlers", ()):
                out += _own_breaks(handler.body)
    return out


def _names_read(nodes) -> set:
    return {n.id for node in nodes for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


class _LoopBody(ast.NodeTransformer):
    """break/continue/return of one loop body moved into a function -> tagged return values."""

    def __init__(self):
        self.depth = 0

    def _loop(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    visit_For = visit_While = visit_AsyncFor = _loop

    def visit_FunctionDef(self, node):
        return node  # its returns are its own

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    def _tag(self, name: str, node, value=None):
        tag = _t(name, node)
        out = ast.Tuple([tag, value], ast.Load()) if value is not None else tag
        return ast.copy_location(ast.Return(ast.copy_location(out, node)), node)

    def visit_Continue(self, node):
        return self._tag("CONTINUE", node) if self.depth == 0 else node

    def visit_Break(self, node):
        return self._tag("BREAK", node) if self.depth == 0 else node

    def visit_Return(self, node):
        value = node.value if node.value is not None else ast.Constant(None)
        return self._tag("RETURN", node, self.visit(value))


_GROWERS = {"add", "append", "update", "extend"}


def _receiver(stmt) -> ast.Name:
    """The collection a growth statement grows (see _growth_name)."""
    return stmt.targets[0].value if isinstance(stmt, ast.Assign) else stmt.value.func.value


def _growth_name(stmt) -> str | None:
    """``NAME.add(x)`` (append/update/extend) or ``NAME[k] = v`` as a statement: NAME."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], ast.Subscript) and \
            isinstance(stmt.targets[0].value, ast.Name) and \
            not isinstance(stmt.targets[0].slice, ast.Slice):
        return stmt.targets[0].value.id
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        if isinstance(call.func, ast.Attribute) and call.func.attr in _GROWERS and \
                isinstance(call.func.value, ast.Name) and len(call.args) == 1 and \
                not call.keywords and not isinstance(call.args[0], ast.Starred):
            return call.func.value.id
    return None


def _empty_collection(v) -> bool:
    if (isinstance(v, ast.List) and not v.elts) or (isinstance(v, ast.Dict) and not v.keys):
        return True
    return isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and \
        v.func.id in ("set", "list", "dict") and not v.args and not v.keywords


def _growable(fn) -> dict:
    """Locals of ``fn`` that start as an empty list or set and are then only grown
    (``NAME.add(x)`` statements) until a point after which they are only read: rewriting a
    growth into ``NAME = T.grow(NAME, ...)`` then changes what no one else sees. Returns
    {name: growth statement nodes}."""
    declared = {n for node in ast.walk(fn) if isinstance(node, (ast.Global, ast.Nonlocal))
                for n in node.names}
    a = fn.args
    params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x}
    nested = [n for n in ast.walk(fn) if n is not fn and isinstance(
        n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))]
    out: dict = {}
    for block, init in _assignments(fn):
        if not (len(init.targets) == 1 and isinstance(init.targets[0], ast.Name)
                and _empty_collection(init.value)):
            continue
        name = init.targets[0].id
        if name in params or name in declared or name in out:
            continue
        growths = [n for n in ast.walk(fn) if _growth_name(n) == name]
        if not growths or any(g in ast.walk(d) for d in nested for g in growths):
            continue
        holders = [st for st in block if any(g in ast.walk(st) for g in growths)]
        if sum(1 for st in holders for g in growths if g in ast.walk(st)) != len(growths):
            continue  # a growth outside the block that starts the collection
        last = max(st.end_lineno for st in holders)
        receivers = {id(_receiver(g)) for g in growths}
        ok = True
        for n in ast.walk(fn):
            if isinstance(n, ast.Name) and n.id == name and n is not init.targets[0] and (
                    not isinstance(n.ctx, ast.Load) or
                    (id(n) not in receivers and n.lineno <= last)):
                ok = False
                break
        if ok and all(g.lineno > init.lineno for g in growths):
            out[name] = growths
    return out


def _assignments(fn):
    """(statement list, assignment) for each assignment statement of ``fn``'s own code."""
    todo = [fn]
    while todo:
        node = todo.pop()
        for attr in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, attr, None)
            if not isinstance(block, list):
                continue
            for st in block:
                if isinstance(st, ast.Assign):
                    yield block, st
                if not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    todo.append(st)


class Rewriter(ast.NodeTransformer):
    def __init__(self):
        self.functions: list = []  # enclosing FunctionDef nodes
        self.growable: list = []  # per enclosing function: {name: growth statements}
        self.loops = 0

    def visit_FunctionDef(self, node):
        self.functions.append(node)
        self.growable.append(_growable(node))
        self.generic_visit(node)
        self.growable.pop()
        self.functions.pop()
        return node

    def visit_Expr(self, node: ast.Expr):
        name = _growth_name(node)
        if name is None or not self.growable or node not in self.growable[-1].get(name, ()):
            self.generic_visit(node)
            return node
        call = node.value
        value = self.visit(call.args[0])
        grown = _call("grow", [ast.Name(name, ast.Load()), ast.Constant(call.func.attr), value,
                               ast.Constant(name)], node)
        return ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], grown), node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node: ast.For):
        """``for x in it: body`` inside a function -> the body as a nested function called by
        ``T.loop(it, body, pure)``, so that a loop over an event array can be summarised into
        an any() quantifier. Only when that changes nothing: no else, no rebinding of names
        used outside the body, no yield/await."""
        search = self._search_loop(node)
        if search is not None:
            return search
        # judged on the code as written: the rewrite below wraps calls (x.add(...) -> call(...))
        growths = {id(g.targets[0] if isinstance(g, ast.Assign) else g.value)
                   for gs in (self.growable[-1].values() if self.growable else ()) for g in gs}
        mutates = self._mutates_outer(node, _names_bound(node.body) | _names_bound([node.target]),
                                      growths)
        self.generic_visit(node)
        if not self.functions or node.orelse or _has(node, (ast.Yield, ast.YieldFrom, ast.Await,
                                                            ast.Nonlocal)):
            return node
        # module globals the body sets (and never reads: each element would see the previous
        # one's value); after a loop over an event array their value is opaque (tracer.loop)
        writes = sorted({n for g in ast.walk(node) if isinstance(g, ast.Global) for n in g.names})
        if writes and (set(writes) & _names_read_before_written(node.body, writes) or _has(node, (ast.FunctionDef,))):
            return node
        if not all(isinstance(n, ast.Name) for n in ast.walk(node.target)
                   if not isinstance(n, (ast.Tuple, ast.List, ast.Store, ast.Load))):
            return node
        func = self.functions[-1]
        if _has(func, (ast.Yield, ast.YieldFrom)):
            return node
        grows = sorted(set(self.growable[-1] if self.growable else ()) & _names_grown(node.body))
        inside = (_names_bound(node.body) | _names_bound([node.target])) - set(grows) - set(writes)
        params = {a.arg for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs}
        params |= {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
        outside = _names_outside(func, node)
        if inside & (outside | params):
            return node  # a body binding is visible outside the loop (or shadows one)
        pure = not mutates
        self.loops += 1
        name = f"_rulec_loop_{self.loops}"
        arg = "_rulec_elem"
        body = [ast.copy_location(ast.Nonlocal(grows), node)] if grows else []
        body += [ast.copy_location(ast.Assign([node.target], ast.Name(arg, ast.Load())), node)]
        body += [_LoopBody().visit(stmt) for stmt in node.body]
        fn = ast.FunctionDef(name, ast.arguments(posonlyargs=[], args=[ast.arg(arg)], vararg=None,
                                                 kwonlyargs=[], kw_defaults=[], kwarg=None,
                                                 defaults=[]), body, [], None)
        ast.copy_location(fn, node)
        result = f"_rulec_result_{self.loops}"
        call = _call("loop", [node.iter, ast.Name(name, ast.Load()), ast.Constant(pure),
                              ast.Constant(tuple(grows)), ast.Constant(tuple(writes))], node)
        assign = ast.copy_location(ast.Assign([ast.Name(result, ast.Store())], call), node)
        taken = [ast.copy_location(ast.Assign([ast.Name(g, ast.Store())], _call(
            "take_grown", [ast.Name(name, ast.Load()), ast.Constant(g), ast.Name(g, ast.Load())],
            node)), node) for g in grows]
        check = ast.If(
            ast.Compare(ast.Name(result, ast.Load()), [ast.IsNot()], [_t("GO_ON", node)]),
            [ast.Return(ast.Subscript(ast.Name(result, ast.Load()), ast.Constant(1), ast.Load()))],
            [])
        ast.copy_location(check, node)
        return [fn, assign, *taken, check]

    def _search_loop(self, node: ast.For):
        """``for x in it: ... V = E; break`` (V a local, assigned only just before each break
        of the loop) -> the loop in a function that returns E where it broke, then
        ``V = <what it returned>`` if it returned: the loop searches for the first element, and
        the rewritten loop in that function is summarised as any other (ordered.py picks the
        value of the first element that leaves it). None when the loop is not of that form."""
        if not self.functions or node.orelse or _has(node, _SEARCH_REFUSED):
            return None
        breaks = _own_breaks(node.body)
        assigns = [block[i - 1] if i > 0 else None for block, i in breaks]
        if not breaks or not all(isinstance(a, ast.Assign) and len(a.targets) == 1
                                 and isinstance(a.targets[0], ast.Name) for a in assigns):
            return None
        names = {a.targets[0].id for a in assigns}
        if len(names) != 1:
            return None
        (var,) = names
        stores = [n for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == var
                  and not isinstance(n.ctx, ast.Load)]
        if len(stores) != len(breaks):
            return None  # also assigned elsewhere in the loop (or its target)
        func = self.functions[-1]
        local = (_names_bound(node.body) | _names_bound([node.target])) - {var}
        params = {a.arg for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs}
        if local & (_names_outside(func, node) | params):
            return None  # the finder function would hide a name the code reads elsewhere
        self.loops += 1
        n = self.loops
        none, finder, found = f"_rulec_none_{n}", f"_rulec_find_{n}", f"_rulec_found_{n}"
        loop = copy.deepcopy(node)
        for block, i in reversed(_own_breaks(loop.body)):
            block[i - 1:i + 1] = [ast.copy_location(ast.Return(block[i - 1].value), block[i - 1])]
        fn = ast.FunctionDef(finder, ast.arguments(posonlyargs=[], args=[], vararg=None,
                                                   kwonlyargs=[], kw_defaults=[], kwarg=None,
                                                   defaults=[]),
                             [loop, ast.Return(ast.Name(none, ast.Load()))], [], None)
        sentinel = ast.Assign([ast.Name(none, ast.Store())],
                              ast.Call(ast.Name("object", ast.Load()), [], []))
        call = ast.Assign([ast.Name(found, ast.Store())],
                          ast.Call(ast.Name(finder, ast.Load()), [], []))
        take = ast.If(ast.Compare(ast.Name(found, ast.Load()), [ast.IsNot()],
                                  [ast.Name(none, ast.Load())]),
                      [ast.Assign([ast.Name(var, ast.Store())], ast.Name(found, ast.Load()))], [])
        out = [sentinel, fn, call, take]
        for st in out:
            ast.copy_location(st, node)
            ast.fix_missing_locations(st)
        # the finder and its call run through the rewrite; the sentinel test is plain Python
        return [sentinel, self.visit(fn), self.visit(call), take]

    @staticmethod
    def _mutates_outer(node, inside: set, growths: set = frozenset()) -> bool:
        for n in ast.walk(node):
            if id(n) in growths:
                continue  # rewritten into a growth of a local (see _growable)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                    n.func.attr in _MUTATORS and isinstance(n.func.value, ast.Name) and \
                    n.func.value.id not in inside:
                return True
            if isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, (ast.Store, ast.Del)):
                root = n.value
                while isinstance(root, (ast.Subscript, ast.Attribute)):
                    root = root.value
                if not (isinstance(root, ast.Name) and root.id in inside):
                    return True
        return False

    def visit_Assign(self, node: ast.Assign):
        """``a, b = value`` -> ``a, b = T.unpack(value, 2)``: Python's count check on a list
        the event holds (a split()) becomes a decision on its length. ``d[k] = v`` on a dict
        the function grows -> ``d = T.grow(d, "__setitem__", v, "d", k)`` (v first, as Python)."""
        name = _growth_name(node)
        if name is not None and self.growable and node in self.growable[-1].get(name, ()):
            target = node.targets[0]
            grown = _call("grow", [ast.Name(name, ast.Load()), ast.Constant("__setitem__"),
                                   self.visit(node.value), ast.Constant(name),
                                   self.visit(target.slice)], node)
            return ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], grown), node)
        self.generic_visit(node)
        target = node.targets[0]
        if len(node.targets) == 1 and isinstance(target, (ast.Tuple, ast.List)) and \
                not any(isinstance(e, ast.Starred) for e in target.elts):
            node.value = _call("unpack", [node.value, ast.Constant(len(target.elts))], node.value)
        return node

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
        args += self._filter(comp, name, node)
        return _call("quant", args, node)

    def _filter(self, comp: ast.comprehension, name: str, node) -> list:
        """The ``if`` clauses of a comprehension as one lambda of the loop name (or none)."""
        if not comp.ifs:
            return []
        ifs = [self.visit(i) for i in comp.ifs]
        cond = ifs[0] if len(ifs) == 1 else _call("and_", [_lambda(i) for i in ifs], node)
        return [_lambda(cond, name)]

    def _comprehension(self, node, kind: str):
        """``[elt for x in it if c]`` (set, generator likewise) -> __T.comp(kind, it, lambda
        x: elt, lambda x: c): over an event array it becomes a symbolic collection."""
        if len(node.generators) != 1:
            self.generic_visit(node)
            return node
        comp = node.generators[0]
        if comp.is_async or not isinstance(comp.target, ast.Name) or \
                _has(node, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)):
            self.generic_visit(node)
            return node
        name = comp.target.id
        args = [ast.copy_location(ast.Constant(kind), node), self.visit(comp.iter),
                _lambda(self.visit(node.elt), name)]
        args += self._filter(comp, name, node)
        return _call("comp", args, node)

    def visit_DictComp(self, node: ast.DictComp):
        """``{k: v for x in it if c}`` -> __T.dcomp(it, lambda x: k, lambda x: v, lambda x: c)."""
        comp = node.generators[0]
        if len(node.generators) != 1 or comp.is_async or not isinstance(comp.target, ast.Name) \
                or _has(node, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await)):
            self.generic_visit(node)
            return node
        name = comp.target.id
        args = [self.visit(comp.iter), _lambda(self.visit(node.key), name),
                _lambda(self.visit(node.value), name)]
        args += self._filter(comp, name, node)
        return _call("dcomp", args, node)

    def visit_ListComp(self, node: ast.ListComp):
        return self._comprehension(node, "list")

    def visit_SetComp(self, node: ast.SetComp):
        return self._comprehension(node, "set")

    def visit_GeneratorExp(self, node: ast.GeneratorExp):
        return self._comprehension(node, "gen")

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

    def visit_Subscript(self, node: ast.Subscript):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and not isinstance(node.slice, ast.Slice):
            return _call("sub", [node.value, node.slice], node)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler):
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("reraise", [], node)), node))
        return node


def _names_grown(body) -> set:
    """Locals a (rewritten) loop body grows: ``NAME = T.grow(...)`` / ``T.take_grown(...)``,
    and the names a nested rewritten loop declares nonlocal."""
    out = set()
    for stmt in body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Nonlocal):
                out.update(n.names)
            elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and \
                    isinstance(n.value.func, ast.Attribute) and \
                    isinstance(n.value.func.value, ast.Name) and n.value.func.value.id == T and \
                    n.value.func.attr in ("grow", "take_grown"):
                out.update(t.id for t in n.targets if isinstance(t, ast.Name))
    return out


def _names_outside(func, loop) -> set:
    """Names read or bound in ``func`` outside ``loop`` as the same variables the loop binds.

    Not counted: a name local to a nested function (a loop rewritten before this one is
    such a function), or the target of another ``for`` loop read only in that loop's body:
    each iteration there rebinds it before use, so a value left by ``loop`` is never seen."""
    out: set = set()

    def visit(node, shadowed: frozenset):
        if node is loop:
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and node is not func:
            if not isinstance(node, ast.Lambda):
                out.add(node.name)
            shadowed = shadowed | _locals_of(node)
        elif isinstance(node, ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) \
                and not _contains(node, loop):
            # a comprehension's targets are its own variables (only the first iterable is
            # evaluated outside it)
            gens = node.generators
            visit(gens[0].iter, shadowed)
            inner = shadowed | _names_bound([g.target for g in gens])
            for g in gens:
                for child in [g.target] + ([g.iter] if g is not gens[0] else []) + g.ifs:
                    visit(child, inner)
            for child in ((node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)):
                visit(child, inner)
            return
        elif isinstance(node, (ast.For, ast.AsyncFor)) and not _contains(node, loop):
            visit(node.iter, shadowed)
            rebound = shadowed | _names_bound([node.target])
            for child in [node.target] + node.body:
                visit(child, rebound)
            for child in node.orelse:
                visit(child, shadowed)
            return
        if isinstance(node, ast.Name) and node.id not in shadowed:
            out.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, shadowed)

    for stmt in func.body:
        visit(stmt, frozenset())
    return out


def _locals_of(fn) -> frozenset:
    args = fn.args
    names = {a.arg for a in args.args + args.kwonlyargs + args.posonlyargs}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    if isinstance(fn, ast.Lambda):
        return frozenset(names)
    declared = {n for node in ast.walk(fn) if isinstance(node, (ast.Global, ast.Nonlocal))
                for n in node.names}
    return frozenset((names | _names_bound(fn.body)) - declared)


def _contains(node, inner) -> bool:
    return any(n is inner for n in ast.walk(node))


def rewrite_source(source: str, filename: str):
    """Compile ``source`` with the tracer rewrite; raises SyntaxError like compile()."""
    tree = ast.parse(source, filename)
    tree = Rewriter().visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec")


def _names_read_before_written(body, names) -> set:
    """Of ``names``, those some statement of ``body`` may read before the body's own
    top-level plain assignment to them (on every element the body assigns such a name before
    reading it, so no element sees the previous element's value)."""
    pending, out = set(names), set()
    for stmt in body:
        out |= pending & (_names_read([stmt]) | {n.target.id for n in ast.walk(stmt)
                                                  if isinstance(n, ast.AugAssign)
                                                  and isinstance(n.target, ast.Name)})
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            pending.discard(stmt.targets[0].id)
    return out
