"""``flowkit summary``: a first look at a flow-log dataset."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._aws import (
    SUMMARY_COLUMNS,
    add_records_arguments,
    read_athena_records,
    records_on_aws,
    within,
)
from flowkit.cli._data import add_data_arguments, read_data
from flowkit.cli._output import add_output_argument, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``summary`` command."""
    parser = subparsers.add_parser(
        "summary",
        help="summarise flow logs, local or on Athena (span, interfaces, actions, bytes, top ports)",
        description="Read flow logs and print what they cover. With --athena DB[.TABLE], the records of "
        "--start..--end (default: the last day) are read from Athena: only the columns the summary uses, in "
        "one time-bounded query.",
    )
    add_data_arguments(parser)
    add_records_arguments(parser)
    add_output_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read and summarise."""
    from flowkit.summary import summarize

    if records_on_aws(args):
        flows = read_athena_records(args, SUMMARY_COLUMNS)
        if flows is not None:  # None: --show-sql printed the query
            print_frame(summarize(flows), args.output)
        return 0
    flows = within(read_data(args), args)
    print_frame(summarize(flows), args.output)
    print(f"read {', '.join(args.data or ['the bundled sample'])}: {flows.attrs['report']}", file=sys.stderr)
    return 0
