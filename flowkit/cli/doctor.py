"""``flowkit doctor``: check, read-only, that the AWS path works for your account, and say what to fix.

Examples::

    flowkit doctor --profile my-profile --athena flowkit.vpc_flow_logs --s3-output s3://my-athena-results/ \\
        --log-group /vpc/flow-logs                  # credentials, Region, workgroup, table, log group, flow logs
    flowkit doctor ... --query                      # also one time-bounded guide query on each engine (billed)
    flowkit doctor --sandbox --query                # the same against the offline moto sandbox

Exit status: 0 when nothing failed (warnings allowed), 1 when a check failed, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import TYPE_CHECKING

from flowkit.cli._aws import add_aws_arguments, athena_settings, aws_session, log_groups
from flowkit.errors import FlowkitError

if TYPE_CHECKING:
    import boto3

    from flowkit.aws.doctor import DoctorReport


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check, read-only, that the AWS path works: credentials, Region, Athena, Logs Insights",
        description="Check credentials, Region, the Athena workgroup and table, the log groups and their flow "
        "logs, and with --query run one time-bounded guide query on each engine. Creates nothing.",
    )
    add_aws_arguments(parser)
    parser.add_argument(
        "--query",
        action="store_true",
        help="also run the guide's first question on Athena and Logs Insights over the last --window minutes "
        "(billed: Athena at least 10 MB, about USD 0.00005; Insights USD 0.005 per GB scanned; Athena writes "
        "its result to --s3-output)",
    )
    parser.add_argument(
        "--window",
        type=int,
        default=60,
        metavar="MINUTES",
        help="how far back the guide queries look (default 60)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds a guide query may run (default 120)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against the offline moto sandbox (a table, log group and flow logs made up for the check)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks and print the report; 1 if a check failed."""
    if not 1 <= args.window <= 1440:
        raise FlowkitError(f"--window {args.window}: give 1 to 1440 minutes.")
    if args.sandbox:
        from flowkit.aws.sandbox import sandbox

        with sandbox() as sb:
            defaults = _seed_sandbox(sb)
            report = _doctor(args, sb.session, defaults)
    else:
        report = _doctor(args, aws_session(args), {})
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report)
    return 0 if report.ok else 1


def _doctor(args: argparse.Namespace, session: boto3.Session, defaults: dict) -> DoctorReport:
    from flowkit.aws import doctor

    athena = athena_settings(args) or {}
    target = athena.get("database")
    if target and athena.get("table"):
        target = f"{target}.{athena['table']}"
    return doctor(
        athena=target or defaults.get("athena"),
        log_groups=log_groups(args) or defaults.get("log_groups"),
        workgroup=args.workgroup or "primary",
        s3_output=athena.get("s3_output") or defaults.get("s3_output"),
        query=args.query,
        window=timedelta(minutes=args.window),
        timeout=args.timeout,
        boto3_session=session,
    )


def _seed_sandbox(sb) -> dict:
    """Give the sandbox what a real account would have: flow logs to the bucket and the log group, a
    few delivered files, the Glue table, log events, and the Athena answer (moto runs no SQL: the local
    engine computes it from the bundled sample)."""
    from datetime import UTC, datetime

    import flowkit.aws as fa
    from flowkit.engines import connect, default_data
    from flowkit.queries import get_query, strip_header

    s3_plan = fa.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
    fa.apply(s3_plan, boto3_session=sb.session)
    cw_plan = fa.plan_cloudwatch_flow_logs([sb.vpc_id], sb.log_group, boto3_session=sb.session)
    fa.apply(cw_plan, boto3_session=sb.session)
    sample = default_data()
    if sample is not None:
        sb.deliver(s3_plan, sorted(sample.rglob("*.log.gz"))[:3])
    fa.create_database("flowkit", boto3_session=sb.session)
    fa.table_for_plan(s3_plan, database="flowkit", boto3_session=sb.session)
    logs = sb.session.client("logs")
    logs.create_log_stream(logGroupName=sb.log_group, logStreamName=f"{sb.eni_ids['web']}-all")
    now = int(datetime.now(UTC).timestamp())
    record = f"2 {sb.account_id} {sb.eni_ids['web']} 10.0.1.10 52.95.1.1 49152 443 6 10 840 {now - 120} {now - 60} ACCEPT OK"
    logs.put_log_events(
        logGroupName=sb.log_group,
        logStreamName=f"{sb.eni_ids['web']}-all",
        logEvents=[{"timestamp": (now - 120) * 1000, "message": record}],
    )
    if sample is not None:
        guide = strip_header(get_query("guide_outbound_admin").sql)
        sb.queue_athena_result(connect(str(sample)).sql(guide))
    return {"athena": "flowkit.vpc_flow_logs", "log_groups": [sb.log_group], "s3_output": sb.athena_output}
