"""The preamble shared by commands that compile rules for targets: choose the targets, load the
mappings, compile the rules, print the diagnostics. Bad options or mappings exit with 2."""
from __future__ import annotations

import sys

import click


def prepare(command: str, paths, targets, mapping_files, jobs: int, cache: bool = True):
    """(chosen targets, MappingSet, Compiled) for `rulec <command>`."""
    from ..backends import TargetUnavailable, available_targets, get_backend
    from ..mapping import MappingError, load_mappings
    from ..pipeline import Cache, compile_paths

    chosen = available_targets() if "all" in targets else list(dict.fromkeys(targets))
    try:
        for t in chosen:
            get_backend(t)
        mappings = load_mappings(mapping_files)
    except (TargetUnavailable, MappingError) as exc:
        click.echo(f"rulec {command}: {exc}", err=True)
        sys.exit(2)
    compiled = compile_paths(paths or ["rules"], jobs=jobs, cache=Cache.default(cache))
    for d in compiled.diagnostics:
        if d.level != "info":
            click.echo(str(d), err=True)
    return chosen, mappings, compiled
