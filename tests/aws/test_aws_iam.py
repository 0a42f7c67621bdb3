"""The shipped IAM policies against flowkit's call map (flowkit.aws.calls.AWS_CALLS).

parliament checks the policies' syntax and known actions; the map checks coverage: each policy grants
exactly the actions of the calls that name it, on the resources each call touches (Service
Authorization Reference ARN formats, https://docs.aws.amazon.com/service-authorization/latest/reference/),
in every partition; and every call flowkit's public functions send in the moto sandbox has a row.
IAM conditions are not evaluated here (the matcher reads Allow statements' actions and resources).
"""

from __future__ import annotations

import fnmatch
import gzip
import json

import parliament
import pytest
from aws_model import record_requests, violations

import flowkit
import flowkit.aws as fa
from flowkit.aws.calls import AWS_CALLS, EXAMPLE_VALUES, calls_for, required_actions, resources
from flowkit.aws.policies import POLICY_NAMES, load_policy

PARTITIONS = [("aws", "us-east-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")]


def _policy(name: str, region: str = "us-east-1") -> dict:
    v = EXAMPLE_VALUES
    return load_policy(
        name,
        bucket=v["bucket"],
        account_id=v["account"],
        region=region,
        athena_results_bucket=v["results_bucket"],
        database=v["database"],
        log_group=v["log_group"],
        role_name=v["role"],
        workgroup=v["workgroup"],
    )


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _allows(policy: dict, action: str, resource: str) -> bool:
    """Whether an Allow statement names the action and a resource pattern that matches (IAM wildcards)."""
    for statement in policy["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement["Action"])):
            continue
        if any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            return True
    return False


def _actions(policy: dict) -> set[str]:
    return {a for s in policy["Statement"] for a in _listed(s["Action"])}


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_each_policy_grants_exactly_the_actions_of_its_calls(name):
    granted = _actions(_policy(name))
    needed = required_actions(name)
    assert granted - needed == set(), "granted but no call needs it"
    assert needed - granted == set(), "a call needs it but the policy lacks it"


@pytest.mark.parametrize(("partition", "region"), PARTITIONS)
@pytest.mark.parametrize("name", POLICY_NAMES)
def test_every_call_is_allowed_on_its_resources_in_every_partition(name, partition, region):
    policy = _policy(name, region)
    missing = [
        (call.action, arn)
        for call in AWS_CALLS
        if name in call.policies
        for arn in resources(call, partition=partition, region=region)
        if not _allows(policy, call.action, arn)
    ]
    assert missing == []
    arns = {
        r.split(":")[1] for s in policy["Statement"] for r in _listed(s["Resource"]) if r.startswith("arn:")
    }
    assert arns == {partition}


def test_transit_gateway_flow_logs_and_awswranglers_glue_calls_are_granted():
    """The planner accepts tgw-/tgw-attach- ids; awswrangler's create_database(exist_ok=True) calls
    UpdateDatabase when the description differs, and re-creating a table deletes its partitions."""
    policy = _policy("enable-flow-logs")
    ec2 = "arn:aws:ec2:us-east-1:111122223333"
    assert _allows(policy, "ec2:CreateFlowLogs", f"{ec2}:transit-gateway/tgw-0abc1234")
    assert _allows(policy, "ec2:CreateFlowLogs", f"{ec2}:transit-gateway-attachment/tgw-attach-0abc1234")
    table = "arn:aws:glue:us-east-1:111122223333:table/flowkit/vpc_flow_logs"
    for action in (
        "glue:UpdateDatabase",
        "glue:GetPartitions",
        "glue:BatchCreatePartition",
        "glue:BatchDeletePartition",
    ):
        assert _allows(policy, action, table), action
    assert not _allows(policy, "s3:PutBucketPolicy", "arn:aws:s3:::my-flow-logs")


@pytest.mark.parametrize(("partition", "region"), PARTITIONS)
@pytest.mark.parametrize("name", POLICY_NAMES)
def test_policies_have_no_parliament_findings_in_any_partition(name, partition, region):
    analysed = parliament.analyze_policy_string(json.dumps(_policy(name, region)))
    assert [(f.issue, f.detail) for f in analysed.findings] == []


def test_the_query_policy_writes_nothing_but_athena_results():
    actions = _actions(_policy("query-readonly"))
    writes = {
        a for a in actions if a.split(":")[1].startswith(("Create", "Delete", "Put", "Update", "Batch"))
    }
    assert writes == {"s3:PutObject"}
    (put,) = [s for s in _policy("query-readonly")["Statement"] if "s3:PutObject" in _listed(s["Action"])]
    assert put["Resource"] == "arn:aws:s3:::my-athena-results/*"


# ---------------------------------------------------------------- what the public functions send


def _delivery(tmp_path):
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    path = tmp_path / "999999999999_vpcflowlogs_eu-west-1_fl-0aaaa_20240501T1010Z_0a1b2c3d.log.gz"
    record = (
        "2 999999999999 eni-0a1b2c3d 10.0.1.10 52.95.1.1 49152 443 6 10 840 1714557600 1714557660 ACCEPT OK"
    )
    path.write_bytes(gzip.compress(f"{header}\n{record}\n".encode()))
    return path


def _unmapped(requests, policy):
    """Recorded requests with no row in the call map that names ``policy`` (STS needs no permission)."""
    out = []
    for service, operation, _ in requests:
        rows = calls_for(service, operation)
        if not rows or not any(policy in r.policies or r.action is None for r in rows):
            out.append(f"{service}.{operation}")
    return sorted(set(out))


def test_every_call_of_the_enabling_path_is_in_the_map_under_enable_flow_logs(tmp_path):
    with fa.sandbox() as sb:
        requests = record_requests(sb.session)
        s3_plan = fa.plan_flow_logs(
            [sb.vpc_id],
            f"s3://{sb.bucket}/flowlogs/",
            hive_compatible=True,
            tags={"team": "a"},
            boto3_session=sb.session,
        )
        fa.apply(s3_plan, boto3_session=sb.session)
        fa.apply(
            fa.plan_cloudwatch_flow_logs([sb.vpc_id], "/new/group", boto3_session=sb.session),
            boto3_session=sb.session,
        )
        sb.deliver(s3_plan, [_delivery(tmp_path)])
        fa.create_database("flowkit", boto3_session=sb.session)
        fa.create_database("flowkit", description="changed", boto3_session=sb.session)
        for _ in range(2):  # the second time over an existing table with registered partitions
            fa.table_for_plan(s3_plan, database="flowkit", partitioning="hive", boto3_session=sb.session)
        fa.create_table(
            f"s3://{sb.bucket}/flowlogs/",
            database="flowkit",
            table="t2",
            method="athena",
            s3_output=sb.athena_output,
            boto3_session=sb.session,
        )
        fa.describe_flow_logs([sb.vpc_id], boto3_session=sb.session)
    sent = {(s, op) for s, op, _ in requests}
    assert {
        ("glue", "UpdateDatabase"),
        ("glue", "BatchCreatePartition"),
        ("glue", "BatchDeletePartition"),
    } <= sent
    assert _unmapped(requests, "enable-flow-logs") == []
    assert violations(requests) == []  # and every request holds to the installed models


def test_every_call_of_the_query_path_is_in_the_map_under_query_readonly(tmp_path):
    import pandas as pd

    with fa.sandbox() as sb:
        plan = fa.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
        fa.apply(plan, boto3_session=sb.session)
        sb.deliver(plan, [_delivery(tmp_path)])
        fa.create_database("flowkit", boto3_session=sb.session)
        fa.table_for_plan(plan, database="flowkit", boto3_session=sb.session)
        requests = record_requests(sb.session)
        engine = flowkit.connect(
            athena={"database": "flowkit", "s3_output": sb.athena_output},
            logs=sb.log_group,
            boto3_session=sb.session,
        )
        sb.queue_athena_result(pd.DataFrame({"n": [1]}))
        engine.sql(
            "SELECT count(*) AS n FROM vpc_flow_logs",
            start="2024-05-01T00:00:00Z",
            end="2024-05-02T00:00:00Z",
        )
        engine.insights("fields @message")
        flowkit.read_flow_logs(f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
        fa.describe_flow_logs([sb.vpc_id], boto3_session=sb.session)
        sb.queue_athena_result(pd.DataFrame({"dstport": pd.array([], dtype="Int64")}))
        report = fa.doctor(
            athena="flowkit",
            log_groups=sb.log_group,
            s3_output=sb.athena_output,
            query=True,
            boto3_session=sb.session,
        )
    assert report.ok, str(report)
    sent = {(s, op) for s, op, _ in requests}
    assert {("logs", "StartQuery"), ("athena", "StartQueryExecution"), ("s3", "HeadBucket")} <= sent
    assert _unmapped(requests, "query-readonly") == []
    assert violations(requests) == []


def test_the_reference_page_lists_every_call_of_the_map():
    """docs/aws-verification.md is where the first person with an account starts: it must show the map."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "aws-verification.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `") or line.startswith("| (")]
    for call in AWS_CALLS:
        name = (
            f"`{call.service}.{call.operation}`"
            if call.operation
            else f"({call.service}: checked by the service)"
        )
        assert any(row.startswith(f"| {name} | `{call.action or 'none'}` |") for row in rows), (
            name,
            call.action,
        )
