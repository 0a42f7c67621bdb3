"""Drift: how a scenario's environment changes from day to day, as real ones do.

A baseline learned from the first days of a test run meets other traffic a week later: CDNs and
SaaS endpoints answer from other addresses inside the same published ranges, a partner moves its
API to a new address, a deploy adds a dependency, and the users' volume follows the week and grows.
A scenario describes that in its optional ``drift`` section (``workshop.yaml`` has one):

- ``volume``: ``weekly`` (seven factors, Monday to Sunday) and ``trend`` (growth per day) scale the
  rate of every ``daily``-rhythm traffic entry (the users); machines (``every``) and anomalies keep
  their rate;
- ``rotate[]``: ``network``, ``per_day`` (addresses replaced each day from day 2) and ``within``
  (the published ranges the new addresses come from; default the network's ``cidrs``);
- ``readdress[]``: ``network``, ``day``, ``address`` and ``becomes``: from that day on the network
  answers from the new address instead;
- a ``note`` on a rotation or a re-addressing (and the ``description`` of a later traffic entry) says why
  the change is expected, as the environment's change log would: :func:`change_log` lists them;
- ``networks``: outside networks only the drift's traffic uses (keys as under ``networks``);
- ``traffic[]``: expected traffic that starts later (a deploy adding a dependency): a traffic entry
  with ``from_day`` (2 or later) and optionally ``at`` (``"HH:MM"`` UTC on that day);
- ``anomalies[]``: anomalies that start later, with the same two keys.

Days are numbered from 1, the day of the scenario's ``start``. **Nothing drifts on day 1**: the
volume factor is exactly 1 there, pools and addresses are the scenario's own and the drift's
traffic has not started, so a one-day run from the start (the bundled sample) is the same with or
without this section. ``simulate(..., drift=False)`` turns it off for any period.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from flowkit.simulate._check import Checker
    from flowkit.simulate.scenario import Network

DAY = 86400


@dataclass(frozen=True)
class Rotation:
    """Addresses of one network replaced every day from day 2."""

    network: str
    per_day: int
    within: tuple[ipaddress.IPv4Network, ...]
    note: str = ""  # why this is expected, as the environment's change log would say


@dataclass(frozen=True)
class Readdress:
    """From ``day`` on, ``network`` answers from ``becomes`` instead of ``address``."""

    network: str
    day: int
    address: ipaddress.IPv4Address
    becomes: ipaddress.IPv4Address
    note: str = ""


@dataclass(frozen=True)
class Drift:
    """A scenario's drift (see the module docstring); the default drifts nothing."""

    origin: int = 0  # midnight (UTC, epoch seconds) of day 1
    weekly: tuple[float, ...] = (1.0,) * 7
    trend: float = 0.0
    rotations: tuple[Rotation, ...] = ()
    readdresses: tuple[Readdress, ...] = ()
    networks: dict[str, Network] = field(default_factory=dict)

    def day(self, t: np.ndarray) -> np.ndarray:
        """The day number (1 = the scenario's first day) of each time ``t`` (epoch seconds)."""
        return (np.floor_divide(np.asarray(t, dtype=np.float64) - self.origin, DAY) + 1).astype(np.int64)

    def volume(self, t: np.ndarray) -> np.ndarray:
        """The users' volume factor at times ``t``: exactly 1 on day 1."""
        t = np.asarray(t, dtype=np.float64)
        weekday = (np.floor_divide(t, DAY).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        first = (self.origin // DAY + 3) % 7
        weekly = np.asarray(self.weekly, dtype=np.float64)
        days = self.day(t)
        factor = weekly[weekday] / weekly[first] * (1.0 + self.trend) ** (days - 1)
        return np.where(days == 1, 1.0, factor)

    def drifting(self, network: str) -> bool:
        """Whether a network's addresses change over the days."""
        return any(r.network == network for r in (*self.rotations, *self.readdresses))


def day_pools(
    drift: Drift, name: str, index: int, base: np.ndarray, last_day: int, seed: int
) -> list[np.ndarray]:
    """The addresses of network ``name`` on days 1 to ``last_day`` (position ``k`` keeps its popularity).

    Day 1 is ``base``. Each later day starts from the day before, replaces ``per_day`` positions
    with new addresses drawn within the rotation's ranges (seeded by seed, network and day), then
    applies the re-addressings due that day.
    """
    rotation = next((r for r in drift.rotations if r.network == name), None)
    moves = [r for r in drift.readdresses if r.network == name]
    pools = [np.asarray(base, dtype=np.uint32)]
    for day in range(2, last_day + 1):
        pool = pools[-1].copy()
        if rotation is not None and rotation.per_day and len(pool):
            rng = np.random.default_rng([seed, 7919, index, day])
            count = min(rotation.per_day, len(pool))
            positions = rng.choice(len(pool), size=count, replace=False)
            taken = set(int(a) for p in pools for a in p)
            pool[positions] = _fresh(rotation.within, count, taken, rng)
        for move in moves:
            if day == move.day:
                pool[pool == int(move.address)] = int(move.becomes)
        pools.append(pool)
    return pools


def _fresh(within: tuple[ipaddress.IPv4Network, ...], count: int, taken: set[int], rng) -> np.ndarray:
    sizes = np.array([n.num_addresses for n in within], dtype=np.float64)
    out: list[int] = []
    while len(out) < count:
        net = within[int(rng.choice(len(within), p=sizes / sizes.sum()))]
        low, high = (1, net.num_addresses - 1) if net.num_addresses > 2 else (0, net.num_addresses)
        value = int(net.network_address) + int(rng.integers(low, high))
        if value not in taken:
            taken.add(value)
            out.append(value)
    return np.array(out, dtype=np.uint32)


def parse_drift(
    c: Checker,
    value: Any,
    *,
    start: datetime,
    networks: dict[str, Network],
    parse_networks: Any,
) -> Drift:
    """Check a scenario's ``drift`` section (not its ``traffic`` and ``anomalies``: the caller parses them)."""
    d = c.mapping(
        value, "drift", optional=("volume", "rotate", "readdress", "networks", "traffic", "anomalies")
    )
    origin = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
    weekly, trend = (1.0,) * 7, 0.0
    if "volume" in d:
        volume = c.mapping(d["volume"], "drift.volume", optional=("weekly", "trend"))
        items = c.items(volume.get("weekly", [1.0] * 7), "drift.volume.weekly")
        if len(items) != 7:
            raise c.fail("drift.volume.weekly", f"{len(items)} factors", "seven factors, Monday to Sunday")
        weekly = tuple(c.number(v, p, low=0.01, high=100) for p, v in items)
        trend = c.number(volume.get("trend", 0.0), "drift.volume.trend", low=-0.5, high=1.0)
    extra = parse_networks(c, d.get("networks") or {}, "drift.networks")
    for name in extra:
        if name in networks:
            raise c.fail(f"drift.networks.{name}", "the name is already used under networks", "a new name")
    known = {**networks, **extra}
    rotations = []
    for path, item in c.items(d.get("rotate"), "drift.rotate", allow_empty=True):
        r = c.mapping(item, path, required=("network", "per_day"), optional=("within", "note"))
        net = _network(c, r["network"], f"{path}.network", known)
        within = tuple(c.cidr(v, p) for p, v in c.items(r.get("within"), f"{path}.within", allow_empty=True))
        within = within or net.cidrs
        if not within:
            raise c.fail(
                f"{path}.within", "the network has no cidrs to rotate within", "a list of CIDR blocks"
            )
        per_day = int(c.number(r["per_day"], f"{path}.per_day", low=0, high=10_000, integer=True))
        rotations.append(Rotation(net.name, per_day, within, str(r.get("note", ""))))
    readdresses = []
    for path, item in c.items(d.get("readdress"), "drift.readdress", allow_empty=True):
        r = c.mapping(item, path, required=("network", "day", "address", "becomes"), optional=("note",))
        net = _network(c, r["network"], f"{path}.network", known)
        address = c.ipv4(r["address"], f"{path}.address")
        if address not in net.addresses:
            listed = ", ".join(map(str, net.addresses)) or "none (the network is a pool)"
            raise c.fail(f"{path}.address", f"{address} is not an address of network {net.name!r}", listed)
        day = int(c.number(r["day"], f"{path}.day", low=2, high=3660, integer=True))
        becomes = c.ipv4(r["becomes"], f"{path}.becomes")
        readdresses.append(Readdress(net.name, day, address, becomes, str(r.get("note", ""))))
    return Drift(origin, weekly, trend, tuple(rotations), tuple(readdresses), extra)


def _network(c: Checker, name: Any, path: str, known: dict[str, Network]) -> Network:
    if name not in known:
        raise c.fail(path, f"no network {name!r}", ", ".join(known) or "define it under networks")
    return known[name]


def starts_at(c: Checker, item: dict[str, Any], path: str, origin: int) -> float:
    """When a drift traffic entry starts: ``from_day`` (2 or later) at ``at`` (``"HH:MM"``, default 00:00)."""
    day = int(c.number(item.get("from_day"), f"{path}.from_day", low=2, high=3660, integer=True))
    seconds = 0
    if "at" in item:
        window = c.clock(f"{item['at']}-{item['at']}", f"{path}.at")
        seconds = window[0]
    return float(origin + (day - 1) * DAY + seconds)


def change_log(scenario: Any) -> list[dict[str, Any]]:
    """The changes a scenario's drift documents as expected, as an investigator's change log would list them.

    Rotations and re-addressings with a ``note`` and later traffic with a ``description`` (anomalies never:
    nobody announces those). Each entry: ``day`` (from which day; rotations from day 2), ``change``,
    ``destinations`` (CIDRs) and ``why``.
    """
    drift = scenario.drift
    log: list[dict[str, Any]] = []
    for r in drift.rotations:
        if r.note:
            log.append(
                {
                    "day": 2,
                    "change": f"{r.network} rotates its addresses",
                    "destinations": [str(n) for n in r.within],
                    "why": r.note,
                }
            )
    for m in drift.readdresses:
        if m.note:
            log.append(
                {
                    "day": m.day,
                    "change": f"{m.network} moves {m.address} to {m.becomes}",
                    "destinations": [f"{m.becomes}/32"],
                    "why": m.note,
                }
            )
    networks = {**scenario.networks, **drift.networks}
    for p in scenario.patterns:
        if p.starts is None or p.anomaly or not p.note:
            continue
        destinations = sorted(
            {
                f"{a}/32"
                for t in p.targets
                if t.network is not None
                for a in networks[t.network.name].addresses
            }
            | {str(c) for t in p.targets if t.network is not None for c in networks[t.network.name].cidrs}
        )
        day = int(np.floor_divide(p.starts - drift.origin, DAY)) + 1
        log.append(
            {"day": day, "change": f"new traffic: {p.name}", "destinations": destinations, "why": p.note}
        )
    return sorted(log, key=lambda e: e["day"])
