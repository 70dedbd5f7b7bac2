"""Stand-in for ``panther_core.enriched_event``."""
from translator.runtime.event import PantherEvent

__all__ = ["PantherEvent"]
