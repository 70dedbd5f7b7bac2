"""Proof by execution for the SQL backend: a rule's own Tests, run as SQL on DuckDB.

For each test the event becomes a row of the rule's table exactly as the data lake would hold
it (the mapping's reverse projection), the generated Athena query (its detection part: no time
window, no threshold — Panther's tests are about ``rule()``) is transpiled to DuckDB with
sqlglot plus ``sql_dialects``' rewrites, and executed in-process; the match is compared with
the test's ExpectedResult.

A check never passes on a difference it cannot see: when the query holds a function with no
DuckDB form, or a construct RE2 cannot run (lookaround, backreferences), the tests are
reported ``skipped`` with the reason, not passed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
from sqlglot import exp

from ..backends.athena import SqlQuery, build_query
from ..backends.sql_common import SqlMapping
from ..backends.sql_dialects import transpile
from ..model import Rule

__all__ = ["TestOutcome", "RuleCheck", "check_rule", "duckdb_type"]


@dataclass
class TestOutcome:
    name: str
    expected: bool
    matched: bool | None = None
    status: str = "pass"  # pass | fail | skipped | error
    detail: str = ""


@dataclass
class RuleCheck:
    rule_id: str
    verdict: str  # the translation's verdict
    outcomes: list = field(default_factory=list)
    untranspiled: list = field(default_factory=list)  # Athena functions with no DuckDB form
    skipped_reason: str = ""
    duckdb_sql: str = ""

    @property
    def agrees(self) -> bool:
        """Every test ran and gave the expected result."""
        return bool(self.outcomes) and all(o.status == "pass" for o in self.outcomes)

    @property
    def status(self) -> str:
        if not self.outcomes:
            return "no-tests" if not self.skipped_reason else "skipped"
        if any(o.status == "error" for o in self.outcomes):
            return "error"
        if any(o.status == "fail" for o in self.outcomes):
            return "fail"
        if any(o.status == "skipped" for o in self.outcomes):
            return "skipped"
        return "pass"


def duckdb_type(athena_type: str) -> exp.DataType:
    return exp.DataType.build(athena_type, dialect="athena")


def _structure(t: exp.DataType):
    """DuckDB json_transform structure for a type: {member: ...}, [element], or a type name."""
    name = t.this.name
    if name == "STRUCT":
        return {c.name: _structure(c.args["kind"]) for c in t.expressions if isinstance(c, exp.ColumnDef)}
    if name in ("ARRAY", "LIST"):
        return [_structure(t.expressions[0])]
    return t.sql("duckdb")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _create_tables(con, rule: Rule, mapping: SqlMapping) -> dict:
    """Create one table per log type; returns log type -> (table SQL name, structure JSON)."""
    out = {}
    for log_type in rule.log_types:
        table = mapping.table(log_type)
        if table is None:
            continue
        parts = table.split(".")
        if len(parts) > 1:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(parts[0])}")
        qualified = ".".join(_ident(p) for p in parts)
        types = {c: duckdb_type(t) for c, t in mapping.columns(log_type).items()}
        cols = ", ".join(f"{_ident(c)} {t.sql('duckdb')}" for c, t in types.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {qualified} ({cols})")
        out[log_type] = (qualified, json.dumps({c: _structure(t) for c, t in types.items()}))
    return out


def _test_log_type(rule: Rule, event) -> str:
    lt = event.get("p_log_type") if isinstance(event, dict) else None
    return lt if lt in rule.log_types else rule.log_types[0]


def check_rule(rule: Rule, mapping: SqlMapping, query: SqlQuery | None = None) -> RuleCheck:
    q = query or build_query(rule, mapping)
    check = RuleCheck(rule.id, q.verdict)
    if not rule.tests:
        return check
    if q.rows is None:
        check.skipped_reason = q.unsupported or "no query"
        return check
    athena_sql = q.rows.sql(dialect="athena")
    duck_sql, missing = transpile(athena_sql, "duckdb", pretty=False)
    check.duckdb_sql, check.untranspiled = duck_sql, missing
    skip = ""
    if missing:
        skip = "no DuckDB form for " + ", ".join(f"{m}()" for m in missing)
    elif q.engine_gaps:
        skip = "DuckDB cannot run: " + "; ".join(q.engine_gaps)
    if skip:
        check.skipped_reason = skip
        check.outcomes = [TestOutcome(t.name, t.expected_result, None, "skipped", skip) for t in rule.tests]
        return check
    con = duckdb.connect()
    try:
        tables = _create_tables(con, rule, mapping)
        for t in rule.tests:
            check.outcomes.append(_run_test(con, rule, mapping, tables, duck_sql, t))
    finally:
        con.close()
    return check


def _run_test(con, rule: Rule, mapping: SqlMapping, tables: dict, duck_sql: str, test) -> TestOutcome:
    out = TestOutcome(test.name, test.expected_result)
    event = test.log
    if not isinstance(event, dict):
        out.status, out.detail = "error", "test log is not a JSON object"
        return out
    log_type = _test_log_type(rule, event)
    try:
        row = mapping.row(log_type, event)
        for qualified, _ in tables.values():
            con.execute(f"DELETE FROM {qualified}")
        qualified, structure = tables[log_type]
        con.execute(f"INSERT INTO {qualified} BY NAME SELECT unnest(json_transform(?, ?))",
                    [json.dumps(row, default=str), structure])
        count = con.execute(f"SELECT count(*) FROM ({duck_sql}) AS rulec_check").fetchone()[0]
    except Exception as e:  # a DuckDB or projection error is this test's result, not a crash
        out.status, out.detail = "error", f"{type(e).__name__}: {str(e).splitlines()[0]}"
        return out
    out.matched = count > 0
    out.status = "pass" if out.matched == test.expected_result else "fail"
    if test.mocks and out.status == "fail":
        out.detail = "the test mocks " + ", ".join(m.name for m in test.mocks)
    return out
