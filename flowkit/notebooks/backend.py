"""A notebook's parameters to the thing it queries: the bundled data or a real account, in one call.

Every notebook has a ``BACKEND`` parameter, ``"local"`` by default:

- :func:`open_engine` gives the local DuckDB engine over ``DATA`` when ``BACKEND == "local"``, and the AWS
  engine (Athena and/or Logs Insights) when ``BACKEND == "aws"``; both answer ``.sql()``, ``.query()`` and
  ``.insights()`` the same way, so the cells after it do not change.
- :func:`aws_target` gives where notebook 01's control-plane steps (enabling flow logs) run: the offline moto
  sandbox for ``"local"``, your account for ``"aws"``.
- :func:`check_account` runs :func:`flowkit.aws.doctor` (read-only) on the account the parameters name, so a
  notebook says what to fix before its first query fails.

Credentials are never parameters: a real account is reached through a named profile (``AWS_PROFILE``) or the
default credential chain.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flowkit.errors import AWSError, NotebookError

if TYPE_CHECKING:
    import boto3

    from flowkit.aws.doctor import DoctorReport
    from flowkit.aws.sandbox import Sandbox
    from flowkit.engines import Engine

BACKENDS = ("local", "aws")


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
) -> Engine:
    """The query engine a notebook's parameters name.

    Args:
        backend: ``"local"`` (DuckDB over ``data``) or ``"aws"`` (Athena / CloudWatch Logs Insights).
        data: local flow logs (file or folder); default the bundled sample.
        aws_profile: a named profile from the AWS config files (``None``: the default credential chain).
        aws_region: the Region (``None``: the profile's).
        athena_database: ``"database"`` or ``"database.table"`` of the flow-log table, for Athena.
        athena_workgroup: the Athena workgroup.
        athena_output: the Athena results location (``s3://...``), if the workgroup does not set one.
        log_group: the CloudWatch Logs group of the flow logs, for Logs Insights.

    Returns:
        A :class:`~flowkit.engines.local.LocalEngine` or the AWS engine.

    Raises:
        NotebookError: for an unknown backend, or ``"aws"`` without a database or a log group.
    """
    from flowkit.engines import connect

    _check_backend(backend)
    if backend == "local":
        return connect(data)
    if not athena_database and not log_group:
        raise NotebookError(
            "BACKEND = 'aws' needs ATHENA_DATABASE (for Athena) and/or LOG_GROUP (for Logs Insights)."
        )
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
