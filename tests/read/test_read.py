"""Reader tests: every field version, header and headerless text, gzip, Parquet, S3 layouts, bad input."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowkit import read_flow_logs
from flowkit.errors import RecordParseError
from flowkit.read import convert, delivery_partitions, read_arrow
from flowkit.schema import DEFAULT_FIELDS, DEFAULT_FORMAT, FIELDS, fields_up_to

HEADER = " ".join(DEFAULT_FIELDS)
ACCEPT = "2 012345678901 eni-0a1b2c3d4e5f67890 10.32.0.10 52.94.1.5 36952 443 6 25 5445 1659310200 1659310225 ACCEPT OK"
REJECT = "2 012345678901 eni-0a1b2c3d4e5f67890 185.220.101.4 10.32.1.20 55116 11211 17 1 43 1659310230 1659310260 REJECT OK"
NODATA = "2 012345678901 eni-0a1b2c3d4e5f67890 - - - - - - - 1659310300 1659310360 - NODATA"
SKIPDATA = "2 012345678901 eni-11111111aaaaaaaaa - - - - - - - 1659310300 1659310360 - SKIPDATA"
IPV6 = "2 012345678901 eni-0a1b2c3d4e5f67890 2001:db8:1234:a100::11 2001:db8:1234:a102::22 54321 22 6 8 1040 1659310200 1659310260 ACCEPT OK"


def write(path, lines, *, gz=False):
    """Write lines to a text file (gzip with mtime 0 when gz)."""
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def default_file(tmp_path):
    return write(tmp_path / "a.log.gz", [HEADER, ACCEPT, REJECT, NODATA, SKIPDATA, IPV6], gz=True)


def test_default_format_types_and_values(default_file):
    df = read_flow_logs(default_file)
    assert list(df.columns) == [FIELDS[n].column for n in DEFAULT_FIELDS]
    assert len(df) == 5
    assert df.loc[0, "account_id"] == "012345678901"  # leading zero kept
    assert str(df["dstport"].dtype) == "int32[pyarrow]" and str(df["bytes"].dtype) == "int64[pyarrow]"
    assert str(df["srcaddr"].dtype).startswith("string")
    assert df.loc[0, "dstport"] == 443 and df.loc[0, "bytes"] == 5445
    assert df.loc[1, "action"] == "REJECT" and df.loc[1, "protocol"] == 17
    assert df.loc[4, "srcaddr"] == "2001:db8:1234:a100::11"


def test_nodata_and_skipdata_keep_start_end_and_status(default_file):
    df = read_flow_logs(default_file)
    quiet = df[df["log_status"].isin(["NODATA", "SKIPDATA"])]
    assert list(quiet["log_status"]) == ["NODATA", "SKIPDATA"]
    assert quiet["start"].tolist() == [1659310300, 1659310300]
    assert quiet["end"].tolist() == [1659310360, 1659310360]
    assert quiet[["srcaddr", "dstport", "packets", "action"]].isna().all().all()


@pytest.mark.parametrize("version", [2, 3, 4, 5, 7, 8, 10, 11], ids=lambda v: f"v{v}")
def test_every_field_version_reads_with_types(tmp_path, version):
    fields = fields_up_to(version)
    values = []
    for f in fields:
        if f.is_numeric:
            values.append({"version": str(version), "srcport": "443", "tcp-flags": "19"}.get(f.name, "7"))
        else:
            values.append(
                {"action": "ACCEPT", "log-status": "OK", "srcaddr": "10.0.0.1"}.get(f.name, f"x-{f.name}")
            )
    values[-1] = "-"  # the last field of each version is absent
    path = write(tmp_path / f"v{version}.log", [" ".join(f.name for f in fields), " ".join(values)])
    df = read_flow_logs(path)
    assert list(df.columns) == [f.column for f in fields]
    row = df.iloc[0]
    for f, value in zip(fields, values, strict=True):
        if value == "-":
            assert pd.isna(row[f.column])
        elif f.is_numeric:
            assert row[f.column] == int(value), f.name
        else:
            assert row[f.column] == value, f.name


def test_custom_order_header(tmp_path):
    header = "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr"
    line = "- eni-1235b8ca123456789 10.0.0.220 10.0.1.5 203.0.113.5 10.0.1.5"
    df = read_flow_logs(write(tmp_path / "nat.log", [header, line]))
    assert list(df.columns) == [
        "instance_id",
        "interface_id",
        "srcaddr",
        "dstaddr",
        "pkt_srcaddr",
        "pkt_dstaddr",
    ]
    assert pd.isna(df.loc[0, "instance_id"]) and df.loc[0, "pkt_srcaddr"] == "203.0.113.5"


def test_double_space_is_one_separator(tmp_path):
    path = write(tmp_path / "d.log", [HEADER, ACCEPT.replace(" 443 ", "  443 ")])
    df = read_flow_logs(path)
    assert df.loc[0, "dstport"] == 443 and df.attrs["report"].rejected_total == 0


def test_headerless_lines_need_a_log_format(tmp_path):
    path = write(tmp_path / "cw.log", [ACCEPT, REJECT])
    with pytest.raises(RecordParseError, match=r"cw.log, line 1: .*pass log_format"):
        read_flow_logs(path)
    df = read_flow_logs(
        path,
        log_format="${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} "
        "${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
    )
    assert len(df) == 2 and df.loc[1, "dstport"] == 11211


def test_cloudwatch_events(tmp_path):
    events = [
        {"timestamp": 1659310200000, "logStream": "eni-0a1b2c3d4e5f67890-all", "message": m}
        for m in (ACCEPT, NODATA)
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    df = read_flow_logs(path)
    assert df["log_status"].tolist() == ["OK", "NODATA"]


def test_cloudwatch_events_of_a_custom_format_ask_for_log_format(tmp_path):
    message = ACCEPT + " vpc-0a1b2c3d subnet-0a1b2c3d i-0a1b2c3d4e5f67890 2"
    path = tmp_path / "eni-0a1b2c3d4e5f67890-all.jsonl"
    path.write_text(json.dumps({"timestamp": 1659310200000, "message": message}) + "\n")
    with pytest.raises(RecordParseError, match=r"no header and these records have 18 fields.*log_format="):
        read_flow_logs(path)
    custom = DEFAULT_FORMAT + " ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags}"
    df = read_flow_logs(path, log_format=custom)
    assert df["tcp_flags"].tolist() == [2] and df["dstport"].tolist() == [443]


def test_parquet_with_hyphenated_columns(tmp_path):
    table = pa.table(
        {
            "version": pa.array([5], pa.int32()),
            "account-id": ["012345678901"],
            "srcaddr": ["10.32.0.10"],
            "dstport": pa.array([443], pa.int32()),
            "protocol": pa.array([6], pa.int32()),
            "bytes": pa.array([None], pa.int64()),
            "flow-direction": ["egress"],
            "traffic-path": pa.array([8], pa.int32()),
        }
    )
    path = tmp_path / "x.log.parquet"
    pq.write_table(table, path)
    df = read_flow_logs(path)
    assert list(df.columns) == [
        "version",
        "account_id",
        "srcaddr",
        "dstport",
        "protocol",
        "bytes",
        "flow_direction",
        "traffic_path",
    ]
    assert df.loc[0, "account_id"] == "012345678901" and pd.isna(df.loc[0, "bytes"])
    assert str(df["protocol"].dtype) == "int64[pyarrow]" and df.loc[0, "traffic_path"] == 8


@pytest.mark.parametrize(
    "prefix",
    [
        "AWSLogs/012345678901/vpcflowlogs/us-east-1/2022/07/16/",
        "AWSLogs/012345678901/vpcflowlogs/us-east-1/2022/07/16/10/",
        "AWSLogs/aws-account-id=012345678901/aws-service=vpcflowlogs/aws-region=us-east-1/year=2022/month=07/day=16/",
        "AWSLogs/aws-account-id=012345678901/aws-service=vpcflowlogs/aws-region=us-east-1/year=2022/month=07/day=16/hour=10/",
    ],
    ids=["plain", "per-hour", "hive", "hive-per-hour"],
)
def test_s3_layout_directory(tmp_path, prefix):
    name = "012345678901_vpcflowlogs_us-east-1_fl-1234abcd_20220716T1020Z_fe123456.log.gz"
    write(tmp_path / "bucket" / prefix / name, [HEADER, ACCEPT, REJECT], gz=True)
    write(tmp_path / "bucket" / prefix / name.replace("1020Z", "1025Z"), [HEADER, NODATA], gz=True)
    (tmp_path / "bucket" / "README.md").write_text("not a flow log")
    df = read_flow_logs(tmp_path / "bucket")
    assert len(df) == 3
    parts = delivery_partitions(prefix + name)
    assert parts["account_id"] == "012345678901" and parts["region"] == "us-east-1" and parts["day"] == "16"
    assert parts.get("hour") == ("10" if "10/" in prefix else None)


def test_mixed_formats_read_together(tmp_path):
    write(tmp_path / "a.log", [HEADER, ACCEPT])
    write(
        tmp_path / "b.log",
        [
            "version srcaddr dstaddr dstport action log-status tcp-flags",
            "3 10.32.0.11 52.1.2.3 443 ACCEPT OK 19",
        ],
    )
    df = read_flow_logs([tmp_path / "a.log", tmp_path / "b.log"])
    assert len(df) == 2
    assert pd.isna(df.loc[0, "tcp_flags"]) and df.loc[1, "tcp_flags"] == 19
    assert pd.isna(df.loc[1, "account_id"]) and df.loc[1, "dstport"] == 443


def test_s3_prefix_through_moto(tmp_path):
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket="flows")
        body = gzip.compress(("\n".join([HEADER, ACCEPT, REJECT]) + "\n").encode(), mtime=0)
        key = "logs/AWSLogs/012345678901/vpcflowlogs/us-east-1/2022/07/16/f.log.gz"
        s3.put_object(Bucket="flows", Key=key, Body=body)
        df = read_flow_logs("s3://flows/logs/", boto3_session=session)
    assert df["dstport"].tolist() == [443, 11211]


def test_an_s3_prefix_that_cannot_be_read_is_an_aws_error():
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    from flowkit.errors import AWSError

    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        with pytest.raises(
            AWSError, match=r"s3://no-such-bucket/logs/: cannot read it from S3 \(NoSuchBucket"
        ):
            read_flow_logs("s3://no-such-bucket/logs/", boto3_session=session)
        with pytest.raises(AWSError, match="Invalid bucket name"):
            read_flow_logs("s3://", boto3_session=session)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "reason", "message"),
    [
        (ACCEPT.rsplit(" ", 1)[0], "field-count", "expected 14 fields"),
        (ACCEPT.replace(" 443 ", " https "), "bad-number", "'dstport' must be a whole number"),
        (ACCEPT.replace("ACCEPT", "ALLOW"), "bad-action", "'action' must be one of ACCEPT, REJECT"),
        (ACCEPT.replace(" 443 ", " 70000 "), "out-of-range", "'dstport' must be 0-65535"),
        (ACCEPT.replace(" OK", " FINE"), "bad-log-status", "'log-status' must be one of"),
        (
            ACCEPT.replace(" 5445 ", " 99999999999999999999 "),
            "out-of-range",
            "'bytes' must be 0-9223372036854775807",
        ),
        (ACCEPT.replace(" 443 ", " \u00b2 "), "bad-number", "'dstport' must be a whole number"),
        (
            ACCEPT.replace(" 1659310200 ", " 99999999999999 "),
            "out-of-range",
            "'start' must be 0-253402300799",
        ),
    ],
    ids=[
        "field-count",
        "non-numeric-port",
        "unknown-action",
        "port-range",
        "log-status",
        "bytes-beyond-int64",
        "superscript-digit",
        "start-past-year-9999",
    ],
)
def test_bad_line_raises_with_file_and_line_or_is_counted(tmp_path, bad, reason, message):
    path = write(tmp_path / "bad.log.gz", [HEADER, ACCEPT, bad, REJECT], gz=True)
    with pytest.raises(RecordParseError, match=message) as info:
        read_flow_logs(path)
    assert (
        info.value.line_number == 3 and info.value.path.endswith("bad.log.gz") and info.value.reason == reason
    )
    assert "bad.log.gz, line 3" in str(info.value)
    df = read_flow_logs(path, errors="skip")
    report = df.attrs["report"]
    assert len(df) == 2 and report.lines_read == 3 and report.parsed == 2
    assert report.rejected == {reason: 1}
    assert report.examples[0][:3] == (str(path), 3, reason)
    assert report.parsed + report.rejected_total == report.lines_read


def test_unknown_header_field_suggests_closest(tmp_path):
    path = write(tmp_path / "h.log", [HEADER.replace("dstport", "dst-port"), ACCEPT])
    with pytest.raises(
        RecordParseError, match=r"h.log, line 1: the header has unknown flow-log field 'dst-port'.*'dstport'"
    ):
        read_flow_logs(path)
    df = read_flow_logs(path, unknown_fields="keep")
    assert df.loc[0, "dst_port"] == "443"


def test_truncated_gzip(tmp_path):
    data = gzip.compress(("\n".join([HEADER] + [ACCEPT] * 5000) + "\n").encode(), mtime=0)
    path = tmp_path / "cut.log.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RecordParseError, match=r"cut.log.gz.*truncated gzip"):
        read_flow_logs(path)
    df = read_flow_logs(path, errors="skip")
    report = df.attrs["report"]
    assert 0 < len(df) < 5000 and report.rejected_total == 0
    assert report.skipped_files and "truncated" in report.skipped_files[0][1]


def test_corrupt_gzip(tmp_path):
    data = bytearray(gzip.compress(("\n".join([HEADER] + [ACCEPT] * 100) + "\n").encode(), mtime=0))
    data[30:60] = b"\xff" * 30
    path = tmp_path / "corrupt.log.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(RecordParseError, match=r"corrupt.log.gz.*gzip"):
        read_flow_logs(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    with pytest.raises(RecordParseError, match=r"empty.log: the file is empty"):
        read_flow_logs(path)
    write(tmp_path / "good.log", [HEADER, ACCEPT])
    df = read_flow_logs([path, tmp_path / "good.log"], errors="skip")
    assert len(df) == 1 and df.attrs["report"].skipped_files[0][0] == str(path)


def test_binary_file(tmp_path):
    path = tmp_path / "image.log"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(RecordParseError, match=r"image.log: this is a binary file"):
        read_flow_logs(path)


def test_missing_path(tmp_path):
    with pytest.raises(RecordParseError, match="no such file"):
        read_flow_logs(tmp_path / "nope.log.gz")


def test_report_counts_every_line_in_skip_mode(tmp_path):
    lines = [HEADER] + [ACCEPT, "garbage", REJECT, ACCEPT.replace("ACCEPT", "MAYBE")] * 50
    df = read_flow_logs(write(tmp_path / "m.log", lines), errors="skip")
    report = df.attrs["report"]
    assert report.lines_read == 200 and report.parsed == 100
    assert report.rejected == {"field-count": 50, "bad-action": 50}
    assert "200 line(s) read: 100 parsed, 100 rejected" in str(report)


def test_convert_writes_parquet_by_day(tmp_path, default_file):
    out = tmp_path / "pq"
    report = convert(default_file, out)
    assert report.parsed == 5
    days = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert days == ["date=2022-07-31"]
    again = read_arrow(out)
    assert again.num_rows == 5 and "date" not in again.column_names


def test_convert_into_the_directory_it_reads_does_not_read_its_output_back(tmp_path, default_file):
    source = tmp_path / "logs"
    source.mkdir()
    (source / "a.log.gz").write_bytes(default_file.read_bytes())
    for parsed in (5, 0):  # the second run finds the file converted and unchanged: nothing to read
        assert convert(source, source / "parquet").parsed == parsed
        assert read_arrow(source / "parquet").num_rows == 5


def test_a_file_named_twice_is_read_once(tmp_path, default_file):
    assert len(read_flow_logs([default_file, tmp_path, default_file])) == 5


def test_parquet_times_written_as_timestamps_become_unix_seconds(tmp_path):
    from datetime import UTC, datetime

    path = tmp_path / "ts.parquet"
    when = datetime(2026, 11, 2, 10, 0, 7, 900_000, tzinfo=UTC)
    pq.write_table(
        pa.table({"srcaddr": ["10.0.0.1"], "start": pa.array([when], pa.timestamp("ms", tz="UTC"))}), path
    )
    assert read_flow_logs(path)["start"].tolist() == [int(when.timestamp())]  # not milliseconds


def test_an_empty_path_is_not_the_working_directory(tmp_path, monkeypatch, default_file):
    monkeypatch.chdir(default_file.parent)  # a directory with flow logs in it
    with pytest.raises(RecordParseError, match="an empty path names no file"):
        read_flow_logs("")


def test_parquet_rows_out_of_range_are_refused_or_counted_once(tmp_path):
    path = tmp_path / "bad.parquet"
    table = pa.table(
        {
            "srcaddr": ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
            "dstport": pa.array([443, 70000, 22], pa.int32()),
            "action": ["ACCEPT", "MAYBE", "REJECT"],
        }
    )
    pq.write_table(table, path)
    with pytest.raises(RecordParseError, match="row 2: field 'dstport' must be 0-65535, not 70000"):
        read_flow_logs(path)
    df = read_flow_logs(path, errors="skip")
    report = df.attrs["report"]
    assert df["dstport"].tolist() == [443, 22]
    assert (report.lines_read, report.parsed, report.rejected) == (3, 2, {"out-of-range": 1})


def test_only_delivery_names_are_picked_from_a_directory(tmp_path):
    write(tmp_path / "logs" / "a.log", [HEADER, ACCEPT])
    (tmp_path / "logs" / "notes.txt").write_text("remember to ask about port 3333\n")
    df = read_flow_logs(tmp_path / "logs")
    assert len(df) == 1 and df.attrs["report"].files == 1
    named = write(
        tmp_path / "export.txt", [HEADER, REJECT]
    )  # a file named explicitly is read whatever its name
    assert read_flow_logs(named)["dstport"].tolist() == [11211]
