"""Proposed egress rules from a reviewed allowlist, and what they would break.

Three forms, from the same allowlist:

- :func:`security_group_egress`: security-group egress permissions, the ``IpPermissions`` structure of
  ``ec2.authorize_security_group_egress`` (stateful: responses are allowed automatically);
- :func:`network_acl_entries`: network ACL entries, keyword arguments of ``ec2.create_network_acl_entry``.
  NACLs are **stateless**: for every allowed request there must also be an entry letting the response
  back in. A response goes to the client's *ephemeral* port, which the client's OS picks (Linux
  32768-60999, Windows 49152-65535, NAT gateways and load balancers 1024-65535), so the return entries
  allow 1024-65535 from each allowed peer, as the VPC user guide recommends;
- :func:`network_firewall_rules`: AWS Network Firewall stateful rules in Suricata syntax (``pass`` rules
  then default ``drop`` rules; use a rule group with strict rule order).

:func:`what_would_break` applies an allowlist (or security-group permissions) to a later period of flows
and lists the accepted records the rules would deny.
See https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flowkit.baseline.allowlist import Allowlist, Endpoint, Rule, load_allowlist
from flowkit.baseline.conversations import interface_addresses
from flowkit.baseline.unexpected import AllowlistLike, explain
from flowkit.enrich.aws_ranges import IpRanges, default_ip_ranges
from flowkit.enrich.direction import add_direction
from flowkit.errors import AllowlistError
from flowkit.frames import with_flowkit_dtypes

_logger = logging.getLogger(__name__)

EPHEMERAL = (1024, 65535)
_SG_DESCRIPTION = re.compile(r"[^a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]")
_IP_PROTOCOLS = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}


def _cidrs(
    endpoint: Endpoint,
    rule: Rule,
    allowlist: Allowlist,
    ip_ranges: IpRanges | None,
    inventory: pd.DataFrame | None,
) -> list[str]:
    """The CIDRs an endpoint stands for (ENIs through the inventory, AWS services through ip-ranges)."""
    if endpoint.is_any():
        return list(endpoint.cidr) or ["0.0.0.0/0"]
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
    return sorted(set(cidrs), key=lambda c: (ipaddress.ip_network(c).version, ipaddress.ip_network(c)))


def _egress_rules(allowlist: Allowlist, source: str | None) -> list[Rule]:
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


def _protocol_ports(rule: Rule) -> list[tuple[str, int, int]]:
    """(IpProtocol, FromPort, ToPort) triples of a rule; -1 ports for ICMP and all-protocol rules."""
    protocols = list(rule.protocols) or ([6, 17] if rule.ports else [-1])
    out = []
    for proto in protocols:
        name = _IP_PROTOCOLS.get(proto, str(proto)) if proto >= 0 else "-1"
        if proto in (6, 17, 132):
            out += [(name, lo, hi) for lo, hi in (rule.ports or ((0, 65535),))]
        else:
            out.append((name, -1, -1))
    return out


def security_group_egress(
    allowlist: AllowlistLike,
    *,
    source: str | None = None,
    ip_ranges: IpRanges | None = None,
    inventory: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Security-group egress permissions (boto3 ``IpPermissions``) for the allowlist's outbound rules.

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
    for rule in _egress_rules(allow, source):
        description = _SG_DESCRIPTION.sub("-", rule.name)[:255]
        plain = Endpoint(**{k: v for k, v in vars(rule.destination).items() if k != "prefix_list"})
        only_prefix_lists = bool(rule.destination.prefix_list) and not any(vars(plain).values())
        cidrs = [] if only_prefix_lists else _cidrs(plain, rule, allow, ip_ranges, inventory)
        for proto, lo, hi in _protocol_ports(rule):
            perm = merged.setdefault(
                (proto, lo, hi),
                {
                    "IpProtocol": proto,
                    "FromPort": lo,
                    "ToPort": hi,
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [],
                },
            )
            for cidr in cidrs:
                if ":" in cidr:
                    perm["Ipv6Ranges"].append({"CidrIpv6": cidr, "Description": description})
                else:
                    perm["IpRanges"].append({"CidrIp": cidr, "Description": description})
            for pl in rule.destination.prefix_list:
                perm["PrefixListIds"].append({"PrefixListId": pl, "Description": description})
    out = []
    for perm in merged.values():
        if perm["IpProtocol"] == "-1":
            perm.pop("FromPort")
            perm.pop("ToPort")
        out.append({k: v for k, v in perm.items() if v != []})
    entries = sum(len(p.get("IpRanges", [])) + len(p.get("Ipv6Ranges", [])) for p in out)
    if entries > 60:
        _logger.warning(
            "%d egress entries: above the default quota of 60 rules per security group; use "
            "managed prefix lists or a Network Firewall",
            entries,
        )
    return out


def network_acl_entries(
    allowlist: AllowlistLike,
    *,
    ip_ranges: IpRanges | None = None,
    inventory: pd.DataFrame | None = None,
    first_rule: int = 100,
    step: int = 10,
) -> list[dict[str, Any]]:
    """Network ACL entries for the allowlist, with the return entries stateless NACLs need.

    For each outbound rule: an egress ``allow`` entry to each destination CIDR and port, and an ingress
    ``allow`` entry from that CIDR to the ephemeral ports 1024-65535 for the responses (see the module
    docstring for why). Inbound rules get the mirror image. Everything else falls through to the
    NACL's final ``*`` deny entry. Rule numbers count up from ``first_rule`` by ``step`` in each
    direction.

    Returns:
        Keyword arguments for ``ec2.create_network_acl_entry(NetworkAclId=..., **entry)``: ``RuleNumber``,
        ``Protocol`` (``"6"``, ``"17"``, ``"1"``, ``"-1"``), ``RuleAction``, ``Egress``, ``CidrBlock`` or
        ``Ipv6CidrBlock``, ``PortRange`` or ``IcmpTypeCode``.
    """
    allow = load_allowlist(allowlist)
    entries: list[dict[str, Any]] = []
    numbers = {True: first_rule, False: first_rule}
    seen: set[tuple[Any, ...]] = set()

    def add(egress: bool, cidr: str, proto: int, lo: int, hi: int) -> None:
        key = (egress, cidr, proto, lo, hi)
        if key in seen:
            return
        seen.add(key)
        entry: dict[str, Any] = {
            "RuleNumber": numbers[egress],
            "Protocol": str(proto),
            "RuleAction": "allow",
            "Egress": egress,
        }
        entry["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
        if proto in (6, 17):
            entry["PortRange"] = {"From": lo, "To": hi}
        elif proto in (1, 58):
            entry["IcmpTypeCode"] = {"Type": -1, "Code": -1}
        numbers[egress] += step
        entries.append(entry)

    for rule in allow.rules:
        if rule.action == "reject":
            continue
        outward = rule.direction != "inbound"
        peer = rule.destination if outward else rule.source
        cidrs = _cidrs(peer, rule, allow, ip_ranges, inventory)
        for proto in list(rule.protocols) or ([6, 17] if rule.ports else [-1]):
            ranges = rule.ports or ((0, 65535),)
            for cidr in cidrs:
                for lo, hi in ranges:
                    add(outward, cidr, proto, lo, hi)
                if proto in (6, 17):
                    add(not outward, cidr, proto, *EPHEMERAL)
                else:
                    add(not outward, cidr, proto, -1, -1)
    for egress in (True, False):
        count = sum(1 for e in entries if e["Egress"] == egress)
        if count > 20:
            _logger.warning(
                "%d %s NACL entries: above the default quota of 20 rules per direction (40 at most); "
                "aggregate CIDRs or use security groups and Network Firewall instead",
                count,
                "egress" if egress else "ingress",
            )
        if numbers[egress] > 32766:
            raise AllowlistError(
                f"{numbers[egress]} is past the last NACL rule number 32766: use fewer CIDRs"
            )
    return entries


def _suricata_net(cidrs: Sequence[str], default: str) -> str:
    if not cidrs or set(cidrs) <= {"0.0.0.0/0", "::/0"}:
        return default
    return cidrs[0] if len(cidrs) == 1 else "[" + ",".join(cidrs) + "]"


def network_firewall_rules(
    allowlist: AllowlistLike,
    *,
    ip_ranges: IpRanges | None = None,
    inventory: pd.DataFrame | None = None,
    sid_start: int = 1_000_001,
) -> str:
    """AWS Network Firewall stateful rules (Suricata syntax): a ``pass`` per allowlist rule, then drops.

    Each rule passes the client-to-server direction of matching flows (``flow:to_server``); the final
    rules drop every other new connection from ``$HOME_NET`` to ``$EXTERNAL_NET`` and, when the allowlist
    has inbound rules, from ``$EXTERNAL_NET`` to ``$HOME_NET``. Load them into a stateful rule group with
    ``StatefulRuleOptions={"RuleOrder": "STRICT_ORDER"}`` and set ``HOME_NET`` to the VPC CIDRs.

    Returns:
        The rules, one per line, each with a unique ``sid`` and ``rev:1``.
    """
    allow = load_allowlist(allowlist)
    lines = [f"# flowkit: {len(allow.rules)} allowlist rules from {allow.source}; strict rule order"]
    sid = sid_start
    inbound = False
    for rule in allow.rules:
        if rule.action == "reject":
            continue
        inbound |= rule.direction == "inbound"
        src = _suricata_net(
            _cidrs(rule.source, rule, allow, ip_ranges, inventory) if not rule.source.is_any() else [],
            "$EXTERNAL_NET" if rule.direction == "inbound" else "$HOME_NET",
        )
        dst = _suricata_net(
            _cidrs(rule.destination, rule, allow, ip_ranges, inventory)
            if not rule.destination.is_any()
            else [],
            "$HOME_NET" if rule.direction in ("inbound", "internal") else "any",
        )
        for proto in list(rule.protocols) or [-1]:
            keyword = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}.get(proto, "ip")
            ports = "any"
            if rule.ports and keyword in ("tcp", "udp"):
                parts = [str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in rule.ports]
                ports = parts[0] if len(parts) == 1 else "[" + ",".join(parts) + "]"
            extra = f" ip_proto:{proto};" if keyword == "ip" and proto >= 0 else ""
            msg = rule.name.replace('"', "'").replace(";", ",")
            lines.append(
                f'pass {keyword} {src} any -> {dst} {ports} (msg:"{msg}";{extra} flow:to_server; '
                f"sid:{sid}; rev:1;)"
            )
            sid += 1
    lines.append(
        f'drop ip $HOME_NET any -> $EXTERNAL_NET any (msg:"flowkit default deny: egress not in the '
        f'allowlist"; flow:to_server; sid:{sid}; rev:1;)'
    )
    if inbound:
        lines.append(
            f'drop ip $EXTERNAL_NET any -> $HOME_NET any (msg:"flowkit default deny: ingress not in '
            f'the allowlist"; flow:to_server; sid:{sid + 1}; rev:1;)'
        )
    return "\n".join(lines) + "\n"


def _permissions_to_allowlist(permissions: Sequence[Mapping[str, Any]]) -> Allowlist:
    rules = []
    for i, perm in enumerate(permissions):
        proto = str(perm.get("IpProtocol", "-1"))
        numbers = (
            ()
            if proto == "-1"
            else ({"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}.get(proto) or int(proto),)
        )
        ports: tuple[tuple[int, int], ...] = ()
        if numbers and numbers[0] in (6, 17) and perm.get("FromPort") is not None:
            ports = ((int(perm["FromPort"]), int(perm["ToPort"])),)
        cidrs = tuple(r["CidrIp"] for r in perm.get("IpRanges", [])) + tuple(
            r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])
        )
        if perm.get("PrefixListIds"):
            raise AllowlistError(
                f"permission {i + 1}: prefix lists cannot be checked offline; pass the allowlist"
            )
        rules.append(
            Rule(
                name=f"permission-{i + 1}",
                destination=Endpoint(cidr=cidrs or ("0.0.0.0/0",)),
                protocols=numbers,
                ports=ports,
            )
        )
    return Allowlist(rules, source="<security group egress>")


def what_would_break(
    rules_or_allowlist: AllowlistLike | Sequence[Mapping[str, Any]], later_flows: pd.DataFrame, **kwargs: Any
) -> pd.DataFrame:
    """List the records of a later period that the proposed rules would deny.

    Args:
        rules_or_allowlist: the allowlist the rules are generated from (all directions are checked), or
            the security-group egress ``IpPermissions`` of the interfaces in ``later_flows`` (then only
            connections each interface opened itself are checked: egress rules are stateful and do not
            govern connections opened towards the interface).
        later_flows: flow records from a period after the baseline.
        **kwargs: passed to :func:`flowkit.baseline.explain` (``ip_ranges``, ``inventory``, ``tags``).

    Returns:
        The accepted records no rule allows (rejected ones are denied already), with ``pattern``: the
        unexpected-traffic pattern each belongs to, most important first.
    """
    permissions = isinstance(rules_or_allowlist, Sequence) and not isinstance(rules_or_allowlist, str)
    allow = (
        _permissions_to_allowlist(rules_or_allowlist) if permissions else load_allowlist(rules_or_allowlist)
    )
    explained = explain(later_flows, allow, **kwargs)
    denied = explained["rule"].isna().to_numpy().copy()
    if permissions:
        denied &= _opened_by_logging_interface(later_flows, kwargs.get("inventory"))
    if "action" in explained:
        denied &= (explained["action"] == "ACCEPT").fillna(False).to_numpy()
    if "srcaddr" in explained:
        denied &= explained["srcaddr"].notna().to_numpy()
    out = explained[np.asarray(denied)].drop(columns=["rule"])
    return with_flowkit_dtypes(out.sort_values(["pattern"], kind="stable") if "pattern" in out else out)


def _opened_by_logging_interface(flows: pd.DataFrame, inventory: pd.DataFrame | None) -> np.ndarray:
    """Per record, whether the interface that logged it is the connection's client."""
    inventory = interface_addresses(flows) if inventory is None else inventory
    roles = add_direction(
        flows[
            ["srcaddr", "dstaddr", "srcport", "dstport", "protocol"]
            + [c for c in ("tcp_flags",) if c in flows]
        ]
    )["src_role"]
    client = np.where(roles == "server", flows["dstaddr"].astype(object), flows["srcaddr"].astype(object))
    owned = set(zip(inventory["interface_id"], inventory["address"], strict=True))
    return np.array(
        [pair in owned for pair in zip(flows["interface_id"].astype(object), client, strict=True)]
    )
