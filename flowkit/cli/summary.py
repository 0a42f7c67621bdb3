"""``flowkit summary``: a first look at a flow-log dataset."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._output import add_output_argument, default_data, log_format_help, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``summary`` command."""
    parser = subparsers.add_parser(
        "summary",
        help="summarise flow-log files (span, interfaces, actions, bytes, top ports)",
        description="Read flow logs and print what they cover.",
    )
    parser.add_argument(
        "--data", default=None, help="files or directory to read (default: the bundled sample)"
    )
    parser.add_argument("--log-format", help=log_format_help("format of headerless lines"))
    parser.add_argument(
        "--skip-bad", action="store_true", help="skip bad lines and report them instead of stopping"
    )
    add_output_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read and summarise."""
    from flowkit.read import read_flow_logs
    from flowkit.summary import summarize

    data = args.data or default_data()
    flows = read_flow_logs(data, log_format=args.log_format, errors="skip" if args.skip_bad else "raise")
    print_frame(summarize(flows), args.output)
    print(f"read {data}: {flows.attrs['report']}", file=sys.stderr)
    return 0
