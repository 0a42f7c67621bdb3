"""Athena DDL: columns, partitions and properties, checked by parsing with sqlglot's Athena dialect."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from flowkit.cli import main
from flowkit.ddl import DDLError, athena_ddl
from flowkit.engines import connect
from flowkit.errors import FormatError
from flowkit.schema import FIELDS, fields_up_to, format_string

# The columns of AWS's documented default-format table (Athena User Guide; reference §3.1).
AWS_DEFAULT_COLUMNS = [
    ("version", "INT"),
    ("account_id", "STRING"),
    ("interface_id", "STRING"),
    ("srcaddr", "STRING"),
    ("dstaddr", "STRING"),
    ("srcport", "INT"),
    ("dstport", "INT"),
    ("protocol", "BIGINT"),
    ("packets", "BIGINT"),
    ("bytes", "BIGINT"),
    ("start", "BIGINT"),
    ("end", "BIGINT"),
    ("action", "STRING"),
    ("log_status", "STRING"),
]
V5 = format_string(fields_up_to(5))
LOCATION = "s3://my-bucket/flow-logs/"


def _parse(ddl: str) -> exp.Create:
    create = sqlglot.parse_one(ddl, read="athena")
    assert isinstance(create, exp.Create) and create.kind == "TABLE"
    return create


def _columns(create: exp.Create) -> list[tuple[str, str]]:
    return [(c.name, c.args["kind"].sql("hive").upper()) for c in create.this.expressions]


def _partitions(create: exp.Create) -> list[str]:
    prop = create.find(exp.PartitionedByProperty)
    return [c.name for c in prop.this.expressions] if prop else []


def _props(create: exp.Create) -> dict[str, str]:
    return {p.name: p.text("value") for p in create.find_all(exp.Property) if isinstance(p.this, exp.Literal)}


def test_default_format_matches_the_aws_table():
    ddl = athena_ddl(location=LOCATION, account_id="123456789012")
    create = _parse(ddl)
    assert _columns(create) == AWS_DEFAULT_COLUMNS
    assert "`end`" in ddl and "ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '" in ddl
    assert _partitions(create) == ["region", "day"]
    props = _props(create)
    assert props["skip.header.line.count"] == "1"
    # '-' (a NODATA record's missing values) is NULL in every column, as the local engine reads it; the
    # LazySimpleSerDe property (Hive's serialization.null.format) held by docs/aws-verification.md row 16
    assert props["serialization.null.format"] == "-"
    assert props["projection.enabled"] == "true"
    assert props["projection.day.format"] == "yyyy/MM/dd"
    assert props["projection.day.range"] == "2021/01/01,NOW"
    assert "us-east-1" in props["projection.region.values"].split(",")
    assert props["storage.location.template"] == (
        "s3://my-bucket/flow-logs/AWSLogs/123456789012/vpcflowlogs/${region}/${day}"
    )
    assert "LOCATION 's3://my-bucket/flow-logs/AWSLogs/123456789012/vpcflowlogs/'" in ddl


def test_v5_text_keeps_format_order_and_the_region_column():
    create = _parse(
        athena_ddl(location=LOCATION, log_format=V5, account_id="123456789012", regions=["eu-west-1"])
    )
    columns = [name for name, _ in _columns(create)]
    assert columns == [f.column for f in fields_up_to(5)]
    assert dict(_columns(create))["traffic_path"] == "INT"
    assert _partitions(create) == ["aws_region", "day"]
    assert _props(create)["projection.aws_region.values"] == "eu-west-1"


def test_v5_parquet_drops_the_region_column_for_the_partition():
    ddl = athena_ddl(
        location=LOCATION, log_format=V5, file_format="parquet", account_id="123456789012", per_hour=True
    )
    create = _parse(ddl)
    assert "region" not in [name for name, _ in _columns(create)]
    assert len(_columns(create)) == 28
    assert _partitions(create) == ["region", "day", "hour"]
    assert "STORED AS PARQUET" in ddl and "skip.header" not in ddl
    props = _props(create)
    assert props["projection.hour.range"] == "0,23" and props["projection.hour.digits"] == "2"
    assert props["storage.location.template"].endswith("/vpcflowlogs/${region}/${day}/${hour}")


def test_custom_order_is_kept_for_text():
    fmt = "${version} ${srcaddr} ${dstaddr} ${bytes} ${packets} ${tcp-flags} ${log-status}"
    create = _parse(athena_ddl(location=LOCATION, log_format=fmt, partitioning="none"))
    assert [n for n, _ in _columns(create)] == ["version", "srcaddr", "dstaddr", "bytes", "packets", "tcp_flags",
                                                 "log_status"]  # fmt: skip
    assert _partitions(create) == []


def test_hive_partitions_follow_aws_parquet_table():
    ddl = athena_ddl(
        location=LOCATION, file_format="parquet", partitioning="hive", per_hour=True, table="t_parquet"
    )
    create = _parse(ddl)
    assert _partitions(create) == [
        "aws-account-id",
        "aws-service",
        "aws-region",
        "year",
        "month",
        "day",
        "hour",
    ]
    assert "`aws-account-id` string" in ddl and "projection" not in ddl
    assert "LOCATION 's3://my-bucket/flow-logs/AWSLogs/'" in ddl


def test_projected_hive_layout_and_several_accounts():
    props = _props(_parse(athena_ddl(location=LOCATION, layout="hive", account_id="123456789012")))
    assert props["projection.aws-account-id.values"] == "123456789012"
    assert props["storage.location.template"].endswith(
        "AWSLogs/aws-account-id=${aws-account-id}/aws-service=${aws-service}/aws-region=${aws-region}/"
        "year=${year}/month=${month}/day=${day}"
    )
    create = _parse(
        athena_ddl(location=LOCATION, accounts=["123456789012", "210987654321"], database="flows")
    )
    assert _partitions(create) == ["accid", "region", "day"]
    assert _props(create)["storage.location.template"].startswith(LOCATION + "AWSLogs/${accid}/vpcflowlogs/")
    assert create.this.this.db == "flows"


def test_location_with_the_account_already_in_it():
    ddl = athena_ddl(location="s3://b/AWSLogs/123456789012/vpcflowlogs/")
    assert "'storage.location.template' = 's3://b/AWSLogs/123456789012/vpcflowlogs/${region}/${day}'" in ddl


@pytest.mark.parametrize("version", [2, 3, 4, 5, 7, 8, 10, 11])
def test_every_field_version_parses(version):
    fmt = format_string(fields_up_to(version))
    for file_format in ("text", "parquet"):
        create = _parse(
            athena_ddl(location=LOCATION, log_format=fmt, file_format=file_format, partitioning="none")
        )
        assert len(_columns(create)) == len(fields_up_to(version))
        for name, kind in _columns(create):
            field = FIELDS[name.replace("_", "-")]
            assert kind == field.athena_type.upper()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"location": "https://bucket/x"}, DDLError, "s3://"),
        ({"location": "s3://b/x' ) DROP TABLE t --"}, DDLError, "s3://"),
        ({"location": LOCATION}, DDLError, "account_id"),
        ({"location": LOCATION, "account_id": "12345"}, DDLError, "12-digit"),
        ({"location": LOCATION, "account_id": "123456789012", "table": "t; DROP TABLE x"}, DDLError, "table"),
        ({"location": LOCATION, "account_id": "123456789012", "regions": ["us-east-1'"]}, DDLError, "Region"),
        (
            {"location": LOCATION, "account_id": "123456789012", "log_format": "${srcadr}"},
            FormatError,
            "srcaddr",
        ),
        ({"location": LOCATION, "file_format": "orc"}, DDLError, "file_format"),
        (
            {"location": LOCATION, "account_id": "123456789012", "start_day": "2026-11-02"},
            DDLError,
            "yyyy/MM/dd",
        ),
        (
            {"location": LOCATION, "account_id": "123456789012", "start_day": "2026/13/45"},
            DDLError,
            "real day",
        ),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        athena_ddl(**kwargs)


def test_local_view_has_the_ddl_partitions(tmp_path):
    path = tmp_path / "AWSLogs/123456789012/vpcflowlogs/us-east-1/2022/07/16/a_vpcflowlogs_x.log.gz"
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt") as out:
        out.write("version srcaddr start end action log-status\n2 10.0.0.1 1657958400 1657958460 ACCEPT OK\n")
    partitions = _partitions(_parse(athena_ddl(location=LOCATION, account_id="123456789012")))
    with connect(tmp_path) as engine:
        assert set(partitions) <= set(engine.partitions)
        got = engine.sql("SELECT region, day FROM vpc_flow_logs WHERE day >= '2022/07/01'")
    assert got.values.tolist() == [["us-east-1", "2022/07/16"]]


def test_cli_ddl(capsys):
    argv = ["ddl", "--location", LOCATION, "--account-id", "123456789012", "--log-format", V5, "--file-format",
            "parquet", "--regions", "us-east-1,eu-west-1"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.strip() == athena_ddl(
        location=LOCATION, account_id="123456789012", log_format=V5, file_format="parquet",
        regions=["us-east-1", "eu-west-1"],
    )  # fmt: skip
    assert main(["ddl", "--location", "bucket"]) == 2
    assert "s3://" in capsys.readouterr().err


def test_repeated_accounts_and_regions_are_projected_once():
    props = _props(
        _parse(
            athena_ddl(
                location=LOCATION,
                accounts=["123456789012", "210987654321", "123456789012"],
                regions=["us-east-1", "us-east-1", "eu-west-1"],
            )
        )
    )
    assert props["projection.accid.values"] == "123456789012,210987654321"
    assert props["projection.region.values"] == "us-east-1,eu-west-1"


# The columns of a transit gateway flow log's Athena table in the default format: all 36 fields in
# the order of "Transit Gateway Flow Log records"
# (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records: "the flow log
# records includes all version 2 to version 6 fields, in the order shown"), the shared fields typed
# as in AWS's VPC table (Athena User Guide, "Query Amazon VPC flow logs"), the packets-lost counters
# bigint and tcp-flags int (the types of the tables users publish, e.g.
# https://dev.classmethod.jp/articles/analyze-transit-gateway-flow-logs-with-athena/).
AWS_TGW_COLUMNS = [
    ("version", "INT"),
    ("resource_type", "STRING"),
    ("account_id", "STRING"),
    ("tgw_id", "STRING"),
    ("tgw_attachment_id", "STRING"),
    ("tgw_src_vpc_account_id", "STRING"),
    ("tgw_dst_vpc_account_id", "STRING"),
    ("tgw_src_vpc_id", "STRING"),
    ("tgw_dst_vpc_id", "STRING"),
    ("tgw_src_subnet_id", "STRING"),
    ("tgw_dst_subnet_id", "STRING"),
    ("tgw_src_eni", "STRING"),
    ("tgw_dst_eni", "STRING"),
    ("tgw_src_az_id", "STRING"),
    ("tgw_dst_az_id", "STRING"),
    ("tgw_pair_attachment_id", "STRING"),
    ("srcaddr", "STRING"),
    ("dstaddr", "STRING"),
    ("srcport", "INT"),
    ("dstport", "INT"),
    ("protocol", "BIGINT"),
    ("packets", "BIGINT"),
    ("bytes", "BIGINT"),
    ("start", "BIGINT"),
    ("end", "BIGINT"),
    ("log_status", "STRING"),
    ("type", "STRING"),
    ("packets_lost_no_route", "BIGINT"),
    ("packets_lost_blackhole", "BIGINT"),
    ("packets_lost_mtu_exceeded", "BIGINT"),
    ("packets_lost_ttl_expired", "BIGINT"),
    ("tcp_flags", "INT"),
    ("region", "STRING"),
    ("flow_direction", "STRING"),
    ("pkt_src_aws_service", "STRING"),
    ("pkt_dst_aws_service", "STRING"),
]
TGW_S3 = Path(__file__).parent / "read" / "fixtures" / "tgw" / "s3"


@pytest.mark.parametrize("spelling", ["transit-gateway", "tgw"])
def test_transit_gateway_text_table_matches_the_aws_table(spelling):
    # TGW logs are delivered under the same AWSLogs/<account>/vpcflowlogs/<region>/yyyy/MM/dd/ keys
    # (https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-s3.html, "Log file S3 bucket structure")
    create = _parse(athena_ddl(log_format=spelling, location=LOCATION, account_id="123456789012"))
    assert _columns(create) == AWS_TGW_COLUMNS
    assert _partitions(create) == ["aws_region", "day"]  # the text table keeps its `region` column
    assert _props(create)["storage.location.template"] == (
        "s3://my-bucket/flow-logs/AWSLogs/123456789012/vpcflowlogs/${aws_region}/${day}"
    )


def test_transit_gateway_parquet_table_is_read_by_name_and_partitioned_by_region():
    create = _parse(
        athena_ddl(
            log_format="transit-gateway", location=LOCATION, account_id="123456789012", file_format="parquet"
        )
    )
    assert _columns(create) == [c for c in AWS_TGW_COLUMNS if c[0] != "region"]
    assert _partitions(create) == ["region", "day"]


def test_transit_gateway_queries_run_on_the_local_view_with_the_ddl_columns():
    create = _parse(athena_ddl(log_format="transit-gateway", location=LOCATION, account_id="123456789012"))
    with connect(TGW_S3) as engine:
        assert [c for c, _ in _columns(create)] == engine.columns[: len(AWS_TGW_COLUMNS)]
        assert "day" in engine.partitions  # region is the records' own column, as in the text table
        got = engine.sql(
            "SELECT tgw_attachment_id, sum(packets_lost_blackhole) AS blackhole FROM vpc_flow_logs "
            "WHERE day = '2024/05/04' AND packets_lost_blackhole > 0 GROUP BY tgw_attachment_id"
        )
    assert got.values.tolist() == [["tgw-attach-0a1b2c3d4e5f60718", 3]]
