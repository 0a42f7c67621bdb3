"""``flowkit convert``: flow-log files to Parquet partitioned by day."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._data import add_keep_unknown_fields, log_format_help, unknown_fields


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
    add_keep_unknown_fields(parser)
    parser.add_argument(
        "--skip-bad", action="store_true", help="skip bad lines and report them instead of stopping"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert, then report what was read."""
    from flowkit.read import convert

    report = convert(
        args.source,
        args.out,
        log_format=args.log_format,
        errors="skip" if args.skip_bad else "raise",
        unknown_fields=unknown_fields(args),
    )
    print(f"wrote {args.out}: {report}", file=sys.stderr)
    return 0
