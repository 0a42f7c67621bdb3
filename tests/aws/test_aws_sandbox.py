"""The offline sandbox and ``flowkit enable`` end to end (moto in-process, no network)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pandas as pd
import pytest

import flowkit
import flowkit.aws as fa
from flowkit.cli import main
from flowkit.errors import PlanError, RecordParseError


def test_sandbox_says_it_is_one_and_has_its_fake_network():
    with fa.sandbox() as sb:
        assert fa.is_sandbox(sb.session)
        assert "SANDBOX" in str(sb) and "SANDBOX" in sb._repr_markdown_()
        ec2 = sb.session.client("ec2")
        vpc = ec2.describe_vpcs(VpcIds=[sb.vpc_id])["Vpcs"][0]
        assert vpc["CidrBlock"] == "10.0.0.0/16"
        enis = ec2.describe_network_interfaces(NetworkInterfaceIds=list(sb.eni_ids.values()))[
            "NetworkInterfaces"
        ]
        assert sorted(e["PrivateIpAddress"] for e in enis) == ["10.0.1.10", "10.0.2.20", "10.0.2.30"]
        assert (
            sb.session.client("s3").head_bucket(Bucket=sb.bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
        )
        assert sb.account_id == sb.session.client("sts").get_caller_identity()["Account"]


def test_notebook_flow_with_prefix_works_in_the_sandbox():
    with fa.sandbox() as sb:
        plan = fa.plan_flow_logs(
            [sb.vpc_id],
            f"s3://{sb.bucket}/flowlogs/",
            log_format=fa.log_format("security"),
            boto3_session=sb.session,
        )
        result = fa.apply(plan, boto3_session=sb.session)
        assert result.sandbox and str(result).startswith("SANDBOX")
        flow_logs = fa.describe_flow_logs([sb.vpc_id], boto3_session=sb.session)
        assert flow_logs["flow_log_id"].tolist() == result.flow_log_ids
        assert flow_logs["destination"].iloc[0] == f"arn:aws:s3:::{sb.bucket}/flowlogs/"
        assert flow_logs["status"].iloc[0] == "ACTIVE"
    # the patch is gone once the sandbox closes
    from moto.s3.models import S3Backend

    assert (
        S3Backend.get_bucket.__name__ == "get_bucket" and "sandbox" not in S3Backend.get_bucket.__qualname__
    )


def test_sandbox_ids_are_reproducible():
    with fa.sandbox() as first:
        ids = (first.vpc_id, dict(first.eni_ids))
    with fa.sandbox() as second:
        assert (second.vpc_id, second.eni_ids) == ids


def test_sandbox_insights_timestamps_come_back_in_the_real_format():
    now = datetime.now(UTC).replace(microsecond=0)
    ms = int(now.timestamp() * 1000) + 250
    with fa.sandbox() as sb:
        logs = sb.session.client("logs")
        logs.create_log_stream(logGroupName=sb.log_group, logStreamName="eni-1-all")
        logs.put_log_events(
            logGroupName=sb.log_group,
            logStreamName="eni-1-all",
            logEvents=[{"timestamp": ms, "message": "2 123 eni-1 - - - - - - - 1700000000 1 - NODATA"}],
        )
        qid = logs.start_query(
            logGroupName=sb.log_group,
            startTime=ms // 1000 - 60,
            endTime=ms // 1000 + 60,
            queryString="fields @timestamp",
        )["queryId"]
        values = {c["field"]: c["value"] for c in logs.get_query_results(queryId=qid)["results"][0]}
        assert values["@timestamp"] == now.strftime("%Y-%m-%d %H:%M:%S") + ".250"


def test_queue_athena_result_rows_header_first_and_nulls():
    from flowkit.aws.sandbox import athena_result_rows

    frame = pd.DataFrame({"dstport": pd.array([443, None], dtype="Int64"), "action": ["ACCEPT", "REJECT"]})
    rows, info = athena_result_rows(frame)
    assert rows[0] == {"Data": [{"VarCharValue": "dstport"}, {"VarCharValue": "action"}]}
    assert rows[2] == {"Data": [{}, {"VarCharValue": "REJECT"}]}
    assert info == [{"Name": "dstport", "Type": "bigint"}, {"Name": "action", "Type": "varchar"}]


def test_enable_sandbox_apply_through_the_cli(capsys):
    with fa.sandbox() as sb:
        vpc, bucket = sb.vpc_id, sb.bucket
    # same seed, same fake IDs: the CLI's own sandbox has this VPC and bucket
    status = main(["enable", "--vpc", vpc, "--s3", f"s3://{bucket}", "--sandbox", "--apply", "--json"])
    assert status == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sandbox"] is True and out["dry_run"] is False
    (created,) = out["result"]["created"]
    assert created["resource_id"] == vpc
    (described,) = out["flow_logs"]
    assert described["flow_log_id"] == created["id"]
    assert described["resource_id"] == vpc
    assert described["destination"] == f"arn:aws:s3:::{bucket}"


def test_enable_sandbox_without_vpc_uses_the_sandbox_vpc(capsys):
    assert main(["enable", "--sandbox", "--apply", "--format-version", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SANDBOX")
    assert "created  flow-log fl-" in out
    assert "describe_flow_logs:" in out and "ACTIVE" in out


def test_enable_dry_run_prints_the_plan_and_calls_nothing(capsys, monkeypatch):
    monkeypatch.setattr(fa, "apply", lambda *a, **k: pytest.fail("dry run must not apply"))
    monkeypatch.setattr("flowkit.sessions.session", lambda *a: pytest.fail("dry run must not open a session"))
    assert (
        main(["enable", "--vpc", "vpc-0abc1234", "--s3", "s3://my-bucket/prefix", "--parquet", "--hive"]) == 0
    )
    out = capsys.readouterr().out
    assert "ec2.create_flow_logs" in out and '"FileFormat": "parquet"' in out
    assert "Dry run: nothing was created" in out
    assert main(["enable", "--vpc", "vpc-0abc1234", "--s3", "s3://my-bucket/prefix", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dry_run"] is True
    assert data["plan"]["calls"][0]["params"]["LogDestination"] == "arn:aws:s3:::my-bucket/prefix/"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["enable", "--s3", "s3://my-bucket/"], "name what to log"),
        (["enable", "--vpc", "vpc-0abc1234"], "name a destination"),
        (["enable", "--vpc", "vpc-0abc1234", "--s3", "s3://my-bucket/", "--interval", "300"], "60 or 600"),
        (
            ["enable", "--vpc", "vpc-0abc1234", "--s3", "s3://my-bucket/", "--format-version", "9"],
            "not supported",
        ),
        (["enable", "--vpc", "vpc-0abc1234", "--log-group", "g", "--parquet"], "S3 destinations only"),
        (["enable", "--vpc", "nope", "--s3", "s3://my-bucket/"], "not a VPC"),
    ],
)
def test_enable_bad_usage_exits_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_enable_cloudwatch_in_sandbox_creates_role_and_flow_log(capsys):
    assert main(["enable", "--sandbox", "--log-group", "/flowkit/sandbox/vpc-flow-logs", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "existing log-group /flowkit/sandbox/vpc-flow-logs" in out
    assert "created  iam-role arn:aws:iam::123456789012:role/flowkit-flow-logs-delivery" in out
    assert "cloud-watch-logs" in out and "SUCCESS" in out


def _delivery_file(directory, name, records):
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    path = directory / name
    path.write_bytes(gzip.compress(("\n".join([header, *records]) + "\n").encode()))
    return path


@pytest.mark.parametrize(
    ("options", "folder"),
    [
        ({}, "flowlogs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/"),
        (
            {"hive_compatible": True, "per_hour": True},
            "flowlogs/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/"
            "year=2024/month=05/day=01/hour=10/",
        ),
    ],
)
def test_deliver_puts_files_where_the_flow_log_writes_and_the_reader_reads_them(tmp_path, options, folder):
    records = [
        "2 999999999999 eni-0a1b2c3d 10.0.1.10 52.95.1.1 49152 443 6 10 840 1714557600 1714557660 ACCEPT OK",
        "2 999999999999 eni-0a1b2c3d 203.0.113.9 10.0.1.10 40000 22 6 1 40 1714557600 1714557660 REJECT OK",
    ]
    src = _delivery_file(
        tmp_path, "999999999999_vpcflowlogs_eu-west-1_fl-0aaaa_20240501T1010Z_0a1b2c3d.log.gz", records
    )
    with fa.sandbox() as sb:
        plan = fa.plan_flow_logs(
            [sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session, **options
        )
        (fl_id,) = fa.apply(plan, boto3_session=sb.session).flow_log_ids
        (url,) = sb.deliver(plan, tmp_path)
        assert url == (
            f"s3://{sb.bucket}/{folder}123456789012_vpcflowlogs_us-east-1_{fl_id}_20240501T1010Z_0a1b2c3d.log.gz"
        )
        body = sb.session.client("s3").get_object(Bucket=sb.bucket, Key=url.split("/", 3)[3])["Body"].read()
        assert body == src.read_bytes()
        frame = flowkit.read_flow_logs(f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
        assert frame["dstport"].tolist() == [443, 22]
        assert frame["action"].tolist() == ["ACCEPT", "REJECT"]


def test_deliver_refuses_files_that_are_not_deliveries_and_other_buckets(tmp_path):
    bad = _delivery_file(tmp_path, "flows.log.gz", [])
    with fa.sandbox() as sb:
        plan = fa.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
        with pytest.raises(RecordParseError, match=r"flows\.log\.gz: not a flow-log delivery file name"):
            sb.deliver(plan, [bad])
        other = fa.plan_flow_logs([sb.vpc_id], "s3://some-other-bucket/", boto3_session=sb.session)
        with pytest.raises(PlanError, match="deliver"):
            sb.deliver(other, [bad])


def test_enable_apply_without_credentials_is_one_clear_line(monkeypatch, tmp_path, capsys):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    assert main(["enable", "--vpc", "vpc-0abc1234", "--s3", "s3://my-bucket/", "--apply"]) == 2
    err = capsys.readouterr().err
    assert "could not identify the AWS account (NoCredentialsError" in err
    assert "aws sso login" in err and err.count("\n") == 1
