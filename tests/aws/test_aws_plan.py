"""Flow-log plans: exact call parameters, validation of bad input, printing and JSON (no AWS call)."""

from __future__ import annotations

import json
import re

import pytest

from flowkit import schema
from flowkit.aws import log_format, plan_cloudwatch_flow_logs, plan_flow_logs
from flowkit.aws.formats import NAMED_SETS, fields_up_to
from flowkit.errors import FormatError, PlanError

VPC = "vpc-0abc1234def567890"


def test_s3_plan_has_the_exact_create_flow_logs_parameters():
    fmt = log_format(version=5)
    plan = plan_flow_logs(
        [VPC],
        "s3://my-flow-logs/team-a",
        log_format=fmt,
        file_format="parquet",
        hive_compatible=True,
        per_hour=True,
        account_id="111122223333",
        region="eu-west-1",
    )
    (call,) = plan.calls
    assert (call.service, call.operation) == ("ec2", "create_flow_logs")
    assert call.params == {
        "ResourceIds": [VPC],
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogDestinationType": "s3",
        "LogDestination": "arn:aws:s3:::my-flow-logs/team-a/",
        "DestinationOptions": {
            "FileFormat": "parquet",
            "HiveCompatiblePartitions": True,
            "PerHourPartition": True,
        },
        "LogFormat": fmt,
        "MaxAggregationInterval": 60,
    }
    assert plan.record_version == 5
    assert plan.delivery_paths == (
        "s3://my-flow-logs/team-a/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/"
        "aws-region=eu-west-1/year=YYYY/month=MM/day=DD/hour=HH/",
    )
    write = plan.permissions["bucket policy"]["Statement"][0]
    assert write["Resource"] == "arn:aws:s3:::my-flow-logs/team-a/AWSLogs/aws-account-id=111122223333/*"
    assert write["Principal"] == {"Service": "delivery.logs.amazonaws.com"}


def test_default_format_sends_no_log_format_and_bare_bucket_arn():
    plan = plan_flow_logs(VPC, "arn:aws:s3:::my-flow-logs")
    params = plan.calls[0].params
    assert "LogFormat" not in params
    assert params["LogDestination"] == "arn:aws:s3:::my-flow-logs"
    assert plan.log_format == schema.DEFAULT_FORMAT and not plan.custom_format
    assert plan.account_id is None
    assert "<account-id>" in plan.delivery_paths[0]


def test_mixed_resource_types_get_one_call_each():
    plan = plan_flow_logs([VPC, "subnet-0123456789abcdef0", "eni-0123456789abcdef0"], "s3://my-flow-logs/")
    assert [c.params["ResourceType"] for c in plan.calls] == ["VPC", "Subnet", "NetworkInterface"]


def test_transit_gateway_has_no_traffic_type_and_needs_60_seconds():
    plan = plan_flow_logs(["tgw-0123456789abcdef0"], "s3://my-flow-logs/")
    assert "TrafficType" not in plan.calls[0].params
    with pytest.raises(PlanError, match="transit gateway"):
        plan_flow_logs(["tgw-0123456789abcdef0"], "s3://my-flow-logs/", max_aggregation_interval=600)


@pytest.mark.parametrize("interval", [0, 120, 599, "60", True, None])
def test_bad_interval_is_refused(interval):
    with pytest.raises(PlanError, match="60 or 600"):
        plan_flow_logs([VPC], "s3://my-flow-logs/", max_aggregation_interval=interval)


@pytest.mark.parametrize(
    ("ids", "destination", "match"),
    [
        (["vpc-xyz"], "s3://my-flow-logs/", "not a VPC"),
        (["i-0123456789abcdef0"], "s3://my-flow-logs/", "not a VPC"),
        ([], "s3://my-flow-logs/", "no resource IDs"),
        ([VPC, VPC], "s3://my-flow-logs/", "repeat"),
        ([VPC], "my-flow-logs", "must be s3://"),
        ([VPC], "s3://My_Bucket/", "not a valid S3 bucket"),
        ([VPC], "s3://my-flow-logs/AWSLogs/x", "AWSLogs"),
        ([VPC], "s3://my-flow-logs/it's/", "S3 prefix"),
        ([VPC], "s3://my-flow-logs/a b/", "S3 prefix"),
        ([VPC], "s3://my-flow-logs/a//b/", "S3 prefix"),
        (["vpc-0abc1234'; --"], "s3://my-flow-logs/", "not a VPC"),
    ],
)
def test_bad_input_names_the_problem(ids, destination, match):
    with pytest.raises(PlanError, match=match):
        plan_flow_logs(ids, destination)


def test_bad_format_and_options_are_refused():
    with pytest.raises(PlanError, match="unknown flow-log field 'srcadr'"):
        plan_flow_logs([VPC], "s3://my-flow-logs/", log_format="${srcadr}")
    with pytest.raises(PlanError, match="traffic_type"):
        plan_flow_logs([VPC], "s3://my-flow-logs/", traffic_type="all")
    with pytest.raises(PlanError, match="file_format"):
        plan_flow_logs([VPC], "s3://my-flow-logs/", file_format="csv")
    with pytest.raises(PlanError, match="per_hour must be True or False"):
        plan_flow_logs([VPC], "s3://my-flow-logs/", per_hour="yes")


def test_plan_prints_and_round_trips_as_json():
    plan = plan_flow_logs([VPC], "s3://my-flow-logs/x/", account_id="111122223333", region="us-east-1")
    text = str(plan)
    assert "ec2.create_flow_logs" in text and "arn:aws:s3:::my-flow-logs/x/" in text and "USD" in text
    md = plan._repr_markdown_()
    assert md.startswith("### Flow-log plan") and "`ec2.create_flow_logs`" in md
    data = json.loads(plan.to_json())
    assert data["calls"][0]["params"]["ResourceIds"] == [VPC]
    assert data["permissions"]["bucket policy"]["Statement"][1]["Sid"] == "AWSLogDeliveryAclCheck"


def test_cloudwatch_plan_creates_group_and_role_with_trust_policy():
    plan = plan_cloudwatch_flow_logs([VPC], "/vpc/flow-logs", account_id="111122223333", region="us-east-1")
    ops = [(c.service, c.operation) for c in plan.calls]
    assert ops == [
        ("logs", "create_log_group"),
        ("logs", "put_retention_policy"),
        ("iam", "create_role"),
        ("iam", "put_role_policy"),
        ("ec2", "create_flow_logs"),
    ]
    trust = json.loads(plan.calls[2].params["AssumeRolePolicyDocument"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    flow = plan.calls[-1].params
    assert flow["LogDestinationType"] == "cloud-watch-logs"
    assert flow["LogGroupName"] == "/vpc/flow-logs"
    assert flow["DeliverLogsPermissionArn"] == "arn:aws:iam::111122223333:role/flowkit-flow-logs-delivery"


def test_cloudwatch_plan_with_existing_role_creates_no_role():
    role = "arn:aws:iam::111122223333:role/my-role"
    plan = plan_cloudwatch_flow_logs([VPC], "/vpc/flow-logs", role_arn=role)
    assert [c.operation for c in plan.calls] == [
        "create_log_group",
        "put_retention_policy",
        "create_flow_logs",
    ]
    assert plan.calls[-1].params["DeliverLogsPermissionArn"] == role
    with pytest.raises(PlanError, match="role_arn"):
        plan_cloudwatch_flow_logs([VPC], "/vpc/flow-logs", role_arn="my-role")
    with pytest.raises(PlanError, match="log group"):
        plan_cloudwatch_flow_logs([VPC], "bad name with spaces")


def test_format_helper_versions_and_sets():
    assert len(fields_up_to(2)) == 14 and len(fields_up_to(5)) == 29
    assert log_format(version=2) == schema.DEFAULT_FORMAT
    assert schema.record_version(schema.parse_log_format(log_format("security"))) == 5
    assert log_format("default", "vpc-id", "srcaddr").split() == [*schema.DEFAULT_FORMAT.split(), "${vpc-id}"]
    assert log_format("pktSrcAddr", "pkt_dstaddr") == "${pkt-srcaddr} ${pkt-dstaddr}"
    assert set(NAMED_SETS["ecs"]) == {f.name for f in schema.FIELDS.values() if f.version == 7}
    for bad in (1, 9, "5"):
        with pytest.raises(FormatError):
            fields_up_to(bad)
    with pytest.raises(FormatError, match="Named sets"):
        log_format("secuirty")
    with pytest.raises(FormatError):
        log_format()


def test_resource_ids_per_call_are_those_the_installed_botocore_model_documents():
    """CreateFlowLogs ResourceIds: "Constraints: Maximum of 25 for transit gateway resource types. Maximum
    of 300 for the other resource types." (botocore 1.44's ec2 model; it said 1000 before;
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html)"""
    import re

    import botocore.session

    from flowkit.aws.plan import MAX_RESOURCE_IDS, MAX_TRANSIT_RESOURCE_IDS

    shape = (
        botocore.session.get_session().get_service_model("ec2").operation_model("CreateFlowLogs").input_shape
    )
    doc = shape.members["ResourceIds"].documentation
    found = re.search(
        r"Maximum of (\d+) for transit gateway resource types\. Maximum of (\d+) for the other", doc
    )
    assert found, doc
    assert (
        (int(found.group(1)), int(found.group(2)))
        == (MAX_TRANSIT_RESOURCE_IDS, MAX_RESOURCE_IDS)
        == (25, 300)
    )


@pytest.mark.parametrize(
    ("prefix", "count", "sizes"),
    [("vpc", 301, [300, 1]), ("tgw", 26, [25, 1]), ("eni", 600, [300, 300]), ("subnet", 300, [300])],
)
def test_long_lists_are_split_into_calls_the_api_takes(prefix, count, sizes):
    from aws_model import model_violations

    ids = [f"{prefix}-{i:08x}" for i in range(count)]
    plan = plan_flow_logs(ids, "s3://my-flow-logs/team-a/", account_id="111122223333", region="eu-west-1")
    assert [len(c.params["ResourceIds"]) for c in plan.calls] == sizes
    assert [rid for c in plan.calls for rid in c.params["ResourceIds"]] == ids
    for call in plan.calls:
        assert model_violations("ec2", "CreateFlowLogs", call.params) == []


@pytest.mark.parametrize(
    ("region", "partition"), [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_every_arn_of_a_plan_is_in_the_regions_partition(region, partition):
    """ARNs name their partition: arn:aws (commercial), arn:aws-cn (China), arn:aws-us-gov (GovCloud)."""
    s3 = plan_flow_logs([VPC], "s3://my-flow-logs/team-a/", account_id="111122223333", region=region)
    assert s3.calls[0].params["LogDestination"] == f"arn:{partition}:s3:::my-flow-logs/team-a/"
    bucket_policy = json.dumps(s3.permissions)
    cw = plan_cloudwatch_flow_logs([VPC], "/vpc/fl", account_id="111122223333", region=region)
    assert cw.options["role_arn"] == f"arn:{partition}:iam::111122223333:role/flowkit-flow-logs-delivery"
    role_policies = json.dumps(cw.permissions)
    for text in (bucket_policy, role_policies):
        arns = re.findall(r"arn:[a-z-]+:", text)
        assert arns and set(arns) == {f"arn:{partition}:"}, text
