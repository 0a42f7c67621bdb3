"""The AWS arguments commands share: which account and Region, which Athena table, which log groups.

``--profile`` and ``--region`` pick the boto3 session (credentials only ever come from the boto3
chain: a named profile, SSO, the environment, an instance role; never from an option);
``--athena DB[.TABLE]``, ``--workgroup`` and ``--s3-output`` name the Athena side and
``--log-group`` (repeatable) the Logs Insights side. A command adds them with
:func:`add_aws_arguments` and reads them with :func:`aws_session`, :func:`athena_settings` and
:func:`log_groups`.

The query commands (``sql``, ``insights``, ``summary``, ``unexpected``, ``report``) add them with
:func:`add_query_target_arguments` (or :func:`add_records_arguments`), which also adds ``--start``/``--end``,
``--timeout`` and ``--quiet``; :func:`on_aws` decides local or AWS (and refuses both), :func:`time_range`
bounds every AWS query (default: the last day), :func:`say_cost` prints what a query scanned and cost,
:func:`read_athena_records` fetches a period's records in one time-bounded query of the needed columns, and
:func:`aws_failures` turns an AWS failure into one line with what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flowkit.errors import AWSError, FlowkitError

if TYPE_CHECKING:
    import boto3
    import pandas as pd

    from flowkit.engines import Translation
    from flowkit.engines.aws import AwsEngine


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
        group.add_argument("--workgroup", metavar="NAME", help="the Athena workgroup (default primary)")
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
    settings: dict[str, Any] = {"database": database, "workgroup": args.workgroup or "primary"}
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


# --- the query commands on AWS: sql, insights, summary, unexpected, report --------------------------------

#: The options that only mean something for local files, refused beside an AWS target.
LOCAL_ONLY = (
    ("data", "--data"),
    ("log_format", "--log-format"),
    ("keep_unknown_fields", "--keep-unknown-fields"),
)


def add_query_target_arguments(parser: argparse.ArgumentParser, *, what: str) -> None:
    """Add the AWS target of a query command (as :func:`add_aws_arguments`), ``--start``/``--end``,
    ``--timeout`` and ``--quiet``.

    Args:
        parser: the command's parser.
        what: what the time range bounds, for the help (e.g. ``"the query"``).
    """
    add_aws_arguments(parser)
    group = parser.add_argument_group("time range (bounds every AWS query; locally, the records read)")
    group.add_argument(
        "--start",
        metavar="TIME",
        help=f"start of {what}, ISO 8601 UTC, e.g. 2026-05-24T10:00:00Z (on AWS default: END minus one day)",
    )
    group.add_argument("--end", metavar="TIME", help=f"end of {what}, ISO 8601 UTC (on AWS default: now)")
    group.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="on AWS, seconds a query may run before it is stopped (default 300)",
    )
    group.add_argument(
        "--quiet", action="store_true", help="do not print the data scanned (and on AWS its cost) on stderr"
    )


def on_aws(args: argparse.Namespace, *, needs: str) -> bool:
    """Whether the command runs on AWS (``--athena`` or ``--log-group`` given), after checking the options.

    Args:
        args: the parsed arguments.
        needs: what the command runs on AWS: ``"athena"`` (SQL, records) or ``"logs"`` (Logs Insights).

    Raises:
        FlowkitError: local-file options beside an AWS target (naming which to drop), account options
            without a target, or the other service's target than the command needs.
    """
    aws = [
        flag for name, flag in (("athena", "--athena"), ("log_group", "--log-group")) if getattr(args, name)
    ]
    if not aws:
        strays = [
            flag
            for name, flag in (
                ("profile", "--profile"),
                ("region", "--region"),
                ("workgroup", "--workgroup"),
                ("s3_output", "--s3-output"),
            )
            if getattr(args, name, None)
        ]
        if strays:
            target = "--athena DB[.TABLE]" if needs == "athena" else "--log-group NAME"
            named = " and ".join(strays)
            kind = "AWS options" if len(strays) > 1 else "an AWS option"
            raise FlowkitError(
                f"{named}: {kind}, but no AWS target is given: add {target} to query AWS, or drop {named} to "
                "read local files (--data)."
            )
        return False
    local = [flag for name, flag in LOCAL_ONLY if getattr(args, name, None)]
    if getattr(args, "skip_bad", False):
        local.append("--skip-bad")
    if local:
        raise FlowkitError(
            f"give either local files or an AWS target, not both: drop {' and '.join(local)} to query AWS "
            f"({' and '.join(aws)}), or drop {' and '.join(aws)} to read the local files."
        )
    if needs == "athena" and not args.athena:
        raise FlowkitError(
            f"flowkit {args.command} runs on Athena: give --athena DB[.TABLE] (--log-group is for "
            "flowkit insights, Logs Insights)."
        )
    if needs == "logs" and not args.log_group:
        raise FlowkitError(
            "flowkit insights runs Logs Insights: give --log-group NAME (--athena is for flowkit sql)."
        )
    other = "log_group" if needs == "athena" else "athena"
    if getattr(args, other):
        flag = "--log-group" if other == "log_group" else "--athena"
        raise FlowkitError(f"flowkit {args.command} does not use {flag}: drop it.")
    if needs == "logs" and (args.workgroup or args.s3_output):
        raise FlowkitError("--workgroup and --s3-output are Athena settings: drop them for Logs Insights.")
    if getattr(args, "max_records", 1) < 1:
        raise FlowkitError(f"--max-records {args.max_records}: give at least 1.")
    if not 0 < args.timeout <= 86_400:
        raise FlowkitError(f"--timeout {args.timeout:g}: give 1 to 86400 seconds.")
    return True


def time_range(args: argparse.Namespace, *, aws: bool) -> tuple[datetime | None, datetime | None]:
    """``--start``/``--end`` as UTC datetimes; on AWS always both (default: the day before now).

    Raises:
        FlowkitError: a time that is not ISO 8601, or START not before END.
    """
    from flowkit.timeutil import parse_utc

    bounds: list[datetime | None] = []
    for flag, value in (("--start", args.start), ("--end", args.end)):
        try:
            bounds.append(parse_utc(value) if value else None)
        except ValueError:
            raise FlowkitError(
                f"{flag} {value!r}: give an ISO 8601 time, e.g. 2026-05-24T10:00:00Z."
            ) from None
    start, end = bounds
    if aws:
        end = end or datetime.now(UTC).replace(microsecond=0)
        start = start or end - timedelta(days=1)
    if start is not None and end is not None and start >= end:
        raise FlowkitError(f"--start ({start.isoformat()}) must be before --end ({end.isoformat()}).")
    return start, end


def open_aws_engine(args: argparse.Namespace) -> AwsEngine:
    """The AWS engine ``--athena``/``--log-group``, ``--profile``/``--region`` and ``--timeout`` name."""
    from flowkit.engines.aws import connect_aws

    return connect_aws(
        athena=athena_settings(args),
        logs=log_groups(args) or None,
        timeout=args.timeout,
        boto3_session=aws_session(args),
    )


def print_translation(shown: Translation) -> None:
    """Print what Athena would be sent: the text, then one ``-- ?N = value`` line per execution parameter."""
    print(shown.sql)
    for number, value in enumerate(shown.parameters, 1):
        print(f"-- ?{number} = {value}")


def say_cost(args: argparse.Namespace, frame: pd.DataFrame, start: datetime, end: datetime) -> None:
    """After an AWS result: one line on stderr with what the query scanned and cost, over which range
    (not with ``--quiet``)."""
    from flowkit.notebooks.backend import query_cost

    if args.quiet or not frame.attrs.get("query"):
        return
    print(f"{query_cost(frame)} ({_iso(start)} to {_iso(end)})", file=sys.stderr)


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


@contextlib.contextmanager
def aws_failures() -> Iterator[None]:
    """Turn an AWS failure into one :class:`FlowkitError` naming its cause and what to do.

    Credentials missing or expired, access denied, throttling (after botocore's retries), a query that
    failed or was stopped at the deadline: each says what to do from the command line.
    """
    from flowkit import sessions

    try:
        yield
    except Exception as exc:
        if not (isinstance(exc, AWSError) or sessions.is_aws_error(exc)):
            raise
        raise FlowkitError(f"AWS: {_aws_cause(exc)}") from exc


def _aws_cause(exc: BaseException) -> str:
    """The one line of :func:`aws_failures`: the cause, then what to do."""
    from flowkit import sessions

    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    names = {type(e).__name__ for e in chain}
    codes = {
        e.response["Error"].get("Code", "")
        for e in chain
        if isinstance(getattr(e, "response", None), dict) and "Error" in e.response
    }
    root = next((e for e in chain if sessions.is_aws_error(e)), exc)
    reason = sessions.aws_reason(root)
    if names & _NO_CREDENTIALS or codes & _BAD_CREDENTIALS:
        return (
            f"no valid credentials ({reason}). Sign in (aws sso login --profile NAME, or aws configure) and pass "
            "--profile NAME, or set AWS_PROFILE; check with flowkit doctor --profile NAME."
        )
    if codes & _ACCESS_DENIED:
        return (
            f"access denied ({reason}). The identity needs the read-only query permissions of "
            "flowkit/policies (Athena, Glue, S3 results bucket, CloudWatch Logs); flowkit doctor shows which "
            "one is missing."
        )
    if codes & _THROTTLED:
        return (
            f"throttled by AWS after {sessions.RETRIES['max_attempts']} attempts ({reason}). Wait a minute and "
            "run it again, or run fewer queries at the same time."
        )
    if "NoRegionError" in names:
        return f"no AWS Region ({reason}). Pass --region R, or set one in the profile or AWS_DEFAULT_REGION."
    if names & {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"}:
        return f"cannot reach AWS ({reason}). Check the network and --region."
    text = str(exc)
    if "did not finish within" in text:
        return f"{text.split(' Bound it')[0].split(' Narrow')[0]} Narrow --start/--end, or raise --timeout."
    if " FAILED: " in text or "ended with status" in text or "refused the query" in text:
        return f"{text} Check the query with --show-sql, and the table or log group with flowkit doctor."
    return f"{text}{'' if text.endswith('.') else '.'} Check the account with flowkit doctor."


_NO_CREDENTIALS = {
    "NoCredentialsError",
    "PartialCredentialsError",
    "TokenRetrievalError",
    "SSOTokenLoadError",
}
_BAD_CREDENTIALS = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}
_ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_THROTTLED = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "LimitExceededException",
    "RequestLimitExceeded",
}


# --- summary, unexpected, report on Athena: the records of a period, only the columns they use ------------

#: The columns ``summary`` reads (:func:`flowkit.summary.summarize` uses no other).
SUMMARY_COLUMNS = (
    "interface_id",
    "srcaddr",
    "dstaddr",
    "dstport",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
)
#: The columns ``unexpected`` and ``report`` read: the records' own fields the analyses and figures use
#: (the table's account, version and partition columns are left on Athena).
ANALYSIS_COLUMNS = (
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
    "vpc_id",
    "subnet_id",
    "instance_id",
    "tcp_flags",
    "type",
    "pkt_srcaddr",
    "pkt_dstaddr",
    "region",
    "az_id",
    "flow_direction",
    "pkt_src_aws_service",
    "pkt_dst_aws_service",
    "traffic_path",
)
#: The most records ``--max-records`` lets one command bring back from Athena by default.
MAX_RECORDS = 1_000_000


def add_records_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the AWS target of a command that reads records (``--athena``), its time range and ``--max-records``."""
    add_query_target_arguments(parser, what="the records read")
    parser.add_argument(
        "--show-sql",
        action="store_true",
        help="on Athena, print the query text and its execution parameters instead of running it",
    )
    parser.add_argument(
        "--max-records",
        type=int,
        default=MAX_RECORDS,
        metavar="N",
        help=f"on Athena, the most records to bring back (default {MAX_RECORDS:,}; more is an error: narrow "
        "--start/--end)",
    )


def records_on_aws(args: argparse.Namespace) -> bool:
    """:func:`on_aws` for a command that reads records (Athena only); ``--show-sql`` offline is refused."""
    aws = on_aws(args, needs="athena")
    if args.show_sql and not aws:
        raise FlowkitError(
            f"--show-sql prints the Athena query flowkit {args.command} would run: add --athena DB[.TABLE] "
            "(locally there is no query: the files are read)."
        )
    return aws


def read_athena_records(args: argparse.Namespace, columns: tuple[str, ...]) -> pd.DataFrame | None:
    """The records of ``--start``..``--end`` (default: the last day) from the ``--athena`` table, through the
    AWS engine: one time-bounded query (partitions pruned) of only ``columns`` the table has, capped at
    ``--max-records``. Says on stderr what it read, and (without ``--quiet``) what it cost.

    With ``--show-sql`` it prints that query (as :func:`print_translation`) instead and returns ``None``: the
    command then stops.

    Raises:
        FlowkitError: the table has none of the columns, more records than ``--max-records`` (narrow the
            range), or an AWS failure (one line, as :func:`aws_failures`).
    """
    from flowkit.aws.glue import get_table

    start, end = time_range(args, aws=True)
    with aws_failures():
        engine = open_aws_engine(args)
        target = engine.athena
        assert target is not None  # on_aws(needs="athena") checked --athena
        table = get_table(target.database, target.table, boto3_session=engine.session)
        present = {column["Name"].lower() for column in table.get("StorageDescriptor", {}).get("Columns", [])}
        chosen = [column for column in columns if column in present]
        if not chosen:
            raise FlowkitError(
                f"--athena {target.database}.{target.table}: the table has none of the flow-log columns "
                f"{', '.join(columns)}; is it a flow-log table? Check it with flowkit doctor."
            )
        select = ", ".join(f'"{column}"' for column in chosen)
        query = f"SELECT {select} FROM vpc_flow_logs LIMIT :limit"
        if args.show_sql:
            print_translation(engine.translate(query, start=start, end=end, limit=args.max_records + 1))
            return None
        frame = engine.sql(query, start=start, end=end, limit=args.max_records + 1)
    if len(frame) > args.max_records:
        raise FlowkitError(
            f"more than {args.max_records:,} records in {target.database}.{target.table} from {_iso(start)} to "
            f"{_iso(end)}: narrow --start/--end, or raise --max-records."
        )
    print(
        f"read {len(frame):,} records from Athena {target.database}.{target.table}, {_iso(start)} to "
        f"{_iso(end)}, in one time-bounded query of {len(chosen)} columns ({', '.join(chosen)})",
        file=sys.stderr,
    )
    say_cost(args, frame, start, end)
    return frame


def within(flows: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """Local records kept to ``--start``..``--end`` (records that start in ``[start, end)``), as on Athena."""
    start, end = time_range(args, aws=False)
    if (start is None and end is None) or "start" not in flows:
        return flows
    keep = flows["start"].notna()
    if start is not None:
        keep &= flows["start"] >= int(start.timestamp())
    if end is not None:
        keep &= flows["start"] < int(end.timestamp())
    out = flows[keep.fillna(False).astype(bool)].reset_index(drop=True)
    out.attrs = dict(flows.attrs)
    return out
