"""`rulec verify`: every rule's Tests through the canonical model (against the real Python rule)
and through each target's engine check; prints a rule x target matrix."""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys

import click

from ..backends import TARGETS


@click.command("verify")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--target", "-t", "targets", multiple=True, default=("all",), show_default=True,
              type=click.Choice(list(TARGETS) + ["all"]), help="Target(s) to check (repeatable).")
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Extra mapping file (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the matrix as JSON.")
@click.option("--failures-only", is_flag=True, help="List only rules with a failing cell.")
def verify_cmd(paths, targets, mapping_files, jobs, json_path, failures_only):
    """Check every rule under PATHS (default: rules/) end to end.

    Columns: `python` (the real rule vs ExpectedResult), `model` (the canonical detection on the
    same events), then one per target: `ok` (engine executed, every test agrees),
    `analysis` (parser/type check clean; no engine could execute it), `FAIL`, `-` (no query).

    Exit status: 0 no failing cell, 1 a failing cell, 2 invalid input.
    """
    from ..backends import get_backend
    from ..backends.base import BuildOptions
    from ..build import translate_one, with_rules
    from ..testing import run_tests
    from .common import prepare

    chosen, mappings, compiled = prepare("verify", paths, targets, mapping_files, jobs)
    tests = {r.rule_id: r for r in run_tests(compiled.rules, compiled.loaded, jobs=jobs)}
    checkers = {t: _checker(t) for t in chosen}
    matrix: dict[str, dict[str, dict]] = {}
    options = with_rules(BuildOptions(), compiled.rules)
    for target in chosen:
        backend = get_backend(target)
        for rule in compiled.rules:
            tr = translate_one(backend, rule, mappings, options)
            cell = {"verdict": tr.verdict, "status": "-" if not tr.outputs else "unchecked"}
            if tr.outputs and checkers[target] is not None:
                # a correlation rule's check reads its sub-rules (their tables, for analysis)
                more = {"options": options} if rule.correlation is not None else {}
                try:
                    report = checkers[target](rule, tr, mappings, **more)
                    cell.update(report.to_dict())
                except Exception as exc:  # noqa: BLE001 - a checker bug is this cell's failure
                    cell.update(status="fail", notes=[f"checker error: {type(exc).__name__}: {exc}"])
            matrix.setdefault(rule.id, {})[target] = cell
    rows = []
    failed = False
    for rule in compiled.rules:
        t = tests[rule.id]
        py = "-" if not t.has_python else ("ok" if not t.error and all(x.python_passed for x in t.tests) else "FAIL")
        model = _model_cell(t)
        cells = [_cell(matrix.get(rule.id, {}).get(tg, {})) for tg in chosen]
        bad = "FAIL" in (py, model, *cells)
        failed |= bad
        rows.append((rule.id, py, model, cells, bad))
    _print(rows, chosen, failures_only)
    if json_path:
        with open(json_path, "w") as fh:
            json.dump({"targets": chosen, "rules": {
                rid: {"python": py, "model": model, "targets": matrix.get(rid, {})}
                for rid, py, model, _c, _b in rows}}, fh, indent=2, default=str)
    if compiled.errors:
        sys.exit(2)
    sys.exit(1 if failed else 0)


def _checker(target: str):
    module = f"translator.verify.{target}"
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), "check", None)


def _model_cell(report) -> str:
    """ok: every test evaluated and agreed; partial: the rest are not evaluable (opaque
    constructs of a partial extraction); FAIL: a test evaluated to the wrong answer."""
    if not report.has_model:
        return "-"
    if any(x.model_matched is not None and not x.model_agrees for x in report.tests):
        return "FAIL"
    return "partial" if any(x.model_matched is None for x in report.tests) else "ok"


def _cell(cell: dict) -> str:
    """An exact translation must pass its engine check. A partial one is known to differ (its
    findings say how), so its engine result is shown but is not a failure."""
    status = cell.get("status", "-")
    text = {"ok": "ok", "analysis-only": "analysis", "fail": "FAIL", "skipped": "skipped",
            "unchecked": "unchecked"}.get(status, status)
    if cell.get("verdict") == "partial" and text in ("ok", "FAIL", "analysis"):
        return {"ok": "partial+ok", "FAIL": "partial", "analysis": "partial"}[text]
    return text


def _print(rows, targets, failures_only) -> None:
    shown = [r for r in rows if r[4] or not failures_only]
    width = min(max([len(r[0]) for r in shown] + [4]), 60)
    cols = ["python", "model", *targets]
    click.echo(f"{'RULE':<{width}}  " + "  ".join(f"{c:>9}" for c in cols))
    for rid, py, model, cells, _bad in shown:
        click.echo(f"{rid[:width]:<{width}}  " + "  ".join(f"{c:>9}" for c in (py, model, *cells)))
    totals = []
    for i, target in enumerate(targets):
        ok = sum(1 for r in rows if r[3][i] in ("ok", "partial+ok"))
        ana = sum(1 for r in rows if r[3][i] == "analysis")
        part = sum(1 for r in rows if r[3][i] == "partial")
        fail = sum(1 for r in rows if r[3][i] == "FAIL")
        totals.append(f"{target}: {ok} executed ok, {ana} analysis only, {part} partial "
                      f"(differs as reported), {fail} failing")
    click.echo(f"{len(rows)} rules; " + "; ".join(totals))
