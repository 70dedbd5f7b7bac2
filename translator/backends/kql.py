"""Microsoft Sentinel target: a KQL query per rule over the Sentinel table(s) its log types map
to, packaged as a scheduled analytic rule (Azure-Sentinel repository YAML).

Query shape (one branch per log type, ``union``-ed when a rule has several)::

    AWSCloudTrail
    | mv-apply __e1 = ... on (summarize __hits1 = countif(...), __n1 = count())   # quantifiers
    | where <detection>
    | project-away __e1, __hits1, __n1
    | extend AlertTitle = strcat(...), <entity and custom-detail columns>
    | summarize ... by DedupKey | where Events >= N                           # Threshold > 1

Expression lowering lives in ``kql_lower``; literals in ``kql_text``; Sentinel's document
format and limits in ``kql_sentinel``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from .. import __version__
from ..mapping import MappingError, MappingSet, ResolvedField, load_mappings
from ..mapping.absent import settle_absent
from ..model import MISSING, Field, Rule
from .base import BuildOptions, Finding, Output, Translation
from .kql_lower import ExprLowerer, Slot, TARGET
from .kql_sentinel import (
    MAX_CUSTOM_DETAILS, SEVERITY, duration, lint, mitre, rule_guid, schedule,
)
from .kql_text import Inexpressible, identifier, string_literal

# Panther data-model names -> the Sentinel entity and identifier they fill. Only concepts that
# name the alert's actor or endpoints: ``user``/``user_account_id`` name the *target* of an
# action in Panther's data models (e.g. the IAM user created), not who acted.
ENTITY_BY_DATA_MODEL = {
    "actor_user": ("Account", "Name"),
    "source_ip": ("IP", "Address"),
    "destination_ip": ("IP", "Address"),
    "hostname": ("Host", "HostName"),
    "source_hostname": ("Host", "HostName"),
    "destination_hostname": ("Host", "HostName"),
    "dns_query": ("DNS", "DomainName"),
    "url": ("URL", "Url"),
}

# Kusto column types for mapping types (schema registered with Kusto.Language, and the DuckDB
# table of the execution check).
KUSTO_TYPES = {"string": "string", "ip": "string", "json-string": "string", "number": "real",
               "bool": "bool", "timestamp": "datetime"}


EMPTY = '""'


def detection_of(rule: Rule):
    """InlineFilters AND detection; None when there is none or its extraction is unusable."""
    from ..testing import effective_detection
    return effective_detection(rule)


def table_schema(ms: MappingSet, log_type: str, extra: dict | None = None) -> tuple[str, list[tuple[str, str]]]:
    """(table, [(column, kusto type)]) of a log type's Sentinel table: every column the mapping
    resolves a schema path or an explicit entry to (naming styles included), plus ``extra``
    columns a query reads through the mapping (legacy ``_CL`` tables grow a column per new
    field, so their schema is open)."""
    source = ms.source(log_type, TARGET)
    tm = ms.target_mapping(log_type, TARGET)
    columns: dict[str, str] = {}

    def add(r) -> None:
        if not isinstance(r, ResolvedField):
            return
        for sub in r.any_of:
            add(sub)
        for _rel, sub in r.members:
            add(sub)
        if r.name and r.column_type not in ("constant", "composite"):
            columns.setdefault(r.name, KUSTO_TYPES.get(r.column_type, "dynamic"))

    for entry in tm.entries:
        add(ms.resolve(log_type, TARGET, entry.path))
    for path, _typ in ms.log_type(log_type).schema:
        add(ms.resolve(log_type, TARGET, path))
    for name, typ in (extra or {}).items():
        columns.setdefault(name, typ)
    columns.setdefault("TimeGenerated", "datetime")
    columns.setdefault("Type", "string")
    return source.get("table"), sorted(columns.items())


def query_tables(ms: MappingSet, lowered: "Lowered") -> dict:
    """{table: [(column, kusto type)]} to register for analysing and running ``lowered``."""
    return {table: table_schema(ms, lt, lowered.columns.get(table))[1]
            for table, lt in lowered.tables.items()}


@dataclass
class Branch:
    log_type: str
    table: str
    lines: list = field(default_factory=list)  # detection stages after the table
    alert_lines: list = field(default_factory=list)


@dataclass
class Lowered:
    """A rule's KQL: ``detection`` (the filter, what engines check on test events) and
    ``query`` (the deployed query, with alert columns and threshold)."""

    detection: str = ""
    query: str = ""
    tables: dict = field(default_factory=dict)  # table -> log type
    columns: dict = field(default_factory=dict)  # table -> {column: kusto type} the query reads
    findings: list = field(default_factory=list)
    entities: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
    details_left_out: list = field(default_factory=list)  # output fields past Sentinel's limit
    helpers: dict = field(default_factory=dict)  # helper function name -> its `let` statement

    def helper_lets(self) -> str:
        """The ``let`` statements of the helper functions the query calls (stable order),
        each ending with a newline; '' when none."""
        return "".join(self.helpers[name] + "\n" for name in sorted(self.helpers))
    has_title: bool = False
    grouped: bool = False


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_") or "value"


def _text_of(lowerer: ExprLowerer, f: Field) -> str:
    """A KQL string expression rendering the field as Python would in a title."""
    if f.transforms:
        raise Inexpressible(f"title field {f}", "transforms in alert text are not lowered")
    slot: Slot = lowerer._slot(f, fallback=False)
    shown = "None" if f.default is MISSING else str(f.default)
    t = slot.term
    if t.kind == "string":
        return f"iff({slot.missing_test}, {string_literal(shown)}, {t.expr})"
    return f"iff({slot.missing_test}, {string_literal(shown)}, tostring({t.expr}))"


def lower_rule(rule: Rule, ms: MappingSet, strict: bool = False) -> Lowered:
    out = Lowered()
    if rule.analysis_type != "rule":
        out.findings.append(Finding(rule.analysis_type, "only streaming rules are lowered to "
                                    "Sentinel scheduled queries", "unsupported"))
        return out
    detection = detection_of(rule)
    if detection is None:
        out.findings.append(Finding("detection", "the rule has no canonical detection", "unsupported"))
        return out
    branches: list[Branch] = []
    for log_type in rule.log_types or ():
        lowered_branch = lower_branch(ms, log_type, detection, strict, out)
        if lowered_branch is None:
            continue
        b, lowerer = lowered_branch
        _alert_columns(rule, ms, lowerer, b, out)
        record_columns(out, b.table, lowerer)  # the title's and details' columns as well
        branches.append(b)
    if not branches:
        if not rule.log_types:
            out.findings.append(Finding("LogTypes", "the rule names no log type", "unsupported"))
        return out
    if len(branches) == 1:
        b = branches[0]
        out.detection = "\n".join([b.table] + b.lines)
        body = [b.table] + b.lines + b.alert_lines
    else:
        out.detection = "union\n" + ",\n".join(
            "    (" + "\n    ".join([b.table] + b.lines) + ")" for b in branches)
        body = ["union\n" + ",\n".join(
            "    (" + "\n    ".join([b.table] + b.lines + b.alert_lines) + ")" for b in branches)]
    lets = out.helper_lets()
    out.detection = lets + out.detection
    body[0] = lets + body[0]
    if rule.threshold > 1:
        out.grouped = True
        body.append("| summarize Events = count(), FirstSeen = min(TimeGenerated), "
                    "LastSeen = max(TimeGenerated), arg_max(TimeGenerated, *) by DedupKey")
        body.append(f"| where Events >= {rule.threshold}")
    out.query = "\n".join(body)
    return out


def lower_branch(ms: MappingSet, log_type: str, detection, strict: bool,
                 out: Lowered) -> tuple[Branch, ExprLowerer] | None:
    """The detection over one log type's table (its findings, table and columns recorded in
    ``out``); None when the log type has no table or the detection no KQL form."""
    try:
        table = ms.source(log_type, TARGET).get("table")
    except MappingError as exc:
        out.findings.append(Finding(f"log type {log_type}", str(exc), "unsupported"))
        return None
    lowerer = ExprLowerer(ms, log_type, strict)
    try:
        lowering = lowerer.lower(settle_absent(detection, ms, log_type))
    except Inexpressible as exc:
        out.findings.extend(lowerer.findings)
        out.findings.append(Finding(exc.construct, exc.reason, exc.severity))
        return None
    out.findings.extend(f for f in lowering.findings if f not in out.findings)
    b = Branch(log_type, table)
    drop = []
    for q in lowering.quantifiers:
        b.lines.append(q.stage())
        drop += [q.hits, q.count]
    b.lines.append(f"| where {lowering.condition}")
    b.lines, shared = lowerer.resolve_shared(b.lines)
    drop = shared + drop
    if drop:
        b.lines.append(f"| project-away {', '.join(drop)}")
    out.tables[table] = log_type
    record_columns(out, table, lowerer)
    out.helpers.update(lowerer.helpers)
    return b, lowerer


def record_columns(out: "Lowered", table: str, lowerer: ExprLowerer) -> None:
    """The columns ``lowerer`` has read so far, as the table must have them (a legacy ``_CL``
    table grows a column per field: its schema is open). Several rules (a correlation's steps)
    may read the same table: their columns add up."""
    out.columns.setdefault(table, {}).update(
        {name: KUSTO_TYPES.get(t, "dynamic") for name, t in lowerer.columns.items()
         if t not in ("constant", "composite")})


def _alert_columns(rule: Rule, ms: MappingSet, lowerer: ExprLowerer, b: Branch, out: Lowered) -> None:
    extends: list[str] = []
    lowerer.prefer_udm = True
    if rule.title is not None:
        parts = []
        try:
            for p in rule.title.parts:
                parts.append(string_literal(p) if isinstance(p, str) else _text_of(lowerer, p))
            # its own extend: columns of one extend cannot read each other (DedupKey reads it)
            b.alert_lines.append(f"| extend AlertTitle = strcat({', '.join(parts) or EMPTY})")
            out.has_title = True
        except Inexpressible as exc:
            _add(out, Finding(f"title: {exc.construct}", exc.reason + "; the rule name is the title",
                              "warning"))
    if rule.threshold > 1:
        key = "AlertTitle" if out.has_title else None
        if rule.dedup_key:
            try:
                key = "strcat(" + ", \"|\", ".join(_text_of(lowerer, f) for f in rule.dedup_key) + ")"
            except Inexpressible as exc:
                _add(out, Finding(f"dedup: {exc.construct}", exc.reason, "partial"))
        extends.append(f"DedupKey = {key or string_literal('')}")
    entity_cols: dict = {}
    m = ms.log_type(b.log_type)
    for udm_name, _path in (m.udm if m else ()):
        if udm_name not in ENTITY_BY_DATA_MODEL:
            continue
        entity, ident = ENTITY_BY_DATA_MODEL[udm_name]
        col = _column_for(lowerer, Field((), udm=udm_name), f"{entity}_{ident}_{_safe_name(udm_name)}",
                          extends)
        if col:
            entity_cols[(entity, ident, udm_name)] = col
    for f in rule.output_fields:
        key = _detail_key(f, out.details)
        if key is None:
            continue
        if len(out.details) >= MAX_CUSTOM_DETAILS:
            # Sentinel refuses a rule with more custom details; the alert keeps the first ones
            out.details_left_out.append(f.dotted)
            continue
        col = _column_for(lowerer, f, f"Detail_{_safe_name(f.dotted)}", extends)
        if col in out.details.values():
            continue  # the same column under a second name (another branch's field, a data model)
        if col:
            out.details[key] = col
        else:
            _add(out, Finding(f"custom detail {f.dotted}", "not mapped on Sentinel; left out", "warning"))
    if extends:
        b.alert_lines.append("| extend " + ",\n    ".join(extends))
    if not out.entities:
        out.entities = _entity_mappings(entity_cols)


def _detail_key(f: Field, taken: dict) -> str | None:
    """A customDetails key (letters, digits, _; at most 20): the field's last steps."""
    steps = [_safe_name(str(s)) for s in (f.path or (f.udm or "value",))]
    for n in range(1, len(steps) + 1):
        key = "_".join(steps[-n:])[:20]
        if key not in taken:
            return key
    return None


def _column_for(lowerer: ExprLowerer, f: Field, name: str, extends: list) -> str | None:
    """A column holding the field's text: the table column itself when it is a plain string
    column, else an extended one."""
    try:
        slot = lowerer._slot(f, fallback=False)
    except Inexpressible:
        return None
    if slot.term.kind == "string" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", slot.term.expr) \
            and not f.transforms:
        return slot.term.expr
    extends.append(f"{identifier(name)} = tostring({slot.term.expr})")
    return name


def _entity_mappings(cols: dict) -> list:
    entities: list[dict] = []
    for (entity, ident, _udm), col in cols.items():
        target = next((e for e in entities if e["entityType"] == entity
                       and all(fm["identifier"] != ident for fm in e["fieldMappings"])), None)
        if target is None:
            target = {"entityType": entity, "fieldMappings": []}
            entities.append(target)
        target["fieldMappings"].append({"identifier": ident, "columnName": col})
    return entities


def _add(out: Lowered, f: Finding) -> None:
    if f not in out.findings:
        out.findings.append(f)


# --------------------------------------------------------------------------- packaging
def analytic_rule(rule: Rule, lowered: Lowered, ms: MappingSet) -> tuple[dict, list[Finding]]:
    findings: list[Finding] = []
    minutes, f = schedule(rule.dedup_period_minutes)
    findings += f
    tactics, techniques, f = mitre(rule)
    findings += f
    severity = SEVERITY.get(rule.severity, "Medium")
    if rule.severity == "Critical":
        findings.append(Finding("Severity Critical", "Sentinel's highest severity is High", "warning"))
    if rule.dynamic_severities:
        findings.append(Finding("dynamic severity", "not carried into the analytic rule; the "
                                "rule's static severity applies", "warning"))
    if lowered.details_left_out:
        left = list(dict.fromkeys(lowered.details_left_out))
        findings.append(Finding("customDetails", f"Sentinel keeps at most {MAX_CUSTOM_DETAILS} "
                                f"custom details; left out: {', '.join(left)}", "warning"))
    connectors = []
    for table, log_type in lowered.tables.items():
        ids = [c.strip() for c in (ms.source(log_type, TARGET).get("connector") or "").split(",") if c.strip()]
        if not ids:
            findings.append(Finding(f"data connector for {table}", "the mapping names no Sentinel "
                                    "connector (source key `connector`)", "warning"))
        for cid in ids:
            connectors.append({"connectorId": cid, "dataTypes": [table]})
    grouped = lowered.grouped or lowered.has_title
    doc = {
        "id": rule_guid(rule.id),
        "name": rule.display_name or rule.id,
        "description": rule.description or rule.display_name or rule.id,
        "severity": severity,
        "requiredDataConnectors": connectors,
        "queryFrequency": duration(minutes),
        "queryPeriod": duration(minutes),
        # Threshold > 1 is counted per dedup key inside the query; the rule fires on any row.
        "triggerOperator": "gt",
        "triggerThreshold": 0,
        "tactics": tactics,
        "relevantTechniques": techniques,
        "query": lowered.query,
        "entityMappings": lowered.entities,
        "customDetails": dict(sorted(lowered.details.items())),
        "alertDetailsOverride": ({"alertDisplayNameFormat": "{{AlertTitle}}"}
                                 if lowered.has_title else {}),
        "eventGroupingSettings": {"aggregationKind": "AlertPerResult" if grouped else "SingleAlert"},
        "version": "1.0.0",
        "kind": "Scheduled",
    }
    findings += lint(doc)
    return doc, findings


def _yaml_block(value, indent: int = 2) -> str:
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=10_000)
    return "\n".join((" " * indent + line) if line else line for line in text.rstrip("\n").split("\n"))


def _yaml_scalar(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True, width=10_000).rstrip("\n").removesuffix("\n...")


def _indent_block(text: str) -> str:
    return "\n".join(("  " + line) if line else "" for line in str(text).rstrip("\n").split("\n"))


@lru_cache(maxsize=1)
def _environment():
    """Made once per process (see resources.template_environment), with the YAML filters."""
    import jinja2

    from ..resources import templates_dir
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    env.filters.update(yaml_block=_yaml_block, yaml_scalar=_yaml_scalar, indent_block=_indent_block)
    return env


class KqlBackend:
    name = "kql"
    extension = "yaml"

    def translate(self, rule: Rule, mappings: MappingSet | None = None,
                  options: BuildOptions | None = None) -> Translation:
        ms = mappings or load_mappings()
        options = options or BuildOptions()
        if rule.correlation is not None:
            from .kql_correlation import translate_correlation
            return translate_correlation(rule, ms, options)
        lowered = lower_rule(rule, ms, options.strict)
        findings = list(lowered.findings)
        if not lowered.query:
            return Translation(rule.id, self.name, (), tuple(findings))
        doc, more = analytic_rule(rule, lowered, ms)
        findings += [f for f in more if f not in findings]
        probe = Translation(rule.id, self.name, (Output("", ""),), tuple(findings))
        text = _environment().get_template("kql_analytic_rule.yaml.j2").render(
            doc=doc, version=__version__, rule_id=rule.id, source_file=rule.source_file or "-",
            source_hash=rule.source_hash or "-", verdict=probe.verdict,
            findings=[str(f).replace("\n", " ") for f in findings])
        return Translation(rule.id, self.name, (Output(f"kql/{rule.id}.yaml", text),),
                           tuple(findings), lowered.query)


BACKEND = KqlBackend()
