"""Field-table tests: names, versions, types and log-format parsing."""

from __future__ import annotations

import pytest

from flowkit.errors import FormatError
from flowkit.schema import (
    BY_INSIGHTS,
    DEFAULT_FIELDS,
    DEFAULT_FORMAT,
    FIELDS,
    LATEST_VERSION,
    MAX_FORMAT_VERSION,
    NAMED_SETS,
    field_table,
    fields_up_to,
    format_string,
    get_field,
    parse_log_format,
    record_version,
    resolve_log_format,
)


def test_default_format_is_the_fourteen_v2_fields():
    assert DEFAULT_FORMAT == (
        "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
        "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
    )
    assert len(DEFAULT_FIELDS) == 14


@pytest.mark.parametrize(
    ("name", "column", "insights", "version", "athena_type"),
    [
        ("account-id", "account_id", "accountId", 2, "string"),
        ("srcaddr", "srcaddr", "srcAddr", 2, "string"),
        ("dstport", "dstport", "dstPort", 2, "int"),
        ("protocol", "protocol", "protocol", 2, "bigint"),
        ("log-status", "log_status", "logStatus", 2, "string"),
        ("tcp-flags", "tcp_flags", "tcpFlags", 3, "int"),
        ("pkt-srcaddr", "pkt_srcaddr", "pktSrcAddr", 3, "string"),
        ("az-id", "az_id", "azId", 4, "string"),
        ("pkt-dst-aws-service", "pkt_dst_aws_service", "pktDstAwsService", 5, "string"),
        ("flow-direction", "flow_direction", "flowDirection", 5, "string"),
        ("traffic-path", "traffic_path", "trafficPath", 5, "int"),
        ("ecs-task-arn", "ecs_task_arn", "ecsTaskArn", 7, "string"),
        ("reject-reason", "reject_reason", "rejectReason", 8, "string"),
    ],
)
def test_field_names_and_types(name, column, insights, version, athena_type):
    f = FIELDS[name]
    assert (f.column, f.insights, f.version, f.athena_type) == (column, insights, version, athena_type)
    assert get_field(column) is f and get_field(insights) is f and BY_INSIGHTS[insights] is f


def test_versions_have_the_documented_field_counts():
    counts = {v: len(fields_up_to(v)) for v in (2, 3, 4, 5, 7, 8)}
    assert counts == {2: 14, 3: 21, 4: 25, 5: 29, 7: 39, 8: 40}
    # version 6 is the transit gateway fields: VPC flow logs have none, so "v6" is "v5"
    assert fields_up_to(6) == fields_up_to(5)
    assert {f.resources for f in FIELDS.values() if f.version == 6} == {("transit-gateway",)}


# Transit Gateway Flow Log records: https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records
# ("With the default format, the flow log records includes all version 2 to version 6 fields, in the
# order shown in the available fields table").
TGW_TABLE = [
    # format name, Athena column, Insights name, type, version
    ("version", "version", "version", "int32", 2),
    ("resource-type", "resource_type", "resourceType", "string", 6),
    ("account-id", "account_id", "accountId", "string", 2),
    ("tgw-id", "tgw_id", "tgwId", "string", 6),
    ("tgw-attachment-id", "tgw_attachment_id", "tgwAttachmentId", "string", 6),
    ("tgw-src-vpc-account-id", "tgw_src_vpc_account_id", "tgwSrcVpcAccountId", "string", 6),
    ("tgw-dst-vpc-account-id", "tgw_dst_vpc_account_id", "tgwDstVpcAccountId", "string", 6),
    ("tgw-src-vpc-id", "tgw_src_vpc_id", "tgwSrcVpcId", "string", 6),
    ("tgw-dst-vpc-id", "tgw_dst_vpc_id", "tgwDstVpcId", "string", 6),
    ("tgw-src-subnet-id", "tgw_src_subnet_id", "tgwSrcSubnetId", "string", 6),
    ("tgw-dst-subnet-id", "tgw_dst_subnet_id", "tgwDstSubnetId", "string", 6),
    ("tgw-src-eni", "tgw_src_eni", "tgwSrcEni", "string", 6),
    ("tgw-dst-eni", "tgw_dst_eni", "tgwDstEni", "string", 6),
    ("tgw-src-az-id", "tgw_src_az_id", "tgwSrcAzId", "string", 6),
    ("tgw-dst-az-id", "tgw_dst_az_id", "tgwDstAzId", "string", 6),
    ("tgw-pair-attachment-id", "tgw_pair_attachment_id", "tgwPairAttachmentId", "string", 6),
    ("srcaddr", "srcaddr", "srcAddr", "string", 2),
    ("dstaddr", "dstaddr", "dstAddr", "string", 2),
    ("srcport", "srcport", "srcPort", "int32", 2),
    ("dstport", "dstport", "dstPort", "int32", 2),
    ("protocol", "protocol", "protocol", "int32", 2),
    ("packets", "packets", "packets", "int64", 2),
    ("bytes", "bytes", "bytes", "int64", 2),
    ("start", "start", "start", "int64", 2),
    ("end", "end", "end", "int64", 2),
    ("log-status", "log_status", "logStatus", "string", 2),
    ("type", "type", "type", "string", 3),
    ("packets-lost-no-route", "packets_lost_no_route", "packetsLostNoRoute", "int64", 6),
    ("packets-lost-blackhole", "packets_lost_blackhole", "packetsLostBlackhole", "int64", 6),
    ("packets-lost-mtu-exceeded", "packets_lost_mtu_exceeded", "packetsLostMtuExceeded", "int64", 6),
    ("packets-lost-ttl-expired", "packets_lost_ttl_expired", "packetsLostTtlExpired", "int64", 6),
    ("tcp-flags", "tcp_flags", "tcpFlags", "int32", 3),
    ("region", "region", "region", "string", 4),
    ("flow-direction", "flow_direction", "flowDirection", "string", 5),
    ("pkt-src-aws-service", "pkt_src_aws_service", "pktSrcAwsService", "string", 5),
    ("pkt-dst-aws-service", "pkt_dst_aws_service", "pktDstAwsService", "string", 5),
]


def test_transit_gateway_fields_are_in_the_table_in_aws_default_order():
    fields = resolve_log_format("transit-gateway")
    assert [(f.name, f.column, f.insights, f.type, f.version) for f in fields] == TGW_TABLE
    assert resolve_log_format("tgw") == fields and record_version(fields) == 6
    assert all("transit-gateway" in f.resources for f in fields)
    # no VPC format picks up a transit gateway field, and TGW records have no action or interface
    assert not any("vpc" not in f.resources for f in fields_up_to(LATEST_VERSION))
    assert FIELDS["action"].resources == FIELDS["interface-id"].resources == ("vpc",)
    # the misleading hint of issue 14 ("Did you mean 'resource-id'?") is gone: resource-type is known
    assert get_field("resource-type").column == "resource_type"
    assert get_field("packetsLostBlackhole").athena_type == "bigint"


def test_parse_format_string_and_header_line():
    fmt = "${version} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags}"
    fields = parse_log_format(fmt)
    assert [f.column for f in fields] == ["version", "vpc_id", "subnet_id", "instance_id", "tcp_flags"]
    assert parse_log_format("version vpc-id subnet-id instance-id tcp-flags") == fields
    assert format_string(fields) == fmt
    assert record_version(fields) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${srcaddr} ${dst-addr}", "unknown flow-log field 'dst-addr'. Did you mean 'dstaddr'"),
        ("${srcaddr} ${srcaddr}", "appears twice"),
        ("${srcaddr ${dstaddr}", "malformed log format"),
        ("   ", "empty"),
        ("srcadr dstaddr", "Did you mean 'srcaddr'"),
    ],
)
def test_bad_formats_are_refused_with_a_hint(text, message):
    with pytest.raises(FormatError, match=message):
        parse_log_format(text)


def test_unknown_fields_can_be_kept_as_text():
    fields = parse_log_format("${srcaddr} ${shiny-new-field}", unknown="keep")
    assert fields[1].column == "shiny_new_field" and fields[1].type == "string"


def test_field_table_is_a_frame():
    table = field_table()
    assert len(table) == len(FIELDS) and {"field", "column", "insights", "version"} <= set(table.columns)


# -- the log-format vocabulary: every spelling of a format gives the same fields --------------------


def _spellings(fields):
    names = [f.name for f in fields]
    return {
        "format string": format_string(names),
        "header line": " ".join(names),
        "column names": " ".join(f.column for f in fields),
        "list of names": names,
        "list of Insights names": [f.insights for f in fields],
        "list of fields": list(fields),
        "tuple": tuple(names),
    }


@pytest.mark.parametrize("version", range(2, LATEST_VERSION + 1), ids=lambda v: f"v{v}")
def test_every_spelling_of_a_version_gives_the_same_fields(version):
    expected = fields_up_to(version)
    for name in (f"v{version}", f"V{version}", f" v{version} "):
        assert resolve_log_format(name) == expected, name
    for how, spelling in _spellings(expected).items():
        assert resolve_log_format(spelling) == expected, how


@pytest.mark.parametrize("name", NAMED_SETS)
def test_every_spelling_of_a_named_set_gives_the_same_fields(name):
    expected = [FIELDS[n] for n in NAMED_SETS[name]]
    assert resolve_log_format(name) == resolve_log_format(name.upper()) == expected
    for how, spelling in _spellings(expected).items():
        assert resolve_log_format(spelling) == expected, how


def test_default_is_none_default_v2_and_the_default_format():
    expected = [FIELDS[n] for n in DEFAULT_FIELDS]
    for spelling in (None, "default", "v2", DEFAULT_FORMAT, list(DEFAULT_FIELDS)):
        assert resolve_log_format(spelling) == expected, spelling


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("secuirty", "unknown log format or field 'secuirty'. Did you mean 'security'"),
        ("defualt", "Did you mean 'default'"),
        ("athena_v5", "Did you mean 'athena-v5'"),
        ("dstadr", "Did you mean 'dstaddr'"),
        ("v12", "no flow-log version 12: use v2 to v11"),
        ("v1", "no flow-log version 1"),
        ("default vpc-id", "'default' names a whole log format"),
        ("${srcaddr} ${dst-addr}", "Did you mean 'dstaddr'"),
        (["srcaddr", "dst-addr"], "Did you mean 'dstaddr'"),
        (["srcaddr", "srcAddr"], "appears twice"),
        ([], "empty"),
        ("", "empty"),
        ([5], "field names or Field objects"),
    ],
    ids=repr,
)
def test_unknown_names_are_refused_with_a_suggestion(spec, message):
    with pytest.raises(FormatError, match=message):
        resolve_log_format(spec)


def test_one_version_cap_for_aws():
    from flowkit.aws import fields_up_to as aws_fields_up_to
    from flowkit.aws import log_format

    assert MAX_FORMAT_VERSION == 8 and LATEST_VERSION == 11
    assert resolve_log_format("v8", max_version=MAX_FORMAT_VERSION) == fields_up_to(8)
    assert aws_fields_up_to(8) == [f.name for f in fields_up_to(8)]
    for call in (
        lambda: resolve_log_format("v9", max_version=MAX_FORMAT_VERSION),
        lambda: fields_up_to(9, max_version=MAX_FORMAT_VERSION),
        lambda: aws_fields_up_to(9),
        lambda: log_format("v9"),
        lambda: log_format(version=9),
    ):
        with pytest.raises(FormatError, match="version 9 is not supported here: use v2 to v8"):
            call()
    # local tools take every known VPC version
    assert len(resolve_log_format("v11")) == len([f for f in FIELDS.values() if "vpc" in f.resources])


def test_unknown_fields_kept_on_request_but_not_a_mistyped_set_name():
    (field,) = resolve_log_format("shiny-new-field", unknown="keep")
    assert (field.column, field.type) == ("shiny_new_field", "string")
    assert [f.name for f in resolve_log_format(["srcaddr", "shiny_new"], unknown="keep")] == [
        "srcaddr",
        "shiny-new",
    ]
    with pytest.raises(FormatError, match="Did you mean 'security'"):
        resolve_log_format("secuirty", unknown="keep")


def test_aws_log_format_combines_any_spellings():
    from flowkit.aws import log_format

    assert log_format("default", "${vpc-id} ${subnet-id}", ["tcp_flags"]) == format_string(
        [*DEFAULT_FIELDS, "vpc-id", "subnet-id", "tcp-flags"]
    )
    assert log_format("v5") == log_format(version=5) == log_format("athena-v5")


# -- every entry point that takes a log format takes the same spellings ------------------------------

SECURITY = [FIELDS[n] for n in NAMED_SETS["security"]]
SPELLINGS = {
    "set name": "security",
    "format string": format_string(SECURITY),
    "header names": " ".join(f.name for f in SECURITY),
    "list": [f.column for f in SECURITY],
}


@pytest.fixture(scope="module")
def headerless(tmp_path_factory):
    """CloudWatch events in the security format: records without a header line."""
    from flowkit import simulate

    out = tmp_path_factory.mktemp("headerless")
    result = simulate("workshop", seed=3, days=0.02, out=out, file_format="cloudwatch", log_format="security")
    return result.files[0]


@pytest.mark.parametrize("how", SPELLINGS)
def test_every_entry_point_takes_the_same_vocabulary(how, headerless, capsys):
    from flowkit import athena_ddl, connect, read_flow_logs, simulate
    from flowkit.aws import log_format, plan_cloudwatch_flow_logs, plan_flow_logs
    from flowkit.cli import main

    spec = SPELLINGS[how]
    columns = [f.column for f in SECURITY]
    # CloudWatch events add what the event says (its stream and timestamp) after the record's columns
    read = read_flow_logs(headerless, log_format=spec)
    assert list(read.columns) == [*columns, "log_stream", "event_timestamp"]
    with connect(headerless, log_format=spec) as engine:
        assert engine.columns[: len(columns)] == columns
    assert list(simulate("workshop", seed=3, days=0.01, log_format=spec).flows.columns) == columns
    ddl = athena_ddl(location="s3://bucket-x/", account_id="123456789012", log_format=spec)
    assert ddl == athena_ddl(
        location="s3://bucket-x/", account_id="123456789012", log_format=format_string(SECURITY)
    )
    for plan in (
        plan_flow_logs(["vpc-0abc1234"], "s3://bucket-x/", log_format=spec),
        plan_cloudwatch_flow_logs(["vpc-0abc1234"], "/vpc/flow-logs", log_format=spec),
    ):
        assert plan.calls[-1].params["LogFormat"] == log_format("security") == format_string(SECURITY)
    text = spec if isinstance(spec, str) else " ".join(spec)
    assert (
        main(["ddl", "--location", "s3://bucket-x/", "--account-id", "123456789012", "--log-format", text])
        == 0
    )
    assert capsys.readouterr().out.strip() == ddl
    assert (
        main(["enable", "--vpc", "vpc-0abc1234", "--s3", "s3://bucket-x/", "--log-format", text, "--json"])
        == 0
    )
    assert format_string(SECURITY).replace("$", "") in capsys.readouterr().out.replace("$", "")


def test_aws_entry_points_refuse_unconfirmed_versions_and_name_typos():
    from flowkit.aws import plan_flow_logs
    from flowkit.errors import PlanError

    with pytest.raises(PlanError, match="version 9 is not supported here"):
        plan_flow_logs(["vpc-0abc1234"], "s3://bucket-x/", log_format="v9")
    with pytest.raises(PlanError, match="Did you mean 'security'"):
        plan_flow_logs(["vpc-0abc1234"], "s3://bucket-x/", log_format="secuirty")
