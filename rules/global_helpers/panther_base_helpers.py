"""Generic helpers for our rules: nested-field access that never raises, IP network checks.

The public names (deep_get, deep_walk, is_ip_in_network) follow Panther's helper library so
rules read the same as Panther rules; the implementation is ours.
"""

from collections.abc import Mapping, Sequence
from ipaddress import ip_address, ip_network


def _is_array(value):
    # Strings are Sequences too, but a string is a leaf value, never an array to walk into.
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def deep_get(obj, *keys, default=None):
    """Return obj[k1][k2]...; `default` when a step is missing, not a mapping, or the value is None."""
    current = obj
    for key in keys:
        if not isinstance(current, Mapping):
            return default
        current = current.get(key)
    return default if current is None else current


def _walk(value, keys, crossed_array):
    """Yield (leaf, crossed_array) for every value reachable through `keys`, descending into arrays."""
    if _is_array(value) and (keys or crossed_array):
        for item in value:
            yield from _walk(item, keys, True)
        return
    if not keys:
        if value is not None:
            yield value, crossed_array
        return
    if isinstance(value, Mapping):
        yield from _walk(value.get(keys[0]), keys[1:], crossed_array)


def deep_walk(obj, *keys, default=None, return_val="all"):
    """Like deep_get, but a step may cross arrays: every element is walked with the remaining keys.

    Values found across arrays are de-duplicated (first occurrence kept). `return_val` picks
    "first", "last" or "all"; "all" gives the single value itself when only one was found.
    A path that crosses no array returns its value unchanged (even a list), as deep_get would.
    """
    found = []
    crossed_any = False
    for leaf, crossed in _walk(obj, keys, False):
        crossed_any = crossed_any or crossed
        if leaf not in found:
            found.append(leaf)
    if not found:
        return default
    if not crossed_any:
        leaf = found[0]
        return default if _is_array(leaf) and not leaf else leaf
    if return_val == "first":
        return found[0]
    if return_val == "last":
        return found[-1]
    return found[0] if len(found) == 1 else found


def is_ip_in_network(address, networks):
    """True when `address` parses as an IP and lies in one of the CIDR strings in `networks`."""
    if not address:
        return False
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in ip_network(network, strict=False) for network in networks)
