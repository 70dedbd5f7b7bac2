"""Shared by the SQL backend tests: run an expression as SQL on DuckDB over events and compare
with the reference evaluator."""
from __future__ import annotations

from translator.backends.athena import build_query
from translator.backends.sql_mapping import MappingSql
from translator.engines.duckdb_sql import check_rule
from translator.evaluator import evaluate
from translator.mapping import load_mappings
from translator.model import Rule, RuleTest

LOG_TYPE = "AWS.CloudTrail"


def mapping() -> MappingSql:
    return MappingSql(load_mappings())


def sql_matches(expr, events: list) -> list:
    """Per event: did the generated SQL match it on DuckDB (None: not run, with the reason)."""
    tests = tuple(RuleTest.make(f"e{i}", bool(evaluate(expr, e)), e) for i, e in enumerate(events))
    rule = Rule(id="Test.Rule", log_types=(LOG_TYPE,), detection=expr, tests=tests)
    m = mapping()
    q = build_query(rule, m)
    assert q.verdict == "exact", q.reasons
    check = check_rule(rule, m, q)
    assert not check.skipped_reason, check.skipped_reason
    errors = [o.detail for o in check.outcomes if o.status == "error"]
    assert not errors, (errors, check.duckdb_sql)
    return [o.matched for o in check.outcomes]


def assert_agrees(expr, events: list) -> None:
    expected = [bool(evaluate(expr, e)) for e in events]
    got = sql_matches(expr, events)
    assert got == expected, f"SQL {got} != Python {expected} for {expr}"
