"""IP protocol numbers to names, and TCP flags to names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.enrich._tables import protocol_table
from flowkit.enrich.cidr import require_columns, take
from flowkit.errors import FlowkitError

#: TCP flag bits as flow logs report them (OR-ed over the aggregation interval).
TCP_FLAGS: dict[int, str] = {
    1: "FIN",
    2: "SYN",
    4: "RST",
    8: "PSH",
    16: "ACK",
    32: "URG",
    64: "ECE",
    128: "CWR",
}

_ALIASES = {"icmpv6": 58, "ipv6-icmp": 58, "icmp6": 58, "any": -1, "all": -1, "-1": -1}


def protocol_name(number: int) -> str | None:
    """The IANA keyword of an IP protocol number (``6`` -> ``"TCP"``), ``None`` if unassigned.

    Examples:
        >>> protocol_name(17), protocol_name(58), protocol_name(200)
        ('UDP', 'IPv6-ICMP', None)
    """
    return _names()[int(number)] if 0 <= int(number) <= 255 else None


def protocol_number(name: str | int) -> int:
    """The protocol number for a keyword or number; ``-1`` means any protocol.

    Raises:
        FlowkitError: the name is not an IANA keyword.

    Examples:
        >>> protocol_number("tcp"), protocol_number("ICMPv6"), protocol_number("17"), protocol_number("all")
        (6, 58, 17, -1)
    """
    if isinstance(name, bool):
        raise FlowkitError(f"protocol {name!r} is not a protocol name or number")
    if isinstance(name, int) or (isinstance(name, str) and name.strip().isdigit()):
        number = int(name)
        if not 0 <= number <= 255:
            raise FlowkitError(f"protocol number {number} is out of range 0-255")
        return number
    key = str(name).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    table = protocol_table()
    hit = table[table["keyword"].str.lower() == key]
    if hit.empty:
        raise FlowkitError(
            f"unknown protocol {name!r}: use an IANA keyword (tcp, udp, icmp, ...) or a number"
        )
    return int(hit["number"].iloc[0])


def _names() -> list[str | None]:
    names: list[str | None] = [None] * 256
    for number, keyword in protocol_table()[["number", "keyword"]].itertuples(index=False):
        names[int(number)] = None if pd.isna(keyword) else str(keyword)
    return names


def add_protocol_names(
    flows: pd.DataFrame, *, column: str = "protocol", name_column: str = "protocol_name"
) -> pd.DataFrame:
    """Add the IANA protocol keyword (``TCP``, ``UDP``, ``ICMP``, ...) of each record's protocol number.

    Returns a new DataFrame (the input is not modified); the new column is text, <NA> where the
    number is missing or unassigned.

    Examples:
        >>> frame = pd.DataFrame({"protocol": pd.array([6, 17, 1, None], dtype="Int32")})
        >>> add_protocol_names(frame)["protocol_name"].tolist()
        ['TCP', 'UDP', 'ICMP', <NA>]
    """
    require_columns(flows, [column], "add_protocol_names")
    out = flows.copy(deep=False)
    numbers = pd.array(flows[column], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
    codes = np.where((numbers >= 0) & (numbers <= 255), numbers, -1)
    out[name_column] = take(_names(), codes)
    return out


def tcp_flag_names(flags: int | None) -> str | None:
    """Names of the TCP flags set in a flow-log ``tcp-flags`` value, ``"SYN,ACK"`` style.

    Examples:
        >>> tcp_flag_names(18), tcp_flag_names(3), tcp_flag_names(0)
        ('SYN,ACK', 'FIN,SYN', '')
    """
    if flags is None or pd.isna(flags):
        return None
    value = int(flags)
    return ",".join(name for bit, name in TCP_FLAGS.items() if value & bit)


def add_tcp_flag_names(
    flows: pd.DataFrame, *, column: str = "tcp_flags", name_column: str = "tcp_flag_names"
) -> pd.DataFrame:
    """Add the names of the TCP flags in each record (``19`` -> ``"FIN,SYN,ACK"``).

    Flow logs OR the flags of all packets in the aggregation interval, so one record can show a whole
    short connection. Returns a new DataFrame; <NA> where the value is missing.
    """
    require_columns(flows, [column], "add_tcp_flag_names")
    out = flows.copy(deep=False)
    values = pd.array(flows[column], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)
    codes = np.where((values >= 0) & (values <= 255), values, -1)
    out[name_column] = take([tcp_flag_names(v) for v in range(256)], codes)
    return out
