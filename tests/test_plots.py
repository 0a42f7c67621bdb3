"""Tests for flowkit.plots: each figure renders with Agg and draws what it says."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from decide_fixtures import APP, make_flows

from flowkit import plots
from flowkit.baseline import explain, propose_allowlist

VPC = ["10.0.0.0/16"]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _bar_labels(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def test_every_plot_returns_its_axes_and_accepts_one(later):
    for name, plot in plots.ALL_PLOTS.items():
        fig, ax = plt.subplots()
        assert plot(later, ax=ax) is ax, name
        assert ax.get_title(), name
        fig.canvas.draw()


def test_traffic_over_time_draws_accept_and_reject(later):
    ax = plots.plot_traffic_over_time(later, metric="flows", freq="1h")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"ACCEPT", "REJECT"}
    assert lines["REJECT"].get_ydata().sum() == (later["action"] == "REJECT").sum()
    assert lines["ACCEPT"].get_ydata().sum() == (later["action"] == "ACCEPT").sum()
    assert ax.get_ylabel() == "flow records per 1h" and "UTC" in ax.get_xlabel()
    ax = plots.plot_traffic_over_time(later)
    assert "bytes" in ax.get_title()


def test_top_talkers_cuts_to_top_n_plus_other():
    rows = 2000
    flows = pd.DataFrame(
        {
            "srcaddr": [f"10.0.{i // 250}.{i % 250}" for i in range(rows)],
            "bytes": pd.array(range(rows), dtype="Int64"),
        }
    )
    ax = plots.plot_top_talkers(flows, n=10)
    labels = _bar_labels(ax)
    assert len(ax.patches) == 11 and labels[0] == "other"  # drawn bottom-up: "other" last
    assert labels[-1] == "10.0.7.249"  # the biggest sender on top
    assert ax.get_xlabel() == "bytes sent (log scale)" and "Top 10 talkers" in ax.get_title()
    assert ax.patches[0].get_width() == sum(range(rows - 10))


def test_top_external_destinations_names_aws_services(later):
    ax = plots.plot_top_external_destinations(later, n=5, vpc_cidrs=VPC)
    labels = _bar_labels(ax)
    assert len(ax.patches) == 6
    assert labels[-1] == "45.77.12.34"
    assert any(label.endswith("(S3)") for label in labels)
    assert all(not label.startswith("10.") for label in labels)


def test_ports_and_heatmap(later):
    ax = plots.plot_ports(later, n=5)
    labels = _bar_labels(ax)
    assert len(ax.patches) == 6 and "443/tcp (HTTPS)" in labels and labels[0] == "other"
    assert "22/tcp (SSH)" in labels  # the names investigators use, not IANA's keywords
    ax = plots.plot_hour_port_heatmap(later, n=4)
    image = ax.get_images()[0].get_array()
    assert image.shape == (4, 24)
    assert _bar_labels(ax)[0] == "443/tcp (HTTPS)"
    # a log colour scale: ports other than 443 (a few records an hour) stay visible beside it
    assert type(ax.get_images()[0].norm).__name__ == "LogNorm"
    assert ax.get_xlabel() == "hour of day (UTC)"
    assert image.sum() > 0


def test_rejected_by_source(later):
    ax = plots.plot_rejected_by_source(later, n=5)
    labels = _bar_labels(ax)
    assert len(labels) == 6 and labels[-1] == "192.0.2.200" and labels[0] == "other"
    assert ax.patches[-1].get_width() == 40
    rejected = int((later["action"] == "REJECT").sum())
    assert sum(p.get_width() for p in ax.patches) == rejected


def test_flow_graph_links_enis_to_servers(later):
    ax = plots.plot_flow_graph(later, n=10, vpc_cidrs=VPC)
    texts = {t.get_text() for t in ax.texts}
    assert {f"{APP[1]}\n{APP[0]}", "45.77.12.34", "S3 us-east-1"} <= texts  # address first, AWS service named
    assert any("ENI" in t for t in texts)  # the legend says what a node is
    assert all(t.get_fontsize() >= 9 for t in ax.texts)


def test_allowlist_residual(later):
    allowlist = propose_allowlist(make_flows(seed=1), vpc_cidrs=VPC)
    ax = plots.plot_allowlist_residual(later, allowlist)
    labels = _bar_labels(ax)
    assert labels[-1] == "explained by the allowlist"
    assert len(ax.patches) == 6  # explained + five unexpected patterns
    unexpected = int(explain(later, allowlist)["pattern"].notna().sum())
    assert unexpected == 62
    assert f"{unexpected} of {len(later):,} flow records unexpected" in ax.get_title()
    assert " ".join(ax.get_title().split()).endswith(", 5 patterns")  # wrapped to fit the plot
    # "#k" is the rank in find_unexpected (1 = most urgent), whatever order the bars are drawn in
    ranks = {label.split(" ")[0]: label for label in labels[:-1]}
    assert set(ranks) == {"#1", "#2", "#3", "#4", "#5"}
    assert ranks["#1"].endswith("45.77.12.34:4444") and "port-scan" in ranks["#2"]
    assert ax.get_xscale() == "log"


def test_empty_data_still_draws():
    empty = make_flows(hours=1).iloc[0:0]
    ax = plots.plot_rejected_by_source(empty)
    assert "no data" in [t.get_text() for t in ax.texts]


def test_an_empty_heatmap_says_no_data_without_a_warning():
    import warnings

    empty = make_flows(hours=1).iloc[0:0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.plot_hour_port_heatmap(empty)
    assert "no data" in [t.get_text() for t in ax.texts]


def test_report_command_writes_every_figure(tmp_path, later):
    from flowkit.cli import main

    data = tmp_path / "flows.parquet"
    later.to_parquet(data)
    allowlist = tmp_path / "allowlist.yaml"
    propose_allowlist(make_flows(seed=1), vpc_cidrs=VPC).save(allowlist)
    out = tmp_path / "report"
    assert (
        main(
            [
                "report",
                "--data",
                str(data),
                "--out",
                str(out),
                "--allowlist",
                str(allowlist),
                "--vpc-cidr",
                "10.0.0.0/16",
            ]
        )
        == 0
    )
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert written == sorted(
        [
            "traffic_bytes.png",
            "traffic_flows.png",
            "top_talkers.png",
            "top_external_destinations.png",
            "ports.png",
            "hour_port_heatmap.png",
            "rejected_by_source.png",
            "flow_graph.png",
            "allowlist_residual.png",
        ]
    )
    assert all((out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in written)
    assert main(["report", "--data", str(data), "--out", str(out), "--top", "0"]) == 2


@pytest.mark.parametrize("plot", [plots.plot_traffic_over_time, plots.plot_top_talkers])
def test_a_byte_figure_of_a_format_without_bytes_says_so(later, plot):
    from flowkit.errors import FlowkitError

    without_bytes = later.drop(columns=["bytes"])
    with pytest.raises(FlowkitError, match="plotting bytes needs the flow-log column"):
        plot(without_bytes, metric="bytes")
    assert plot(without_bytes, metric="flows") is not None
