"""Plan flow logs before enabling them: every AWS call with its exact parameters, and why.

:func:`plan_flow_logs` (S3 destination) and :func:`plan_cloudwatch_flow_logs` (CloudWatch Logs
destination) make no change anywhere. They return a :class:`FlowLogPlan` that lists each call
(``ec2.create_flow_logs`` with its parameters, and for CloudWatch Logs the log group and the
delivery role), the permissions the delivery needs (bucket policy, or role and trust policy),
where records will land, and cost notes. It prints as a table in a notebook and as JSON.
:func:`flowkit.aws.apply` carries it out.

Examples:
    >>> plan = plan_flow_logs(["vpc-0abc1234"], "s3://my-flow-logs/team-a/", account_id="111122223333",
    ...                       region="eu-west-1")
    >>> plan.calls[0].operation, plan.calls[0].params["LogDestination"]
    ('create_flow_logs', 'arn:aws:s3:::my-flow-logs/team-a/')
    >>> plan.delivery_paths[0]
    's3://my-flow-logs/team-a/AWSLogs/111122223333/vpcflowlogs/eu-west-1/YYYY/MM/DD/'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowkit import layout, schema
from flowkit.aws import policies
from flowkit.aws.plan_types import AwsCall, FlowLogPlan
from flowkit.errors import FormatError, PlanError

if TYPE_CHECKING:
    import boto3

__all__ = [
    "MAX_RESOURCE_IDS",
    "MAX_TRANSIT_RESOURCE_IDS",
    "AwsCall",
    "FlowLogPlan",
    "max_resource_ids",
    "plan_cloudwatch_flow_logs",
    "plan_flow_logs",
    "resource_type",
]

_RESOURCE_TYPES = (  # ID prefix -> CreateFlowLogs ResourceType (longest prefix first)
    ("tgw-attach-", "TransitGatewayAttachment"),
    ("tgw-", "TransitGateway"),
    ("vpc-", "VPC"),
    ("subnet-", "Subnet"),
    ("eni-", "NetworkInterface"),
)
_TRANSIT = ("TransitGateway", "TransitGatewayAttachment")
#: Resource IDs one CreateFlowLogs call takes, as botocore's EC2 model documents ``ResourceIds``
#: ("Constraints: Maximum of 25 for transit gateway resource types. Maximum of 300 for the other
#: resource types."; it was 1000 before botocore 1.44). A plan splits longer lists into calls.
MAX_RESOURCE_IDS = 300
MAX_TRANSIT_RESOURCE_IDS = 25
_ID = re.compile(r"^(vpc|subnet|eni|tgw|tgw-attach)-[0-9a-f]{8,17}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^([A-Za-z0-9!_.*()=-]+(/[A-Za-z0-9!_.*()=-]+)*)?$")
_FILE_FORMATS = {"plain-text": "plain-text", "text": "plain-text", "parquet": "parquet"}

_S3_COSTS = (
    "Flow log delivery to S3 is billed as vended logs, about USD 0.25/GB for the first 10 TB a month in "
    "us-east-1 (check aws.amazon.com/cloudwatch/pricing for your Region); Parquet conversion adds about "
    "USD 0.035/GB. S3 storage is billed as usual: set a lifecycle rule.",
    "Athena bills the data each query scans (USD 5/TB, 10 MB minimum per query): Parquet and partitions "
    "(time-bounded queries) cut it.",
)
_CWL_COSTS = (
    "Flow log delivery to CloudWatch Logs is billed as vended-log ingestion, about USD 0.50/GB for the first "
    "10 TB a month in us-east-1, plus storage (about USD 0.03/GB-month): set a retention period.",
    "Logs Insights bills the data each query scans (about USD 0.005/GB): give every query a time range.",
)
_INTERVAL_NOTE = (
    "MaxAggregationInterval 60 s gives finer records than the default 600 s, and so more records and more "
    "cost; Nitro instances aggregate at 60 s or less whatever is set."
)


def resource_type(resource_id: str) -> str:
    """The CreateFlowLogs ``ResourceType`` of an ID (``vpc-...`` -> ``VPC``).

    Raises:
        PlanError: if the ID is not a VPC, subnet, ENI or transit gateway (attachment) ID.
    """
    if not isinstance(resource_id, str) or not _ID.match(resource_id):
        raise PlanError(
            f"{resource_id!r} is not a VPC, subnet, network interface or transit gateway ID "
            "(expected e.g. vpc-0abc1234, subnet-..., eni-..., tgw-..., tgw-attach-...)."
        )
    return next(kind for prefix, kind in _RESOURCE_TYPES if resource_id.startswith(prefix))


@dataclass(frozen=True)
class _Request:
    """What both planners check the same way: the resources (grouped by type), the flow-log options,
    the format (as :func:`_format` returns it) and where the plan is for."""

    ids: list[str]
    groups: dict[str, list[str]]
    traffic_type: str
    interval: int
    fmt: tuple[str, bool, int]
    tags: dict[str, str] | None
    account_id: str | None
    region: str | None


def _check_common(resource_ids: Iterable[str], traffic_type: str, max_aggregation_interval: int):
    ids = [resource_ids] if isinstance(resource_ids, str) else list(resource_ids)
    if not ids:
        raise PlanError("no resource IDs given: name at least one VPC, subnet or network interface.")
    if len(ids) != len(set(ids)):
        raise PlanError(f"resource IDs repeat: {ids}.")
    groups: dict[str, list[str]] = {}
    for rid in ids:
        groups.setdefault(resource_type(rid), []).append(rid)
    if traffic_type not in ("ALL", "ACCEPT", "REJECT"):
        raise PlanError(f"traffic_type must be ALL, ACCEPT or REJECT, not {traffic_type!r}.")
    if isinstance(max_aggregation_interval, bool) or max_aggregation_interval not in (60, 600):
        raise PlanError(
            f"max_aggregation_interval must be 60 or 600 seconds, not {max_aggregation_interval!r} "
            "(AWS accepts only these two)."
        )
    if any(k in _TRANSIT for k in groups) and max_aggregation_interval != 60:
        raise PlanError("transit gateway flow logs must use max_aggregation_interval=60.")
    return ids, groups


def _format(log_format: schema.LogFormatSpec | None) -> tuple[str, bool, int]:
    if log_format is None:
        return schema.DEFAULT_FORMAT, False, 2
    try:
        fields = schema.resolve_log_format(log_format, max_version=schema.MAX_FORMAT_VERSION)
    except FormatError as exc:
        raise PlanError(f"log_format: {exc}") from None
    return schema.format_string(fields), True, schema.record_version(fields)


def _resolve(
    account_id: str | None, region: str | None, boto3_session: boto3.Session | None
) -> tuple[str | None, str | None]:
    if boto3_session is None:
        return account_id, region
    from flowkit import sessions

    if account_id is None:
        account_id, found_region = sessions.account_and_region(boto3_session)
        region = region or found_region
    return account_id, region or boto3_session.region_name


def max_resource_ids(resource_type: str) -> int:
    """How many IDs of ``resource_type`` one CreateFlowLogs call takes (300; 25 for transit gateways).

    Examples:
        >>> max_resource_ids("VPC"), max_resource_ids("TransitGatewayAttachment")
        (300, 25)
    """
    return MAX_TRANSIT_RESOURCE_IDS if resource_type in _TRANSIT else MAX_RESOURCE_IDS


def _batches(groups: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """``(type, ids)`` per CreateFlowLogs call: each type's IDs in slices the API takes."""
    out = []
    for kind, ids in groups.items():
        step = max_resource_ids(kind)
        out += [(kind, ids[i : i + step]) for i in range(0, len(ids), step)]
    return out


def _flow_log_calls(groups, traffic_type, interval, fmt, custom, tags, extra) -> list[AwsCall]:
    calls = []
    for kind, ids in _batches(groups):
        params: dict[str, Any] = {"ResourceIds": ids, "ResourceType": kind}
        if kind not in _TRANSIT:
            params["TrafficType"] = traffic_type
        params.update(extra)
        if custom:
            params["LogFormat"] = fmt
        params["MaxAggregationInterval"] = interval
        if tags:
            params["TagSpecifications"] = [
                {"ResourceType": "vpc-flow-log", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ]
        calls.append(
            AwsCall("ec2", "create_flow_logs", params, f"create the flow log for {len(ids)} {kind}(s)")
        )
    return calls


def parse_s3_destination(destination: str) -> tuple[str | None, str, str]:
    """Split an ``s3://bucket/prefix`` URL or an S3 ARN into ``(partition, bucket, prefix/)``.

    The partition is the ARN's (``aws``, ``aws-cn``, ``aws-us-gov``), ``None`` for an ``s3://`` URL.
    """
    text = destination.strip()
    partition = None
    if text.startswith("s3://"):
        rest = text[5:]
    elif m := re.match(r"^arn:(aws[a-z-]*):s3:::(.+)$", text):
        partition, rest = m.group(1), m.group(2)
    else:
        raise PlanError(
            f"S3 destination {destination!r} must be s3://bucket/prefix/ or arn:aws:s3:::bucket/prefix/."
        )
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket):
        raise PlanError(f"{bucket!r} in {destination!r} is not a valid S3 bucket name.")
    prefix = prefix.strip("/")
    if not _PREFIX.match(prefix):
        raise PlanError(
            f"S3 prefix {prefix!r} in {destination!r}: use letters, digits and ! - _ . * ( ) = / only "
            "(no spaces, quotes or empty folders)."
        )
    if layout.ROOT in prefix.split("/"):
        raise PlanError(
            f"the S3 prefix {prefix!r} may not contain the folder '{layout.ROOT}' (AWS reserves it)."
        )
    return partition, bucket, f"{prefix}/" if prefix else ""


def plan_flow_logs(
    resource_ids: Sequence[str] | str,
    destination: str,
    *,
    log_format: schema.LogFormatSpec | None = None,
    file_format: str = "plain-text",
    hive_compatible: bool = False,
    per_hour: bool = False,
    traffic_type: str = "ALL",
    max_aggregation_interval: int = 60,
    tags: dict[str, str] | None = None,
    account_id: str | None = None,
    region: str | None = None,
    boto3_session: boto3.Session | None = None,
) -> FlowLogPlan:
    """Plan flow logs delivered to S3. Makes no change.

    Args:
        resource_ids: VPC, subnet, network interface or transit gateway IDs (types may be mixed:
            one ``create_flow_logs`` call per type, and per 300 IDs, 25 for transit gateways).
        destination: ``s3://bucket/optional/prefix/`` or the bucket ARN.
        log_format: the format, in any spelling of :func:`~flowkit.schema.resolve_log_format`
            (``"security"``, ``"v5"``, a ``${field} ...`` string, a list of fields; see also
            :func:`flowkit.aws.log_format`); versions above 8 are refused; ``None`` for AWS's
            default format.
        file_format: ``"plain-text"`` (gzip text with a header line) or ``"parquet"``.
        hive_compatible: Hive-style ``key=value`` folders.
        per_hour: hourly folders instead of daily.
        traffic_type: ``"ALL"``, ``"ACCEPT"`` or ``"REJECT"``.
        max_aggregation_interval: 60 or 600 seconds.
        tags: tags for the flow log.
        account_id: the account (for the bucket policy and paths); looked up with STS when a
            session is given, else shown as ``<account-id>``.
        region: the Region; taken from the session when one is given.
        boto3_session: used only for STS GetCallerIdentity; ``None`` makes no AWS call at all.

    Returns:
        The plan.

    Raises:
        PlanError: on a bad ID, destination, format, traffic type or interval.
        AWSError: when a session is given but the account cannot be identified.
    """
    ids, groups = _check_common(resource_ids, traffic_type, max_aggregation_interval)
    if file_format not in _FILE_FORMATS:
        raise PlanError(f"file_format must be 'plain-text' or 'parquet', not {file_format!r}.")
    file_format = _FILE_FORMATS[file_format]
    for name, value in (("hive_compatible", hive_compatible), ("per_hour", per_hour)):
        if not isinstance(value, bool):
            raise PlanError(f"{name} must be True or False, not {value!r}.")
    partition, bucket, prefix = parse_s3_destination(destination)
    fmt = _format(log_format)
    account_id, region = _resolve(account_id, region, boto3_session)
    partition = partition or policies.partition_for_region(region)
    request = _Request(ids, groups, traffic_type, max_aggregation_interval, fmt, tags, account_id, region)
    arn = f"arn:{partition}:s3:::{bucket}/{prefix}" if prefix else f"arn:{partition}:s3:::{bucket}"
    options = {
        "FileFormat": file_format,
        "HiveCompatiblePartitions": hive_compatible,
        "PerHourPartition": per_hour,
    }
    extra = {"LogDestinationType": "s3", "LogDestination": arn, "DestinationOptions": options}
    acct, reg = account_id or "<account-id>", region or "<region>"
    where = layout.layout_name(hive=hive_compatible, per_hour=per_hour)
    path = layout.delivery_prefix(acct, reg, None, where) + "/"
    suffix = layout.delivery_suffix(file_format)
    return _finish_plan(
        "s3",
        request,
        extra,
        destination=arn,
        delivery_paths=(f"s3://{bucket}/{prefix}{path}",),
        permissions={
            "bucket policy": policies.s3_bucket_policy(
                bucket, prefix, acct, reg, hive=hive_compatible, partition=partition
            )
        },
        caller_permissions=(
            "ec2:CreateFlowLogs",
            "ec2:DescribeFlowLogs",
            "logs:CreateLogDelivery",
            "logs:DeleteLogDelivery",
            "s3:GetBucketPolicy",
        ),
        cost_notes=(*_S3_COSTS, _INTERVAL_NOTE),
        notes=[
            f"Files: {layout.file_name(acct, reg, suffix=suffix)}, one or more every 5 minutes.",
            "Add the bucket policy below to the bucket (merge it with any existing statements). If the caller "
            "also holds s3:PutBucketPolicy, AWS attaches it itself, REPLACING any existing bucket policy; "
            "flowkit's enable-flow-logs policy leaves that right out on purpose (it would let its holder "
            "rewrite the bucket's access).",
            "A flow log cannot be changed after creation: to change the format, delete it and create a new one.",
        ],
        options={
            "file_format": file_format,
            "hive_compatible": hive_compatible,
            "per_hour": per_hour,
            "bucket": bucket,
            "prefix": prefix,
        },
    )


def plan_cloudwatch_flow_logs(
    resource_ids: Sequence[str] | str,
    log_group: str,
    *,
    role_arn: str | None = None,
    role_name: str = "flowkit-flow-logs-delivery",
    log_format: schema.LogFormatSpec | None = None,
    traffic_type: str = "ALL",
    max_aggregation_interval: int = 60,
    retention_days: int | None = 30,
    tags: dict[str, str] | None = None,
    account_id: str | None = None,
    region: str | None = None,
    boto3_session: boto3.Session | None = None,
) -> FlowLogPlan:
    """Plan flow logs delivered to a CloudWatch Logs group. Makes no change.

    Args:
        resource_ids: VPC, subnet, network interface or transit gateway IDs.
        log_group: the log group name (created if missing, with ``retention_days``).
        role_arn: an existing delivery role; ``None`` plans creating ``role_name`` with the trust
            and permission policies shown in the plan.
        role_name: name of the role to create when ``role_arn`` is ``None``.
        log_format: the format, as for :func:`plan_flow_logs`, or ``None`` for AWS's default format
            (the only one Logs Insights discovers fields for; custom formats need ``parse @message``).
        traffic_type: ``"ALL"``, ``"ACCEPT"`` or ``"REJECT"``.
        max_aggregation_interval: 60 or 600 seconds.
        retention_days: retention set on a log group the plan creates (``None``: never expire).
        tags: tags for the flow log.
        account_id: the account; looked up with STS when a session is given.
        region: the Region; taken from the session when one is given.
        boto3_session: used only for STS GetCallerIdentity; ``None`` makes no AWS call.

    Returns:
        The plan.

    Raises:
        PlanError: on bad input.
    """
    ids, groups = _check_common(resource_ids, traffic_type, max_aggregation_interval)
    if not re.match(r"^[\w#/.-]{1,512}$", log_group or ""):
        raise PlanError(f"{log_group!r} is not a valid log group name (letters, digits, _ - / . #).")
    if role_arn is not None and not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", role_arn):
        raise PlanError(f"role_arn {role_arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).")
    fmt = _format(log_format)
    account_id, region = _resolve(account_id, region, boto3_session)
    request = _Request(ids, groups, traffic_type, max_aggregation_interval, fmt, tags, account_id, region)
    acct, reg = account_id or "<account-id>", region or "<region>"
    partition = policies.partition_for_region(region)
    trust = policies.delivery_role_trust_policy(acct, reg, partition=partition)
    permissions = policies.delivery_role_policy(acct, reg, log_group, partition=partition)
    calls = [
        AwsCall(
            "logs",
            "create_log_group",
            {"logGroupName": log_group},
            "create the log group",
            "the group does not exist",
        )
    ]
    if retention_days is not None:
        calls.append(
            AwsCall(
                "logs",
                "put_retention_policy",
                {"logGroupName": log_group, "retentionInDays": retention_days},
                "expire old records",
                "the group was just created",
            )
        )
    if role_arn is None:
        role_arn = f"arn:{partition}:iam::{acct}:role/{role_name}"
        calls += [
            AwsCall(
                "iam",
                "create_role",
                {"RoleName": role_name, "AssumeRolePolicyDocument": json.dumps(trust)},
                "the role flow-log delivery assumes",
                "the role does not exist",
            ),
            AwsCall(
                "iam",
                "put_role_policy",
                {
                    "RoleName": role_name,
                    "PolicyName": "flow-log-delivery",
                    "PolicyDocument": json.dumps(permissions),
                },
                "let the role write to the log group",
                "the role was just created",
            ),
        ]
    extra = {
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": log_group,
        "DeliverLogsPermissionArn": role_arn,
    }
    return _finish_plan(
        "cloud-watch-logs",
        request,
        extra,
        calls=calls,
        destination=log_group,
        delivery_paths=(f"log group {log_group}, streams <eni-id>-all",),
        permissions={"delivery role trust policy": trust, "delivery role permissions": permissions},
        caller_permissions=(
            "ec2:CreateFlowLogs",
            "ec2:DescribeFlowLogs",
            "logs:CreateLogGroup",
            "logs:DescribeLogGroups",
            "logs:PutRetentionPolicy",
            "iam:GetRole",
            "iam:CreateRole",
            "iam:PutRolePolicy",
            "iam:PassRole",
        ),
        cost_notes=(*_CWL_COSTS, _INTERVAL_NOTE),
        notes=[
            "One log stream per network interface (<eni-id>-all); events carry no header line.",
            "Logs Insights discovers fields only for the default format; custom formats need `parse @message`.",
            "If the group is missing or the role lacks rights, the flow log is still created but delivery FAILS "
            "('Access error' in describe_flow_logs).",
        ],
        options={
            "log_group": log_group,
            "role_arn": role_arn,
            "role_name": role_name,
            "retention_days": retention_days,
        },
    )


def _finish_plan(
    destination_type: str,
    request: _Request,
    extra: dict[str, Any],
    *,
    notes: list[str],
    options: dict[str, Any],
    calls: Sequence[AwsCall] = (),
    **fields: Any,
) -> FlowLogPlan:
    """The ending both planners share: the ``create_flow_logs`` calls after ``calls``, the note that no
    AWS call was made, and the plan."""
    log_format, custom, version = request.fmt
    calls = [
        *calls,
        *_flow_log_calls(
            request.groups, request.traffic_type, request.interval, log_format, custom, request.tags, extra
        ),
    ]
    if request.account_id is None:
        notes = [*notes, "No AWS call was made: <account-id>/<region> are filled in when a session is given."]
    return FlowLogPlan(
        destination_type=destination_type,
        resource_ids=tuple(request.ids),
        log_format=log_format,
        custom_format=custom,
        record_version=version,
        calls=tuple(calls),
        notes=tuple(notes),
        account_id=request.account_id,
        region=request.region,
        options={
            "traffic_type": request.traffic_type,
            "max_aggregation_interval": request.interval,
            **options,
        },
        **fields,
    )
