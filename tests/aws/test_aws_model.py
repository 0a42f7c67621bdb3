"""Every AWS call flowkit makes, held to the installed botocore service models with botocore's Stubber.

The Stubber validates each request against the model (botocore's ParamValidator: required members,
types, min) and each scripted response against the output shape; tests/aws_model.py adds what the
validator skips (max, pattern, enum, and the limits the API reference states in prose). Each test
asserts the parameters the real service needs, service by service: STS, EC2, CloudWatch Logs, IAM,
Glue, Athena, S3. (The moto sweeps in test_aws_iam.py hold the whole enabling and query paths to
the same models.)
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import botocore.validate
import pytest
from aws_model import StubbedSession, model_violations, violations
from botocore.exceptions import ParamValidationError
from botocore.response import StreamingBody
from botocore.stub import ANY

import flowkit.aws as fa

VPC = "vpc-0abc1234def567890"


@pytest.fixture
def session():
    stubbed = StubbedSession()
    yield stubbed
    stubbed.close()
    assert violations(stubbed.requests) == []


# ---------------------------------------------------------------- the helper itself


def test_botocore_checks_min_but_not_max_pattern_or_enum_which_the_helper_adds():
    assert {
        "required",
        "min",
        "document",
        "union",
    } == botocore.validate.ParamValidator.VALIDATED_METADATA_ATTRS
    stubbed = StubbedSession()
    logs, stub = stubbed.client("logs"), stubbed.stub("logs")
    base = {"startTime": 0, "endTime": 60, "queryString": "fields @timestamp"}
    wrong = {
        "limit": 200_000,  # model max 100,000
        "queryLanguage": "KQL",  # enum CWLI | SQL | PPL
        "logGroupIdentifiers": ["arn:aws:logs:us-east-1:111122223333:log-group:g:*"],  # pattern has no '*'
    }
    stub.add_response("start_query", {"queryId": "q"})
    logs.start_query(**base, **wrong)  # botocore lets all of it through
    rules = {(v.path, v.rule) for v in model_violations("logs", "StartQuery", base | wrong)}
    assert {
        ("limit", "max"),
        ("queryLanguage", "enum"),
        ("logGroupIdentifiers[0]", "pattern"),
        ("", "documented"),
    } <= rules
    stub.add_response("start_query", {"queryId": "never"})
    with pytest.raises(ParamValidationError, match="valid min value: 1"):
        logs.start_query(**base, logGroupNames=["g"], limit=0)
    assert [str(v) for v in model_violations("ec2", "CreateFlowLogs", {
        "ResourceIds": [f"vpc-{i:08x}" for i in range(301)], "ResourceType": "VPC", "TrafficType": "ALL",
        "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::b"})] == [
        "<request>: [documented] ResourceIds: 301 > 300 for VPC"]  # fmt: skip
    sql = {"QueryString": "SELECT * FROM t WHERE a = ? LIMIT ?", "ExecutionParameters": ["'x'", "10"]}
    assert [v.detail for v in model_violations("athena", "StartQueryExecution", sql)] == [
        "'?' outside WHERE in ['limit']"
    ]


# ---------------------------------------------------------------- STS


def test_sts_get_caller_identity_when_a_plan_is_given_a_session(session):
    session.stub("sts").add_response(
        "get_caller_identity",
        {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/a", "UserId": "A"},
        {},
    )
    plan = fa.plan_flow_logs([VPC], "s3://my-flow-logs/", boto3_session=session)
    assert (plan.account_id, plan.region) == ("111122223333", "us-east-1")


# ---------------------------------------------------------------- EC2


def test_ec2_apply_of_an_s3_plan(session):
    plan = fa.plan_flow_logs(
        [VPC], "s3://my-flow-logs/team-a/", account_id="111122223333", region="us-east-1", log_format="security",
        file_format="parquet", hive_compatible=True, tags={"team": "a"},
    )  # fmt: skip
    (call,) = plan.calls
    ec2 = session.stub("ec2")
    ec2.add_response(
        "describe_flow_logs", {"FlowLogs": []}, {"Filters": [{"Name": "resource-id", "Values": [VPC]}]}
    )
    ec2.add_response(
        "create_flow_logs",
        {"FlowLogIds": ["fl-0123456789abcdef0"], "Unsuccessful": []},
        {
            "ResourceIds": [VPC],
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "s3",
            "LogDestination": "arn:aws:s3:::my-flow-logs/team-a/",
            "DestinationOptions": {
                "FileFormat": "parquet",
                "HiveCompatiblePartitions": True,
                "PerHourPartition": False,
            },
            "LogFormat": call.params["LogFormat"],
            "MaxAggregationInterval": 60,
            "TagSpecifications": [{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "team", "Value": "a"}]}],
        },
    )
    ec2.add_response(
        "describe_flow_logs",
        {"FlowLogs": [{"FlowLogId": "fl-0123456789abcdef0", "ResourceId": VPC}]},
        {"FlowLogIds": ["fl-0123456789abcdef0"]},
    )
    assert fa.apply(plan, boto3_session=session).flow_log_ids == ["fl-0123456789abcdef0"]


def test_ec2_transit_gateways_in_calls_of_25_without_traffic_type(session):
    ids = [f"tgw-{i:017x}" for i in range(26)]
    plan = fa.plan_flow_logs(ids, "s3://my-flow-logs/", account_id="111122223333", region="us-east-1")
    ec2 = session.stub("ec2")
    for batch, fl in ((ids[:25], "fl-00000000000000001"), (ids[25:], "fl-00000000000000002")):
        ec2.add_response(
            "describe_flow_logs", {"FlowLogs": []}, {"Filters": [{"Name": "resource-id", "Values": batch}]}
        )
        ec2.add_response(
            "create_flow_logs",
            {"FlowLogIds": [fl], "Unsuccessful": []},
            {
                "ResourceIds": batch,
                "ResourceType": "TransitGateway",
                "LogDestinationType": "s3",
                "LogDestination": "arn:aws:s3:::my-flow-logs",
                "DestinationOptions": ANY,
                "MaxAggregationInterval": 60,
            },
        )
        ec2.add_response("describe_flow_logs", {"FlowLogs": []}, {"FlowLogIds": [fl]})
    result = fa.apply(plan, boto3_session=session)
    assert len(result.flow_log_ids) == 2


# ---------------------------------------------------------------- CloudWatch Logs and IAM


def test_logs_and_iam_apply_of_a_cloudwatch_plan(session):
    plan = fa.plan_cloudwatch_flow_logs(
        [VPC], "/vpc/flow-logs", account_id="111122223333", region="us-east-1"
    )
    role = "arn:aws:iam::111122223333:role/flowkit-flow-logs-delivery"
    logs, iam, ec2 = session.stub("logs"), session.stub("iam"), session.stub("ec2")
    logs.add_response("describe_log_groups", {"logGroups": []}, {"logGroupNamePrefix": "/vpc/flow-logs"})
    logs.add_response("create_log_group", {}, {"logGroupName": "/vpc/flow-logs"})
    logs.add_response("put_retention_policy", {}, {"logGroupName": "/vpc/flow-logs", "retentionInDays": 30})
    iam.add_client_error(
        "get_role",
        "NoSuchEntity",
        "The role cannot be found.",
        expected_params={"RoleName": "flowkit-flow-logs-delivery"},
    )
    iam.add_response(
        "create_role",
        {"Role": {"Path": "/", "RoleName": "flowkit-flow-logs-delivery", "RoleId": "AROAEXAMPLEEXAMPLE12", "Arn": role,
                  "CreateDate": "2026-11-02T00:00:00Z"}},
        {"RoleName": "flowkit-flow-logs-delivery", "AssumeRolePolicyDocument": ANY},
    )  # fmt: skip
    iam.add_response(
        "put_role_policy",
        {},
        {"RoleName": "flowkit-flow-logs-delivery", "PolicyName": "flow-log-delivery", "PolicyDocument": ANY},
    )
    ec2.add_response(
        "describe_flow_logs", {"FlowLogs": []}, {"Filters": [{"Name": "resource-id", "Values": [VPC]}]}
    )
    ec2.add_response(
        "create_flow_logs",
        {"FlowLogIds": ["fl-0123456789abcdef0"]},
        {
            "ResourceIds": [VPC],
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": "/vpc/flow-logs",
            "DeliverLogsPermissionArn": role,
            "MaxAggregationInterval": 60,
        },
    )
    ec2.add_response("describe_flow_logs", {"FlowLogs": []}, {"FlowLogIds": ["fl-0123456789abcdef0"]})
    result = fa.apply(plan, boto3_session=session)
    assert [c["kind"] for c in result.created] == ["log-group", "iam-role", "flow-log"]
    trust = json.loads(
        next(p for s, op, p in session.requests if op == "CreateRole")["AssumeRolePolicyDocument"]
    )
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


# ---------------------------------------------------------------- Glue (through awswrangler) and Athena


def test_glue_create_database_through_awswrangler(session):
    glue = session.stub("glue")
    glue.add_client_error("get_database", "EntityNotFoundException", "Database flowkit not found.")
    glue.add_response(
        "create_database",
        {},
        {"DatabaseInput": {"Name": "flowkit", "Description": "VPC flow logs (flowkit)"}},
    )
    fa.create_database("flowkit", boto3_session=session)


def test_athena_results_are_read_from_athenas_csv(session):
    from flowkit.aws import athena

    stub = session.stub("athena")
    execution = {
        "QueryExecution": {
            "QueryExecutionId": "qe-1",
            "Query": "SELECT 1",
            "StatementType": "DML",
            "Status": {"State": "SUCCEEDED", "SubmissionDateTime": datetime(2026, 11, 2, tzinfo=UTC)},
            "ResultConfiguration": {"OutputLocation": "s3://my-athena-results/qe-1.csv"},
            "Statistics": {"DataScannedInBytes": 0},
        }
    }
    stub.add_response("get_query_execution", execution, {"QueryExecutionId": "qe-1"})
    stub.add_response(
        "get_query_results",
        {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": "n"}]}],
                       "ResultSetMetadata": {"ColumnInfo": [{"Name": "n", "Type": "bigint"}]}}},
        {"QueryExecutionId": "qe-1", "MaxResults": 1},
    )  # fmt: skip
    stub.add_response("get_query_execution", execution, {"QueryExecutionId": "qe-1"})
    body = b'"n"\n"7"\n'
    s3 = session.stub("s3")
    s3.add_response(
        "head_object", {"ContentLength": len(body)}, {"Bucket": "my-athena-results", "Key": "qe-1.csv"}
    )
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentLength": len(body)},
        {"Bucket": "my-athena-results", "Key": "qe-1.csv", "Range": ANY},
    )
    stats = athena.QueryStats("qe-1", "SUCCEEDED", 0, 0.0, None, None, "s3://my-athena-results/qe-1.csv")
    frame = athena.results(stats, session)
    assert frame["n"].tolist() == [7]


# ---------------------------------------------------------------- S3


def test_s3_reading_lists_then_gets_each_object(session):
    from flowkit.read import sources

    body = b"version account-id\n2 123456789012\n"
    s3 = session.stub("s3")
    s3.add_response(
        "list_objects_v2",
        {"Contents": [{"Key": "p/AWSLogs/x.log.gz", "Size": len(body)}], "IsTruncated": False, "KeyCount": 1},
        {"Bucket": "b-1", "Prefix": "p/", "MaxKeys": 1000},
    )
    s3.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": "b-1", "Key": "p/AWSLogs/x.log.gz"},
    )
    items = list(sources.iter_inputs("s3://b-1/p/", session))
    assert [name for name, _ in items] == ["s3://b-1/p/AWSLogs/x.log.gz"]
    assert items[0][1]().read() == body
