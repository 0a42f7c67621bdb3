"""``flowkit convert``: flow-log files to Parquet partitioned by day."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._data import log_format_help


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``convert`` command."""
    parser = subparsers.add_parser(
        "convert",
        help="convert flow-log files to Parquet partitioned by day",
        description="Read flow logs (text, .log.gz, Parquet, an S3 layout directory) and write Parquet "
        "partitioned by day (date=YYYY-MM-DD/) for fast repeated queries.",
    )
    parser.add_argument("source", nargs="+", help="files or directories to read")
    parser.add_argument("out", help="output directory")
    parser.add_argument("--log-format", help=log_format_help("format of headerless lines"))
    parser.add_argument(
        "--skip-bad", action="store_true", help="skip bad lines and report them instead of stopping"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert, then report what was read."""
    from flowkit.read import convert

    report = convert(
        args.source, args.out, log_format=args.log_format, errors="skip" if args.skip_bad else "raise"
    )
    print(f"wrote {args.out}: {report}", file=sys.stderr)
    return 0
