"""Security-group egress permissions from an allowlist, within the security-group quotas.

Security groups are stateful: an egress permission lets a connection out and its responses back in. The
quotas (Amazon VPC User Guide, "Amazon VPC quotas", security groups:
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups):

- **inbound or outbound rules per security group: 60** by default, enforced separately for inbound and
  outbound and for IPv4 and IPv6; each CIDR of a permission is one rule, and a rule that references a
  customer-managed prefix list counts as that list's maximum entries;
- **security groups per network interface: 5** by default (up to 16), and rules per group times groups per
  interface cannot exceed 1,000.

:func:`security_group_egress` merges each permission's CIDRs (adjacent and nested blocks become one) and
:func:`fit_security_groups` spreads the permissions over as few groups as the rules quota allows; when even
the groups per interface are not enough, it says what to do instead (fewer, wider destinations after a
review, a managed prefix list, or AWS Network Firewall, which has no such limit per resource).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

import pandas as pd

from flowkit.baseline.allowlist import Endpoint, load_allowlist
from flowkit.baseline.unexpected import AllowlistLike
from flowkit.enrich.aws_ranges import IpRanges
from flowkit.errors import AllowlistError
from flowkit.rules.targets import collapse, egress_rules, endpoint_cidrs, protocol_ports

_logger = logging.getLogger(__name__)

#: Default quota: inbound or outbound rules per security group (per IP version).
SG_RULES_QUOTA = 60
#: Default quota: security groups per network interface (adjustable up to 16).
SG_PER_INTERFACE = 5
_SG_DESCRIPTION = re.compile(r"[^a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]")


def security_group_egress(
    allowlist: AllowlistLike,
    *,
    source: str | None = None,
    ip_ranges: IpRanges | None = None,
    inventory: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Security-group egress permissions (boto3 ``IpPermissions``) for the allowlist's outbound rules.

    Each permission's CIDRs are merged (adjacent and nested blocks become one; the ``Description`` then names
    every rule merged), which keeps the rule count down; check it against the quotas with
    :func:`fit_security_groups`.

    Args:
        allowlist: the reviewed allowlist.
        source: only rules whose source is this ENI, subnet, instance or CIDR (plus rules with any
            source): the security group for that resource.
        ip_ranges: to expand ``aws_service`` destinations; default the shipped extract.
        inventory: ENI addresses, to expand ENI destinations into /32s.

    Returns:
        ``[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": ...,
        "Description": rule name}], "Ipv6Ranges": [...], "PrefixListIds": [...]}, ...]``, ready for
        ``ec2.authorize_security_group_egress(GroupId=..., IpPermissions=...)``.
    """
    allow = load_allowlist(allowlist)
    merged: dict[tuple[str, int, int], dict[str, Any]] = {}
    for rule in egress_rules(allow, source):
        description = _SG_DESCRIPTION.sub("-", rule.name)
        plain = Endpoint(**{k: v for k, v in vars(rule.destination).items() if k != "prefix_list"})
        only_prefix_lists = bool(rule.destination.prefix_list) and not any(vars(plain).values())
        cidrs = [] if only_prefix_lists else endpoint_cidrs(plain, rule, allow, ip_ranges, inventory)
        for proto, lo, hi in protocol_ports(rule):
            perm = merged.setdefault((proto, lo, hi), {"IpProtocol": proto, "FromPort": lo, "ToPort": hi})
            perm.setdefault("_cidrs", {})
            for cidr in cidrs:
                perm["_cidrs"].setdefault(cidr, []).append(description)
            for pl in rule.destination.prefix_list:
                perm.setdefault("PrefixListIds", []).append(
                    {"PrefixListId": pl, "Description": description[:255]}
                )
    out = []
    for perm in merged.values():
        named = perm.pop("_cidrs")
        for block in collapse(named):
            network = ipaddress.ip_network(block)
            names = sorted(
                {
                    n
                    for c, ns in named.items()
                    for n in ns
                    if (inner := ipaddress.ip_network(c)).version == network.version
                    and inner.subnet_of(network)  # type: ignore[arg-type]
                }
            )
            key, item = ("Ipv6Ranges", "CidrIpv6") if network.version == 6 else ("IpRanges", "CidrIp")
            perm.setdefault(key, []).append({item: block, "Description": ", ".join(names)[:255]})
        if perm["IpProtocol"] == "-1":
            perm.pop("FromPort")
            perm.pop("ToPort")
        out.append(
            {
                k: perm[k]
                for k in ("IpProtocol", "FromPort", "ToPort", "IpRanges", "Ipv6Ranges", "PrefixListIds")
                if k in perm
            }
        )
    return out


def rule_count(permissions: list[dict[str, Any]], version: int = 4) -> int:
    """How many rules ``permissions`` take in a security group, for IPv4 (``version=4``) or IPv6.

    Each CIDR is one rule; a prefix list counts as one here (it really counts as its maximum entries).
    """
    key = "IpRanges" if version == 4 else "Ipv6Ranges"
    return sum(len(p.get(key, [])) + len(p.get("PrefixListIds", [])) for p in permissions)


def fit_security_groups(
    permissions: list[dict[str, Any]],
    *,
    quota: int = SG_RULES_QUOTA,
    per_interface: int = SG_PER_INTERFACE,
) -> list[list[dict[str, Any]]]:
    """Spread egress permissions over security groups of at most ``quota`` rules each (per IP version).

    Args:
        permissions: :func:`security_group_egress`'s result for one resource.
        quota: rules per security group (default 60, the default quota).
        per_interface: security groups a network interface can have (default 5, the default quota).

    Returns:
        One list of permissions per security group (a single group when they fit in one).

    Raises:
        AllowlistError: when they need more groups than an interface can have, saying what to do instead.
    """
    groups: list[list[dict[str, Any]]] = [[]]
    counts = [[0, 0]]
    for perm in permissions:
        for key, version in (("IpRanges", 0), ("Ipv6Ranges", 1), ("PrefixListIds", 0)):
            for entry in perm.get(key, []):
                if counts[-1][version] >= quota:
                    groups.append([])
                    counts.append([0, 0])
                group = groups[-1]
                if not group or group[-1]["_of"] is not perm:
                    group.append({"_of": perm, **{k: v for k, v in perm.items() if k not in _LISTS}})
                group[-1].setdefault(key, []).append(entry)
                counts[-1][version] += 1
    if len(groups) > per_interface:
        total = rule_count(permissions, 4) + rule_count(permissions, 6)
        raise AllowlistError(
            f"{total} egress rules need {len(groups)} security groups of {quota} rules, more than the "
            f"{per_interface} a network interface can have (Amazon VPC quotas). Narrow the destinations after a "
            "review (a provider's published range instead of many addresses), use a managed prefix list, or "
            "filter this traffic with AWS Network Firewall"
        )
    return [[{k: v for k, v in p.items() if k != "_of"} for p in group] for group in groups if group]


_LISTS = ("IpRanges", "Ipv6Ranges", "PrefixListIds")
