"""Transit gateway flow logs: a small generator for hub scenarios (``scenarios/transit.yaml``).

The VPC simulator (:mod:`flowkit.simulate.run`) models network interfaces in one VPC; a transit
gateway sees another thing: flows between its *attachments* (VPCs, VPNs). This module reads a
scenario with ``kind: transit`` (attachments and the conversations between them) and writes what a
flow log on the transit gateway (resource type ``TransitGateway``) would deliver, as AWS's
"Transit Gateway Flow Log records" table describes it
(https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records):

- each flow gives a record where it enters the transit gateway (``flow-direction`` ingress,
  ``tgw-attachment-id`` = the source attachment, ``tgw-pair-attachment-id`` = the destination) and
  one where it leaves (egress, the two swapped); replies are flows of their own;
- ``tgw-src-*``/``tgw-dst-*`` name the VPC account, VPC, subnet, attachment ENI and AZ of each end,
  ``-`` for a VPN end (it has none);
- dropped packets are counted on the ingress record: a blackhole or missing route loses the whole
  flow (no egress record, no pair attachment, no destination VPC), an MTU or TTL drop a share of
  it (the egress record carries the rest);
- an attachment with no traffic in a 60-second window gives a ``NODATA`` record; transit gateway
  flow logs aggregate over 60 seconds only ("the only accepted value for transit gateway resource
  types", https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-api-cli.html);
- files go to S3 keys of the ``vpcflowlogs`` layout (:mod:`flowkit.layout`;
  https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-s3.html), one per 5 minutes of end times,
  as gzip text with a header line or as Parquet.

What it does not model: appliance mode, connect/peering/Direct Connect gateway attachments,
IPv6, AWS service prefixes (``pkt-src-aws-service`` stays ``-``), flows longer than one window.
:func:`flowkit.simulate` runs it for a ``kind: transit`` scenario (``simulate("transit")``).

Examples:
    >>> result = simulate_transit(days=0.01, seed=1)
    >>> sorted(result.flows["flow_direction"].dropna().unique())
    ['egress', 'ingress']
    >>> set(result.flows["resource_type"])
    {'TransitGateway'}
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import itertools
import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from flowkit.errors import ArgumentError, ScenarioError
from flowkit.frames import from_arrow
from flowkit.layout import LAYOUTS, delivery_prefix, delivery_suffix, file_name
from flowkit.limits import MAX_RECORDS_PER_SECOND, MAX_YAML_BYTES, load_yaml
from flowkit.outputs import OutputFolder
from flowkit.schema import (
    TGW_RESOURCE_TYPE,
    Field,
    LogFormatSpec,
    format_string,
    record_version,
    resolve_log_format,
)
from flowkit.simulate.result import SimulationResult
from flowkit.timeutil import parse_utc

__all__ = ["TransitResult", "TransitScenario", "is_transit", "load_transit", "simulate_transit"]

SCENARIO_DIR = Path(__file__).with_name("scenarios")
WINDOW = 60  # transit gateway flow logs aggregate over 60 seconds, always
FILE_SECONDS = 300
DROPS = ("blackhole", "no-route", "mtu-exceeded", "ttl-expired")
RHYTHMS = ("flat", "daily", "office-hours")
_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1}
_PACKET_SIZE = {6: 1200, 17: 120, 1: 84}
_TCP_FLAGS = 27  # SYN|FIN|PSH|ACK, as a whole TCP conversation ORs them (a reply: SYN-ACK|PSH|FIN)
_SYN = 2
_CODECS = ("snappy", "gzip", "zstd", "brotli", "lz4", "none")


@dataclass(frozen=True)
class Endpoint:
    """One attachment subnet (a VPC's subnet holding the transit gateway's ENI in one AZ)."""

    attachment: int
    account: str | None
    vpc: str | None
    subnet: str | None
    eni: str | None
    az_id: str | None
    hosts: ipaddress.IPv4Network


@dataclass(frozen=True)
class Attachment:
    name: str
    id: str
    type: str  # vpc or vpn
    endpoints: tuple[int, ...]  # indexes into TransitScenario.endpoints


@dataclass(frozen=True)
class Conversation:
    name: str
    src: int  # attachment index
    dst: int  # attachment index, or -1 for a dropped flow to to_cidr
    to_cidr: ipaddress.IPv4Network | None
    protocol: int
    port: int
    rate: float  # connections per hour at the rhythm's peak
    sources: int
    targets: int
    bytes_out: float
    bytes_in: float
    rhythm: str
    window: tuple[int, int] | None  # seconds of the day, UTC
    drop: str | None
    share: float


@dataclass(frozen=True)
class TransitScenario:
    """A transit gateway, its attachments and the conversations through it (a ``kind: transit`` YAML)."""

    name: str
    description: str
    account: str
    region: str
    transit_gateway: str
    flow_log_id: str
    start: datetime
    log_format: str
    attachments: tuple[Attachment, ...]
    endpoints: tuple[Endpoint, ...]
    traffic: tuple[Conversation, ...]
    source: str


@dataclass
class TransitResult(SimulationResult):
    """What :func:`simulate_transit` made (the shape of :class:`~flowkit.simulate.SimulationResult`).

    Attributes:
        scenario: the transit scenario.
        seed: the random seed.
        start, end: the simulated period (UTC, end exclusive).
        log_format: the ``${field} ...`` format of the records.
        file_format: ``text`` or ``parquet``.
        out: the output directory (None when nothing was written).
        files: the flow-log files written, in order.
        labels: empty (a transit scenario has no injected anomalies to label: its drops are in the
            records' ``packets_lost_*`` counts).
        flows: every record in the reader's shape, or None when not kept.
        records: the number of records.
        counts: records by log status, by flow direction and packets lost by reason.
    """

    scenario: TransitScenario

    def __repr__(self) -> str:
        where = f" in {self.out} ({len(self.files)} files)" if self.out else ""
        return (
            f"<TransitResult {self.scenario.name} seed={self.seed} {self.start:%Y-%m-%dT%H:%MZ}.."
            f"{self.end:%Y-%m-%dT%H:%MZ}: {self.records} records{where}>"
        )


# -- loading --------------------------------------------------------------------------------------------


def _path_of(scenario: str | os.PathLike[str]) -> Path:
    path = Path(scenario)
    if not path.suffix and not path.exists():
        return SCENARIO_DIR / f"{scenario}.yaml"
    return path


def _document(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not a YAML scenario file (it is not UTF-8 text).") from exc
    try:
        return load_yaml(text, where=str(path), error=ScenarioError)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({' '.join(str(exc).split())}).") from exc


def is_transit(scenario: object) -> bool:
    """Whether ``scenario`` (a built-in name, a YAML path or a loaded scenario) is a ``kind: transit`` one."""
    if isinstance(scenario, TransitScenario):
        return True
    if not isinstance(scenario, str | os.PathLike):
        return False
    path = _path_of(scenario)
    if not path.is_file():
        return False
    try:
        document = _document(path)
    except ScenarioError:
        return False  # the VPC loader says what is wrong with it
    return isinstance(document, dict) and document.get("kind") == "transit"


def load_transit(scenario: str | os.PathLike[str] | TransitScenario = "transit") -> TransitScenario:
    """Load and check a transit scenario: a built-in name (``"transit"``) or a YAML path.

    Raises:
        ScenarioError: naming the file, the key and what is allowed.
    """
    if isinstance(scenario, TransitScenario):
        return scenario
    path = _path_of(scenario)
    return _parse(_document(path), str(path))


def _get(doc: dict, key: str, where: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in doc:
        if default is ...:
            raise ScenarioError(f"{where}.{key}: missing; every transit scenario needs it.")
        return default
    value = doc[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ScenarioError(f"{where}.{key}: {value!r} is not a {names}.")
    return value


def _network(value: Any, where: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(value))
    except ValueError:
        raise ScenarioError(f"{where}: {value!r} is not an IPv4 CIDR block such as 10.10.1.0/24.") from None


def _known(doc: dict, allowed: tuple[str, ...], where: str) -> None:
    """Refuse a key the scenario format does not have (a typo would otherwise be ignored)."""
    for key in doc:
        if key not in allowed:
            raise ScenarioError(f"{where}.{key}: not a key here; allowed: {', '.join(allowed)}.")


_TOP_KEYS = (
    "kind", "name", "description", "account", "region", "transit_gateway", "flow_log_id", "start",
    "log_format", "attachments", "traffic",
)  # fmt: skip
_TRAFFIC_KEYS = (
    "name", "from", "to", "to_cidr", "protocol", "port", "rate", "sources", "targets", "bytes_out", "bytes_in",
    "rhythm", "window", "drop", "share",
)  # fmt: skip
#: Upper bounds of a conversation's numbers (beyond them memory or int64 byte counts would not hold).
_HIGH = {
    "rate": 3_600_000,
    "bytes_out": 1e12,
    "bytes_in": 1e12,
    "sources": 65_536,
    "targets": 65_536,
    "share": 1,
}


def _parse(doc: Any, source: str) -> TransitScenario:
    if not isinstance(doc, dict) or doc.get("kind") != "transit":
        raise ScenarioError(f"{source}: not a transit scenario (it needs `kind: transit` at the top).")
    top = source
    _known(doc, _TOP_KEYS, top)
    account = str(_get(doc, "account", top, (str, int)))
    if not account.isdigit() or len(account) != 12:
        raise ScenarioError(f"{top}.account: {account!r} is not a 12-digit account ID (quote it).")
    start = _get(doc, "start", top, (str, datetime))
    try:
        start = parse_utc(start)
    except ValueError:
        raise ScenarioError(
            f"{top}.start: {start!r} is not an ISO date-time such as 2026-11-02T00:00:00Z."
        ) from None
    names: dict[str, int] = {}
    attachments: list[Attachment] = []
    endpoints: list[Endpoint] = []
    for name, spec in _get(doc, "attachments", top, dict).items():
        where = f"{top}.attachments.{name}"
        if not isinstance(spec, dict):
            raise ScenarioError(f"{where}: an attachment is a mapping with id, type and subnets or hosts.")
        kind = _get(spec, "type", where, str)
        if kind not in ("vpc", "vpn"):
            raise ScenarioError(f"{where}.type: {kind!r}; allowed: vpc, vpn.")
        _known(
            spec,
            ("id", "type", "account", "vpc", "subnets") if kind == "vpc" else ("id", "type", "hosts"),
            where,
        )
        index = len(attachments)
        first = len(endpoints)
        if kind == "vpc":
            vpc_account = str(_get(spec, "account", where, (str, int)))
            vpc = _get(spec, "vpc", where, str)
            for i, sub in enumerate(_get(spec, "subnets", where, list)):
                at = f"{where}.subnets[{i}]"
                if not isinstance(sub, dict):
                    raise ScenarioError(f"{at}: a subnet is a mapping of id, az_id, eni and hosts.")
                _known(sub, ("id", "az_id", "eni", "hosts"), at)
                endpoints.append(
                    Endpoint(
                        index, vpc_account, vpc, _get(sub, "id", at, str), _get(sub, "eni", at, str),
                        _get(sub, "az_id", at, str), _network(_get(sub, "hosts", at, str), f"{at}.hosts"),
                    )
                )  # fmt: skip
        else:
            for i, cidr in enumerate(_get(spec, "hosts", where, list)):
                endpoints.append(
                    Endpoint(index, None, None, None, None, None, _network(cidr, f"{where}.hosts[{i}]"))
                )
        if len(endpoints) == first:
            raise ScenarioError(f"{where}: no subnets or hosts; an attachment needs addresses to send from.")
        names[str(name)] = index
        attachments.append(
            Attachment(str(name), _get(spec, "id", where, str), kind, tuple(range(first, len(endpoints))))
        )
    traffic = []
    for i, spec in enumerate(_get(doc, "traffic", top, list)):
        where = f"{top}.traffic[{i}]"
        if not isinstance(spec, dict):
            raise ScenarioError(
                f"{where}: a conversation is a mapping (name, from, to, protocol, port, rate, ...)."
            )
        _known(spec, _TRAFFIC_KEYS, where)
        traffic.append(_conversation(spec, where, names))
    per_second = sum(c.rate for c in traffic) * 4 / 3600  # at most 4 records a connection
    if per_second > MAX_RECORDS_PER_SECOND:
        raise ScenarioError(
            f"{top}.traffic: the rates add up to about {per_second:,.0f} records a second, over the limit of "
            f"{MAX_RECORDS_PER_SECOND:,} (flowkit.limits.MAX_RECORDS_PER_SECOND, as a day of records is held in "
            "memory); lower the rates."
        )
    log_format = str(_get(doc, "log_format", top, str, "transit-gateway"))
    return TransitScenario(
        name=str(_get(doc, "name", top, str)),
        description=str(_get(doc, "description", top, str, "")),
        account=account,
        region=_get(doc, "region", top, str),
        transit_gateway=_get(doc, "transit_gateway", top, str),
        flow_log_id=_get(doc, "flow_log_id", top, str),
        start=start,
        log_format=log_format,
        attachments=tuple(attachments),
        endpoints=tuple(endpoints),
        traffic=tuple(traffic),
        source=source,
    )


def _conversation(spec: dict, where: str, names: dict[str, int]) -> Conversation:
    def attachment(key: str) -> int:
        value = _get(spec, key, where, str)
        if value not in names:
            raise ScenarioError(f"{where}.{key}: no attachment {value!r}; allowed: {', '.join(names)}.")
        return names[value]

    drop = _get(spec, "drop", where, str, None)
    if drop is not None and drop not in DROPS:
        raise ScenarioError(f"{where}.drop: {drop!r}; allowed: {', '.join(DROPS)}.")
    whole = drop in ("blackhole", "no-route")
    if whole != ("to_cidr" in spec) or (whole and "to" in spec):
        raise ScenarioError(
            f"{where}: a blackhole or no-route drop goes to `to_cidr` (no attachment has the route); "
            "every other conversation goes `to` an attachment."
        )
    protocol = _get(spec, "protocol", where, str)
    if protocol not in _PROTOCOLS:
        raise ScenarioError(f"{where}.protocol: {protocol!r}; allowed: {', '.join(_PROTOCOLS)}.")
    port = _get(spec, "port", where, int)
    if not 0 <= port <= 65535:
        raise ScenarioError(f"{where}.port: {port} is not a port (0-65535).")
    numbers = {}
    for key, default in (
        ("rate", ...),
        ("bytes_out", ...),
        ("bytes_in", 0),
        ("sources", 1),
        ("targets", 1),
        ("share", 0),
    ):
        value = _get(spec, key, where, (int, float), default)
        whole_number = key in ("sources", "targets")
        if (
            not math.isfinite(value)
            or not 0 <= value <= _HIGH[key]
            or (whole_number and (value < 1 or value != int(value)))
        ):
            allowed = "a whole number from 1" if whole_number else "a number from 0"
            raise ScenarioError(f"{where}.{key}: {value!r}; allowed: {allowed} to {_HIGH[key]:,}.")
        numbers[key] = value
    if drop in ("mtu-exceeded", "ttl-expired") and not 0 < numbers["share"] < 1:
        raise ScenarioError(
            f"{where}.share: {numbers['share']!r}; an {drop} drop loses a share between 0 and 1."
        )
    rhythm = _get(spec, "rhythm", where, str, "flat")
    if rhythm not in RHYTHMS:
        raise ScenarioError(f"{where}.rhythm: {rhythm!r}; allowed: {', '.join(RHYTHMS)}.")
    window = _get(spec, "window", where, str, None)
    span = None
    if window is not None:
        try:
            a, b = (datetime.strptime(t.strip(), "%H:%M") for t in window.split("-"))
        except ValueError:
            raise ScenarioError(f"{where}.window: {window!r} is not HH:MM-HH:MM (UTC).") from None
        span = (a.hour * 3600 + a.minute * 60, b.hour * 3600 + b.minute * 60)
    return Conversation(
        name=str(_get(spec, "name", where, str)),
        src=attachment("from"),
        dst=-1 if whole else attachment("to"),
        to_cidr=_network(spec["to_cidr"], f"{where}.to_cidr") if whole else None,
        protocol=_PROTOCOLS[protocol],
        port=port,
        rate=float(numbers["rate"]),
        sources=int(numbers["sources"]),
        targets=int(numbers["targets"]),
        bytes_out=float(numbers["bytes_out"]),
        bytes_in=float(numbers["bytes_in"]),
        rhythm=rhythm,
        window=span,
        drop=drop,
        share=float(numbers["share"]),
    )


# -- records --------------------------------------------------------------------------------------------

_COLUMNS = (
    "att", "pair", "egress", "src_ep", "dst_ep", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "no_route", "blackhole", "mtu", "ttl", "flags", "status",
)  # fmt: skip


def _pool(
    sc: TransitScenario, attachment: int, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` host addresses of an attachment (uint32) and the endpoint each sends from."""
    eps = np.array(sc.attachments[attachment].endpoints)
    picked = eps[rng.integers(0, len(eps), size)]
    return _addresses([sc.endpoints[e].hosts for e in picked], rng), picked


def _addresses(networks: list[ipaddress.IPv4Network], rng: np.random.Generator) -> np.ndarray:
    # skip the network's first four and last address (reserved in a VPC subnet)
    base = np.array([int(n.network_address) for n in networks], np.int64)
    size = np.array([n.num_addresses for n in networks], np.int64)
    low = np.minimum(4, size - 1)
    offset = low + (rng.random(len(networks)) * np.maximum(size - low - 1, 1)).astype(np.int64)
    return (base + offset).astype(np.uint32)


def _intensity(c: Conversation, seconds: np.ndarray) -> np.ndarray:
    """Connections per window at each window start (seconds since the epoch)."""
    of_day = seconds % 86400
    hour = of_day / 3600
    if c.rhythm == "daily":
        shape = 0.55 + 0.45 * np.cos((hour - 14) / 24 * 2 * np.pi)
    elif c.rhythm == "office-hours":
        weekday = ((seconds // 86400 + 3) % 7) < 5  # 1970-01-01 was a Thursday
        shape = np.where(weekday & (hour >= 8) & (hour < 18), 1.0, 0.04)
    else:
        shape = np.ones(len(seconds))
    if c.window is not None:
        a, b = c.window
        inside = (of_day >= a) & (of_day < b) if a <= b else (of_day >= a) | (of_day < b)
        shape = np.where(inside, shape, 0.0)
    return c.rate * WINDOW / 3600 * shape


def _conversation_records(
    sc: TransitScenario, index: int, c: Conversation, t0: int, t1: int, seed: int, anomalies: bool
) -> list[dict[str, np.ndarray]]:
    if c.drop is not None and not anomalies:
        return []
    pools = np.random.default_rng([seed, index, 0])
    src_pool, src_eps = _pool(sc, c.src, c.sources, pools)
    if c.dst >= 0:
        dst_pool, dst_eps = _pool(sc, c.dst, c.targets, pools)
    else:
        assert c.to_cidr is not None
        dst_pool, dst_eps = _addresses([c.to_cidr] * c.targets, pools), np.full(c.targets, -1)
    rng = np.random.default_rng([seed, index, t0, 1])
    windows = np.arange(t0, t1, WINDOW, dtype=np.int64)
    counts = rng.poisson(_intensity(c, windows))
    n = int(counts.sum())
    if n == 0:
        return []
    w = np.repeat(windows, counts)
    start = w + rng.integers(0, 45, n)
    end = start + rng.integers(1, w + WINDOW - start)
    si = rng.integers(0, c.sources, n)
    di = rng.integers(0, c.targets, n)
    sport = rng.integers(32768, 61000, n)
    dport = np.full(n, c.port) + (rng.integers(0, 30, n) if c.drop == "ttl-expired" else 0)
    size = _PACKET_SIZE[c.protocol]
    whole = c.drop in ("blackhole", "no-route")
    if whole:  # connection attempts: a SYN and its retries
        p_out = rng.integers(1, 4, n)
        b_out = p_out * (60 if c.protocol == 6 else size)
    else:
        b_out = np.maximum(np.rint(rng.lognormal(math.log(max(c.bytes_out, 1)), 0.6, n)), 40).astype(np.int64)
        p_out = np.ceil(b_out / size).astype(np.int64) + (3 if c.protocol == 6 else 0)
    lost = np.zeros(n, np.int64)
    if whole:
        lost = p_out.copy()
    elif c.drop is not None:
        lost = np.clip(np.rint(p_out * c.share), 1, p_out).astype(np.int64)
    flags = np.full(
        n, (_SYN if whole else _TCP_FLAGS) if c.protocol == 6 else (0 if c.protocol == 17 else -1)
    )
    src_ep, dst_ep = src_eps[si], dst_eps[di]
    src, dst = src_pool[si], dst_pool[di]
    dst_att = np.full(n, c.dst)
    out = []

    def record(
        att, pair, egress, s_ep, d_ep, sa, da, sp, dp, packets, nbytes, lost_by
    ) -> dict[str, np.ndarray]:
        m = len(sa)
        zero = np.zeros(m, np.int64)
        lost_cols = {k: lost_by.get(k, zero) for k in ("no_route", "blackhole", "mtu", "ttl")}
        return {
            "att": np.broadcast_to(att, m).astype(np.int64), "pair": np.broadcast_to(pair, m).astype(np.int64),
            "egress": np.full(m, egress, np.int8), "src_ep": s_ep.astype(np.int64), "dst_ep": d_ep.astype(np.int64),
            "srcaddr": sa, "dstaddr": da, "srcport": sp.astype(np.int64), "dstport": dp.astype(np.int64),
            "protocol": np.full(m, c.protocol, np.int64), "packets": packets.astype(np.int64),
            "bytes": nbytes.astype(np.int64), **lost_cols,
        }  # fmt: skip

    reason = {"blackhole": "blackhole", "no-route": "no_route", "mtu-exceeded": "mtu", "ttl-expired": "ttl"}
    lost_by = {reason[c.drop]: lost} if c.drop else {}
    ingress = record(
        c.src, dst_att if not whole else -1, 0, src_ep, dst_ep, src, dst, sport, dport, p_out, b_out, lost_by
    )
    ingress.update(start=start, end=end, flags=flags)
    out.append(ingress)
    if whole:
        return out
    through = p_out - lost
    keep = through > 0
    egress_bytes = np.rint(b_out * through / p_out).astype(np.int64)
    eg = record(
        dst_att[keep], c.src, 1, src_ep[keep], dst_ep[keep], src[keep], dst[keep], sport[keep], dport[keep],
        through[keep], egress_bytes[keep], {},
    )  # fmt: skip
    eg.update(start=start[keep], end=end[keep], flags=flags[keep])
    out.append(eg)
    if c.bytes_in <= 0:
        return out
    b_in = np.maximum(np.rint(rng.lognormal(math.log(c.bytes_in), 0.6, n)), 40).astype(np.int64)
    p_in = np.ceil(b_in / size).astype(np.int64) + (2 if c.protocol == 6 else 0)
    for egress, att, pair in ((0, dst_att, c.src), (1, c.src, dst_att)):
        r = record(att, pair, egress, dst_ep, src_ep, dst, src, dport, sport, p_in, b_in, {})
        r.update(start=start, end=end, flags=flags)
        out.append(r)
    return out


def _concat(batches: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if not batches:
        return {k: np.zeros(0, np.int64) for k in _COLUMNS}
    out = {}
    for k in _COLUMNS:
        if k == "status":
            continue
        out[k] = np.concatenate([np.asarray(b[k]) for b in batches])
    out["status"] = np.zeros(len(out["att"]), np.int8)
    return out


def _with_nodata(sc: TransitScenario, b: dict[str, np.ndarray], t0: int, t1: int) -> dict[str, np.ndarray]:
    """Add a NODATA record for each attachment and window without records."""
    windows = np.arange(t0, t1, WINDOW, dtype=np.int64)
    k = len(sc.attachments)
    busy = np.zeros((len(windows), k), bool)
    busy[(b["start"] - t0) // WINDOW, b["att"]] = True
    wi, ai = np.nonzero(~busy)
    m = len(wi)
    if m == 0:
        return b
    empty = {name: np.zeros(m, np.int64) for name in _COLUMNS}
    empty.update(
        att=ai.astype(np.int64), pair=np.full(m, -1), egress=np.full(m, -1, np.int8),
        src_ep=np.full(m, -1), dst_ep=np.full(m, -1), srcaddr=np.zeros(m, np.uint32), dstaddr=np.zeros(m, np.uint32),
        start=windows[wi], end=windows[wi] + WINDOW, flags=np.full(m, -1), status=np.ones(m, np.int8),
    )  # fmt: skip
    return {name: np.concatenate([b[name], empty[name]]) for name in _COLUMNS}


# -- columns and files ----------------------------------------------------------------------------------


def _text(values: list[str | None], codes: np.ndarray) -> pa.Array:
    """Per-code text (``codes`` index ``values``; -1 is null)."""
    dictionary = pa.array([v if v is not None else "" for v in values] or [""], pa.string())
    null = codes < 0
    for i, v in enumerate(values):
        if v is None:
            null = null | (codes == i)
    taken = dictionary.take(pa.array(np.where(codes < 0, 0, codes).astype(np.int32)))
    return pc.if_else(pa.array(~null), taken, pa.scalar(None, pa.string()))


def _ips(values: np.ndarray, null: np.ndarray) -> pa.Array:
    octets = [pc.cast(pa.array((values.astype(np.int64) >> s) & 255), pa.string()) for s in (24, 16, 8, 0)]
    text = pc.binary_join_element_wise(*octets, ".")
    return pc.if_else(pa.array(~null), text, pa.scalar(None, pa.string()))


def _table(sc: TransitScenario, fields: list[Field], b: dict[str, np.ndarray]) -> pa.Table:
    n = len(b["att"])
    nodata = b["status"] == 1
    eps = sc.endpoints
    atts = sc.attachments

    def ints(values: np.ndarray, null: np.ndarray, kind: pa.DataType) -> pa.Array:
        return pa.array(values.astype(np.int64), mask=null, type=kind)

    def side(attr: str, codes: np.ndarray) -> pa.Array:
        return _text([getattr(e, attr) for e in eps], codes)

    columns: dict[str, pa.Array] = {}
    for f in fields:
        name = f.name
        kind = pa.int32() if f.type == "int32" else pa.int64()
        if name == "version":
            value: pa.Array = pa.array(np.full(n, record_version(fields), np.int32))
        elif name == "resource-type":
            value = pa.array([TGW_RESOURCE_TYPE] * n, pa.string())
        elif name == "account-id":
            value = pa.array([sc.account] * n, pa.string())
        elif name == "region":
            value = pa.array([sc.region] * n, pa.string())
        elif name == "tgw-id":
            value = pa.array([sc.transit_gateway] * n, pa.string())
        elif name == "tgw-attachment-id":
            value = _text([a.id for a in atts], b["att"])
        elif name == "tgw-pair-attachment-id":
            value = _text([a.id for a in atts], b["pair"])
        elif name.startswith(("tgw-src-", "tgw-dst-")):
            attr = {
                "vpc-account-id": "account",
                "vpc-id": "vpc",
                "subnet-id": "subnet",
                "eni": "eni",
                "az-id": "az_id",
            }
            codes = b["src_ep" if name.startswith("tgw-src-") else "dst_ep"]
            value = side(attr[name[8:]], codes)
        elif name in ("srcaddr", "dstaddr"):
            value = _ips(b[name], nodata)
        elif name in ("srcport", "dstport", "protocol", "packets", "bytes"):
            value = ints(b[name], nodata, kind)
        elif name in ("start", "end"):
            value = ints(b[name], np.zeros(n, bool), kind)
        elif name == "log-status":
            value = _text(["OK", "NODATA"], b["status"].astype(np.int64))
        elif name == "type":
            value = _text(["IPv4"], np.where(nodata, -1, 0))
        elif name.startswith("packets-lost-"):
            key = {
                "no-route": "no_route",
                "blackhole": "blackhole",
                "mtu-exceeded": "mtu",
                "ttl-expired": "ttl",
            }
            value = ints(b[key[name[13:]]], nodata, kind)
        elif name == "tcp-flags":
            value = ints(b["flags"], b["flags"] < 0, kind)
        elif name == "flow-direction":
            value = _text(["ingress", "egress"], b["egress"].astype(np.int64))
        else:  # pkt-src-aws-service, pkt-dst-aws-service: no AWS service ranges in this scenario
            value = pa.nulls(n, pa.string())
        columns[name] = value
    return pa.table(columns)


def _lines(table: pa.Table) -> bytes:
    texts = [
        pc.fill_null(c if pa.types.is_string(c.type) else pc.cast(c, pa.string()), "-") for c in table.columns
    ]
    joined = pc.binary_join_element_wise(*texts, " ")
    return "".join(f"{line}\n" for line in joined.to_pylist()).encode()


def _gzip(data: bytes) -> bytes:
    """gzip with mtime 0 and OS byte 3 (Unix), so the bytes are the same on every Python."""
    compressed = bytearray(gzip.compress(data, compresslevel=6, mtime=0))
    compressed[9] = 3
    return bytes(compressed)


def _fields(spec: LogFormatSpec) -> list[Field]:
    fields = resolve_log_format(spec)
    vpc_only = [f.name for f in fields if "transit-gateway" not in f.resources]
    if vpc_only:
        raise ArgumentError(
            f"log_format has field(s) transit gateway flow logs do not have: {', '.join(vpc_only)}; use the "
            "transit gateway fields (the named set 'transit-gateway', "
            "https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records)."
        )
    return fields


# -- running --------------------------------------------------------------------------------------------


def simulate_transit(
    scenario: str | os.PathLike[str] | TransitScenario = "transit",
    *,
    seed: int = 7,
    days: float = 1,
    start: str | datetime | None = None,
    out: str | os.PathLike[str] | None = None,
    file_format: str = "text",
    log_format: LogFormatSpec | None = None,
    anomalies: bool = True,
    keep_flows: bool = True,
    compression: str = "snappy",
    layout: str = "default",
    overwrite: bool = False,
) -> TransitResult:
    """Simulate a transit gateway's flow logs (a ``kind: transit`` scenario) and write them as S3 gets them.

    Args:
        scenario: ``"transit"`` (built in), a YAML path or a loaded :class:`TransitScenario`.
        seed: the random seed; the same scenario, seed and arguments give byte-identical files.
        days: how long to simulate (fractions allowed, whole minutes; at most 366).
        start: an ISO date-time, a datetime, or an offset from the scenario's start such as ``"+1d"``
            (default: the scenario's ``start``).
        out: the output directory (written as :func:`flowkit.simulate` writes: staged, then moved into
            place, with a manifest); None keeps the records in memory only.
        file_format: ``"text"`` (.log.gz with a header line) or ``"parquet"`` (.log.parquet).
        log_format: transit gateway fields in any spelling of :func:`~flowkit.schema.resolve_log_format`
            (default: the scenario's, the 36-field ``"transit-gateway"`` set).
        anomalies: False leaves out the conversations the transit gateway drops packets of.
        keep_flows: keep every record in ``result.flows``.
        compression: the Parquet codec, optionally with a level (``"snappy"``, ``"gzip"``, ``"zstd-3"``,
            ``"none"``), as for :func:`flowkit.simulate`.
        layout: the S3 key layout of :data:`flowkit.layout.LAYOUTS`.
        overwrite: write into a non-empty folder that a simulation did not create.

    Returns:
        A :class:`TransitResult`.

    Raises:
        ScenarioError: a bad scenario file, naming the key.
        ArgumentError: a bad argument, or a VPC-only field in ``log_format``.
        OutputError: ``out`` holds files a simulation did not write (without ``overwrite``).
    """
    sc = load_transit(scenario)
    if out is None and not keep_flows:
        raise ArgumentError("pass out= (a directory) or keep_flows=True: otherwise nothing would be kept.")
    if file_format not in ("text", "parquet"):
        raise ArgumentError(
            f"file_format {file_format!r}: the transit scenario writes 'text' or 'parquet' (S3 objects); "
            "it does not write CloudWatch Logs events."
        )
    codec, _, level = str(compression).partition("-")
    if codec not in _CODECS or (level and not level.isdigit()):
        raise ArgumentError(
            f"compression {compression!r} is not a Parquet codec: use {', '.join(_CODECS)}, optionally with a "
            "level such as gzip-1 or zstd-3."
        )
    if layout not in LAYOUTS:
        raise ArgumentError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}.")
    if isinstance(days, bool) or not isinstance(days, int | float | np.number) or not 0 < days <= 366:
        raise ArgumentError(f"days must be more than 0 and at most 366, not {days!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ArgumentError(f"seed must be a whole number 0 or more, not {seed!r}.")
    fields = _fields(log_format or sc.log_format)
    offset = re.fullmatch(r"\+(\d+(?:\.\d+)?)([dhm])", str(start).strip()) if isinstance(start, str) else None
    try:
        if offset:
            unit = {"d": 86400, "h": 3600, "m": 60}[offset.group(2)]
            first = datetime.fromtimestamp(sc.start.timestamp() + float(offset.group(1)) * unit, UTC)
        else:
            first = parse_utc(start if start is not None else sc.start)
    except (ValueError, OverflowError, OSError):
        raise ArgumentError(
            f"start {start!r} is not an ISO date-time (2026-11-02T00:00:00Z) or an offset such as +1d or +6h."
        ) from None
    t_start = int(first.timestamp()) // FILE_SECONDS * FILE_SECONDS
    t_end = t_start + max(WINDOW, round(days * 86400 / WINDOW) * WINDOW)
    folder = None
    if out is not None:
        source = _path_of(scenario) if isinstance(scenario, str | os.PathLike) else None
        inputs = [source] if source is not None and source.parent != SCENARIO_DIR else []
        folder = OutputFolder(
            Path(out), "simulate", inputs=inputs, fresh=True, overwrite=overwrite, durable=False
        )
    files: list[Path] = []
    tables: list[pa.Table] = []
    counts: dict[str, int] = {}
    with folder if folder is not None else _Nothing():
        if folder is not None:
            folder.begin(incomplete=True)
        for t0 in range(t_start, t_end, 86400):
            t1 = min(t0 + 86400, t_end)
            batches = []
            for i, c in enumerate(sc.traffic):
                batches.extend(_conversation_records(sc, i, c, t0, t1, seed, anomalies))
            b = _with_nodata(sc, _concat(batches), t0, t1)
            order = np.lexsort((b["egress"], b["att"], b["start"], b["end"] // FILE_SECONDS))
            b = {k: v[order] for k, v in b.items()}
            table = _table(sc, fields, b)
            _count(counts, b)
            if folder is not None:
                files.extend(_write(folder, sc, seed, b, table, file_format, layout, compression))
            if keep_flows:
                tables.append(table)
        names = [p.relative_to(folder.staging).as_posix() for p in files] if folder is not None else []
        if folder is not None:
            for name in names:
                folder.stage(name)
            run = {
                "scenario": sc.name,
                "seed": int(seed),
                "start": f"{datetime.fromtimestamp(t_start, UTC):%Y-%m-%dT%H:%M:%SZ}",
                "end": f"{datetime.fromtimestamp(t_end, UTC):%Y-%m-%dT%H:%M:%SZ}",
                "file_format": file_format,
                "log_format": format_string(fields),
                "resource_type": TGW_RESOURCE_TYPE,
            }
            folder.commit(replace_all=True, run=run)
    flows = None
    if keep_flows:
        table = pa.concat_tables(tables) if tables else _table(sc, fields, _concat([]))
        table = table.rename_columns([f.column for f in fields]).cast(
            pa.schema([(f.column, f.arrow_type) for f in fields])
        )
        flows = from_arrow(table)
    return TransitResult(
        scenario=sc,
        seed=int(seed),
        start=datetime.fromtimestamp(t_start, UTC),
        end=datetime.fromtimestamp(t_end, UTC),
        log_format=format_string(fields),
        file_format=file_format,
        out=folder.path if folder is not None else None,
        files=[folder.path / name for name in names] if folder is not None else [],
        flows=flows,
        records=counts.get("records", 0),
        counts=counts,
    )


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _count(counts: dict[str, int], b: dict[str, np.ndarray]) -> None:
    ok = b["status"] == 0
    for key, value in (
        ("records", len(ok)),
        ("OK", int(ok.sum())),
        ("NODATA", int((~ok).sum())),
        ("ingress", int((ok & (b["egress"] == 0)).sum())),
        ("egress", int((ok & (b["egress"] == 1)).sum())),
        ("packets_lost_no_route", int(b["no_route"].sum())),
        ("packets_lost_blackhole", int(b["blackhole"].sum())),
        ("packets_lost_mtu_exceeded", int(b["mtu"].sum())),
        ("packets_lost_ttl_expired", int(b["ttl"].sum())),
    ):
        counts[key] = counts.get(key, 0) + value


def _write(
    folder: OutputFolder,
    sc: TransitScenario,
    seed: int,
    b: dict[str, np.ndarray],
    table: pa.Table,
    file_format: str,
    layout: str,
    compression: str,
) -> list[Path]:
    codec, _, level = compression.partition("-")
    slot = b["end"] // FILE_SECONDS
    cuts = [0, *(np.flatnonzero(np.diff(slot)) + 1).tolist(), len(slot)]
    header = (" ".join(table.column_names) + "\n").encode()
    written = []
    for lo, hi in itertools.pairwise(cuts):
        if lo == hi:
            continue
        stamp = int(slot[lo]) * FILE_SECONDS
        when = datetime.fromtimestamp(stamp, UTC)
        digest = hashlib.sha256(f"{sc.name}/{seed}/{sc.flow_log_id}/{stamp}".encode()).hexdigest()[:8]
        name = file_name(
            sc.account, sc.region, sc.flow_log_id, when, digest, suffix=delivery_suffix(file_format)
        )
        path = folder.staging / delivery_prefix(sc.account, sc.region, when, layout) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        part = table.slice(lo, hi - lo)
        if file_format == "text":
            path.write_bytes(_gzip(header + _lines(part)))
        else:
            pq.write_table(
                part,
                path,
                compression=codec,
                compression_level=int(level) if level else None,
                store_schema=False,
            )
        written.append(path)
    return written
