"""`rulec diff`: for a pull request, which rules changed, how their canonical models changed,
and the unified diff of every generated output."""
from __future__ import annotations

import difflib
import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

import click

from ..backends import TARGETS


def _git(*args: str, cwd: Path) -> bytes:
    try:
        return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout
    except FileNotFoundError:
        raise click.ClickException("git is not installed")
    except subprocess.CalledProcessError as exc:
        raise click.ClickException(f"git {' '.join(args)}: {exc.stderr.decode().strip()}")


def _materialize(top: Path, rev: str, rel_paths: list[str], dest: Path) -> None:
    """Extract ``rel_paths`` of revision ``rev`` into ``dest`` (paths missing there are skipped)."""
    existing = [rel for rel in rel_paths if _exists(top, rev, rel)]
    if not existing:
        return
    data = _git("archive", "--format=tar", rev, "--", *existing, cwd=top)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")


def _exists(top: Path, rev: str, rel: str) -> bool:
    spec = f"{rev}:{rel}" if rel != "." else f"{rev}^{{tree}}"
    return subprocess.run(["git", "cat-file", "-e", spec], cwd=top, capture_output=True).returncode == 0


@click.command("diff")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", required=True, help="Base revision (e.g. origin/main).")
@click.option("--head", default=None, help="Head revision (default: the working tree).")
@click.option("--target", "-t", "targets", multiple=True, default=("all",), show_default=True,
              type=click.Choice(list(TARGETS) + ["all"]))
@click.option("--mapping", "mapping_files", multiple=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default=True)
def diff_cmd(paths, base, head, targets, mapping_files, fmt, jobs):
    """Compare the rules under PATHS (default: rules/) between --base and --head.

    For each added, removed or changed rule: the semantic diff of its canonical model and the
    unified diff of each generated output. `--format markdown` prints a PR comment.
    Exit status: 0 (also when there are changes), 2 invalid input.
    """
    from ..backends import available_targets, get_backend
    from ..backends.base import BuildOptions
    from ..build import translate_one
    from ..mapping import load_mappings
    from ..pipeline import Cache, compile_paths
    from ..semantic_diff import describe

    top = Path(_git("rev-parse", "--show-toplevel", cwd=Path.cwd()).decode().strip())
    rels = [os.path.relpath(Path(p).resolve(), top) for p in (paths or ["rules"])]
    if any(r.startswith("..") for r in rels):
        raise click.BadParameter("paths must be inside the git repository", param_hint="PATHS")
    chosen = available_targets() if "all" in targets else list(dict.fromkeys(targets))
    mappings = load_mappings(mapping_files)
    cache = Cache.default()

    with tempfile.TemporaryDirectory(prefix="rulec-diff-") as tmp:
        sides = {}
        for side, rev in (("base", base), ("head", head)):
            if rev is None:
                roots = [top / r for r in rels]
            else:
                if not _exists(top, rev, "."):
                    raise click.ClickException(f"unknown revision {rev!r}")
                dest = Path(tmp) / side
                dest.mkdir()
                _materialize(top, rev, rels, dest)
                roots = [dest / r for r in rels if (dest / r).exists()]
            compiled = compile_paths([str(r) for r in roots], jobs=jobs, cache=cache) if roots else None
            rules = {r.id: r for r in compiled.rules} if compiled else {}
            outputs = {}
            for rule in rules.values():
                for target in chosen:
                    t = translate_one(get_backend(target), rule, mappings,
                                      BuildOptions(rules=rules))
                    for o in t.outputs:
                        outputs[(rule.id, o.path)] = o.text
            sides[side] = (rules, outputs)

    (old_rules, old_out), (new_rules, new_out) = sides["base"], sides["head"]
    changes = []
    for rid in sorted(set(old_rules) | set(new_rules)):
        old, new = old_rules.get(rid), new_rules.get(rid)
        status = "added" if old is None else "removed" if new is None else "changed"
        model = [] if status != "changed" else describe(old.to_dict(), new.to_dict())
        files = sorted({p for (r, p) in old_out if r == rid} | {p for (r, p) in new_out if r == rid})
        diffs = []
        for path in files:
            a, b = old_out.get((rid, path), ""), new_out.get((rid, path), "")
            if a != b:
                diffs.append((path, "".join(difflib.unified_diff(
                    a.splitlines(True), b.splitlines(True), f"a/{path}", f"b/{path}"))))
        if status == "changed" and not model and not diffs:
            continue
        changes.append((rid, status, model, diffs))
    click.echo(_render(changes, fmt, base, head or "working tree"))


def _render(changes, fmt: str, base: str, head: str) -> str:
    out = []
    if fmt == "markdown":
        out.append(f"### rulec: {len(changes)} rule(s) changed between `{base}` and `{head}`\n")
        for rid, status, model, diffs in changes:
            out.append(f"#### `{rid}` ({status})")
            out.extend(f"- {line}" for line in model)
            for path, text in diffs:
                out.append(f"<details><summary><code>{path}</code></summary>\n\n```diff\n{text}```\n</details>")
            out.append("")
    else:
        out.append(f"{len(changes)} rule(s) changed between {base} and {head}")
        for rid, status, model, diffs in changes:
            out.append(f"\n== {rid} ({status})")
            out.extend(f"  model: {line}" for line in model)
            for _path, text in diffs:
                out.append(text.rstrip("\n"))
    return "\n".join(out)
