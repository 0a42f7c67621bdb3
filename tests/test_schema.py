"""Field-table tests: names, versions, types and log-format parsing."""

from __future__ import annotations

import pytest

from flowkit.errors import FormatError
from flowkit.schema import (
    BY_INSIGHTS,
    DEFAULT_FIELDS,
    DEFAULT_FORMAT,
    FIELDS,
    field_table,
    fields_up_to,
    format_string,
    get_field,
    parse_log_format,
    record_version,
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
    assert not [f for f in FIELDS.values() if f.version == 6]  # there is no version 6 field


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
