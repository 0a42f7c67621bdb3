"""A notebook's parameters to the thing it queries: the bundled data or a real account, in one call.

Every notebook has a ``BACKEND`` parameter, ``"local"`` by default:

- :func:`open_engine` gives the local DuckDB engine over ``DATA`` when ``BACKEND == "local"``, and the AWS
  engine (Athena and/or Logs Insights) when ``BACKEND == "aws"``; both answer ``.sql()``, ``.query()`` and
  ``.insights()`` the same way, so the cells after it do not change.
- :func:`aws_target` gives where notebook 01's control-plane steps (enabling flow logs) run: the offline moto
  sandbox for ``"local"``, your account for ``"aws"``.
- :func:`check_account` runs :func:`flowkit.aws.doctor` (read-only) on the account the parameters name, so a
  notebook says what to fix before its first query fails.

A notebook that cannot do something on AWS says so in the cell after its parameters: ``open_engine``'s
``needs`` names what the notebook needs (``"athena"`` to read the records of a period, ``"logs"`` to run
Logs Insights), and ``period`` checks the notebook's ``START``/``END`` (every query on AWS is bounded in
time, which bounds its cost). :func:`read_records` reads a period's records through the engine, the same
code on the local engine and on Athena; :func:`query_cost` says what a result cost.

Credentials are never parameters: a real account is reached through a named profile (``AWS_PROFILE``) or the
default credential chain.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit.errors import AWSError, NotebookError

if TYPE_CHECKING:
    import boto3

    from flowkit.aws.doctor import DoctorReport
    from flowkit.aws.sandbox import Sandbox
    from flowkit.engines import Engine

BACKENDS = ("local", "aws")
#: What a notebook can need on AWS, and why (the error names the parameter to set).
NEEDS = {
    "athena": (
        "ATHENA_DATABASE",
        "it reads the records of a period (Logs Insights returns at most 10,000 rows per query, too few)",
    ),
    "logs": ("LOG_GROUP", "it runs CloudWatch Logs Insights queries"),
}
#: The most records :func:`read_records` brings back from one period (more: narrow START and END).
MAX_RECORDS = 3_000_000


def open_engine(
    backend: str = "local",
    data: str | os.PathLike | None = None,
    *,
    aws_profile: str | None = None,
    aws_region: str | None = None,
    athena_database: str | None = None,
    athena_workgroup: str = "primary",
    athena_output: str | None = None,
    log_group: str | None = None,
    needs: Sequence[str] = (),
    period: tuple[Any, Any] | None = None,
) -> Engine:
    """The query engine a notebook's parameters name, after checking the parameters the notebook needs.

    Args:
        backend: ``"local"`` (DuckDB over ``data``) or ``"aws"`` (Athena / CloudWatch Logs Insights).
        data: local flow logs (file or folder); default the bundled sample.
        aws_profile: a named profile from the AWS config files (``None``: the default credential chain).
        aws_region: the Region (``None``: the profile's).
        athena_database: ``"database"`` or ``"database.table"`` of the flow-log table, for Athena.
        athena_workgroup: the Athena workgroup.
        athena_output: the Athena results location (``s3://...``), if the workgroup does not set one.
        log_group: the CloudWatch Logs group of the flow logs, for Logs Insights.
        needs: what the notebook needs on AWS: ``"athena"`` (the records of a period) and/or ``"logs"``
            (Logs Insights); a missing one is an error naming the parameter to set, and why.
        period: the notebook's ``(START, END)``: checked to be times with START before END, and on AWS
            both required (a query there is always bounded in time); ``None``: no period to check.

    Returns:
        A :class:`~flowkit.engines.local.LocalEngine` or the AWS engine.

    Raises:
        NotebookError: for an unknown backend, a bad period, or ``"aws"`` without what the notebook needs.
    """
    from flowkit.engines import connect

    _check_backend(backend)
    if backend == "local":
        if period is not None:
            check_period(period)
        return connect(data)
    for need in needs:
        if need not in NEEDS:
            raise NotebookError(f"unknown need {need!r}: use {', '.join(NEEDS)}.")
        parameter, why = NEEDS[need]
        if not (athena_database if need == "athena" else log_group):
            raise NotebookError(
                f"BACKEND = 'aws': this notebook needs {parameter}, because {why}. Set it in the parameters "
                "cell (or run the notebook with BACKEND = 'local')."
            )
    if not athena_database and not log_group:
        raise NotebookError(
            "BACKEND = 'aws' needs ATHENA_DATABASE (for Athena) and/or LOG_GROUP (for Logs Insights)."
        )
    if period is not None:
        check_period(period, required=True)
    database, _, table = (athena_database or "").partition(".")
    athena = None
    if database:
        athena = {"database": database, "table": table or "vpc_flow_logs", "workgroup": athena_workgroup}
        athena |= {"s3_output": athena_output} if athena_output else {}
    return connect(athena=athena, logs=log_group, boto3_session=_session(aws_profile, aws_region))


@dataclass
class AwsTarget:
    """Where the AWS steps of a notebook run.

    Attributes:
        session: the boto3 session to pass as ``boto3_session``.
        region: its Region.
        vpc_id: the VPC to enable flow logs on.
        bucket: the S3 bucket that receives them (``None`` when only CloudWatch Logs is used).
        log_group: the CloudWatch Logs group (``None`` when only S3 is used).
        sandbox: the :class:`~flowkit.aws.sandbox.Sandbox` when the steps run offline, else ``None``.
    """

    session: boto3.Session
    region: str
    vpc_id: str
    bucket: str | None
    log_group: str | None
    sandbox: Sandbox | None = None
    _stack: contextlib.ExitStack | None = field(default=None, repr=False)

    @property
    def is_sandbox(self) -> bool:
        """True when nothing reaches AWS."""
        return self.sandbox is not None

    def close(self) -> None:
        """End the sandbox (no effect on a real account)."""
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def _repr_markdown_(self) -> str:
        if self.sandbox is not None:
            return self.sandbox._repr_markdown_()
        return (
            f"**Real account**, region `{self.region}`: VPC `{self.vpc_id}`, bucket `{self.bucket}`, "
            f"log group `{self.log_group}`. Plans change nothing; `apply` does."
        )


def aws_target(
    backend: str = "local",
    *,
    aws_profile: str | None = None,
    aws_region: str | None = None,
    vpc_id: str | None = None,
    bucket: str | None = None,
    log_group: str | None = None,
) -> AwsTarget:
    """Where to run AWS control-plane steps: the offline sandbox (``"local"``) or an account (``"aws"``).

    Args:
        backend: ``"local"`` starts :func:`flowkit.aws.sandbox` (moto, in process; close it with
            :meth:`AwsTarget.close`); ``"aws"`` uses your account.
        aws_profile: the named profile for ``"aws"`` (``None``: the default credential chain).
        aws_region: the Region for ``"aws"``.
        vpc_id: the VPC for ``"aws"``; the sandbox makes its own.
        bucket: the flow-log bucket for ``"aws"``; the sandbox makes its own.
        log_group: the CloudWatch Logs group for ``"aws"``; the sandbox makes its own.

    Raises:
        NotebookError: for an unknown backend, or ``"aws"`` without a VPC and a destination.
    """
    _check_backend(backend)
    if backend == "aws":
        if not vpc_id or not (bucket or log_group):
            raise NotebookError("BACKEND = 'aws' needs VPC_ID and FLOW_LOG_BUCKET (or LOG_GROUP) parameters.")
        session = _session(aws_profile, aws_region)
        return AwsTarget(session, session.region_name, vpc_id, bucket, log_group)
    from flowkit.aws.sandbox import sandbox

    stack = contextlib.ExitStack()
    sb = stack.enter_context(sandbox())
    return AwsTarget(sb.session, sb.region, sb.vpc_id, sb.bucket, sb.log_group, sandbox=sb, _stack=stack)


def check_account(
    backend: str = "local",
    *,
    aws_profile: str | None = None,
    aws_region: str | None = None,
    athena_database: str | None = None,
    log_group: str | None = None,
) -> DoctorReport:
    """Check, read-only, that the account a notebook's parameters name answers flowkit's queries.

    With ``"aws"`` this is :func:`flowkit.aws.doctor` (``flowkit doctor`` on the command line) over the
    Athena table and log group the parameters give: credentials, Region, workgroup, table, partitions,
    data, log group and flow logs, each with its fix. It creates nothing and runs no billed query. With
    ``"local"`` there is no account: the report says so in one skipped check.

    Args:
        backend: ``"local"`` or ``"aws"``.
        aws_profile: the named profile for ``"aws"`` (``None``: the default credential chain).
        aws_region: the Region for ``"aws"``.
        athena_database: ``"database"`` or ``"database.table"`` of the flow-log table.
        log_group: the CloudWatch Logs group of the flow logs.

    Returns:
        The :class:`~flowkit.aws.doctor.DoctorReport` (it shows as a table in a notebook).

    Raises:
        NotebookError: for an unknown backend, or ``"aws"`` without a database or a log group.

    Examples:
        >>> print(check_account("local"))  # doctest: +ELLIPSIS
        flowkit doctor
          [skip] aws account  BACKEND = 'local': the notebooks read DATA; no AWS account to check...
    """
    from flowkit.aws.doctor import Check, DoctorReport, doctor

    _check_backend(backend)
    if backend == "local":
        detail = (
            "BACKEND = 'local': the notebooks read DATA; no AWS account to check. On an account, set BACKEND = "
            "'aws' (or run `flowkit doctor --profile P --athena DB --log-group G`; `flowkit doctor --sandbox` "
            "shows a report offline)"
        )
        return DoctorReport(checks=[Check("aws account", "skip", detail)])
    if not athena_database and not log_group:
        raise NotebookError(
            "BACKEND = 'aws' needs ATHENA_DATABASE (for Athena) and/or LOG_GROUP (for Logs Insights) to check."
        )
    return doctor(
        athena=athena_database or None,
        log_groups=log_group or None,
        boto3_session=_session(aws_profile, aws_region),
    )


def check_period(
    period: tuple[Any, Any] | None, *, required: bool = False, names: str = "START and END"
) -> None:
    """Check a notebook's ``(START, END)``: two times (ISO 8601 text, datetimes or Unix seconds), START first.

    Raises:
        NotebookError: a time does not parse, START is not before END, or (``required``) one is missing.
    """
    from flowkit.errors import FlowkitError
    from flowkit.sql.params import timestamp

    if period is None or all(t is None for t in period):
        if required:
            raise NotebookError(
                f"BACKEND = 'aws': set {names}: every query on AWS is bounded in time, which bounds its cost."
            )
        return
    first, second = names.split(" and ")
    try:
        lo, hi = (timestamp(t) if t is not None else None for t in period)
    except FlowkitError as exc:
        raise NotebookError(f"{names} must be times like '2026-11-02T00:00:00Z': {exc}") from None
    if lo is None or hi is None:
        if required:
            raise NotebookError(f"BACKEND = 'aws': set both {names}.")
        return
    if lo >= hi:
        raise NotebookError(f"{first} ({period[0]}) must be before {second} ({period[1]}).")


def read_records(engine: Engine, start: Any, end: Any, *, max_records: int = MAX_RECORDS) -> pd.DataFrame:
    """The flow records that start in ``[start, end)``, through the engine: DuckDB locally, Athena on AWS.

    The same SQL runs on both (``SELECT *``, bounded in time, so Athena reads only that period's
    partitions); the partition columns are left out, so the frame has the reader's columns. On AWS the
    result's ``attrs["query"]`` says what the query scanned and cost (:func:`query_cost`).

    Raises:
        NotebookError: no records in the period (naming what the local data covers), or more than
            ``max_records`` (narrow the period).
    """
    from flowkit.schema import BY_COLUMN

    frame = engine.sql(
        "SELECT * FROM vpc_flow_logs LIMIT :limit", start=start, end=end, limit=max_records + 1
    )
    if len(frame) > max_records:
        raise NotebookError(
            f"more than {max_records:,} records from {start} to {end}: narrow START and END (or pass max_records)."
        )
    if frame.empty:
        covers = ""
        if hasattr(engine, "columns"):  # the local engine: saying what it covers costs nothing
            span = engine.sql('SELECT min("start") AS first, max("start") AS last FROM vpc_flow_logs')
            first, last = span["first"].iloc[0], span["last"].iloc[0]
            if pd.notna(first):
                covers = f"; the data covers {pd.to_datetime(first, unit='s', utc=True)} to {pd.to_datetime(last, unit='s', utc=True)}"
        raise NotebookError(f"no flow records from {start} to {end}{covers}: check the period's parameters.")
    keep = [c for c in frame.columns if c in BY_COLUMN and c not in ("day", "date")]
    out = frame[keep]
    out.attrs = dict(frame.attrs)
    return out


def delivered_files(engine: Engine, *, limit: int = 10_000) -> list[str]:
    """The flow-log files behind an engine, as AWS delivered them: local paths or ``s3://`` objects.

    Locally, the files of the engine's source (paths relative to its folder, so the delivery layout shows);
    on AWS, the first ``limit`` objects under the Athena table's S3 location (from Glue), in key order. A
    listing costs a few S3 requests, not a query.

    Raises:
        NotebookError: the engine reads records already in memory (simulated), or has no Athena table.
    """
    from pathlib import Path

    source = getattr(engine, "source", None)
    if source is not None:
        if isinstance(source, str | os.PathLike):
            from flowkit.read import list_files

            root = Path(source)
            files = list_files(root)
            return [str(f.relative_to(root)) if root.is_dir() else str(f) for f in files][:limit]
        raise NotebookError("these records were made in memory (simulated): they have no files.")
    athena = getattr(engine, "athena", None)
    if athena is None:
        raise NotebookError("no Athena table to find the files of: set ATHENA_DATABASE.")
    from flowkit import sessions
    from flowkit.aws.athena import get_table
    from flowkit.layout import is_flow_log_name

    location = get_table(athena.database, athena.table, boto3_session=engine.session)["StorageDescriptor"][
        "Location"
    ]
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    s3 = sessions.client("s3", engine.session)
    found: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [
            f"s3://{bucket}/{item['Key']}"
            for item in page.get("Contents", [])
            if is_flow_log_name(item["Key"].rsplit("/", 1)[-1])
        ]
        if len(found) >= limit:
            break
    return found[:limit]


def file_head(engine: Engine, path: str, lines: int = 2) -> str:
    """The first ``lines`` lines of one delivered file (:func:`delivered_files`), as AWS wrote them.

    A text file (``.log.gz``) shows its header and first records; a Parquet file has no lines, so its
    column names and first records are shown joined by spaces, as the text format would have them.
    """
    import gzip
    import io
    from pathlib import Path

    if path.startswith("s3://"):
        from flowkit import sessions

        bucket, _, key = path.removeprefix("s3://").partition("/")
        data = sessions.client("s3", engine.session).get_object(Bucket=bucket, Key=key)["Body"].read()
    else:
        source = Path(engine.source)  # type: ignore[attr-defined]
        data = ((source / path) if source.is_dir() else Path(path)).read_bytes()
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data)).slice(0, max(lines - 1, 0))
        rows = [" ".join(table.column_names)]
        rows += [" ".join("-" if v is None else str(v) for v in row.values()) for row in table.to_pylist()]
        return "\n".join(rows)
    text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return "\n".join(text.decode("utf-8", errors="replace").splitlines()[:lines])


def query_cost(frame: pd.DataFrame) -> str:
    """What the query behind a result scanned and cost, in one line (from its ``attrs["query"]``)."""
    query = frame.attrs.get("query")
    if not query:
        return "local engine (DuckDB): no charge"
    if "data_scanned_bytes" in query:
        return (
            f"Athena query {query.get('query_execution_id')}: {query.get('state')}, scanned "
            f"{query['data_scanned_bytes'] / 1024**2:.1f} MB, about USD {query.get('cost_usd', 0):.4f}"
        )
    return (
        f"Logs Insights query {query.get('query_id')}: {query.get('status')}, scanned "
        f"{float(query.get('bytes_scanned') or 0) / 1024**2:.1f} MB, about USD {query.get('cost_usd', 0):.4f}"
    )


def setup_display() -> None:
    """Show tables whole in a notebook: no text cut at 50 characters, every column, wide lines.

    Sets pandas' display options (``display.max_colwidth``, ``display.max_columns``, ``display.width``);
    flowkit calls it only where a notebook asks.
    """
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", 60)
    pd.set_option("display.width", 250)


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise NotebookError(f"BACKEND must be 'local' or 'aws', not {backend!r}.")


def _session(profile: str | None, region: str | None) -> boto3.Session:
    from flowkit import sessions  # boto3 is imported only inside flowkit.sessions' functions

    try:
        return sessions.profile_session(profile, region)
    except Exception as exc:  # ProfileNotFound (an AWSError from flowkit.sessions), a bad config file
        if not (isinstance(exc, AWSError) or sessions.is_aws_error(exc)):
            raise
        raise NotebookError(f"AWS_PROFILE {profile!r}: {exc}; see `aws configure list-profiles`.") from exc
