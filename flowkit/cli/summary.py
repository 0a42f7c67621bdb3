"""``flowkit summary``: a first look at a flow-log dataset."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._data import add_data_arguments, read_data
from flowkit.cli._output import add_output_argument, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``summary`` command."""
    parser = subparsers.add_parser(
        "summary",
        help="summarise flow-log files (span, interfaces, actions, bytes, top ports)",
        description="Read flow logs and print what they cover.",
    )
    add_data_arguments(parser)
    add_output_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read and summarise."""
    from flowkit.summary import summarize

    flows = read_data(args)
    print_frame(summarize(flows), args.output)
    print(f"read {', '.join(args.data or ['the bundled sample'])}: {flows.attrs['report']}", file=sys.stderr)
    return 0
