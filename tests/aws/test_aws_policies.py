"""The shipped IAM policies: parliament finds nothing MEDIUM or worse, and the notebooks' actions are in."""

from __future__ import annotations

import json

import parliament
import pytest

from flowkit.aws import plan_cloudwatch_flow_logs, plan_flow_logs
from flowkit.aws.policies import POLICY_NAMES, delivery_role_policy, load_policy
from flowkit.errors import FlowkitError

BAD = {"MEDIUM", "HIGH", "CRITICAL"}


def _findings(policy: dict) -> list[tuple[str, str, object]]:
    analysed = parliament.analyze_policy_string(json.dumps(policy))
    found = [parliament.enhance_finding(f) for f in analysed.findings]
    return [(f.issue, f.severity, f.detail) for f in found]


@pytest.mark.parametrize("name", POLICY_NAMES)
@pytest.mark.parametrize("log_group", ["*", "/vpc/flow-logs"])
def test_shipped_policies_have_no_medium_or_worse_findings(name, log_group):
    policy = load_policy(name, bucket="my-flow-logs", account_id="111122223333", log_group=log_group)
    findings = _findings(policy)
    assert not [f for f in findings if f[1] in BAD], findings
    assert not findings, findings  # and, today, no LOW ones either


def test_delivery_role_policy_is_clean():
    assert _findings(delivery_role_policy("111122223333", "us-east-1", "/vpc/flow-logs")) == []


def _actions(policy: dict) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def test_query_policy_is_read_only_and_has_what_querying_needs():
    actions = _actions(load_policy("query-readonly", bucket="b-1", account_id="111122223333"))
    needed = {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "glue:GetTable",
        "glue:GetDatabase",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",  # Athena writes its results
        "logs:StartQuery",
        "logs:GetQueryResults",
        "logs:StopQuery",
        "ec2:DescribeFlowLogs",
    }
    assert needed <= actions
    writes = {a for a in actions if a.split(":")[1].startswith(("Create", "Delete", "Put", "Update"))}
    assert writes == {"s3:PutObject"}  # only to the Athena results bucket
    policy = load_policy(
        "query-readonly", bucket="b-1", account_id="111122223333", athena_results_bucket="res"
    )
    put = [s for s in policy["Statement"] if "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in put] == ["arn:aws:s3:::res/*"]


def test_enable_policy_covers_every_call_flowkit_plans():
    actions = _actions(load_policy("enable-flow-logs", bucket="b-1", account_id="111122223333"))
    s3_plan = plan_flow_logs(["vpc-0abc1234"], "s3://b-1/", account_id="111122223333", region="us-east-1")
    cw_plan = plan_cloudwatch_flow_logs(
        ["vpc-0abc1234"], "/vpc/fl", account_id="111122223333", region="us-east-1"
    )
    for plan in (s3_plan, cw_plan):
        assert set(plan.caller_permissions) <= actions
        for call in plan.calls:
            name = "".join(part.title() for part in call.operation.split("_"))
            assert f"{call.service}:{name}" in actions
    # the Athena-table step of notebook 01
    assert {
        "glue:CreateDatabase",
        "glue:CreateTable",
        "glue:GetTable",
        "athena:StartQueryExecution",
    } <= actions
    # least privilege: never the right to rewrite a bucket policy, PassRole only to flow logs
    assert "s3:PutBucketPolicy" not in actions
    (pass_role,) = [s for s in load_policy("enable-flow-logs")["Statement"] if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"]["StringEquals"]["iam:PassedToService"] == "vpc-flow-logs.amazonaws.com"


def test_unknown_policy_name():
    with pytest.raises(FlowkitError, match="query-readonly"):
        load_policy("admin")
