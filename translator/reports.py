"""Machine-readable build reports: JSON, SARIF 2.1.0 and JUnit XML, plus GitHub Actions
annotations. One row per rule x target with its verdict and findings."""
from __future__ import annotations

import json

from . import __version__
from .backends.base import Translation
from .diagnostics import Diagnostic

_SARIF_LEVEL = {"exact": "none", "partial": "warning", "unsupported": "error", "error": "error"}


def rows(translations: list[Translation], sources: dict[str, str]) -> list[dict]:
    return [{"rule_id": t.rule_id, "target": t.target, "verdict": t.verdict,
             "source_file": sources.get(t.rule_id, ""), "error": t.error,
             "findings": [{"construct": f.construct, "reason": f.reason, "severity": f.severity,
                           "location": f.location} for f in t.findings],
             "outputs": [o.path for o in t.outputs]} for t in translations]


def to_json(translations, sources, diagnostics: list[Diagnostic]) -> str:
    data = rows(translations, sources)
    counts: dict = {}
    for r in data:
        counts.setdefault(r["target"], {}).setdefault(r["verdict"], 0)
        counts[r["target"]][r["verdict"]] += 1
    return json.dumps({"rulec_version": __version__, "summary": counts, "results": data,
                       "diagnostics": [d.to_dict() for d in diagnostics if d.level != "info"]},
                      indent=2, sort_keys=True) + "\n"


def to_sarif(translations, sources, diagnostics: list[Diagnostic]) -> str:
    results = []
    for r in rows(translations, sources):
        if r["verdict"] == "exact":
            continue
        text = r["error"] or "; ".join(f"{f['construct']}: {f['reason']}" for f in r["findings"])
        results.append({
            "ruleId": f"rulec/{r['target']}/{r['verdict']}",
            "level": _SARIF_LEVEL[r["verdict"]],
            "message": {"text": f"{r['rule_id']} -> {r['target']}: {r['verdict']}: {text}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": r["source_file"]}}}],
        })
    for d in diagnostics:
        if d.level == "info":
            continue
        loc = {"artifactLocation": {"uri": d.file}}
        if d.line:
            loc["region"] = {"startLine": d.line}
        results.append({"ruleId": f"rulec/input/{d.code or d.level}",
                        "level": "error" if d.level == "error" else "warning",
                        "message": {"text": d.message}, "locations": [{"physicalLocation": loc}]})
    doc = {"version": "2.1.0",
           "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
           "runs": [{"tool": {"driver": {"name": "rulec", "version": __version__}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def to_junit(translations, sources, diagnostics: list[Diagnostic]) -> str:
    from xml.sax.saxutils import escape, quoteattr  # slow import; only junit needs it

    by_target: dict[str, list[dict]] = {}
    for r in rows(translations, sources):
        by_target.setdefault(r["target"], []).append(r)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for target, items in by_target.items():
        failures = sum(1 for r in items if r["verdict"] in ("unsupported", "error"))
        out.append(f'  <testsuite name={quoteattr("rulec." + target)} tests="{len(items)}" '
                   f'failures="{failures}">')
        for r in items:
            out.append(f'    <testcase classname={quoteattr(target)} name={quoteattr(r["rule_id"])}>')
            detail = r["error"] or "; ".join(f"{f['construct']}: {f['reason']}" for f in r["findings"])
            if r["verdict"] in ("unsupported", "error"):
                out.append(f'      <failure message={quoteattr(r["verdict"])}>{escape(detail)}</failure>')
            elif r["verdict"] == "partial":
                out.append(f"      <system-out>{escape('partial: ' + detail)}</system-out>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


FORMATS = {"json": to_json, "sarif": to_sarif, "junit": to_junit}


def github_annotations(translations, sources, diagnostics: list[Diagnostic]) -> list[str]:
    """Workflow commands (``::warning file=...::msg``) for GitHub Actions logs."""
    lines = []
    for d in diagnostics:
        if d.level in ("error", "warning"):
            line = f",line={d.line}" if d.line else ""
            lines.append(f"::{d.level} file={d.file}{line}::{_gh(d.message)}")
    for r in rows(translations, sources):
        if r["verdict"] == "exact":
            continue
        level = "warning" if r["verdict"] == "partial" else "error"
        text = r["error"] or "; ".join(f"{f['construct']}: {f['reason']}" for f in r["findings"])
        lines.append(f"::{level} file={r['source_file']}::{r['rule_id']} -> {r['target']}: "
                     f"{r['verdict']}: {_gh(text)}")
    return lines


def _gh(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
