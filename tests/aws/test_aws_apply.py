"""apply() and describe_flow_logs() against moto: idempotency, Unsuccessful items, partial failures."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

import flowkit.aws as fa
from flowkit import sessions
from flowkit.errors import ApplyError, AWSError


@pytest.fixture
def aws():
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        vpc2 = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
        session.client("s3").create_bucket(Bucket="flow-logs-bucket")
        yield session, vpc, vpc2


def test_apply_creates_then_reports_existing_instead_of_duplicating(aws):
    session, vpc, _ = aws
    fmt = fa.log_format("security")
    plan = fa.plan_flow_logs([vpc], "s3://flow-logs-bucket", log_format=fmt, boto3_session=session)
    first = fa.apply(plan, boto3_session=session)
    assert [c["resource_id"] for c in first.created] == [vpc]
    assert first.existing == [] and not first.sandbox
    second = fa.apply(plan, boto3_session=session)
    assert second.created == []
    assert second.existing == [{"kind": "flow-log", "id": first.flow_log_ids[0], "resource_id": vpc}]
    described = fa.describe_flow_logs([vpc], boto3_session=session)
    assert len(described) == 1
    row = described.iloc[0]
    assert row["flow_log_id"] == first.flow_log_ids[0]
    assert row["destination"] == "arn:aws:s3:::flow-logs-bucket"
    assert row["log_format"] == fmt
    assert row["max_aggregation_interval"] == 60
    assert str(described["creation_time"].dtype) == "datetime64[ns, UTC]" or described["creation_time"].dt.tz


def test_apply_creates_only_the_missing_resources(aws):
    session, vpc, vpc2 = aws
    fa.apply(fa.plan_flow_logs([vpc], "s3://flow-logs-bucket"), boto3_session=session)
    result = fa.apply(fa.plan_flow_logs([vpc, vpc2], "s3://flow-logs-bucket"), boto3_session=session)
    assert [c["resource_id"] for c in result.existing] == [vpc]
    assert [c["resource_id"] for c in result.created] == [vpc2]
    assert len(fa.describe_flow_logs([vpc, vpc2], boto3_session=session)) == 2


def test_created_flow_logs_are_matched_to_their_resources(aws):
    session, vpc, vpc2 = aws
    result = fa.apply(fa.plan_flow_logs([vpc2, vpc], "s3://flow-logs-bucket"), boto3_session=session)
    described = fa.describe_flow_logs([vpc, vpc2], boto3_session=session)
    truth = dict(zip(described["flow_log_id"], described["resource_id"], strict=True))
    assert {c["id"]: c["resource_id"] for c in result.created} == truth
    assert sorted(truth.values()) == sorted([vpc, vpc2])


def test_a_different_format_is_not_taken_for_the_existing_flow_log(aws):
    session, vpc, _ = aws
    fa.apply(fa.plan_flow_logs([vpc], "s3://flow-logs-bucket"), boto3_session=session)
    other = fa.plan_flow_logs([vpc], "s3://flow-logs-bucket", log_format=fa.log_format(version=3))
    # the new format is not mistaken for the existing flow log: the call is made, and moto refuses a
    # second flow log on the same resource and destination; the error carries the service's reason
    with pytest.raises(ApplyError, match="FlowLogAlreadyExists"):
        fa.apply(other, boto3_session=session)


def test_missing_bucket_is_raised_with_aws_message(aws):
    session, vpc, _ = aws
    plan = fa.plan_flow_logs([vpc], "s3://no-such-bucket-here")
    with pytest.raises(ApplyError, match="LogDestination: no-such-bucket-here does not exist") as info:
        fa.apply(plan, boto3_session=session)
    assert info.value.failures == [
        {"resource_id": vpc, "code": "400", "message": "LogDestination: no-such-bucket-here does not exist."}
    ]
    assert info.value.created == []


def test_outside_the_sandbox_moto_gap_is_not_papered_over(aws):
    # moto takes "bucket/prefix/" for the bucket name; only the sandbox patches that, never the real path
    session, vpc, _ = aws
    with pytest.raises(ApplyError, match="flow-logs-bucket/flowlogs/ does not exist"):
        fa.apply(fa.plan_flow_logs([vpc], "s3://flow-logs-bucket/flowlogs/"), boto3_session=session)


def test_unknown_vpc_is_an_error_naming_it(aws):
    session, _, _ = aws
    with pytest.raises(ApplyError, match=r"InvalidVpcID.NotFound.*vpc-0000000000000000f"):
        fa.apply(fa.plan_flow_logs(["vpc-0000000000000000f"], "s3://flow-logs-bucket"), boto3_session=session)


def test_half_made_resources_are_reported_when_a_later_step_fails(aws):
    session, _, _ = aws
    plan = fa.plan_cloudwatch_flow_logs(["vpc-0000000000000000f"], "/flowkit/test", boto3_session=session)
    with pytest.raises(ApplyError) as info:
        fa.apply(plan, boto3_session=session)
    kinds = [c["kind"] for c in info.value.created]
    assert kinds == ["log-group", "iam-role"]
    assert "Created before the failure (still in place): log-group /flowkit/test" in str(info.value)
    assert "iam-role arn:aws:iam::123456789012:role/flowkit-flow-logs-delivery" in str(info.value)


def test_cloudwatch_apply_is_idempotent_and_delivery_succeeds(aws):
    session, vpc, _ = aws
    plan = fa.plan_cloudwatch_flow_logs([vpc], "/flowkit/test", retention_days=7, boto3_session=session)
    first = fa.apply(plan, boto3_session=session)
    assert [c["kind"] for c in first.created] == ["log-group", "iam-role", "flow-log"]
    groups = session.client("logs").describe_log_groups(logGroupNamePrefix="/flowkit/test")["logGroups"]
    assert groups[0]["retentionInDays"] == 7
    policy = session.client("iam").get_role_policy(
        RoleName="flowkit-flow-logs-delivery", PolicyName="flow-log-delivery"
    )
    assert "logs:PutLogEvents" in policy["PolicyDocument"]["Statement"][0]["Action"]
    second = fa.apply(plan, boto3_session=session)
    assert second.created == [] and [c["kind"] for c in second.existing] == [
        "log-group",
        "iam-role",
        "flow-log",
    ]
    row = fa.describe_flow_logs([vpc], boto3_session=session).iloc[0]
    assert (row["destination_type"], row["log_group"], row["deliver_logs_status"]) == (
        "cloud-watch-logs",
        "/flowkit/test",
        "SUCCESS",
    )


def test_partial_unsuccessful_reports_the_flow_logs_created(monkeypatch):
    # A per-resource failure next to a success, as real AWS returns it (moto cannot produce this mix).
    session = boto3.Session(region_name="us-east-1")
    ec2 = session.client("ec2", config=sessions.botocore_config())
    stub = Stubber(ec2)
    a, b = "vpc-0aaaaaaaaaaaaaaaa", "vpc-0bbbbbbbbbbbbbbbb"
    stub.add_response("describe_flow_logs", {"FlowLogs": []})
    stub.add_response(
        "create_flow_logs",
        {
            "FlowLogIds": ["fl-0123456789abcdef0"],
            "Unsuccessful": [
                {
                    "ResourceId": b,
                    "Error": {"Code": "AccessDenied", "Message": "Access Denied for LogDestination"},
                }
            ],
        },
    )
    stub.add_client_error("describe_flow_logs", "RequestLimitExceeded", "Request limit exceeded.")
    monkeypatch.setattr(sessions, "client", lambda service, boto3_session=None: ec2)
    with stub, pytest.raises(ApplyError, match=f"{b}: AccessDenied Access Denied for LogDestination") as info:
        fa.apply(fa.plan_flow_logs([a, b], "s3://flow-logs-bucket"), boto3_session=session)
    assert info.value.created == [{"kind": "flow-log", "id": "fl-0123456789abcdef0", "resource_id": a}]
    assert "Created before the failure (still in place): flow-log fl-0123456789abcdef0" in str(info.value)


def test_plan_with_session_fills_in_account_and_region(aws):
    session, vpc, _ = aws
    plan = fa.plan_flow_logs([vpc], "s3://flow-logs-bucket/x/", boto3_session=session)
    assert (plan.account_id, plan.region) == ("123456789012", "us-east-1")
    assert plan.delivery_paths[0].startswith(
        "s3://flow-logs-bucket/x/AWSLogs/123456789012/vpcflowlogs/us-east-1/"
    )


def test_clients_use_standard_retry_mode(aws):
    session, _, _ = aws
    client = sessions.client("ec2", session)
    assert client.meta.config.retries["mode"] == "standard"
    wr = sessions.wrangler()
    assert wr.config.botocore_config.retries["mode"] == "standard"


def test_describe_errors_become_aws_errors(monkeypatch):
    session = boto3.Session(region_name="us-east-1")
    ec2 = session.client("ec2")
    stub = Stubber(ec2)
    stub.add_client_error("describe_flow_logs", "UnauthorizedOperation", "You are not authorized")
    monkeypatch.setattr(sessions, "client", lambda service, boto3_session=None: ec2)
    with stub, pytest.raises(AWSError, match="UnauthorizedOperation: You are not authorized"):
        fa.describe_flow_logs(["vpc-0aaaaaaaaaaaaaaaa"], boto3_session=session)


def test_an_existing_flow_log_made_elsewhere_with_other_spacing_is_recognised(aws):
    session, vpc, _ = aws
    session.client("ec2").create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs-bucket",
        LogFormat="${srcaddr}  ${dstaddr} ${dstport}",
        MaxAggregationInterval=60,
    )
    plan = fa.plan_flow_logs([vpc], "s3://flow-logs-bucket", log_format="${srcaddr} ${dstaddr} ${dstport}")
    result = fa.apply(plan, boto3_session=session)
    assert result.created == [] and [e["resource_id"] for e in result.existing] == [vpc]


def test_connection_failure_part_way_still_reports_what_was_made(aws, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    session, vpc, _ = aws
    plan = fa.plan_cloudwatch_flow_logs([vpc], "/flowkit/conn", boto3_session=session)
    real = sessions.client

    def client(service, boto3_session=None):
        made = real(service, boto3_session)
        if service == "ec2":

            def fail(**kwargs):
                raise EndpointConnectionError(endpoint_url="https://ec2.us-east-1.amazonaws.com/")

            made.describe_flow_logs = fail
            made.get_paginator = lambda name: type("P", (), {"paginate": lambda self, **kw: fail()})()
        return made

    monkeypatch.setattr(sessions, "client", client)
    with pytest.raises(ApplyError, match="Could not connect to the endpoint URL") as info:
        fa.apply(plan, boto3_session=session)
    assert [c["kind"] for c in info.value.created] == ["log-group", "iam-role"]
