"""Carry out a flow-log plan: create what is missing and nothing more, and say what happened.

:func:`apply` is idempotent. Before creating anything it looks up the flow logs already on each
resource (``describe_flow_logs`` with a ``resource-id`` filter); a flow log with the same
destination and settings is reported as existing, not duplicated. The log group and delivery role
of a CloudWatch Logs plan are likewise reused when present. Per-resource failures that
``create_flow_logs`` returns in ``Unsuccessful`` (not as exceptions) are raised as
:class:`~flowkit.errors.ApplyError` carrying AWS's message, and any error part-way names what was
already created, so nothing half-made goes unreported.

:func:`describe_flow_logs` shows the flow logs on resources as a DataFrame.

Examples (in the sandbox; with a real session the same calls act on a real account)::

    with flowkit.aws.sandbox() as sb:
        plan = flowkit.aws.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/",
                                          boto3_session=sb.session)
        result = flowkit.aws.apply(plan, boto3_session=sb.session)
        flowkit.aws.describe_flow_logs([sb.vpc_id], boto3_session=sb.session)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit import schema, sessions
from flowkit.aws.plan import AwsCall, FlowLogPlan
from flowkit.errors import ApplyError, AWSError, FormatError
from flowkit.frames import with_flowkit_dtypes

if TYPE_CHECKING:
    import boto3

__all__ = ["ApplyResult", "apply", "describe_flow_logs"]


@dataclass
class ApplyResult:
    """What :func:`apply` did.

    Attributes:
        plan: the plan applied.
        created: resources created (``{"kind", "id", "resource_id"?}``).
        existing: resources found already in place and reused (same shape).
        responses: the raw API responses of the calls made (without ``ResponseMetadata``).
        sandbox: whether this ran against the moto sandbox rather than AWS.
    """

    plan: FlowLogPlan
    created: list[dict] = field(default_factory=list)
    existing: list[dict] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)
    sandbox: bool = False

    @property
    def flow_log_ids(self) -> list[str]:
        """IDs of the plan's flow logs, created now or found in place."""
        return [item["id"] for item in (*self.created, *self.existing) if item["kind"] == "flow-log"]

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (JSON-ready)."""
        return {
            "sandbox": self.sandbox,
            "created": self.created,
            "existing": self.existing,
            "flow_log_ids": self.flow_log_ids,
            "responses": self.responses,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def __str__(self) -> str:
        head = "SANDBOX (moto, in-process; nothing reached AWS): " if self.sandbox else ""
        lines = [f"{head}applied flow-log plan for {', '.join(self.plan.resource_ids)}"]
        lines += [f"  created  {c['kind']} {c['id']}{_on(c)}" for c in self.created]
        lines += [
            f"  existing {c['kind']} {c['id']}{_on(c)} (already in place, not duplicated)"
            for c in self.existing
        ]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        head = "**SANDBOX** (moto, in-process; nothing reached AWS)\n\n" if self.sandbox else ""
        rows = [f"| created | {c['kind']} | `{c['id']}` | {c.get('resource_id', '')} |" for c in self.created]
        rows += [
            f"| existing | {c['kind']} | `{c['id']}` | {c.get('resource_id', '')} |" for c in self.existing
        ]
        return head + "| status | kind | id | resource |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"


def _on(item: dict) -> str:
    return f" on {item['resource_id']}" if item.get("resource_id") else ""


def apply(plan: FlowLogPlan, *, boto3_session: boto3.Session | None = None) -> ApplyResult:
    """Create what the plan describes and is not there yet.

    Args:
        plan: from :func:`~flowkit.aws.plan_flow_logs` or :func:`~flowkit.aws.plan_cloudwatch_flow_logs`.
        boto3_session: the session to act with (default: the boto3 credential chain).

    Returns:
        What was created and what was found in place.

    Raises:
        ApplyError: when AWS refuses a call or reports ``Unsuccessful`` items; its message has
            AWS's reason, and ``.created`` lists what had been created before the failure.
    """
    from flowkit.aws.sandbox import is_sandbox

    session = sessions.session(boto3_session)
    result = ApplyResult(plan=plan, sandbox=is_sandbox(session))
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = sessions.client(service, session)
        return clients[service]

    created_group = False
    created_role = False
    for call in plan.calls:
        try:
            if call.operation == "create_log_group":
                if _log_group_exists(client("logs"), call.params["logGroupName"]):
                    result.existing.append({"kind": "log-group", "id": call.params["logGroupName"]})
                    continue
                _call(client("logs"), call, result)
                result.created.append({"kind": "log-group", "id": call.params["logGroupName"]})
                created_group = True
            elif call.operation == "put_retention_policy":
                if created_group:
                    _call(client("logs"), call, result)
            elif call.operation == "create_role":
                existing = _role_arn(client("iam"), call.params["RoleName"])
                if existing:
                    result.existing.append({"kind": "iam-role", "id": existing})
                    continue
                response = _call(client("iam"), call, result)
                result.created.append({"kind": "iam-role", "id": response["Role"]["Arn"]})
                created_role = True
            elif call.operation == "put_role_policy":
                if created_role:
                    _call(client("iam"), call, result)
            elif call.operation == "create_flow_logs":
                _create_flow_logs(client("ec2"), call, result)
            else:  # pragma: no cover - plans only hold the calls above
                raise AWSError(f"unknown call in plan: {call.service}.{call.operation}")
        except AWSError:
            raise
        except Exception as exc:
            if not sessions.is_aws_error(exc):  # a bug in flowkit: let it show
                raise
            raise ApplyError(
                f"{call.service}.{call.operation} failed: {sessions.aws_reason(exc)}.", created=result.created
            ) from exc
    return result


def _call(client: Any, call: AwsCall, result: ApplyResult) -> dict:
    response = getattr(client, call.operation)(**call.params)
    result.responses.append(
        {"call": f"{call.service}.{call.operation}", "response": sessions.strip_metadata(response)}
    )
    return response


def _log_group_exists(logs: Any, name: str) -> bool:
    paginator = logs.get_paginator("describe_log_groups")
    for page in paginator.paginate(logGroupNamePrefix=name):
        if any(g["logGroupName"] == name for g in page.get("logGroups", [])):
            return True
    return False


def _role_arn(iam: Any, name: str) -> str | None:
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except Exception as exc:
        if sessions.aws_reason(exc).startswith("NoSuchEntity"):
            return None
        raise


def _create_flow_logs(ec2: Any, call: AwsCall, result: ApplyResult) -> None:
    params = dict(call.params)
    found = _existing_flow_logs(ec2, params["ResourceIds"])
    missing = []
    for rid in params["ResourceIds"]:
        match = next((fl for fl in found if fl["ResourceId"] == rid and _matches(fl, params)), None)
        if match:
            result.existing.append({"kind": "flow-log", "id": match["FlowLogId"], "resource_id": rid})
        else:
            missing.append(rid)
    if not missing:
        return
    params["ResourceIds"] = missing
    response = _call(ec2, AwsCall(call.service, call.operation, params, call.purpose), result)
    new_ids = list(response.get("FlowLogIds", []))
    owners = _owners(ec2, new_ids)
    if len(owners) != len(new_ids):  # not described (yet): FlowLogIds follow the successful resources
        failed = {item.get("ResourceId") for item in response.get("Unsuccessful", [])}
        owners = dict(zip(new_ids, [rid for rid in missing if rid not in failed], strict=False))
    for fl_id in new_ids:
        result.created.append({"kind": "flow-log", "id": fl_id, "resource_id": owners.get(fl_id)})
    if response.get("Unsuccessful"):
        failures = [
            {
                "resource_id": item.get("ResourceId"),
                "code": item.get("Error", {}).get("Code"),
                "message": item.get("Error", {}).get("Message"),
            }
            for item in response["Unsuccessful"]
        ]
        detail = "; ".join(f"{f['resource_id']}: {f['code']} {f['message']}" for f in failures)
        raise ApplyError(
            f"create_flow_logs was unsuccessful for {detail}", created=result.created, failures=failures
        )


def _owners(ec2: Any, flow_log_ids: list[str]) -> dict[str, str]:
    """Flow log ID -> resource ID, as ``describe_flow_logs`` reports them (empty if it cannot)."""
    if not flow_log_ids:
        return {}
    try:
        found = ec2.describe_flow_logs(FlowLogIds=flow_log_ids).get("FlowLogs", [])
    except Exception as exc:  # the IDs are still reported; only their resources are inferred
        if not sessions.is_aws_error(exc):
            raise
        return {}
    return {fl["FlowLogId"]: fl["ResourceId"] for fl in found}


def _existing_flow_logs(ec2: Any, resource_ids: Sequence[str]) -> list[dict]:
    paginator = ec2.get_paginator("describe_flow_logs")
    flow_logs: list[dict] = []
    for page in paginator.paginate(Filters=[{"Name": "resource-id", "Values": list(resource_ids)}]):
        flow_logs.extend(page.get("FlowLogs", []))
    return flow_logs


def _matches(flow_log: dict, params: dict) -> bool:
    """Whether an existing flow log already does what ``params`` asks for."""
    if flow_log.get("LogDestinationType", "cloud-watch-logs") != params["LogDestinationType"]:
        return False
    if params["LogDestinationType"] == "cloud-watch-logs":
        if flow_log.get("LogGroupName") != params["LogGroupName"]:
            return False
    elif (flow_log.get("LogDestination") or "").rstrip("/") != params["LogDestination"].rstrip("/"):
        return False
    if "TrafficType" in params and flow_log.get("TrafficType") != params["TrafficType"]:
        return False
    if _fields(flow_log.get("LogFormat")) != _fields(params.get("LogFormat")):
        return False
    if flow_log.get("MaxAggregationInterval", 600) != params["MaxAggregationInterval"]:
        return False
    wanted = params.get("DestinationOptions")
    have = flow_log.get("DestinationOptions")
    return not (wanted and have and any(have.get(k) != v for k, v in wanted.items()))


def _fields(log_format: str | None) -> list[str]:
    """The field names of a format, however it is spaced (``None``: the default format)."""
    text = log_format or schema.DEFAULT_FORMAT
    try:
        return [f.name for f in schema.parse_log_format(text, unknown="keep")]
    except FormatError:
        return [text]


_DESCRIBE_COLUMNS = {
    "FlowLogId": "flow_log_id",
    "ResourceId": "resource_id",
    "FlowLogStatus": "status",
    "TrafficType": "traffic_type",
    "LogDestinationType": "destination_type",
    "LogDestination": "destination",
    "LogGroupName": "log_group",
    "LogFormat": "log_format",
    "MaxAggregationInterval": "max_aggregation_interval",
    "DeliverLogsStatus": "deliver_logs_status",
    "DeliverLogsErrorMessage": "deliver_logs_error",
    "DeliverLogsPermissionArn": "deliver_logs_role",
    "CreationTime": "creation_time",
}


def describe_flow_logs(
    resource_ids: Sequence[str] | str | None = None,
    *,
    flow_log_ids: Sequence[str] | None = None,
    boto3_session: boto3.Session | None = None,
) -> pd.DataFrame:
    """The flow logs on the given resources (or all in the Region), one row each.

    Args:
        resource_ids: VPC, subnet, ENI... IDs to filter on (``None``: all).
        flow_log_ids: flow log IDs to filter on.
        boto3_session: the session (default: the boto3 credential chain).

    Returns:
        Columns ``flow_log_id, resource_id, status, traffic_type, destination_type, destination,
        log_group, log_format, max_aggregation_interval, deliver_logs_status, deliver_logs_error,
        deliver_logs_role, creation_time`` (UTC), ``file_format, hive_compatible, per_hour``, ``tags``.

    Raises:
        AWSError: when AWS refuses the call.
    """
    ec2 = sessions.client("ec2", boto3_session)
    kwargs: dict[str, Any] = {}
    if resource_ids is not None:
        ids = [resource_ids] if isinstance(resource_ids, str) else list(resource_ids)
        kwargs["Filters"] = [{"Name": "resource-id", "Values": ids}]
    if flow_log_ids is not None:
        kwargs["FlowLogIds"] = list(flow_log_ids)
    try:
        items = [
            fl
            for page in ec2.get_paginator("describe_flow_logs").paginate(**kwargs)
            for fl in page["FlowLogs"]
        ]
    except Exception as exc:
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(f"describe_flow_logs failed: {sessions.aws_reason(exc)}") from exc
    rows = []
    for fl in items:
        row: dict[str, Any] = {col: fl.get(key) for key, col in _DESCRIBE_COLUMNS.items()}
        options = fl.get("DestinationOptions") or {}
        row["file_format"] = options.get("FileFormat")
        row["hive_compatible"] = options.get("HiveCompatiblePartitions")
        row["per_hour"] = options.get("PerHourPartition")
        row["tags"] = {t["Key"]: t["Value"] for t in fl.get("Tags", [])}
        rows.append(row)
    frame = pd.DataFrame(
        rows, columns=[*_DESCRIBE_COLUMNS.values(), "file_format", "hive_compatible", "per_hour", "tags"]
    )
    frame["creation_time"] = pd.to_datetime(frame["creation_time"], utc=True)
    return with_flowkit_dtypes(frame)
