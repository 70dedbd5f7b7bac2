"""Where shipped data lives, both in a wheel and in a source checkout.

In a wheel, the top-level ``templates/`` directory is installed as ``translator/templates``
(see pyproject's force-include); in a checkout it stays at the repository root.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def templates_dir() -> Path:
    inside = PACKAGE_DIR / "templates"
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / "templates"


def mappings_dir() -> Path:
    return PACKAGE_DIR / "mappings"


@lru_cache(maxsize=1)
def template_environment():
    """The Jinja environment of the generated-file templates, made once per process: Jinja
    compiles a template on its first use in an environment, which costs more than rendering
    it, so a fresh environment per rule made template compilation the build's largest cost."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(templates_dir())), undefined=StrictUndefined,
                       keep_trailing_newline=True, autoescape=False)
