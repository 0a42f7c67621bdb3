"""Vectorised IP address parsing and most-specific-prefix lookup.

Addresses are parsed once per *unique* value (flow logs repeat the same few thousand addresses millions
of times), IPv4 to ``uint64`` and IPv6 to Python integers. A :class:`PrefixIndex` flattens any set of
(possibly overlapping) prefixes into sorted, non-overlapping intervals, each labelled with the most
specific prefix that covers it, so a lookup is one ``np.searchsorted`` over all IPv4 addresses.
"""

from __future__ import annotations

import bisect
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from flowkit.frames import from_arrow

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ParsedAddresses:
    """Addresses parsed to integers.

    Attributes:
        version: 4, 6, or 0 for a missing or unparseable value.
        v4: the IPv4 value (0 where not IPv4), ``uint64``.
        v6: the IPv6 value as a Python int (``None`` where not IPv6), object array.
    """

    version: np.ndarray
    v4: np.ndarray
    v6: np.ndarray

    def __len__(self) -> int:
        return len(self.version)


def parse_addresses(values: Iterable[object]) -> ParsedAddresses:
    """Parse address strings (IPv4 or IPv6; anything else counts as version 0)."""
    items = list(values)
    n = len(items)
    version = np.zeros(n, dtype=np.int8)
    v4 = np.zeros(n, dtype=np.uint64)
    v6 = np.full(n, None, dtype=object)
    pton = socket.inet_pton
    af4, af6 = socket.AF_INET, socket.AF_INET6
    from_bytes = int.from_bytes
    for i, text in enumerate(items):
        if not isinstance(text, str):
            continue
        try:
            if ":" in text:
                v6[i] = from_bytes(pton(af6, text), "big")
                version[i] = 6
            else:
                v4[i] = from_bytes(pton(af4, text), "big")
                version[i] = 4
        except (OSError, ValueError):
            continue
    return ParsedAddresses(version, v4, v6)


def parse_network(text: str) -> tuple[int, int, int]:
    """``(version, network address as int, prefix length)`` of a CIDR string, strictly.

    Raises:
        ValueError: not an address, a bad prefix length, or host bits set.

    Examples:
        >>> parse_network("10.1.0.0/16")
        (4, 167837696, 16)
    """
    address, slash, length = text.strip().partition("/")
    version, bits, family = (6, 128, socket.AF_INET6) if ":" in address else (4, 32, socket.AF_INET)
    try:
        value = int.from_bytes(socket.inet_pton(family, address), "big")
    except OSError:
        raise ValueError(f"{address!r} is not an IPv{version} address") from None
    if slash and not length.isdigit():
        raise ValueError(f"prefix length {length!r} is not a number")
    prefixlen = int(length) if slash else bits
    if prefixlen > bits:
        raise ValueError(f"prefix length {prefixlen} is longer than {bits}")
    if value & ((1 << (bits - prefixlen)) - 1):
        raise ValueError(f"{text!r} has host bits set")
    return version, value, prefixlen


def factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and the unique values as an object array."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes), np.asarray(uniques, dtype=object)


def take(values: Sequence[str | None] | np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Map per-unique labels back to rows as text (:data:`flowkit.frames.TEXT`); code -1 (missing)
    and ``None`` give <NA>. Arrow's ``take`` builds millions of rows of repeated labels in C++.

    Examples:
        >>> take(["tcp", "udp", None], np.array([0, 1, -1, 2, 0])).tolist()
        ['tcp', 'udp', <NA>, <NA>, 'tcp']
    """
    labels = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    codes = np.asarray(codes)
    indices = pa.array(codes.astype(np.int64, copy=False), mask=codes < 0)
    return from_arrow(pa.table({"label": labels.take(indices)}))["label"].array


class PrefixIndex:
    """Find, for each address, the most specific of a set of prefixes that contains it.

    Args:
        networks: CIDR strings or ``ipaddress`` networks, IPv4 and IPv6 mixed. Overlaps are allowed:
            the longest prefix wins, and among identical prefixes the one given *last* wins.

    Examples:
        >>> index = PrefixIndex(["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32"])
        >>> index.lookup(["10.1.2.3", "10.9.9.9", "8.8.8.8", "2001:db8::1", None]).tolist()
        [1, 0, -1, 2, -1]
    """

    def __init__(self, networks: Sequence[str | Network]) -> None:
        self.networks = list(networks)
        parsed = [
            parse_network(n) if isinstance(n, str) else (n.version, int(n.network_address), n.prefixlen)
            for n in self.networks
        ]
        self._b4, self._p4 = self._build_v4([(i, p) for i, p in enumerate(parsed) if p[0] == 4])
        self._b6, self._p6 = self._build_v6([(i, p) for i, p in enumerate(parsed) if p[0] == 6])

    def __len__(self) -> int:
        return len(self.networks)

    @staticmethod
    def _build_v4(items: list[tuple[int, tuple[int, int, int]]]) -> tuple[np.ndarray, np.ndarray]:
        if not items:
            return np.zeros(1, dtype=np.uint64), np.full(1, -1, dtype=np.int32)
        starts = np.array([p[1] for _, p in items], dtype=np.uint64)
        lens = np.array([p[2] for _, p in items])
        ends = starts + (np.uint64(1) << (32 - lens).astype(np.uint64))
        bounds = np.unique(np.concatenate([starts, ends, np.zeros(1, dtype=np.uint64)]))
        first = np.searchsorted(bounds, starts)
        last = np.searchsorted(bounds, ends)
        paint = np.full(len(bounds), -1, dtype=np.int32)
        ids = np.array([i for i, _ in items], dtype=np.int32)
        for j in np.lexsort((np.arange(len(items)), lens)):
            paint[first[j] : last[j]] = ids[j]
        return bounds, paint

    @staticmethod
    def _build_v6(items: list[tuple[int, tuple[int, int, int]]]) -> tuple[list[int], list[int]]:
        if not items:
            return [0], [-1]
        starts = [p[1] for _, p in items]
        ends = [p[1] + (1 << (128 - p[2])) for _, p in items]
        bounds = sorted({0, *starts, *ends})
        paint = [-1] * len(bounds)
        for j in sorted(range(len(items)), key=lambda j: (items[j][1][2], j)):
            a, b = bisect.bisect_left(bounds, starts[j]), bisect.bisect_left(bounds, ends[j])
            paint[a:b] = [items[j][0]] * (b - a)
        return bounds, paint

    def lookup_parsed(self, parsed: ParsedAddresses) -> np.ndarray:
        """Index (into ``networks``) of the most specific prefix per address, -1 for none."""
        out = np.full(len(parsed), -1, dtype=np.int32)
        m4 = parsed.version == 4
        if m4.any():
            pos = np.searchsorted(self._b4, parsed.v4[m4], side="right") - 1
            out[m4] = self._p4[pos]
        m6 = np.flatnonzero(parsed.version == 6)
        if len(m6) and len(self._b6) > 1:
            b6, p6 = self._b6, self._p6
            out[m6] = [p6[bisect.bisect_right(b6, parsed.v6[i]) - 1] for i in m6]
        return out

    def lookup(self, addresses: Iterable[object]) -> np.ndarray:
        """Parse ``addresses`` and look them up (see :meth:`lookup_parsed`)."""
        return self.lookup_parsed(parse_addresses(addresses))

    def contains(self, addresses: Iterable[object]) -> np.ndarray:
        """Whether each address is inside any of the prefixes."""
        return self.lookup(addresses) >= 0


def rows_in(series: pd.Series, index: PrefixIndex) -> np.ndarray:
    """Whether each row's address is inside ``index`` (computed once per unique address)."""
    codes, uniques = factorize(series)
    if not len(uniques):
        return np.zeros(len(series), dtype=bool)
    hit = index.contains(uniques)
    return np.where(codes < 0, False, hit[np.maximum(codes, 0)])


def require_columns(flows: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a clear error when ``flows`` lacks columns a function needs."""
    missing = [c for c in columns if c not in flows.columns]
    if missing:
        from flowkit.errors import FlowkitError

        raise FlowkitError(
            f"{what} needs the flow-log column(s) {', '.join(missing)}, which the data does not have "
            f"(it has: {', '.join(map(str, flows.columns[:20]))}); read the logs with flowkit.read_flow_logs"
        )
