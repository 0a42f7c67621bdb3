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
from flowkit.errors import AllowlistError

_logger = logging.getLogger(__name__)

#: Services never used to aggregate addresses: AMAZON covers all of AWS and EC2 anyone's instances, so
#: "allow EC2" would allow any attacker's instance.
UNSOUND_SERVICES = frozenset({"AMAZON", "EC2"})


def _collapse(addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address], v4: int, v6: int) -> list[Any]:
    """The networks of prefix length ``v4`` (IPv4) / ``v6`` (IPv6) covering ``addresses``, collapsed."""
    return [
        *ipaddress.collapse_addresses(
            ipaddress.ip_network(f"{a}/{v4}", strict=False) for a in addresses if a.version == 4
        ),
        *ipaddress.collapse_addresses(
            ipaddress.ip_network(f"{a}/{v6}", strict=False) for a in addresses if a.version == 6
        ),
    ]


#: Prefix lengths tried, most specific first, when a population of addresses is aggregated.
LEVELS = ((32, 128), (24, 48), (16, 32))


def _aggregate(peers: Iterable[str], max_networks: int) -> tuple[tuple[str, ...], str]:
    """The fewest-address networks covering ``peers`` in at most ``max_networks`` entries, else any.

    Exact addresses first, then /24 (/48), then /16 (/32) networks; when even /16s are too many, any
    address (0.0.0.0/0, ::/0). Anything wider than the exact addresses comes with a review note.
    """
    addresses = []
    for peer in sorted(set(peers)):
        try:
            addresses.append(ipaddress.ip_address(peer))
        except ValueError:
            raise AllowlistError(
                f"the flows have the address {peer!r}, which is not IPv4 or IPv6, so no rule can name it: "
                "fix those records or leave them out before proposing an allowlist"
            ) from None
    for v4, v6 in LEVELS:
        networks = _collapse(addresses, v4, v6)
        if len(networks) <= max_networks:
            note = (
                ""
                if v4 == 32
                else (
                    f"{len(addresses)} addresses aggregated into {len(networks)} /{v4} (IPv6 /{v6}) networks: "
                    "check they all belong to the parties you expect"
                )
            )
            return tuple(str(n) for n in networks), note
    versions = sorted({a.version for a in addresses})
    anything = tuple("0.0.0.0/0" if v == 4 else "::/0" for v in versions)
    return anything, (
        f"{len(addresses)} distinct addresses in more than {max_networks} /16 networks: widened to ANY "
        "address. Narrow this (a prefix list, a proxy, or the AWS service) before using it"
    )


def propose_allowlist(
    flows: pd.DataFrame,
    *,
    vpc_cidrs: list[str] | None = None,
    ip_ranges: IpRanges | None = None,
    inventory: pd.DataFrame | None = None,
    population: int = 8,
    max_networks: int = 16,
    include_rejected: bool = True,
) -> Allowlist:
    """Learn an allowlist from a baseline period in which all traffic is expected.

    Each conversation becomes part of a rule. Inside ends are named by their ENI (or their address when
    no ENI owns it); outside ends by the AWS service and region when AWS publishes the address for a
    specific service (S3, DynamoDB, CloudFront, ...; never the catch-all AMAZON or EC2, which anyone
    can rent), else by their addresses.

    Outside addresses are kept exact unless a rule meets a *population*: ``population`` or more
    distinct outside addresses on one inside endpoint and port (internet clients of a website, the
    scanners probing a server). Those addresses are treated as a sample of the population: all
    populated rules of the same direction and action share the fewest /32, /24 or /16 networks (at most
    ``max_networks``) that cover every address seen, or any address when /16s are too many. Every
    widened rule carries a ``review`` note saying so (and is logged): never silently.

    Rejected conversations become rules with ``action: reject``: expected, and expected to be denied
    (background scans, a blocked NTP query). They explain only rejected records and never become
    permissions in :mod:`flowkit.rules`. Rules with the same ends, protocol and action are merged,
    their ports listed.

    Args:
        flows: baseline flow records (the reader's shape).
        vpc_cidrs: the VPC's CIDRs (what "inside" means); default the private ranges.
        ip_ranges: AWS ranges; default the shipped extract.
        inventory: ENI addresses; default inferred from the records.
        population: distinct outside addresses on one endpoint and port that make a population.
        max_networks: most networks a populated rule lists before widening to any address.
        include_rejected: learn ``action: reject`` rules from rejected conversations.

    Returns:
        An :class:`Allowlist` with one rule per pattern; save it with ``.save(path)`` and review it.
    """
    conv = build_conversations(flows, vpc_cidrs=vpc_cidrs)
    table = conv.table if include_rejected else conv.table[conv.table["action"] == "ACCEPT"]
    inventory = interface_addresses(flows) if inventory is None else inventory
    owner = inventory.drop_duplicates("address").set_index("address")["interface_id"]
    ranges = ip_ranges or default_ip_ranges()
    services = lookup_aws_service(conv.addresses, ranges)
    service_names = services["service"].to_numpy(dtype=object)
    regions = services["region"].to_numpy(dtype=object)
    sound = services["service"].notna().to_numpy() & ~services["service"].isin(UNSOUND_SERVICES).to_numpy()

    def side(code: int) -> tuple[str, ...]:
        address = conv.addresses[code]
        if conv.inside[code]:
            eni = owner.get(address)
            return ("eni", eni) if isinstance(eni, str) else ("cidr", str(ipaddress.ip_network(address)))
        if sound[code]:
            return ("aws", service_names[code], regions[code])
        return ("peer",)

    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in table.itertuples(index=False):
        client, server = side(row.client_code), side(row.server_code)
        action = "reject" if row.action == "REJECT" else "any"
        key = (str(row.direction), client, server, int(row.protocol), int(row.service_port), action)
        group = groups.setdefault(key, _empty())
        group["peers"].update(a for a, s in ((row.client, client), (row.server, server)) if s == ("peer",))
        _add(group, row.flows, row.bytes, row.first_start, row.last_end)
    # outside addresses of populated rules, pooled per (direction, action)
    pools: dict[tuple[str, str], set[str]] = {}
    for (direction, *_, action), group in groups.items():
        if len(group["peers"]) >= population:
            pools.setdefault((direction, action), set()).update(group["peers"])
    shared = {key: _aggregate(peers, max_networks) for key, peers in pools.items()}
    services = _shared_services(groups, population)
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for (direction, client, server, protocol, port, action), group in groups.items():
        populated = len(group["peers"]) >= population
        cidrs, note = (), ""
        if populated:
            cidrs, note = shared[(direction, action)]
        elif group["peers"]:
            peers = set().union(*(services[(direction, protocol, port, action, p)] for p in group["peers"]))
            cidrs, note = _aggregate(peers, len(peers))
        source, destination = _endpoint(client, cidrs), _endpoint(server, cidrs)
        if populated and action == "reject":
            # known noise: one rule per population and protocol, over every inside endpoint and port probed
            inside = "destination" if client == ("peer",) else "source"
            key = (
                direction,
                source if inside == "destination" else ("*",),
                destination if inside == "source" else ("*",),
                protocol,
                action,
                note,
            )
            entry = merged.setdefault(key, _empty())
            entry.setdefault("inside", set()).add(server if inside == "destination" else client)
        else:
            key = (direction, source, destination, protocol, action, note)
            entry = merged.setdefault(key, _empty())
        entry["ports"].add(port)
        _add(entry, group["flows"], group["bytes"], group["first"], group["last"])
    merged = _expand_noise(merged)
    rules = []
    names: set[str] = set()
    for (direction, client, server, protocol, action, note), entry in sorted(
        merged.items(), key=lambda kv: -kv[1]["flows"]
    ):
        ports = tuple((p, p) for p in sorted(entry["ports"])) if protocol in (6, 17, 132) else ()
        name = _unique(
            _name(direction, client, server, protocol, ports) + ("-rejected" if action == "reject" else ""),
            names,
        )
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
                action=action,
                why=_why(entry, action),
                review=note,
            )
        )
    return Allowlist(rules, [str(c) for c in vpc_cidrs or []], {}, "<proposed>")


def _shared_services(
    groups: dict[tuple[Any, ...], dict[str, Any]], population: int
) -> dict[tuple[Any, ...], set[str]]:
    """Outside addresses that stand for one service: those one inside endpoint used on the same port.

    If a task pulled images from address x and another task from x and y, x and y are one service, and
    a rule for either task lists both. Returned per (direction, protocol, port, action, address).
    """
    parent: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def find(item: tuple[Any, ...]) -> tuple[Any, ...]:
        while parent.setdefault(item, item) != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for (direction, _, _, protocol, port, action), group in groups.items():
        if not group["peers"] or len(group["peers"]) >= population:
            continue
        first, *rest = [(direction, protocol, port, action, p) for p in sorted(group["peers"])]
        find(first)
        for other in rest:
            parent[find(other)] = find(first)
    members: dict[tuple[Any, ...], set[str]] = {}
    for item in list(parent):
        members.setdefault(find(item), set()).add(item[-1])
    return {item: members[find(item)] for item in parent}


def _expand_noise(merged: dict[tuple[Any, ...], dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Turn the ``("*",)`` placeholders of known-noise rules into the inside endpoints collected."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for key, entry in merged.items():
        direction, source, destination, protocol, action, note = key
        if "inside" not in entry:
            out[key] = entry
            continue
        kinds: dict[str, list[str]] = {}
        for side in entry["inside"]:
            kinds.setdefault(side[0], []).append(side[1])
        for kind, values in kinds.items():
            inside = Endpoint(**{kind: tuple(sorted(values))})
            new_key = (
                direction,
                inside if source == ("*",) else source,
                inside if destination == ("*",) else destination,
                protocol,
                action,
                note,
            )
            out[new_key] = {k: v for k, v in entry.items() if k != "inside"}
    return out


def _empty() -> dict[str, Any]:
    return {"peers": set(), "ports": set(), "flows": 0, "bytes": 0, "first": np.inf, "last": -np.inf}


def _add(entry: dict[str, Any], flows: int, nbytes: int, first: float, last: float) -> None:
    entry["flows"] += int(flows)
    entry["bytes"] += int(nbytes)
    if pd.notna(first):
        entry["first"] = min(entry["first"], first)
    if pd.notna(last):
        entry["last"] = max(entry["last"], last)


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


def _why(entry: dict[str, Any], action: str = "any") -> str:
    seen = "rejected" if action == "reject" else "seen"
    text = f"{seen} in the baseline: {entry['flows']} flows, {entry['bytes']} bytes"
    if np.isfinite(entry["first"]) and np.isfinite(entry["last"]):
        first = pd.Timestamp(entry["first"], unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M")
        last = pd.Timestamp(entry["last"], unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M")
        text += f", {first} to {last} UTC"
    if action == "reject":
        return text + "; REVIEW: confirm this is known noise, not a sign of trouble"
    return text + "; REVIEW: say why the application needs this"
