"""Verification of Sentinel KQL output, two independent checks (DESIGN.md, "Verification"):

1. analysis: every query goes through Microsoft's Kusto.Language (npm
   ``@kusto/language-service-next``, run with node: one process per batch) with the rule's
   table schema registered from the mapping; any error diagnostic (unknown column KS142, type
   errors KS106/KS107, unknown function KS211, syntax) fails the rule;
2. execution: the detection runs in ``duckdb-kql`` over the rule's test events projected to
   Sentinel rows by the mapping; the verdict per test must equal both the test's
   ExpectedResult and the reference evaluator. duckdb-kql is more lenient than Kusto and lacks
   some constructs (``mv-apply``, ``ipv4_is_in_range``...): such rules are reported as
   "verified by analysis only", never counted as executed agreement.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..backends.kql import Lowered, lower_rule, query_tables
from ..evaluator import NotEvaluable, evaluate
from ..mapping import MappingSet, load_mappings, project_event
from ..mapping.project import schema_spelling, with_standard_fields
from ..model import Rule

KUSTO_DIR = Path(__file__).resolve().parent / "kusto"
ANALYZE_SCRIPT = KUSTO_DIR / "analyze.js"
ROW_ID = "rulec_test"
_DUCKDB_TYPES = {"string": "VARCHAR", "real": "DOUBLE", "bool": "BOOLEAN",
                 "datetime": "TIMESTAMP", "dynamic": "JSON"}


class KustoUnavailable(RuntimeError):
    """node or the npm package is not installed."""


@dataclass
class TestResult:
    name: str
    expected: bool
    matched: bool | None  # what the query did on the projected row; None when not executed
    evaluator: bool | None = None
    error: str = ""

    @property
    def agrees(self) -> bool:
        return self.matched is not None and self.matched == self.expected and \
            (self.evaluator is None or self.evaluator == self.matched)


@dataclass
class RuleVerification:
    rule_id: str
    query: str = ""
    diagnostics: list = field(default_factory=list)  # Kusto.Language errors
    analysed: bool = False
    tests: list = field(default_factory=list)
    analysis_only: str = ""  # why execution was not possible
    error: str = ""

    @property
    def syntax_ok(self) -> bool:
        return self.analysed and not self.diagnostics

    @property
    def executed(self) -> bool:
        return bool(self.tests) and all(t.matched is not None for t in self.tests)

    @property
    def agrees(self) -> bool:
        return self.executed and all(t.agrees for t in self.tests)


# --------------------------------------------------------------------------- Kusto.Language
def node_executable() -> str | None:
    return shutil.which("node")


def kusto_ready() -> str:
    """'' when analysis can run, else why not."""
    if node_executable() is None:
        return "node is not installed"
    if not (KUSTO_DIR / "node_modules" / "@kusto" / "language-service-next").is_dir():
        return f"Kusto.Language is not installed: run `npm ci` in {KUSTO_DIR}"
    return ""


class KustoSession:
    """One long-lived node process running Kusto.Language: requests are written as JSON lines
    and answered in order, so a whole batch (or a property test's many examples) costs one
    start-up of the library."""

    def __init__(self):
        why = kusto_ready()
        if why:
            raise KustoUnavailable(why)
        self._proc = subprocess.Popen([node_executable(), str(ANALYZE_SCRIPT)], cwd=str(KUSTO_DIR),
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, encoding="utf-8")

    def analyse(self, query: str, tables: dict) -> list[dict]:
        """Kusto.Language error diagnostics of ``query`` with ``tables`` = {name: [(column,
        kusto type)]} registered in a database of a cluster."""
        request = {"id": 0, "query": query,
                   "tables": {t: [list(c) for c in cols] for t, cols in tables.items()}}
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        except (BrokenPipeError, OSError) as exc:
            raise KustoUnavailable(f"Kusto.Language process failed: {exc}") from exc
        if not line:
            raise KustoUnavailable("Kusto.Language process ended: " + self._proc.stderr.read()[-500:])
        reply = json.loads(line)
        if "error" in reply:
            return [{"severity": "Error", "code": "rulec", "message": reply["error"]}]
        return [d for d in reply["diagnostics"] if d["severity"] == "Error"]

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        for stream in (self._proc.stdout, self._proc.stderr):
            stream.close()

    def __enter__(self) -> "KustoSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def analyse(requests: Iterable[tuple]) -> dict:
    """Kusto.Language error diagnostics per request id; ``requests``: (id, query, tables)."""
    requests = list(requests)
    if not requests:
        return {}
    with KustoSession() as session:
        return {rid: session.analyse(q, tables) for rid, q, tables in requests}


# --------------------------------------------------------------------------- execution
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _cell(value, kusto_type: str):
    """A projected value as Sentinel stores it in a column of ``kusto_type``."""
    if kusto_type == "string":
        if value is None:
            return ""  # Kusto strings are never null
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value, sort_keys=True)
        return str(value)
    if value is None:
        return None
    if kusto_type == "dynamic":
        return json.dumps(value)
    if kusto_type == "real":
        if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
            # Kusto ingestion converts a value to the column's type: "6" lands as 6 in a real
            # column (Panther's parser reads it into a number field likewise)
            return float(value)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if kusto_type == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"  # converted on ingestion, as above
        return value if isinstance(value, bool) else None
    if kusto_type == "datetime":
        from dateutil import parser as dateparser
        try:
            parsed = dateparser.isoparse(str(value))
        except (ValueError, OverflowError):
            return None
        return parsed.replace(tzinfo=None) if isinstance(parsed, datetime) else None
    return value


def _duckdb_columns(cols: list) -> list | str:
    """The columns as a DuckDB table can hold them. DuckDB folds identifier case, Kusto does
    not: the standard ``Type`` column gives way to a table column spelled ``type`` (rulec's
    queries never read it); any other clash makes the rule analysis-only, with the reason."""
    seen: dict[str, str] = {}
    out = []
    for name, typ in cols:
        folded = name.lower()
        if folded in seen:
            if name == "Type" or seen[folded] == "Type":
                out = [(c, t) for c, t in out if c != "Type"]
                if name == "Type":
                    continue
            else:
                return f"DuckDB cannot hold columns {seen[folded]!r} and {name!r} (case-insensitive names)"
        seen[folded] = name
        out.append((name, typ))
    return out


def log_type_of(rule: Rule, event) -> str:
    if isinstance(event, dict) and event.get("p_log_type") in (rule.log_types or ()):
        return event["p_log_type"]
    return rule.log_types[0]


def execute(rule: Rule, lowered: Lowered, ms: MappingSet) -> tuple[list[TestResult], str]:
    """Run the detection in duckdb-kql over the rule's projected test events. Returns the
    per-test results and '' — or no results and why execution was not possible."""
    import duckdb_kql

    tests = list(rule.tests)
    if not tests:
        return [], "the rule has no tests"
    con = _connection()
    schemas = {}
    tables = query_tables(ms, lowered)
    for table, log_type in lowered.tables.items():
        cols = _duckdb_columns(tables[table])
        if isinstance(cols, str):
            return [], cols
        schemas[log_type] = (table, cols)
    try:
        for table, cols in schemas.values():
            ddl = ", ".join(f'"{c}" {_DUCKDB_TYPES[t]}' for c, t in cols)
            con.execute(f'CREATE TABLE "{table}" ({ddl}, "{ROW_ID}" INTEGER)')
        return _run_tests(rule, lowered, ms, con, schemas, tests)
    finally:
        for table, _cols in schemas.values():
            con.execute(f'DROP TABLE IF EXISTS "{table}"')


_CONNECTION: list = []


def _connection():
    """One in-memory DuckDB for the process (opening one costs about a second); each rule's
    tables are created and dropped around its run."""
    import duckdb_kql

    if not _CONNECTION:
        _CONNECTION.append(duckdb_kql.connect())
    return _CONNECTION[0]


def _run_tests(rule: Rule, lowered: Lowered, ms: MappingSet, con, schemas: dict,
               tests: list) -> tuple[list[TestResult], str]:
    import duckdb_kql

    detection = _detection_expr(rule)
    results = []
    for i, test in enumerate(tests):
        event = test.log
        try:
            lt = log_type_of(rule, event)
            table, cols = schemas.get(lt, (None, None))
            if table is None:
                results.append(TestResult(test.name, test.expected_result, None,
                                          error=f"log type {lt} has no Sentinel table in this query"))
                continue
            row = project_event(lt, "sentinel", schema_spelling(ms, lt, event), mappings=ms) \
                if isinstance(event, dict) else {}
        except Exception as exc:  # noqa: BLE001 - a bad test event is this test's error
            results.append(TestResult(test.name, test.expected_result, None, error=f"projection: {exc}"))
            continue
        values = [_cell(row.get(c), t) for c, t in cols] + [i]
        con.execute(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(values))})', values)
        try:
            # as Panther holds the event: p_log_type and p_event_time set
            expected_py = evaluate(detection, with_standard_fields(ms, lt, event)
                                   if isinstance(event, dict) else event)
        except NotEvaluable:
            expected_py = None
        results.append(TestResult(test.name, test.expected_result, None, expected_py))
    try:
        rows = duckdb_kql.kql(con, f"{lowered.detection}\n| project {ROW_ID}").fetchall()
    except duckdb_kql.KqlUnsupportedError as exc:
        return results, f"duckdb-kql lacks a construct: {str(exc).splitlines()[0]}"
    except Exception as exc:  # noqa: BLE001 - an engine failure is reported per rule
        return results, f"duckdb-kql failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    hit = {r[0] for r in rows}
    for i, res in enumerate(results):
        if not res.error:
            res.matched = i in hit
    return results, ""


def _detection_expr(rule: Rule):
    from ..backends.kql import detection_of
    return detection_of(rule)


# --------------------------------------------------------------------------- per rule
def verify_rules(rules: Iterable[Rule], mappings: MappingSet | None = None,
                 strict: bool = False, session: "KustoSession | None" = None,
                 analysis: bool = True) -> list[RuleVerification]:
    """Both checks for many rules: one Kusto.Language process for all queries."""
    ms = mappings or load_mappings()
    out: list[RuleVerification] = []
    lowered_by_id: dict = {}
    requests = []
    for rule in rules:
        rv = RuleVerification(rule.id)
        try:
            lowered = lower_rule(rule, ms, strict)
        except Exception as exc:  # noqa: BLE001
            rv.error = f"{type(exc).__name__}: {exc}"
            out.append(rv)
            continue
        rv.query = lowered.query
        if not lowered.query:
            rv.error = "; ".join(str(f) for f in lowered.findings if f.severity == "unsupported") \
                or "no query"
            out.append(rv)
            continue
        tables = query_tables(ms, lowered)
        requests.append((len(out), lowered.query, tables))
        lowered_by_id[len(out)] = (rule, lowered)
        out.append(rv)
    if not analysis:
        diags = {}
    elif session is not None:
        diags = {rid: session.analyse(q, tables) for rid, q, tables in requests}
    else:
        diags = analyse(requests)
    for idx, (rule, lowered) in lowered_by_id.items():
        rv = out[idx]
        rv.analysed = idx in diags
        rv.diagnostics = diags.get(idx, [])
        rv.tests, rv.analysis_only = execute(rule, lowered, ms)
    return out


def verify_rule(rule: Rule, translation=None, mappings: MappingSet | None = None) -> RuleVerification:
    """Both checks for one rule (the query is rebuilt from the rule: exactly what the backend
    emits)."""
    return verify_rules([rule], mappings, session=_shared_session())[0]


_SESSION: list = []


def _shared_session() -> KustoSession:
    """One Kusto.Language process for a whole `rulec verify` run (closed at exit)."""
    if not _SESSION:
        import atexit
        _SESSION.append(KustoSession())
        atexit.register(_SESSION[0].close)
    return _SESSION[0]


def engine_versions() -> str:
    import importlib.metadata as md
    try:
        kusto = json.loads((KUSTO_DIR / "node_modules" / "@kusto" / "language-service-next" /
                            "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        kusto = "not installed"
    return f"Kusto.Language {kusto} (node) + duckdb-kql {md.version('duckdb-kql')}"


def run_correlation(plan, tm) -> bool:
    """Whether the KQL correlation layer fires on one test's matches (``TestMatches``): the
    backend's own text over ``datatable`` step sources, "now" at the test's latest match, run
    in duckdb-kql."""
    import duckdb_kql

    from ..backends.kql_correlation import correlation_query, datatable_lets
    from .correlation import NotExecutable

    now = f"datetime({tm.now.isoformat(sep=' ')})"
    query = datatable_lets(plan, tm) + "\n" + correlation_query(plan, now)
    try:
        return bool(duckdb_kql.kql(_connection(), query).fetchall())
    except duckdb_kql.KqlUnsupportedError as exc:
        raise NotExecutable(f"duckdb-kql lacks a construct: {str(exc).splitlines()[0]}") from None


def _check_correlation(rule: Rule, translation, mappings: MappingSet, options):
    """Kusto.Language analyses the whole emitted query (the sub-rules' tables registered);
    the correlation layer runs in duckdb-kql on each test's matches (``run_correlation``)."""
    from ..backends.kql_correlation import lower_correlation
    from .correlation import check_correlation

    why = kusto_ready()
    errors = None
    if not why and options is not None and translation.query:
        _plan, lowered = lower_correlation(rule, mappings, options)
        diags = _shared_session().analyse(translation.query, query_tables(mappings, lowered))
        errors = [f"{d.get('code')}: {d.get('message')}" for d in diags]
    report = check_correlation(rule, "kql", engine_versions(), run_correlation, errors)
    if why:
        report.notes.append(f"Kusto.Language analysis not run: {why}")
    return report


def check(rule: Rule, translation, mappings: MappingSet, options=None):
    """``rulec verify``'s protocol (translator/verify/base.py): Kusto.Language errors are
    syntax errors; tests executed in duckdb-kql; constructs duckdb-kql lacks leave the rule
    verified by analysis only. Without node the analysis is reported as not run."""
    from .base import EngineReport, TestCheck

    if rule.correlation is not None:
        return _check_correlation(rule, translation, mappings, options)
    why = kusto_ready()
    session = None if why else _shared_session()
    v = verify_rules([rule], mappings, session=session, analysis=session is not None)[0]
    report = EngineReport(rule.id, "kql", engine_versions(),
                          syntax_ok=v.syntax_ok if v.analysed else None,
                          syntax_errors=[f"{d.get('code')}: {d.get('message')}" for d in v.diagnostics])
    if why:
        report.notes.append(f"Kusto.Language analysis not run: {why}")
    if v.error:
        report.notes.append(v.error)
    report.executed = v.executed
    report.tests = [TestCheck(t.name, t.expected, t.matched, t.error) for t in v.tests]
    if v.analysis_only:
        report.notes.append(f"verified by analysis only: {v.analysis_only}")
    if translation is not None and translation.verdict != "exact":
        report.notes.append(f"translation is {translation.verdict}: " + "; ".join(
            f"{f.construct}: {f.reason}" for f in translation.findings
            if f.severity in ("partial", "unsupported")))
    for t in v.tests:
        if t.matched is not None and t.evaluator is not None and t.matched != t.evaluator:
            report.notes.append(f"{t.name!r}: duckdb-kql {t.matched}, reference evaluator {t.evaluator}")
    return report
