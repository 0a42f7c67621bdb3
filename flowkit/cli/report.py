"""``flowkit report``: write the standard figures for a dataset as PNG files."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._aws import (
    ANALYSIS_COLUMNS,
    add_records_arguments,
    read_athena_records,
    records_on_aws,
    within,
)
from flowkit.cli._data import add_data_arguments, read_data
from flowkit.errors import FlowkitError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report",
        help="write the standard figures (traffic over time, talkers, ports, ...) as PNG files",
        description="Read flow logs and write one PNG per figure into --out. With --allowlist, also the "
        "allowlist residual (what the allowlist does not explain). The figures appear together when all "
        "are drawn; a PNG of the same name that report did not write is not replaced without --overwrite. "
        "With --athena DB[.TABLE], the records of --start..--end (default: the last day) are read from Athena "
        "in one time-bounded query.",
    )
    add_data_arguments(parser)
    add_records_arguments(parser)
    parser.add_argument("--out", required=True, help="directory for the PNG files (created if missing)")
    parser.add_argument("--allowlist", help="allowlist YAML: adds the residual figure")
    parser.add_argument("--vpc-cidr", action="append", default=None, help="a VPC CIDR (repeatable)")
    parser.add_argument(
        "--top", type=int, default=10, help="categories per bar chart (default: 10, at most 500)"
    )
    parser.add_argument(
        "--dpi", type=int, default=120, help="resolution of the PNG files (default: 120, at most 600)"
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace PNG files of the same names that report did not write",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the figures (all of them, or none); prints one line per file written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from flowkit import plots
    from flowkit.limits import MAX_CATEGORIES, MAX_DPI, check_figure, check_range
    from flowkit.outputs import OutputFolder

    check_range(args.top, "--top", 1, MAX_CATEGORIES, limit="MAX_CATEGORIES")
    check_range(args.dpi, "--dpi", 1, MAX_DPI, limit="MAX_DPI")
    aws = records_on_aws(args)
    if aws and args.show_sql:  # print the records query, before any file is claimed or written
        read_athena_records(args, ANALYSIS_COLUMNS)
        return 0
    names = [*FIGURES, *(["allowlist_residual"] if args.allowlist else [])]
    inputs = [*(args.data or []), args.allowlist]
    with OutputFolder(args.out, "report", inputs=inputs, overwrite=args.overwrite) as folder:
        folder.claim(f"{name}.png" for name in names)  # before the work: refuse files report did not write
        flows = read_athena_records(args, ANALYSIS_COLUMNS) if aws else within(read_data(args), args)
        if flows.empty:
            where = (
                f"--athena {args.athena}, {args.start or 'a day ago'} to {args.end or 'now'}" if aws else None
            )
            raise FlowkitError(
                f"{where or ', '.join(args.data or ['the bundled sample'])}: no flow records to plot"
            )
        cidrs, n = args.vpc_cidr, args.top
        figures = {
            "traffic_bytes": lambda: plots.plot_traffic_over_time(flows, metric="bytes"),
            "traffic_flows": lambda: plots.plot_traffic_over_time(flows, metric="flows"),
            "top_talkers": lambda: plots.plot_top_talkers(flows, n=n),
            "top_external_destinations": lambda: plots.plot_top_external_destinations(
                flows, n=n, vpc_cidrs=cidrs
            ),
            "ports": lambda: plots.plot_ports(flows, n=n),
            "hour_port_heatmap": lambda: plots.plot_hour_port_heatmap(flows, n=n),
            "rejected_by_source": lambda: plots.plot_rejected_by_source(flows, n=n),
            "flow_graph": lambda: plots.plot_flow_graph(flows, vpc_cidrs=cidrs),
            "allowlist_residual": lambda: plots.plot_allowlist_residual(flows, args.allowlist, n=n),
        }
        for name in names:
            figure = figures[name]().figure
            try:
                check_figure(figure, args.dpi, name=f"{name}.png")
                figure.savefig(folder.stage(f"{name}.png"), format="png", dpi=args.dpi, bbox_inches="tight")
            finally:
                plt.close(figure)
        written = folder.commit(replace_all=True)
    for path in written:
        print(path, file=sys.stdout)
    return 0


#: The standard figures, in the order they are written (``allowlist_residual`` comes with --allowlist).
FIGURES = (
    "traffic_bytes",
    "traffic_flows",
    "top_talkers",
    "top_external_destinations",
    "ports",
    "hour_port_heatmap",
    "rejected_by_source",
    "flow_graph",
)
