"""``ipaddress`` objects made from event values: what their properties and comparisons mean
in the model (Python's own semantics, which the evaluator runs)."""
from __future__ import annotations

import ipaddress as _ip

from ...model import FALSE, Field, Predicate
from .errors import Unsupported, as_rule_error
from .explore import negate
from .symbolic import Sym, Symbolic, cond, decide, resolve

_NETWORK_TYPES = (_ip.IPv4Network, _ip.IPv6Network)


def _loopback_networks() -> tuple:
    """The networks ``ip_address(x).is_loopback`` tests on this interpreter: 127.0.0.0/8 and
    ::1, plus IPv4-mapped loopback where Python counts it (3.13 on)."""
    nets = ("127.0.0.0/8", "::1/128")
    if _ip.ip_address("::ffff:127.0.0.1").is_loopback:
        nets += ("::ffff:127.0.0.0/104",)
    return nets


LOOPBACK_NETWORKS = _loopback_networks()


def _desc(x) -> str:
    return x.describe() if isinstance(x, Symbolic) else type(x).__name__


def _networks(net) -> tuple:
    nets = tuple(net) if isinstance(net, (list, tuple, set, frozenset)) else (net,)
    if not all(isinstance(n, _NETWORK_TYPES) for n in nets):
        raise Unsupported("ipaddress", "an address compared with something not a network")
    return tuple(sorted(str(n) for n in nets))


class _IPObject(Symbolic):
    """An ``ipaddress`` object made from a field: what address and network objects share."""

    __slots__ = ("field",)
    what = "IP object"

    def __init__(self, field: Field):
        self.field = field

    def truthy(self):
        return negate(FALSE)  # address and network objects are always truthy

    def describe(self):
        return f"{self.what} of {self.field}"

    @property
    def is_private(self):
        return cond(Predicate(self.field, "ip_private"))

    @property
    def is_global(self):
        return cond(Predicate(self.field, "ip_public"))

    @property
    def version(self):
        return 4 if decide(Predicate(self.field, "is_ipv4")) else 6

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsupported(f"ipaddress.{name}", f"{name} of an {self.what} from the event")

    def __str__(self):
        raise Unsupported("ipaddress", f"text of an {self.what} object")

    def __eq__(self, other):
        raise Unsupported("ipaddress", f"comparing {self.what} objects")

    __hash__ = Symbolic.__hash__


class SymIP(_IPObject):
    """``ipaddress.ip_address(field)`` (the field holds its text)."""

    __slots__ = ()
    what = "IP address"

    @property
    def is_loopback(self):
        return cond(Predicate(self.field, "cidr", LOOPBACK_NETWORKS))

    def in_network(self, net):
        return cond(Predicate(self.field, "cidr", _networks(net)))


class SymNetwork(_IPObject):
    """``ipaddress.ip_network(field)``: ``field`` carries the ip_network transform."""

    __slots__ = ()
    what = "IP network"

    @property
    def network_address(self):
        return _AddressOf(self)

    broadcast_address = network_address

    def subnet_of(self, other):
        (net,) = _networks(other)
        if self.version != _ip.ip_network(net).version:
            raise as_rule_error(TypeError(f"{self.field} and {net} are not of the same version"))
        return cond(Predicate(self.field, "cidr", (net,)))


class _AddressOf(Symbolic):
    """A network's network/broadcast address: only its ``version`` (the network's) is used."""

    __slots__ = ("net",)

    def __init__(self, net: SymNetwork):
        self.net = net

    def truthy(self):
        return negate(FALSE)

    def describe(self):
        return f"an address of {self.net.describe()}"

    @property
    def version(self):
        return self.net.version

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unsupported(f"ipaddress.{name}", f"{name} of an address of an IP network from the event")

    __hash__ = Symbolic.__hash__


def _ip_of(real, op: str, exc: type):
    def make(value, *rest):
        value = resolve(value)
        if not isinstance(value, Symbolic):  # an `or` that picked its constant operand
            return real(value, *rest)
        if not isinstance(value, Sym) or rest:
            raise Unsupported("ipaddress", f"address of {_desc(value)}")
        if not decide(Predicate(value.field, op)):
            raise as_rule_error(exc(f"{value.field.dotted} is not an IP address"))
        return SymIP(value.field)
    return make


def _ip_network(value, strict=True):
    value = resolve(value)
    if not isinstance(value, Symbolic):
        return _ip.ip_network(value, strict)
    if not isinstance(value, Sym) or not isinstance(strict, bool):
        raise Unsupported("ipaddress.ip_network()", f"network of {_desc(value)}")
    f = value.field.with_transform("ip_network", *(() if strict else (False,)))
    if not decide(Predicate(f, "exists")):  # Python raises ValueError for every bad value
        raise as_rule_error(ValueError(f"{value.field.dotted} is not an IP network"))
    return SymNetwork(f)


IP_CALLS = {
    _ip.ip_address: _ip_of(_ip.ip_address, "is_ip", ValueError),
    _ip.IPv4Address: _ip_of(_ip.IPv4Address, "is_ipv4", _ip.AddressValueError),
    _ip.IPv6Address: _ip_of(_ip.IPv6Address, "is_ipv6", _ip.AddressValueError),
    _ip.ip_network: _ip_network,
}

__all__ = ["SymIP", "SymNetwork", "IP_CALLS", "LOOPBACK_NETWORKS"]
