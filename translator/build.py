"""`rulec build`: canonical rules -> one file per rule and target, plus per-target packages.

Translation is pure (rule + mapping -> text), cached on disk by content, and written through
outputs.sync_outputs (atomic, stale files removed). Verdicts per rule x target feed reports.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from .backends import get_backend
from .backends.base import BuildOptions, Finding, Output, Translation
from .model import Rule, _thaw
from .pipeline import Cache, Compiled, key_of


@dataclass
class BuildResult:
    translations: list[Translation] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    sync: dict = field(default_factory=dict)


def _translation_to_json(t: Translation) -> dict:
    return {"rule_id": t.rule_id, "target": t.target, "query": t.query, "error": t.error,
            "outputs": [[o.path, o.text] for o in t.outputs],
            "findings": [[f.construct, f.reason, f.severity, f.location] for f in t.findings]}


def _translation_from_json(d: dict) -> Translation:
    return Translation(d["rule_id"], d["target"], tuple(Output(*o) for o in d["outputs"]),
                       tuple(Finding(*f) for f in d["findings"]), d.get("query", ""),
                       d.get("error", ""))


def translate_one(backend, rule: Rule, mappings, options: BuildOptions) -> Translation:
    """One rule x target; a crash of the backend is this rule's `error`, not the build's."""
    if rule.extraction is not None and rule.extraction.verdict == "mismatch":
        # The extracted model disagrees with the real Python rule: a query built from it would
        # be wrong, so none is emitted (a frontend bug, reported as this rule's error).
        return Translation(rule.id, backend.name, error="extraction disagrees with the Python "
                           "rule: " + "; ".join(rule.extraction.reasons))
    if rule.extraction is not None and rule.extraction.verdict in ("unsupported", "none") \
            or rule.detection is None and rule.correlation is None:
        reasons = "; ".join(rule.extraction.reasons) or "no detection logic could be extracted"
        return Translation(rule.id, backend.name, (), (Finding(
            "detection", f"no canonical detection: {reasons}", "unsupported"),))
    try:
        return backend.translate(rule, mappings, options)
    except Exception as exc:  # noqa: BLE001 - a backend bug must not stop other rules
        return Translation(rule.id, backend.name, error=f"{type(exc).__name__}: {exc}")


def with_rules(options: BuildOptions, rules: list[Rule]) -> BuildOptions:
    """``options`` knowing every loaded rule (correlation rules lower their sub-rules)."""
    return replace(options, rules={r.id: r for r in rules})


def _content_hash(rule: Rule, rules_by_id: dict) -> str:
    """What a rule's translation depends on: its own files, and a correlation rule's
    sub-rules (their detection and alert context make its steps)."""
    if rule.correlation is None:
        return rule.source_hash
    subs = sorted({s["rule_id"] for s in _thaw(rule.correlation)["steps"]})
    return key_of(rule.source_hash, *(rules_by_id[r].source_hash if r in rules_by_id else "-"
                                      for r in subs))


# Below this many translations to do, forking workers costs more than it saves.
PARALLEL_MIN = 40

# What forked translation workers read (inherited through fork, never pickled).
_WORK: tuple | None = None


def _translate_task(task: tuple[int, tuple[str, ...]]) -> tuple[int, list[Translation]]:
    index, targets = task
    rules, mappings, options = _WORK
    return index, [translate_one(get_backend(t), rules[index], mappings, options) for t in targets]


def _translate_all(rules: list[Rule], todo: dict[int, tuple[str, ...]], mappings,
                   options: BuildOptions, jobs: int,
                   keep=lambda index, translations: None) -> dict[tuple[int, str], Translation]:
    """Translate rule x target pairs, over ``jobs`` forked workers when there are enough;
    ``keep(index, translations)`` (the cache write of one rule's translations) runs here as
    results arrive, so that one process creates the cache files (two creating files in one
    directory at once contend for it). Translation is rulec's own code (rule code never runs
    here), so plain workers suffice."""
    global _WORK
    done: dict[tuple[int, str], Translation] = {}
    tasks = sorted(todo.items())
    if jobs > 1 and sum(len(t) for _, t in tasks) >= PARALLEL_MIN:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        _WORK = (rules, mappings, options)
        try:
            with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                for index, translations in pool.map(_translate_task, tasks, chunksize=4):
                    keep(index, translations)
                    done.update(((index, t.target), t) for t in translations)
        except BrokenProcessPool:
            pass  # a worker died: what is left is translated here, where an error is visible
        finally:
            _WORK = None
    for index, targets in tasks:
        left = [t for t in targets if (index, t) not in done]
        if left:
            translations = [translate_one(get_backend(t), rules[index], mappings, options)
                            for t in left]
            keep(index, translations)
            done.update(((index, t.target), t) for t in translations)
    return done


def options_key(options: BuildOptions) -> str:
    """The options a translation depends on, as a cache-key part."""
    return json.dumps({"strict": options.strict, "dialect": options.dialect,
                       "since": options.since, "extra": options.extra}, sort_keys=True)


def build(compiled: Compiled, targets: list[str], mappings, mapping_hash: str,
          options: BuildOptions, cache: Cache, jobs: int = 1) -> BuildResult:
    result = BuildResult()
    opts_key = options_key(options)
    options = with_rules(options, compiled.rules)
    # One cache entry per rule holding its translation for each target built so far: a
    # corpus build then creates ~900 cache files instead of one per rule and target (~4,400,
    # whose creation cost ~2 s), and a build of other targets adds to the same entries.
    keys: dict[int, str] = {}
    entries: dict[int, dict] = {}
    found: dict[tuple[int, str], Translation] = {}
    todo: dict[int, tuple[str, ...]] = {}
    for i, rule in enumerate(compiled.rules):
        keys[i] = key_of("translate", _content_hash(rule, options.rules), compiled.support_hash,
                         mapping_hash, opts_key)
        entries[i] = cache.get("translate", keys[i]) or {}
        for target in targets:
            hit = entries[i].get(target)
            if hit is not None:
                found[(i, target)] = _translation_from_json(hit)
            else:
                todo[i] = todo.get(i, ()) + (target,)

    def keep(index: int, translations: list[Translation]) -> None:
        new = {t.target: _translation_to_json(t) for t in translations if not t.error}
        if new:
            cache.put("translate", keys[index], {**entries[index], **new})

    found.update(_translate_all(compiled.rules, todo, mappings, options, jobs, keep))
    for target in targets:
        backend = get_backend(target)
        per_target = [found[(i, target)] for i in range(len(compiled.rules))]
        package = getattr(backend, "package", None)
        if package is not None:
            for out in package(per_target, options):
                result.files[out.path] = out.text
        for t in per_target:
            for out in t.outputs:
                result.files[out.path] = out.text
        result.translations.extend(per_target)
    return result
