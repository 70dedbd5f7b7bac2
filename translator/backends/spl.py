"""Splunk SPL backend: one Panther rule -> ``spl/<RuleID>.conf`` (a savedsearches.conf stanza),
and for a whole build a Splunk app ``spl/app/`` (``default/app.conf``,
``default/savedsearches.conf`` holding every stanza).

The search (one line, as a .conf value must be)::

    search index="aws" sourcetype="aws:cloudtrail" eventName="X" | where <exact condition>
    | eval title=<title template>, dedup=<dedup string>
    [| stats count min(_time) as first_seen max(_time) as last_seen values(title) as title
       by dedup | where count >= <Threshold>]
    | table _time, dedup, title, <output fields>

See spl_expr for the condition. Panther groups alerts by the dedup string (the rule's dedup(),
else its title, else the rule id) for DedupPeriodMinutes and counts events for Threshold; the
stanza runs every DedupPeriodMinutes over the last DedupPeriodMinutes and suppresses repeats of
the same ``dedup`` value for that period (``alert.suppress.*``).
"""
from __future__ import annotations

import json
import os

from .. import __version__
from ..mapping import MappingError, MappingSet, Unmapped
from ..mapping.absent import settle_absent
from ..model import All, Field, Rule, Template
from .base import BuildOptions, Finding, Output, Translation, streaming_detection
from .spl_expr import SEARCH_NAME, Inexpressible, Lowering, eval_string, field_ref, search_string

NAME = "spl"
MAPPING_TARGET = "splunk"
APP_NAME = "rulec_detections"
# savedsearches.conf alert.severity: 1 debug, 2 info, 3 warn, 4 error, 5 severe, 6 fatal
SEVERITY = {"Info": 2, "Low": 3, "Medium": 4, "High": 5, "Critical": 6}
ES_SEVERITY = {"Info": "informational", "Low": "low", "Medium": "medium", "High": "high",
               "Critical": "critical"}


def cron_for(minutes: int) -> tuple[str, int, str]:
    """A cron schedule running every ``minutes`` (Panther's DedupPeriodMinutes); returns
    (cron, the period it really has, a note when it had to round)."""
    m = max(int(minutes or 60), 1)
    if m < 60 and 60 % m == 0:
        return ("* * * * *" if m == 1 else f"*/{m} * * * *"), m, ""
    if m % 60 == 0 and 24 % (m // 60) == 0:
        h = m // 60
        return ("0 * * * *" if h == 1 else "0 0 * * *" if h == 24 else f"0 */{h} * * *"), m, ""
    if m % 1440 == 0:
        return "0 0 * * *", 1440, (f"cron cannot run every {m} minutes: scheduled daily, "
                                   f"looking back {m} minutes")
    for step in (30, 20, 15, 12, 10, 6, 5, 4, 3, 2, 1):
        if step <= m and m % step == 0:
            return f"*/{step} * * * *", step, (f"cron cannot run every {m} minutes: every "
                                               f"{step} minutes, looking back {m} minutes")
    return "*/5 * * * *", 5, f"cron cannot run every {m} minutes: every 5, looking back {m}"


def conf_value(text: str) -> str:
    """One line, no trailing backslash (a .conf line ending in ``\\`` continues)."""
    line = " ".join(str(text).split())
    return line + " " if line.endswith("\\") else line


class SplBackend:
    name = NAME

    def translate(self, rule: Rule, mappings: MappingSet, options: BuildOptions | None = None
                  ) -> Translation:
        options = options or BuildOptions()
        if rule.correlation is not None:
            from .spl_correlation import translate_correlation
            return translate_correlation(self, rule, mappings, options)
        expr, refused = streaming_detection(rule, NAME, "the SPL backend")
        if refused is not None:
            return refused
        findings: list[Finding] = []
        branches, failed, first = self.branches(rule, expr, mappings, options, findings)
        if not branches:
            return Translation(rule.id, NAME, (), tuple(findings + failed))
        for f in failed:  # other log types are searched: this one is left out
            findings.append(Finding(f.construct, f.reason + "; this log type is left out of "
                                    "the search", "partial"))
        query = self._query(rule, branches, first, findings)
        stanza = self._stanza(rule, query, findings)
        verdict = Translation(rule.id, NAME, (Output("", stanza),), tuple(findings)).verdict
        text = render("spl_savedsearch.conf.j2", rule=rule, body=stanza, verdict=verdict,
                      findings=[" ".join(str(f).split()) for f in findings],
                      source_file=_relative(rule.source_file), version=__version__)
        return Translation(rule.id, NAME, (Output(f"{NAME}/{rule.id}.conf", text),),
                           tuple(findings), query=query)

    def branches(self, rule: Rule, expr, mappings: MappingSet, options: BuildOptions,
                 findings: list) -> tuple[list, list, Lowering | None]:
        """Per log type: (source attributes, search terms, exact condition); the log types
        that failed (findings), and the first Lowering (for alert columns)."""
        branches: list = []
        failed: list[Finding] = []
        first: Lowering | None = None
        for log_type in rule.log_types:
            try:
                source = mappings.source(log_type, MAPPING_TARGET)
            except MappingError as exc:
                failed.append(Finding(f"log type {log_type}", str(exc), "unsupported"))
                continue
            low = Lowering(mappings, log_type, strict=options.strict)
            settled = settle_absent(expr, mappings, log_type)
            try:
                cond, dropped = self._condition(low, settled)
            except Inexpressible as exc:
                findings.extend(x for x in low.findings if x not in findings)
                failed.append(Finding(f"{exc.construct} ({log_type})", exc.reason,
                                      "unsupported"))
                continue
            findings.extend(x for x in low.findings if x not in findings)
            for d in dropped:
                findings.append(Finding(d.construct, d.reason + "; left out of the condition "
                                        "(the search matches more events)", "partial"))
            src = [(k, str(v)) for k, v in source.attrs
                   if k in ("index", "sourcetype") and search_string(str(v))]
            branches.append((src, low.search_terms(settled), cond))
            first = first or low
        return branches, failed, first

    @staticmethod
    def _condition(low: Lowering, expr):
        """The exact condition; an inexpressible top-level conjunct is dropped (reported as
        partial: the search then over-matches), anything else inexpressible fails the rule."""
        items = list(expr.items) if isinstance(expr, All) else [expr]
        parts, dropped = [], []
        for item in items:
            try:
                parts.append(low.condition(item))
            except Inexpressible as exc:
                if len(items) == 1:
                    raise
                dropped.append(exc)
        if len(dropped) == len(items):
            raise dropped[0]
        cond = parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
        return cond, dropped

    @staticmethod
    def head(branches: list) -> str:
        """``search <sources and terms> | where <condition>`` over the branches."""
        def terms(src, extra):
            return " ".join([f"{k}={search_string(v)}" for k, v in src] + list(extra))

        if len(branches) == 1:
            src, extra, cond = branches[0]
            return f"search {terms(src, extra)} | where {cond}"
        # several log types: one search over all sources, each condition tied to its source
        ors = " OR ".join(f"({terms(src, extra)})" for src, extra, _ in branches)
        conds = []
        for src, _extra, cond in branches:
            test = " AND ".join(f"{field_ref(k)}=={eval_string(v)}" for k, v in src)
            conds.append(f"({test} AND {cond})" if test else cond)
        return f"search {ors} | where {' OR '.join(conds)}"

    def _query(self, rule: Rule, branches: list, low: Lowering, findings: list) -> str:
        head = self.head(branches)
        title = self._template(rule.title, low, findings, "title") if rule.title else \
            eval_string(rule.display_name or rule.id)
        if rule.dedup_key:
            dedup = self._template(Template(_joined(rule.dedup_key)), low, findings, "dedup")
        else:
            dedup = "title"
        stages = [head, f"eval title={title}, dedup={dedup}"]
        outputs = ["_time", "dedup", "title"] + self._output_fields(rule, low, findings)
        if rule.threshold > 1:
            stages.append("stats count min(_time) as first_seen max(_time) as last_seen "
                          "values(title) as title by dedup")
            stages.append(f"where count >= {int(rule.threshold)}")
            outputs = ["dedup", "title", "count", "first_seen", "last_seen"]
            findings.append(Finding("threshold", f"counted per dedup value over each "
                                    f"{rule.dedup_period_minutes}-minute search window, not "
                                    "Panther's sliding window from the first event", "warning"))
        stages.append("table " + ", ".join(dict.fromkeys(outputs)))
        return " | ".join(stages)

    def _template(self, tpl: Template, low: Lowering, findings: list, what: str) -> str:
        parts = []
        for p in tpl.parts:
            if isinstance(p, str):
                if p:
                    parts.append(eval_string(p))
                continue
            try:
                v = low.value(Field(p.path, transforms=p.transforms, root=p.root, udm=p.udm))
            except (Inexpressible, MappingError) as exc:
                findings.append(Finding(f"{what} field {p}", f"{exc}; written as its text "
                                        "for a missing value", "warning"))
                parts.append(eval_string(_missing_text(p)))
                continue
            text = f"mvjoin({v.text}, \", \")" if v.multi else v.text
            parts.append(f"coalesce({text}, {eval_string(_missing_text(p))})")
        if not parts:
            return '""'
        return parts[0] if len(parts) == 1 else " . ".join(parts)

    def _output_fields(self, rule: Rule, low: Lowering, findings: list) -> list[str]:
        out = []
        for f in rule.output_fields:
            if f.transforms or any(isinstance(s, int) for s in f.path):
                findings.append(Finding(f"output field {f}", "not a plain Splunk field; left "
                                        "out of the table", "warning"))
                continue
            try:
                r = low.resolve(f)
            except (Inexpressible, MappingError) as exc:
                findings.append(Finding(f"output field {f}", f"{exc}; left out of the table",
                                        "warning"))
                continue
            if not r.name or r.members or r.any_of or r.steps:
                findings.append(Finding(f"output field {f}", "no single Splunk field; left "
                                        "out of the table", "warning"))
                continue
            if not SEARCH_NAME.match(r.name):
                findings.append(Finding(f"output field {f}", f"{r.name!r} is not a plain field "
                                        "name for table; left out of the table", "warning"))
                continue
            out.append(r.name)
        return out

    def _stanza(self, rule: Rule, query: str, findings: list, cron: str = "",
                window: int = 0, suppress: bool = True) -> str:
        """The savedsearches.conf stanza; ``cron``/``window`` default to the rule's dedup
        period (a correlation rule passes its Schedule and LookbackWindowMinutes, and alerts
        per result row: it has no dedup field to suppress on)."""
        if not cron:
            cron, _period, note = cron_for(rule.dedup_period_minutes)
            if note:
                findings.append(Finding("schedule", note, "warning"))
        window = window or max(int(rule.dedup_period_minutes or 60), 1)
        annotations: dict = {}
        techniques = sorted({m.technique for m in rule.mitre if m.technique})
        if techniques:
            annotations["mitre_attack"] = techniques
        tactics = sorted({m.tactic for m in rule.mitre if m.tactic})
        if tactics:
            annotations["mitre_attack_tactics"] = tactics
        if rule.dynamic_severities:
            findings.append(Finding("dynamic severity", "a saved search has one severity: "
                                    f"written as the rule's Severity ({rule.severity})",
                                    "warning"))
        keys = [
            ("action.correlationsearch.annotations", json.dumps(annotations, sort_keys=True)
             if annotations else ""),
            ("action.correlationsearch.enabled", "1"),
            ("action.correlationsearch.label", conf_value(rule.display_name or rule.id)),
            ("action.notable.param.rule_title", conf_value(rule.display_name or rule.id)),
            ("action.notable.param.severity", ES_SEVERITY.get(rule.severity, "informational")),
            ("alert.severity", str(SEVERITY.get(rule.severity, 2))),
            ("alert.suppress", "1" if suppress else "0"),
            ("alert.suppress.fields", "dedup" if suppress else ""),
            ("alert.suppress.period", f"{window}m" if suppress else ""),
            ("alert.track", "1"),
            ("counttype", "number of events"),
            ("cron_schedule", cron),
            ("description", conf_value(rule.description or rule.display_name or rule.id)),
            ("disabled", "0" if rule.enabled else "1"),
            ("dispatch.earliest_time", f"-{window}m@m"),
            ("dispatch.latest_time", "@m"),
            ("enableSched", "1"),
            ("quantity", "0"),
            ("relation", "greater than"),
            ("search", query),
        ]
        lines = [f"[{_stanza_name(rule)}]"] + [f"{k} = {v}" for k, v in keys if v != ""]
        return "\n".join(lines) + "\n"

    def package(self, translations, options: BuildOptions | None = None) -> list[Output]:
        """The Splunk app: every rule's stanza in one savedsearches.conf, plus app.conf."""
        stanzas = []
        for t in sorted(translations, key=lambda t: t.rule_id):
            for out in t.outputs:
                if out.path.startswith(f"{NAME}/") and out.path.endswith(".conf") \
                        and "/app/" not in out.path:
                    stanzas.append(out.text)
        if not stanzas:
            return []
        return [
            Output(f"{NAME}/app/default/savedsearches.conf",
                   render("spl_app_savedsearches.conf.j2", stanzas=stanzas, version=__version__)),
            Output(f"{NAME}/app/default/app.conf",
                   render("spl_app.conf.j2", app=APP_NAME, version=__version__,
                          count=len(stanzas))),
        ]


def _stanza_name(rule: Rule) -> str:
    return rule.id.replace("[", "(").replace("]", ")").replace("\n", " ")


def _joined(fields: tuple) -> tuple:
    out: list = []
    for i, f in enumerate(fields):
        if i:
            out.append(":")
        out.append(f)
    return tuple(out)


def _missing_text(f: Field) -> str:
    from ..model import MISSING
    return str(f.default) if f.default is not MISSING else "None"


def render(template: str, **kw) -> str:
    from ..resources import template_environment

    return template_environment().get_template(template).render(**kw)


def _relative(path: str) -> str:
    if not path or not os.path.isabs(path):
        return path.replace(os.sep, "/")
    rel = os.path.relpath(path)
    return rel.replace(os.sep, "/") if not rel.startswith("..") else os.path.basename(path)


BACKEND = SplBackend()

__all__ = ["BACKEND", "SplBackend", "cron_for", "conf_value", "field_ref", "Unmapped"]
