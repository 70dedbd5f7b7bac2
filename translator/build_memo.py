"""The whole-build memo: a no-op `rulec build` re-does nothing.

The per-rule caches (pipeline.Cache) spare extraction and translation, but finding their keys
still means parsing every rule file (~2 s on the public corpus). This memo records, for one
build command (paths, targets, options, working directory), every file it depends on with its
content hash, and what the build produced. The next identical command re-lists and re-hashes
those files (~0.1 s); when all are the same, it reuses the result instead of loading the tree.

What is hashed: every file under the rule paths and under the helper / data-model directories
the loader looks at beside them (so an added, removed or edited file of any kind is a miss),
the rules' Python files wherever they are, and the extra mapping files. rulec's own code,
templates and shipped mappings are in the key (pipeline.key_of), as for the per-rule caches.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .backends.base import Finding, Output, Translation
from .diagnostics import Diagnostic
from .pipeline import Cache, key_of

KIND = "build-memo"


def _roots(paths: list[str]) -> list[Path]:
    from .frontends.panther_yaml import _support_dirs

    roots: list[Path] = []
    for p in map(Path, paths):
        if p.exists():
            roots.append(p)
            roots.extend(_support_dirs((p if p.is_dir() else p.parent).resolve()))
    return list(dict.fromkeys(r.resolve() for r in roots))


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return "missing"


def _tree_files(paths: list[str]) -> list[str]:
    from .frontends.panther_yaml import _SKIP_DIRS

    files: list[str] = []
    for root in _roots(paths):
        if root.is_file():
            files.append(str(root))
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            files.extend(os.path.join(dirpath, f) for f in sorted(filenames))
    return files


class BuildMemo:
    def __init__(self, cache: Cache, paths: list[str], targets: list[str], options_key: str,
                 mapping_files: list[str]):
        self.cache, self.paths, self.mapping_files = cache, list(paths), list(mapping_files)
        self.key = key_of(KIND, json.dumps([os.getcwd(), self.paths, targets, options_key,
                                            self.mapping_files]))

    def _inputs(self, extra: list[str]) -> dict[str, str]:
        files = _tree_files(self.paths) + [str(Path(f).resolve()) for f in extra + self.mapping_files]
        return {f: _digest(f) for f in dict.fromkeys(files)}

    def begin(self) -> None:
        """Hash the inputs before building: a file edited during the build then makes the
        memo stale (a miss next time) instead of pairing its new content with an old result."""
        self._before = self._inputs([])

    def lookup(self):
        """(targets, files, translations, diagnostics, sources) of the last identical build,
        or None."""
        if self.cache.root is None:
            return None
        memo = self.cache.get(KIND, self.key)
        if memo is None:
            return None
        if self._inputs(memo["extra"]) != memo["inputs"]:
            return None
        files = memo["files"]
        translations = [
            Translation(t["rule_id"], t["target"], tuple(Output(p, files[p]) for p in t["outputs"]),
                        tuple(Finding(*f) for f in t["findings"]), t["query"], t["error"])
            for t in memo["translations"]]
        diagnostics = [Diagnostic(**d) for d in memo["diagnostics"]]
        return memo["targets"], files, translations, diagnostics, memo["sources"]

    def save(self, compiled, targets: list[str], files: dict[str, str],
             translations: list[Translation]) -> None:
        if self.cache.root is None:
            return
        extra = sorted({r.python_file for r in compiled.rules if r.python_file})
        inputs = dict(self._before)
        for f in extra:
            f = str(Path(f).resolve())
            inputs.setdefault(f, _digest(f))
        self.cache.put(KIND, self.key, {
            "extra": extra, "inputs": inputs, "targets": targets, "files": files,
            "translations": [{"rule_id": t.rule_id, "target": t.target, "query": t.query,
                              "error": t.error, "outputs": [o.path for o in t.outputs],
                              "findings": [[f.construct, f.reason, f.severity, f.location]
                                           for f in t.findings]} for t in translations],
            "diagnostics": [d.to_dict() for d in compiled.diagnostics],
            "sources": {r.id: r.source_file for r in compiled.rules}})
