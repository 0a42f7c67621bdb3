"""Learn an allowlist from a baseline period, for a person to review."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from flowkit.baseline.allowlist import Allowlist, Endpoint, Rule
from flowkit.baseline.conversations import build_conversations, interface_addresses
from flowkit.enrich.aws_ranges import IpRanges, default_ip_ranges, lookup_aws_service
from flowkit.enrich.protocols import protocol_name

_logger = logging.getLogger(__name__)

#: Services never used to aggregate addresses: AMAZON covers all of AWS and EC2 anyone's instances, so
#: "allow EC2" would allow any attacker's instance.
UNSOUND_SERVICES = frozenset({"AMAZON", "EC2"})


def _aggregate(peers: Iterable[str], max_peers: int) -> tuple[tuple[str, ...], str]:
    """CIDRs covering ``peers``: exact when few, /24 (/48) networks when that is few enough, else any."""
    addresses = [ipaddress.ip_address(p) for p in sorted(set(peers))]
    exact = [
        *ipaddress.collapse_addresses(a for a in addresses if a.version == 4),
        *ipaddress.collapse_addresses(a for a in addresses if a.version == 6),
    ]
    if len(exact) <= max_peers:
        return tuple(str(n) for n in exact), ""
    wide = [
        *ipaddress.collapse_addresses(
            ipaddress.ip_network(f"{a}/24", strict=False) for a in addresses if a.version == 4
        ),
        *ipaddress.collapse_addresses(
            ipaddress.ip_network(f"{a}/48", strict=False) for a in addresses if a.version == 6
        ),
    ]
    if len(wide) <= max_peers:
        return tuple(str(n) for n in wide), (
            f"{len(addresses)} addresses aggregated into {len(wide)} networks "
            "(/24 or /48): check they all belong to the same party"
        )
    versions = sorted({a.version for a in addresses})
    anything = tuple("0.0.0.0/0" if v == 4 else "::/0" for v in versions)
    return anything, (
        f"{len(addresses)} distinct addresses in {len(wide)} networks: widened to ANY address. "
        "Narrow this (a prefix list, a proxy, or the AWS service) before using it"
    )


def propose_allowlist(
    flows: pd.DataFrame,
    *,
    vpc_cidrs: list[str] | None = None,
    ip_ranges: IpRanges | None = None,
    inventory: pd.DataFrame | None = None,
    max_peers: int = 16,
    include_rejected: bool = False,
) -> Allowlist:
    """Learn an allowlist from a baseline period in which all traffic is expected.

    Each accepted conversation becomes part of a rule: the inside ends are named by their ENI (or their
    address when no ENI owns it), outside ends by the AWS service and region when AWS publishes the
    address for a specific service (S3, DynamoDB, CloudFront, ...; never the catch-all AMAZON or EC2,
    which anyone can rent), else by their addresses. When one inside endpoint talks to more than
    ``max_peers`` outside addresses on a port, they are aggregated into /24 networks, and when even that
    is too many, into any address, with a ``review`` note on the rule saying so: never silently.
    Rules with the same ends and protocol are merged, their ports listed.

    Args:
        flows: baseline flow records (the reader's shape).
        vpc_cidrs: the VPC's CIDRs (what "inside" means); default the private ranges.
        ip_ranges: AWS ranges; default the shipped extract.
        inventory: ENI addresses; default inferred from the records.
        max_peers: most outside networks a rule lists before aggregating.
        include_rejected: also learn from rejected conversations (normally not: they were denied).

    Returns:
        An :class:`Allowlist` with one rule per pattern; save it with ``.save(path)`` and review it.
    """
    conv = build_conversations(flows, vpc_cidrs=vpc_cidrs)
    table = conv.table if include_rejected else conv.table[conv.table["accepted"] > 0]
    inventory = interface_addresses(flows) if inventory is None else inventory
    owner = inventory.drop_duplicates("address").set_index("address")["interface_id"]
    ranges = ip_ranges or default_ip_ranges()
    services = lookup_aws_service(conv.addresses, ranges)
    sound = services["service"].notna() & ~services["service"].isin(UNSOUND_SERVICES)

    def side(code: int) -> tuple[str, ...]:
        address = conv.addresses[code]
        if conv.inside[code]:
            eni = owner.get(address)
            return ("eni", eni) if isinstance(eni, str) else ("cidr", str(ipaddress.ip_network(address)))
        if sound.iloc[code]:
            return ("aws", services["service"].iloc[code], services["region"].iloc[code])
        return ("peer",)

    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in table.itertuples(index=False):
        client, server = side(row.client_code), side(row.server_code)
        key = (str(row.direction), client, server, int(row.protocol), int(row.service_port))
        group = groups.setdefault(
            key, {"peers": set(), "flows": 0, "bytes": 0, "first": np.inf, "last": -np.inf}
        )
        if client == ("peer",):
            group["peers"].add(row.client)
        if server == ("peer",):
            group["peers"].add(row.server)
        group["flows"] += int(row.flows)
        group["bytes"] += int(row.bytes)
        group["first"] = min(group["first"], row.first_start if pd.notna(row.first_start) else np.inf)
        group["last"] = max(group["last"], row.last_end if pd.notna(row.last_end) else -np.inf)
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for (direction, client, server, protocol, port), group in groups.items():
        cidrs, note = _aggregate(group["peers"], max_peers) if group["peers"] else ((), "")
        key = (direction, _endpoint(client, cidrs), _endpoint(server, cidrs), protocol, note)
        entry = merged.setdefault(
            key, {"ports": set(), "flows": 0, "bytes": 0, "first": np.inf, "last": -np.inf}
        )
        entry["ports"].add(port)
        entry["flows"] += group["flows"]
        entry["bytes"] += group["bytes"]
        entry["first"] = min(entry["first"], group["first"])
        entry["last"] = max(entry["last"], group["last"])
    rules = []
    names: set[str] = set()
    for (direction, client, server, protocol, note), entry in sorted(
        merged.items(), key=lambda kv: -kv[1]["flows"]
    ):
        ports = tuple((p, p) for p in sorted(entry["ports"])) if protocol in (6, 17, 132) else ()
        name = _unique(_name(direction, client, server, protocol, ports), names)
        if note:
            _logger.warning("proposed rule %s: %s", name, note)
        rules.append(
            Rule(
                name=name,
                direction=direction,
                source=client,
                destination=server,
                protocols=(protocol,) if protocol >= 0 else (),
                ports=ports,
                why=_why(entry),
                review=note,
            )
        )
    return Allowlist(rules, list(vpc_cidrs or []), {}, "<proposed>")


def _endpoint(side: tuple[str, ...], cidrs: tuple[str, ...]) -> Endpoint:
    if side[0] == "eni":
        return Endpoint(eni=(side[1],))
    if side[0] == "cidr":
        return Endpoint(cidr=(side[1],))
    if side[0] == "aws":
        return Endpoint(aws_service=(side[1],), region=(side[2],))
    return Endpoint(cidr=cidrs)


def _label(endpoint: Endpoint) -> str:
    if endpoint.eni:
        return endpoint.eni[0]
    if endpoint.aws_service:
        return f"{endpoint.aws_service[0].lower()}-{endpoint.region[0].lower()}"
    if set(endpoint.cidr) <= {"0.0.0.0/0", "::/0"}:
        return "any"
    if len(endpoint.cidr) == 1:
        return endpoint.cidr[0].removesuffix("/32").removesuffix("/128")
    return f"{len(endpoint.cidr)}-networks"


def _name(direction: str, client: Endpoint, server: Endpoint, protocol: int, ports: tuple[Any, ...]) -> str:
    proto = (protocol_name(protocol) or str(protocol)).lower()
    port = f"-{ports[0][0]}" if len(ports) == 1 else (f"-{len(ports)}ports" if ports else "")
    return f"{direction}-{_label(client)}-to-{_label(server)}-{proto}{port}"


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _why(entry: dict[str, Any]) -> str:
    text = f"seen in the baseline: {entry['flows']} flows, {entry['bytes']} bytes"
    if np.isfinite(entry["first"]) and np.isfinite(entry["last"]):
        first = pd.Timestamp(entry["first"], unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M")
        last = pd.Timestamp(entry["last"], unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M")
        text += f", {first} to {last} UTC"
    return text + "; REVIEW: say why the application needs this"
