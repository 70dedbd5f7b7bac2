"""outputs/ (committed, so pull requests show the query diff) must equal a fresh build of
rules/. Regenerate on purpose, read the diff, commit:
    rulec build rules --target all --out outputs --fail-on never"""
import filecmp
from pathlib import Path

from click.testing import CliRunner

from translator.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def test_committed_outputs_equal_a_fresh_build(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # provenance headers name sources relative to the repository
    monkeypatch.setenv("RULEC_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "outputs"
    res = CliRunner().invoke(main, ["build", "rules", "--target", "all", "--out", str(out),
                                    "--fail-on", "never", "-q"])
    assert res.exit_code == 0, res.output
    fresh, committed = _files(out), _files(ROOT / "outputs")
    assert sorted(fresh) == sorted(committed), "outputs/ is stale: files differ"
    stale = [rel for rel in fresh if not filecmp.cmp(fresh[rel], committed[rel], shallow=False)]
    assert stale == [], f"outputs/ is stale (rebuild it): {stale[:10]}"


def test_a_build_from_cached_models_writes_the_same_bytes(tmp_path, monkeypatch):
    """Models read back from the extraction cache (JSON) must be the models extraction made:
    a warm build that re-translates them writes exactly the committed (cold) outputs."""
    import shutil
    monkeypatch.chdir(ROOT)
    cache = tmp_path / "cache"
    monkeypatch.setenv("RULEC_CACHE_DIR", str(cache))
    args = ["build", "rules", "--target", "all", "--fail-on", "never", "-q", "--out"]
    assert CliRunner().invoke(main, args + [str(tmp_path / "cold")]).exit_code == 0
    # Keep the extracted models only: the translations and the whole-build memo are redone.
    for kind in ("translate", "build-memo"):
        shutil.rmtree(cache / kind, ignore_errors=True)
    res = CliRunner().invoke(main, args + [str(tmp_path / "warm")])
    assert res.exit_code == 0, res.output
    warm, committed = _files(tmp_path / "warm"), _files(ROOT / "outputs")
    assert sorted(warm) == sorted(committed)
    assert [r for r in warm if not filecmp.cmp(warm[r], committed[r], shallow=False)] == []
