"""A Hive-layout table's partitions, registered in Glue so Athena can read them.

VPC guide: "Hive-compatible S3 prefixes – Enable Hive-compatible prefixes instead of importing partitions
into your Hive-compatible tools. Before you run queries, use the MSCK REPAIR TABLE command."
(https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3.html); Athena's MSCK page: "Use the MSCK
REPAIR TABLE command to update the metadata in the catalog after you add Hive compatible partitions."
(https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html). flowkit does that work through
the Glue API (register_partitions), which moto also runs (its MSCK REPAIR TABLE registers nothing).
"""

from __future__ import annotations

import gzip

import pytest
from aws_fixtures import DOC_DDL
from aws_model import StubbedSession, violations

import flowkit.aws as fa
from flowkit.aws.glue import create_table_from_ddl, register_partitions
from flowkit.errors import AWSError

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def _files(tmp_path, *stamps):
    for stamp in stamps:
        name = f"999999999999_vpcflowlogs_eu-west-1_fl-0aaaa_{stamp}_0a1b2c3d.log.gz"
        (tmp_path / name).write_bytes(gzip.compress(f"{HEADER}\n".encode()))
    return sorted(tmp_path.glob("*.log.gz"))


def _partitions(sb, table="vpc_flow_logs"):
    found = sb.session.client("glue").get_partitions(DatabaseName="flowkit", TableName=table)["Partitions"]
    return sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in found)


def test_a_hive_table_has_the_partitions_already_delivered(sb, tmp_path):
    plan = fa.plan_flow_logs(
        [sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", hive_compatible=True, boto3_session=sb.session
    )
    fa.apply(plan, boto3_session=sb.session)
    sb.deliver(plan, _files(tmp_path, "20240501T1010Z", "20240502T0005Z", "20240503T2355Z"))
    info = fa.table_for_plan(plan, database="flowkit", partitioning="hive", boto3_session=sb.session)
    assert info["partitions"] and "projection.enabled" not in info["parameters"]
    assert (info["registered"]["found"], info["registered"]["registered"]) == (3, 3)
    root = f"s3://{sb.bucket}/flowlogs/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1"
    assert _partitions(sb) == [
        (
            ["123456789012", "vpcflowlogs", "us-east-1", "2024", "05", day],
            f"{root}/year=2024/month=05/day={day}/",
        )
        for day in ("01", "02", "03")
    ]
    glue = sb.session.client("glue")
    table = glue.get_table(DatabaseName="flowkit", Name="vpc_flow_logs")["Table"]["StorageDescriptor"]
    (first, *_) = glue.get_partitions(DatabaseName="flowkit", TableName="vpc_flow_logs")["Partitions"]
    assert first["StorageDescriptor"]["SerdeInfo"] == table["SerdeInfo"]  # read like the table
    assert first["StorageDescriptor"]["Columns"] == table["Columns"]


def test_registering_again_adds_only_the_new_days_and_keeps_to_a_window(sb, tmp_path):
    plan = fa.plan_flow_logs(
        [sb.vpc_id],
        f"s3://{sb.bucket}/flowlogs/",
        hive_compatible=True,
        per_hour=True,
        boto3_session=sb.session,
    )
    fa.apply(plan, boto3_session=sb.session)
    sb.deliver(plan, _files(tmp_path, "20240501T1010Z", "20240501T1110Z"))
    fa.table_for_plan(plan, database="flowkit", partitioning="hive", boto3_session=sb.session)
    assert [v[-2:] for v, _ in _partitions(sb)] == [["01", "10"], ["01", "11"]]
    sb.deliver(plan, _files(tmp_path, "20240502T0005Z", "20240630T2300Z"))
    done = register_partitions("flowkit", start="2024-05-02", end="2024-05-31", boto3_session=sb.session)
    assert (done["found"], done["registered"], done["existing"]) == (1, 1, 0)
    done = register_partitions("flowkit", boto3_session=sb.session)
    assert (done["found"], done["registered"], done["existing"]) == (4, 1, 3)
    assert len(_partitions(sb)) == 4


def test_a_projected_table_has_nothing_to_register(sb):
    create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    with pytest.raises(AWSError, match="partition projection"):
        register_partitions("flowkit", boto3_session=sb.session)


def _table(stub):
    stub.add_response(
        "get_table",
        {
            "Table": {
                "Name": "t",
                "PartitionKeys": [{"Name": "dt", "Type": "string"}],
                "StorageDescriptor": {
                    "Location": "s3://b-1/logs/",
                    "Columns": [{"Name": "a", "Type": "int"}],
                },
                "Parameters": {},
            }
        },
        {"DatabaseName": "flowkit", "Name": "t"},
    )


def _listing(session):
    session.stub("s3").add_response(
        "list_objects_v2",
        {
            "CommonPrefixes": [
                {"Prefix": "logs/dt=2024-05-01/"},
                {"Prefix": "logs/dt=2024-05-02/"},
                {"Prefix": "logs/x/"},
            ],
            "IsTruncated": False,
        },
        {"Bucket": "b-1", "Prefix": "logs/", "Delimiter": "/"},
    )


@pytest.mark.parametrize(
    ("code", "outcome"),
    [("AlreadyExistsException", (1, 1)), ("InvalidInputException", "Glue refused 1 partition")],
)
def test_glues_answer_for_each_partition_is_read(code, outcome):
    """BatchCreatePartition reports per-partition failures in Errors, not as an exception."""
    session = StubbedSession()
    glue = session.stub("glue")
    _table(glue)
    _listing(session)
    glue.add_response(
        "get_partitions",
        {"Partitions": []},
        {"DatabaseName": "flowkit", "TableName": "t", "ExcludeColumnSchema": True},
    )
    glue.add_response(
        "batch_create_partition",
        {
            "Errors": [
                {"PartitionValues": ["2024-05-02"], "ErrorDetail": {"ErrorCode": code, "ErrorMessage": "no"}}
            ]
        },
        {
            "DatabaseName": "flowkit",
            "TableName": "t",
            "PartitionInputList": [
                {
                    "Values": [day],
                    "StorageDescriptor": {
                        "Location": f"s3://b-1/logs/dt={day}/",
                        "Columns": [{"Name": "a", "Type": "int"}],
                    },
                }
                for day in ("2024-05-01", "2024-05-02")
            ],
        },
    )
    if isinstance(outcome, str):
        with pytest.raises(AWSError, match=outcome):
            register_partitions("flowkit", "t", boto3_session=session)
    else:
        done = register_partitions("flowkit", "t", boto3_session=session)
        assert (done["registered"], done["existing"]) == outcome
    session.close()
    assert violations(session.requests) == []
