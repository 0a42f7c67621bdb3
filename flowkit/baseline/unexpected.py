"""Unexpected traffic: what no allowlist rule explains, grouped and ranked for an investigator."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from flowkit.baseline.allowlist import Allowlist, load_allowlist
from flowkit.baseline.conversations import (
    Conversations,
    Resolver,
    build_conversations,
    interface_addresses,
    match_rules,
)
from flowkit.enrich.aws_ranges import IpRanges
from flowkit.enrich.protocols import protocol_name
from flowkit.frames import with_flowkit_dtypes

#: Remote administration, databases, caches and common miner / backdoor ports: unexplained traffic on
#: these deserves a look first.
SENSITIVE_PORTS = frozenset(
    {
        20,
        21,
        22,
        23,
        25,
        135,
        139,
        445,
        1433,
        1521,
        2375,
        2376,
        3306,
        3333,
        3389,
        4444,
        5432,
        5555,
        5900,
        5985,
        5986,
        6379,
        6667,
        9200,
        11211,
        14444,
        27017,
        45700,
    }
)
SAMPLE_COLUMNS = (
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
)
AllowlistLike = Allowlist | str | os.PathLike[str] | Mapping[str, Any]


@dataclass
class Analysis:
    """Records folded into conversations, with the rule (or unexpected pattern) of each."""

    conv: Conversations
    allowlist: Allowlist
    matched: np.ndarray
    pattern: np.ndarray
    patterns: pd.DataFrame


def analyse(
    flows: pd.DataFrame,
    allowlist: AllowlistLike,
    *,
    ip_ranges: IpRanges | None = None,
    tags: Mapping[str, Mapping[str, str]] | None = None,
    inventory: pd.DataFrame | None = None,
    fanout: int = 8,
    samples: int = 3,
) -> Analysis:
    """Match every record against the allowlist and group what is left into ranked patterns."""
    allow = load_allowlist(allowlist)
    conv = build_conversations(flows, vpc_cidrs=allow.vpc_cidrs or None)
    inventory = interface_addresses(flows) if inventory is None else inventory
    resolver = Resolver(conv, inventory, allowlist=allow, ip_ranges=ip_ranges, tags=tags)
    matched = match_rules(conv, resolver, allow.rules)
    unexpected = matched < 0
    pattern, patterns = _group(
        conv.table.assign(_explained=~unexpected),
        unexpected | _scanned(conv.table, unexpected, fanout),
        fanout,
    )
    patterns = _rank(patterns)
    # renumber patterns by rank
    order = np.empty(len(patterns), dtype=np.int64)
    order[patterns["pattern"].to_numpy(dtype=np.int64)] = np.arange(len(patterns))
    pattern = np.where(pattern >= 0, order[np.maximum(pattern, 0)] if len(order) else -1, -1)
    patterns["pattern"] = np.arange(len(patterns))
    patterns = _add_samples(patterns, flows, conv.row, pattern, inventory, samples)
    return Analysis(conv, allow, matched, pattern, patterns)


def _scanned(table: pd.DataFrame, unexpected: np.ndarray, fanout: int) -> np.ndarray:
    """Explained conversations of a client that scans a server: pulled into the scan's pattern.

    A scanner that reaches an open port (say 443 on a web server) looks like a normal client there; seen
    with its ``fanout`` or more unexplained ports on the same server, it is part of the scan, and the
    open port is the most interesting part of it.
    """
    keys = ["client_code", "server_code", "protocol"]
    ports = table.loc[unexpected].groupby(keys)["service_port"].nunique()
    scanners = ports[ports >= fanout]
    if scanners.empty:
        return np.zeros(len(table), dtype=bool)
    hit = pd.MultiIndex.from_frame(table[keys]).isin(scanners.index)
    return hit & ~unexpected


def _group(table: pd.DataFrame, unexpected: np.ndarray, fanout: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Group unexpected conversations: port fan-out, host sweeps, many sources, then one by one."""
    pattern = np.full(len(table), -1, dtype=np.int64)
    rest = table.loc[unexpected, ["client_code", "server_code", "service_port", "protocol"]].copy()
    rest["_conv"] = np.flatnonzero(unexpected)
    plans = (
        ("port-scan", ["client_code", "server_code", "protocol"], "service_port"),
        ("host-sweep", ["client_code", "service_port", "protocol"], "server_code"),
        ("many-sources", ["server_code", "service_port", "protocol"], "client_code"),
        ("single", ["client_code", "server_code", "service_port", "protocol"], None),
    )
    kinds: list[str] = []
    for kind, keys, spread in plans:
        if rest.empty:
            break
        if spread is None:
            wide = np.ones(len(rest), dtype=bool)
        else:
            wide = (rest.groupby(keys)[spread].transform("nunique") >= fanout).to_numpy()
        chosen = rest[wide]
        if len(chosen):
            numbers = chosen.groupby(keys, sort=False).ngroup().to_numpy()
            pattern[chosen["_conv"].to_numpy()] = numbers + len(kinds)
            kinds += [kind] * (int(numbers.max()) + 1)
        rest = rest[~wide]
    return pattern, _describe(table, pattern, kinds)


def _describe(table: pd.DataFrame, pattern: np.ndarray, kinds: list[str]) -> pd.DataFrame:
    """One row per pattern, aggregated over its conversations (vectorised)."""
    columns = [
        "pattern",
        "kind",
        "source",
        "destination",
        "ports",
        "protocol",
        "direction",
        "flows",
        "packets",
        "bytes",
        "accepted",
        "rejected",
        "conversations",
        "sources",
        "destinations",
        "port_count",
        "first_seen",
        "last_seen",
        "explained_flows",
        "_sensitive",
    ]
    members = table[pattern >= 0].assign(_pattern=pattern[pattern >= 0])
    if members.empty:
        return pd.DataFrame(columns=columns)
    members["_sensitive"] = members["service_port"].isin(SENSITIVE_PORTS)
    members["explained_flows"] = np.where(members["_explained"], members["flows"], 0)
    members["direction"] = members["direction"].astype(str)
    grouped = members.groupby("_pattern", sort=True)
    out = grouped.agg(
        flows=("flows", "sum"),
        packets=("packets", "sum"),
        bytes=("bytes", "sum"),
        accepted=("accepted", "sum"),
        rejected=("rejected", "sum"),
        conversations=("flows", "size"),
        sources=("client_code", "nunique"),
        destinations=("server_code", "nunique"),
        port_count=("service_port", "nunique"),
        low=("service_port", "min"),
        high=("service_port", "max"),
        first=("first_start", "min"),
        last=("last_end", "max"),
        client=("client", "first"),
        server=("server", "first"),
        protocol_number=("protocol", "first"),
        direction=("direction", "first"),
        _sensitive=("_sensitive", "any"),
        explained_flows=("explained_flows", "sum"),
    )
    out["pattern"] = out.index.to_numpy()
    out["kind"] = np.asarray(kinds, dtype=object)[out.index.to_numpy()]
    out["source"] = np.where(out["sources"] == 1, out["client"], out["sources"].astype(str) + " sources")
    out["destination"] = np.where(
        out["destinations"] == 1, out["server"], out["destinations"].astype(str) + " destinations"
    )
    out["ports"] = np.where(
        out["port_count"] == 1,
        out["low"].astype(str),
        out["low"].astype(str)
        + "-"
        + out["high"].astype(str)
        + " ("
        + out["port_count"].astype(str)
        + " ports)",
    )
    few = out.index[(out["port_count"] > 1) & (out["port_count"] <= 3)]
    if len(few):
        listed = (
            members[members["_pattern"].isin(few)]
            .groupby("_pattern")["service_port"]
            .agg(lambda ports: ",".join(str(p) for p in sorted(set(ports))))
        )
        out.loc[few, "ports"] = listed.reindex(few).to_numpy()
    names = {p: protocol_name(p) or str(p) for p in out["protocol_number"].unique()}
    out["protocol"] = out["protocol_number"].map(names)
    out["first_seen"] = pd.to_datetime(out["first"], unit="s", utc=True)
    out["last_seen"] = pd.to_datetime(out["last"], unit="s", utc=True)
    return out[columns].reset_index(drop=True)


def _rank(patterns: pd.DataFrame) -> pd.DataFrame:
    """Score patterns (see :func:`find_unexpected`) and sort, highest first."""
    if patterns.empty:
        return patterns.drop(columns=["_sensitive"]).assign(score=pd.Series(dtype=float))
    accepted = patterns["accepted"] >= patterns["rejected"]
    direction = patterns["direction"]
    crossing = direction.isin(["outbound", "inbound"])
    base = np.select(
        [accepted & (direction == "outbound"), accepted & (direction == "inbound"), accepted, crossing],
        [4.0, 3.5, 3.0, 1.5],
        default=1.0,
    )
    some_accepted = (~accepted & (patterns["accepted"] > 0)).to_numpy()
    peers = np.maximum(patterns["sources"], patterns["destinations"]).to_numpy(dtype=float)
    score = (
        base
        + 0.5 * some_accepted
        + np.log10(1 + patterns["bytes"].to_numpy(dtype=float)) / 2
        + np.minimum(np.log2(patterns["port_count"].to_numpy(dtype=float)), 3)
        + np.minimum(np.log2(peers) / 2, 2)
        + 1.0 * patterns["_sensitive"].to_numpy(dtype=bool)
    )
    out = patterns.drop(columns=["_sensitive"]).assign(score=np.round(score, 2))
    return out.sort_values(["score", "bytes"], ascending=False, kind="stable").reset_index(drop=True)


def _add_samples(
    patterns: pd.DataFrame,
    flows: pd.DataFrame,
    row_conv: np.ndarray,
    conv_pattern: np.ndarray,
    inventory: pd.DataFrame,
    samples: int,
) -> pd.DataFrame:
    row_pattern = np.where(
        row_conv >= 0, conv_pattern[np.maximum(row_conv, 0)] if len(conv_pattern) else -1, -1
    )
    rows = np.flatnonzero(row_pattern >= 0)
    picked = pd.Series(rows).groupby(row_pattern[rows]).head(samples)
    columns = [c for c in SAMPLE_COLUMNS if c in flows]
    sample = flows.iloc[picked.to_numpy()][columns].astype(object).where(lambda f: f.notna(), None)
    records = sample.to_dict("records")
    by_pattern: dict[int, list[dict[str, Any]]] = {}
    for pattern, record in zip(row_pattern[picked.to_numpy()], records, strict=True):
        by_pattern.setdefault(int(pattern), []).append(record)
    out = patterns.copy()
    out["samples"] = [by_pattern.get(i, []) for i in range(len(out))]
    if "interface_id" in flows and len(rows):
        enis = pd.DataFrame(
            {"p": row_pattern[rows], "eni": flows["interface_id"].iloc[rows].to_numpy(dtype=object)}
        )
        enis = enis.dropna().drop_duplicates()
        listed = enis.groupby("p")["eni"].agg(lambda s: ",".join(sorted(s)[:5]))
        out["interfaces"] = listed.reindex(range(len(out))).to_numpy()
    else:
        out["interfaces"] = None
    return out


def find_unexpected(
    flows: pd.DataFrame,
    allowlist: AllowlistLike,
    *,
    ip_ranges: IpRanges | None = None,
    tags: Mapping[str, Mapping[str, str]] | None = None,
    inventory: pd.DataFrame | None = None,
    fanout: int = 8,
    samples: int = 3,
) -> pd.DataFrame:
    """Return the traffic no allowlist rule explains, grouped into patterns, most worth a look first.

    This is the guide's advice "focus on unexpected traffic only" as a function. Records are folded into
    conversations (client, server, server port, protocol: request and response together), matched against
    the rules, and what is left is grouped: one client hitting ``fanout`` or more ports of one server is
    a ``port-scan``; one client reaching that many servers on one port a ``host-sweep``; that many clients
    on one server port ``many-sources``; anything else is a ``single`` conversation.

    Ranking: the score adds up what makes a pattern urgent, so an investigator reads from the top.

    - **Did it get through, and which way?** Mostly accepted outbound traffic (data may have left the
      VPC: 4) outranks mostly accepted inbound (something outside reached in: 3.5), accepted internal
      traffic (lateral movement: 3), mostly rejected traffic crossing the VPC boundary (blocked probing:
      1.5, plus 0.5 when some of it got through) and rejected internal traffic (1): what the controls
      already stopped matters less than what they let through.
    - **How much?** Half the log10 of the bytes: exfiltration shows up as volume.
    - **How wide?** log2 of the number of ports (at most 3), plus half the log2 of the sources or
      destinations (at most 2): scans and sweeps touch many, but breadth alone does not beat a large
      accepted transfer.
    - **Where to?** One more point for remote-administration, database, cache and known miner/backdoor
      ports (:data:`SENSITIVE_PORTS`).

    Args:
        flows: flow records in the reader's shape (Athena column names).
        allowlist: an :class:`Allowlist`, a YAML file path or a decoded mapping.
        ip_ranges: AWS ranges for ``aws_service`` rules; default the shipped extract.
        tags: ENI or instance id -> tags, for ``tag`` sources.
        inventory: ENI addresses (``interface_id``, ``address``, ``subnet_id``, ``instance_id``); by
            default inferred from the records (see :func:`interface_addresses`).
        fanout: how many ports/peers make a scan, sweep or many-sources pattern.
        samples: how many example records to keep per pattern.

    Returns:
        One row per pattern, ranked: ``pattern``, ``kind``, ``source``, ``destination``, ``ports``,
        ``protocol``, ``direction``, ``flows``, ``packets``, ``bytes``, ``accepted``, ``rejected``,
        ``conversations``, ``sources``, ``destinations``, ``port_count``, ``first_seen``, ``last_seen``
        (UTC), ``explained_flows`` (records of a port scan that reached a port a rule allows: the scan
        found it open), ``score``, ``samples`` (example records) and ``interfaces``.
    """
    result = analyse(
        flows, allowlist, ip_ranges=ip_ranges, tags=tags, inventory=inventory, fanout=fanout, samples=samples
    )
    return with_flowkit_dtypes(result.patterns)


def explain(flows: pd.DataFrame, allowlist: AllowlistLike, **kwargs: Any) -> pd.DataFrame:
    """Return a copy of ``flows`` with ``rule`` (the first rule explaining each record, <NA> if none) and
    ``pattern`` (its unexpected pattern number in :func:`find_unexpected`'s ranking, <NA> if explained).

    Keyword arguments are those of :func:`find_unexpected`.
    """
    result = analyse(flows, allowlist, **kwargs)
    names = np.array([rule.name for rule in result.allowlist.rules] + [None], dtype=object)
    row = result.conv.row
    matched = np.where(row >= 0, result.matched[np.maximum(row, 0)] if len(result.matched) else -1, -1)
    out = flows.copy()
    out["rule"] = pd.array(names[matched], dtype="string")
    pattern = np.where(row >= 0, result.pattern[np.maximum(row, 0)] if len(result.pattern) else -1, -1)
    out["pattern"] = pd.array(np.where(pattern >= 0, pattern, 0), dtype="Int64")
    out.loc[pattern < 0, "pattern"] = pd.NA
    return with_flowkit_dtypes(out)
