"""IP address tests in portable SQL with the meaning of Python's ``ipaddress``.

Athena has an IPADDRESS type, DuckDB needs an extension for one, and neither has Python's
``is_private``/``is_global`` tables. So addresses are recognised by regular expressions that
accept exactly what ``ipaddress.ip_address`` accepts (no leading zeros in IPv4, one ``::``
standing for at least one group, an optional ``%scope``), and IPv4 ranges are integer
intervals computed from the running Python's own ``ipaddress`` tables.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

__all__ = ["IPV4", "ipv6_pattern", "ipv4_intervals"]

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
IPV4 = rf"{_OCTET}(\.{_OCTET}){{3}}"
_H = r"[0-9a-fA-F]{1,4}"


def _groups(n: int) -> str:
    """n hex groups separated by colons ("" for 0)."""
    if n == 0:
        return ""
    return _H if n == 1 else rf"{_H}(:{_H}){{{n - 1}}}"


@lru_cache(maxsize=1)
def ipv6_pattern() -> str:
    """Anchored pattern of the IPv6 text Python's ip_address accepts (after strip())."""
    alts = [rf"({_H}:){{7}}{_H}", rf"({_H}:){{6}}{IPV4}"]
    for left in range(8):  # "::" stands for at least one group: at most 7 written ones
        rest = 7 - left
        rhs = "" if rest == 0 else (f"({_H}(:{_H}){{0,{rest - 1}}})?" if rest > 1 else f"({_H})?")
        alts.append(f"{_groups(left)}::{rhs}")
    for left in range(6):  # with a dotted IPv4 tail (two groups' worth)
        alts.append(f"{_groups(left)}::({_H}:){{0,{5 - left}}}{IPV4}")
    return rf"^({'|'.join(alts)})(%[^%/]+)?\z"


def _networks(obj) -> list:
    out = []
    for name in dir(obj):
        v = getattr(obj, name)
        if isinstance(v, ipaddress.IPv4Network):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(x for x in v if isinstance(x, ipaddress.IPv4Network))
    return out


@lru_cache(maxsize=8)
def ipv4_intervals(prop: str) -> tuple:
    """Integer intervals [(lo, hi)] of the IPv4 addresses where ``IPv4Address.<prop>`` holds.
    The properties are unions/differences of the networks in ipaddress' constant tables, so
    they are constant between consecutive network boundaries: probe one address each."""
    bounds = {0, 2 ** 32}
    for net in _networks(ipaddress._IPv4Constants):
        bounds.update((int(net.network_address), int(net.broadcast_address) + 1))
    edges = sorted(bounds)
    out: list = []
    for lo, nxt in zip(edges, edges[1:]):
        if getattr(ipaddress.IPv4Address(lo), prop):
            if out and out[-1][1] == lo - 1:
                out[-1] = (out[-1][0], nxt - 1)
            else:
                out.append((lo, nxt - 1))
    return tuple(out)
