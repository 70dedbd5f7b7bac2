"""Sigma backend: one Panther rule -> one ``sigma/<RuleID>.yml`` (multi-document YAML).

Documents: one Sigma rule per log type of the Panther rule (Sigma has one logsource per rule;
they point at each other with ``related: similar``), then, when the rule has a Threshold, a
Sigma correlation rule (``event_count`` over the dedup period, grouped by the dedup fields).

Every document is built as a Python dict, checked with pySigma 2 (``SigmaRule.from_dict`` /
``SigmaCorrelationRule.from_dict``) and written with yaml in SigmaHQ's key order; the file goes
through ``templates/sigma_rule.yml.j2`` for the provenance header. Deterministic bytes: ids are
UUIDv5 of the RuleID and the date is fixed (build option ``sigma_date``, else
``DEFAULT_DATE``), never the wall clock.

Case policy: Sigma matches strings case-insensitively by default and Python's ``==``/``in``/
``startswith`` are case-sensitive, so every case-sensitive string test is written with
``|cased`` (regexes get ``|i`` when Python ignores case). Sigma's ``|fieldref`` cannot be
``|cased``; those are reported.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import uuid
from typing import Any

import yaml

from .. import __version__
from ..mapping import MappingError, MappingSet, Unmapped
from ..mitre import tactic_shortname
from ..model import Field, Rule
from .base import BuildOptions, Finding, Output, Translation, streaming_detection
from .sigma_detection import Lowering, container_paths, to_detection

NAME = "sigma"
# Namespace of rulec's Sigma ids: uuid5(NAMESPACE_URL, "https://rulec.dev/sigma").
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://rulec.dev/sigma")
DEFAULT_DATE = "2026-01-01"  # rulec's fixed rule date when no sigma_date/SOURCE_DATE_EPOCH
LEVELS = {"Info": "informational", "Low": "low", "Medium": "medium", "High": "high",
          "Critical": "critical"}
KEY_ORDER = ("title", "id", "related", "name", "status", "description", "references", "author",
             "date", "modified", "tags", "logsource", "detection", "correlation", "fields",
             "falsepositives", "level")


def rule_uuid(rule_id: str, suffix: str = "") -> str:
    return str(uuid.uuid5(ID_NAMESPACE, rule_id + (f"#{suffix}" if suffix else "")))


# --------------------------------------------------------------------------- metadata


def sigma_name(rule_id: str, suffix: str = "") -> str:
    """``AWS.EC2.SecurityGroupModified`` -> ``aws_ec2_security_group_modified``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", rule_id)
    base = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    return base + (f"_{suffix}" if suffix else "")


_TITLE_SMALL_WORDS: frozenset | None = None


def title_case(text: str) -> str:
    """SigmaHQ casing: capitalise lower-case words except the ones its validator allows."""
    global _TITLE_SMALL_WORDS
    if _TITLE_SMALL_WORDS is None:
        try:
            from sigma.validators.sigmahq.title import SigmahqTitleCaseValidator
            _TITLE_SMALL_WORDS = frozenset(SigmahqTitleCaseValidator().word_list)
        except ImportError:  # pragma: no cover
            _TITLE_SMALL_WORDS = frozenset()
    text = re.sub(r"^Detects? ", "", text.strip().rstrip("."))  # SigmaHQ: no "Detects ..."
    words = []
    for i, w in enumerate(text.split(" ")):
        plain = w.islower() and not any(c in w for c in "./_") and not w[:1].isdigit()
        if w and plain and (i == 0 or w not in _TITLE_SMALL_WORDS):
            first = next((j for j, c in enumerate(w) if c.isalpha()), 0)
            w = w[:first] + w[first].upper() + w[first + 1:]
        words.append(w)
    return " ".join(words).rstrip(".")


def rule_date(options: BuildOptions) -> str:
    """The rule's ``date``: the build option ``sigma_date`` or rulec's fixed date. Never the
    wall clock or the environment (the build cache keys on the options only)."""
    explicit = (options.extra or {}).get("sigma_date")
    if explicit:
        return str(_dt.date.fromisoformat(str(explicit)))
    return DEFAULT_DATE


_MITRE_LINK = re.compile(r"https?://attack\.mitre\.org/(techniques|tactics)/"
                         r"(T[0-9]{4}|TA[0-9]{4})(?:/([0-9]{3}))?/?$", re.IGNORECASE)


def mitre_link_tag(url: str) -> str | None:
    """``https://attack.mitre.org/techniques/T1562/007/`` -> ``attack.t1562.007`` (SigmaHQ
    writes ATT&CK as tags, not references)."""
    m = _MITRE_LINK.match(url)
    if not m:
        return None
    if m.group(1).lower() == "tactics":
        name = tactic_shortname(m.group(2))
        return f"attack.{name}" if name else None
    return "attack." + m.group(2).lower() + (f".{m.group(3)}" if m.group(3) else "")


def tags(rule: Rule, findings: list) -> list[str]:
    out: list[str] = []
    for ref in rule.mitre:
        name = tactic_shortname(ref.tactic)
        if name is None:
            findings.append(Finding(f"MITRE tactic {ref.tactic}", "not in rulec's bundled "
                                    "ATT&CK tactic table; no tag written", "warning"))
        else:
            out.append(f"attack.{name}")
        if ref.technique:
            out.append(f"attack.{ref.technique.lower()}")
    for url in rule.reference.split() + rule.runbook.split():
        tag = mitre_link_tag(url)
        if tag:
            out.append(tag)
    return list(dict.fromkeys(out))


def references(rule: Rule) -> list[str]:
    out = []
    for text in (rule.reference, rule.runbook):
        tokens = text.split()
        if tokens and all(re.match(r"https?://", t) for t in tokens):
            out.extend(t for t in tokens if not mitre_link_tag(t))
        elif text and text is rule.reference:
            out.append(text)
    return list(dict.fromkeys(out))


def description(rule: Rule) -> str:
    text = " ".join(rule.description.split())
    if len(text) < 16:  # SigmaHQ asks for more than a few words; say where the rule is from
        text = (text + " " if text else "") + f"(Panther rule {rule.id})"
    runbook = rule.runbook.strip()
    if runbook and not all(re.match(r"https?://", t) for t in runbook.split()):
        text += " Runbook: " + " ".join(runbook.split())
    return text


def ordered(doc: dict) -> dict:
    return {k: doc[k] for k in KEY_ORDER if k in doc} | {k: v for k, v in doc.items()
                                                          if k not in KEY_ORDER}


# --------------------------------------------------------------------------- translation


class SigmaBackend:
    name = NAME

    def translate(self, rule: Rule, mappings: MappingSet, options: BuildOptions | None = None
                  ) -> Translation:
        options = options or BuildOptions()
        if rule.correlation is not None:
            from .sigma_correlation import translate_correlation
            return translate_correlation(self, rule, mappings, options)
        findings: list[Finding] = []
        expr, refused = streaming_detection(rule, NAME, "Sigma")
        if refused is not None:
            return refused
        containers = container_paths(t.log for t in rule.tests)
        arrays = container_paths((t.log for t in rule.tests), arrays_only=True)
        docs: list[dict] = []
        base_names: list[tuple] = []  # (log type, Sigma name) of each base document
        log_types = list(rule.log_types)
        ids = [rule_uuid(rule.id, "" if i == 0 else lt) for i, lt in enumerate(log_types)]
        for i, log_type in enumerate(log_types):
            try:
                source = mappings.source(log_type, NAME)
            except MappingError as exc:
                findings.append(Finding(f"log type {log_type}", str(exc), "unsupported"))
                continue
            lowering = Lowering(mappings, log_type, strict=options.strict,
                                container_paths=containers, array_paths=arrays)
            tree = lowering.lower_detection(expr)
            findings.extend(f for f in lowering.findings if f not in findings)
            if isinstance(tree, bool):
                findings.append(Finding(f"detection on {log_type}", "reduces to the constant "
                                        f"{tree} (every event / no event), which a Sigma "
                                        "detection cannot state", "unsupported"))
                continue
            name = sigma_name(rule.id if i == 0 else f"{rule.id}_{log_type}")
            doc: dict[str, Any] = {
                "title": title_case(rule.display_name or rule.id)
                + (f" ({log_type})" if len(log_types) > 1 else ""),
                "id": ids[i],
                "status": "experimental",
                "description": description(rule),
                "author": (options.extra or {}).get("sigma_author", "rulec"),
                "date": rule_date(options),
                "logsource": dict(source.attrs),
                "detection": to_detection(tree),
                "falsepositives": ["Unknown"],
                "level": LEVELS.get(rule.severity, "informational"),
            }
            related = [{"id": other, "type": "similar"} for other in ids if other != ids[i]]
            if related:
                doc["related"] = related
            if references(rule):
                doc["references"] = references(rule)
            doc_tags = tags(rule, findings if i == 0 else [])
            if doc_tags:
                doc["tags"] = doc_tags
            fields = self._fields(rule, mappings, log_type, findings)
            if fields:
                doc["fields"] = fields
            if rule.threshold > 1:
                doc["name"] = name
            docs.append(ordered(doc))
            base_names.append((log_type, name))
        if not docs:
            return Translation(rule.id, NAME, (), tuple(findings))
        if rule.dynamic_severities:
            findings.append(Finding("dynamic severity", "a Sigma rule has one level: written "
                                    f"as the rule's Severity ({rule.severity})", "warning"))
        if rule.threshold > 1:
            docs.append(self._correlation(rule, mappings, base_names, options, findings))
        for d in docs:
            self._check(d)
        body = "---\n".join(dump(d) for d in docs)
        verdict = Translation(rule.id, NAME, (Output("", body),), tuple(findings)).verdict
        text = render(rule, body, tuple(findings), verdict)
        return Translation(rule.id, NAME, (Output(f"{NAME}/{rule.id}.yml", text),),
                           tuple(findings), query=body)

    def _fields(self, rule: Rule, mappings: MappingSet, log_type: str, findings: list) -> list:
        out = []
        others = [lt for lt in rule.log_types if lt != log_type]
        for f in rule.output_fields:
            if others and not _plain_name(mappings, log_type, f) and any(
                    _plain_name(mappings, lt, f) for lt in others):
                continue  # an output field of another log type of this rule
            name = _field_name(mappings, log_type, f, findings)
            if name:
                out.append(name)
        return list(dict.fromkeys(out))

    def _correlation(self, rule: Rule, mappings: MappingSet, bases: list, options,
                     findings: list) -> dict:
        """``bases``: (log type, Sigma rule name) of the documents the threshold counts."""
        group_fields = list(rule.dedup_key) or [p for p in (rule.title.parts if rule.title else ())
                                                if isinstance(p, Field)] or list(rule.group_by)
        if group_fields:
            findings.append(Finding("threshold group-by", "events lacking a group-by field are "
                                    "not counted by Sigma correlation (Panther groups them under "
                                    "the title's default text)", "warning"))
        elif _defines(rule.python_file, ("dedup", "title")):
            findings.append(Finding("threshold group-by", "the rule's dedup()/title() was not "
                                    "extracted, so the Sigma correlation counts all matching "
                                    "events together (Panther counts per dedup string)"))
        else:
            findings.append(Finding("threshold group-by", "no dedup key or dynamic title: every "
                                    "matching event counts towards one threshold", "warning"))
        group_by: list[str] = []
        aliases: dict[str, dict] = {}
        for f in group_fields:
            names = {name: _field_name(mappings, lt, f, findings if i == 0 else [])
                     for i, (lt, name) in enumerate(bases)}
            if None in names.values():
                findings.append(Finding(f"threshold group-by {f}", "no Sigma field on every "
                                        "log type; left out of group-by"))
                continue
            if len(set(names.values())) == 1:
                group_by.append(next(iter(names.values())))
            else:  # one field, spelled per logsource: a Sigma correlation alias
                alias = re.sub(r"[^a-z0-9]+", "_", (f.udm or f.dotted).lower()).strip("_")
                aliases[alias] = names
                group_by.append(alias)
        findings.append(Finding("threshold window", "Sigma's timespan slides over the events; "
                                "Panther's dedup period starts at the first matching event, so "
                                "the Sigma correlation may alert on bursts Panther splits across "
                                "two periods", "warning"))
        correlation: dict[str, Any] = {"type": "event_count",
                                       "rules": [name for _lt, name in bases]}
        if group_by:
            correlation["group-by"] = list(dict.fromkeys(group_by))
        if aliases:
            correlation["aliases"] = aliases
        correlation["timespan"] = f"{max(rule.dedup_period_minutes, 1)}m"
        correlation["condition"] = {"gte": rule.threshold}
        title = title_case(rule.display_name or rule.id)
        return ordered({
            "title": f"{title} Threshold",
            "id": rule_uuid(rule.id, "threshold"),
            "related": [{"id": rule_uuid(rule.id), "type": "derived"}],
            "status": "experimental",
            "description": f"{rule.threshold} or more events of {title} within "
                           f"{rule.dedup_period_minutes} minutes (Panther Threshold and "
                           "DedupPeriodMinutes).",
            "author": (options.extra or {}).get("sigma_author", "rulec"),
            "date": rule_date(options),
            "correlation": correlation,
            "level": LEVELS.get(rule.severity, "informational"),
        })

    @staticmethod
    def _check(doc: dict) -> None:
        """pySigma's own parser is the judge; a rejection is a rulec bug (raise)."""
        from sigma.correlations import SigmaCorrelationRule
        from sigma.rule import SigmaRule
        (SigmaCorrelationRule if "correlation" in doc else SigmaRule).from_dict(doc)


def _defines(python_file: str, names: tuple) -> bool:
    """Whether the rule's Python module defines one of ``names`` at top level (parsed, never
    run)."""
    import ast
    if not python_file:
        return False
    try:
        tree = ast.parse(open(python_file, encoding="utf-8").read())
    except (OSError, SyntaxError, ValueError):
        return False
    return any(isinstance(n, ast.FunctionDef) and n.name in names for n in tree.body)


def _plain_name(mappings: MappingSet, log_type: str, f: Field) -> bool:
    try:
        return not isinstance(mappings.resolve_field(log_type, NAME, f), Unmapped)
    except ValueError:
        return False


def _field_name(mappings: MappingSet, log_type: str, f: Field, findings: list) -> str | None:
    if any(isinstance(s, int) for s in f.path) or f.transforms:
        findings.append(Finding(f"output field {f}", "not a plain Sigma field name; left out "
                                "of fields", "warning"))
        return None
    r = mappings.resolve_field(log_type, NAME, f)
    if isinstance(r, Unmapped):
        if r.fallback is None:
            findings.append(Finding(f"output field {f}", r.message, "warning"))
            return None
        findings.append(Finding(f"output field {f}", f"{r.message}; written as "
                                f"{r.fallback.name!r}", "warning"))
        return r.fallback.name
    return r.name


class _Dumper(yaml.SafeDumper):
    pass


def _str_repr(dumper, data: str):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_repr)


def dump(doc: dict) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000,
                     default_flow_style=False)


def render(rule: Rule, body: str, findings: tuple, verdict: str) -> str:
    from ..resources import template_environment

    one_line = [" ".join(str(f).split()) for f in findings]
    return template_environment().get_template("sigma_rule.yml.j2").render(
        rule_id=rule.id, source_file=_relative(rule.source_file), source_hash=rule.source_hash,
        version=__version__, verdict=verdict, findings=one_line, body=body)


def _relative(path: str) -> str:
    """The source path as the build saw it, relative to the working directory when inside it
    (so the header does not depend on where the checkout lives)."""
    if not path or not os.path.isabs(path):
        return path.replace(os.sep, "/")
    rel = os.path.relpath(path)
    return rel.replace(os.sep, "/") if not rel.startswith("..") else os.path.basename(path)


BACKEND = SigmaBackend()
