"""Golden SQL files: the exact text rulec writes for a few hand-built rules. Regenerate on
purpose only: RULEC_UPDATE_GOLDEN=1 python -m pytest tests/backends/test_athena_golden.py"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from translator.backends.athena import rule_sql

from .golden_rules import GOLDEN
from .sql_helpers import mapping

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "athena"


@pytest.mark.parametrize("stem", sorted(GOLDEN))
def test_golden_sql(stem):
    rule, dialect = GOLDEN[stem]
    text = rule_sql(rule, mapping(), dialect=dialect)
    path = GOLDEN_DIR / f"{stem}.sql"
    if os.environ.get("RULEC_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.read_text() == text


def test_rendering_is_deterministic():
    rule, dialect = GOLDEN["sg_modified.athena"]
    assert rule_sql(rule, mapping(), dialect=dialect) == rule_sql(rule, mapping(), dialect=dialect)
