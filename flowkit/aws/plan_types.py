"""The plan value types: :class:`AwsCall` and :class:`FlowLogPlan`, printable in a notebook and as JSON.

Made by :func:`flowkit.aws.plan_flow_logs` and :func:`flowkit.aws.plan_cloudwatch_flow_logs`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from flowkit.aws import policies

__all__ = ["AwsCall", "FlowLogPlan"]


@dataclass(frozen=True)
class AwsCall:
    """One AWS API call of a plan.

    Attributes:
        service: boto3 client name (``ec2``, ``logs``, ``iam``).
        operation: boto3 method name (``create_flow_logs``).
        params: the exact keyword arguments.
        purpose: what the call is for.
        only_if: when apply skips it (e.g. the log group exists), or ``None`` if always made.
    """

    service: str
    operation: str
    params: dict[str, Any]
    purpose: str
    only_if: str | None = None


@dataclass(frozen=True)
class FlowLogPlan:
    """What enabling flow logs will do. Made by :func:`plan_flow_logs` / :func:`plan_cloudwatch_flow_logs`.

    Attributes:
        destination_type: ``"s3"`` or ``"cloud-watch-logs"``.
        resource_ids: the VPCs, subnets, ENIs or transit gateways to log.
        destination: the bucket ARN (with prefix) or the log group name.
        log_format: the effective format (the default format if none was given).
        custom_format: whether ``LogFormat`` is sent (False means AWS's default format).
        record_version: the ``version`` value records will carry.
        calls: the AWS calls, in order.
        delivery_paths: where records land (S3 prefixes with placeholders, or log group/streams).
        permissions: named policies the delivery needs (bucket policy, or role trust and permissions).
        caller_permissions: IAM actions the caller needs to apply the plan.
        cost_notes: what the flow log will cost, roughly.
        notes: other facts worth knowing (placeholders, automatic bucket policy, ...).
        account_id: the account, or ``None`` when not looked up (placeholders are shown instead).
        region: the Region, or ``None``.
        options: the settings as given (traffic type, interval, file format, hive, per hour, ...).
    """

    destination_type: str
    resource_ids: tuple[str, ...]
    destination: str
    log_format: str
    custom_format: bool
    record_version: int
    calls: tuple[AwsCall, ...]
    delivery_paths: tuple[str, ...]
    permissions: dict[str, dict] = field(default_factory=dict)
    caller_permissions: tuple[str, ...] = ()
    cost_notes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    account_id: str | None = None
    region: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data (JSON-ready)."""
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The plan as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def __str__(self) -> str:
        where = f"account {self.account_id or '<account-id>'}, region {self.region or '<region>'}"
        lines = [
            f"Flow-log plan: {', '.join(self.resource_ids)} -> {self.destination_type} {self.destination} "
            f"({where})",
            f"  format (version {self.record_version}{'' if self.custom_format else ', AWS default'}): "
            f"{self.log_format}",
            "  calls:",
        ]
        for i, call in enumerate(self.calls, 1):
            cond = f" [only if {call.only_if}]" if call.only_if else ""
            lines.append(f"    {i}. {call.service}.{call.operation}{cond}: {call.purpose}")
            lines.append(f"       {json.dumps(call.params, default=str)}")
        lines.append("  records land in:")
        lines += [f"    {p}" for p in self.delivery_paths]
        for name, policy in self.permissions.items():
            lines.append(f"  {name}:")
            lines += ["    " + ln for ln in policies.policy_json(policy).splitlines()]
        lines.append(f"  caller needs: {', '.join(self.caller_permissions)}")
        lines += [f"  cost: {n}" for n in self.cost_notes]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = "\n".join(
            f"| {i} | `{c.service}.{c.operation}` | {c.purpose}"
            f"{f' (only if {c.only_if})' if c.only_if else ''} "
            f"| `{json.dumps(c.params, default=str)}` |"
            for i, c in enumerate(self.calls, 1)
        )
        perms = "\n\n".join(
            f"**{name}**\n\n```json\n{policies.policy_json(p)}\n```" for name, p in self.permissions.items()
        )
        bullets = "\n".join(f"- {n}" for n in (*self.cost_notes, *self.notes))
        paths = "\n".join(f"- `{p}`" for p in self.delivery_paths)
        return (
            f"### Flow-log plan: {', '.join(self.resource_ids)} → {self.destination_type} "
            f"`{self.destination}`\n\n"
            f"Account `{self.account_id or '<account-id>'}`, Region `{self.region or '<region>'}`. "
            f"Format (records carry version {self.record_version}): `{self.log_format}`\n\n"
            f"| # | call | purpose | parameters |\n|---|---|---|---|\n{rows}\n\n"
            f"Records land in:\n\n{paths}\n\n{perms}\n\n"
            f"Caller needs: {', '.join(f'`{a}`' for a in self.caller_permissions)}\n\n{bullets}\n"
        )
