"""Port numbers to IANA service names, and which ports look like services."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from flowkit.enrich._tables import service_table
from flowkit.enrich.cidr import require_columns, take

_PROTOCOLS = {"tcp": 6, "udp": 17, "sctp": 132}

#: The default ephemeral port ranges of Linux (32768-60999) and Windows / NAT gateways (49152-65535)
#: overlap from 32768 up; ports from there on are treated as client-side unless the table names them.
EPHEMERAL_START = 32768


@functools.cache
def _lookup() -> tuple[np.ndarray, list[str]]:
    """A dense (3, 65536) array of name codes for tcp/udp/sctp, and the names."""
    table = service_table()
    names = sorted(set(table["service"].astype(str)))
    code = {n: i for i, n in enumerate(names)}
    dense = np.full((3, 65536), -1, dtype=np.int32)
    for port, proto, service in table[["port", "protocol", "service"]].itertuples(index=False):
        row = list(_PROTOCOLS).index(str(proto))
        dense[row, int(port)] = code[str(service)]
    return dense, names


def service_name(port: int, protocol: int | str = 6) -> str | None:
    """The IANA service name for a port and protocol, from the shipped table of common services.

    Examples:
        >>> service_name(443), service_name(53, "udp"), service_name(51234)
        ('https', 'domain', None)
    """
    proto = _PROTOCOLS.get(str(protocol).lower(), protocol)
    dense, names = _lookup()
    rows = list(_PROTOCOLS.values())
    if proto not in rows or not 0 <= int(port) <= 65535:
        return None
    code = dense[rows.index(int(proto)), int(port)]
    return names[code] if code >= 0 else None


#: What a port usually means to an investigator, where the IANA name says something else or nothing readable
#: (3333 is registered as ``dec-notes`` but is what crypto-mining pools listen on; 3389 is ``ms-wbt-server``,
#: which everyone calls RDP). Common uses, not certainties: a label, not a verdict.
COMMON_NAMES = {
    (20, 6): "FTP data",
    (21, 6): "FTP",
    (22, 6): "SSH",
    (23, 6): "Telnet",
    (25, 6): "SMTP",
    (53, 6): "DNS",
    (53, 17): "DNS",
    (80, 6): "HTTP",
    (123, 17): "NTP",
    (135, 6): "MS RPC",
    (139, 6): "NetBIOS",
    (443, 6): "HTTPS",
    (445, 6): "SMB",
    (1433, 6): "MS SQL",
    (1521, 6): "Oracle",
    (2375, 6): "Docker API",
    (2376, 6): "Docker API (TLS)",
    (3306, 6): "MySQL",
    (3333, 6): "mining pool",
    (3389, 6): "RDP",
    (4444, 6): "Metasploit default",
    (5432, 6): "PostgreSQL",
    (5900, 6): "VNC",
    (5985, 6): "WinRM",
    (5986, 6): "WinRM (TLS)",
    (6379, 6): "Redis",
    (6667, 6): "IRC",
    (8080, 6): "HTTP alt",
    (8081, 6): "HTTP alt",
    (8443, 6): "HTTPS alt",
    (9200, 6): "Elasticsearch",
    (11211, 6): "memcached",
    (11211, 17): "memcached",
    (14444, 6): "mining pool",
    (27017, 6): "MongoDB",
}


def port_label(port: int, protocol: int | str = 6) -> str:
    """A port as an investigator reads it: ``443/tcp (HTTPS)``, ``3333/tcp (mining pool)``.

    The common name (:data:`COMMON_NAMES`) wins over the IANA service name, which is used otherwise.

    Examples:
        >>> port_label(3389), port_label(3333), port_label(123, "udp"), port_label(7), port_label(51234)
        ('3389/tcp (RDP)', '3333/tcp (mining pool)', '123/udp (NTP)', '7/tcp (echo)', '51234/tcp')
    """
    proto = _PROTOCOLS.get(str(protocol).lower(), protocol)
    name = {6: "tcp", 17: "udp", 132: "sctp"}.get(int(proto), str(proto))
    label = COMMON_NAMES.get((int(port), int(proto))) or service_name(port, proto)
    return f"{int(port)}/{name}" + (f" ({label})" if label else "")


def service_port_score(ports: np.ndarray) -> np.ndarray:
    """How service-like each port is: 2 well-known (<1024), 1 named in the table, 0 other, -1 ephemeral."""
    ports = np.asarray(ports, dtype=np.int64)
    dense, _ = _lookup()
    known = (dense >= 0).any(axis=0)
    in_range = (ports >= 0) & (ports <= 65535)
    named = np.zeros(len(ports), dtype=bool)
    named[in_range] = known[ports[in_range]]
    return np.select(
        [(ports >= 0) & (ports < 1024), named, ports >= EPHEMERAL_START], [2, 1, -1], default=0
    ).astype(np.int8)


def service_codes(ports: np.ndarray, protocols: np.ndarray) -> np.ndarray:
    """Vectorised name codes (index into the sorted names, -1 none) for port/protocol arrays."""
    dense, _ = _lookup()
    ports = np.asarray(ports, dtype=np.int64)
    protocols = np.asarray(protocols, dtype=np.int64)
    row = np.select([protocols == 6, protocols == 17, protocols == 132], [0, 1, 2], default=-1)
    ok = (row >= 0) & (ports >= 0) & (ports <= 65535)
    out = np.full(len(ports), -1, dtype=np.int32)
    out[ok] = dense[row[ok], ports[ok]]
    return out


def add_service_names(
    flows: pd.DataFrame,
    *,
    columns: tuple[str, ...] = ("srcport", "dstport"),
    protocol_column: str = "protocol",
) -> pd.DataFrame:
    """Add ``<column>_service``: the IANA service name of each port (``443/tcp`` -> ``https``).

    Uses the shipped table of common services (``flowkit/data/service-names.csv``). Returns a new
    DataFrame; the new columns are text, <NA> where the port has no name (e.g. ephemeral ports).

    Examples:
        >>> frame = pd.DataFrame({"srcport": [51000, 443], "dstport": [443, 51000], "protocol": [6, 6]})
        >>> add_service_names(frame)[["srcport_service", "dstport_service"]].values.tolist()
        [[<NA>, 'https'], ['https', <NA>]]
    """
    _, names = _lookup()
    require_columns(flows, [*columns, protocol_column], "add_service_names")
    out = flows.copy(deep=False)
    protocols = pd.array(flows[protocol_column], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
    for column in columns:
        ports = pd.array(flows[column], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
        out[f"{column}_service"] = take(names, service_codes(ports, protocols))
    return out
