"""`rulec doc`: the catalog page of every rule (the seed page's sections, plus the generated
queries), an index by log type / severity / tactic, an ATT&CK heatmap and Navigator layer."""
from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import click

from ..backends import TARGETS


def render_site(compiled, mappings, fmt: str, targets: list[str], verify: bool,
                jobs: int = 1) -> dict[str, str]:
    """Relative path -> file text for the whole site."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from ..backends.base import BuildOptions
    from ..build import build
    from ..catalog import Catalog
    from ..pipeline import Cache

    env = Environment(loader=FileSystemLoader(str(_templates())), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",)),
                      keep_trailing_newline=True)
    catalog = Catalog(compiled.rules, mappings)
    checkers = {t: _checker(t) for t in targets} if verify else {}
    files: dict[str, str] = {}
    page_tpl = env.get_template(f"doc_rule.{fmt}.j2")
    # The build's translations, from its content cache when the rules did not change.
    built = build(compiled, targets, mappings, "", BuildOptions(), Cache.default(), jobs=jobs)
    translations = {(t.rule_id, t.target): t for t in built.translations}
    for rule in catalog.rules:
        queries = []
        for target in targets:
            tr = translations[(rule.id, target)]
            status = ""
            if verify and tr.outputs and checkers.get(target):
                try:
                    status = checkers[target](rule, tr, mappings).status
                except Exception as exc:  # noqa: BLE001 - shown on the page, not fatal
                    status = f"checker error: {type(exc).__name__}"
            text = tr.query or (tr.outputs[0].text if tr.outputs else "(no query: " + (
                tr.error or "; ".join(str(f) for f in tr.findings)) + ")")
            queries.append({"target": target, "verdict": tr.verdict, "text": text,
                            "findings": [str(f) for f in tr.findings], "status": status})
        files[f"{rule.id}.{fmt}"] = page_tpl.render(rule=rule, page=catalog.page(rule, queries))
    groupings = []
    for title, keyf in (("log type", lambda r: r.log_types or ("(none)",)),
                        ("severity", lambda r: (r.severity,)),
                        ("tactic", lambda r: tuple(_tactic(m.tactic) for m in r.mitre) or ("(none)",))):
        groups = defaultdict(list)
        for r in catalog.rules:
            for k in dict.fromkeys(keyf(r)):
                groups[k].append(r)
        groupings.append((title, sorted(groups.items())))
    matrix = catalog.matrix()
    top = max([n for _, techs in matrix for _, _, n in techs] + [1])
    files[f"index.{fmt}"] = env.get_template(f"doc_index.{fmt}.j2").render(
        rules=catalog.rules, matrix=matrix, top=top, groupings=groupings)
    files["attack_navigator_layer.json"] = json.dumps(catalog.navigator_layer(), indent=2) + "\n"
    return files


def _tactic(tid: str) -> str:
    from ..mitre import tactic_name

    return tactic_name(tid)


def _templates() -> Path:
    from ..resources import templates_dir

    return templates_dir()


def _checker(target: str):
    from .verify import _checker as find

    return find(target)


@click.command("doc")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="site", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="html", show_default=True)
@click.option("--target", "-t", "targets", multiple=True, default=("all",), show_default=True,
              type=click.Choice(list(TARGETS) + ["all"]), help="Queries to include (repeatable).")
@click.option("--verify/--no-verify", default=False, show_default=True,
              help="Run each query's engine check and show its status (slower).")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default=True)
def doc_cmd(paths, out_dir, fmt, targets, verify, mapping_files, jobs):
    """Write the catalog of the rules under PATHS (default: rules/) to OUT.

    Per rule: MITRE ATT&CK coverage, rules detecting the same action, the rule body, the
    detection logic, exclusions, indicators with corpus counts, output fields and the generated
    queries. Plus index.{md,html} and attack_navigator_layer.json.
    """
    from ..outputs import sync_outputs
    from .common import prepare

    chosen, mappings, compiled = prepare("doc", paths, targets, mapping_files, jobs)
    files = render_site(compiled, mappings, fmt, chosen, verify, jobs)
    sync = sync_outputs(Path(out_dir), files, [""])
    click.echo(f"{len(compiled.rules)} rule pages in {out_dir}/ ({sync['written']} written, "
               f"{sync['unchanged']} unchanged, {sync['removed']} removed)")
    sys.exit(2 if compiled.errors else 0)
