"""Figures for flow logs (matplotlib). Each ``plot_*`` takes ``ax=None``, returns its Axes, never shows.

Categories are cut to the top ``n`` with the rest summed as "other", so thousands of addresses or ports
still give a readable chart. Flow-log volumes span many orders of magnitude (one HTTPS port carries a
million records, a probe on RDP a dozen), so bar charts switch to a logarithmic axis when their values span
more than :data:`LOG_SPAN` and print each value at the end of its bar, the heatmap colours on a log
scale, and titles wrap to stay within their plot.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any, Literal

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import EngFormatter

from flowkit.baseline.conversations import build_conversations, interface_addresses
from flowkit.baseline.unexpected import AllowlistLike, analyse
from flowkit.enrich.aws_ranges import IpRanges, lookup_aws_service
from flowkit.enrich.cidr import require_columns
from flowkit.enrich.ports import port_label
from flowkit.enrich.protocols import protocol_name
from flowkit.errors import ArgumentError
from flowkit.limits import MAX_CATEGORIES, check_range

Metric = Literal["bytes", "flows", "packets"]
_UNITS = {"bytes": "bytes", "flows": "flow records", "packets": "packets"}
ACCEPT_COLOR, REJECT_COLOR, OTHER_COLOR = "tab:blue", "tab:red", "tab:gray"
#: Bar charts use a log axis when their largest value is more than this many times their smallest.
LOG_SPAN = 100
#: A line whose peak is below this share of the plot's highest value is not drawn (it would lie flat on zero).
FLAT_SHARE = 0.01


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


def set_title(ax: Axes, title: str) -> Axes:
    """Set a title wrapped to the width of the axes, so that it never runs past the plot."""
    fig = ax.figure
    width_inches = ax.get_position().width * fig.get_figwidth()
    size = plt.rcParams["axes.titlesize"]
    points = FontProperties(size=size).get_size_in_points()
    characters = max(20, int(width_inches * 72 / (points * 0.55)))
    ax.set_title(textwrap.fill(title, characters))
    return ax


def _log_span(values: np.ndarray) -> bool:
    positive = values[values > 0]
    return len(positive) > 1 and positive.max() > LOG_SPAN * positive.min()


def _barh(ax: Axes, values: pd.Series, *, color: Any = ACCEPT_COLOR, xlabel: str, title: str) -> Axes:
    labels = [str(i) for i in values.index]
    colors = [OTHER_COLOR if label == "other" else color for label in labels]
    numbers = values.to_numpy(dtype=float)
    bars = ax.barh(labels[::-1], numbers[::-1], color=colors[::-1])
    log = _log_span(numbers)
    if log:  # the small bars stay visible next to the large ones
        ax.set_xscale("log")
        ax.set_xlim(left=max(numbers[numbers > 0].min() / 2, 0.5))
    ax.bar_label(
        bars, labels=[EngFormatter(places=1, sep="")(v) for v in numbers[::-1]], padding=3, fontsize=8
    )
    ax.margins(x=0.15)
    ax.set_xlabel(xlabel + (" (log scale)" if log else ""))
    set_title(ax, title)
    if not log:
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
    actions = [a for a in ("ACCEPT", "REJECT") if a in table]
    peak = max((float(table[a].max()) for a in actions), default=0.0)
    hidden = []
    for action, color in (("ACCEPT", ACCEPT_COLOR), ("REJECT", REJECT_COLOR)):
        if action not in table:
            continue
        if peak > 0 and float(table[action].max()) < FLAT_SHARE * peak:
            # drawn it would be a flat line on zero: say how much it is instead
            hidden.append(
                f"{action}: {EngFormatter(sep=' ')(float(table[action].sum()))} {_UNITS[metric]} in all, too few to show"
            )
            continue
        ax.plot(table.index, table[action], label=action, color=color, drawstyle="steps-post")
    set_title(ax, f"Traffic over time: {_UNITS[metric]} accepted and rejected")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(f"{_UNITS[metric]} per {freq}")
    ax.yaxis.set_major_formatter(EngFormatter())
    if ax.get_lines():
        ax.legend(title="action" + "".join(f"\n({text})" for text in hidden))
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
    if protocol not in (6, 17, 132):
        return protocol_name(protocol) or str(protocol)
    return port_label(port, protocol)


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
    set_title(ax, f"When ports are used: {_UNITS[metric]} by hour (top {n} ports, log colour scale)")
    values = grid.to_numpy(dtype=float)
    if grid.empty or not (values > 0).any():  # imshow of zero rows warns about a singular y range
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return ax
    # a log scale: a port used a dozen times an hour shows next to one used a hundred thousand times;
    # hours without any use stay blank
    masked = np.ma.masked_less_equal(values, 0)
    norm = LogNorm(vmin=1, vmax=max(float(values.max()), 10.0))
    image = ax.imshow(masked, aspect="auto", cmap="viridis", interpolation="nearest", norm=norm)
    ax.figure.colorbar(image, ax=ax, label=f"{_UNITS[metric]} (log scale)")
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

    An edge is drawn when an interface logged a connection to a server other than itself: the client's
    interface, or one that forwards it (a NAT gateway, a load balancer); the server's own interface, which
    receives the connection, is not an edge to its own address. Outside servers in AWS's published ranges
    are drawn as one node per service and region ("S3 us-east-1"), so a bucket behind hundreds of addresses
    is one destination. Interfaces are labelled with their address and ENI ID. Edge width grows with the
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
            "address": conv.addresses[server_code],
            "server": names[server_code],
            "inside": conv.inside[server_code],
            "value": _values(flows, metric).to_numpy()[ok],
        }
    )
    _check_n(n)
    inventory = interface_addresses(flows)
    own = pd.MultiIndex.from_arrays(
        [inventory["interface_id"].astype(object), inventory["address"].astype(object)]
    )
    edges = edges[~pd.MultiIndex.from_frame(edges[["eni", "address"]]).isin(own)]
    top = edges.groupby(["eni", "server", "inside"])["value"].sum().nlargest(n).reset_index()
    addresses = inventory.groupby("interface_id")["address"].agg(lambda a: ", ".join(sorted(map(str, a))))
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
        graph, pos, ax=ax, node_size=140, node_color=[colors[d["kind"]] for _, d in graph.nodes(data=True)]
    )
    nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, alpha=0.6, arrows=True, arrowsize=8)
    for node, (x, y) in pos.items():
        left = graph.nodes[node]["side"] == 0
        label = f"{addresses.get(node, '?')}\n{node}" if left else node
        ax.text(
            x - 0.05 if left else x + 0.05, y, label, fontsize=9, va="center", ha="right" if left else "left"
        )
    ax.margins(x=0.45)
    ax.set_axis_off()
    set_title(ax, f"Interfaces to the servers they reach (top {n} edges by {_UNITS[metric]})")
    ax.text(
        0.5,
        -0.02,
        "network interface (address, ENI)  →  server · blue: interface, green: inside the VPC, orange: outside",
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=9,
    )
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
    """What the allowlist does not explain: explained traffic vs the first ``n`` unexpected patterns.

    The patterns are in :func:`flowkit.baseline.find_unexpected`'s order (most urgent first), each labelled
    ``#k``: its rank there, from 1. The x axis is logarithmic so a few unexpected records stay visible next
    to millions explained. Keyword arguments go to :func:`flowkit.baseline.find_unexpected`.
    """
    ax = _axes(ax)
    result = analyse(flows, allowlist, **kwargs)
    table = result.conv.table
    explained = int(table.loc[(result.matched >= 0) & (result.pattern < 0), metric].sum())
    patterns = result.patterns
    labels = [
        f"#{p.pattern + 1} {p.kind}: {p.source} → {p.destination}:{p.ports}" for p in patterns.itertuples()
    ]
    ranked = pd.Series(patterns[metric].to_numpy(), index=labels, dtype="int64")
    unexpected = ranked.iloc[:n]
    if len(ranked) > n:
        unexpected = pd.concat([unexpected, pd.Series({"other": int(ranked.iloc[n:].sum())})])
    values = pd.concat([pd.Series({"explained by the allowlist": explained}), unexpected])
    total_unexpected = int(patterns[metric].sum())
    share = total_unexpected / max(explained + total_unexpected, 1)
    colors = [ACCEPT_COLOR] + [OTHER_COLOR if i == "other" else REJECT_COLOR for i in unexpected.index]
    bars = ax.barh(list(values.index)[::-1], values.to_numpy()[::-1], color=colors[::-1])
    ax.bar_label(
        bars,
        labels=[EngFormatter(places=1, sep="")(v) for v in values.to_numpy()[::-1]],
        padding=3,
        fontsize=8,
    )
    ax.set_xscale("log")
    ax.margins(x=0.15)
    ax.set_xlabel(f"{_UNITS[metric]} (log scale); #k: rank in find_unexpected, most urgent first")
    set_title(
        ax,
        f"Allowlist residual: {total_unexpected:,} of {explained + total_unexpected:,} "
        f"{_UNITS[metric]} unexpected ({share:.1%}), {len(patterns)} patterns",
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
