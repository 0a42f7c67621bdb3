"""The IP-address functions of Logs Insights (isValidIp, isIpInSubnet, isPrivateIP, ...).

IPv4 checks compile to plain SQL, so they stay fast on large data; IPv6 checks and the address
classes call two small Python UDFs (``flowkit_ip_check``, ``flowkit_ip_in``) that the runner
registers on the connection. A missing or malformed address gives false, never an error.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.errors import InsightsQueryError
from flowkit.engines.insights.functions.registry import function
from flowkit.engines.insights.shared import call, case_when
from flowkit.engines.insights.values import BOOL, NUM, Typed, string

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_PATTERN = rf"^({_OCTET}\.){{3}}{_OCTET}$"


def ipv4_valid(text: exp.Expression) -> exp.Expression:
    """Test whether a string is a dotted-quad IPv4 address, in plain SQL.

    Args:
        text: a string expression.

    Returns:
        A boolean expression (null when ``text`` is null).
    """
    return call("regexp_matches", text, exp.Literal.string(IPV4_PATTERN))


def ipv4_number(text: exp.Expression) -> exp.Expression:
    """Convert a dotted-quad IPv4 address to its 32-bit number, in plain SQL.

    Args:
        text: a string expression.

    Returns:
        A BIGINT expression, null when ``text`` is not an IPv4 address.
    """
    total: exp.Expression | None = None
    for index, weight in enumerate((16_777_216, 65_536, 256, 1), start=1):
        octet = exp.cast(
            call("split_part", text.copy(), exp.Literal.string("."), exp.Literal.number(index)), "BIGINT"
        )
        term = exp.Mul(this=octet, expression=exp.Literal.number(weight))
        total = term if total is None else exp.Add(this=total, expression=term)
    assert total is not None
    return case_when(ipv4_valid(text.copy()), total)


def _network(c: Compiler, node: ast.Call) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    arg = node.args[1]
    if not isinstance(arg, ast.Literal) or not isinstance(arg.value, str):
        raise InsightsQueryError(
            f'{node.name}() needs a quoted CIDR block such as "10.0.0.0/8" as argument 2', c.text, arg.pos
        )
    try:
        return ipaddress.ip_network(arg.value.strip(), strict=False)
    except ValueError as exc:
        raise InsightsQueryError(
            f"{node.name}(): {arg.value!r} is not a CIDR block ({exc})", c.text, arg.pos
        ) from None


@function("isipinsubnet", "isipv4insubnet", "isipv6insubnet")
def _in_subnet(c: Compiler, node: ast.Call) -> Typed:
    if len(node.args) != 2:
        raise InsightsQueryError(f"{node.name}() takes an address and a CIDR block", c.text, node.pos)
    address = string(c.expr(node.args[0]))
    network = _network(c, node)
    if (node.name == "isipv4insubnet" and network.version != 4) or (
        node.name == "isipv6insubnet" and network.version != 6
    ):
        return Typed(exp.false(), BOOL)
    if network.version == 4:
        low, high = int(network.network_address), int(network.broadcast_address)
        return Typed(
            exp.Between(
                this=ipv4_number(address), low=exp.Literal.number(low), high=exp.Literal.number(high)
            ),
            BOOL,
        )
    c.udfs.add("flowkit_ip_in")
    return Typed(call("flowkit_ip_in", address, exp.Literal.string(str(network))), BOOL)


@function("isvalidip", "isvalidipv4", "isvalidipv6")
def _is_valid(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    text = string(value)
    if node.name == "isvalidipv4":
        return Typed(ipv4_valid(text), BOOL)
    c.udfs.add("flowkit_ip_check")
    v6 = call("flowkit_ip_check", text.copy(), exp.Literal.string("v6"))
    if node.name == "isvalidipv6":
        return Typed(v6, BOOL)
    has_colon = call("contains", text.copy(), exp.Literal.string(":"))
    return Typed(case_when(has_colon, v6, ipv4_valid(text)), BOOL)


@function("ipv4tonumber")
def _ipv4_to_number(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    return Typed(ipv4_number(string(value)), NUM)


@function("isprivateip", "ispublicip", "isreservedip")
def _ip_class(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    c.udfs.add("flowkit_ip_check")
    kind = node.name[2:-2]  # private | public | reserved
    return Typed(call("flowkit_ip_check", string(value), exp.Literal.string(kind)), BOOL)


_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]


def ip_check(value: str | None, kind: str) -> bool | None:
    """Classify an address: the Python side of the ``flowkit_ip_check`` UDF.

    Args:
        value: the address text, or None.
        kind: ``v6`` (is it IPv6), ``private`` (RFC 1918 or fc00::/7), ``public`` or ``reserved``.

    Returns:
        Whether the address is of that kind; False for text that is not an address, None for None.

    Examples:
        >>> ip_check("10.1.2.3", "private"), ip_check("2001:db8::1", "v6"), ip_check("-", "public")
        (True, True, False)
    """
    if value is None:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    if kind == "v6":
        return address.version == 6
    if kind == "private":
        return any(address in network for network in _PRIVATE if network.version == address.version)
    if kind == "public":
        return address.is_global
    return address.is_reserved


def ip_in(value: str | None, cidr: str) -> bool | None:
    """Test whether an address lies in a CIDR block: the Python side of the ``flowkit_ip_in`` UDF.

    Args:
        value: the address text, or None.
        cidr: the block, e.g. ``2001:db8::/32``.

    Returns:
        Whether it lies in the block; False for text that is not an address, None for None.

    Examples:
        >>> ip_in("2001:db8::7", "2001:db8::/32"), ip_in("10.0.0.1", "2001:db8::/32")
        (True, False)
    """
    if value is None:
        return None
    try:
        return ipaddress.ip_address(value.strip()) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


__all__ = ["IPV4_PATTERN", "ip_check", "ip_in", "ipv4_number", "ipv4_valid"]
