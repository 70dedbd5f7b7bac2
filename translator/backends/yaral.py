"""YARA-L 2.0 backend (Google SecOps / Chronicle): one Panther rule -> ``yaral/<RuleID>.yaral``.

Sections: ``meta`` (author, description, rule id, severity, priority, references, runbook,
MITRE ATT&CK, rulec version); ``events`` over ``$e``: ``$e.metadata.log_type`` (per log type)
and the detection (translator/backends/yaral_detection.py); ``outcome``: ``$risk_score`` from
Severity, the title, the output fields; ``condition``.

Dedup and thresholds: a rule with Threshold 1 is a single-event rule; Panther's dedup becomes
``options: suppression_window = <DedupPeriodMinutes>m`` with ``$suppression_key`` built from
the dedup fields (or the title's fields). A rule with Threshold N counts events per dedup key:
placeholders for the dedup fields, ``match: ... over <DedupPeriodMinutes>m``, ``#e >= N``,
``allow_zero_values = true`` (Panther also counts events whose dedup field is missing).
Windows differ in one respect, stated in each file: YARA-L windows are fixed (match: hop,
suppression: tumbling) where Panther's dedup period starts at the first alert.
"""
from __future__ import annotations

import re
from typing import Any

from .. import __version__
from ..mapping import MappingError, MappingSet
from ..mapping.absent import settle_absent
from ..model import Field, Rule
from .base import BuildOptions, Finding, Output, Translation, streaming_detection
from .sigma import sigma_name
from .yaral_detection import Inexpressible, Lowering, Ref, string_literal

NAME = "yaral"
RISK = {"Info": 10, "Low": 25, "Medium": 50, "High": 75, "Critical": 95}
PRIORITY = {"Info": "Info", "Low": "Low", "Medium": "Medium", "High": "High", "Critical": "Critical"}


def rule_name(rule_id: str) -> str:
    """A YARA-L rule name: an identifier (letter first, letters/digits/underscores)."""
    name = sigma_name(rule_id)
    return name if re.match(r"[a-z]", name) else "rule_" + name


def display_text(text: str) -> str:
    """Meta/outcome text on one line (no documented escapes for control characters)."""
    return string_literal(" ".join(text.split()))


def var_name(f: Field, taken: set) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", (f.udm or f.dotted).lower()).strip("_") or "field"
    base = base if base[0].isalpha() else "f_" + base
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


class YaralBackend:
    name = NAME

    def translate(self, rule: Rule, mappings: MappingSet, options: BuildOptions | None = None
                  ) -> Translation:
        options = options or BuildOptions()
        if rule.correlation is not None:
            from .yaral_correlation import translate_correlation
            return translate_correlation(self, rule, mappings, options)
        expr, refused = streaming_detection(rule, NAME, "YARA-L")
        if refused is not None:
            return refused
        findings: list[Finding] = []
        events, first = events_filter(rule.log_types, expr, mappings, options.strict, findings)
        if any(f.severity == "unsupported" for f in findings) or first is None:
            return Translation(rule.id, NAME, (), tuple(findings))
        return translation(rule, self._rule(rule, first, events, findings), findings)

    # ------------------------------------------------------------------ sections
    def _rule(self, rule: Rule, lowering: Lowering, events: str, findings: list) -> str:
        multi = rule.threshold > 1
        taken: set = set()
        lines = [f"rule {rule_name(rule.id)} {{", "  meta:"]
        lines += [f"    {k} = {display_text(str(v))}" for k, v in self._meta(rule) if v]
        lines += ["", "  events:", f"    {events}"]
        group = list(rule.dedup_key) or [p for p in (rule.title.parts if rule.title else ())
                                         if isinstance(p, Field)]
        group_refs = []
        for f in group:
            ref = self._single(lowering, f, findings, "dedup field")
            if ref is not None:
                group_refs.append((var_name(f, taken), ref))
        if multi:
            if not group_refs:
                taken.add("log_type")
                group_refs = [("log_type", None)]
            for var, ref in group_refs:
                lines.append(f"    ${var} = $e." + (ref.name if ref else "metadata.log_type"))
            window = max(1, rule.dedup_period_minutes)
            lines += ["", "  match:", f"    {', '.join('$' + v for v, _ in group_refs)} over {window}m"]
        lines += ["", "  outcome:"]
        risk = RISK.get(rule.severity, 10)
        lines.append(f"    $risk_score = {f'max({risk})' if multi else risk}")
        if rule.dynamic_severities:
            findings.append(Finding("dynamic severity", f"$risk_score is the rule's Severity "
                                    f"({rule.severity}); severity() was not translated", "warning"))
        title = self._concat(rule.title.parts if rule.title else (rule.display_name or rule.id,),
                             lowering, findings)
        lines.append(f"    $title = {f'array_distinct({title})' if multi else title}")
        for f in rule.output_fields:
            ref = self._single(lowering, f, findings, "output field", quiet=True)
            if ref is None:
                continue
            value = f"$e.{ref.name}"
            lines.append(f"    ${var_name(f, taken)} = " + (f"array_distinct({value})" if multi else value))
        if not multi and group_refs:
            key = self._concat(_joined([Field((), udm=v) for v, _ in group_refs]), lowering,
                               findings, refs=dict(group_refs))
            lines.append(f"    $suppression_key = {key}")
        lines += ["", "  condition:", f"    #e >= {rule.threshold}" if multi else "    $e", "",
                  "  options:"]
        if multi:
            lines.append("    allow_zero_values = true")
        else:
            lines.append(f"    suppression_window = {max(1, rule.dedup_period_minutes)}m")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _meta(self, rule: Rule) -> list[tuple[str, Any]]:
        """Meta keys as Google's curated rules spell them (ATT&CK by name, with the ids)."""
        from ..mitre import tactic_name, technique_name
        tactics = [f"{tactic_name(m.tactic)} ({m.tactic})" for m in rule.mitre]
        techniques = [f"{technique_name(m.technique) or m.technique} ({m.technique})"
                      for m in rule.mitre if m.technique]
        urls = [f"https://attack.mitre.org/techniques/{m.technique.replace('.', '/')}/"
                for m in rule.mitre if m.technique]
        return [
            ("author", "rulec"),
            ("description", rule.description or f"Panther rule {rule.id}"),
            ("rule_id", rule.id),
            ("rule_name", rule.display_name),
            ("severity", rule.severity),
            ("priority", PRIORITY.get(rule.severity, "Info")),
            ("reference", rule.reference),
            ("runbook", rule.runbook),
            ("mitre_attack_tactic", ", ".join(dict.fromkeys(tactics))),
            ("mitre_attack_technique", ", ".join(dict.fromkeys(techniques))),
            ("mitre_attack_url", " ".join(dict.fromkeys(urls))),
            ("tags", ", ".join(rule.tags)),
            ("rulec_version", __version__),
        ]

    def _single(self, lowering: Lowering, f: Field, findings: list, what: str,
                quiet: bool = False) -> Ref | None:
        """A single-valued UDM field for ``f`` (outcome/match use), or None with a finding."""
        try:
            ref = lowering.ref(f, fallback=False)
        except Inexpressible as exc:
            ref = None
            reason = exc.reason
        else:
            reason = "not a single UDM field" if not isinstance(ref, Ref) else \
                "a repeated UDM field" if ref.repeated else "transformed" if f.transforms else ""
        findings.extend(x for x in lowering.findings if x not in findings)
        if ref is None or reason:
            findings.append(Finding(f"{what} {f.dotted}", f"left out: {reason}", "warning"))
            return None
        return ref

    def _concat(self, parts, lowering: Lowering, findings: list, refs: dict | None = None) -> str:
        args = []
        for p in parts:
            if isinstance(p, str):
                if p:
                    args.append(display_text(p) if p.strip() else string_literal(" "))
            elif refs is not None and p.udm in refs:
                args.append(f"$e.{refs[p.udm].name}")
            else:
                ref = self._single(lowering, p, findings, "title field")
                if ref is not None:
                    args.append(f"$e.{ref.name}")
        if not args:
            return string_literal("")
        return args[0] if len(args) == 1 else f"strings.concat({', '.join(args)})"


def translation(rule: Rule, body: str, findings: list) -> Translation:
    """The ``.yaral`` file of ``body`` (the rule text) through its template."""
    from ..resources import template_environment
    verdict = Translation(rule.id, NAME, (Output("", body),), tuple(findings)).verdict
    text = template_environment().get_template("yaral_rule.yaral.j2").render(
        version=__version__, rule_id=rule.id, source_file=rule.source_file or "-",
        source_hash=rule.source_hash or "-", verdict=verdict,
        findings=[" ".join(str(f).split()) for f in findings], body=body)
    return Translation(rule.id, NAME, (Output(f"{NAME}/{rule.id}.yaral", text),),
                       tuple(findings), query=body)


def events_filter(log_types, expr, mappings: MappingSet, strict: bool,
                  findings: list) -> tuple[str, Lowering | None]:
    """The events-section filter of ``expr`` over ``$e`` (one block per log type, ``or``-ed
    when there are several) and the first log type's Lowering (None: nothing expressible;
    ``findings`` say why)."""
    branches: list[str] = []
    first: Lowering | None = None
    for log_type in log_types:
        try:
            source = mappings.source(log_type, "chronicle")
        except MappingError as exc:
            findings.append(Finding(f"log type {log_type}", str(exc), "unsupported"))
            continue
        lowering = Lowering(mappings, log_type, strict=strict)
        selector = f"$e.metadata.log_type = {string_literal(str(source.get('log_type')))}"
        try:
            text = lowering.lower_lines(settle_absent(expr, mappings, log_type))
        except Inexpressible as exc:
            findings.append(Finding(exc.construct, exc.reason, "unsupported"))
            continue
        finally:
            findings.extend(f for f in lowering.findings if f not in findings)
        if text is False:
            findings.append(Finding(f"detection on {log_type}", "can never match (reduces to "
                                    "false on this log type)", "unsupported"))
            continue
        first = first or lowering
        if len(log_types) == 1:
            branches.append("\n    ".join([selector] + ([] if text is True else text)))
        else:
            branches.append("(" + " and ".join([selector] + ([] if text is True else text)) + ")")
    if not branches:
        return "", None
    return (branches[0] if len(branches) == 1 else "(" + "\n    or ".join(branches) + ")"), first


def _joined(fields: list) -> list:
    out: list = []
    for i, f in enumerate(fields):
        if i:
            out.append("|")
        out.append(f)
    return out


BACKEND = YaralBackend()
