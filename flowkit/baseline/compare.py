"""What is new in a later period: destinations, ports and talkers never seen in the baseline."""

from __future__ import annotations

import pandas as pd

from flowkit.baseline.conversations import build_conversations
from flowkit.enrich.protocols import protocol_name
from flowkit.frames import with_flowkit_dtypes


def compare_periods(
    baseline: pd.DataFrame, later: pd.DataFrame, *, vpc_cidrs: list[str] | None = None
) -> pd.DataFrame:
    """List what appears in ``later`` but never in ``baseline``: new destinations, ports and talkers.

    Destinations are servers (who was connected to), talkers are clients (who opened connections) and
    ports are server ports with their protocol, so response records do not count as new talkers.

    Returns:
        One row per new item: ``kind`` (``destination``, ``port``, ``talker``), ``value``, ``flows``,
        ``bytes``, ``first_seen``, ``last_seen``, ``example``; most bytes first within each kind.
    """
    before = build_conversations(baseline, vpc_cidrs=vpc_cidrs).table
    after = build_conversations(later, vpc_cidrs=vpc_cidrs).table
    after = after.assign(port=_port_keys(after))
    before = before.assign(port=_port_keys(before))
    frames = []
    for kind, column in (("destination", "server"), ("port", "port"), ("talker", "client")):
        new = after[~after[column].isin(set(before[column]))]
        if new.empty:
            continue
        grouped = new.groupby(column).agg(
            flows=("flows", "sum"),
            bytes=("bytes", "sum"),
            first=("first_start", "min"),
            last=("last_end", "max"),
        )
        top = new.sort_values("bytes", ascending=False).drop_duplicates(column)
        text = top["client"] + " -> " + top["server"] + ":" + top["service_port"].astype(str)
        grouped["example"] = pd.Series(text.to_numpy(), index=top[column].to_numpy()).reindex(grouped.index)
        frames.append(
            grouped.reset_index(names="value").assign(kind=kind).sort_values("bytes", ascending=False)
        )
    columns = ["kind", "value", "flows", "bytes", "first_seen", "last_seen", "example"]
    if not frames:
        return with_flowkit_dtypes(pd.DataFrame(columns=columns))
    out = pd.concat(frames, ignore_index=True)
    out["first_seen"] = pd.to_datetime(out.pop("first"), unit="s", utc=True)
    out["last_seen"] = pd.to_datetime(out.pop("last"), unit="s", utc=True)
    return with_flowkit_dtypes(out[columns])


def _port_keys(table: pd.DataFrame) -> pd.Series:
    """``tcp/443``-style keys; string-typed even for no conversations (an empty period)."""
    names = table["protocol"].map(lambda p: (protocol_name(p) or str(p)).lower()).astype(str)
    return names + "/" + table["service_port"].astype(str)
