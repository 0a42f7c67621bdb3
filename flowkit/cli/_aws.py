"""The AWS arguments commands share: which account and Region, which Athena table, which log groups.

``--profile`` and ``--region`` pick the boto3 session (credentials only ever come from the boto3
chain: a named profile, SSO, the environment, an instance role; never from an option);
``--athena DB[.TABLE]``, ``--workgroup`` and ``--s3-output`` name the Athena side and
``--log-group`` (repeatable) the Logs Insights side. A command adds them with
:func:`add_aws_arguments` and reads them with :func:`aws_session`, :func:`athena_settings` and
:func:`log_groups`.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from flowkit.errors import FlowkitError

if TYPE_CHECKING:
    import boto3


def add_aws_arguments(parser: argparse.ArgumentParser, *, athena: bool = True, logs: bool = True) -> None:
    """Add ``--profile``, ``--region`` and, unless turned off, the Athena and Logs Insights targets."""
    group = parser.add_argument_group("AWS")
    group.add_argument(
        "--profile", metavar="NAME", help="a profile of your AWS config (default: the boto3 credential chain)"
    )
    group.add_argument(
        "--region", metavar="REGION", help="the AWS Region (default: the profile's or AWS_DEFAULT_REGION)"
    )
    if athena:
        group.add_argument(
            "--athena",
            metavar="DB[.TABLE]",
            help="the Glue database and table of the flow logs (table default vpc_flow_logs)",
        )
        group.add_argument(
            "--workgroup", default="primary", metavar="NAME", help="the Athena workgroup (default primary)"
        )
        group.add_argument(
            "--s3-output",
            metavar="S3_URL",
            help="where Athena writes results (default: the workgroup's location)",
        )
    if logs:
        group.add_argument(
            "--log-group",
            action="append",
            default=[],
            metavar="NAME_OR_ARN",
            help="a CloudWatch Logs group of flow logs, for Logs Insights (repeatable)",
        )


def aws_session(args: argparse.Namespace) -> boto3.Session:
    """The boto3 session ``--profile`` / ``--region`` name (the default chain without them).

    Raises:
        FlowkitError: when the profile does not exist in the AWS config.
    """
    from flowkit import sessions

    try:
        return sessions.profile_session(getattr(args, "profile", None), getattr(args, "region", None))
    except Exception as exc:
        if not sessions.is_aws_error(exc):
            raise
        raise FlowkitError(
            f"--profile {args.profile}: {sessions.aws_reason(exc)}. List your profiles with `aws configure list-profiles`."
        ) from exc


def athena_settings(args: argparse.Namespace) -> dict[str, Any] | None:
    """``--athena``, ``--workgroup`` and ``--s3-output`` as ``flowkit.connect(athena=...)`` takes them, or None."""
    if not getattr(args, "athena", None):
        return None
    database, _, table = args.athena.partition(".")
    if not database:
        raise FlowkitError(f"--athena {args.athena!r}: give DB or DB.TABLE.")
    settings: dict[str, Any] = {"database": database, "workgroup": args.workgroup}
    if table:
        settings["table"] = table
    if args.s3_output:
        if not args.s3_output.startswith("s3://"):
            raise FlowkitError(f"--s3-output {args.s3_output!r}: give an s3://bucket/prefix/ URL.")
        settings["s3_output"] = args.s3_output
    return settings


def log_groups(args: argparse.Namespace) -> list[str]:
    """The ``--log-group`` values (names or ARNs), blanks refused."""
    groups = list(getattr(args, "log_group", None) or [])
    for group in groups:
        if not group.strip():
            raise FlowkitError("--log-group is empty: give a log group name or ARN.")
    return groups
