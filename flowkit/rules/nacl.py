"""Network ACL entries per subnet, from an allowlist and the traffic it explains, within the NACL quota.

A network ACL belongs to a subnet and is **stateless**: it sees every packet that enters or leaves the subnet,
so each allowed request needs an entry, and so does its response (to the client's ephemeral port; see
https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html). Which packets cross which
subnet's boundary follows the path traffic really takes (an application server's packets to the internet
enter the NAT gateway's subnet, then leave it), so the entries are derived from the records the allowlist
explains (a baseline period), each peer named by the rule's own addresses (all of S3's published prefixes,
not just the addresses seen).

**The quota** (Amazon VPC User Guide, "Amazon VPC quotas", network ACLs:
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-nacls): **20 rules per
network ACL** by default, for inbound and for outbound each (and for IPv4 and IPv6 each), adjustable up to 40
per direction, at some cost in network performance. AWS has counted the final deny rule (``*``) in the 20,
so flowkit plans at most ``quota - 1`` entries per direction.

Each subnet's plan is made as tight as fits:

1. ``exact``: one entry per peer CIDR and port range, CIDRs and port ranges merged where they touch;
2. ``ports only``: when that is too many, peers outside the VPC become ``0.0.0.0/0``: the ACL then limits
   ports and the security groups limit destinations;
3. ``security groups only``: when even that does not fit, no entries: keep the subnet's ACL open (its
   default allow rules) and enforce the allowlist with security groups
   (:func:`~flowkit.rules.security_group_egress`) or AWS Network Firewall, which have no such limit.

DNS queries to the Amazon-provided resolver (the VPC's base address plus two, and 169.254.169.253) get no
entries: "Network ACLs can't block DNS requests to or from the Route 53 Resolver (also known as the VPC+2 IP
address or AmazonProvidedDNS)" (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-basics.html), so an
entry for them would only use up the quota.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from flowkit.baseline.allowlist import load_allowlist
from flowkit.baseline.conversations import interface_addresses
from flowkit.baseline.unexpected import AllowlistLike, analyse
from flowkit.enrich.aws_ranges import IpRanges
from flowkit.errors import AllowlistError
from flowkit.frames import with_flowkit_dtypes
from flowkit.rules.targets import EPHEMERAL, collapse, endpoint_cidrs, merge_ranges

#: Default quota: rules per network ACL, per direction (adjustable up to 40).
NACL_RULES_QUOTA = 20
NACL_RULES_MAX = 40
LEVELS = ("exact", "ports only", "security groups only")
_LAST_RULE = 32766

Key = tuple[bool, int, str, int, int]  # egress, protocol, cidr, from port, to port


@dataclass
class NaclPlan:
    """The network ACL entries for one subnet.

    Attributes:
        subnet_id: the subnet.
        entries: keyword arguments of ``ec2.create_network_acl_entry(NetworkAclId=..., **entry)``.
        level: ``exact``, ``ports only`` or ``security groups only`` (see the module docstring).
        quota: the rules per direction the plan had to fit in (the final deny rule included).
        needed: entries the exact plan needed, per direction (``{"egress": n, "ingress": m}``).
        note: what the level means for this subnet.
    """

    subnet_id: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    level: str = "exact"
    quota: int = NACL_RULES_QUOTA
    needed: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @property
    def fits(self) -> bool:
        """Whether the plan has entries that fit the quota (not ``security groups only``)."""
        return self.level != "security groups only"

    def count(self, egress: bool) -> int:
        """Entries in one direction."""
        return sum(1 for e in self.entries if e["Egress"] is egress)


def resolver_addresses(vpc: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> set[str]:
    """The Amazon-provided DNS resolver's addresses, which network ACLs do not filter (see the module docstring)."""
    return {str(n.network_address + 2) for n in vpc if n.version == 4} | {"169.254.169.253", "fd00:ec2::253"}


def _crossings(allowlist, flows, inventory, ip_ranges, resolvers: set[str]) -> dict[str, set[Key]]:
    """Per subnet, the (egress, protocol, peer CIDR, port range) its ACL must allow, requests and responses."""
    allow = load_allowlist(allowlist)
    if "subnet_id" not in inventory or inventory["subnet_id"].isna().all():
        raise AllowlistError(
            "network ACLs are per subnet, and these records name no subnet: log the subnet-id field (format "
            "version 3 and later) or pass inventory= with a subnet_id column"
        )
    result = analyse(flows, allow, inventory=inventory)
    conv = result.conv
    table = conv.table
    eni_subnet = inventory.dropna(subset=["subnet_id"]).drop_duplicates("interface_id")
    eni_subnet = eni_subnet.set_index("interface_id")["subnet_id"]
    owned = (
        inventory.dropna(subset=["subnet_id"]).drop_duplicates("address").set_index("address")["subnet_id"]
    )
    rows = np.flatnonzero(conv.row >= 0)
    records = (
        pd.DataFrame(
            {
                "subnet": flows["interface_id"].astype(object).map(eni_subnet).to_numpy()[rows],
                "conv": conv.row[rows],
            }
        )
        .dropna()
        .drop_duplicates()
    )
    records["rule"] = result.matched[records["conv"].to_numpy()]
    records = records[records["rule"] >= 0]
    out: dict[str, set[Key]] = {str(s): set() for s in eni_subnet.unique()}
    cache: dict[tuple[int, bool], list[str]] = {}
    for subnet, code, rule_index in records.itertuples(index=False):
        rule = allow.rules[rule_index]
        if rule.action == "reject":
            continue
        conversation = table.iloc[code]
        client_in = owned.get(conversation["client"]) == subnet
        server_in = owned.get(conversation["server"]) == subnet
        if client_in and server_in:
            continue  # traffic inside a subnet never meets its ACL
        if int(conversation["service_port"]) == 53 and str(conversation["server"]) in resolvers:
            continue  # DNS to the Amazon-provided resolver: no ACL filters it
        if (rule_index, client_in) not in cache:
            peer = rule.destination if client_in else rule.source
            cache[(rule_index, client_in)] = endpoint_cidrs(peer, rule, allow, ip_ranges, inventory)
        proto, port = int(conversation["protocol"]), int(conversation["service_port"])
        ports = (port, port) if proto in (6, 17) else (-1, -1)
        back = EPHEMERAL if proto in (6, 17) else (-1, -1)
        for cidr in cache[(rule_index, client_in)]:
            out[str(subnet)].add((client_in, proto, cidr, *ports))  # the request
            out[str(subnet)].add((not client_in, proto, cidr, *back))  # its response
    return out


def _merge(keys: set[Key]) -> set[Key]:
    """Merge CIDRs per (direction, protocol, ports) and port ranges per (direction, protocol, CIDR)."""
    while True:
        by_ports: dict[tuple[bool, int, int, int], list[str]] = {}
        for egress, proto, cidr, lo, hi in keys:
            by_ports.setdefault((egress, proto, lo, hi), []).append(cidr)
        step = {(e, p, c, lo, hi) for (e, p, lo, hi), cidrs in by_ports.items() for c in collapse(cidrs)}
        by_cidr: dict[tuple[bool, int, str], list[tuple[int, int]]] = {}
        for egress, proto, cidr, lo, hi in step:
            by_cidr.setdefault((egress, proto, cidr), []).append((lo, hi))
        merged = {
            (e, p, c, lo, hi) for (e, p, c), ranges in by_cidr.items() for lo, hi in merge_ranges(ranges)
        }
        if merged == keys:
            return merged
        keys = merged


def _ports_only(keys: set[Key], vpc: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> set[Key]:
    def widen(cidr: str) -> str:
        network = ipaddress.ip_network(cidr)
        if any(network.version == v.version and network.subnet_of(v) for v in vpc):  # type: ignore[arg-type]
            return cidr
        return "0.0.0.0/0" if network.version == 4 else "::/0"

    return _merge({(e, p, widen(c), lo, hi) for e, p, c, lo, hi in keys})


def _too_many(keys: set[Key], budget: int) -> bool:
    counts: dict[tuple[bool, int], int] = {}
    for egress, _, cidr, _, _ in keys:
        version = ipaddress.ip_network(cidr).version
        counts[(egress, version)] = counts.get((egress, version), 0) + 1
    return any(n > budget for n in counts.values())


def _entries(keys: set[Key], first_rule: int, step: int) -> list[dict[str, Any]]:
    entries = []
    for egress in (True, False):
        number = first_rule
        ordered = sorted(
            (k for k in keys if k[0] is egress),
            key=lambda k: (ipaddress.ip_network(k[2]).version, k[1], k[3], ipaddress.ip_network(k[2])),
        )
        for _, proto, cidr, lo, hi in ordered:
            if number > _LAST_RULE:
                raise AllowlistError(f"rule number {number} is past the last NACL rule number {_LAST_RULE}")
            entry: dict[str, Any] = {
                "RuleNumber": number,
                "Protocol": str(proto),
                "RuleAction": "allow",
                "Egress": egress,
            }
            entry["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
            if proto in (6, 17):
                entry["PortRange"] = {"From": lo, "To": hi}
            elif proto in (1, 58):
                entry["IcmpTypeCode"] = {"Type": -1, "Code": -1}
            entries.append(entry)
            number += step
    return entries


def network_acls(
    allowlist: AllowlistLike,
    flows: pd.DataFrame,
    *,
    inventory: pd.DataFrame | None = None,
    vpc_cidrs: list[str] | None = None,
    ip_ranges: IpRanges | None = None,
    quota: int = NACL_RULES_QUOTA,
    first_rule: int = 100,
    step: int = 10,
) -> list[NaclPlan]:
    """Network ACL entries for every subnet, each plan within ``quota`` rules per direction.

    Args:
        allowlist: the reviewed allowlist (``action: reject`` rules never become entries).
        flows: records the allowlist explains (the baseline period): they show which subnets' boundaries
            each allowed connection crosses.
        inventory: ENI addresses with their ``subnet_id`` (default: from ``flows``).
        vpc_cidrs: the VPC's CIDRs (peers inside it stay exact in a ``ports only`` plan); default the
            allowlist's.
        ip_ranges: to expand ``aws_service`` peers; default the shipped extract.
        quota: rules per direction of the account's NACL quota (default 20; at most 40). The final deny rule
            counts, so a plan has at most ``quota - 1`` entries per direction.
        first_rule: the first rule number in each direction.
        step: the gap between rule numbers (room to insert entries later).

    Returns:
        One :class:`NaclPlan` per subnet, by subnet ID (see the module docstring for the levels).
    """
    if not 2 <= quota <= NACL_RULES_MAX:
        raise AllowlistError(
            f"quota must be 2 to {NACL_RULES_MAX} rules per direction (AWS's maximum), not {quota}"
        )
    allow = load_allowlist(allowlist)
    inventory = interface_addresses(flows) if inventory is None else inventory
    vpc = [
        ipaddress.ip_network(c)
        for c in (vpc_cidrs or allow.vpc_cidrs or ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
    ]
    crossings = _crossings(allow, flows, inventory, ip_ranges, resolver_addresses(vpc))
    budget = quota - 1
    plans = []
    for subnet in sorted(crossings):
        exact = _merge(crossings[subnet])
        needed = {
            "egress": sum(1 for k in exact if k[0]),
            "ingress": sum(1 for k in exact if not k[0]),
        }
        if not _too_many(exact, budget):
            keys, level, note = exact, "exact", "every peer and port as the allowlist names them"
        elif not _too_many(widened := _ports_only(exact, vpc), budget):
            keys, level = widened, "ports only"
            note = (
                f"the exact entries ({needed['egress']} out, {needed['ingress']} in) exceed {budget} per direction: "
                "peers outside the VPC are 0.0.0.0/0, so this ACL limits ports; the security groups limit destinations"
            )
        else:
            keys, level = set(), "security groups only"
            note = (
                f"even by port alone the entries exceed {budget} per direction: leave this subnet's ACL open and "
                "enforce the allowlist with security groups (or AWS Network Firewall)"
            )
        plans.append(NaclPlan(str(subnet), _entries(keys, first_rule, step), level, quota, needed, note))
    return plans


def network_acl_entries(
    allowlist: AllowlistLike,
    flows: pd.DataFrame,
    *,
    subnet: str,
    inventory: pd.DataFrame | None = None,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """The entries of one subnet's network ACL (:func:`network_acls`, one subnet).

    Raises:
        AllowlistError: the subnet has no traffic in ``flows``, or its plan does not fit the quota
            (then use security groups; the message says why).
    """
    plans = {p.subnet_id: p for p in network_acls(allowlist, flows, inventory=inventory, **kwargs)}
    if subnet not in plans:
        raise AllowlistError(f"no traffic of subnet {subnet!r} in these records; subnets: {', '.join(plans)}")
    plan = plans[subnet]
    if not plan.fits:
        raise AllowlistError(f"subnet {subnet}: {plan.note}")
    return plan.entries


def nacl_summary(plans: list[NaclPlan]) -> pd.DataFrame:
    """One row per subnet: entries out and in, the quota, whether the plan fits, its level and what it means."""
    rows = [
        {
            "subnet_id": p.subnet_id,
            "egress_entries": p.count(True),
            "ingress_entries": p.count(False),
            "exact_needed": f"{p.needed.get('egress', 0)} out, {p.needed.get('ingress', 0)} in",
            "quota_per_direction": p.quota,
            "level": p.level,
            "note": p.note,
        }
        for p in plans
    ]
    return with_flowkit_dtypes(pd.DataFrame(rows))


__all__ = ["NACL_RULES_QUOTA", "NaclPlan", "nacl_summary", "network_acl_entries", "network_acls"]
