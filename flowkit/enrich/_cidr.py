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


def factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for missing) and the unique values as an object array."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes), np.asarray(uniques, dtype=object)


def take(values: Sequence[object] | np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """Map per-unique results back to rows as a Categorical; code -1 (missing) and ``None`` give <NA>.

    Categoricals keep millions of rows of repeated labels cheap to build and to group by.
    """
    value_codes, categories = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    if len(value_codes) == 0:
        row_codes = np.full(len(codes), -1, dtype=np.int64)
    else:
        row_codes = np.where(codes < 0, -1, value_codes[np.where(codes < 0, 0, codes)])
    return pd.Categorical.from_codes(row_codes, categories=pd.Index(categories, dtype=object))


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
        nets = [
            n if isinstance(n, ipaddress._BaseNetwork) else ipaddress.ip_network(n, strict=False)
            for n in networks
        ]
        self.networks: list[Network] = nets
        idx4 = [i for i, n in enumerate(nets) if n.version == 4]
        idx6 = [i for i, n in enumerate(nets) if n.version == 6]
        self._b4, self._p4 = self._build_v4(nets, idx4)
        self._b6, self._p6 = self._build_v6(nets, idx6)

    def __len__(self) -> int:
        return len(self.networks)

    @staticmethod
    def _build_v4(nets: list[Network], idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
        if not idx:
            return np.zeros(1, dtype=np.uint64), np.full(1, -1, dtype=np.int32)
        starts = np.array([int(nets[i].network_address) for i in idx], dtype=np.uint64)
        ends = starts + np.array([nets[i].num_addresses for i in idx], dtype=np.uint64)
        lens = np.array([nets[i].prefixlen for i in idx])
        bounds = np.unique(np.concatenate([starts, ends, np.zeros(1, dtype=np.uint64)]))
        first = np.searchsorted(bounds, starts)
        last = np.searchsorted(bounds, ends)
        paint = np.full(len(bounds), -1, dtype=np.int32)
        ids = np.asarray(idx, dtype=np.int32)
        for j in np.lexsort((np.arange(len(idx)), lens)):
            paint[first[j] : last[j]] = ids[j]
        return bounds, paint

    @staticmethod
    def _build_v6(nets: list[Network], idx: list[int]) -> tuple[list[int], list[int]]:
        if not idx:
            return [0], [-1]
        starts = [int(nets[i].network_address) for i in idx]
        ends = [s + nets[i].num_addresses for s, i in zip(starts, idx, strict=True)]
        bounds = sorted({0, *starts, *ends})
        paint = [-1] * len(bounds)
        order = sorted(range(len(idx)), key=lambda j: (nets[idx[j]].prefixlen, j))
        for j in order:
            a, b = bisect.bisect_left(bounds, starts[j]), bisect.bisect_left(bounds, ends[j])
            paint[a:b] = [idx[j]] * (b - a)
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
