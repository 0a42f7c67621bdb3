"""``flowkit simulate``: write a scenario's flow logs and labels, as AWS would deliver them."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._data import log_format_help
from flowkit.errors import FlowkitError
from flowkit.layout import FILE_KINDS, LAYOUTS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a test environment's flow logs (with ground-truth labels)",
        description=(
            "Simulate the flow logs of a scenario (a described VPC and application) and write them in the "
            "S3 delivery layout (.log.gz text or .log.parquet) or as CloudWatch Logs events, with labels.csv "
            "saying which traffic is expected and which is an injected anomaly."
        ),
    )
    parser.add_argument(
        "--scenario",
        default="workshop",
        help="built-in scenario name (workshop, containers, transit: Transit Gateway flow logs) or YAML file "
        "(default: workshop)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--out",
        help="output directory (required): new, empty, or an earlier simulation's (its files are replaced)",
    )
    parser.add_argument("--days", type=float, default=1.0, help="days to simulate (default: 1)")
    parser.add_argument(
        "--start",
        help="start: ISO date-time (2026-11-02T00:00:00Z) or an offset from the scenario's, e.g. +1d",
    )
    parser.add_argument("--records", type=int, help="about how many records to make (scales the traffic)")
    parser.add_argument(
        "--format",
        dest="file_format",
        choices=FILE_KINDS,
        default="text",
        help="file format (default: text, i.e. .log.gz)",
    )
    parser.add_argument(
        "--log-format",
        help=log_format_help("record format (default: the scenario's)"),
    )
    parser.add_argument(
        "--no-anomalies", action="store_true", help="leave the anomalies out (a clean baseline period)"
    )
    parser.add_argument(
        "--aggregation-interval",
        type=int,
        choices=(60, 600),
        help="override the scenario's 60 or 600 s windows",
    )
    parser.add_argument(
        "--compression",
        default="snappy",
        help="Parquet codec: snappy (default), gzip (AWS's, slower), gzip-1, zstd, zstd-1, none",
    )
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="default",
        help="S3 key layout (DestinationOptions): per-hour folders and/or Hive-compatible names",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder simulate did not create (files of the same names are replaced; "
        "nothing else is deleted)",
    )
    parser.add_argument("--list", action="store_true", help="list the built-in scenarios and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the simulation and print a summary."""
    from flowkit.simulate import list_scenarios, simulate
    from flowkit.simulate.transit import TransitResult

    if args.list:
        print("\n".join(list_scenarios()))
        return 0
    if not args.out:
        raise FlowkitError("--out DIR is required: the directory to write the flow logs and labels.csv into.")
    if args.records is not None and args.records < 1:
        raise FlowkitError(f"--records must be a positive number, not {args.records}.")
    result = simulate(
        args.scenario,
        seed=args.seed,
        days=args.days,
        start=args.start,
        records=args.records,
        out=args.out,
        file_format=args.file_format,
        log_format=args.log_format,
        anomalies=not args.no_anomalies,
        aggregation_interval=args.aggregation_interval,
        keep_flows=False,
        compression=args.compression,
        layout=args.layout,
        progress=sys.stderr.isatty(),
        overwrite=args.overwrite,
    )
    counts = result.counts
    if isinstance(result, TransitResult):
        print(
            f"{result.scenario.name} (seed {result.seed}), {result.start:%Y-%m-%dT%H:%MZ} to "
            f"{result.end:%Y-%m-%dT%H:%MZ}: {result.records} transit gateway records "
            f"({counts.get('ingress', 0)} ingress, {counts.get('egress', 0)} egress, {counts.get('NODATA', 0)} "
            f"NODATA; packets lost: {counts.get('packets_lost_no_route', 0)} no route, "
            f"{counts.get('packets_lost_blackhole', 0)} blackhole, {counts.get('packets_lost_mtu_exceeded', 0)} "
            f"MTU exceeded, {counts.get('packets_lost_ttl_expired', 0)} TTL expired) in {len(result.files)} files"
        )
        print(f"format: {result.log_format}")
        return 0
    print(
        f"{result.scenario.name} (seed {result.seed}), {result.start:%Y-%m-%dT%H:%MZ} to "
        f"{result.end:%Y-%m-%dT%H:%MZ}: {result.records} records "
        f"({counts.get('ACCEPT', 0)} ACCEPT, {counts.get('REJECT', 0)} REJECT, "
        f"{counts.get('NODATA', 0)} NODATA, {counts.get('SKIPDATA', 0)} SKIPDATA) in {len(result.files)} files"
    )
    print(f"format: {result.log_format}")
    print(f"labels: {result.out / 'labels.csv'} ({len(result.labels)} flow keys)")
    return 0
