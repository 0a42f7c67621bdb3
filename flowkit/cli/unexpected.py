"""``flowkit unexpected``: traffic the allowlist does not explain, ranked."""

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
from flowkit.cli._output import add_output_argument, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``unexpected`` subcommand."""
    parser = subparsers.add_parser(
        "unexpected",
        help="list traffic that no allowlist rule explains, most worth a look first",
        description="Match flow logs against an allowlist (YAML) and print what is left, grouped into "
        "patterns (port scans, sweeps, single conversations) and ranked. With --athena DB[.TABLE], the records "
        "of --start..--end (default: the last day) are read from Athena in one time-bounded query.",
    )
    add_data_arguments(parser)
    add_records_arguments(parser)
    parser.add_argument("--allowlist", required=True, help="the allowlist YAML file")
    parser.add_argument(
        "--propose-from",
        metavar="BASELINE",
        help="first learn an allowlist from these baseline flow logs and write it to --allowlist (which must "
        "not exist yet); review it before relying on it",
    )
    parser.add_argument(
        "--vpc-cidr",
        action="append",
        default=None,
        help="a VPC CIDR (repeatable); replaces the allowlist's vpc_cidrs",
    )
    parser.add_argument("--ip-ranges", help="AWS ip-ranges.json (path or URL); default the shipped extract")
    parser.add_argument("--limit", type=int, default=50, help="most patterns to print (default: 50)")
    add_output_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the unexpected patterns."""
    import dataclasses
    import os

    from flowkit.baseline import find_unexpected, load_allowlist, propose_allowlist
    from flowkit.enrich import load_ip_ranges
    from flowkit.enrich.addresses import parse_cidrs
    from flowkit.errors import FlowkitError
    from flowkit.read import read_flow_logs

    if args.limit < 1:
        raise FlowkitError(f"--limit must be at least 1, got {args.limit}")
    aws = records_on_aws(args)
    if aws and args.show_sql:  # print the records query, before anything is read or written
        read_athena_records(args, ANALYSIS_COLUMNS)
        return 0
    ranges = load_ip_ranges(args.ip_ranges) if args.ip_ranges else None
    if args.propose_from:
        if os.path.exists(args.allowlist):
            raise FlowkitError(f"{args.allowlist} exists already: remove it or drop --propose-from to use it")
        proposed = propose_allowlist(
            read_flow_logs(args.propose_from), vpc_cidrs=args.vpc_cidr, ip_ranges=ranges
        )
        proposed.save(args.allowlist)
        print(f"wrote {len(proposed.rules)} proposed rules to {args.allowlist}: review them", file=sys.stderr)
    allowlist = load_allowlist(args.allowlist)
    if args.vpc_cidr:
        cidrs = [str(net) for net in parse_cidrs(args.vpc_cidr, what="VPC CIDR")]
        allowlist = dataclasses.replace(allowlist, vpc_cidrs=cidrs)
    flows = read_athena_records(args, ANALYSIS_COLUMNS) if aws else within(read_data(args), args)
    patterns = find_unexpected(flows, allowlist, ip_ranges=ranges).head(args.limit)
    if args.output == "table":
        patterns = patterns.drop(columns=["samples"])
    print_frame(patterns, args.output)
    return 0
