"""`rulec explain RULE.yml`: the canonical detection of a rule, pretty-printed in the catalog's
condition notation, with its exclusions, indicators, output fields and extraction verdict."""
from __future__ import annotations

import sys

import click


@click.command("explain")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Child processes running rule code.")
def explain_cmd(paths, jobs):
    """Explain the rules defined in PATHS (rule YAML files or directories)."""
    from ..frontends.panther_yaml import load_tree
    from ..frontends.python.pipeline import extract_tree

    loaded = load_tree(paths)
    for d in loaded.diagnostics:
        if d.level == "error":
            click.echo(str(d), err=True)
    wanted = {str(p) for p in paths}
    rules = [r for r in loaded.rules if any(r.source_file.startswith(w.rstrip("/")) or
                                             w in r.source_file for w in wanted)] or loaded.rules
    if not rules:
        click.echo("no rules found", err=True)
        sys.exit(2)
    python_rules = [r for r in rules if r.python_file]
    extracted = {x.rule_id: x for x in extract_tree(python_rules, loaded, jobs=jobs)}
    for i, rule in enumerate(rules):
        if i:
            click.echo("")
        x = extracted.get(rule.id)
        click.echo(explain_text(x.apply(rule) if x else rule, x))
    sys.exit(2 if loaded.errors else 0)


def explain_text(rule, x) -> str:
    from ..pretty import exclusions, field_text, indicators, render
    lines = [f"Rule: {rule.id}  ({rule.source_file})", f"Log types: {', '.join(rule.log_types)}"]
    ext = rule.extraction
    if ext is not None:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(x.counts().items())) if x else ""
        lines.append(f"Verdict: {ext.verdict} ({ext.paths} paths{'; tests: ' + counts if counts else ''})")
        for r in ext.reasons:
            lines.append(f"  reason: {r}")
    lines += ["", "Condition", _indent(render(rule.detection))]
    rows = exclusions(rule.detection)
    if rows:
        lines += ["", "Exclusions", _table(("Field", "Kind", "Excluded values"), rows)]
    rows = indicators(rule.detection)
    if rows:
        lines += ["", "Indicators", _table(("Field", "Kind", "Values"), rows)]
    if rule.output_fields:
        lines += ["", "Output fields"] + [f"  {f.dotted}" for f in rule.output_fields]
    if rule.title is not None:
        text = "".join(p if isinstance(p, str) else "{" + field_text(p) + "}" for p in rule.title.parts)
        lines += ["", f"Title: {text}"]
    if rule.dedup_key:
        lines += [f"Dedup: {', '.join(f.dotted for f in rule.dedup_key)}"]
    for d in rule.dynamic_severities:
        lines += [f"Severity {d.severity} when: {render(d.when)}"]
    if x is not None:
        for n in x.notes:
            lines.append(f"  note: {n}")
        if x.extraction is not None:
            for n in x.extraction.extras:
                lines.append(f"  not extracted: {n}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _table(header: tuple, rows: list) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return _indent("\n".join(out))
