"""`rulec mappings`: what the field mappings cover, and what a rules tree needs that they lack.

    rulec mappings                          log types x targets: where each one's data lives
    rulec mappings --log-type AWS.CloudTrail --target sentinel
                                            every mapped field of that pair (name, type, confidence)
    rulec mappings --rules rules/           per target: share of the rules' field references that
                                            are mapped, and the unmapped ones (with rule counts)
"""
from __future__ import annotations

import json
import sys

import click

from ..mapping.entries import TARGETS, ResolvedField, Unmapped, describe, dotted

ALL_TARGETS = ("sentinel", "splunk", "chronicle", "athena", "athena:aws", "sigma")


@click.command("mappings")
@click.option("--log-type", "log_types", multiple=True, metavar="LOGTYPE",
              help="Only this Panther log type (repeatable).")
@click.option("--target", "-t", "targets", multiple=True, metavar="TARGET",
              help=f"Only this target (repeatable): {', '.join(ALL_TARGETS)}.")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(),
              help="A rules tree whose field references are checked against the mappings.")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(dir_okay=False),
              help="Extra mapping file overriding/extending the shipped ones (repeatable).")
@click.option("--top", type=click.IntRange(0), default=20, show_default=True,
              help="Unmapped fields listed per target with --rules (0: all).")
@click.option("--strict", is_flag=True,
              help="With --rules: exit 1 when a referenced field is unmapped on a chosen target.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the result as JSON.")
@click.option("--extract/--no-extract", default=True, show_default=True,
              help="With --rules: read Python rules' fields through the Python frontend (runs "
                   "rule code in sandboxed children); without, only YAML-level fields count.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Child processes for --extract.")
def mappings_cmd(log_types, targets, rule_paths, mapping_files, top, strict, json_path, extract,
                 jobs):
    """Show the field mappings, or check a rules tree against them.

    Exit status: 0 done, 1 (--strict) a rule's field is unmapped, 2 invalid mapping file,
    rules tree or option.
    """
    from ..mapping import MappingError, load_mappings

    chosen = _targets(targets)
    try:
        ms = load_mappings(mapping_files)
    except MappingError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    unknown = [lt for lt in log_types if ms.log_type(lt) is None]
    if unknown and not rule_paths:
        click.echo(f"error: no mapping for log type(s) {', '.join(unknown)}; known: "
                   f"{', '.join(ms.log_types)}", err=True)
        sys.exit(2)
    if rule_paths:
        result, missing = _check_rules(ms, rule_paths, log_types, chosen, top,
                                       jobs if extract else 0)
        _write_json(json_path, result)
        sys.exit(2 if result["errors"] else 1 if strict and missing else 0)
    if log_types and len(chosen) == 1 or (log_types and targets):
        result = _fields(ms, log_types, chosen)
    else:
        result = _sources(ms, log_types or ms.log_types, chosen)
    _write_json(json_path, result)


def _targets(targets) -> list[str]:
    for t in targets:
        if t not in ALL_TARGETS and t.split(":")[0] not in TARGETS:
            raise click.BadParameter(f"{t!r} is not one of {', '.join(ALL_TARGETS)}",
                                     param_hint="--target")
    return list(targets) or list(ALL_TARGETS)


def _write_json(path, result) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2, sort_keys=True)


def _sources(ms, log_types, targets) -> dict:
    rows = {}
    for lt in log_types:
        row = {}
        for t in targets:
            tm = ms.target_mapping(lt, t)
            row[t] = None if tm is None else {
                "source": tm.source.as_dict(), "naming": tm.naming or "explicit",
                "confidence": tm.provenance.confidence, "provenance": tm.provenance.source}
        rows[lt] = row
        cells = [f"{t}={_source_text(row[t])}" for t in targets]
        click.echo(f"{lt}: " + "  ".join(cells))
    return {"log_types": rows}


def _source_text(cell) -> str:
    if cell is None:
        return "-"
    src = cell["source"]
    text = ".".join(src[k] for k in ("database", "table") if k in src) or "/".join(
        f"{k}:{v}" for k, v in sorted(src.items()))
    return f"{text}({cell['confidence']})"


def _fields(ms, log_types, targets) -> dict:
    out: dict = {}
    for lt in log_types:
        paths = _known_paths(ms, lt)
        for t in targets:
            tm = ms.target_mapping(lt, t)
            if tm is None:
                click.echo(f"{lt} on {t}: no mapping")
                continue
            click.echo(f"{lt} on {t}: {_source_text(_sources_cell(tm))}  naming={tm.naming or 'explicit'}")
            rows = []
            for path in paths:
                r = ms.resolve(lt, t, path)
                row = _row(r)
                rows.append(row)
                status = "->" if isinstance(r, ResolvedField) else "--"
                click.echo(f"  {dotted(path):60s} {status} {row['target']}")
            out.setdefault(lt, {})[t] = rows
    return {"fields": out}


def _sources_cell(tm) -> dict:
    return {"source": tm.source.as_dict(), "confidence": tm.provenance.confidence}


def _known_paths(ms, log_type) -> list[tuple]:
    """Schema paths plus explicit entry paths of every target, in a stable order."""
    m = ms.log_type(log_type)
    paths = {p for p, _ in m.schema}
    for tm in m.targets:
        paths.update(e.path for e in tm.entries)
    return sorted(paths, key=lambda p: dotted(p).lower())


def _row(r) -> dict:
    if isinstance(r, Unmapped):
        return {"path": dotted(r.path), "mapped": False, "reason": r.reason,
                "target": f"unmapped ({r.reason}); fallback {r.fallback.name}" if r.fallback
                else f"unmapped ({r.reason})"}
    return {"path": dotted(r.path), "mapped": True, "target": describe(r), "type": r.type,
            "origin": r.origin, "confidence": r.provenance.confidence,
            "provenance": r.provenance.source, "note": r.note}


def _check_rules(ms, rule_paths, log_types, targets, top, jobs) -> tuple[dict, int]:
    from ..frontends.panther_yaml import load_tree
    from ..mapping.usage import coverage, refs_of_rule

    loaded = load_tree(rule_paths)
    for d in loaded.diagnostics:
        if d.level == "error":
            click.echo(str(d), err=True)
    rules = [r for r in loaded.rules if r.log_types
             and (not log_types or set(log_types) & set(r.log_types))]
    if jobs:
        rules = extracted_rules(rules, loaded, jobs)
    refs = [ref for r in rules for ref in refs_of_rule(r)]
    no_mapping = sorted({lt for r in rules for lt in r.log_types if ms.log_type(lt) is None})
    cov = coverage(ms, refs, targets)
    without_model = [r.id for r in rules if r.detection is None and r.python_file]
    click.echo(f"{len(rules)} rules, {len(refs)} field references "
               f"(detection, output fields, SummaryAttributes)")
    if without_model:
        click.echo(f"note: {len(without_model)} Python rules have no extracted detection; "
                   f"only their other fields are counted" + ("" if jobs else " (--no-extract)"))
    if no_mapping:
        click.echo(f"log types without any mapping: {', '.join(no_mapping)}")
    missing = 0
    result = {"rules": len(rules), "references": len(refs), "log_types_without_mapping": no_mapping,
              "rules_without_detection": without_model, "targets": {},
              "errors": [str(d) for d in loaded.errors]}
    for t in targets:
        c = cov[t]
        missing += c.total - c.mapped
        conf = ", ".join(f"{k} {v}" for k, v in sorted(c.by_confidence.items()))
        click.echo(f"{t:11s} {c.mapped:5d}/{c.total:<5d} {100 * c.share:5.1f} % mapped"
                   + (f"   ({conf})" if conf else ""))
        if c.never_present:
            click.echo(f"{'':11s} of which {c.never_present} name fields the log type never holds "
                       f"(always missing; {100 * c.share_present:5.1f} % without them)")
        for name, n in c.unmapped.most_common(top or None):
            click.echo(f"    {n:4d} rule(s)  {name}")
        result["targets"][t] = {"total": c.total, "mapped": c.mapped, "share": round(c.share, 4),
                                "never_present": c.never_present,
                                "share_present": round(c.share_present, 4),
                                "by_confidence": dict(c.by_confidence),
                                "unmapped_kinds": dict(c.unmapped_kinds),
                                "unmapped": dict(c.unmapped.most_common())}
    return result, missing


def extracted_rules(rules: list, loaded, jobs: int) -> list:
    """``rules`` with what the Python frontend extracts filled in (detection, title, dedup,
    alert context); rules it cannot extract stay as loaded."""
    from ..frontends.python.pipeline import extract_tree

    done = {x.rule_id: x for x in extract_tree(rules, loaded, jobs=jobs)}
    return [done[r.id].apply(r) if r.id in done else r for r in rules]
