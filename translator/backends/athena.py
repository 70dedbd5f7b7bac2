"""Athena SQL backend: a rule as a query over the Panther data lake, built as a sqlglot tree.

Shape of the query (per log type, UNION ALL when a rule has several)::

    SELECT p_event_time, <title> AS alert_title, <dedup> AS alert_dedup, <output fields>
    FROM panther_logs.<table>
    WHERE p_event_time >= CURRENT_TIMESTAMP - INTERVAL '<since>' MINUTE AND <detection>

and with a Threshold above 1, grouped by the dedup string ``HAVING COUNT(*) >= Threshold``.
Values never enter the SQL as text: every literal is a sqlglot node, so quoting is the
generator's. The detection is lowered by ``sql_common``; other dialects come from transpiling
the Athena text (``sql_dialects``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from sqlglot import exp

from .. import __version__
from ..mapping.absent import settle_absent
from ..model import MISSING, Field, Rule
from .base import BuildOptions, Finding, Output, Translation
from .sql_common import Lowering, SqlMapping, Untranslatable, Val, _fn, _lit
from .sql_dialects import DIALECTS, construct_text, transpile

__all__ = ["SqlQuery", "build_query", "rule_sql", "translate", "BACKEND", "parse_since",
           "DIALECTS"]


@dataclass
class SqlQuery:
    """A rule lowered to SQL: the alert query, the row-level query engines check, findings."""

    rule: Rule
    alert: exp.Expression | None = None  # the query a scheduled search runs
    reasons: list = field(default_factory=list)  # constructs not translated: partial
    caveats: list = field(default_factory=list)  # known edge differences on unusual data
    engine_gaps: list = field(default_factory=list)  # constructs DuckDB cannot check
    warnings: list = field(default_factory=list)  # output columns left out, etc.
    unsupported: str = ""  # why no query at all
    # The row-level query is lowered on first use: engine checks need it, `rulec build` not.
    rows_builder: Callable[[], exp.Expression] | None = field(default=None, repr=False)
    _rows: exp.Expression | None = field(default=None, repr=False)
    _alert_sql: str | None = field(default=None, repr=False)

    @property
    def rows(self) -> exp.Expression | None:
        """The detection only (no time window, no threshold), for the engine checks."""
        if self._rows is None and self.rows_builder is not None:
            self._rows, self.rows_builder = self.rows_builder(), None
        return self._rows

    def alert_sql(self) -> str:
        """The alert query as pretty Athena text (generated once: the file and the
        Translation's query both show it). The tree is generated in place, not copied
        first (a fifth of the Athena backend's time): the text is kept, and sqlglot's
        generator rewrites only into equivalent Athena forms."""
        if self._alert_sql is None:
            self._alert_sql = self.alert.sql(dialect="athena", pretty=True, copy=False)
        return self._alert_sql

    @property
    def verdict(self) -> str:
        if self.unsupported or self.alert is None:
            return "unsupported"
        return "partial" if self.reasons else "exact"


def parse_since(text: str | int | None, default_minutes: int) -> int:
    """``--since``: minutes as an int, or ``90m``/``12h``/``2d``; default DedupPeriodMinutes."""
    if text in (None, ""):
        return max(int(default_minutes or 60), 1)
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*(\d+)\s*([mhd]?)\s*", str(text))
    if not m:
        raise ValueError(f"--since {text!r}: expected minutes or a number with m/h/d")
    return int(m.group(1)) * {"": 1, "m": 1, "h": 60, "d": 1440}[m.group(2)]


# ----------------------------------------------------------------------------- text of values
def _text(low: Lowering, f: Field, none_text: str | None) -> exp.Expression | None:
    """Python's str() of a field for titles and dedup strings (``none_text`` when missing)."""
    v = low.value(f)
    if v is None:
        return None
    for t in f.transforms:
        v = low.transform(v, t)
        if v is None:
            return None
    text = _as_text(low, v)
    if text is None:
        return None
    if none_text is not None:
        text = exp.Coalesce(this=text, expressions=[exp.Literal.string(none_text)])
    return text


def _as_text(low: Lowering, v: Val) -> exp.Expression | None:
    if v.kind == "absent":
        return exp.cast(exp.Null(), "varchar")
    if v.kind == "string":
        out = v.expr
    elif v.kind == "json":
        s = low.as_string(v, guarded=True)
        out = exp.Case(ifs=[exp.If(this=s.guard, true=s.expr)], default=low.jtext(v))
    elif v.kind == "boolean":
        out = exp.Case(ifs=[exp.If(this=v.expr, true=exp.Literal.string("True"))],
                       default=exp.Literal.string("False"))
    elif v.kind in ("number", "timestamp"):
        low.caveat("a non-text value in the title/dedup string is rendered by SQL, not str()")
        out = exp.cast(v.expr, "varchar")
    else:
        low.caveat("a struct/array value in the title/dedup string is rendered as JSON")
        out = _fn("json_format", exp.cast(v.expr, "json"))
    if v.guard is not None and v.kind != "json":
        out = exp.Case(ifs=[exp.If(this=v.guard, true=out)])
    return out


def _template(low: Lowering, rule: Rule) -> exp.Expression | None:
    if rule.title is None:
        return None
    parts = []
    for p in rule.title.parts:
        if isinstance(p, str):
            parts.append(exp.Literal.string(p))
            continue
        default = p.default if p.default is not MISSING else None
        text = _text(low, p, "None" if default is None else str(default))
        if text is None:
            return None
        parts.append(text)
    if not parts:
        return exp.Literal.string("")
    return parts[0] if len(parts) == 1 else exp.Concat(expressions=parts)


def _dedup(low: Lowering, rule: Rule, title: exp.Expression | None) -> exp.Expression:
    keys = rule.dedup_key or rule.group_by
    texts = [_text(low, f, "") for f in keys]
    if keys and all(t is not None for t in texts):
        if len(texts) == 1:
            return texts[0]
        sep = [exp.Literal.string(":")] * len(texts)
        return exp.Concat(expressions=[x for pair in zip(texts, sep) for x in pair][:-1])
    if title is not None:
        return title.copy()  # Panther's default dedup string is the title
    return exp.Literal.string(rule.id)


# ----------------------------------------------------------------------------- building
def _settled(mapping: SqlMapping, log_type: str, expr):
    """``expr`` with tests on fields the log type never holds decided (mapping/absent.py);
    unchanged for a SqlMapping that is not backed by the shipped mappings."""
    ms = getattr(mapping, "ms", None)
    return settle_absent(expr, ms, log_type) if ms is not None else expr


def _select_for(rule: Rule, mapping: SqlMapping, log_type: str, error_level: str,
                since: int | None, q: SqlQuery) -> exp.Select | None:
    table = mapping.table(log_type)
    if table is None:
        q.reasons.append(f"log type {log_type} has no Athena table in the mappings")
        return None
    siblings = tuple(lt for lt in rule.log_types if lt != log_type and mapping.table(lt))
    low = Lowering(mapping, log_type, error_level, sibling_log_types=siblings)
    detection = low.condition(_settled(mapping, log_type, rule.detection))
    if rule.inline_filters is not None:
        detection = exp.and_(low.condition(_settled(mapping, log_type, rule.inline_filters)),
                             detection, copy=False)
    for bucket, items in ((q.reasons, low.reasons), (q.caveats, low.caveats),
                          (q.engine_gaps, low.engine_gaps)):
        bucket.extend(x for x in items if x not in bucket)

    # Presentation columns: problems here leave a column out, never change the detection.
    side = Lowering(mapping, log_type, "warn", sibling_log_types=siblings)
    columns: list[exp.Expression] = []
    if since is None:
        # The row-level query engines check: p_row_id tells which test event matched.
        row_id = side.value(Field(("p_row_id",)))
        if row_id is not None:
            columns.append(exp.alias_(row_id.expr, "p_row_id", copy=False))
    event_time = side.value(Field(("p_event_time",)))
    time_expr = None
    if event_time is not None:
        time_expr = event_time.expr if event_time.kind == "timestamp" else \
            _fn("from_iso8601_timestamp", event_time.expr)
        columns.append(exp.alias_(time_expr, "p_event_time", copy=False))
    title = _template(side, rule)
    columns.append(exp.alias_(title if title is not None else exp.Literal.string(rule.display_name or rule.id),
                              "alert_title"))
    columns.append(exp.alias_(_dedup(side, rule, title), "alert_dedup", copy=False))
    seen = set()
    for f in rule.output_fields:
        name = f.dotted
        if name in seen:
            continue
        seen.add(name)
        text = _text(side, f, None)
        if text is not None:
            columns.append(exp.alias_(text, name, quoted=True, copy=False))
    q.warnings.extend(f"presentation: {r}" for r in side.reasons if f"presentation: {r}" not in q.warnings)
    q.caveats.extend(c for c in side.caveats if c not in q.caveats)

    where = detection
    if since is not None:
        if time_expr is None:
            q.reasons.append("p_event_time is not mapped: no time window")
        else:
            window = exp.GTE(this=time_expr.copy(), expression=exp.Sub(
                this=exp.CurrentTimestamp(),
                expression=exp.Interval(this=exp.Literal.string(str(since)), unit=exp.Var(this="MINUTE"))))
            where = exp.and_(window, exp.Paren(this=detection), copy=False)
    # Built from fresh nodes: no copies (sqlglot's default copies the tree at every step).
    return exp.select(*columns, copy=False).from_(exp.to_table(table), copy=False) \
        .where(where, copy=False)


def _union(selects: list) -> exp.Expression:
    """UNION ALL of the per-log-type selects, columns aligned by name (a column one log type
    cannot fill, e.g. an output field it does not map, is NULL there)."""
    names: list = []
    for sel in selects:
        for e in sel.selects:
            if e.alias_or_name not in names:
                names.append(e.alias_or_name)
    if len(selects) > 1:
        for sel in selects:
            have = {e.alias_or_name: e for e in sel.selects}
            sel.set("expressions", [have.get(n) or exp.alias_(exp.Null(), n, quoted=not n.islower() or "." in n)
                                    for n in names])
    out = selects[0]
    for s in selects[1:]:
        out = exp.union(out, s, distinct=False, copy=False)
    return out


def build_query(rule: Rule, mapping: SqlMapping, since: int | str | None = None,
                error_level: str = "warn") -> SqlQuery:
    """Lower ``rule``. ``error_level="raise"`` raises Untranslatable at the first construct
    that has no SQL form; "warn" reports it and keeps going."""
    q = SqlQuery(rule)
    if rule.detection is None:
        q.unsupported = "the rule has no detection logic the frontend could extract"
        return q
    if not rule.log_types:
        q.unsupported = "the rule has no LogTypes (scheduled queries are not translated)"
        return q
    minutes = parse_since(since, rule.dedup_period_minutes)
    alert_parts, row_log_types = [], []
    for log_type in rule.log_types:
        a = _select_for(rule, mapping, log_type, error_level, minutes, q)
        if a is not None:
            alert_parts.append(a)
            row_log_types.append(log_type)
    if not alert_parts:
        q.unsupported = "; ".join(q.reasons) or "no log type could be mapped"
        return q
    alert = _union(alert_parts)
    if rule.threshold and rule.threshold > 1:
        matches = exp.Column(this=exp.to_identifier("alert_dedup"))
        alert = (exp.select(
            matches,
            exp.alias_(exp.Anonymous(this="arbitrary", expressions=[exp.column("alert_title")]), "alert_title"),
            exp.alias_(exp.Count(this=exp.Star()), "match_count"),
            exp.alias_(exp.Min(this=exp.column("p_event_time")), "first_event_time"),
            exp.alias_(exp.Max(this=exp.column("p_event_time")), "last_event_time"))
            .from_(exp.Subquery(this=alert, alias=exp.TableAlias(this=exp.to_identifier("matches"))))
            .group_by(matches.copy())
            .having(exp.GTE(this=exp.Count(this=exp.Star()), expression=_lit(int(rule.threshold)))))
    q.alert = alert
    q.rows_builder = lambda: _union([_select_for(rule, mapping, lt, error_level, None, SqlQuery(rule))
                                     for lt in row_log_types])
    return q


# ----------------------------------------------------------------------------- rendering
def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def render(q: SqlQuery, dialect: str = "athena") -> tuple[str, list[str]]:
    """(file text, functions with no translation in ``dialect``)."""
    from ..resources import template_environment

    missing: list[str] = []
    sql = ""
    if q.alert is not None:
        athena_text = q.alert_sql()
        sql, missing = transpile(athena_text, dialect)
    text = template_environment().get_template("athena.sql.j2").render(
        rule_id=_one_line(q.rule.id), source_file=_one_line(q.rule.source_file or "-"),
        source_hash=_one_line(q.rule.source_hash or "-"), version=__version__, dialect=dialect,
        verdict=q.verdict if not missing else "partial",
        reasons=[_one_line(r) for r in q.reasons + [f"no {dialect} form for {construct_text(m)}" for m in missing]],
        caveats=[_one_line(c) for c in q.caveats], unsupported=_one_line(q.unsupported), sql=sql)
    return text, missing


def rule_sql(rule: Rule, mapping: SqlMapping | None = None, dialect: str = "athena",
             since: int | str | None = None) -> str:
    """The SQL file text for one rule (what ``rulec build --target athena`` writes)."""
    if mapping is None:
        from ..mapping import load_mappings
        from .sql_mapping import MappingSql
        mapping = MappingSql(load_mappings())
    return render(build_query(rule, mapping, since), dialect)[0]


def _safe_name(rule_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", rule_id) or "rule"


def translate(rule: Rule, mappings, options: BuildOptions | None = None) -> Translation:
    """The Backend protocol entry point (see ``backends.base``)."""
    from .sql_mapping import MappingSql

    options = options or BuildOptions()
    dialect = options.dialect or "athena"
    variant = options.extra.get("athena_variant", "")
    from ..mapping import MappingSet

    # The build hands a MappingSet; tests may hand a ready SqlMapping.
    mapping = MappingSql(mappings, "athena", variant) if isinstance(mappings, MappingSet) else mappings
    if rule.correlation is not None:
        from .athena_correlation import translate_correlation
        return translate_correlation(rule, mapping, options)
    try:
        q = build_query(rule, mapping, options.since or None,
                        error_level="raise" if options.strict else "warn")
    except Untranslatable as e:
        return Translation(rule.id, "athena", findings=(Finding("construct", str(e), "unsupported"),))
    text, missing = render(q, dialect)
    findings = [Finding("construct", r, "partial") for r in q.reasons]
    findings += [Finding("function", f"no {dialect} form for {construct_text(m)}", "partial") for m in missing]
    findings += [Finding("edge case", c, "warning") for c in q.caveats]
    findings += [Finding("engine check", g, "warning") for g in q.engine_gaps]
    findings += [Finding("output", w, "warning") for w in q.warnings]
    if q.unsupported:
        return Translation(rule.id, "athena", findings=tuple(findings) + (
            Finding("rule", q.unsupported, "unsupported"),))
    out = Output(f"{dialect}/{_safe_name(rule.id)}.sql", text)
    query = q.alert_sql()
    return Translation(rule.id, "athena", outputs=(out,), findings=tuple(findings), query=query)


class _Backend:
    name = "athena"
    dialects = DIALECTS

    @staticmethod
    def translate(rule, mappings, options=None) -> Translation:
        return translate(rule, mappings, options)


BACKEND = _Backend()
