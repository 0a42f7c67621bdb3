"""A first look at a flow-log dataset: what it covers, in a few numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from flowkit.frames import with_flowkit_dtypes


def summarize(flows: pd.DataFrame) -> pd.DataFrame:
    """Summarise flow records: span, interfaces, actions, bytes, statuses and top destination ports.

    Args:
        flows: records as :func:`flowkit.read_flow_logs` returns them (only the columns present are used).

    Returns:
        A two-column frame (``metric``, ``value``), one row per figure, values as text.

    Examples:
        >>> df = pd.DataFrame({"start": [0, 60], "end": [60, 120], "action": ["ACCEPT", "REJECT"]})
        >>> summarize(df).set_index("metric").loc["records", "value"]
        '2'
    """
    rows: list[tuple[str, object]] = [("records", len(flows))]
    if "start" in flows and flows["start"].notna().any():
        first, last = (
            int(flows["start"].min()),
            int(flows["end"].max() if "end" in flows else flows["start"].max()),
        )
        rows.append(("first record (UTC)", _iso(first)))
        rows.append(("last record (UTC)", _iso(last)))
    for column, label in (
        ("interface_id", "network interfaces"),
        ("srcaddr", "source addresses"),
        ("dstaddr", "destination addresses"),
    ):
        if column in flows:
            rows.append((label, flows[column].nunique()))
    if "action" in flows:
        counts = flows["action"].value_counts()
        rows += [(f"{action} records", int(counts.get(action, 0))) for action in ("ACCEPT", "REJECT")]
    if "log_status" in flows:
        counts = flows["log_status"].value_counts()
        rows += [(f"{status} records", int(counts.get(status, 0))) for status in ("NODATA", "SKIPDATA")]
    if "bytes" in flows:
        rows.append(("bytes", f"{int(flows['bytes'].sum()):,}"))
    if "dstport" in flows:
        top = flows["dstport"].value_counts().head(5)
        rows.append(("top destination ports", ", ".join(f"{port} ({n})" for port, n in top.items())))
    return with_flowkit_dtypes(pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": str}))


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
