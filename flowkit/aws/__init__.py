"""flowkit on AWS: enable flow logs (plan, then apply), the Athena table, queries, and an offline sandbox.

Names (``import flowkit.aws`` needs neither boto3 nor the network; the AWS modules load on first use):

- ``plan_flow_logs(resource_ids, "s3://bucket/prefix/", *, log_format=None, file_format="plain-text",
  hive_compatible=False, per_hour=False, traffic_type="ALL", max_aggregation_interval=60,
  boto3_session=None)`` and ``plan_cloudwatch_flow_logs(resource_ids, log_group, *, role_arn=None, ...)``
  -> :class:`FlowLogPlan` (flowkit.aws.plan); nothing is changed. ``log_format`` takes every spelling
  of :func:`flowkit.schema.resolve_log_format` (``"security"``, ``"v5"``, ``${...}``, a field list),
  up to version 8; the delivery paths and file names come from :mod:`flowkit.layout`.
- ``apply(plan, *, boto3_session=None)`` -> ``ApplyResult``; ``describe_flow_logs(resource_ids, *,
  boto3_session=None)`` -> DataFrame (flowkit.aws.apply).
- ``log_format(*sets_or_fields, version=None)``, ``fields_up_to(version)`` (flowkit.aws.formats);
  ``NAMED_SETS`` and ``MAX_FORMAT_VERSION`` (defined in flowkit.schema, with the rest of the
  log-format vocabulary).
- ``create_database``, ``create_table``, ``table_for_plan``, ``get_table`` (flowkit.aws.glue, also in
  flowkit.aws.athena); ``register_partitions(database, table)`` adds a Hive-layout table's
  partitions to Glue (``create_table(partitioning="hive")`` calls it);
  ``run_query``, ``time_bounds`` (flowkit.aws.athena).
- ``run_insights(query, log_groups, *, start=None, end=None, ...)`` (flowkit.aws.logs).
- ``sandbox()`` (flowkit.aws.sandbox): moto in-process with a fake VPC, subnets, ENIs, bucket and log
  group; ``sb.deliver(plan, files)`` puts flow-log files where the flow log would write them and
  ``sb.queue_athena_result(frame)`` sets what the next Athena query returns (moto runs no SQL).
- ``flowkit.connect(athena="db[.table]", logs="group", boto3_session=...)`` (flowkit.engines.aws): the
  AWS engine with the local engine's ``.sql()``, ``.query()`` and ``.insights()``.
- ``load_policy(name, ...)`` (flowkit.aws.policies): the least-privilege IAM policies in flowkit/policies/,
  written in the Region's partition (``partition_for_region``); ``AWS_CALLS`` (flowkit.aws.calls):
  every AWS call flowkit makes and the IAM action it needs, the map the policies follow.
- ``doctor(athena=..., log_groups=..., s3_output=..., query=False, boto3_session=...)``
  (flowkit.aws.doctor): a read-only check of credentials, Region, Athena workgroup and table, log
  groups and flow logs, and with ``query=True`` one time-bounded guide query on each engine.

The notebook flow::

    with flowkit.aws.sandbox() as sb:
        fmt = flowkit.aws.log_format("security")
        plan = flowkit.aws.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", log_format=fmt,
                                          boto3_session=sb.session)
        result = flowkit.aws.apply(plan, boto3_session=sb.session)
        flowkit.aws.describe_flow_logs([sb.vpc_id], boto3_session=sb.session)
        # the Athena table for what this flow log delivers (Glue table in the sandbox)
        flowkit.aws.create_database("flowkit", boto3_session=sb.session)
        table = flowkit.aws.table_for_plan(plan, database="flowkit", boto3_session=sb.session)
        print(table["ddl"])
        flowkit.aws.get_table("flowkit", boto3_session=sb.session)     # the Glue table as stored

With a real account, pass a real ``boto3.Session()`` instead of ``sb.session``: the same calls act on it.
"""

from __future__ import annotations

import importlib
from typing import Any

# Eager (these modules import neither boto3 nor awswrangler at import time). ``apply`` and ``sandbox``
# must be bound here: each shares its name with its module, which would otherwise shadow it.
from flowkit.aws.apply import ApplyResult, apply, describe_flow_logs
from flowkit.aws.doctor import Check, DoctorReport, doctor
from flowkit.aws.formats import MAX_FORMAT_VERSION, NAMED_SETS, fields_up_to, log_format
from flowkit.aws.plan import AwsCall, FlowLogPlan, plan_cloudwatch_flow_logs, plan_flow_logs
from flowkit.aws.sandbox import Sandbox, is_sandbox, sandbox

_EXPORTS: dict[str, str] = {
    "create_database": "flowkit.aws.glue",
    "create_table": "flowkit.aws.glue",
    "table_for_plan": "flowkit.aws.glue",
    "get_table": "flowkit.aws.glue",
    "register_partitions": "flowkit.aws.glue",
    "run_query": "flowkit.aws.athena",
    "time_bounds": "flowkit.aws.athena",
    "run_insights": "flowkit.aws.logs",
    "load_policy": "flowkit.aws.policies",
    "partition_for_region": "flowkit.aws.policies",
    "AWS_CALLS": "flowkit.aws.calls",
}

__all__ = [
    "MAX_FORMAT_VERSION",
    "NAMED_SETS",
    "ApplyResult",
    "AwsCall",
    "Check",
    "DoctorReport",
    "FlowLogPlan",
    "apply",
    "describe_flow_logs",
    "doctor",
    "fields_up_to",
    "log_format",
    "plan_cloudwatch_flow_logs",
    "plan_flow_logs",
    "Sandbox",
    "is_sandbox",
    "sandbox",
    *_EXPORTS,
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'flowkit.aws' has no attribute {name!r}")
