"""From rule files to canonical rules with detections: load, then extract Python logic.

Shared by `rulec build`, `verify`, `test`, `explain`, `coverage`, `diff` and `doc`, so that
every command sees the same canonical model for a rule. Extraction results are cached on disk,
keyed on everything they depend on (rule content, helpers, data models, rulec version).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from . import __version__
from .diagnostics import Diagnostic
from .frontends.panther_yaml import LoadResult, load_tree
from .model import Rule


@dataclass
class Compiled:
    rules: list[Rule]
    loaded: LoadResult
    diagnostics: list[Diagnostic] = field(default_factory=list)
    support_hash: str = ""  # helpers + data models content

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]


def _hash_files(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(set(paths)):
        try:
            h.update(str(p).encode() + b"\0" + p.read_bytes() + b"\0")
        except OSError:
            h.update(str(p).encode() + b"\0missing\0")
    return h.hexdigest()


def support_files(loaded: LoadResult) -> list[Path]:
    """Every file a rule's behaviour can depend on besides its own: helpers and data models."""
    files: list[Path] = []
    for d in loaded.helper_dirs:
        files.extend(p for p in Path(d).glob("*.py"))
    for f in loaded.data_model_files:
        files.append(Path(f))
        files.extend(Path(f).parent.glob("*.py"))
    return files


class Cache:
    """A directory of JSON blobs keyed by content hashes (safe to delete at any time)."""

    def __init__(self, root: Path | None):
        self.root = root

    @classmethod
    def default(cls, enabled: bool = True, root: str | None = None) -> "Cache":
        if not enabled:
            return cls(None)
        return cls(Path(root or os.environ.get("RULEC_CACHE_DIR") or ".rulec-cache"))

    def get(self, kind: str, key: str):
        if self.root is None:
            return None
        try:  # plain strings: pathlib's joins cost more than the read on a no-op build
            with open(os.path.join(self.root, kind, key + ".json"), "rb") as fh:
                return json.loads(fh.read())
        except (OSError, ValueError):
            return None

    def put(self, kind: str, key: str, value) -> None:
        if self.root is None:
            return
        from .outputs import write_atomic

        try:
            # not flushed to disk: an entry lost in a crash is only recomputed
            write_atomic(self.root / kind / f"{key}.json", json.dumps(value), durable=False)
        except OSError:
            pass  # a read-only cache directory only costs speed


_CODE_HASH: str | None = None


def code_fingerprint() -> str:
    """A hash of rulec's own code and templates: a cache entry made by other code is stale
    even when the version number did not change (development builds)."""
    global _CODE_HASH
    if _CODE_HASH is None:
        from .resources import PACKAGE_DIR, templates_dir

        files = list(PACKAGE_DIR.rglob("*.py")) + list(PACKAGE_DIR.rglob("*.yaml"))
        files += list(templates_dir().glob("*"))
        _CODE_HASH = _hash_files(f for f in files if f.is_file())
    return _CODE_HASH


def key_of(*parts: str) -> str:
    joined = "\0".join((__version__, code_fingerprint()) + parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:40]


def compile_paths(paths: Iterable[str], *, jobs: int = 2, cache: Cache | None = None,
                  extract: bool = True) -> Compiled:
    loaded = load_tree(paths)
    compiled = Compiled(list(loaded.rules), loaded, list(loaded.diagnostics))
    compiled.support_hash = _hash_files(support_files(loaded))
    if extract:
        compiled.rules = extract_python(compiled, jobs=jobs, cache=cache or Cache(None))
    return compiled


def extract_python(compiled: Compiled, *, jobs: int, cache: Cache) -> list[Rule]:
    """Fill ``detection`` (and title, dedup key, output fields...) of Python rules through the
    symbolic-execution frontend; rules that already carry a YAML detection are kept."""
    todo = [r for r in compiled.rules if r.python_file and r.detection is None]
    if not todo:
        return compiled.rules
    from .frontends.python.pipeline import extract_tree

    done: dict[str, Rule] = {}
    missing = []
    for r in todo:
        hit = cache.get("extract", key_of(r.source_hash, compiled.support_hash))
        if hit is not None:
            # the key is the content: the same rule may sit elsewhere now (another checkout)
            done[r.id] = replace(Rule.from_dict(hit), python_file=r.python_file,
                                 source_file=r.source_file)
        else:
            missing.append(r)
    if missing:
        by_id = {x.rule_id: x for x in extract_tree(missing, compiled.loaded, jobs=jobs)}
        for r in missing:
            x = by_id.get(r.id)
            if x is None:  # not a rule the frontend handles (e.g. a correlation rule)
                continue
            done[r.id] = x.apply(r)
            cache.put("extract", key_of(r.source_hash, compiled.support_hash), done[r.id].to_dict())
    return [done.get(r.id, r) for r in compiled.rules]
