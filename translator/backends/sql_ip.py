"""IP address tests in portable SQL with the meaning of Python's ``ipaddress``.

Athena has an IPADDRESS type, DuckDB needs an extension for one (not installable offline), and
neither has Python's ``is_private``/``is_global`` tables. So addresses are recognised by regular
expressions that accept exactly what ``ipaddress.ip_address`` accepts (no leading zeros in IPv4,
one ``::`` standing for at least one group, an optional ``%scope``), and ranges are intervals
computed from the running Python's own ``ipaddress`` tables:

* IPv4: the dotted quad as an integer (fits a BIGINT), compared with integer intervals;
* IPv6: the address expanded to its 32 lower-case hex digits with string functions only
  (``::`` expanded, an IPv4 tail turned into two groups, groups padded). Fixed-width hex
  text orders like the 128-bit number, so an interval test is a string ``BETWEEN``.
"""
from __future__ import annotations

import ipaddress
from functools import lru_cache

from sqlglot import exp

__all__ = ["IPV4", "ipv6_pattern", "ipv4_intervals", "ip_intervals", "network_interval",
           "ipv4_in_intervals", "ipv6_in_intervals", "integer_in_intervals"]

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
    """Anchored pattern of the IPv6 text Python's ip_address accepts."""
    alts = [rf"({_H}:){{7}}{_H}", rf"({_H}:){{6}}{IPV4}"]
    for left in range(8):  # "::" stands for at least one group: at most 7 written ones
        rest = 7 - left
        rhs = "" if rest == 0 else (f"({_H}(:{_H}){{0,{rest - 1}}})?" if rest > 1 else f"({_H})?")
        alts.append(f"{_groups(left)}::{rhs}")
    for left in range(6):  # with a dotted IPv4 tail (two groups' worth)
        alts.append(f"{_groups(left)}::({_H}:){{0,{5 - left}}}{IPV4}")
    return rf"^({'|'.join(alts)})(%[^%/]+)?\z"


# ----------------------------------------------------------------------------- ranges
_MAX = {4: 2 ** 32, 6: 2 ** 128}
_MAPPED = 0xFFFF << 32  # ::ffff:0:0/96, where IPv6Address.is_* defers to the IPv4 address


def _networks(obj, version: int) -> list:
    cls = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    out = []
    for name in dir(obj):
        v = getattr(obj, name)
        if isinstance(v, cls):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(x for x in v if isinstance(x, cls))
    return out


@lru_cache(maxsize=2)
def _boundaries(version: int) -> tuple:
    """Addresses where a property of ``ipaddress`` may change: the edges of every network in
    its constant tables (for IPv6 also the IPv4 edges inside ::ffff:0:0/96)."""
    consts = ipaddress._IPv4Constants if version == 4 else ipaddress._IPv6Constants
    bounds = {0, _MAX[version]}
    for net in _networks(consts, version):
        bounds.update((int(net.network_address), int(net.broadcast_address) + 1))
    if version == 6:
        bounds.update(_MAPPED + b for b in _boundaries(4))
    return tuple(sorted(bounds))


def _holds(version: int, prop: str, level: str, i: int) -> bool:
    """``prop`` of the address ``i`` (level "address") or of the one-address network
    ``ip_network(i)`` (level "network"; IPv6 networks do not defer to a mapped IPv4 address)."""
    if level == "address":
        obj = ipaddress.IPv4Address(i) if version == 4 else ipaddress.IPv6Address(i)
    else:
        obj = ipaddress.IPv4Network(i) if version == 4 else ipaddress.IPv6Network(i)
    return bool(getattr(obj, prop))


@lru_cache(maxsize=16)
def ip_intervals(version: int, prop: str, level: str = "address") -> tuple:
    """Integer intervals [(lo, hi)] of the addresses where ``prop`` (is_private, is_global)
    holds. The properties are unions/differences of the networks in ipaddress' constant tables,
    so they are constant between consecutive boundaries: both ends of each stretch are probed
    (a disagreement would mean that reading of the tables is wrong, and is raised)."""
    edges = _boundaries(version)
    out: list = []
    for lo, nxt in zip(edges, edges[1:]):
        first = _holds(version, prop, level, lo)
        if first != _holds(version, prop, level, nxt - 1):
            raise AssertionError(f"ipaddress {prop} is not constant on [{lo}, {nxt - 1}]")
        if first:
            if out and out[-1][1] == lo - 1:
                out[-1] = (out[-1][0], nxt - 1)
            else:
                out.append((lo, nxt - 1))
    return tuple(out)


def ipv4_intervals(prop: str) -> tuple:
    return ip_intervals(4, prop)


def network_interval(net) -> tuple:
    """(first, last) address of an ipaddress network, as integers."""
    return int(net.network_address), int(net.broadcast_address)


# ----------------------------------------------------------------------------- IPv6 in SQL
_HEX = "0123456789abcdef"
_DOTTED = r"([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)"


def sql_call(name: str, *args: exp.Expression) -> exp.Expression:
    """A call of the SQL function ``name`` (sql_common's ``_fn``: defined here, which
    sql_common imports, so that both modules build calls one way)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _s(text: str) -> exp.Expression:
    return exp.Literal.string(text)


def _n(value: int) -> exp.Expression:
    return exp.Literal.number(value)


def _cat(*parts: exp.Expression) -> exp.Expression:
    """``a || b || ...`` (NULL in, NULL out, in every dialect)."""
    out = parts[0]
    for p in parts[1:]:
        out = exp.DPipe(this=out, expression=p)
    return out


def _let(value: exp.Expression, name: str, body: exp.Expression) -> exp.Expression:
    """``body`` with ``name`` bound to ``value`` computed once:
    ``element_at(transform(ARRAY[value], name -> body), 1)``."""
    lam = exp.Lambda(this=body, expressions=[exp.to_identifier(name)])
    return sql_call("element_at", sql_call("transform", exp.Array(expressions=[value]), lam), _n(1))


def _var(name: str) -> exp.Expression:
    return exp.column(name)


def _hex2(octet: exp.Expression) -> exp.Expression:
    """The two lower-case hex digits of an octet (0..255). ``floor(o / 16)``: integer division
    in Trino, float division then floor elsewhere; the same number."""
    high = exp.cast(exp.Floor(this=exp.Div(this=octet.copy(), expression=_n(16))), "bigint")
    low = exp.Mod(this=octet.copy(), expression=_n(16))
    return _cat(*[exp.Substring(this=_s(_HEX), start=exp.Add(this=d, expression=_n(1)), length=_n(1))
                  for d in (high, low)])


def _any_interval(key: exp.Expression, intervals, literal) -> exp.Expression:
    tests = [exp.Between(this=key.copy(), low=literal(lo), high=literal(hi)) for lo, hi in intervals]
    if not tests:
        return exp.false()
    return tests[0] if len(tests) == 1 else exp.or_(*tests, copy=False)


def _when_valid(pattern: str, text: exp.Expression, value: exp.Expression) -> exp.Expression:
    """``value`` for text that is an address, else NULL: nothing is computed on other text
    (engines evaluate both sides of an AND; a long digit run would overflow a BIGINT)."""
    return exp.Case(ifs=[exp.If(this=exp.RegexpLike(this=text.copy(), expression=_s(pattern)), true=value)])


def ipv4_in_intervals(text: exp.Expression, intervals) -> exp.Expression:
    """Whether ``text`` is a dotted quad whose number lies in one of the integer
    ``intervals`` (NULL when it is not IPv4)."""
    octets = [exp.TryCast(this=sql_call("split_part", text.copy(), _s("."), _n(i)),
                          to=exp.DataType.build("bigint")) for i in range(1, 5)]
    number = exp.Add(this=exp.Add(this=exp.Add(
        this=exp.Mul(this=octets[0], expression=_n(16777216)),
        expression=exp.Mul(this=octets[1], expression=_n(65536))),
        expression=exp.Mul(this=octets[2], expression=_n(256))), expression=octets[3])
    return integer_in_intervals(_when_valid(f"^{IPV4}\\z", text, number), intervals, "rulec_ip4")


def integer_in_intervals(number: exp.Expression, intervals, name: str) -> exp.Expression:
    """``number`` (computed once) lies in one of the integer ``intervals``."""
    if len(intervals) == 1:
        return _any_interval(number, intervals, _n)
    return _let(number, name, _any_interval(_var(name), intervals, _n))


def ipv6_in_intervals(text: exp.Expression, intervals) -> exp.Expression:
    """Whether ``text`` is an IPv6 address in one of the integer ``intervals``, through its
    32-hex-digit expansion (NULL when it is not IPv6)."""
    a, b, n, f, k = (_var(f"rulec_ip6_{c}") for c in "abnfk")
    octets = [exp.TryCast(this=exp.RegexpExtract(this=a.copy(), expression=_s(_DOTTED), group=_n(i)),
                          to=exp.DataType.build("bigint")) for i in range(1, 5)]
    tail = _cat(_hex2(octets[0]), _hex2(octets[1]), _s(":"), _hex2(octets[2]), _hex2(octets[3]))
    # an IPv4 tail becomes two hex groups
    b_value = exp.Case(ifs=[exp.If(this=exp.GT(this=sql_call("strpos", a.copy(), _s(".")), expression=_n(0)),
                                   true=exp.RegexpReplace(this=a.copy(), expression=_s(_DOTTED + "$"),
                                                          replacement=tail))], default=a.copy())
    # a leading/trailing "::" gets an explicit zero group, so "::" always sits between groups
    n_value = _cat(
        exp.Case(ifs=[exp.If(this=sql_call("starts_with", b.copy(), _s("::")), true=_s("0"))], default=_s("")),
        b.copy(),
        exp.Case(ifs=[exp.If(this=exp.Like(this=b.copy(), expression=_s("%::")), true=_s("0"))], default=_s("")))
    # "::" stands for the groups missing from 8: colons written = groups written
    colons = exp.Sub(this=exp.Length(this=n.copy()),
                     expression=exp.Length(this=sql_call("replace", n.copy(), _s(":"), _s(""))))
    zeros = exp.Substring(this=_s("0:" * 8), start=_n(1),
                          length=exp.Mul(this=_n(2), expression=exp.Paren(this=exp.Sub(
                              this=_n(8), expression=exp.Paren(this=colons)))))
    f_value = sql_call("replace", n.copy(), _s("::"), _cat(_s(":"), zeros))
    key_value = _cat(*[sql_call("lpad", sql_call("split_part", f.copy(), _s(":"), _n(i)), _n(4), _s("0"))
                       for i in range(1, 9)])
    cond = _any_interval(k, intervals, lambda i: _s(f"{i:032x}"))
    # the scope id (after %) is not part of the address
    text_value = _when_valid(ipv6_pattern(), text, exp.Lower(this=sql_call("split_part", text, _s("%"), _n(1))))
    body = _let(key_value, k.name, cond)
    body = _let(f_value, f.name, body)
    body = _let(n_value, n.name, body)
    body = _let(b_value, b.name, body)
    return _let(text_value, a.name, body)
