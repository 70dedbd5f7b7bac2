"""Translations made by forked workers (--jobs 2) are the same bytes as those made in one
process (--jobs 1), and a backend crash in a worker stays that rule's `error`."""
import filecmp
from pathlib import Path

from click.testing import CliRunner

from translator import build as build_mod
from translator.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _build(tmp_path, monkeypatch, jobs: int) -> Path:
    monkeypatch.setenv("RULEC_CACHE_DIR", str(tmp_path / f"cache{jobs}"))
    out = tmp_path / f"out{jobs}"
    res = CliRunner().invoke(main, ["build", "rules", "--target", "all", "--out", str(out),
                                    "--fail-on", "never", "-q", "--jobs", str(jobs)])
    assert res.exit_code == 0, res.output
    return out


def test_parallel_and_serial_builds_are_identical(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    serial, parallel = _build(tmp_path, monkeypatch, 1), _build(tmp_path, monkeypatch, 2)
    files = sorted(p.relative_to(serial) for p in serial.rglob("*") if p.is_file())
    assert len(files) > build_mod.PARALLEL_MIN  # enough work for the workers to be used
    assert files == sorted(p.relative_to(parallel) for p in parallel.rglob("*") if p.is_file())
    differ = [f for f in files if not filecmp.cmp(serial / f, parallel / f, shallow=False)]
    assert differ == []
    # the workers wrote the translations they made to the cache, as one process does
    cached = {jobs: sorted(p.name for p in (tmp_path / f"cache{jobs}" / "translate").iterdir())
              for jobs in (1, 2)}
    assert len(cached[2]) > build_mod.PARALLEL_MIN and cached[1] == cached[2]


def _rules(n):
    from translator.model import Field, Predicate, Rule

    return [Rule(id=f"R{i}", log_types=("AWS.CloudTrail",),
                 detection=Predicate(Field(("eventName",)), "eq", f"E{i}")) for i in range(n)]


def test_backend_exception_in_a_worker_is_the_rules_error(monkeypatch):
    from translator.backends.base import BuildOptions

    class Boom:
        name = "sigma"

        def translate(self, rule, mappings, options):
            raise RuntimeError(f"boom {rule.id}")

    monkeypatch.setattr(build_mod, "get_backend", lambda target: Boom())
    monkeypatch.setattr(build_mod, "PARALLEL_MIN", 1)
    done = build_mod._translate_all(_rules(3), {i: ("sigma",) for i in range(3)}, None,
                                    BuildOptions(), jobs=2)
    assert {k: t.error for k, t in done.items()} == {
        (i, "sigma"): f"RuntimeError: boom R{i}" for i in range(3)}


def test_dead_worker_falls_back_to_translating_in_the_parent(monkeypatch):
    import os

    from translator.backends.base import BuildOptions, Output, Translation

    parent = os.getpid()

    class DiesInWorkers:
        name = "sigma"

        def translate(self, rule, mappings, options):
            if os.getpid() != parent:
                os._exit(3)  # as a segfault would: no exception, the worker is gone
            return Translation(rule.id, "sigma", (Output(f"sigma/{rule.id}.yml", "x"),))

    monkeypatch.setattr(build_mod, "get_backend", lambda target: DiesInWorkers())
    monkeypatch.setattr(build_mod, "PARALLEL_MIN", 1)
    done = build_mod._translate_all(_rules(4), {i: ("sigma",) for i in range(4)}, None,
                                    BuildOptions(), jobs=2)
    assert sorted(done) == [(i, "sigma") for i in range(4)]
    assert all(t.verdict == "exact" and not t.error for t in done.values())
