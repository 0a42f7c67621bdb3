"""Text flow logs queried where they lie: DuckDB reads the files, flowkit's rules still decide.

The files here follow AWS's delivery layout and names
(https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html): a ``.log.gz`` per flow
log every 5 minutes, named ``..._YYYYMMDDTHHmmZ_<hash>.log.gz``, holding the records of the 5
minutes before its time; a record's aggregation window is at most 10 minutes
(https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html#flow-logs-aggregation-interval).
"""

from __future__ import annotations

import gzip
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from flowkit.engines import connect
from flowkit.errors import FlowkitError, RecordParseError
from flowkit.layout import hive_partition_keys
from flowkit.read import read_flow_logs
from flowkit.schema import DEFAULT_FORMAT, parse_log_format

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
V5 = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status"
DAY = datetime(2024, 5, 15, tzinfo=UTC)
FIELDS = [f.column for f in parse_log_format(DEFAULT_FORMAT)]  # the default format's columns


def _record(rng: random.Random, stamp: datetime) -> str:
    end = int(stamp.timestamp()) - rng.randrange(0, 300)
    start = end - rng.choice([5, 30, 60, 600])
    packets = rng.randrange(1, 50)
    return (
        f"2 123456789012 eni-0a1b2c3d4e5f6{rng.randrange(10)} 10.0.1.{rng.randrange(1, 250)} "
        f"52.94.{rng.randrange(256)}.{rng.randrange(256)} {rng.randrange(1024, 65536)} "
        f"{rng.choice([443, 80, 22, 53])} 6 {packets} {packets * 60} {start} {end} "
        f"{rng.choice(['ACCEPT', 'REJECT'])} OK"
    )


def _deliver(root: Path, hours: int, *, per_file: int = 5, seed: int = 1, hive: bool = False) -> list[Path]:
    """A flow log's files of ``hours`` hours from DAY 00:00, one every 5 minutes, as S3 delivers them."""
    rng = random.Random(seed)
    paths = []
    for i in range(1, hours * 12 + 1):
        stamp = DAY + timedelta(minutes=5 * i)
        if hive:
            folder = (
                root / "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1"
                f"/year={stamp:%Y}/month={stamp:%m}/day={stamp:%d}/hour={stamp:%H}"
            )
        else:
            folder = root / f"AWSLogs/123456789012/vpcflowlogs/us-east-1/{stamp:%Y/%m/%d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d_{stamp:%Y%m%dT%H%MZ}_{i:08x}.log.gz"
        lines = [HEADER] + [_record(rng, stamp) for _ in range(per_file)]
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
        paths.append(path)
    return paths


def _records(engine, where: str = "", **window) -> pd.DataFrame:
    columns = ", ".join(f'"{f}"' for f in FIELDS)
    query = f"SELECT {columns} FROM vpc_flow_logs {where} ORDER BY start, srcport, dstaddr"
    return engine.sql(query, **window).reset_index(drop=True)


def _expected(paths, errors="raise", **window) -> pd.DataFrame:
    """The same records through flowkit's reader (read_flow_logs) and a DataFrame engine."""
    with connect(read_flow_logs(paths, errors=errors)) as engine:
        return _records(engine, **window)


def test_a_day_in_place_answers_as_the_reader_does(tmp_path):
    paths = _deliver(tmp_path, 24)
    with connect(tmp_path) as engine:
        assert engine.partitions == ["region", "day", "date"]
        got = _records(engine)
        pd.testing.assert_frame_equal(got, _expected(paths))
        assert len(got) == 288 * 5
        assert engine.report.files == 288 and engine.report.parsed == 288 * 5
        days = engine.sql(
            "SELECT region, day, date, count(*) AS n FROM vpc_flow_logs GROUP BY region, day, date ORDER BY day"
        )
    # the file stamped 2024-05-16T0000Z lies in the 16th's folder: its day is the folder's, as in Athena
    assert days.to_dict("list") == {
        "region": ["us-east-1", "us-east-1"],
        "day": ["2024/05/15", "2024/05/16"],
        "date": [pd.Timestamp("2024-05-15"), pd.Timestamp("2024-05-16")],
        "n": [287 * 5, 5],
    }


def test_a_one_hour_window_reads_only_that_hours_files(tmp_path):
    paths = _deliver(tmp_path, 24)
    window = {"start": "2024-05-15T10:00:00Z", "end": "2024-05-15T11:00:00Z"}
    with connect(tmp_path) as engine:
        got = engine.sql("SELECT count(*) AS n, sum(bytes) AS b FROM vpc_flow_logs", **window)
        scan = got.attrs["scan"]
        everything = engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").attrs["scan"]
        by_where = engine.sql(
            "SELECT count(*) AS n, sum(bytes) AS b FROM vpc_flow_logs "
            "WHERE start >= 1715767200 AND start < 1715770800"
        )
    # files stamped 09:50 (a file may be stamped up to 5 minutes before its records, plus slack) to 11:55
    # (records from 10:45 on, up to an hour late): 26 of 288
    assert scan["files"] == 26 and everything["files"] == 288
    hour = [p for p in paths if any(f"T{t}" in p.name for t in ("0950", "0955", "10", "11"))]
    assert scan["bytes"] == sum(p.stat().st_size for p in hour)
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), by_where.reset_index(drop=True), check_names=False
    )
    assert got.n[0] > 0
    pd.testing.assert_frame_equal(_records(connect(tmp_path), **window), _expected(paths, **window))


def test_files_outside_a_delivery_layout_are_never_pruned(tmp_path):
    """A file renamed or written by hand may hold any time: a window keeps it and filters its rows."""
    path = tmp_path / "123456789012_vpcflowlogs_us-east-1_fl-1_20240101T0000Z_00000001.log.gz"
    rng = random.Random(3)
    path.write_bytes(gzip.compress(("\n".join([HEADER, _record(rng, DAY)]) + "\n").encode()))
    with connect(tmp_path) as engine:
        got = engine.sql("SELECT count(*) AS n FROM vpc_flow_logs", start=DAY - timedelta(hours=1), end=DAY)
    assert got.n[0] == 1 and got.attrs["scan"]["files"] == 1


def test_the_hive_per_hour_layout_gets_its_partition_columns(tmp_path):
    paths = _deliver(tmp_path, 3, hive=True)
    with connect(tmp_path) as engine:
        assert engine.partitions == [*hive_partition_keys(per_hour=True), "date"]
        hours = engine.sql(
            'SELECT "aws-region", year, month, day, hour, count(*) AS n FROM vpc_flow_logs GROUP BY 1, 2, 3, 4, 5 ORDER BY hour'
        )
        pd.testing.assert_frame_equal(_records(engine), _expected(paths))
    assert hours.hour.tolist() == ["00", "01", "02", "03"]
    assert hours.n.tolist() == [11 * 5, 12 * 5, 12 * 5, 5]
    assert set(hours["aws-region"]) == {"us-east-1"} and set(hours.day) == {"15"}


def test_formats_mix_by_column_name(tmp_path):
    """Files of two formats (a default one and a custom version-5 one) in one query, null where a
    format lacks a field, as the reader stacks them."""
    folder = tmp_path / "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/15"
    _deliver(tmp_path, 1)
    v5 = (
        "5 vpc-0a1 subnet-0b2 i-0c3 eni-0d4 123456789012 IPv4 10.0.1.5 10.0.2.9 443 49152 10.0.1.5 "
        "10.0.2.9 6 1200 4 1715731200 1715731260 ACCEPT 19 OK"
    )
    custom = folder / "123456789012_vpcflowlogs_us-east-1_fl-9z_20240515T0005Z_0000ffff.log.gz"
    custom.write_bytes(gzip.compress(f"{V5}\n{v5}\n".encode()))
    with connect(tmp_path) as engine:
        got = engine.sql(
            "SELECT vpc_id, tcp_flags, count(*) AS n FROM vpc_flow_logs GROUP BY vpc_id, tcp_flags ORDER BY n"
        )
        columns = engine.columns
    assert got.vpc_id[0] == "vpc-0a1" and pd.isna(got.vpc_id[1]) and got.n.tolist() == [1, 60]
    assert got.tcp_flags[0] == 19 and pd.isna(got.tcp_flags[1])
    assert columns[:14] == FIELDS and "vpc_id" in columns


@pytest.mark.parametrize(
    ("line", "reason", "message"),
    [
        (
            "2 123456789012 eni-1 10.0.1.5 52.94.1.1 443 0x1bb 6 1 60 1715731200 1715731201 ACCEPT OK",
            "bad-number",
            "whole number",
        ),
        (
            "2 123456789012 eni-1 10.0.1.5 52.94.1.1 443 70000 6 1 60 1715731200 1715731201 ACCEPT OK",
            "out-of-range",
            "0-65535",
        ),
        (
            "2 123456789012 eni-1 10.0.1.5 52.94.1.1 443 443 6 1 60 1715731200 1715731201 MAYBE OK",
            "bad-action",
            "ACCEPT",
        ),
        (
            "2 123456789012 eni-1 10.0.1.5 52.94.1.1 443 443 6 1 1.5 1715731200 1715731201 ACCEPT OK",
            "bad-number",
            "whole number",
        ),
        (
            "2 123456789012 eni-1 10.0.1.5 52.94.1.1 443 443 6 1 60 1715731200 ACCEPT OK",
            "field-count",
            "expected 14",
        ),
    ],
)
@pytest.mark.parametrize("check", ["reader's fast path", "DuckDB line check"])
def test_a_bad_line_among_many_files_is_named_or_counted_as_the_reader_does(
    tmp_path, monkeypatch, check, line, reason, message
):
    """DuckDB would read ``0x1bb`` as 443 and ``1.5`` as 2, and never checks ranges: the check sends the file to
    flowkit's reader, whose error names the file and the line. Small files are checked by the reader's
    many-file fast path, large ones by DuckDB reading each line against the rules' pattern: both are tried."""
    from flowkit.engines import text_checks

    if check == "DuckDB line check":
        monkeypatch.setattr(text_checks, "MAX_COMPRESSED", 0)
    paths = _deliver(tmp_path, 2)
    bad = paths[7]
    text = gzip.decompress(bad.read_bytes()).decode().splitlines()
    text.insert(3, line)
    bad.write_bytes(gzip.compress(("\n".join(text) + "\n").encode()))
    with pytest.raises(RecordParseError, match=message) as caught:
        connect(tmp_path)
    assert caught.value.path == str(bad) and caught.value.line_number == 4
    with connect(tmp_path, errors="skip") as engine:
        expected = read_flow_logs(paths, errors="skip")
        assert engine.report.rejected == {reason: 1} == expected.attrs["report"].rejected
        assert engine.report.parsed == expected.attrs["report"].parsed == 24 * 5
        assert engine.report.lines_read == expected.attrs["report"].lines_read
        pd.testing.assert_frame_equal(_records(engine), _expected(paths, errors="skip"))


@pytest.mark.parametrize("check", ["reader's fast path", "DuckDB line check"])
def test_what_duckdb_cannot_be_trusted_with_goes_to_the_reader(tmp_path, monkeypatch, check):
    """Blank lines, tabs, CRLF, a header further down, a damaged gzip, a glob character in a name:
    each file is read by flowkit's reader, and the answer is the reader's."""
    from flowkit.engines import text_checks

    if check == "DuckDB line check":
        monkeypatch.setattr(text_checks, "MAX_COMPRESSED", 0)
    paths = _deliver(tmp_path, 1, per_file=3)
    rng = random.Random(9)
    rows = [_record(rng, DAY + timedelta(minutes=5)) for _ in range(4)]
    variants = {
        0: "\n".join([HEADER, rows[0], "", rows[1]]) + "\n",  # a blank line: counted, not a record
        1: "\n".join([HEADER, rows[0].replace(" ", "\t", 3)]) + "\n",  # tabs between fields
        2: "\r\n".join([HEADER, rows[0], rows[1]]) + "\r\n",  # Windows line ends
        3: "\n".join([HEADER, rows[0], HEADER, rows[1]]) + "\n",  # two objects concatenated
    }
    for i, text in variants.items():
        paths[i].write_bytes(gzip.compress(text.encode()))
    odd = paths[4].with_name(paths[4].name.replace(".log.gz", "[1].log.gz"))
    paths[4].rename(odd)
    paths[4] = odd
    damaged = gzip.compress(("\n".join([HEADER, *rows]) + "\n").encode())
    paths[5].write_bytes(damaged[: len(damaged) - 20])
    with pytest.raises(RecordParseError) as caught:
        connect(tmp_path)
    assert caught.value.path == str(paths[5])
    with connect(tmp_path, errors="skip") as engine:
        expected = read_flow_logs(sorted(paths), errors="skip")
        pd.testing.assert_frame_equal(_records(engine), _records(connect(expected)))
        assert engine.report.blank_lines == expected.attrs["report"].blank_lines == 1
        assert engine.report.headers == expected.attrs["report"].headers
        assert [p for p, _ in engine.report.skipped_files] == [str(paths[5])]


def test_a_checked_file_is_remembered_and_checked_again_once_changed(tmp_path, monkeypatch):
    from flowkit.engines import text_checks

    monkeypatch.setenv("FLOWKIT_CACHE_DIR", str(tmp_path / "cache"))
    paths = _deliver(tmp_path / "data", 1)
    passes = []  # files checked, per check
    check = text_checks._check_small
    monkeypatch.setattr(
        text_checks, "_check_small", lambda items, *a: passes.append(len(items)) or check(items, *a)
    )
    with connect(tmp_path / "data") as engine:
        first = engine.report.parsed
    with connect(tmp_path / "data") as engine:
        assert engine.report.parsed == first == 12 * 5
    assert passes == [12]  # the second engine checked nothing
    with sqlite3.connect(tmp_path / "cache" / "checked-files.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM checked").fetchone()[0] == 12
    text = gzip.decompress(paths[3].read_bytes()).decode().replace(" 6 ", " 0x6 ", 1)
    paths[3].write_bytes(gzip.compress(text.encode()))
    with pytest.raises(RecordParseError, match="whole number") as caught:
        connect(tmp_path / "data")
    assert caught.value.path == str(paths[3]) and passes == [12, 1]


def test_headerless_files_take_the_format_given(tmp_path):
    paths = _deliver(tmp_path, 1)
    for path in paths:
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()[1:]
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    with connect(tmp_path, log_format="v2") as engine:
        assert len(_records(engine)) == 60 and engine.report.headers == 0


def test_an_insights_time_range_reads_only_its_files(tmp_path):
    """Logs Insights always has a time range (end inclusive): the local engine reads the files that can hold it."""
    _deliver(tmp_path, 24)
    with connect(tmp_path) as engine:
        got = engine.insights("stats count(*) as n", start="2024-05-15T10:00:00Z", end="2024-05-15T10:59:59Z")
        expected = engine.sql(
            "SELECT count(*) AS n FROM vpc_flow_logs WHERE start >= 1715767200 AND start < 1715770800"
        )
    assert got.n[0] == expected.n[0] > 0
    assert got.attrs["scan"]["files"] == 26


def test_an_engine_bounded_in_time_reads_and_checks_only_its_files(tmp_path):
    """connect(start=, end=): a one-hour question over many days opens that hour's files, even the first
    time (nothing else is checked: a bad file outside the window does not stop it)."""
    paths = _deliver(tmp_path, 24)
    outside = paths[200]  # 16:45, far from the hour
    outside.write_bytes(gzip.compress(f"{HEADER}\nnot a record\n".encode()))
    window = {"start": "2024-05-15T10:00:00Z", "end": "2024-05-15T11:00:00Z"}
    with connect(tmp_path, **window) as engine:
        assert engine.report.files == 26
        got = engine.sql("SELECT count(*) AS n, min(start) AS lo, max(start) AS hi FROM vpc_flow_logs")
        narrower = engine.sql("SELECT count(*) AS n FROM vpc_flow_logs", start="2024-05-15T10:30:00Z")
    assert got.attrs["scan"]["files"] == 26
    assert got.lo[0] >= 1715767200 and got.hi[0] < 1715770800
    with connect(read_flow_logs(paths[:200] + paths[201:])) as frame:
        expected = frame.sql("SELECT count(*) AS n FROM vpc_flow_logs", **window).n[0]
        half = frame.sql(
            "SELECT count(*) AS n FROM vpc_flow_logs", start="2024-05-15T10:30:00Z", end=window["end"]
        )
    assert got.n[0] == expected > 0 and narrower.n[0] == half.n[0]
    with pytest.raises(RecordParseError):
        connect(tmp_path)  # the whole day holds the bad file


def test_commands_with_a_time_range_read_only_its_files(tmp_path, capsys):
    from flowkit.cli import main

    paths = _deliver(tmp_path, 24)
    paths[200].write_bytes(
        gzip.compress(f"{HEADER}\nnot a record\n".encode())
    )  # outside the hour: never read
    hour = ["--start", "2024-05-15T10:00:00Z", "--end", "2024-05-15T11:00:00Z"]
    assert (
        main(["sql", "SELECT count(*) AS n FROM vpc_flow_logs", "--data", str(tmp_path), "-o", "csv", *hour])
        == 0
    )
    out, err = capsys.readouterr()
    assert int(out.split()[-1]) > 0 and "read at most 26 file(s)" in err
    assert main(["summary", "--data", str(tmp_path), *hour]) == 0
    assert main(["summary", "--data", str(tmp_path)]) == 2  # the whole day holds the bad file
    assert "line 2" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["sql", "insights"])
def test_skip_bad_on_the_command_line_says_what_it_skipped(tmp_path, capsys, command):
    from flowkit.cli import main

    paths = _deliver(tmp_path, 1)
    text = gzip.decompress(paths[4].read_bytes()).decode().replace(" 6 ", " 600 ", 1)
    paths[4].write_bytes(gzip.compress(text.encode()))
    query = "SELECT count(*) AS n FROM vpc_flow_logs" if command == "sql" else "stats count(*) as n"
    assert main([command, query, "--data", str(tmp_path), "-o", "csv"]) == 2
    assert "line 2: field 'protocol' must be 0-255, not 600" in capsys.readouterr().err
    assert main([command, query, "--data", str(tmp_path), "-o", "csv", "--skip-bad"]) == 0
    out, err = capsys.readouterr()
    assert int(out.split()[-1]) == 59
    assert "60 line(s) read: 59 parsed, 1 rejected (out-of-range: 1)" in err


# -- found in review: each once broke the engine or its answer --------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-11-02T12:03:00Z", "2026-11-02T12:04:00Z"), ("2026-11-02T12:03:17Z", "2026-11-02T13:03:17Z")],
)
def test_windows_off_the_five_minute_grid_on_the_bundled_sample(start, end):
    """flowkit's simulator stamps a file with the start of its 5 minutes (AWS with the end): pruning keeps both."""
    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    with connect(read_flow_logs(sample)) as frame:
        expected = frame.sql("SELECT count(*) AS n FROM vpc_flow_logs", start=start, end=end).n[0]
    with connect(sample) as engine:
        assert (
            engine.sql("SELECT count(*) AS n FROM vpc_flow_logs", start=start, end=end).n[0] == expected > 0
        )
    with connect(sample, start=start, end=end) as engine:
        assert engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0] == expected


def test_a_window_over_files_of_one_format_keeps_the_columns_of_the_others(tmp_path):
    _deliver(tmp_path, 1)
    later = tmp_path / "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/16"
    later.mkdir(parents=True)
    (later / "123456789012_vpcflowlogs_us-east-1_fl-9z_20240516T0005Z_0000ffff.log.gz").write_bytes(
        gzip.compress(
            f"{HEADER} vpc-id\n{_record(random.Random(1), DAY + timedelta(days=1, minutes=5))} vpc-1\n".encode()
        )
    )
    with connect(tmp_path) as engine:
        got = engine.sql(
            "SELECT count(*) AS n, count(vpc_id) AS v FROM vpc_flow_logs", end="2024-05-15T02:00:00Z"
        )
        stats = engine.insights("stats count(*) as n", end="2024-05-15T01:59:59Z")
    assert got.n[0] == stats.n[0] > 0 and got.v[0] == 0


def test_a_file_whose_name_and_folder_disagree_is_never_pruned(tmp_path):
    folder = tmp_path / "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/15"
    folder.mkdir(parents=True)
    record = "2 123456789012 eni-1 10.0.1.5 52.94.1.1 443 443 6 1 60 1715817780 1715817790 ACCEPT OK"  # 05-16 00:03
    (folder / "123456789012_vpcflowlogs_us-east-1_fl-1_20240516T0005Z_00000001.log.gz").write_bytes(
        gzip.compress(f"{HEADER}\n{record}\n".encode())
    )
    window = {"start": "2024-05-16T00:03:00Z", "end": "2024-05-16T00:04:00Z"}
    with connect(tmp_path) as engine:
        assert engine.sql("SELECT count(*) AS n FROM vpc_flow_logs", **window).n[0] == 1
    with connect(tmp_path, **window) as engine:
        assert engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0] == 1


def test_a_headerless_file_is_checked_again_under_another_format(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWKIT_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data" / "x.log.gz"
    data.parent.mkdir()
    data.write_bytes(
        gzip.compress(
            b"2 123456789012 eni-1 10.0.1.5 52.94.1.1 40000 443 6 3 180 1715734800 1715734830 ACCEPT OK\n"
        )
    )
    with connect(data, log_format="v2") as engine:
        assert engine.sql("SELECT dstport FROM vpc_flow_logs").dstport[0] == 443
    swapped = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${protocol} ${dstport} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
    with pytest.raises(RecordParseError, match="'protocol' must be 0-255, not 443"):
        connect(data, log_format=swapped)


def test_a_file_changed_or_removed_after_connect_is_refused_by_name(tmp_path):
    path = tmp_path / "a.log"
    path.write_text(f"{HEADER}\n{_record(random.Random(2), DAY)}\n")
    with connect(tmp_path) as engine:
        assert engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0] == 1
        path.write_text(f"{HEADER}\n{_record(random.Random(2), DAY).replace('ACCEPT', 'MAYBE!')}\n")
        with pytest.raises(FlowkitError, match=r"a\.log: changed or removed since the engine was opened"):
            engine.sql("SELECT count(*) AS n FROM vpc_flow_logs")
        path.unlink()
        with pytest.raises(FlowkitError, match=r"a\.log: changed or removed"):
            engine.insights("stats count(*)")


def test_skip_with_every_line_bad_gives_no_rows_and_counts_them(tmp_path):
    (tmp_path / "a.log.gz").write_bytes(
        gzip.compress(f"{HEADER}\n2 1 e 1 2 +443 80 6 1 60 1 2 ACCEPT OK\n".encode())
    )
    with connect(tmp_path, errors="skip") as engine:
        assert engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0] == 0
        assert engine.report.rejected == {"bad-number": 1} and engine.report.parsed == 0


def test_a_stray_carriage_return_among_large_files_goes_to_the_reader(tmp_path, monkeypatch):
    from flowkit.engines import text_checks

    monkeypatch.setattr(
        text_checks, "MAX_COMPRESSED", 0
    )  # the DuckDB line check, as for files of 8 MB and more
    paths = _deliver(tmp_path, 1)
    text = gzip.decompress(paths[2].read_bytes()).decode().replace(" ACCEPT", "\r ACCEPT", 1)
    paths[2].write_bytes(gzip.compress(text.encode()))
    with connect(tmp_path, errors="skip") as engine:
        expected = read_flow_logs(paths, errors="skip")
        assert engine.report.rejected == expected.attrs["report"].rejected
        pd.testing.assert_frame_equal(_records(engine), _records(connect(expected)))


def test_relative_paths_survive_a_change_of_directory(tmp_path, monkeypatch):
    _deliver(tmp_path / "logs", 1)
    monkeypatch.chdir(tmp_path)
    with connect("logs") as engine:
        monkeypatch.chdir("/")
        assert engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0] == 60


@pytest.mark.parametrize("name", ["records.log.zst", "records.bz2", "records.csv"])
def test_text_is_read_as_text_whatever_its_name(tmp_path, name):
    """DuckDB would guess the compression from the name; flowkit tells it what the first bytes say."""
    path = tmp_path / name
    path.write_text(f"{HEADER}\n{_record(random.Random(4), DAY)}\n")
    with connect(path) as engine:
        pd.testing.assert_frame_equal(_records(engine), _expected([path]))
