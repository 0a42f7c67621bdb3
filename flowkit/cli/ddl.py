"""``flowkit ddl``: print the Athena CREATE EXTERNAL TABLE statement for a flow log in S3."""

from __future__ import annotations

import argparse

from flowkit.cli._data import log_format_help
from flowkit.ddl import athena_ddl


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ddl`` subcommand."""
    parser = subparsers.add_parser(
        "ddl",
        help="print the Athena CREATE EXTERNAL TABLE statement for flow logs in S3",
        description="Print Athena DDL for flow logs delivered to S3, with partition projection by default.",
    )
    parser.add_argument(
        "--location", required=True, help="the S3 prefix the flow log delivers to (s3://bucket/prefix/)"
    )
    parser.add_argument(
        "--log-format", help=log_format_help("the flow log's format (default: AWS's default)")
    )
    parser.add_argument("--file-format", choices=("text", "parquet"), default="text", help="default: text")
    parser.add_argument(
        "--partitioning",
        choices=("projection", "hive", "none"),
        default="projection",
        help="default: projection",
    )
    parser.add_argument(
        "--layout", choices=("plain", "hive"), default="plain", help="S3 prefixes (default: plain)"
    )
    parser.add_argument("--per-hour", action="store_true", help="the flow log writes per-hour prefixes")
    parser.add_argument("--table", default="vpc_flow_logs", help="table name (default: vpc_flow_logs)")
    parser.add_argument("--database", help="database name")
    parser.add_argument("--account-id", help="the 12-digit account in the S3 path")
    parser.add_argument("--accounts", help="several accounts, comma-separated (projected)")
    parser.add_argument(
        "--regions", help="Regions to project, comma-separated (default: the commercial Regions)"
    )
    parser.add_argument("--start-day", default="2021/01/01", help="first projected day, yyyy/MM/dd")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the DDL; returns the exit status."""
    print(
        athena_ddl(
            log_format=args.log_format,
            location=args.location,
            file_format=args.file_format,
            partitioning=args.partitioning,
            table=args.table,
            database=args.database,
            account_id=args.account_id,
            accounts=args.accounts.split(",") if args.accounts else None,
            regions=args.regions.split(",") if args.regions else None,
            layout=args.layout,
            per_hour=args.per_hour,
            start_day=args.start_day,
        )
    )
    return 0
