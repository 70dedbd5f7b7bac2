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

import itertools
import json
from dataclasses import dataclass, field
from functools import lru_cache

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
        cols, structure = _ddl(tuple(mapping.columns(log_type).items()))
        con.execute(f"CREATE TABLE IF NOT EXISTS {qualified} ({cols})")
        out[log_type] = (qualified, structure)
    return out


@lru_cache(maxsize=256)
def _ddl(columns: tuple) -> tuple[str, str]:
    """(DuckDB column definitions, json_transform structure) of an Athena schema."""
    types = {c: duckdb_type(t) for c, t in columns}
    cols = ", ".join(f"{_ident(c)} {t.sql('duckdb')}" for c, t in types.items())
    return cols, json.dumps({c: _structure(t) for c, t in types.items()})


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
    con, db = _rule_database()
    try:
        tables = _create_tables(con, rule, mapping)
        rows, batches = {}, {}
        for i, t in enumerate(rule.tests):
            outcome = TestOutcome(t.name, t.expected_result)
            check.outcomes.append(outcome)
            try:
                log_type, row = _row(rule, mapping, t.log, i)
            except Exception as e:  # a projection problem is this test's result
                outcome.status, outcome.detail = "error", f"{type(e).__name__}: {str(e).splitlines()[0]}"
                continue
            batches.setdefault(log_type, []).append(row)
            rows[row["p_row_id"]] = outcome
        mismatches = {}
        for log_type, batch in batches.items():
            qualified, structure = tables[log_type]
            for r in batch:
                raw = rule.tests[int(r["p_row_id"])].log
                mismatches[r["p_row_id"]] = _type_mismatches(r, json.loads(structure)) or \
                    _text_in_boolean_columns(raw, json.loads(structure))
            insert = (f"INSERT INTO {qualified} BY NAME SELECT unnest(json_transform(j, ?)) "
                      f"FROM (SELECT unnest(?::VARCHAR[]) AS j)")
            try:
                con.execute(insert, [structure, [json.dumps(r, default=str) for r in batch]])
            except Exception:  # find the row DuckDB refuses; the others still run
                for r in batch:
                    try:
                        con.execute(insert, [structure, [json.dumps(r, default=str)]])
                    except Exception as e:
                        o = rows.pop(r["p_row_id"])
                        o.status, o.detail = "error", f"{type(e).__name__}: {str(e).splitlines()[0]}"
        try:
            matched = {r[0] for r in con.execute(f"SELECT p_row_id FROM ({duck_sql}) AS rulec_check").fetchall()}
        except Exception as e:
            for o in check.outcomes:
                if o.status != "error":
                    o.status, o.detail = "error", f"{type(e).__name__}: {str(e).splitlines()[0]}"
            return check
        for row_id, o in rows.items():
            o.matched = row_id in matched
            o.status = "pass" if o.matched == o.expected else "fail"
            test = rule.tests[int(row_id)]
            if o.status == "fail":
                causes = []
                if test.mocks:
                    causes.append("the test mocks " + ", ".join(m.name for m in test.mocks))
                if mismatches.get(row_id):
                    causes.append("the table's column types cannot hold the test's values: "
                                  + "; ".join(mismatches[row_id][:3]))
                o.detail = "; ".join(causes)
    finally:
        con.execute("USE memory")
        con.execute(f"DETACH {db}")
        con.close()
    return check


_BASE: list = []
_COUNTER = itertools.count()


def _rule_database():
    """A fresh in-memory database for one rule, on its own connection (a cursor of one
    process-wide DuckDB instance: opening a new instance costs ~60 ms, this ~5 ms). One
    thread: a handful of rows needs no parallelism."""
    if not _BASE:
        _BASE.append(duckdb.connect(config={"threads": 1}))
    con = _BASE[0].cursor()
    db = f"rulec_rule_{next(_COUNTER)}"
    con.execute(f"ATTACH ':memory:' AS {db}")
    con.execute(f"USE {db}")
    return con, db


_PY_TYPES = {"VARCHAR": (str,), "TEXT": (str,), "BOOLEAN": (bool,), "JSON": (object,),
             "TIMESTAMP": (str,), "BIGINT": (int,), "DOUBLE": (int, float), "INTEGER": (int,)}


def _type_mismatches(value, structure, path: str = "") -> list[str]:
    """Where a row value does not have the type its column declares (a number in a varchar
    column, text in a boolean one): the table then holds something else than the event."""
    if value is None:
        return []
    if isinstance(structure, dict):
        if not isinstance(value, dict):
            return [f"{path or 'row'} is {type(value).__name__}, the column is a struct"]
        return [m for k, sub in structure.items() if k in value
                for m in _type_mismatches(value[k], sub, f"{path}.{k}" if path else k)]
    if isinstance(structure, list):
        if not isinstance(value, list):
            return [f"{path} is {type(value).__name__}, the column is an array"]
        return [m for i, x in enumerate(value) for m in _type_mismatches(x, structure[0], f"{path}[{i}]")]
    allowed = _PY_TYPES.get(str(structure).upper())
    if allowed is None or object in allowed:
        return []
    if isinstance(value, bool) and bool not in allowed:
        return [f"{path} is bool, the column is {structure}"]
    return [] if isinstance(value, allowed) else [f"{path} is {type(value).__name__}, the column is {structure}"]


def _text_in_boolean_columns(event, structure) -> list[str]:
    """Text where the table has a boolean column (the projection stores "true" as true, so
    the row no longer shows it): read from the test event itself, keys as Athena's lower-case
    columns (tables named otherwise simply find nothing here)."""
    def lowered(v):
        if isinstance(v, dict):
            return {str(k).lower(): lowered(x) for k, x in v.items()}
        return [lowered(x) for x in v] if isinstance(v, list) else v

    def booleans_only(st):
        if isinstance(st, dict):
            return {k: booleans_only(x) for k, x in st.items()}
        if isinstance(st, list):
            return [booleans_only(st[0])]
        return st if str(st).upper() == "BOOLEAN" else "JSON"  # JSON: never a mismatch

    return _type_mismatches(lowered(event), booleans_only(structure))


def _row(rule: Rule, mapping: SqlMapping, event, index: int) -> tuple[str, dict]:
    """(log type, the test event as its table's row, p_row_id = the test's index)."""
    if not isinstance(event, dict):
        raise ValueError("test log is not a JSON object")
    log_type = _test_log_type(rule, event)
    row = dict(mapping.row(log_type, event))
    row["p_row_id"] = str(index)
    return log_type, row
