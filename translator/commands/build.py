"""`rulec build`: compile rules to every requested target, write outputs, report verdicts."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..backends import TARGETS

FAIL_LEVELS = ("error", "unsupported", "partial", "never")


@click.command("build")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--target", "-t", "targets", multiple=True, default=("all",), show_default=True,
              type=click.Choice(list(TARGETS) + ["all"]), help="Target(s) to build (repeatable).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="outputs",
              show_default=True, help="Output directory (one sub-directory per target).")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Extra mapping file overriding/extending the shipped ones (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1,
              show_default=True, help="Parallel workers for rule extraction and translation.")
@click.option("--strict", is_flag=True, help="Fail on anything that is not an exact translation.")
@click.option("--fail-on", type=click.Choice(FAIL_LEVELS), default="error", show_default=True,
              help="Lowest verdict that makes the build fail (exit 1).")
@click.option("--report", "report", nargs=2, multiple=True, metavar="FORMAT FILE",
              help="Write a report: json, sarif or junit, to FILE (repeatable).")
@click.option("--dialect", default="athena", show_default=True,
              help="SQL dialect for the athena target (athena, snowflake, bigquery, databricks, duckdb).")
@click.option("--cache/--no-cache", default=True, show_default=True,
              help="Reuse results of unchanged rules (.rulec-cache, or $RULEC_CACHE_DIR).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def build_cmd(paths, targets, out_dir, mapping_files, jobs, strict, fail_on, report, dialect,
              cache, quiet):
    """Compile the rules under PATHS (default: rules/) into OUT/<target>/<RuleID>.<ext>.

    Outputs are deterministic and written atomically; outputs of rules that no longer exist
    are removed. Each rule x target gets a verdict: exact, partial, unsupported or error.

    Exit status: 0 built, 1 a verdict at or above --fail-on (any non-exact with --strict),
    2 invalid input or options.
    """
    from .. import reports as rep
    from ..backends.base import BuildOptions
    from ..build import build, options_key
    from ..build_memo import BuildMemo
    from ..outputs import sync_outputs
    from ..pipeline import Cache, _hash_files
    from .common import prepare

    for fmt, _ in report:
        if fmt not in rep.FORMATS:
            raise click.BadParameter(f"report format {fmt!r}; use one of {', '.join(rep.FORMATS)}",
                                     param_hint="--report")
    options = BuildOptions(strict=strict, dialect=dialect)
    memo = BuildMemo(Cache.default(cache), list(paths or ["rules"]), sorted(targets),
                     options_key(options), list(mapping_files))
    hit = memo.lookup()
    if hit is not None:  # nothing changed since the same build: its result, re-synced
        chosen, files, translations, diagnostics, sources = hit
        for d in diagnostics:
            if d.level != "info":
                click.echo(str(d), err=True)
    else:
        memo.begin()
        chosen, mappings, compiled = prepare("build", paths, targets, mapping_files, jobs, cache)
        result = build(compiled, chosen, mappings, _hash_files(Path(m) for m in mapping_files),
                       options, Cache.default(cache), jobs=jobs)
        memo.save(compiled, chosen, result.files, result.translations)
        files, translations, diagnostics = result.files, result.translations, compiled.diagnostics
        sources = {r.id: r.source_file for r in compiled.rules}
    sync = sync_outputs(Path(out_dir), files, [t + "/" for t in chosen])

    for fmt, path in report:
        Path(path).write_text(rep.FORMATS[fmt](translations, sources, diagnostics))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in rep.github_annotations(translations, sources, diagnostics):
            click.echo(line)
    if not quiet:
        for t in translations:
            if t.verdict != "exact":
                detail = t.error or "; ".join(str(f) for f in t.findings)
                click.echo(f"{t.rule_id} -> {t.target}: {t.verdict}: {detail}")
    click.echo(_summary_line(translations, chosen, sync))
    if any(d.level == "error" for d in diagnostics):
        sys.exit(2)
    threshold = "partial" if strict else fail_on
    if threshold != "never" and _fails(translations, threshold):
        sys.exit(1)


def _fails(translations, threshold: str) -> bool:
    order = ["exact", "partial", "unsupported", "error"]
    return any(order.index(t.verdict) >= order.index(threshold) for t in translations)


def _summary_line(translations, targets, sync) -> str:
    parts = []
    for target in targets:
        counts: dict = {}
        for t in translations:
            if t.target == target:
                counts[t.verdict] = counts.get(t.verdict, 0) + 1
        parts.append(f"{target}: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    files = f"{sync['written']} written, {sync['unchanged']} unchanged, {sync['removed']} removed"
    return "; ".join(parts) + f" ({files})"
