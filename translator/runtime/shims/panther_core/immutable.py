"""Stand-in for ``panther_core.immutable``."""
from translator.runtime.event import ImmutableCaseInsensitiveDict, ImmutableList, json_encoder

__all__ = ["ImmutableCaseInsensitiveDict", "ImmutableList", "json_encoder"]
