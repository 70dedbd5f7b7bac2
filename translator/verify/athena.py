"""`rulec verify` check of generated Athena SQL: sqlglot parses the query in the Athena
dialect (syntax), then the rule's Tests run on DuckDB (``engines.duckdb_sql``): each test event
projected into a data-lake row, the query transpiled athena -> duckdb, the match compared with
ExpectedResult. Functions without a DuckDB form and regex constructs RE2 cannot run leave the
tests unexecuted (reported), never passed."""
from __future__ import annotations

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from ..backends.athena import build_query
from ..backends.base import BuildOptions, Translation
from ..backends.sql_mapping import MappingSql
from ..engines.duckdb_sql import check_rule
from ..model import Rule
from .base import EngineReport, TestCheck

__all__ = ["check"]


def check(rule: Rule, translation: Translation, mappings, options: BuildOptions | None = None) -> EngineReport:
    engine = f"duckdb {duckdb.__version__} (sqlglot {sqlglot.__version__} athena->duckdb)"
    if rule.correlation is not None:
        return _check_correlation(rule, translation, engine)
    report = EngineReport(rule.id, "athena", engine=engine)
    if translation.query:
        try:
            sqlglot.parse_one(translation.query, read="athena")
            report.syntax_ok = True
        except ParseError as e:
            report.syntax_ok = False
            report.syntax_errors.append(str(e).splitlines()[0])
            return report
    variant = (options.extra.get("athena_variant", "") if options else "")
    mapping = MappingSql(mappings, "athena", variant)
    q = build_query(rule, mapping, options.since if options and options.since else None)
    result = check_rule(rule, mapping, q)
    if result.skipped_reason:
        report.notes.append(f"not executed: {result.skipped_reason}")
    for m in result.untranspiled:
        report.notes.append(f"no DuckDB form for Athena function {m}()")
    report.notes.extend(f"caveat: {c}" for c in q.caveats)
    for o in result.outcomes:
        if o.status == "skipped":
            report.tests.append(TestCheck(o.name, o.expected, None, o.detail))
        elif o.status == "error":
            report.tests.append(TestCheck(o.name, o.expected, None, o.detail))
        else:
            report.tests.append(TestCheck(o.name, o.expected, o.matched, o.detail))
    report.executed = any(o.status in ("pass", "fail") for o in result.outcomes)
    return report


def run_correlation(plan, tm) -> bool:
    """Whether the Athena correlation layer fires on one test's matches (``TestMatches``): the
    backend's own builder over literal step sources, "now" at the test's latest match,
    transpiled to DuckDB and executed."""
    from sqlglot import exp

    from ..backends.athena_correlation import correlation_select, test_sources
    from ..backends.sql_dialects import transpile
    from ..engines.duckdb_sql import _rule_database
    from .correlation import NotExecutable

    now = exp.cast(exp.Literal.string(tm.now.isoformat(sep=" ")), "timestamp")
    athena_sql = correlation_select(plan, test_sources(plan, tm), now).sql(dialect="athena")
    duck_sql, missing = transpile(athena_sql, "duckdb", pretty=False)
    if missing:
        raise NotExecutable("no DuckDB form for " + ", ".join(missing))
    con, db = _rule_database()
    try:
        return bool(con.execute(duck_sql).fetchall())
    finally:
        con.execute("USE memory")
        con.execute(f"DETACH {db}")
        con.close()


def _check_correlation(rule: Rule, translation: Translation, engine: str) -> EngineReport:
    """The emitted text parses as Athena SQL; its correlation layer runs on DuckDB over each
    test's matches (``run_correlation``)."""
    from .correlation import check_correlation

    errors = []
    try:
        sqlglot.parse_one(translation.query, read="athena")
    except ParseError as e:
        errors.append(str(e).splitlines()[0])
    return check_correlation(rule, "athena", engine, run_correlation,
                             errors if translation.query else None)
