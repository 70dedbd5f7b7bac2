"""Extraction of one Python rule: rule() -> detection Expr, title() -> Template, dedup() -> key
fields, alert_context() -> output fields, severity() -> dynamic severities.

Runs rule code (user code): call it in a child process with a time limit (see runner.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any, Callable

from ...model import (FALSE, TRUE, MISSING, thaw, DynamicSeverity, Expr, Field, Predicate, Rule, Template,
                      walk, Opaque as OpaqueNode)
from ...evaluator import ERROR, apply_transforms
from . import ordered, state, summary
from .errors import TracerError
from .event import SymbolicEvent
from .explore import Explorer, Outcome, conj, disj, fold, opaque_of
from .loader import ModuleLoader, function_of
from .simplify import simplify
from .symbolic import Lazy, Opaque, Sym, SymStr, Symbolic, decide, is_true, resolve

MAX_PATHS = 512
MAX_EXTRA_PATHS = 32  # title/dedup/alert_context/severity: enough to name their fields


@dataclass
class FunctionResult:
    """What the tracer got out of one rule function."""

    expr: Any = None
    reasons: list = dc_field(default_factory=list)
    paths: int = 0


@dataclass
class PythonExtraction:
    detection: Expr | None = None
    status: str = "unsupported"  # exact | partial | unsupported (before test agreement)
    reasons: list = dc_field(default_factory=list)
    notes: list = dc_field(default_factory=list)
    paths: int = 0
    title: Template | None = None
    dedup_key: tuple = ()
    output_fields: tuple = ()
    dynamic_severities: tuple = ()
    extras: list = dc_field(default_factory=list)  # reasons about title/dedup/context/severity


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TracerError):
        return exc.describe()
    return f"{type(exc).__name__}: {exc}"


class Extractor:
    """Extracts rules of one tree; helpers and data models are loaded once."""

    def __init__(self, helper_dirs: list, data_model_files: list, max_paths: int = MAX_PATHS):
        from .datamodels import load_data_models
        self.loader = ModuleLoader(helper_dirs)
        self.data_models, self.problems = load_data_models(data_model_files, self.loader)
        self.max_paths = max_paths

    def precompile(self, rule_files: list = ()) -> None:
        """Rewrite and compile (never run) helper, data-model and rule files, so that forked
        children share the compiled code."""
        from .loader import compile_file
        files = list(self.loader.helper_files.values()) + list(rule_files)
        files += [m.methods._py for m in self.data_models.values() if getattr(m.methods, "_py", None)]
        for f in dict.fromkeys(files):
            try:
                compile_file(f)
            except (OSError, SyntaxError, ValueError):
                pass  # reported when a rule imports it

    # ------------------------------------------------------------------ per rule
    def extract(self, rule: Rule) -> PythonExtraction:
        out = PythonExtraction()
        events = []
        for t in rule.tests:
            log = t.log
            if isinstance(log, dict):
                events.append(log)
        ctx = state.TraceContext(shape=state.Shape.from_events(events), log_types=rule.log_types,
                                 data_models=self.data_models)
        state.reset(ctx)
        if not rule.python_file:
            out.reasons.append(f"{rule.source_file}: no Python file")
            return out
        try:
            module = self.loader.load_rule(rule.python_file)
        except TracerError as exc:
            out.reasons.append(f"module import: {exc.describe()}")
            return out
        except BaseException as exc:  # user code failed at import
            out.reasons.append(f"{rule.python_file}: module import failed: {_reason(exc)}")
            return out
        rule_fn = function_of(module, "rule")
        if rule_fn is None:
            out.reasons.append(f"{rule.python_file}: no rule() function")
            return out
        res = self.run_function(rule_fn, leaf_value=is_true)
        out.paths = res.paths
        out.reasons.extend(res.reasons)
        if res.expr is not None:
            det = simplify(res.expr)
            out.detection = det
            opaque = any(isinstance(n, OpaqueNode) for n in walk(det))
            if not opaque:
                out.status = "exact"
            else:
                out.status = "partial" if _has_exact_part(det) else "unsupported"
            for node in walk(det):  # opaque decisions (not failed paths) name their reason too
                if isinstance(node, OpaqueNode):
                    text = f"{node.location + ': ' if node.location else ''}{node.construct}: {node.reason}"
                    if text not in out.reasons:
                        out.reasons.append(text)
        out.notes = list(ctx.notes)
        self._extras(module, out, rule)
        return out

    def data_model_for(self) -> Callable[[], Any]:
        ctx = state.current()
        lts = [lt for lt in ctx.log_types]
        models = self.data_models

        def pick():
            if not any(lt in models for lt in lts):
                return None
            if len(lts) == 1:
                return models.get(lts[0])
            # One detection per log type: the branches are guarded by p_log_type. Panther only
            # hands the rule events of its log types, so the last branch needs no guard.
            for lt in lts[:-1]:
                if decide(Predicate(Field(("p_log_type",)), "eq", lt)):
                    return models.get(lt)
            return models.get(lts[-1])
        return pick

    def run_function(self, fn, leaf_value: Callable[[Any], Any], mode: str = "rule") -> FunctionResult:
        ctx = state.current()
        ctx.mode = mode
        dm = self.data_model_for()
        extra = mode != "rule"
        explorer = Explorer(MAX_EXTRA_PATHS if extra else self.max_paths)
        res = FunctionResult()
        summary.begin(fn)
        try:
            # an alert context is read for the fields it hands out: branch coverage of its
            # first path finds them where depth-first order would not (explore.Explorer.run)
            outcomes = explorer.run(lambda: fn(SymbolicEvent(dm)), on_value=leaf_value,
                                    truncate=extra, cover=mode == "context")
        except TracerError as exc:  # path limit
            res.reasons.append(exc.describe())
            return res
        res.paths = len(outcomes)
        if explorer.covered:
            res.reasons.append(f"{len(outcomes)} paths explored{' (the limit)' if explorer.truncated else ''}: "
                               "each condition both ways, not their combinations")
        elif explorer.truncated:
            res.reasons.append(f"only the first {len(outcomes)} paths explored")
        seen = set()
        for o in outcomes:
            if o.kind == "unsupported":
                r = o.value.describe()
                if r not in seen:
                    seen.add(r)
                    res.reasons.append(r)

        def leaf(o: Outcome):
            if o.kind == "value":
                return o.value
            if o.kind == "unsupported":
                return opaque_of(o.value)
            return FALSE
        if mode == "rule":
            res.expr = ordered.lift_picks(fold(outcomes, leaf))
        else:
            res.expr = outcomes
        return res

    # ------------------------------------------------------------------ title, dedup...
    def _extras(self, module, out: PythonExtraction, rule: Rule) -> None:
        title_fn = function_of(module, "title")
        if title_fn is not None:
            out.title = self._template(title_fn, out, "title")
        dedup_fn = function_of(module, "dedup")
        if dedup_fn is not None:
            t = self._template(dedup_fn, out, "dedup")
            if t is not None:
                out.dedup_key = tuple(p for p in t.parts if isinstance(p, Field))
        ctx_fn = function_of(module, "alert_context")
        if ctx_fn is not None:
            out.output_fields = self._context_fields(ctx_fn, out)
        sev_fn = function_of(module, "severity")
        if sev_fn is not None:
            out.dynamic_severities = self._severities(sev_fn, out, rule)

    def _outcomes(self, fn, out: PythonExtraction, what: str, mode: str, leaf=None):
        res = self.run_function(fn, leaf_value=leaf or _resolved, mode=mode)
        for r in res.reasons:
            out.extras.append(f"{what}(): {r}")
        if res.expr is None:
            return None
        return res.expr

    def _template(self, fn, out: PythonExtraction, what: str) -> Template | None:
        outcomes = self._outcomes(fn, out, what, what, leaf=lambda v: (_to_template(resolve(v)), v))
        if outcomes is None:
            return None
        templates = []
        for o in outcomes:
            if o.kind != "value":
                continue
            t, v = o.value
            if t is None:
                out.extras.append(f"{what}(): returns {_describe(v)}")
                return None
            if t not in templates:
                templates.append(t)
        if len(templates) == 1:
            return templates[0]
        merged = _merge_templates(templates)
        if merged is None and templates:
            out.extras.append(f"{what}(): {len(templates)} different texts depending on the event")
        return merged

    def _context_fields(self, fn, out: PythonExtraction) -> tuple:
        outcomes = self._outcomes(fn, out, "alert_context", "context", leaf=_context_leaf)
        fields: list = []
        for o in outcomes or ():
            if o.kind != "value":
                continue
            if isinstance(o.value, str):
                out.extras.append(f"alert_context(): returns {o.value}")
                continue
            for f in o.value:
                if f not in fields:
                    fields.append(f)
        return tuple(fields)

    def _severities(self, fn, out: PythonExtraction, rule: Rule) -> tuple:
        outcomes = self._outcomes(fn, out, "severity", "severity")
        if outcomes is None:
            return ()
        values = []
        for o in outcomes:
            if o.kind == "value":
                v = o.value
                if isinstance(v, str):
                    v = _norm_severity(v, rule.severity)
                    if v not in values:
                        values.append(v)
                else:
                    out.extras.append(f"severity(): returns {_describe(v)}")
                    return ()
        result = []
        for sev in values:
            if sev == rule.severity:
                continue
            when = simplify(fold(outcomes, lambda o, s=sev: _sev_leaf(o, s, rule.severity)))
            result.append(DynamicSeverity(sev, when))
        return tuple(result)


def _resolved(v: Any) -> Any:
    return resolve(v)


def _context_leaf(value: Any) -> Any:
    """The event fields an alert context hands out as values (inside the path: may fork)."""
    value = resolve(value)
    if not isinstance(value, dict):
        return _describe(value)
    fields = []
    for v in _dict_values(value):
        try:
            v = resolve(v)
        except TracerError:
            continue
        if isinstance(v, Sym) and v.field.root == "event" and not v.field.transforms:
            fields.append(Field(v.field.path, udm=v.field.udm))
    return fields


def _sev_leaf(o: Outcome, sev: str, default: str) -> Expr:
    if o.kind == "value" and isinstance(o.value, str) and _norm_severity(o.value, default) == sev:
        return TRUE
    if o.kind == "unsupported":
        return opaque_of(o.value)
    return FALSE


def _norm_severity(v: str, default: str) -> str:
    if v.upper() == "DEFAULT":
        return default
    return v[:1].upper() + v[1:].lower()


def _dict_values(d: dict):
    for v in d.values():
        if isinstance(v, dict):
            yield from _dict_values(v)
        else:
            yield v


def _describe(v: Any) -> str:
    return v.describe() if isinstance(v, Symbolic) else type(v).__name__


def _field_part(s: Sym) -> Field:
    """A template field: its default is the text Python shows when the field is missing, i.e.
    str() of the transforms applied to the rule's default (or to None): a title over
    ``len(deep_get(e, "items", default=[]))`` says "0" for a missing list, not "[]"."""
    f = s.field
    missing = None if f.default is MISSING else thaw(f.default)
    shown = apply_transforms(missing, f.transforms, wrapped=False)
    if shown is ERROR:
        # Python's title would raise on a missing field (len(None)); the template keeps the
        # text of the untransformed default, as the backends render a missing field.
        default = "None" if f.default is MISSING else f.default
    else:
        default = str(shown)
    return Field(f.path, default, f.default_on_null, f.transforms, f.root, f.udm)


def _to_template(v: Any) -> Template | None:
    if isinstance(v, str):
        return Template((v,))
    if isinstance(v, Sym):
        return Template((_field_part(v),))
    if isinstance(v, SymStr):
        parts: list = []
        for p in v.parts:
            if isinstance(p, str):
                if parts and isinstance(parts[-1], str):
                    parts[-1] += p
                else:
                    parts.append(p)
            elif isinstance(p, Sym):
                parts.append(_field_part(p))
            else:
                return None
        return Template(tuple(parts))
    return None


def _merge_templates(templates: list) -> Template | None:
    """``event.get("x") or "<unknown>"`` gives two texts that differ in one spot: a field and
    the literal shown when that field is falsy; merge them into one field with that default."""
    if len(templates) != 2:
        return None
    a, b = templates
    if len(a.parts) != len(b.parts):
        return None
    merged = []
    for x, y in zip(a.parts, b.parts):
        if x == y:
            merged.append(x)
        elif isinstance(x, Field) and isinstance(y, str):
            merged.append(Field(x.path, y, True, x.transforms, x.root, x.udm))
        elif isinstance(y, Field) and isinstance(x, str):
            merged.append(Field(y.path, x, True, y.transforms, y.root, y.udm))
        else:
            return None
    return Template(tuple(merged))


def _has_exact_part(e: Expr) -> bool:
    """Does some alerting path avoid every Opaque node?"""
    from .explore import has_opaque
    from ...model import All, AnyOf
    if isinstance(e, OpaqueNode):
        return False
    if isinstance(e, AnyOf):
        return any(_has_exact_part(x) for x in e.items)
    if isinstance(e, All):
        return all(not has_opaque(x) or _has_exact_part(x) for x in e.items)
    return not has_opaque(e)


__all__ = ["Extractor", "PythonExtraction", "conj", "disj"]
