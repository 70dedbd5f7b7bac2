"""MITRE ATT&CK Enterprise, bundled (translator/data/attack_enterprise.json) so that no build
needs the network (pySigma's own ATT&CK data, ``sigma.data.mitre_attack``, downloads the STIX
bundle at first use). The one place every target and the catalog take tactic and technique
names from.

A tactic's ``shortname`` is its kill-chain phase name as SigmaHQ writes it in tags
(``attack.defense-evasion``). ATT&CK renamed TA0005 ("Stealth"); the phase name stays
``defense-evasion`` in SigmaHQ's rules and Sentinel's ``DefenseEvasion``, and so do we, so that
generated rules read like the vendors' own. A tactic id not in the table is reported by the
caller, never guessed.
"""
from __future__ import annotations

import json
from functools import lru_cache

from .resources import PACKAGE_DIR


@lru_cache(maxsize=1)
def attack_data() -> dict:
    return json.loads((PACKAGE_DIR / "data" / "attack_enterprise.json").read_text())


def _tactic(tactic_id: str) -> dict | None:
    return attack_data()["tactics"].get(tactic_id.strip().upper())


def tactic_name(tid: str) -> str:
    """``"TA0001"`` -> ``"Initial Access"`` (the id itself when unknown, for display)."""
    t = _tactic(tid)
    return t["name"] if t else tid


def technique_name(tid: str) -> str:
    t = attack_data()["techniques"].get(tid)
    return t["name"] if t else ""


def tactic_shortname(tactic_id: str) -> str | None:
    """``"TA0005"`` -> ``"defense-evasion"``; None for an id the bundled table lacks."""
    t = _tactic(tactic_id)
    return t["shortname"] if t else None


def sentinel_tactic(tactic_id: str) -> str | None:
    """The name Sentinel's ``tactics`` takes: the phase name in camel case
    (``command-and-control`` -> ``CommandAndControl``); None when unknown."""
    short = tactic_shortname(tactic_id)
    return "".join(p.capitalize() for p in short.split("-")) if short else None
