"""From connections to flow-log records: the ENIs a flow crosses, its windows, flags and counts.

A connection from a private instance to the internet is recorded on the instance ENI and on the
NAT gateway ENI (six records per aggregation window: request and response on the instance, and
client-side and internet-side on the NAT gateway, where pkt-srcaddr/pkt-dstaddr keep the real
ends). Traffic within the VPC is recorded on both ENIs. Each record covers one aggregation window
(60 or 600 s) and carries the TCP flags seen in it, ORed: SYN 2 (and SYN-ACK 18 on the response)
in the first window, FIN 1 or RST 4 in the last, so a short connection shows 3 and 19.

Records are held as a dict of NumPy columns (:data:`COLUMNS`) until they are written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowkit.simulate.policy import decide
from flowkit.simulate.scenario import Eni, Scenario
from flowkit.simulate.traffic import Connections

# internal record columns and their dtypes; -1 means null for the small integer codes
COLUMNS: dict[str, type] = {
    "eni": np.int16,
    "egress": np.int8,
    "src": np.uint32,
    "dst": np.uint32,
    "psrc": np.uint32,
    "pdst": np.uint32,
    "sport": np.int32,
    "dport": np.int32,
    "proto": np.int16,
    "packets": np.int64,
    "bytes": np.int64,
    "start": np.int64,
    "end": np.int64,
    "action": np.int8,  # 0 ACCEPT, 1 REJECT
    "status": np.int8,  # 0 OK, 1 NODATA, 2 SKIPDATA
    "flags": np.int16,
    "path": np.int8,
    "svc_src": np.int8,
    "svc_dst": np.int8,
    "window": np.int64,
}
STATUS_OK, STATUS_NODATA, STATUS_SKIPDATA = 0, 1, 2
_MIN_PACKET = {6: 40, 17: 28, 1: 28}


@dataclass(frozen=True)
class Leg:
    """Where and how one direction of a connection is recorded."""

    eni: Eni
    egress: bool
    response: bool
    src: str  # which address goes in srcaddr: "C" client, "S" server, "N" NAT gateway
    dst: str
    psrc: str
    pdst: str
    sport: str  # "c" client port, "s" server port, "n" NAT port
    dport: str
    path: int  # traffic-path code, -1 for none


def legs(scenario: Scenario, c: Connections) -> list[Leg]:
    """The records one connection makes per window, in the order its packets travel."""
    client, server = c.source, c.target
    if client.eni is not None and server.eni is not None:
        a, b = client.eni, server.eni
        return [
            Leg(a, True, False, "C", "S", "C", "S", "c", "s", 1),
            Leg(b, False, False, "C", "S", "C", "S", "c", "s", -1),
            Leg(b, True, True, "S", "C", "S", "C", "s", "c", 1),
            Leg(a, False, True, "S", "C", "S", "C", "s", "c", -1),
        ]
    if client.eni is not None:
        a, path = client.eni, server.network.path  # type: ignore[union-attr]
        if path == "internet" and not a.public:
            nat = nat_for(scenario, a)
            return [
                Leg(a, True, False, "C", "S", "C", "S", "c", "s", 1),
                Leg(nat, False, False, "C", "N", "C", "S", "c", "s", -1),
                Leg(nat, True, False, "N", "S", "N", "S", "n", "s", 2),
                Leg(nat, False, True, "S", "N", "S", "N", "s", "n", -1),
                Leg(nat, True, True, "N", "C", "S", "C", "s", "c", 1),
                Leg(a, False, True, "S", "C", "S", "C", "s", "c", -1),
            ]
        code = _egress_path(a, path)
        return [
            Leg(a, True, False, "C", "S", "C", "S", "c", "s", code),
            Leg(a, False, True, "S", "C", "S", "C", "s", "c", -1),
        ]
    b, path = server.eni, client.network.path  # type: ignore[union-attr]
    return [
        Leg(b, False, False, "C", "S", "C", "S", "c", "s", -1),
        Leg(b, True, True, "S", "C", "S", "C", "s", "c", _egress_path(b, path)),
    ]


def nat_for(scenario: Scenario, eni: Eni) -> Eni:
    """The NAT gateway a private ENI uses: the one in its Availability Zone, else the first."""
    nats = [e for e in scenario.enis if e.kind == "nat-gateway"]
    same_az = [e for e in nats if e.subnet.az_id == eni.subnet.az_id]
    return (same_az or nats)[0]


def _egress_path(eni: Eni, path: str) -> int:
    if path == "peering":
        return 4
    nitro = eni.kind == "instance"
    if path == "gateway-endpoint":
        return 7 if nitro else 2
    return 8 if nitro else 2


def expand(
    scenario: Scenario,
    c: Connections,
    protocol: int,
    close: str,
    services: dict[str, int],
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """All records of a batch of connections, and the per-connection REJECT flag."""
    interval = scenario.aggregation_interval
    route = legs(scenario, c)
    n = len(c)
    nat_ip = next((int(leg.eni.address) for leg in route if leg.eni.kind == "nat-gateway"), 0)
    addr = {"C": c.client, "S": c.server, "N": np.full(n, nat_ip, dtype=np.uint32)}
    port = {"c": c.cport, "s": c.sport, "n": c.natport}
    if protocol == 1:
        port = {k: np.zeros(n, np.int32) for k in port}

    # decide each leg in path order; a connection stops at the first REJECT
    alive = np.ones(n, dtype=bool)
    present, rejected = [], []
    for leg in route:
        remote = addr[leg.dst] if leg.egress else addr[leg.src]
        reasons = decide(
            scenario, leg.eni, egress=leg.egress, response=leg.response,
            remote=remote, dport=port[leg.dport], protocol=protocol,
        )  # fmt: skip
        blocked = alive & (reasons != "")
        present.append(alive.copy())
        rejected.append(blocked)
        alive &= ~blocked
    failed = ~alive

    # shape: failed connections are a few retried SYNs (or one datagram) and nothing more
    tcp = protocol == 6
    minimum = _MIN_PACKET.get(protocol, 28)
    duration = c.duration.copy()
    pk_in = np.maximum(np.ceil(c.bytes_in / 1200.0), 2 if tcp else 1).astype(np.int64)
    acks = pk_in // 2 if tcp else 0
    pk_out = np.maximum(np.ceil(c.bytes_out / 1200.0) + acks, 3 if tcp else 1).astype(np.int64)
    by_out = np.maximum(c.bytes_out + acks * 52, pk_out * minimum)
    by_in = np.maximum(c.bytes_in, pk_in * minimum)
    if failed.any():
        tries = rng.integers(1, 4, n) if tcp else np.ones(n, np.int64)
        pk_out = np.where(failed, tries, pk_out)
        pk_in = np.where(failed, tries, pk_in)
        by_out = np.where(failed, tries * (60 if tcp else np.minimum(c.bytes_out, 120)), by_out)
        by_in = np.where(failed, tries * (60 if tcp else np.minimum(c.bytes_in, 120)), by_in)
        duration = np.where(failed, np.where(tries > 1, 2.0 ** (tries - 1) - 1, 0.0), duration)

    # windows: one row per (connection, aggregation window it overlaps)
    t0, t1 = c.start, c.start + duration
    w_first = np.floor(t0 / interval).astype(np.int64)
    w_last = np.floor(t1 / interval).astype(np.int64)
    counts = w_last - w_first + 1
    conn = np.repeat(np.arange(n), counts)
    offset = np.arange(len(conn)) - np.repeat(np.cumsum(counts) - counts, counts)
    window = w_first[conn] + offset
    seg_start = np.maximum(t0[conn], window * interval)
    seg_end = np.minimum(t1[conn], (window + 1) * interval - 0.5)
    frac = np.where(duration[conn] > 0, (seg_end - seg_start) / np.maximum(duration[conn], 1e-9), 1.0)
    first = offset == 0
    last = window == w_last[conn]

    # per (connection, window): counts, times and flags of each direction, computed once
    start = np.floor(seg_start).astype(np.int64)
    end = np.floor(seg_end).astype(np.int64)
    failed_w = failed[conn]
    sides = {}
    for response in (False, True):
        pk = (pk_in if response else pk_out)[conn]
        by = (by_in if response else by_out)[conn]
        packets = np.maximum(np.rint(pk * frac), 1).astype(np.int64)
        nbytes = np.maximum(np.rint(by * frac).astype(np.int64), packets * minimum)
        packets = np.maximum(packets, -(-nbytes // 1500))  # no packet above a 1500-byte MTU
        if tcp:
            opening, closing = (18, 1) if response else (2, 1 if close == "fin" else 4)
            if response and close == "rst":
                closing = 0
            flags = np.where(first, opening, 0) | np.where(last & ~failed_w, closing, 0)
            flags = np.where(failed_w, opening, flags).astype(np.int16)  # unanswered SYNs are retried
        else:
            flags = np.zeros(len(conn), np.int16)
        sides[response] = (packets, nbytes, flags)
    addr_w = {k: v[conn] for k, v in addr.items()}
    port_w = {k: v[conn] for k, v in port.items()}

    rows: list[dict[str, np.ndarray]] = []
    for leg, here, blocked in zip(route, present, rejected, strict=True):
        keep = slice(None) if here.all() else here[conn]
        packets, nbytes, flags = sides[leg.response]
        m = len(start[keep])
        rows.append(
            {
                "eni": np.full(m, leg.eni.index, np.int16),
                "egress": np.full(m, int(leg.egress), np.int8),
                "src": addr_w[leg.src][keep],
                "dst": addr_w[leg.dst][keep],
                "psrc": addr_w[leg.psrc][keep],
                "pdst": addr_w[leg.pdst][keep],
                "sport": port_w[leg.sport][keep],
                "dport": port_w[leg.dport][keep],
                "proto": np.full(m, protocol, np.int16),
                "packets": packets[keep],
                "bytes": nbytes[keep],
                "start": start[keep],
                "end": end[keep],
                "action": blocked[conn][keep].astype(np.int8),
                "status": np.zeros(m, np.int8),
                "flags": flags[keep],
                "path": np.full(m, leg.path if leg.egress else -1, np.int8),
                "svc_src": np.full(m, _service(c, leg.psrc, services), np.int8),
                "svc_dst": np.full(m, _service(c, leg.pdst, services), np.int8),
                "window": window[keep],
            }
        )
    return concat(rows), failed


def _service(c: Connections, which: str, services: dict[str, int]) -> int:
    end = {"C": c.source, "S": c.target}.get(which)
    if end is None or end.network is None or end.network.aws_service is None:
        return -1
    return services[end.network.aws_service]


def empty(n: int = 0) -> dict[str, np.ndarray]:
    """A record batch of ``n`` zeroed rows."""
    return {k: np.zeros(n, dtype=t) for k, t in COLUMNS.items()}


def concat(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate record batches."""
    batches = [b for b in batches if len(b["eni"])]
    if not batches:
        return empty()
    return {k: np.concatenate([b[k] for b in batches]).astype(t, copy=False) for k, t in COLUMNS.items()}


def take(
    batch: dict[str, np.ndarray], index: np.ndarray, keys: set[str] | None = None
) -> dict[str, np.ndarray]:
    """Rows of a batch by index or boolean mask (only the columns in ``keys`` when given)."""
    return {k: v[index] for k, v in batch.items() if keys is None or k in keys}


#: The record column(s) behind each flow-log field the writers take from a batch.
FIELD_COLUMNS = {
    "srcaddr": ("src",), "dstaddr": ("dst",), "pkt-srcaddr": ("psrc",), "pkt-dstaddr": ("pdst",),
    "srcport": ("sport",), "dstport": ("dport",), "protocol": ("proto",), "packets": ("packets",),
    "bytes": ("bytes",), "action": ("action",), "tcp-flags": ("flags",), "flow-direction": ("egress",),
    "traffic-path": ("path",), "pkt-src-aws-service": ("svc_src",), "pkt-dst-aws-service": ("svc_dst",),
}  # fmt: skip


def needed_columns(fields) -> set[str]:
    """The record columns a log format needs (plus those every writer uses)."""
    keys = {"eni", "start", "end", "status", "action"}
    for f in fields:
        keys.update(FIELD_COLUMNS.get(f.name, ()))
    return keys


def status_records(
    enis: np.ndarray, windows: np.ndarray, status: int, interval: int
) -> dict[str, np.ndarray]:
    """NODATA or SKIPDATA records for (ENI, window) pairs: only the times and status are set."""
    out = empty(len(enis))
    out["eni"] = enis.astype(np.int16)
    out["window"] = windows
    out["start"] = windows * interval
    out["end"] = windows * interval + interval - 1
    out["status"][:] = status
    for key in ("egress", "action", "flags", "path", "svc_src", "svc_dst"):
        out[key][:] = -1
    return out


def idle_and_skipped(
    scenario: Scenario, batch: dict[str, np.ndarray], w0: int, w1: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Add SKIPDATA (dropping some records) and NODATA records for windows ``[w0, w1)``."""
    interval = scenario.aggregation_interval
    n_enis, n_win = len(scenario.enis), w1 - w0
    extra = []
    if scenario.skipdata_enis and scenario.skipdata_per_day > 0:
        expected = scenario.skipdata_per_day * n_win * interval / 86400.0
        k = rng.poisson(expected)
        if k:
            enis = np.asarray(scenario.skipdata_enis)[rng.integers(0, len(scenario.skipdata_enis), k)]
            wins = rng.integers(w0, w1, k)
            hit = np.isin(
                batch["eni"].astype(np.int64) * n_win + (batch["window"] - w0), enis * n_win + (wins - w0)
            )
            drop = hit & (rng.random(len(hit)) < 0.5)
            batch = take(batch, ~drop)
            extra.append(status_records(enis, wins, STATUS_SKIPDATA, interval))
    seen = np.zeros(n_enis * n_win, dtype=bool)
    seen[batch["eni"].astype(np.int64) * n_win + (batch["window"] - w0)] = True
    for skipped in extra:
        seen[skipped["eni"].astype(np.int64) * n_win + (skipped["window"] - w0)] = True
    idle = np.flatnonzero(~seen)
    extra.append(status_records(idle // n_win, idle % n_win + w0, STATUS_NODATA, interval))
    return concat([batch, *extra])


def request_keys(
    scenario: Scenario, c: Connections, protocol: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The (srcaddr, dstaddr, dstport) keys the connections' request records show, on every ENI."""
    n = len(c)
    route = legs(scenario, c)
    nat_ip = next((int(leg.eni.address) for leg in route if leg.eni.kind == "nat-gateway"), 0)
    addr = {"C": c.client, "S": c.server, "N": np.full(n, nat_ip, dtype=np.uint32)}
    port = {"c": c.cport, "s": c.sport, "n": c.natport}
    if protocol == 1:
        port = {k: np.zeros(n, np.int32) for k in port}
    out, seen = [], set()
    for leg in route:
        if leg.response:
            continue
        for s, d in ((leg.src, leg.dst), (leg.psrc, leg.pdst)):
            if (s, d, leg.dport) not in seen:
                seen.add((s, d, leg.dport))
                out.append((addr[s], addr[d], port[leg.dport]))
    return out
