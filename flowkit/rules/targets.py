"""What the rule generators share: the addresses an allowlist endpoint stands for, and protocol/port triples."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import pandas as pd

from flowkit.baseline.allowlist import Allowlist, Endpoint, Rule
from flowkit.enrich.aws_ranges import IpRanges, default_ip_ranges
from flowkit.errors import AllowlistError

#: The ephemeral ports responses go back to (every client OS and AWS's NAT gateways and load balancers).
EPHEMERAL = (1024, 65535)
IP_PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
ANY = ("0.0.0.0/0",)


def endpoint_cidrs(
    endpoint: Endpoint,
    rule: Rule,
    allowlist: Allowlist,
    ip_ranges: IpRanges | None,
    inventory: pd.DataFrame | None,
) -> list[str]:
    """The CIDRs an endpoint stands for (ENIs through the inventory, AWS services through ip-ranges).

    Raises:
        AllowlistError: a tag endpoint, an ENI endpoint without an inventory, or no address at all.
    """
    if endpoint.is_any():
        return list(endpoint.cidr) or list(ANY)
    if endpoint.tag:
        raise AllowlistError(
            f"rule {rule.name!r}: tag endpoints cannot be turned into address rules; use eni or cidr"
        )
    cidrs = list(endpoint.cidr)
    for pl in endpoint.prefix_list:
        cidrs += allowlist.prefix_lists.get(pl, [])
    ranges = ip_ranges or default_ip_ranges()
    for service in endpoint.aws_service:
        for region in endpoint.region or (None,):
            cidrs += ranges.networks(service, region)
    for column, values in (
        ("interface_id", endpoint.eni),
        ("subnet_id", endpoint.subnet),
        ("instance_id", endpoint.instance),
    ):
        if not values:
            continue
        if inventory is None or column not in inventory:
            raise AllowlistError(
                f"rule {rule.name!r}: pass inventory= (flowkit.baseline.interface_addresses) to "
                f"turn {column} {', '.join(values)} into addresses"
            )
        addresses = inventory.loc[inventory[column].isin(values), "address"]
        cidrs += [str(ipaddress.ip_network(a)) for a in addresses]
    if not cidrs:
        raise AllowlistError(f"rule {rule.name!r}: its endpoint resolves to no addresses")
    return sort_cidrs(cidrs)


def sort_cidrs(cidrs: Iterable[str]) -> list[str]:
    """Unique CIDRs, IPv4 first, in address order."""
    return sorted(set(cidrs), key=lambda c: (ipaddress.ip_network(c).version, ipaddress.ip_network(c)))


def collapse(cidrs: Iterable[str]) -> list[str]:
    """The fewest CIDRs covering exactly the same addresses (adjacent and nested blocks merged).

    Examples:
        >>> collapse(["10.0.0.0/25", "10.0.0.128/25", "10.0.0.7/32", "2001:db8::/64"])
        ['10.0.0.0/24', '2001:db8::/64']
    """
    networks = [ipaddress.ip_network(c) for c in cidrs]
    out = []
    for version in (4, 6):
        out += [str(n) for n in ipaddress.collapse_addresses(n for n in networks if n.version == version)]
    return out


def egress_rules(allowlist: Allowlist, source: str | None) -> list[Rule]:
    """The allow rules that open connections outwards (from ``source`` only, when given)."""
    rules = [
        r for r in allowlist.rules if r.direction in ("outbound", "internal", "any") and r.action != "reject"
    ]
    if source is not None:
        rules = [
            r
            for r in rules
            if source in r.source.eni + r.source.subnet + r.source.instance
            or source in r.source.cidr
            or r.source.is_any()
        ]
    return rules


def protocol_ports(rule: Rule) -> list[tuple[str, int, int]]:
    """(IpProtocol, FromPort, ToPort) triples of a rule; -1 ports for ICMP and all-protocol rules."""
    protocols = list(rule.protocols) or ([6, 17] if rule.ports else [-1])
    out = []
    for proto in protocols:
        name = IP_PROTOCOLS.get(proto, str(proto)) if proto >= 0 else "-1"
        if proto in (6, 17, 132):
            out += [(name, lo, hi) for lo, hi in (rule.ports or ((0, 65535),))]
        else:
            out.append((name, -1, -1))
    return out


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping and adjacent port ranges merged.

    Examples:
        >>> merge_ranges([(443, 443), (8080, 8081), (8082, 8082), (1024, 65535)])
        [(443, 443), (1024, 65535)]
    """
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]
