"""`rulec build` of our own rules through every available real backend, with the shipped
mappings: no rule x target may end in `error` (a backend crash)."""
from pathlib import Path

from click.testing import CliRunner

from translator.backends import available_targets
from translator.cli import main

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_no_backend_errors_on_our_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("RULEC_CACHE_DIR", str(tmp_path / "cache"))
    res = CliRunner().invoke(main, ["build", str(RULES), "--out", str(tmp_path / "out"),
                                    "--fail-on", "error"])
    assert res.exit_code == 0, res.output
    summary = res.output.strip().splitlines()[-1]
    assert available_targets()
    for target in available_targets():
        assert list((tmp_path / "out" / target).iterdir()), f"{target}: no output files"
        assert f"{target}: " in summary
    assert " error" not in summary, summary
