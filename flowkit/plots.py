"""Figures for flow logs (matplotlib). Each ``plot_*`` takes ``ax=None``, returns its Axes, never shows.

Categories are cut to the top ``n`` with the rest summed as "other", so thousands of addresses or ports
still give a readable chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import EngFormatter

from flowkit.baseline.conversations import build_conversations
from flowkit.baseline.unexpected import AllowlistLike, analyse
from flowkit.enrich.aws_ranges import IpRanges, lookup_aws_service
from flowkit.enrich.cidr import require_columns
from flowkit.enrich.ports import service_name
from flowkit.enrich.protocols import protocol_name
from flowkit.errors import ArgumentError
from flowkit.limits import MAX_CATEGORIES, check_range

Metric = Literal["bytes", "flows", "packets"]
_UNITS = {"bytes": "bytes", "flows": "flow records", "packets": "packets"}
ACCEPT_COLOR, REJECT_COLOR, OTHER_COLOR = "tab:blue", "tab:red", "tab:gray"


def _axes(ax: Axes | None, size: tuple[float, float] = (8, 4.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _values(flows: pd.DataFrame, metric: Metric) -> pd.Series:
    if metric == "flows":
        return pd.Series(1, index=flows.index)
    require_columns(flows, [metric], f"plotting {metric}")
    values = pd.array(flows[metric], dtype="Int64").to_numpy(dtype=np.int64, na_value=0)
    return pd.Series(values, index=flows.index)


def top_n(values: pd.Series, n: int, other: str = "other") -> pd.Series:
    """The ``n`` largest values, plus one ``other`` entry summing the rest (when there is a rest).

    Raises:
        ArgumentError: ``n`` is not a whole number from 1 to :data:`flowkit.limits.MAX_CATEGORIES`.
    """
    _check_n(n)
    values = values.sort_values(ascending=False)
    top = values.iloc[:n]
    if len(values) > n:
        top = pd.concat([top, pd.Series({other: values.iloc[n:].sum()})])
    return top


def _check_n(n: int) -> None:
    """How many categories a chart draws: a whole number up to :data:`~flowkit.limits.MAX_CATEGORIES`."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise ArgumentError(f"n must be a whole number, not {n!r}.")
    check_range(int(n), "n", 1, MAX_CATEGORIES, limit="MAX_CATEGORIES")


def _barh(ax: Axes, values: pd.Series, *, color: Any = ACCEPT_COLOR, xlabel: str, title: str) -> Axes:
    labels = [str(i) for i in values.index]
    colors = [OTHER_COLOR if label == "other" else color for label in labels]
    ax.barh(labels[::-1], values.to_numpy()[::-1], color=colors[::-1])
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.xaxis.set_major_formatter(EngFormatter())
    if values.empty:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    return ax


def plot_traffic_over_time(
    flows: pd.DataFrame, *, metric: Metric = "bytes", freq: str = "1h", ax: Axes | None = None
) -> Axes:
    """Accepted and rejected traffic over time (by record start), one line per action.

    Args:
        flows: flow records with ``start`` (Unix seconds), ``action`` and the metric column.
        metric: ``bytes``, ``flows`` (records) or ``packets``.
        freq: time bucket, a pandas frequency (``"5min"``, ``"1h"``, ``"1D"``).
    """
    ax = _axes(ax)
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(
                pd.array(flows["start"], dtype="Int64").astype("float64"), unit="s", utc=True
            ),
            "action": flows["action"].astype(object).fillna("NODATA"),
            "value": _values(flows, metric).to_numpy(),
        }
    ).dropna(subset=["time"])
    table = frame.groupby([pd.Grouper(key="time", freq=freq), "action"])["value"].sum().unstack(fill_value=0)
    for action, color in (("ACCEPT", ACCEPT_COLOR), ("REJECT", REJECT_COLOR)):
        if action in table:
            ax.plot(table.index, table[action], label=action, color=color, drawstyle="steps-post")
    ax.set_title(f"Traffic over time: {_UNITS[metric]} accepted vs rejected")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(f"{_UNITS[metric]} per {freq}")
    ax.yaxis.set_major_formatter(EngFormatter())
    if len(table.columns):
        ax.legend(title="action")
    ax.figure.autofmt_xdate()
    return ax


def plot_top_talkers(
    flows: pd.DataFrame,
    *,
    n: int = 10,
    metric: Metric = "bytes",
    column: str = "srcaddr",
    ax: Axes | None = None,
) -> Axes:
    """The sources (or any address/ENI ``column``) sending the most, top ``n`` plus "other"."""
    ax = _axes(ax)
    totals = _values(flows, metric).groupby(flows[column].astype(object)).sum()
    return _barh(
        ax,
        top_n(totals, n),
        xlabel=f"{_UNITS[metric]} sent",
        title=f"Top {n} talkers by {_UNITS[metric]} ({column})",
    )


def plot_top_external_destinations(
    flows: pd.DataFrame,
    *,
    n: int = 10,
    metric: Metric = "bytes",
    vpc_cidrs: Sequence[str] | None = None,
    ip_ranges: IpRanges | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Outside servers that inside clients connected to most, labelled with the AWS service if any."""
    ax = _axes(ax)
    table = build_conversations(flows, vpc_cidrs=list(vpc_cidrs) if vpc_cidrs else None).table
    outbound = table[table["direction"] == "outbound"]
    totals = outbound.groupby("server")[metric].sum()
    top = top_n(totals, n)
    services = lookup_aws_service(list(top.index), ip_ranges)["service"]
    top.index = [
        f"{a} ({s})" if isinstance(s, str) else str(a) for a, s in zip(top.index, services, strict=True)
    ]
    return _barh(
        ax,
        top,
        color="tab:orange",
        xlabel=f"{_UNITS[metric]} (both directions)",
        title=f"Top {n} external destinations by {_UNITS[metric]}",
    )


def _port_label(protocol: int, port: int) -> str:
    name = protocol_name(protocol) or str(protocol)
    if protocol not in (6, 17, 132):
        return name
    service = service_name(port, protocol)
    return f"{port}/{name.lower()}" + (f" ({service})" if service else "")


def plot_ports(flows: pd.DataFrame, *, n: int = 15, metric: Metric = "flows", ax: Axes | None = None) -> Axes:
    """Server ports and protocols by traffic (responses counted with their requests), top ``n``."""
    ax = _axes(ax)
    table = build_conversations(flows).table
    totals = table.groupby(["protocol", "service_port"])[metric].sum()
    totals.index = [_port_label(p, s) for p, s in totals.index]
    return _barh(
        ax,
        top_n(totals, n),
        color="tab:green",
        xlabel=_UNITS[metric],
        title=f"Destination ports and protocols (top {n} by {_UNITS[metric]})",
    )


def plot_hour_port_heatmap(
    flows: pd.DataFrame, *, n: int = 12, metric: Metric = "flows", ax: Axes | None = None
) -> Axes:
    """Hour of day (UTC) by server port: when each of the top ``n`` ports is used."""
    _check_n(n)
    ax = _axes(ax, (9, 4.5))
    conv = build_conversations(flows)
    row = conv.row
    ok = row >= 0
    table = conv.table
    labels = np.array(
        [_port_label(p, s) for p, s in zip(table["protocol"], table["service_port"], strict=True)],
        dtype=object,
    )
    hours = (pd.array(flows["start"], dtype="Int64").fillna(0).to_numpy(dtype=np.int64) // 3600) % 24
    frame = pd.DataFrame(
        {
            "port": labels[row[ok]] if len(labels) else [],
            "hour": hours[ok],
            "value": _values(flows, metric).to_numpy()[ok],
        }
    )
    top = frame.groupby("port")["value"].sum().sort_values(ascending=False).index[:n]
    grid = (
        frame[frame["port"].isin(top)]
        .pivot_table(index="port", columns="hour", values="value", aggfunc="sum", fill_value=0)
        .reindex(index=top, columns=range(24), fill_value=0)
    )
    ax.set_xticks(range(0, 24, 2), [str(h) for h in range(0, 24, 2)])
    ax.set_yticks(range(len(grid.index)), list(grid.index))
    ax.set_xlabel("hour of day (UTC)")
    ax.set_ylabel("server port")
    ax.set_title(f"When ports are used: {_UNITS[metric]} by hour (top {n} ports)")
    if grid.empty:  # imshow of zero rows warns about a singular y range
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return ax
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=_UNITS[metric])
    return ax


def plot_rejected_by_source(flows: pd.DataFrame, *, n: int = 10, ax: Axes | None = None) -> Axes:
    """Sources of rejected records (scans and misconfigurations show up here), top ``n`` plus "other"."""
    ax = _axes(ax)
    rejected = flows[(flows["action"] == "REJECT").fillna(False)]
    totals = rejected.groupby(rejected["srcaddr"].astype(object)).size()
    return _barh(
        ax,
        top_n(totals, n),
        color=REJECT_COLOR,
        xlabel="rejected flow records",
        title=f"Rejected traffic by source (top {n})",
    )


def plot_flow_graph(
    flows: pd.DataFrame,
    *,
    n: int = 25,
    metric: Metric = "bytes",
    vpc_cidrs: Sequence[str] | None = None,
    ip_ranges: IpRanges | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A graph of network interfaces (left) to the servers they reach (right), the top ``n`` edges.

    Outside servers in AWS's published ranges are drawn as one node per service and region ("S3
    us-east-1"), so a bucket behind hundreds of addresses is one destination. Edge width grows with the
    metric; interfaces are blue, inside servers green, outside ones orange.
    """
    ax = _axes(ax, (10, 6))
    conv = build_conversations(flows, vpc_cidrs=list(vpc_cidrs) if vpc_cidrs else None)
    ok = conv.row >= 0
    table = conv.table
    services = lookup_aws_service(list(conv.addresses), ip_ranges)
    names = np.where(
        services["service"].notna() & ~conv.inside,
        services["service"].astype(str) + " " + services["region"].astype(str),
        conv.addresses.astype(str),
    )
    server_code = table["server_code"].to_numpy()[conv.row[ok]]
    edges = pd.DataFrame(
        {
            "eni": flows["interface_id"].astype(object).to_numpy()[ok],
            "server": names[server_code],
            "inside": conv.inside[server_code],
            "value": _values(flows, metric).to_numpy()[ok],
        }
    )
    _check_n(n)
    top = edges.groupby(["eni", "server", "inside"])["value"].sum().nlargest(n).reset_index()
    graph = nx.DiGraph()
    for e in top.itertuples(index=False):
        graph.add_node(f"{e.eni}", side=0, kind="eni")
        graph.add_node(f"{e.server}", side=1, kind="inside" if e.inside else "outside")
        graph.add_edge(f"{e.eni}", f"{e.server}", weight=float(e.value))
    enis = [v for v, d in graph.nodes(data=True) if d["side"] == 0]
    pos = nx.bipartite_layout(graph, enis) if enis else {}
    colors = {"eni": "tab:blue", "inside": "tab:green", "outside": "tab:orange"}
    weights = np.array([d["weight"] for *_, d in graph.edges(data=True)]) if graph.number_of_edges() else []
    widths = 0.5 + 4 * np.sqrt(np.asarray(weights) / max(weights)) if len(weights) else []
    nx.draw_networkx_nodes(
        graph, pos, ax=ax, node_size=120, node_color=[colors[d["kind"]] for _, d in graph.nodes(data=True)]
    )
    nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, alpha=0.6, arrows=True, arrowsize=8)
    for node, (x, y) in pos.items():
        left = graph.nodes[node]["side"] == 0
        ax.text(
            x - 0.03 if left else x + 0.03, y, node, fontsize=7, va="center", ha="right" if left else "left"
        )
    ax.margins(x=0.35)
    ax.set_title(f"Interfaces to destinations (top {n} edges by {_UNITS[metric]})")
    ax.set_xlabel("network interface (ENI)  →  server (blue: ENI, green: inside VPC, orange: outside)")
    if not graph.number_of_nodes():
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    return ax


def plot_allowlist_residual(
    flows: pd.DataFrame,
    allowlist: AllowlistLike,
    *,
    n: int = 10,
    metric: Metric = "flows",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """What the allowlist does not explain: explained traffic vs the top ``n`` unexpected patterns.

    The x axis is logarithmic so a few unexpected records stay visible next to millions explained.
    Keyword arguments go to :func:`flowkit.baseline.find_unexpected`.
    """
    ax = _axes(ax)
    result = analyse(flows, allowlist, **kwargs)
    table = result.conv.table
    explained = int(table.loc[(result.matched >= 0) & (result.pattern < 0), metric].sum())
    patterns = result.patterns
    labels = [f"#{p.pattern} {p.kind}: {p.source} → {p.destination}:{p.ports}" for p in patterns.itertuples()]
    unexpected = top_n(pd.Series(patterns[metric].to_numpy(), index=labels, dtype="int64"), n)
    values = pd.concat([pd.Series({"explained by the allowlist": explained}), unexpected])
    total_unexpected = int(patterns[metric].sum())
    share = total_unexpected / max(explained + total_unexpected, 1)
    colors = [ACCEPT_COLOR] + [OTHER_COLOR if i == "other" else REJECT_COLOR for i in unexpected.index]
    ax.barh(list(values.index)[::-1], values.to_numpy()[::-1], color=colors[::-1])
    ax.set_xscale("log")
    ax.set_xlabel(f"{_UNITS[metric]} (log scale)")
    ax.set_title(
        f"Allowlist residual: {total_unexpected:,} of {explained + total_unexpected:,} "
        f"{_UNITS[metric]} unexpected ({share:.1%}), {len(patterns)} patterns"
    )
    return ax


ALL_PLOTS = {
    "traffic_over_time": plot_traffic_over_time,
    "top_talkers": plot_top_talkers,
    "top_external_destinations": plot_top_external_destinations,
    "ports": plot_ports,
    "hour_port_heatmap": plot_hour_port_heatmap,
    "rejected_by_source": plot_rejected_by_source,
    "flow_graph": plot_flow_graph,
}
