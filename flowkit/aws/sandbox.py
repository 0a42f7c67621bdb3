"""An offline AWS sandbox: moto in-process, with a fake account, VPC, subnets, ENIs, bucket and log group.

Use it to run the enabling steps end to end without an account; the API responses are moto's
(real shapes, fake resources). Nothing reaches AWS while the sandbox is open. It logs a warning
and its objects say ``SANDBOX`` so no one mistakes its output for a real account's.

moto gaps worked around here, and only here (the real path never sees these patches):

- moto takes an S3 destination ARN with a prefix (``arn:aws:s3:::bucket/prefix/``) for a bucket
  name and reports the bucket missing; real AWS accepts prefixes. Inside the sandbox, bucket
  look-ups ignore everything after the first ``/``.
- moto's Logs Insights returns ``@timestamp`` as epoch milliseconds; the real service returns
  ``YYYY-MM-DD HH:MM:SS.mmm`` (UTC). Inside the sandbox results are given in the real format.
- moto's Logs Insights reads only ``logGroupName(s)`` and fails on ``logGroupIdentifiers`` (which
  flowkit sends for ARNs); inside the sandbox identifiers are read as names.
- moto never runs SQL: Athena results must be queued with :meth:`Sandbox.queue_athena_result`
  (the sandbox says so; compute the frame with the local engine).
- moto delivers no flow-log records: :meth:`Sandbox.deliver` puts files (e.g. the simulator's)
  where the plan's flow log would write them, so reading ``s3://`` works end to end.

Example (notebook 01)::

    with flowkit.aws.sandbox() as sb:
        print(sb)                                   # says it is a sandbox, lists the fake resources
        plan = flowkit.aws.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/",
                                          boto3_session=sb.session)
        result = flowkit.aws.apply(plan, boto3_session=sb.session)
        flowkit.aws.describe_flow_logs([sb.vpc_id], boto3_session=sb.session)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit import layout
from flowkit.errors import AWSError, PlanError, RecordParseError

if TYPE_CHECKING:
    import boto3

    from flowkit.aws.plan_types import FlowLogPlan

__all__ = ["Sandbox", "is_sandbox", "sandbox"]

_log = logging.getLogger(__name__)

BANNER = "SANDBOX: moto in-process, fake account; nothing here reaches AWS."
_MARK = "_flowkit_sandbox"


@dataclass
class Sandbox:
    """The fake resources of a running :func:`sandbox`.

    Attributes:
        session: a boto3 session bound to the sandbox (pass it as ``boto3_session``).
        account_id: the fake account (moto's ``123456789012``).
        region: the Region.
        vpc_id: the VPC (10.0.0.0/16).
        subnet_ids: ``{"public": ..., "private": ...}``.
        eni_ids: ``{"web": ..., "app": ..., "db": ...}`` network interfaces.
        bucket: the flow-log bucket.
        log_group: the CloudWatch Logs group.
        athena_output: where sandbox Athena results are written (``s3://bucket/athena-results/``).
        notes: the moto gaps patched in this sandbox.
    """

    session: boto3.Session
    account_id: str
    region: str
    vpc_id: str
    subnet_ids: dict[str, str]
    eni_ids: dict[str, str]
    bucket: str
    log_group: str
    athena_output: str
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            BANNER,
            f"  account {self.account_id}, region {self.region}",
            f"  VPC {self.vpc_id}, subnets {self.subnet_ids}",
            f"  ENIs {self.eni_ids}",
            f"  bucket {self.bucket}, log group {self.log_group}",
        ]
        return "\n".join(lines + [f"  patched: {n}" for n in self.notes])

    def _repr_markdown_(self) -> str:
        rows = "\n".join(
            f"| {k} | `{v}` |"
            for k, v in [
                ("account", self.account_id),
                ("region", self.region),
                ("VPC", self.vpc_id),
                *[(f"subnet ({k})", v) for k, v in self.subnet_ids.items()],
                *[(f"ENI ({k})", v) for k, v in self.eni_ids.items()],
                ("bucket", self.bucket),
                ("log group", self.log_group),
            ]
        )
        notes = "\n".join(f"- {n}" for n in self.notes)
        table = f"| resource | id |\n|---|---|\n{rows}"
        return f"**{BANNER}**\n\n{table}\n\nmoto gaps patched in the sandbox only:\n\n{notes}\n"

    def deliver(
        self, plan: FlowLogPlan, files: str | Path | Iterable[str | Path], *, flow_log_id: str | None = None
    ) -> list[str]:
        """Put flow-log files where the plan's flow log would deliver them (moto itself makes no data).

        Each file keeps its bytes; its key follows the plan's layout (prefix, plain or Hive,
        daily or hourly) with the sandbox's account and Region and the time in the file's name.

        Args:
            plan: an S3 plan to this sandbox's bucket (applied or not).
            files: delivery files (``<account>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz``
                or ``.log.parquet``), or a directory searched recursively for them (e.g. simulator output).
            flow_log_id: the ID to write in the new names (default: the plan's flow log in the sandbox,
                else the one in each file's name).

        Returns:
            The ``s3://`` URLs written.

        Raises:
            PlanError: if the plan does not deliver to this sandbox's bucket.
            RecordParseError: if a file's name is not a delivery file name.
        """
        options = plan.options
        if plan.destination_type != "s3" or options.get("bucket") != self.bucket:
            raise PlanError(f"deliver() needs a plan to s3://{self.bucket}/, not {plan.destination}.")
        paths = _delivery_files(files)
        if flow_log_id is None:
            from flowkit.aws.apply import describe_flow_logs

            found = describe_flow_logs(list(plan.resource_ids), boto3_session=self.session)
            mine = found[found["destination"].str.rstrip("/") == plan.destination.rstrip("/")]
            flow_log_id = mine["flow_log_id"].iloc[0] if len(mine) else None
        s3 = self.session.client("s3")
        urls = []
        target = layout.layout_name(
            hive=options.get("hive_compatible", False), per_hour=options.get("per_hour", False)
        )
        for path in paths:
            found = layout.parse_key(path.name)
            if found.timestamp is None:
                raise RecordParseError(
                    "not a flow-log delivery file name (<account>_vpcflowlogs_<region>_<fl-id>_"
                    "<YYYYMMDDTHHmmZ>_<hash>.log.gz)",
                    path=str(path),
                    reason="file-name",
                )
            key = options["prefix"] + layout.delivery_prefix(
                self.account_id, self.region, found.timestamp, target
            )
            key += "/" + layout.file_name(
                self.account_id,
                self.region,
                flow_log_id or found.flow_log_id,
                found.timestamp,
                found.digest,
                suffix=found.suffix,
            )
            s3.put_object(Bucket=self.bucket, Key=key, Body=path.read_bytes())
            urls.append(f"s3://{self.bucket}/{key}")
        return urls

    def queue_athena_result(self, frame: pd.DataFrame) -> None:
        """Queue the result the next Athena query in the sandbox will return.

        moto never runs SQL: a queued result is bound to the next ``start_query_execution``. Use it
        to show the AWS code path with a frame computed by the local engine.
        """
        from moto.athena.models import QueryResults, athena_backends

        athena_backends[self.account_id][self.region].query_results_queue.append(
            QueryResults(*athena_result_rows(frame))
        )


def _delivery_files(files: str | Path | Iterable[str | Path]) -> list[Path]:
    items = [files] if isinstance(files, str | Path) else list(files)
    paths: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            paths += sorted(p for p in item.rglob(f"*{layout.SERVICE}*") if p.is_file())
        elif item.is_file():
            paths.append(item)
        else:
            raise RecordParseError("no such file or directory", path=str(item), reason="missing")
    return paths


def athena_result_rows(frame: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """A DataFrame as Athena ``GetQueryResults`` rows (header row first, NULL as ``{}``) and column info."""
    info = [{"Name": str(col), "Type": _athena_type(frame[col])} for col in frame.columns]
    rows = [{"Data": [{"VarCharValue": str(col)} for col in frame.columns]}]
    for record in frame.itertuples(index=False):
        rows.append({"Data": [{} if pd.isna(v) else {"VarCharValue": _athena_text(v)} for v in record]})
    return rows, info


def _athena_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamp"
    return "varchar"


def _athena_text(value: Any) -> str:
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return str(value)


def is_sandbox(boto3_session: boto3.Session | None) -> bool:
    """Whether a session belongs to a :func:`sandbox`."""
    return bool(getattr(boto3_session, _MARK, False))


def _patches() -> tuple[list[Any], list[str]]:
    from unittest import mock

    from moto.logs.models import LogQuery
    from moto.logs.responses import LogsResponse
    from moto.s3.models import S3Backend

    original_get_bucket = S3Backend.get_bucket

    def get_bucket(self: Any, bucket_name: str) -> Any:
        return original_get_bucket(self, bucket_name.split("/", 1)[0])

    original_results = LogQuery.to_result_json

    def to_result_json(self: Any) -> dict[str, Any]:
        out = original_results(self)
        for row in out["results"]:
            for cell in row:
                if cell["field"] == "@timestamp" and cell["value"].isdigit():
                    ts = datetime.fromtimestamp(int(cell["value"]) / 1000, tz=UTC)
                    cell["value"] = ts.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return out

    original_start_query = LogsResponse.start_query

    def start_query(self: Any) -> str:
        identifiers = self._get_param("logGroupIdentifiers")
        if identifiers and not self._get_param("logGroupNames") and not self._get_param("logGroupName"):
            names = [i.split(":log-group:", 1)[1] if i.startswith("arn:") else i for i in identifiers]
            read = self._get_param
            self._get_param = lambda key, *a, **k: names if key == "logGroupNames" else read(key, *a, **k)
        return original_start_query(self)

    patches = [
        mock.patch.object(S3Backend, "get_bucket", get_bucket),
        mock.patch.object(LogQuery, "to_result_json", to_result_json),
        mock.patch.object(LogsResponse, "start_query", start_query),
    ]
    notes = [
        "S3 destination ARNs with a prefix are accepted (moto takes the prefix for part of the bucket name).",
        "Logs Insights @timestamp is returned as 'YYYY-MM-DD HH:MM:SS.mmm' like AWS (moto gives epoch ms).",
        "Logs Insights takes logGroupIdentifiers (names or ARNs) like AWS (moto reads only logGroupNames).",
        "Athena never runs SQL in moto: queue results with sb.queue_athena_result(frame).",
    ]
    return patches, notes


@contextlib.contextmanager
def sandbox(
    *,
    region: str = "us-east-1",
    bucket: str | None = None,
    log_group: str = "/flowkit/sandbox/vpc-flow-logs",
    seed: int | None = 7,
) -> Iterator[Sandbox]:
    """Run AWS calls against moto in-process, with a fake account and network, until the block ends.

    Args:
        region: the fake Region.
        bucket: the flow-log bucket name (default ``flowkit-sandbox-<account>``).
        log_group: the CloudWatch Logs group created in the sandbox.
        seed: seeds moto's ID generator so the fake IDs (VPC, flow logs, ...) are the same on every
            run; ``None`` leaves them random.

    Yields:
        The sandbox: pass ``sb.session`` as ``boto3_session`` to flowkit's AWS functions.

    Raises:
        AWSError: if moto is not installed.
    """
    try:
        import boto3
        from moto import mock_aws
        from moto.core import DEFAULT_ACCOUNT_ID
    except ImportError as exc:  # pragma: no cover - moto is a dependency
        raise AWSError(
            f"the sandbox needs moto: pip install 'moto[ec2,s3,iam,glue,athena,logs]' ({exc})."
        ) from exc

    patches, notes = _patches()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock_aws())
        if seed is not None:
            from moto.moto_api._internal import mock_random

            mock_random.seed(seed)
        for patch in patches:
            stack.enter_context(patch)
        session = boto3.Session(
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
            aws_session_token="sandbox",
            region_name=region,
        )
        setattr(session, _MARK, True)
        sb = _build(
            session, DEFAULT_ACCOUNT_ID, region, bucket or f"flowkit-sandbox-{DEFAULT_ACCOUNT_ID}", log_group
        )
        sb.notes.extend(notes)
        _log.warning("%s VPC %s, bucket %s", BANNER, sb.vpc_id, sb.bucket)
        yield sb


def _build(session: boto3.Session, account_id: str, region: str, bucket: str, log_group: str) -> Sandbox:
    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "flowkit-sandbox"}]}],
    )["Vpc"]["VpcId"]
    subnets = {}
    for name, cidr, az in (("public", "10.0.1.0/24", "a"), ("private", "10.0.2.0/24", "b")):
        subnets[name] = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{region}{az}")[
            "Subnet"
        ]["SubnetId"]
    enis = {}
    for name, subnet, ip in (
        ("web", "public", "10.0.1.10"),
        ("app", "private", "10.0.2.20"),
        ("db", "private", "10.0.2.30"),
    ):
        enis[name] = ec2.create_network_interface(
            SubnetId=subnets[subnet], PrivateIpAddress=ip, Description=f"flowkit sandbox {name}"
        )["NetworkInterface"]["NetworkInterfaceId"]
    s3 = session.client("s3")
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    session.client("logs").create_log_group(logGroupName=log_group)
    return Sandbox(
        session=session,
        account_id=account_id,
        region=region,
        vpc_id=vpc_id,
        subnet_ids=subnets,
        eni_ids=enis,
        bucket=bucket,
        log_group=log_group,
        athena_output=f"s3://{bucket}/athena-results/",
    )
