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
