"""Connections: when they start, between which addresses and ports, how long and how big.

Everything is drawn per pattern and per time chunk with NumPy, from a generator seeded by
(seed, pattern, chunk), so a run is reproducible whatever the chunk order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowkit.simulate.drift import Drift, day_pools
from flowkit.simulate.scenario import Endpoint, Network, Pattern, Scenario

EPHEMERAL = (32768, 61000)  # Linux ip_local_port_range (the client side of our instances)
REMOTE_EPHEMERAL = (1024, 65536)  # clients on the internet use all sorts of ranges
MAX_DURATION = 6 * 3600.0


@dataclass
class Connections:
    """One batch of connections of one pattern between one source and one target endpoint."""

    source: Endpoint
    target: Endpoint
    start: np.ndarray  # float seconds since the epoch
    duration: np.ndarray
    client: np.ndarray  # uint32 addresses
    server: np.ndarray
    cport: np.ndarray
    sport: np.ndarray
    natport: np.ndarray
    bytes_out: np.ndarray
    bytes_in: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


class Pools:
    """The addresses of each outside network for one seed, with a long-tailed popularity.

    With a :class:`~flowkit.simulate.drift.Drift`, networks that rotate or move addresses have one
    pool per day (:func:`~flowkit.simulate.drift.day_pools`, up to ``last_day``); the drift's own
    networks are seeded apart from the scenario's, so adding them changes no other address.
    """

    def __init__(self, scenario: Scenario, seed: int, drift: Drift | None = None, last_day: int = 1) -> None:
        self.addresses: dict[str, np.ndarray] = {}
        self.weights: dict[str, np.ndarray] = {}
        self.drift = drift
        self._days: dict[str, list[np.ndarray]] = {}
        networks = list(enumerate(sorted(scenario.networks.items())))
        if drift is not None:
            networks += [(1000 + j, item) for j, item in enumerate(sorted(drift.networks.items()))]
        for i, (name, net) in networks:
            rng = np.random.default_rng([seed, 7919, i])
            addrs = _network_addresses(net, rng)
            ranks = np.arange(1, len(addrs) + 1, dtype=float)
            weights = ranks**-0.9
            self.addresses[name] = addrs
            self.weights[name] = weights / weights.sum()
            if drift is not None and drift.drifting(name) and last_day > 1:
                self._days[name] = day_pools(drift, name, i, addrs, last_day, seed)

    def known(self) -> list[np.ndarray]:
        """Every address the networks can use in the run (all days), one array per network."""
        return [
            np.concatenate(self._days[name]) if name in self._days else self.addresses[name]
            for name in sorted(self.addresses)
        ]

    def draw(
        self, network: Network, n: int, rng: np.random.Generator, times: np.ndarray | None = None
    ) -> np.ndarray:
        addrs = self.addresses[network.name]
        days = self._days.get(network.name)
        if days is None or times is None or self.drift is None:
            if len(addrs) == 1:
                return np.full(n, addrs[0], dtype=np.uint32)
            return rng.choice(addrs, size=n, p=self.weights[network.name])
        # the same draws as above (positions by popularity), then each position's address on its day
        index = (
            rng.choice(len(addrs), size=n, p=self.weights[network.name])
            if len(addrs) > 1
            else np.zeros(n, dtype=np.int64)
        )
        day = np.clip(self.drift.day(times), 1, len(days))
        out = np.empty(n, dtype=np.uint32)
        for d in np.unique(day):
            hit = day == d
            out[hit] = days[int(d) - 1][index[hit]]
        return out


def _network_addresses(net: Network, rng: np.random.Generator) -> np.ndarray:
    fixed = [int(a) for a in net.addresses]
    drawn: list[int] = []
    if net.cidrs and net.pool:
        sizes = np.array([c.num_addresses for c in net.cidrs], dtype=float)
        which = rng.choice(len(net.cidrs), size=net.pool, p=sizes / sizes.sum())
        for k, cidr in enumerate(net.cidrs):
            count = int((which == k).sum())
            base, size = int(cidr.network_address), cidr.num_addresses
            low, high = (1, size - 1) if size > 2 else (0, size)
            drawn.extend(int(base + x) for x in rng.integers(low, high, count))
    seen: dict[int, None] = dict.fromkeys(fixed + drawn)
    return np.array(list(seen), dtype=np.uint32)


def rhythm(pattern: Pattern, t: np.ndarray, drift: Drift | None = None) -> np.ndarray:
    """The relative connection rate at times ``t`` (epoch seconds), 0 to 1 (more with a growing volume)."""
    tod = np.mod(t, 86400.0)
    hour = tod / 3600.0
    if pattern.rhythm == "daily":
        # traffic peaks in the (UTC) afternoon and falls to a sixth of that at night
        factor = 0.16 + 0.84 * np.exp(-0.5 * ((hour - 15.0) / 4.0) ** 2)
    elif pattern.rhythm == "office-hours":
        weekday = ((t // 86400).astype(np.int64) + 3) % 7 < 5  # 1970-01-01 was a Thursday
        factor = np.where(weekday & (hour >= 8) & (hour < 18), 1.0, 0.02)
    else:
        factor = np.ones_like(t)
    if pattern.window is not None:
        lo, hi = pattern.window
        inside = (tod >= lo) & (tod < hi) if lo <= hi else (tod >= lo) | (tod < hi)
        factor = np.where(inside, factor, 0.0)
    if pattern.starts is not None:
        factor = np.where(t >= pattern.starts, factor, 0.0)
    if drift is not None and pattern.seasonal:
        factor = factor * drift.volume(t)
    return factor


def start_times(
    pattern: Pattern,
    n_sources: int,
    t0: int,
    t1: int,
    scale: float,
    rng: np.random.Generator,
    phases: np.ndarray,
    drift: Drift | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Connection start times in ``[t0, t1)`` and the index of the source of each."""
    if pattern.rate is not None:
        minutes = np.arange(t0, t1, 60, dtype=np.float64)
        lam = pattern.rate * scale / 60.0 * rhythm(pattern, minutes + 30.0, drift)
        counts = rng.poisson(lam)
        times = np.repeat(minutes, counts) + rng.random(int(counts.sum())) * 60.0
        return times, rng.integers(0, n_sources, len(times))
    period = float(pattern.every) / scale  # type: ignore[arg-type]
    all_times, all_sources = [], []
    for s in range(n_sources):
        phase = phases[s] * period
        k0 = np.ceil((t0 - phase) / period)
        k1 = np.ceil((t1 - phase) / period)
        ticks = phase + np.arange(k0, k1) * period
        keep = rng.random(len(ticks)) < rhythm(pattern, ticks, drift)  # decided before the jitter
        ticks = ticks + rng.uniform(-0.02, 0.02, len(ticks)) * min(period, 60.0)
        ticks = np.clip(ticks, t0, np.nextafter(t1, t0))
        all_times.append(ticks[keep])
        all_sources.append(np.full(int(keep.sum()), s))
    return np.concatenate(all_times), np.concatenate(all_sources).astype(np.int64)


def connections(
    scenario: Scenario,
    pattern_index: int,
    pools: Pools,
    t0: int,
    t1: int,
    *,
    seed: int,
    scale: float,
) -> list[Connections]:
    """The connections of one pattern that start in ``[t0, t1)``, one batch per endpoint pair."""
    pattern = scenario.patterns[pattern_index]
    rng = np.random.default_rng([seed, pattern_index, t0])
    phases = np.random.default_rng([seed, pattern_index, 104729]).random(len(pattern.sources))
    times, src_i = start_times(pattern, len(pattern.sources), t0, t1, scale, rng, phases, pools.drift)
    n = len(times)
    dst_i = rng.integers(0, len(pattern.targets), n)
    ports = np.asarray(pattern.ports, dtype=np.int32)
    port = ports[rng.integers(0, len(ports), n)] if len(ports) > 1 else np.full(n, ports[0], np.int32)
    spread = pattern.spread
    duration = np.clip(pattern.duration * np.exp(spread * rng.standard_normal(n)), 0.001, MAX_DURATION)
    bytes_out = np.maximum(pattern.bytes_out * np.exp(spread * rng.standard_normal(n)), 20).astype(np.int64)
    bytes_in = np.maximum(pattern.bytes_in * np.exp(spread * rng.standard_normal(n)), 20).astype(np.int64)
    natport = rng.integers(1024, 65536, n).astype(np.int32)
    pair = src_i * len(pattern.targets) + dst_i
    order = np.lexsort((times, pair))
    batches = []
    pairs, first = np.unique(pair[order], return_index=True)
    bounds = [*first.tolist(), n]
    for k, code in enumerate(pairs.tolist()):
        idx = order[bounds[k] : bounds[k + 1]]
        source, target = (
            pattern.sources[code // len(pattern.targets)],
            pattern.targets[code % len(pattern.targets)],
        )
        m = len(idx)
        client_range = EPHEMERAL if source.eni is not None else REMOTE_EPHEMERAL
        batches.append(
            Connections(
                source=source,
                target=target,
                start=times[idx],
                duration=duration[idx],
                client=_addresses(source, m, pools, rng, times[idx]),
                server=_addresses(target, m, pools, rng, times[idx]),
                cport=rng.integers(*client_range, m).astype(np.int32),
                sport=port[idx],
                natport=natport[idx],
                bytes_out=bytes_out[idx],
                bytes_in=bytes_in[idx],
            )
        )
    return batches


def _addresses(
    end: Endpoint, n: int, pools: Pools, rng: np.random.Generator, times: np.ndarray
) -> np.ndarray:
    if end.eni is not None:
        return np.full(n, int(end.eni.address), dtype=np.uint32)
    return pools.draw(end.network, n, rng, times)  # type: ignore[arg-type]
