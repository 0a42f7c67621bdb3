"""``flowkit report``: write the standard figures for a dataset as PNG files."""

from __future__ import annotations

import argparse
import os
import sys

from flowkit.cli._data import add_data_arguments, read_data
from flowkit.errors import FlowkitError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="write the standard figures (traffic over time, talkers, ports, ...) as PNG files",
        description="Read flow logs and write one PNG per figure into --out. With --allowlist, also the "
        "allowlist residual (what the allowlist does not explain).",
    )
    add_data_arguments(parser)
    parser.add_argument("--out", required=True, help="directory for the PNG files (created if missing)")
    parser.add_argument("--allowlist", help="allowlist YAML: adds the residual figure")
    parser.add_argument("--vpc-cidr", action="append", default=None, help="a VPC CIDR (repeatable)")
    parser.add_argument("--top", type=int, default=10, help="categories per bar chart (default: 10)")
    parser.add_argument("--dpi", type=int, default=120, help="resolution of the PNG files (default: 120)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the figures; prints one line per file written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from flowkit import plots

    if args.top < 1:
        raise FlowkitError(f"--top must be at least 1, got {args.top}")
    if args.dpi < 1:
        raise FlowkitError(f"--dpi must be at least 1, got {args.dpi}")
    flows = read_data(args)
    if flows.empty:
        raise FlowkitError(f"{', '.join(args.data or ['the bundled sample'])}: no flow records to plot")
    os.makedirs(args.out, exist_ok=True)
    cidrs = args.vpc_cidr
    figures = {
        "traffic_bytes": lambda: plots.plot_traffic_over_time(flows, metric="bytes"),
        "traffic_flows": lambda: plots.plot_traffic_over_time(flows, metric="flows"),
        "top_talkers": lambda: plots.plot_top_talkers(flows, n=args.top),
        "top_external_destinations": lambda: plots.plot_top_external_destinations(
            flows, n=args.top, vpc_cidrs=cidrs
        ),
        "ports": lambda: plots.plot_ports(flows, n=args.top),
        "hour_port_heatmap": lambda: plots.plot_hour_port_heatmap(flows, n=args.top),
        "rejected_by_source": lambda: plots.plot_rejected_by_source(flows, n=args.top),
        "flow_graph": lambda: plots.plot_flow_graph(flows, vpc_cidrs=cidrs),
    }
    if args.allowlist:
        figures["allowlist_residual"] = lambda: plots.plot_allowlist_residual(
            flows, args.allowlist, n=args.top
        )
    for name, draw in figures.items():
        ax = draw()
        path = os.path.join(args.out, f"{name}.png")
        ax.figure.savefig(path, dpi=args.dpi, bbox_inches="tight")
        plt.close(ax.figure)
        print(path, file=sys.stdout)
    return 0
