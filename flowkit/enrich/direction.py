"""Direction relative to the VPC, and which end of a record is the client."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from flowkit.enrich.addresses import inside_index
from flowkit.enrich.cidr import require_columns, rows_in, take
from flowkit.enrich.ports import service_port_score

DIRECTIONS = ("inbound", "outbound", "internal", "external")


def _ints(flows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in flows:
        return np.full(len(flows), -1, dtype=np.int64)
    return pd.array(flows[column], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)


def src_is_client(srcport: np.ndarray, dstport: np.ndarray, tcp_flags: np.ndarray) -> np.ndarray:
    """Infer, per record, whether the source is the client (1), the server (0) or unknown (-1).

    The end with the more service-like port is the server: a well-known port (<1024) beats a port named
    in the IANA table, which beats an unnamed one, which beats an ephemeral one (>=32768). On a tie,
    TCP flags decide where they can (a lone SYN comes from the client, a lone SYN-ACK from the server),
    then the lower port is taken as the server's. Equal ports (and ICMP, where both are 0) stay unknown.
    """
    src_score = service_port_score(srcport)
    dst_score = service_port_score(dstport)
    result = np.full(len(srcport), -1, dtype=np.int8)
    result[dst_score > src_score] = 1
    result[src_score > dst_score] = 0
    tie = src_score == dst_score
    result[tie & (tcp_flags == 2)] = 1
    result[tie & (tcp_flags == 18)] = 0
    undecided = tie & (result == -1)
    result[undecided & (dstport < srcport)] = 1
    result[undecided & (srcport < dstport)] = 0
    return result


def direction_codes(src_inside: np.ndarray, dst_inside: np.ndarray) -> np.ndarray:
    """Index into :data:`DIRECTIONS` from inside/outside flags of source and destination."""
    return np.select(
        [~src_inside & dst_inside, src_inside & ~dst_inside, src_inside & dst_inside], [0, 1, 2], default=3
    )


def add_direction(flows: pd.DataFrame, *, vpc_cidrs: Sequence[str] | None = None) -> pd.DataFrame:
    """Add direction relative to the VPC and the client/server role of each record.

    New columns (text, except ``service_port``, an ``int32[pyarrow]``):

    - ``direction``: the record's own direction: ``inbound`` (outside to inside), ``outbound``,
      ``internal`` (both inside) or ``external`` (neither, e.g. a NAT gateway's public side);
    - ``src_role``: ``client``, ``server`` or ``unknown``, from ephemeral vs service ports and TCP flags
      (see :func:`src_is_client`);
    - ``connection_direction``: the direction of the *connection*, seen from its client; a response record
      from an outside server to an inside client is ``inbound`` but belongs to an ``outbound`` connection;
    - ``service_port``: the server's port (the destination port when the role is unknown).

    "Inside" means inside ``vpc_cidrs``; without them, inside any private or CGNAT range. Returns a new
    DataFrame.

    Examples:
        >>> frame = pd.DataFrame({"srcaddr": ["52.216.1.1"], "dstaddr": ["10.0.1.5"], "srcport": [443],
        ...                       "dstport": [50432], "protocol": [6], "tcp_flags": [18]})
        >>> out = add_direction(frame, vpc_cidrs=["10.0.0.0/16"])
        >>> out[["direction", "src_role", "connection_direction", "service_port"]].values.tolist()
        [['inbound', 'server', 'outbound', 443]]
    """
    require_columns(flows, ("srcaddr", "dstaddr", "srcport", "dstport"), "add_direction")
    inside = inside_index(vpc_cidrs)
    flags = {column: rows_in(flows[column], inside) for column in ("srcaddr", "dstaddr")}
    srcport, dstport = _ints(flows, "srcport"), _ints(flows, "dstport")
    role = src_is_client(srcport, dstport, _ints(flows, "tcp_flags"))
    record = direction_codes(flags["srcaddr"], flags["dstaddr"])
    client_inside = np.where(role == 0, flags["dstaddr"], flags["srcaddr"])
    server_inside = np.where(role == 0, flags["srcaddr"], flags["dstaddr"])
    connection = direction_codes(client_inside, server_inside)
    out = flows.copy(deep=False)
    out["direction"] = take(list(DIRECTIONS), record)
    out["src_role"] = take(["server", "client", "unknown"], np.where(role < 0, 2, role).astype(np.int64))
    out["connection_direction"] = take(list(DIRECTIONS), connection)
    port = np.where(role == 0, srcport, dstport)
    out["service_port"] = pd.arrays.ArrowExtensionArray(pa.array(port, type=pa.int32(), mask=port < 0))
    return out
