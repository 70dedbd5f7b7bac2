"""rulec: a compiler for detection rules (Panther in; Sigma, YARA-L, KQL, SPL, Athena SQL out)."""

__version__ = "0.1.0"
