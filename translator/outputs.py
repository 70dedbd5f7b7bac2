"""Writing generated files: atomic, deterministic, and without stale leftovers.

Every file is written to a temporary file in the same directory and renamed over the old one
(``os.replace`` is atomic on POSIX), so a build killed at any point leaves each output either
in its previous or in its new state, never truncated. A manifest per output directory lists
what rulec generated there, so outputs of deleted rules are removed and files that users put
there themselves are never touched.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

MANIFEST = ".rulec-manifest.json"


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file next to ``path``; returns its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def write_atomic(path: Path, text: str, durable: bool = True) -> bool:
    """Write ``text`` to ``path`` atomically; returns False when the file already held it.
    ``durable`` also flushes it to disk before the rename (not needed for a cache entry)."""
    data = text.encode("utf-8")
    if _unchanged(path, data):
        return False
    tmp = _stage(path, data)
    try:
        if durable:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    return True


def write_many_atomic(files: dict[Path, str]) -> tuple[int, int]:
    """Write each changed file atomically, flushing them all to disk with one ``os.sync``
    before the renames instead of one fsync per file (which cost ~4 ms each, 15 s for a
    corpus build). Returns (written, unchanged)."""
    staged: list[tuple[str, Path]] = []
    unchanged = renamed = 0
    try:
        for path, text in files.items():
            data = text.encode("utf-8")
            if _unchanged(path, data):
                unchanged += 1
            else:
                staged.append((_stage(path, data), path))
        if staged:
            os.sync()
        for tmp, path in staged:
            os.replace(tmp, path)
            renamed += 1
    finally:
        for tmp, _ in staged[renamed:]:
            _unlink(tmp)
    return len(files) - unchanged, unchanged


def read_manifest(out_dir: Path) -> set[str]:
    try:
        return set(json.loads((out_dir / MANIFEST).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def sync_outputs(out_dir: Path, files: dict[str, str], owned_prefixes: Iterable[str]) -> dict:
    """Make ``out_dir`` hold exactly ``files`` (relative path -> text) within the parts this
    build owns (``owned_prefixes``, e.g. the target directories built now). Returns counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(out_dir)
    prefixes = tuple(owned_prefixes)
    removed = 0
    written, unchanged = write_many_atomic({out_dir / rel: text for rel, text in sorted(files.items())})
    for rel in sorted(previous - set(files)):
        if rel.startswith(prefixes):
            try:
                (out_dir / rel).unlink()
                removed += 1
            except FileNotFoundError:
                pass
    kept = {rel for rel in previous if not rel.startswith(prefixes)}
    manifest = {"files": sorted(kept | set(files))}
    write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    _prune_empty_dirs(out_dir)
    return {"written": written, "unchanged": unchanged, "removed": removed}


def _prune_empty_dirs(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        if dirpath != str(root) and not dirnames and not filenames:
            try:
                os.rmdir(dirpath)
            except OSError:
                pass
