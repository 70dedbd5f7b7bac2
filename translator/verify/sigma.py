"""Checks of generated Sigma: pySigma parsing + SigmaHQ validators (syntax), and execution of
each rule's Tests in SQLite through ``pysigma-backend-sqlite``.

Execution model. Each test event is projected to the Sigma record (flat dotted field names,
via the mapping's reverse projection) and stored as one row of an in-memory SQLite table
``logs`` whose columns are untyped (values keep their JSON type: text, integer, real; booleans
as 1/0, which the backend's boolean test accepts) and ``COLLATE NOCASE``, which is how
Zircolite (the SQLite backend's reference consumer) stores events and what makes ``=`` match
Sigma's case-insensitive default, while ``|cased`` becomes ``GLOB``. JSON null and a missing
field are both NULL. Multivalue fields (array elements) that the query reads are expanded
into one row per combination of values and the event matches when any row does (the
multivalue semantics of Splunk and Elasticsearch; the backend reports conditions on them as
partial); other multivalue fields stay JSON text. ``REGEXP`` is RE2's search, the engine pySigma 2
checks ``|re`` values with.

Validators: every validator pySigma and pysigma-validators-sigmahq install, minus
``EXCLUDED_VALIDATORS`` (each with the reason).
"""
from __future__ import annotations

import json
import datetime
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ..backends.base import Translation
from ..backends.sigma import rule_uuid
from ..testing import effective_detection
from ..evaluator import NotEvaluable, evaluate
from ..mapping import EACH, MappingError, MappingSet, Unmapped
from ..mapping.project import event_leaves, project_event
from ..model import Rule
from .base import EngineReport, TestCheck

EXCLUDED_VALIDATORS: dict[str, str] = {
    "attacktag": "needs MITRE ATT&CK data that pySigma downloads at first use (offline here)",
    "sigmahq_tags_techniques_without_tactics": "needs the downloaded MITRE ATT&CK data",
    "d3_fendtag": "needs MITRE D3FEND data that pySigma downloads at first use",
    "sigmahq_fieldname_cast": "needs the SigmaHQ taxonomy JSON downloaded at first use",
    "sigmahq_invalid_fieldname": "needs the downloaded SigmaHQ taxonomy",
    "sigmahq_logsource_unknown": "needs the downloaded SigmaHQ taxonomy",
    "sigmahq_redundant_field": "needs the downloaded SigmaHQ taxonomy",
    "sigmahq_category_event_id": "needs SigmaHQ's Windows event-id data (downloaded) for "
                                 "windows logsources",
    "sigmahq_category_windows_provider_name": "needs SigmaHQ's Windows provider data "
                                              "(downloaded) for windows logsources",
    "sigmahq_fields_existence": "SigmaHQ deprecated `fields` in its repository; rulec writes "
                                "the rule's output fields there by design (issue 6)",
    "sigmahq_filename_convention": "SigmaHQ repository file naming; rulec's layout is "
                                   "sigma/<RuleID>.yml",
    "sigmahq_filename_prefix": "SigmaHQ repository file naming (see above)",
    "sigmahq_correlation_filename_prefix": "SigmaHQ repository file naming (see above)",
    "filename_length": "SigmaHQ repository file naming (see above)",
    "duplicate_filename": "SigmaHQ repository file naming (see above)",
    "number_as_string": "asks for numbers where a value looks numeric; Python compares the text "
                        "'443' and the number 443 differently, and rulec keeps the rule's type",
    "sigmahq_correlation_group_by_existence": "asks every correlation for a group-by; a Panther "
                                              "threshold without dedup key counts all matching "
                                              "events together, which a group-by would change",
    "sigmahq_github_link": "asks for commit permalinks instead of branch links in references; "
                           "references are the Panther rule's own, and resolving a branch to a "
                           "commit needs the network",
}


@dataclass
class SyntaxCheck:
    ok: bool
    rules: int = 0  # documents parsed
    errors: list = field(default_factory=list)  # parse errors (the file is not valid Sigma)
    issues: list = field(default_factory=list)  # validator findings "validator: description"
    unavailable: list = field(default_factory=list)  # validators that could not run offline

    @property
    def clean(self) -> bool:
        return self.ok and not self.issues


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    expected: bool
    matched: bool | None  # what SQLite said; None when not executed
    evaluator: bool | None = None  # translator.evaluator on the same event
    error: str = ""
    sql: str = ""

    @property
    def agrees(self) -> bool:
        return self.matched is not None and self.matched == self.expected


@dataclass
class Verification:
    rule_id: str
    verdict: str  # the translation's
    syntax: SyntaxCheck
    tests: list = field(default_factory=list)


# --------------------------------------------------------------------------- syntax


_validator_classes: dict | None = None


def validator_classes() -> dict:
    global _validator_classes
    if _validator_classes is None:
        from sigma.plugins import InstalledSigmaPlugins
        found = InstalledSigmaPlugins.autodiscover().validators
        _validator_classes = {k: v for k, v in sorted(found.items()) if k not in EXCLUDED_VALIDATORS}
    return _validator_classes


def parse(text: str):
    """The pySigma collection of a generated file (references resolved)."""
    from sigma.collection import SigmaCollection
    collection = SigmaCollection.from_yaml(text, collect_errors=True)
    collection.resolve_rule_references()
    return collection


def check_syntax(text: str) -> SyntaxCheck:
    from sigma.exceptions import SigmaError
    try:
        collection = parse(text)
    except (SigmaError, ValueError) as exc:  # yaml errors surface as ValueError subclasses
        return SyntaxCheck(False, 0, [f"{type(exc).__name__}: {exc}"])
    errors = [f"{type(e).__name__}: {e}" for r in collection.rules for e in r.errors]
    issues: list = []
    unavailable: list = []
    validators = [cls() for cls in validator_classes().values()]
    for rule in collection.rules:
        for v in validators:
            try:
                found = v.validate(rule)
            except RuntimeError as exc:  # a validator whose data must be downloaded
                unavailable.append(f"{_validator_name(v)}: {exc}")
                continue
            issues.extend(f"{_validator_name(v)}: {i.description}" + _detail(i) for i in found)
    for v in validators:
        issues.extend(f"{_validator_name(v)}: {i.description}" + _detail(i) for i in v.finalize())
    return SyntaxCheck(not errors, len(collection.rules), errors, issues, unavailable)


def _validator_name(v) -> str:
    from sigma.validators.core import validator_classname_to_identifier
    return validator_classname_to_identifier(type(v).__name__)


def _detail(issue) -> str:
    extra = {k: v for k, v in vars(issue).items() if k not in ("rules", "severity")}
    return f" {extra}" if extra else ""


# --------------------------------------------------------------------------- execution


def _regexp(pattern: str, value: Any) -> bool:
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    from ..backends.sigma_regex import _re2
    if _re2 is None:  # pragma: no cover
        raise RuntimeError("google-re2 is required to run Sigma |re conditions")
    return _re2.search(pattern, value) is not None


def sql_value(v: Any) -> Any:
    """A record value as SQLite stores it (multivalue/objects as JSON text)."""
    if isinstance(v, (list, dict)):
        return json.dumps(v, sort_keys=True)
    return v


def run_sql(sql: str, record: dict, required: list[str]) -> bool:
    """Does the one-row table built from ``record`` satisfy ``sql``?"""
    conn = sqlite3.connect(":memory:")
    try:
        conn.create_function("REGEXP", 2, _regexp, deterministic=True)
        columns: dict[str, Any] = {}
        for k, v in record.items():
            if k.lower() not in {c.lower() for c in columns}:
                columns[k] = sql_value(v)
        for name in required:
            if name.lower() not in {c.lower() for c in columns}:
                columns[name] = None
        if not columns:
            columns["rowid_placeholder"] = None
        quoted = [_quote(c) for c in columns]
        conn.execute(f"CREATE TABLE logs ({', '.join(q + ' COLLATE NOCASE' for q in quoted)})")
        conn.executemany(f"INSERT INTO logs ({', '.join(quoted)}) VALUES "
                         f"({', '.join('?' for _ in quoted)})",
                         _rows(columns, record, {r.lower() for r in required}))
        return conn.execute(sql).fetchone() is not None
    finally:
        conn.close()


MAX_ROWS = 256


def _rows(columns: dict, record: dict, read: set) -> list:
    """One row per combination of the multivalue fields the query reads (a multivalue field
    matches when any of its values does, as in Splunk and Elasticsearch); other multivalue
    fields stay JSON text."""
    multi = [k for k in columns if isinstance(record.get(k), list) and k.lower() in read
             and record[k]]
    rows = [dict(columns)]
    for k in multi:
        rows = [r | {k: sql_value(v)} for r in rows for v in record[k]]
        if len(rows) > MAX_ROWS:
            raise ValueError(f"more than {MAX_ROWS} combinations of multivalue fields")
    return [list(r.values()) for r in rows]


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def compile_sql(sigma_rule) -> tuple[str, list[str]]:
    from sigma.backends.sqlite import sqliteBackend
    from sigma.rule import SigmaRule
    backend = sqliteBackend(table="logs")
    # a fresh copy: pySigma emits no query for a rule a correlation references
    standalone = SigmaRule.from_dict(sigma_rule.to_dict())
    queries = backend.convert_rule(standalone)
    if len(queries) != 1:
        raise ValueError(f"expected one SQL query, got {len(queries)}")
    return queries[0], backend.required_fields(standalone)


def sigma_record(mappings: MappingSet, log_type: str, event: dict) -> dict:
    """The flat record a Sigma consumer holds for ``event``: the mapping's reverse projection,
    plus the event's own dotted leaves for paths the mapping cannot place but does not declare
    absent from the source. Those are exactly the fields the backend writes with its
    documented fallback name (the dotted path, reported as a warning), so the check reads
    them where the fallback says they are; fields the source does not hold (``absent``, such
    as Panther's p_* fields) stay NULL."""
    record = project_event(mappings, log_type, "sigma", event)
    seen = {k.lower() for k in record}
    for path, value in event_leaves(event):
        resolved = mappings.resolve(log_type, "sigma", path)
        if not isinstance(resolved, Unmapped) or resolved.fallback is None:
            continue
        if "does not hold" in resolved.reason:
            continue
        # the backend names a field by its path without array steps (a multivalue field)
        plain = mappings.resolve(log_type, "sigma", tuple(x for x in path if x != EACH))
        name = plain.fallback.name if isinstance(plain, Unmapped) and plain.fallback \
            else resolved.fallback.name
        if name.lower() in seen and name not in record:
            continue
        if EACH in path:
            record.setdefault(name, []).append(value)
        elif name not in record:
            record[name] = value
        seen.add(name.lower())
    return record


def _log_type(rule: Rule, event: Any) -> str:
    lt = event.get("p_log_type") if isinstance(event, dict) else None
    return lt if lt in rule.log_types else rule.log_types[0]


def verify_rule(rule: Rule, translation: Translation, mappings: MappingSet) -> Verification:
    """Syntax + validators of the generated file, then every Test executed in SQLite."""
    text = translation.query
    if not text:
        return Verification(rule.id, translation.verdict,
                            SyntaxCheck(False, 0, ["no Sigma was generated"]))
    syntax = check_syntax(text)
    result = Verification(rule.id, translation.verdict, syntax)
    if not syntax.ok:
        return result
    by_id = {str(r.id): r for r in parse(text).rules}
    expr = effective_detection(rule)
    for test in rule.tests:
        event = test.log
        try:
            ev = evaluate(expr, event) if expr is not None else None
        except NotEvaluable:
            ev = None
        log_type = _log_type(rule, event)
        index = list(rule.log_types).index(log_type)
        doc = by_id.get(rule_uuid(rule.id, "" if index == 0 else log_type))
        if doc is None:
            result.tests.append(TestResult(test.name, test.expected_result, None, ev,
                                           f"no Sigma rule for log type {log_type}"))
            continue
        try:
            sql, required = compile_sql(doc)
            record = sigma_record(mappings, log_type, event)
            matched = run_sql(sql, record, required)
        except (MappingError, sqlite3.Error, ValueError) as exc:
            result.tests.append(TestResult(test.name, test.expected_result, None, ev,
                                           f"{type(exc).__name__}: {exc}"))
            continue
        result.tests.append(TestResult(test.name, test.expected_result, matched, ev, "", sql))
    return result


def run_correlation(plan, tm) -> bool:
    """Whether the Sigma correlation fires on one test's matches (``TestMatches``): the
    backend's own correlation documents over stand-in rules (one per step, matching log rows
    with ``rulec_step``), converted by pysigma-backend-sqlite and run on the rows of the matches
    inside the run's lookback window."""
    from sigma.collection import SigmaCollection
    from sigma.backends.sqlite import sqliteBackend

    from ..backends.sigma import dump
    from ..backends.sigma_correlation import correlation_docs

    names = [f"rulec_step_{i}" for i in range(len(plan.steps))]
    docs = [{"title": f"step {i}", "name": n, "status": "test", "logsource": {"product": "rulec"},
             "detection": {"selection": {"rulec_step": str(i)}, "condition": "selection"}}
            for i, n in enumerate(names)]
    fields = {(i, c): c for i, s in enumerate(plan.steps) for _p, c, _f in s.keys}
    header = {"title": "check", "status": "test", "level": "low"}
    docs += correlation_docs(plan, "rulec_check", header, names, fields)
    query = sqliteBackend(table="logs").convert(
        SigmaCollection.from_yaml("---\n".join(dump(d) for d in docs)))[-1]
    columns = sorted({c for _i, c in fields})
    floor = tm.now - datetime.timedelta(minutes=plan.lookback_minutes)
    conn = sqlite3.connect(":memory:")
    try:
        cols = ", ".join(_quote(c) + " TEXT" for c in ["rulec_step", "timestamp"] + columns)
        conn.execute(f"CREATE TABLE logs ({cols})")
        for i, s in enumerate(plan.steps):
            for t, values in tm.rows.get(s.id, []):
                if t < floor:
                    continue  # before this run's time range
                row = [str(i), t.strftime("%Y-%m-%d %H:%M:%S")] + [values.get(c) for c in columns]
                conn.execute(f"INSERT INTO logs VALUES ({', '.join('?' * len(row))})", row)
        return bool(conn.execute(query).fetchall())
    finally:
        conn.close()


def check(rule: Rule, translation: Translation, mappings: MappingSet, options=None) -> EngineReport:
    """``rulec verify``'s protocol (translator/verify/base.py): validator issues count as
    syntax errors (the generated Sigma must be validator-clean), tests executed in SQLite."""
    import importlib.metadata as md
    engine = "pySigma {} + pysigma-backend-sqlite {} on SQLite {}".format(
        md.version("pysigma"), md.version("pysigma-backend-sqlite"), sqlite3.sqlite_version)
    if rule.correlation is not None:
        return _check_correlation(rule, translation, mappings, options, engine)
    v = verify_rule(rule, translation, mappings)
    report = EngineReport(rule.id, "sigma", engine, syntax_ok=v.syntax.clean,
                          syntax_errors=list(v.syntax.errors) + [f"validator {i}" for i in
                                                                 v.syntax.issues])
    executed = [t for t in v.tests if t.matched is not None]
    report.executed = bool(executed)
    report.tests = [TestCheck(t.name, t.expected, t.matched, t.error) for t in v.tests]
    if translation.verdict != "exact":
        report.notes.append(f"translation is {translation.verdict}: "
                            + "; ".join(f"{f.construct}: {f.reason}" for f in translation.findings
                                        if f.severity in ("partial", "unsupported")))
    for t in v.tests:
        if t.matched is not None and t.evaluator is not None and t.matched != t.evaluator:
            report.notes.append(f"{t.name!r}: SQLite {t.matched}, reference evaluator "
                                f"{t.evaluator}")
    return report


def _check_correlation(rule: Rule, translation: Translation, mappings: MappingSet, options,
                       engine: str) -> EngineReport:
    """pySigma parses and resolves the correlation with the sub-rules' Sigma rules (errors
    fail, validator issues are notes: SigmaHQ's conventions are about its repository), then
    the correlation runs in SQLite on each test's matches (``run_correlation``)."""
    from ..backends import get_backend
    from ..model import _thaw
    from .correlation import check_correlation

    errors = None
    notes = []
    if options is not None:
        subs = [options.rules[s["rule_id"]] for s in _thaw(rule.correlation)["steps"]
                if s["rule_id"] in options.rules]
        texts = [get_backend("sigma").translate(sub, mappings, options).query for sub in subs]
        syntax = check_syntax("---\n".join([t for t in texts if t] + [translation.query]))
        errors = list(syntax.errors)
        notes = [f"validator {i}" for i in syntax.issues]
    report = check_correlation(rule, "sigma", engine, run_correlation, errors)
    report.notes.extend(notes)
    return report
