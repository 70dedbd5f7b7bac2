"""rulec's stand-in for Panther's ``panther_core`` package, importable by rule code in the
sandbox (the shims directory is put on ``sys.path`` only in child processes)."""
from translator.runtime.event import PantherEvent

__all__ = ["PantherEvent"]
