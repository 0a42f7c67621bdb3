"""Address scope (private, carrier-grade NAT, link-local, ...) and the well-known AWS addresses."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from flowkit.enrich.cidr import PrefixIndex, factorize, parse_addresses, require_columns, take
from flowkit.errors import FlowkitError

_logger = logging.getLogger(__name__)

#: Special-purpose ranges (RFC 6890 and friends) and the scope each gets; anything else valid is "public".
SCOPES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "cgnat"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("192.0.2.0/24", "documentation"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("198.18.0.0/15", "reserved"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("255.255.255.255/32", "broadcast"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "ipv4-mapped"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("2001:db8::/32", "documentation"),
    ("ff00::/8", "multicast"),
)

#: Addresses AWS gives a meaning inside every VPC (the Nitro link-local services and their IPv6 twins).
NAMED_ADDRESSES: dict[str, str] = {
    "169.254.169.254": "instance-metadata",
    "fd00:ec2::254": "instance-metadata",
    "169.254.169.123": "amazon-time-sync",
    "fd00:ec2::123": "amazon-time-sync",
    "169.254.169.253": "amazon-dns",
    "fd00:ec2::253": "amazon-dns",
    "169.254.170.2": "ecs-task-metadata",
}

#: Used when no VPC CIDRs are given: every private (RFC 1918, RFC 4193) and carrier-grade NAT range.
DEFAULT_INSIDE: tuple[str, ...] = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
)


def parse_cidrs(
    cidrs: Iterable[str] | str, *, what: str = "CIDR"
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Parse CIDR strings strictly (host bits must be zero), naming the bad one in the error."""
    if isinstance(cidrs, str):
        cidrs = [cidrs]
    out = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(str(cidr).strip(), strict=True))
        except ValueError as exc:
            raise FlowkitError(f"{what} {cidr!r} is not a valid CIDR block: {exc}") from None
    return out


def vpc_dns_resolvers(vpc_cidrs: Sequence[str]) -> list[str]:
    """The Amazon-provided DNS resolver of each IPv4 VPC CIDR: the base address plus two.

    Examples:
        >>> vpc_dns_resolvers(["10.0.0.0/16", "172.31.0.0/16"])
        ['10.0.0.2', '172.31.0.2']
    """
    return [
        str(net.network_address + 2) for net in parse_cidrs(vpc_cidrs, what="VPC CIDR") if net.version == 4
    ]


def address_scopes(
    addresses: Iterable[object], *, vpc_cidrs: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Scope and well-known name of each address (object arrays; ``None`` for missing or invalid)."""
    parsed = parse_addresses(addresses)
    index = PrefixIndex([cidr for cidr, _ in SCOPES])
    labels = np.array([scope for _, scope in SCOPES] + ["public"], dtype=object)
    hit = index.lookup_parsed(parsed)
    scope = labels[np.where(hit < 0, len(SCOPES), hit)]
    scope[parsed.version == 0] = None
    named = dict(NAMED_ADDRESSES)
    for resolver in vpc_dns_resolvers(vpc_cidrs or []):
        named[resolver] = "vpc-dns-resolver"
    named_index = PrefixIndex(list(named))
    name_labels = np.array([*named.values(), None], dtype=object)
    name_hit = named_index.lookup_parsed(parsed)
    name = name_labels[np.where(name_hit < 0, len(named), name_hit)]
    return scope, name


def add_address_scope(
    flows: pd.DataFrame,
    *,
    columns: Sequence[str] = ("srcaddr", "dstaddr"),
    vpc_cidrs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Add ``<column>_scope`` and ``<column>_name`` for each address column.

    Scopes: ``private`` (RFC 1918 and IPv6 unique-local), ``cgnat`` (100.64.0.0/10), ``link-local``,
    ``loopback``, ``multicast``, ``broadcast``, ``documentation``, ``reserved``, ``unspecified``,
    ``ipv4-mapped`` and ``public``. Names: ``instance-metadata`` (169.254.169.254), ``amazon-time-sync``
    (169.254.169.123), ``amazon-dns`` (169.254.169.253), their ``fd00:ec2::`` IPv6 twins, and
    ``vpc-dns-resolver`` (the VPC base address plus two, for each of ``vpc_cidrs``).

    Work is done once per unique address, so millions of rows cost little more than their distinct
    addresses. Returns a new DataFrame; the new columns are text.

    See https://docs.aws.amazon.com/vpc/latest/userguide/AmazonDNS-concepts.html

    Examples:
        >>> frame = pd.DataFrame(
        ...     {"srcaddr": ["10.0.1.5", "100.64.1.1"], "dstaddr": ["10.0.0.2", "169.254.169.254"]}
        ... )
        >>> out = add_address_scope(frame, vpc_cidrs=["10.0.0.0/16"])
        >>> out[["srcaddr_scope", "dstaddr_scope", "dstaddr_name"]].values.tolist()
        [['private', 'private', 'vpc-dns-resolver'], ['cgnat', 'link-local', 'instance-metadata']]
    """
    require_columns(flows, list(columns), "add_address_scope")
    out = flows.copy(deep=False)
    for column in columns:
        codes, uniques = factorize(flows[column])
        scope, name = address_scopes(uniques, vpc_cidrs=vpc_cidrs)
        out[f"{column}_scope"] = take(scope, codes)
        out[f"{column}_name"] = take(name, codes)
    return out


def inside_index(vpc_cidrs: Sequence[str] | None) -> PrefixIndex:
    """A :class:`PrefixIndex` of the VPC CIDRs, or of the private ranges when none are given."""
    if not vpc_cidrs:
        _logger.info("no VPC CIDRs given: treating private and CGNAT ranges (%s) as inside", DEFAULT_INSIDE)
        return PrefixIndex(list(DEFAULT_INSIDE))
    return PrefixIndex(parse_cidrs(vpc_cidrs, what="VPC CIDR"))
