"""flowkit.aws.doctor: a read-only check of the AWS path, in the moto sandbox and under botocore's Stubber.

moto covers the plumbing and what it models (missing database, table, log group, unregistered
partitions); the Stubber the answers moto cannot give (access denied, a DELIVERY-class log group, a
flow log that fails to deliver, a workgroup that enforces its own results location, a partition
mismatch). Every request is held to the installed service models (tests/aws_model.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from aws_fixtures import DOC_DDL
from aws_model import StubbedSession, record_requests, violations

import flowkit.aws as fa
from flowkit.aws.athena import create_table_from_ddl
from flowkit.errors import ParameterError

READ_ONLY = ("Get", "Describe", "List", "Head")


def _by_name(report):
    out = {}
    for check in report.checks:
        out.setdefault(check.name, []).append(check)
    return out


@pytest.fixture
def ready(sb):
    """The sandbox with what a working account has: the table, data under it, a log group with events,
    flow logs to both."""
    plan = fa.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
    fa.apply(plan, boto3_session=sb.session)
    fa.apply(
        fa.plan_cloudwatch_flow_logs([sb.vpc_id], sb.log_group, boto3_session=sb.session),
        boto3_session=sb.session,
    )
    create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    key = "flowlogs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/x.log.gz"
    sb.session.client("s3").put_object(Bucket=sb.bucket, Key=key, Body=b"")
    logs = sb.session.client("logs")
    logs.create_log_stream(logGroupName=sb.log_group, logStreamName="eni-1-all")
    now = int(datetime.now(UTC).timestamp())
    logs.put_log_events(
        logGroupName=sb.log_group,
        logStreamName="eni-1-all",
        logEvents=[
            {
                "timestamp": (now - 60) * 1000,
                "message": f"2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 40 {now} {now} ACCEPT OK",
            }
        ],
    )
    return sb


def test_a_working_setup_is_all_ok_and_nothing_is_written(ready):
    sb = ready
    requests = record_requests(sb.session)
    report = fa.doctor(
        athena="flowkit", log_groups=sb.log_group, s3_output=sb.athena_output, boto3_session=sb.session
    )
    checks = _by_name(report)
    assert report.ok and report.sandbox and report.account_id == "123456789012"
    for name in ("credentials", "region", "athena workgroup", "results bucket", "glue database", "glue table",
                 "partitions", "table data", "bucket region", "log group", "flow logs"):  # fmt: skip
        assert [c.status for c in checks[name]] == ["ok"], (name, checks[name])
    assert checks["guide queries"][0].status == "skip" and "USD" in checks["guide queries"][0].detail
    assert checks["athena workgroup"][0].iam_action == "athena:GetWorkGroup"
    sent = {op for _, op, _ in requests}
    assert sent and all(op.startswith(READ_ONLY) for op in sent), sent  # creates nothing
    assert violations(requests) == []
    assert "Nothing was created or changed." in str(report)


def test_the_guide_queries_are_time_bounded_and_costed(ready):
    sb = ready
    sb.queue_athena_result(pd.DataFrame({"interface_id": ["eni-1234567890000000"], "dstport": [22]}))
    requests = record_requests(sb.session)
    report = fa.doctor(
        athena="flowkit",
        log_groups=sb.log_group,
        s3_output=sb.athena_output,
        query=True,
        window=timedelta(minutes=30),
        boto3_session=sb.session,
    )
    checks = _by_name(report)
    assert checks["athena query"][0].status == "ok" and "1 row(s)" in checks["athena query"][0].detail
    assert "over the last 30 min" in checks["athena query"][0].detail
    assert checks["insights query"][0].status == "ok" and "(CWLI)" in checks["insights query"][0].detail
    (athena,) = [p for s, op, p in requests if op == "StartQueryExecution"]
    assert (
        '"start" >= ?' in athena["QueryString"] and '"day" >= ?' in athena["QueryString"]
    )  # bounded, pruned
    (insights,) = [p for s, op, p in requests if op == "StartQuery"]
    assert insights["endTime"] - insights["startTime"] == 30 * 60
    writes = {op for _, op, _ in requests if not op.startswith(READ_ONLY)}
    assert writes <= {"StartQueryExecution", "StartQuery"}, writes
    assert violations(requests) == []


def test_what_is_missing_is_named_with_the_fix(sb):
    report = fa.doctor(athena="nope.t", log_groups="/not/there", boto3_session=sb.session)
    checks = _by_name(report)
    assert not report.ok
    db = checks["glue database"][0]
    assert db.status == "fail" and "EntityNotFoundException" in db.detail and "create_database" in db.fix
    assert (
        checks["athena workgroup"][0].status == "warn" and "--s3-output" in checks["athena workgroup"][0].fix
    )
    assert checks["log group"][0].status == "fail" and "not found" in checks["log group"][0].detail
    text = str(report)
    assert "[FAIL] glue database" in text and "fix: create it: flowkit.aws.create_database('nope')" in text


def test_a_hive_table_without_partitions_is_flagged(sb, tmp_path):
    plan = fa.plan_flow_logs(
        [sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", hive_compatible=True, boto3_session=sb.session
    )
    fa.table_for_plan(
        plan, database="flowkit", partitioning="hive", boto3_session=sb.session
    )  # nothing delivered
    report = fa.doctor(athena="flowkit", s3_output=sb.athena_output, boto3_session=sb.session)
    (check,) = _by_name(report)["partitions"]
    assert check.status == "warn" and "register_partitions('flowkit', 'vpc_flow_logs')" in check.fix
    assert _by_name(report)["table data"][0].status == "warn"


def test_no_results_location_means_no_athena_query_and_no_bucket_made(ready):
    sb = ready
    requests = record_requests(sb.session)
    report = fa.doctor(athena="flowkit", query=True, boto3_session=sb.session)
    assert _by_name(report)["athena query"][0].status == "skip"
    assert not any(op == "CreateBucket" for _, op, _ in requests)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"athena": "db.t.x"}, "database.table"), ({"athena": "db;drop"}, "database"), ({"window": timedelta(0)}, "window"),
     ({"log_groups": ["/a*"]}, "no wildcards")],
)  # fmt: skip
def test_bad_arguments_are_refused_before_any_call(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        fa.doctor(boto3_session=StubbedSession(), **kwargs)


# ---------------------------------------------------------------- what moto cannot answer


def _identity(session, arn="arn:aws:iam::111122223333:user/analyst"):
    session.stub("sts").add_response(
        "get_caller_identity", {"Account": "111122223333", "Arn": arn, "UserId": "AIDA"}, {}
    )


def test_access_denied_names_the_missing_action():
    session = StubbedSession()
    _identity(session)
    session.stub("athena").add_client_error(
        "get_work_group", "AccessDeniedException", "User is not authorized to perform: athena:GetWorkGroup"
    )
    session.stub("glue").add_client_error("get_database", "AccessDeniedException", "not authorized")
    report = fa.doctor(athena="flowkit", boto3_session=session)
    checks = _by_name(report)
    (workgroup,) = checks["athena workgroup"]
    assert workgroup.status == "fail" and workgroup.fix.startswith(
        "grant athena:GetWorkGroup on workgroup primary"
    )
    assert checks["glue database"][0].fix.startswith("grant glue:GetDatabase")
    session.close()
    assert violations(session.requests) == []


def test_no_credentials_skips_the_rest():
    session = StubbedSession()
    session.stub("sts").add_client_error(
        "get_caller_identity", "ExpiredToken", "The security token has expired"
    )
    report = fa.doctor(athena="flowkit", log_groups="/g", boto3_session=session)
    assert [(c.name, c.status) for c in report.checks] == [("credentials", "fail"), ("the rest", "skip")]
    assert "aws sso login" in report.checks[0].fix


def test_credentials_of_another_partition_than_the_region():
    session = StubbedSession()
    _identity(session, arn="arn:aws-us-gov:iam::111122223333:user/analyst")
    report = fa.doctor(boto3_session=session)
    (region,) = _by_name(report)["region"]
    assert region.status == "fail" and "aws-us-gov" in region.detail


def test_a_workgroup_that_enforces_its_results_location_is_said():
    session = StubbedSession()
    _identity(session)
    config = {
        "EnforceWorkGroupConfiguration": True,
        "ResultConfiguration": {"OutputLocation": "s3://team-results/athena/"},
        "EngineVersion": {"EffectiveEngineVersion": "Athena engine version 3"},
        "BytesScannedCutoffPerQuery": 10 * 1024**3,
    }
    session.stub("athena").add_response(
        "get_work_group",
        {"WorkGroup": {"Name": "team", "State": "ENABLED", "Configuration": config}},
        {"WorkGroup": "team"},
    )
    session.stub("s3").add_response(
        "head_bucket", {}, {"Bucket": "team-results", "ExpectedBucketOwner": "111122223333"}
    )
    session.stub("glue").add_client_error(
        "get_database", "EntityNotFoundException", "Database flowkit not found"
    )
    report = fa.doctor(athena="flowkit", workgroup="team", s3_output="s3://mine/", boto3_session=session)
    (workgroup,) = _by_name(report)["athena workgroup"]
    assert workgroup.status == "warn" and "--s3-output s3://mine/ is ignored" in workgroup.detail
    assert "scan limit 10.0 GB" in workgroup.detail
    assert _by_name(report)["results bucket"][0].status == "ok"
    session.close()
    assert violations(session.requests) == []


def test_a_delivery_class_group_and_a_failing_flow_log_fail():
    session = StubbedSession()
    _identity(session)
    session.stub("logs").add_response(
        "describe_log_groups",
        {"logGroups": [{"logGroupName": "/vpc/fl", "logGroupClass": "DELIVERY", "storedBytes": 10}]},
        {"logGroupNamePrefix": "/vpc/fl", "limit": 50},
    )
    session.stub("ec2").add_response(
        "describe_flow_logs",
        {
            "FlowLogs": [
                {
                    "FlowLogId": "fl-0123456789abcdef0",
                    "ResourceId": "vpc-0abc1234",
                    "LogGroupName": "/vpc/fl",
                    "DeliverLogsStatus": "FAILED",
                    "DeliverLogsErrorMessage": "Access error",
                }
            ]
        },
        {"Filters": [{"Name": "log-group-name", "Values": ["/vpc/fl"]}]},
    )
    report = fa.doctor(
        log_groups="arn:aws:logs:us-east-1:111122223333:log-group:/vpc/fl:*", boto3_session=session
    )
    checks = _by_name(report)
    assert checks["log group"][0].status == "fail" and "DELIVERY" in checks["log group"][0].fix
    assert checks["flow logs"][0].status == "fail" and "Access error" in checks["flow logs"][0].detail
    session.close()
    assert violations(session.requests) == []
