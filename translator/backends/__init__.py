"""Backends, one module per target; each exposes ``BACKEND`` (see base.py).

Modules are imported only when their target is built, so ``rulec --help`` stays fast.
"""
from __future__ import annotations

import importlib
import importlib.util

# Target name -> module. The order is the build order of `--target all`.
TARGETS: dict[str, str] = {
    "sigma": "translator.backends.sigma",
    "yaral": "translator.backends.yaral",
    "kql": "translator.backends.kql",
    "spl": "translator.backends.spl",
    "athena": "translator.backends.athena",
}


class TargetUnavailable(LookupError):
    pass


def available_targets() -> list[str]:
    return [name for name, mod in TARGETS.items() if importlib.util.find_spec(mod) is not None]


def get_backend(name: str):
    if name not in TARGETS:
        raise TargetUnavailable(f"unknown target {name!r}; targets: {', '.join(TARGETS)}")
    if importlib.util.find_spec(TARGETS[name]) is None:
        raise TargetUnavailable(f"target {name!r} is not available in this build of rulec "
                                f"(available: {', '.join(available_targets()) or 'none'})")
    module = importlib.import_module(TARGETS[name])
    return module.BACKEND
