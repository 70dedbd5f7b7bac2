"""MITRE ATT&CK Enterprise tactic ids -> names, bundled so that no build needs the network
(pySigma's own ATT&CK data, ``sigma.data.mitre_attack``, downloads the STIX bundle at first use).

Names are the tactics' ``x_mitre_shortname`` as SigmaHQ writes them in tags
(``attack.defense-evasion``), from https://attack.mitre.org/tactics/enterprise/ (ATT&CK v17).
ATT&CK v18 renamed TA0005 to "Stealth"; SigmaHQ's rules keep ``defense-evasion``, and so do we
so that generated Sigma reads like SigmaHQ's. A tactic id not listed here is reported by the
caller, never guessed.
"""
from __future__ import annotations

TACTIC_SHORTNAMES: dict[str, str] = {
    "TA0043": "reconnaissance",
    "TA0042": "resource-development",
    "TA0001": "initial-access",
    "TA0002": "execution",
    "TA0003": "persistence",
    "TA0004": "privilege-escalation",
    "TA0005": "defense-evasion",
    "TA0006": "credential-access",
    "TA0007": "discovery",
    "TA0008": "lateral-movement",
    "TA0009": "collection",
    "TA0011": "command-and-control",
    "TA0010": "exfiltration",
    "TA0040": "impact",
}


def tactic_shortname(tactic_id: str) -> str | None:
    """``"TA0005"`` -> ``"defense-evasion"``; None for an id the bundled table lacks."""
    return TACTIC_SHORTNAMES.get(tactic_id.strip().upper())
