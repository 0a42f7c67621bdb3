"""Transit Gateway flow logs read end to end: the default format, a custom order, CloudWatch events,
the S3 delivery key.

Format: Amazon VPC Transit Gateways guide, "Transit Gateway Flow Log records",
https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records; S3 keys:
https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-s3.html. The fixtures are described in
``fixtures/README.md``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from reader_fixtures import EXPECTED, FIXTURES, check_expected, values

from flowkit import read_flow_logs
from flowkit.errors import RecordParseError
from flowkit.read import delivery_partitions
from flowkit.schema import FIELDS, TGW_DEFAULT_FIELDS

TGW_KEY = (
    "tgw/s3/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/04/"
    "123456789012_vpcflowlogs_us-east-1_fl-0d4c3b2a1f0e9d8c7_20240504T1005Z_5e1f0a9b.log.gz"
)


def test_default_format_file_reads_every_field_typed():
    df = read_flow_logs(FIXTURES / "tgw/default-format.log.gz")
    check_expected(df, "tgw/default-format.log.gz")
    assert list(df.columns) == [FIELDS[n].column for n in TGW_DEFAULT_FIELDS]
    types = {c: str(df[c].dtype) for c in df.columns}
    # widths of the Athena column types, as for VPC fields (protocol is bigint there)
    for column in ("version", "srcport", "dstport", "tcp_flags"):
        assert types[column] == "int32[pyarrow]", column
    for column in ("protocol", "packets", "bytes", "start", "end", "packets_lost_no_route", "packets_lost_blackhole",
                   "packets_lost_mtu_exceeded", "packets_lost_ttl_expired"):  # fmt: skip
        assert types[column] == "int64[pyarrow]", column
    assert types["tgw_attachment_id"] == types["resource_type"] == "string[pyarrow]"
    # the stories of the records: a blackhole drop, a VPN attachment (no source VPC), an idle one
    lost = df[df.packets_lost_blackhole > 0]
    assert lost.dstaddr.tolist() == ["10.9.0.10"] and lost.tgw_pair_attachment_id.isna().all()
    vpn = df[df.tgw_attachment_id == "tgw-attach-0c3d4e5f607182930"]
    assert vpn.srcaddr.tolist()[0] == "192.168.10.5" and vpn.tgw_src_vpc_id.isna().all()
    assert vpn.log_status.tolist() == ["OK", "NODATA"]
    assert set(df.resource_type) == {"TransitGateway"} and df.attrs["report"].rejected_total == 0


def test_a_custom_order_is_read_by_its_header():
    default = read_flow_logs(FIXTURES / "tgw/default-format.log.gz")
    custom = read_flow_logs(FIXTURES / "tgw/custom-all-fields.log")
    check_expected(custom, "tgw/custom-all-fields.log")
    order = EXPECTED["tgw/custom-all-fields.log"]["columns_in_order"].removeprefix("the header order: ")
    assert list(custom.columns) == order.split()
    # row 1 is the same record as the default file's row 1, in another field order
    pd.testing.assert_series_equal(custom.iloc[0][default.columns], default.iloc[0], check_names=False)


def test_cloudwatch_events_of_the_default_format_need_no_log_format():
    # CloudWatch events have no header: 36 fields whose second is TransitGateway is the TGW default
    df = read_flow_logs(FIXTURES / "tgw/cloudwatch-events.jsonl")
    check_expected(df, "tgw/cloudwatch-events.jsonl")
    assert values(df, "event_timestamp") == [pd.Timestamp(s, unit="s", tz="UTC") for s in df.start]
    same = read_flow_logs(FIXTURES / "tgw/cloudwatch-events.jsonl", log_format="transit-gateway")
    pd.testing.assert_frame_equal(df, same)


def test_a_custom_tgw_format_in_cloudwatch_events_asks_for_its_format(tmp_path):
    path = tmp_path / "tgw.jsonl"
    path.write_text(
        '{"timestamp": 1714817100000, "message": "6 tgw-0f1e2d3c4b5a69788 10.0.1.25 10.1.2.40"}\n'
    )
    with pytest.raises(RecordParseError, match=r"these records have 4 fields.*transit gateway default"):
        read_flow_logs(path)
    df = read_flow_logs(path, log_format="${version} ${tgw-id} ${srcaddr} ${dstaddr}")
    assert df.tgw_id.tolist() == ["tgw-0f1e2d3c4b5a69788"]


def test_the_s3_delivery_key_is_the_vpc_one():
    path = FIXTURES / TGW_KEY
    assert delivery_partitions(path) == EXPECTED[TGW_KEY]["delivery_partitions"]
    assert path.read_bytes() == (FIXTURES / "tgw/default-format.log.gz").read_bytes()
    df = read_flow_logs(FIXTURES / "tgw/s3")  # found by the directory search
    assert len(df) == EXPECTED[TGW_KEY]["rows"]


def test_the_hive_prefix_is_read_in_both_spellings():
    # the TGW page writes service=vpcflowlogs, the VPC page aws-service=vpcflowlogs
    for service in ("service", "aws-service"):
        key = (
            f"AWSLogs/aws-account-id=123456789012/{service}=vpcflowlogs/aws-region=us-east-1/"
            "year=2024/month=05/day=04/x.log.gz"
        )
        assert delivery_partitions(key)["account_id"] == "123456789012", service


def test_negative_lost_packets_are_refused_on_both_paths(tmp_path):
    lines = (FIXTURES / "tgw/custom-all-fields.log").read_text().splitlines()
    header, good = lines[0], lines[1]
    index = header.split().index("packets-lost-blackhole")
    tokens = good.split()
    tokens[index] = "-3"
    path = tmp_path / "neg.log"
    path.write_text("\n".join([header, good, " ".join(tokens)]) + "\n")
    with pytest.raises(
        RecordParseError, match=r"line 3: field 'packets-lost-blackhole' must be a whole number"
    ):
        read_flow_logs(path)
    df = read_flow_logs(path, errors="skip")
    assert len(df) == 1 and df.attrs["report"].rejected == {"bad-number": 1}
