"""Where shipped data lives, both in a wheel and in a source checkout.

In a wheel, the top-level ``templates/`` directory is installed as ``translator/templates``
(see pyproject's force-include); in a checkout it stays at the repository root.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def templates_dir() -> Path:
    inside = PACKAGE_DIR / "templates"
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / "templates"


def mappings_dir() -> Path:
    return PACKAGE_DIR / "mappings"
