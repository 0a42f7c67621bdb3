"""``flowkit enable``: plan VPC flow logs, and with ``--apply`` create them (dry run by default).

Examples::

    flowkit enable --vpc vpc-0abc1234 --s3 s3://my-bucket/flowlogs/           # prints the plan, no AWS call
    flowkit enable --vpc vpc-0abc1234 --s3 s3://my-bucket/flowlogs/ --apply   # acts on your account
    flowkit enable --sandbox --apply                                          # offline, in the moto sandbox
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from flowkit.cli._data import log_format_help
from flowkit.errors import FlowkitError
from flowkit.schema import MAX_FORMAT_VERSION, NAMED_SETS

if TYPE_CHECKING:
    import boto3

    from flowkit.aws.sandbox import Sandbox


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``enable`` subcommand."""
    parser = subparsers.add_parser(
        "enable",
        help="plan (and with --apply create) VPC flow logs to S3 or CloudWatch Logs",
        description="Print the plan for enabling VPC flow logs; --apply carries it out. Dry run by default.",
    )
    parser.add_argument("--vpc", action="append", default=[], metavar="ID", help="VPC ID (repeatable)")
    parser.add_argument("--subnet", action="append", default=[], metavar="ID", help="subnet ID (repeatable)")
    parser.add_argument(
        "--eni", action="append", default=[], metavar="ID", help="network interface ID (repeatable)"
    )
    parser.add_argument("--s3", metavar="S3_URL", help="S3 destination, s3://bucket/optional/prefix/")
    parser.add_argument("--log-group", metavar="NAME", help="CloudWatch Logs destination (instead of --s3)")
    parser.add_argument(
        "--role-arn", metavar="ARN", help="delivery role for --log-group (default: create one)"
    )
    parser.add_argument(
        "--format-version",
        type=int,
        metavar="N",
        help=f"log all fields up to version N (2-{MAX_FORMAT_VERSION}; default: AWS default)",
    )
    parser.add_argument("--format-set", metavar="NAME", help=f"a named field set: {', '.join(NAMED_SETS)}")
    parser.add_argument(
        "--log-format",
        help=log_format_help(
            "the log format (after the fields of --format-version/--format-set, if given)",
            max_version=MAX_FORMAT_VERSION,
        ),
    )
    parser.add_argument(
        "--parquet", action="store_true", help="deliver Parquet instead of gzip text (S3 only)"
    )
    parser.add_argument("--hive", action="store_true", help="Hive-compatible key=value S3 folders")
    parser.add_argument("--per-hour", action="store_true", help="hourly S3 folders instead of daily")
    parser.add_argument("--traffic-type", choices=("ALL", "ACCEPT", "REJECT"), default="ALL")
    parser.add_argument(
        "--interval", type=int, default=60, help="max aggregation interval, 60 or 600 (default 60)"
    )
    parser.add_argument("--json", action="store_true", help="print the plan (and result) as JSON")
    parser.add_argument("--sandbox", action="store_true", help="run against the offline moto sandbox")
    parser.add_argument(
        "--apply", action="store_true", help="create the flow log (default: only print the plan)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan; apply it with ``--apply``."""
    if args.sandbox:
        from flowkit.aws.sandbox import sandbox

        with sandbox() as sb:
            return _run(args, sb.session, sandbox_info=sb)
    session = None
    if args.apply:
        from flowkit import sessions

        session = sessions.session(None)
    return _run(args, session)


def _run(args: argparse.Namespace, session: boto3.Session | None, sandbox_info: Sandbox | None = None) -> int:
    import flowkit.aws as fa

    resources = [*args.vpc, *args.subnet, *args.eni]
    if not resources and sandbox_info is not None:
        resources = [sandbox_info.vpc_id]
    if not resources:
        raise FlowkitError("name what to log: --vpc vpc-... (or --subnet / --eni), or use --sandbox.")
    if args.s3 and args.log_group:
        raise FlowkitError("give either --s3 or --log-group, not both.")
    destination = args.s3
    if not destination and not args.log_group:
        if sandbox_info is None:
            raise FlowkitError("name a destination: --s3 s3://bucket/prefix/ or --log-group NAME.")
        destination = f"s3://{sandbox_info.bucket}/flowlogs/"
    fmt = None
    parts = [part for part in (args.format_set, args.log_format) if part]
    if args.format_version is not None or parts:
        fmt = fa.log_format(*parts, version=args.format_version)
    if args.log_group:
        if args.parquet or args.hive or args.per_hour:
            raise FlowkitError("--parquet, --hive and --per-hour apply to S3 destinations only.")
        plan = fa.plan_cloudwatch_flow_logs(
            resources,
            args.log_group,
            role_arn=args.role_arn,
            log_format=fmt,
            traffic_type=args.traffic_type,
            max_aggregation_interval=args.interval,
            boto3_session=session,
        )
    else:
        plan = fa.plan_flow_logs(
            resources,
            destination,
            log_format=fmt,
            file_format="parquet" if args.parquet else "plain-text",
            hive_compatible=args.hive,
            per_hour=args.per_hour,
            traffic_type=args.traffic_type,
            max_aggregation_interval=args.interval,
            boto3_session=session,
        )
    out: dict[str, Any] = {
        "sandbox": sandbox_info is not None,
        "dry_run": not args.apply,
        "plan": plan.to_dict(),
    }
    if not args.json:
        if sandbox_info is not None:
            print(f"{sandbox_info}\n")
        print(plan)
    if not args.apply:
        if not args.json:
            print("\nDry run: nothing was created. Add --apply to create the flow log.")
        else:
            print(json.dumps(out, indent=2, default=str))
        return 0
    result = fa.apply(plan, boto3_session=session)
    described = fa.describe_flow_logs(flow_log_ids=result.flow_log_ids, boto3_session=session)
    if args.json:
        out["result"] = result.to_dict()
        out["flow_logs"] = described.drop(columns=["tags"]).to_dict(orient="records")
        print(json.dumps(out, indent=2, default=str))
    else:
        print()
        print(result)
        print("\ndescribe_flow_logs:")
        cols = [
            "flow_log_id",
            "resource_id",
            "status",
            "destination_type",
            "destination",
            "deliver_logs_status",
        ]
        print(described[cols].to_string(index=False))
    return 0
