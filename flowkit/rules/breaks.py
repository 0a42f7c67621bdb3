"""What proposed rules would break: the accepted records of a later period that they would deny."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from flowkit.baseline.allowlist import Allowlist, Endpoint, Rule, load_allowlist
from flowkit.baseline.conversations import interface_addresses
from flowkit.baseline.unexpected import AllowlistLike, explain
from flowkit.enrich.direction import add_direction
from flowkit.errors import AllowlistError
from flowkit.frames import with_flowkit_dtypes


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
