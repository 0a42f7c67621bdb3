"""The S3 delivery layout: prefixes and file names built and parsed back, for every layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import duckdb
import pytest

from flowkit import layout
from flowkit.errors import FlowkitError

WHEN = datetime(2022, 7, 16, 10, 20, tzinfo=UTC)
ACCOUNT = "012345678901"
NAME = "012345678901_vpcflowlogs_us-east-1_fl-1234abcd_20220716T1020Z_fe123456.log.gz"

# the four prefixes as the VPC User Guide ("Flow log files") writes them
DOCUMENTED = {
    "default": "AWSLogs/012345678901/vpcflowlogs/us-east-1/2022/07/16",
    "hourly": "AWSLogs/012345678901/vpcflowlogs/us-east-1/2022/07/16/10",
    "hive": "AWSLogs/aws-account-id=012345678901/aws-service=vpcflowlogs/aws-region=us-east-1/"
    "year=2022/month=07/day=16",
    "hive-hourly": "AWSLogs/aws-account-id=012345678901/aws-service=vpcflowlogs/aws-region=us-east-1/"
    "year=2022/month=07/day=16/hour=10",
}


@pytest.mark.parametrize("name", layout.LAYOUTS)
def test_every_layout_builds_the_documented_prefix_and_parses_back(name):
    prefix = layout.delivery_prefix(ACCOUNT, "us-east-1", WHEN, name)
    assert prefix == DOCUMENTED[name]
    key = layout.parse_key(f"s3://bucket/team-a/{prefix}/{NAME}")
    hive, per_hour = layout.layout_options(name)
    assert layout.layout_name(hive=hive, per_hour=per_hour) == name
    assert (key.layout, key.hive) == (name, hive)
    assert (key.account_id, key.region, key.year, key.month, key.day) == (
        ACCOUNT,
        "us-east-1",
        "2022",
        "07",
        "16",
    )
    assert key.hour == ("10" if per_hour else None)
    assert (key.flow_log_id, key.timestamp, key.digest, key.suffix) == (
        "fl-1234abcd",
        WHEN,
        "fe123456",
        ".log.gz",
    )


def test_file_names_round_trip_and_placeholders():
    for fmt, suffix in (("plain-text", ".log.gz"), ("text", ".log.gz"), ("parquet", ".log.parquet")):
        name = layout.file_name(
            ACCOUNT, "us-east-1", "fl-1234abcd", WHEN, "fe123456", suffix=layout.delivery_suffix(fmt)
        )
        assert name == NAME.replace(".log.gz", suffix)
        assert layout.parse_key(name).suffix == suffix
    assert layout.file_name("<account-id>", "<region>") == (
        "<account-id>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz"
    )
    assert layout.delivery_prefix("<account-id>", "<region>", None, "hive-hourly").endswith(
        "year=YYYY/month=MM/day=DD/hour=HH"
    )
    assert re.fullmatch(layout.file_glob(ACCOUNT, "us-east-1", "fl-1234abcd").replace("*", ".*"), NAME)
    with pytest.raises(FlowkitError, match="plain-text"):
        layout.delivery_suffix("cloudwatch")


@pytest.mark.parametrize(
    "path",
    [
        "flows.log.gz",
        "012345678901_vpcflowlogs_us-east-1_fl-1234abcd_20221399T9999Z_fe123456.log.gz",  # no such time
        "012345678901_vpcflowlogs_us-east-1_fl-1234abcd_20220716T1020Z_fe123456.csv",
        "data/AWSLogs/012345678901/elasticloadbalancing/us-east-1/2022/07/16/x.log.gz",
    ],
)
def test_other_paths_have_no_parts(path):
    key = layout.parse_key(path)
    assert key == layout.DeliveryKey() and key.partitions == {}


def test_a_copied_subtree_keeps_its_dates_and_the_name_gives_the_account():
    key = layout.parse_key(f"downloads/vpcflowlogs/us-east-1/2022/07/16/{NAME}")
    assert key.layout == "default" and key.account_id == ACCOUNT and key.day == "16"


def test_unknown_layout_names_the_closest():
    with pytest.raises(FlowkitError, match="did you mean 'hive-hourly'"):
        layout.layout_options("hive_hourly")


def test_policy_folder_and_service_prefix():
    assert layout.policy_folder(ACCOUNT, prefix="p/") == f"p/AWSLogs/{ACCOUNT}/*"
    assert layout.policy_folder(ACCOUNT, hive=True) == f"AWSLogs/aws-account-id={ACCOUNT}/*"
    for name, prefix in DOCUMENTED.items():
        hive, _ = layout.layout_options(name)
        assert prefix.startswith(layout.service_prefix(ACCOUNT, hive=hive))
        assert prefix.startswith(layout.policy_folder(ACCOUNT, hive=hive)[:-1])


def test_suffix_sets_are_one_truth():
    assert (
        layout.FLOW_LOG_SUFFIXES
        == layout.TEXT_SUFFIXES + layout.PARQUET_SUFFIXES + layout.CLOUDWATCH_SUFFIXES
    )
    assert layout.TEXT_SUFFIX in layout.TEXT_SUFFIXES
    assert layout.PARQUET_SUFFIX.endswith(layout.PARQUET_SUFFIXES)
    assert [layout.file_kind(f"x{s}") for s in (".log", ".log.gz", ".log.parquet", ".parq", ".ndjson")] == [
        "text", "text", "parquet", "parquet", "cloudwatch",
    ]  # fmt: skip


def test_the_reader_lists_by_the_same_suffixes():
    from flowkit.read import CLOUDWATCH_SUFFIXES, PARQUET_SUFFIXES, TEXT_SUFFIXES

    assert (TEXT_SUFFIXES, PARQUET_SUFFIXES, CLOUDWATCH_SUFFIXES) == (
        layout.TEXT_SUFFIXES,
        layout.PARQUET_SUFFIXES,
        layout.CLOUDWATCH_SUFFIXES,
    )


@pytest.mark.parametrize("name", layout.LAYOUTS)
def test_the_key_patterns_mean_the_same_in_duckdb(name):
    """The local engine runs the patterns in SQL (RE2): each group gives what Python's re gives."""
    path = f"/tmp/b/{layout.delivery_prefix(ACCOUNT, 'us-east-1', WHEN, name)}/{NAME}"
    pattern = layout.HIVE_KEY_PATTERN if name.startswith("hive") else layout.PLAIN_KEY_PATTERN
    assert tuple(re.compile(pattern).groupindex) == layout.KEY_GROUPS
    expected = re.search(pattern, path)
    con = duckdb.connect()
    for group, key in enumerate(layout.KEY_GROUPS, start=1):
        (got,) = con.execute("SELECT regexp_extract(?, ?, ?)", [path, pattern, group]).fetchone()
        assert got == (expected.group(key) or ""), key
    hive, per_hour = layout.layout_options(name)
    for key in layout.hive_partition_keys(per_hour) if hive else ():
        value = layout.hive_value_pattern(key)
        (got,) = con.execute("SELECT regexp_extract(?, ?, 1)", [path, value]).fetchone()
        assert got == re.search(value, path).group(1), key


def test_a_parq_file_in_a_directory_is_read_as_parquet(tmp_path):
    """The reader and the local engine once disagreed on ``.parq``; both now take it from layout."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from flowkit.engines import connect
    from flowkit.read import read_flow_logs

    table = pa.table({"srcaddr": ["10.0.0.1"], "dstport": pa.array([443], pa.int32()), "start": [1657962000]})
    pq.write_table(table, tmp_path / "part-0.parq")
    assert read_flow_logs(tmp_path).dstport.tolist() == [443]
    with connect(tmp_path) as engine:
        assert engine.sql("SELECT dstport FROM vpc_flow_logs").dstport.tolist() == [443]
