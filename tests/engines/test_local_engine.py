"""The local DuckDB engine: sources, the view, Trino functions, CIDR tests, errors and the CLI."""

from __future__ import annotations

import gzip
import ipaddress
import json
import random
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowkit.cli import main
from flowkit.ddl import athena_ddl
from flowkit.engines import connect
from flowkit.engines.local import LocalEngine
from flowkit.errors import FlowkitError, ParameterError, QueryError
from flowkit.read import convert, read_flow_logs
from flowkit.sql import joda_to_strftime

HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
LINES = [
    "2 123456789012 eni-1234567890000000 10.100.0.10 11.22.33.44 36952 443 6 25 5445 1659310200 1659310225 ACCEPT OK",
    "2 123456789012 eni-1234567890000000 10.100.0.10 11.22.33.44 36953 22 6 5 500 1659310260 1659310285 ACCEPT OK",
    "2 123456789012 eni-1234567890000000 10.32.0.10 203.0.113.9 36954 25 6 1 40 1659310300 1659310325 REJECT OK",
    "2 123456789012 eni-1234567890000000 - - - - - - - 1659310400 1659310460 - NODATA",
]


def _write_text(path, lines=LINES):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as out:
        out.write(HEADER + "\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture
def layout(tmp_path):
    """Two text files in the plain S3 layout, in two Regions and two days."""
    root = tmp_path / "AWSLogs" / "123456789012" / "vpcflowlogs"
    _write_text(
        root / "us-east-1/2022/07/31/123456789012_vpcflowlogs_us-east-1_fl-1_20220731T2330Z_aaaa0001.log.gz"
    )
    _write_text(
        root / "eu-west-1/2022/08/01/123456789012_vpcflowlogs_eu-west-1_fl-1_20220801T0000Z_aaaa0002.log.gz",
        LINES[:1],
    )
    return tmp_path


@pytest.fixture
def frame_engine():
    frame = read_flow_logs(_write_text_tmp())
    with connect(frame) as engine:
        yield engine


def _write_text_tmp():
    import tempfile
    from pathlib import Path

    return _write_text(Path(tempfile.mkdtemp()) / "x.log.gz")


# -- sources and the view -------------------------------------------------------------------------------


def test_text_layout_gets_partitions_from_the_keys(layout):
    with connect(layout) as engine:
        assert engine.partitions == ["region", "day", "date"]
        assert [f.column for f in engine.fields][:3] == ["version", "account_id", "interface_id"]
        got = engine.sql(
            "SELECT region, day, date, count(*) AS n FROM vpc_flow_logs GROUP BY 1, 2, 3 ORDER BY 1"
        )
    assert got.values.tolist() == [
        ["eu-west-1", "2022/08/01", pd.Timestamp("2022-08-01"), 1],
        ["us-east-1", "2022/07/31", pd.Timestamp("2022-07-31"), 4],
    ]


def test_dataframe_source_derives_day_from_start(frame_engine):
    got = frame_engine.sql("SELECT DISTINCT day, date, region FROM vpc_flow_logs")
    assert got.day.tolist() == ["2022/07/31"] and got.region.isna().all()
    assert frame_engine.sql("SELECT count(*) AS n FROM vpc_flow_logs WHERE dstport IS NULL").n[0] == 1


def test_aws_parquet_with_hyphenated_columns_in_a_hive_per_hour_layout(tmp_path):
    key = (
        "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-west-2/"
        "year=2022/month=07/day=16/hour=09/123456789012_vpcflowlogs_us-west-2_fl-1_20220716T0900Z_aaaa.log.parquet"
    )
    path = tmp_path / key
    path.parent.mkdir(parents=True)
    table = pa.table(
        {
            "version": pa.array([5, 5], pa.int32()),
            "srcaddr": ["10.32.0.10", "2001:db8::1"],
            "dstport": pa.array([443, 22], pa.int32()),
            "pkt-dst-aws-service": ["S3", None],
            "start": pa.array([1657962000, 1657962060], pa.int64()),
            "end": pa.array([1657962030, 1657962090], pa.int64()),
        }
    )
    pq.write_table(table, path)
    with connect(tmp_path) as engine:
        # the partition columns of the Hive-layout table flowkit's DDL makes, so Athena's WHERE works here too
        assert engine.columns == [
            "version", "srcaddr", "dstport", "pkt_dst_aws_service", "start", "end",
            "aws-account-id", "aws-service", "aws-region", "year", "month", "day", "hour", "date",
        ]  # fmt: skip
        ddl = athena_ddl(location="s3://b/", layout="hive", account_id="123456789012", per_hour=True)
        for column in engine.partitions[:-1]:
            assert f"`{column}` string" in ddl or f" {column} string" in ddl
        got = engine.sql(
            'SELECT "aws-region", year, month, day, hour, "end" - start AS secs, pkt_dst_aws_service FROM vpc_flow_logs '
            "WHERE year = '2022' AND month = '07' AND day = '16' ORDER BY start"
        )
    assert got.values.tolist()[0] == ["us-west-2", "2022", "07", "16", "09", 30, "S3"]


def test_converted_parquet_keeps_the_day(tmp_path, layout):
    convert(layout, tmp_path / "pq")
    with connect(tmp_path / "pq") as engine:
        got = engine.sql("SELECT day, count(*) AS n FROM vpc_flow_logs GROUP BY day ORDER BY day")
        plan = engine.con.sql("EXPLAIN SELECT srcaddr FROM vpc_flow_logs WHERE dstport = 22").fetchall()[0][1]
    assert got.values.tolist() == [["2022/07/31", 5]]  # convert files records by their start day
    assert "PARQUET" in plan.upper() or "READ_PARQUET" in plan.upper()  # scanned in place, not loaded


def test_bad_sources_raise_clear_errors(tmp_path):
    with pytest.raises(FlowkitError, match="no such file"):
        connect(tmp_path / "missing")
    with pytest.raises(FlowkitError, match="athena"):
        connect("s3://bucket/prefix/")
    with pytest.raises(FlowkitError, match="no flow-log files given"):
        connect([])
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1" + bytes(100))
    with pytest.raises(FlowkitError, match=r"cannot read this as flow logs \(.*No magic bytes"):
        connect(corrupt)


# -- table names, statements, errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "table", ['"<vpc_flow_logs_table_name>"', "vpc_flow_logs", 'mydb."vpc_flow_logs"', "vpc_flow_logs x"]
)
def test_the_flow_log_table_names_mean_the_view(frame_engine, table):
    assert frame_engine.sql(f"SELECT count(*) AS n FROM {table};").n[0] == 4


def test_the_configured_athena_table_means_the_view():
    with LocalEngine(read_flow_logs(_write_text_tmp()), table="flowdb.test_table_vpclogs") as engine:
        for name in ("test_table_vpclogs", "flowdb.test_table_vpclogs", "vpc_flow_logs"):
            assert engine.sql(f"SELECT count(*) AS n FROM {name}").n[0] == 4
        with pytest.raises(QueryError, match=r"table 'otherdb\.test_table_vpclogs' does not exist"):
            engine.sql("SELECT count(*) FROM otherdb.test_table_vpclogs")


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ("test_table_vpclogs", "table 'test_table_vpclogs' does not exist"),
        ("db.t", "table 'db.t' does not exist"),
        ("vpc_flow_log", "did you mean 'vpc_flow_logs'"),
    ],
)
def test_an_unknown_table_is_an_error_that_names_it(frame_engine, table, match):
    # Athena: "Table ... does not exist" (https://docs.aws.amazon.com/athena/latest/ug/troubleshooting-athena.html)
    with pytest.raises(QueryError, match=match):
        frame_engine.sql(f"SELECT count(*) FROM {table}")


def test_ctes_and_registered_frames_keep_their_names(frame_engine):
    frame_engine.register("allow", pd.DataFrame({"dstport": [443]}))
    got = frame_engine.sql(
        "WITH t AS (SELECT dstport FROM vpc_flow_logs) SELECT count(*) AS n FROM t JOIN allow USING (dstport)"
    )
    assert got.n[0] == 1


def test_syntax_error_points_at_the_position(frame_engine):
    with pytest.raises(QueryError) as info:
        frame_engine.sql("SELECT srcaddr\nFROM vpc_flow_logs\nWHERE dstport = = 22")
    message = str(info.value)
    assert "line 3, column 17" in message
    assert message.splitlines()[-1] == "    " + " " * 16 + "^"


def test_unknown_column_suggests_the_closest(frame_engine):
    with pytest.raises(
        QueryError,
        match=r"column 'dstadr' cannot be resolved \(did you mean 'dstaddr'\?\) at line 1, column 8",
    ):
        frame_engine.sql("SELECT dstadr FROM vpc_flow_logs")


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("DROP VIEW vpc_flow_logs", "read-only"),
        ("SELECT 1; SELECT 2", "one SQL statement"),
        ("   ", "empty"),
        ("SELECT 'abc FROM t", "syntax error"),
        ("SELECT CAST(srcaddr AS INTEGER) FROM vpc_flow_logs", "Cannot cast '10.100.0.10' to int"),
    ],
)
def test_bad_statements(frame_engine, query, match):
    with pytest.raises(QueryError, match=match):
        frame_engine.sql(query)


def test_parameters_are_literals_not_sql(frame_engine):
    assert (
        "'eni-1234567890000000'"
        in frame_engine.translate(
            "SELECT * FROM vpc_flow_logs WHERE interface_id = :eni", eni="eni-1234567890000000"
        ).sql
    )
    with pytest.raises(ParameterError):
        frame_engine.sql("SELECT * FROM vpc_flow_logs WHERE interface_id = :eni", eni="eni-1; DROP TABLE x")
    assert frame_engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0] == 4  # the view is still there


# -- Trino functions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("from_unixtime(1659310200)", datetime(2022, 7, 31, 23, 30, tzinfo=UTC)),
        ("date_parse('2022/07/16', '%Y/%m/%d')", datetime(2022, 7, 16)),
        ("date_trunc('hour', from_unixtime(1659310225))", datetime(2022, 7, 31, 23, 0, tzinfo=UTC)),
        ("regexp_like('10.32.0.10', '^10\\.32\\.')", True),
        ("regexp_like('110.32.0.10', '^10\\.32\\.')", False),
        ("to_iso8601(from_unixtime(1659310225))", "2022-07-31T23:30:25.000Z"),
        ("to_iso8601(DATE '2022-07-16')", "2022-07-16"),
        ("split_part('10.117.1.2', '.', 2)", "117"),
        ("day_of_week(DATE('2022-07-16'))", 6),
        ("date_format(from_unixtime(1659310200), '%Y-%m-%d %H')", "2022-07-31 23"),
        ("format_datetime(from_unixtime(1659310200), 'yyyy-MM-dd HH:mm')", "2022-07-31 23:30"),
        ("bitwise_and(19, 2)", 2),
        (
            "current_date - interval '7' day",
            datetime.combine(datetime.now(UTC).date() - timedelta(days=7), datetime.min.time()),
        ),
        ("contains('10.32.0.0/16', CAST('10.33.0.1' AS IPADDRESS))", False),
        ("contains('::/0', CAST('12345::1' AS IPADDRESS))", False),  # malformed: not inside anything
        ("contains('::/0', CAST('1::2::3' AS IPADDRESS))", False),
        ("contains('0.0.0.0/0', CAST('10.1.2' AS IPADDRESS))", False),
    ],
)
def test_trino_functions(frame_engine, expression, expected):
    got = frame_engine.sql(f"SELECT {expression} AS v").v[0]
    if isinstance(got, pd.Timestamp):
        got = got.to_pydatetime()
    assert got == expected


def test_approx_distinct(frame_engine):
    assert frame_engine.sql("SELECT approx_distinct(dstport) AS n FROM vpc_flow_logs").n[0] == 3


def test_joda_patterns():
    assert joda_to_strftime("yyyy-MM-dd'T'HH:mm:ss.SSS") == "%Y-%m-%dT%H:%M:%S.%g"


def test_cidr_contains_matches_python_ipaddress():
    rng = random.Random(7)
    v4 = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(300)]
    v4 += ["10.32.0.0", "10.32.255.255", "10.31.255.255", "10.33.0.0", "0.0.0.0", "255.255.255.255"]
    v4 += [
        "10.32.15.255",
        "10.32.16.0",
        "10.32.31.255",
        "10.32.32.0",
        "172.15.255.255",
        "172.16.0.0",
        "172.31.9.1",
    ]
    v4 += [str(ipaddress.IPv4Address((10 << 24) | rng.getrandbits(24))) for _ in range(100)]
    v6 = [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(200)]
    v6 += ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::", "::1", "::", "fe80::1"]
    v6 += [str(ipaddress.IPv6Address((0x20010DB8 << 96) | rng.getrandbits(96))) for _ in range(50)]
    addresses = [*v4, *v6, None]
    networks = [
        "10.32.0.0/16",
        "0.0.0.0/0",
        "10.32.0.0/32",
        "192.168.0.0/24",
        "2001:db8::/32",
        "::/0",
        "::1/128",
    ]
    with connect(pd.DataFrame({"srcaddr": pd.array(addresses, dtype="string")})) as engine:
        for net in networks:
            got = engine.sql(
                "SELECT srcaddr, contains(:net, CAST(srcaddr AS IPADDRESS)) AS inside FROM vpc_flow_logs",
                net=net,
            )
            network = ipaddress.ip_network(net)
            for addr, inside in zip(got.srcaddr, got.inside, strict=True):
                want = None if addr is pd.NA else ipaddress.ip_address(addr) in network
                assert (inside is pd.NA and want is None) or inside == want, (net, addr)
        # a CIDR held in a column goes through the UDF
        engine.register("nets", pd.DataFrame({"net": networks}))
        got = engine.sql(
            "SELECT count(*) AS n FROM vpc_flow_logs, nets WHERE contains(net, CAST(srcaddr AS IPADDRESS))"
        ).n[0]
        want = sum(
            1
            for a in addresses
            if a is not None
            for n in networks
            if ipaddress.ip_address(a) in ipaddress.ip_network(n)
        )
        assert got == want


# -- connect() and the AWS hand-off --------------------------------------------------------------------------


def test_connect_hands_athena_and_logs_to_the_aws_engine(monkeypatch):
    import sys
    import types

    calls = []
    module = types.ModuleType("flowkit.engines.aws")
    module.connect_aws = lambda **kwargs: calls.append(kwargs) or "aws-engine"
    monkeypatch.setitem(sys.modules, "flowkit.engines.aws", module)
    assert connect(athena={"database": "db"}, boto3_session="s") == "aws-engine"
    assert calls == [{"athena": {"database": "db"}, "logs": None, "boto3_session": "s"}]
    with pytest.raises(FlowkitError, match="not both"):
        connect("data", logs={"log_group": "g"})


def test_insights_delegates_with_the_engines_fields(frame_engine, monkeypatch):
    import sys
    import types

    module = types.ModuleType("flowkit.engines.insights")
    module.run_insights = lambda con, query, *, start, end, fields, table="vpc_flow_logs": (
        (con is frame_engine.con, con.execute("SELECT count(*) FROM vpc_flow_logs").fetchone()[0]),
        query,
        start,
        end,
        [f.name for f in fields],
    )
    monkeypatch.setitem(sys.modules, "flowkit.engines.insights", module)
    (shared, seen), query, start, end, names = frame_engine.insights("stats count(*)", start=1, end=2)
    # a cursor of its own (threads share the engine), seeing the engine's records
    assert not shared and seen == frame_engine.sql("SELECT count(*) AS n FROM vpc_flow_logs").n[0]
    assert (query, start, end) == ("stats count(*)", 1, 2)
    assert names[:3] == ["version", "account-id", "interface-id"]


# -- the command line ------------------------------------------------------------------------------------------


def test_cli_sql_formats(layout, capsys):
    assert main(["sql", "SELECT dstport, count(*) AS n FROM vpc_flow_logs GROUP BY 1 ORDER BY 1", "--data",
                 str(layout), "--output", "csv"]) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines() == ["dstport,n", "22,1", "25,1", "443,2", ",1"]
    assert main(["sql", "SELECT count(*) AS n FROM vpc_flow_logs WHERE dstport < :p", "-d", str(layout), "-p", "p=100",
                 "-o", "json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out) == {"n": 2}


def test_cli_sql_catalogue(layout, capsys):
    assert main(["sql", "--query", "guide_outbound_admin", "--data", str(layout)]) == 0
    out = capsys.readouterr().out
    assert "11.22.33.44" in out and "203.0.113.9" not in out
    assert main(["sql", "--list"]) == 0
    assert "guide_rejected_outbound" in capsys.readouterr().out
    assert main(["sql", "--query", "rejected_outbound", "-d", str(layout), "--param", "vpc_cidr=10.32.0.0/16",
                 "--show-sql"]) == 0  # fmt: skip
    assert "STARTS_WITH(srcaddr, '10.32.')" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["sql", "--query", "rejected_outbound", "--param", "vpc_cidr=' OR 1=1 --"], "vpc_cidr"),
        (["sql", "--query", "nope"], "no catalogue query"),
        (["sql", "SELECT srcadr FROM vpc_flow_logs"], "did you mean 'srcaddr'"),
        (["sql", "--param", "x"], "NAME=VALUE"),
    ],
)
def test_cli_sql_errors(layout, capsys, argv, match):
    assert main([*argv, "--data", str(layout)]) == 2
    err = capsys.readouterr().err
    assert match in err and len(err.strip().splitlines()) == 1


def test_cli_sql_defaults_to_the_bundled_sample(capsys):
    from flowkit.engines import default_data

    if default_data() is None:
        pytest.skip("no bundled sample")
    assert main(["sql", "SELECT count(*) AS n, min(day) AS day FROM vpc_flow_logs", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"n": 104745, "day": "2026/11/02"}


def test_time_window_keeps_records_starting_inside_it(frame_engine):
    count = "SELECT count(*) AS n FROM vpc_flow_logs"
    assert frame_engine.sql(count)["n"][0] == 4
    assert frame_engine.sql(count, start=1659310260)["n"][0] == 3
    assert frame_engine.sql(count, start="2022-07-31T23:31:00Z", end="2022-07-31T23:33:00Z")["n"][0] == 2
    # the guide's placeholder and qualified columns resolve inside the window too
    guide = "SELECT t.dstport FROM \"<vpc_flow_logs_table_name>\" t WHERE t.action = 'ACCEPT' ORDER BY 1"
    assert frame_engine.sql(guide, end=1659310260)["dstport"].tolist() == [443]
    assert (
        frame_engine.query("guide_rejected_outbound", start=1659310300).shape[0] == 1
    )  # the REJECT starts at 300
    assert frame_engine.query("guide_rejected_outbound", start=1659310301).shape[0] == 0
    qualified = "SELECT vpc_flow_logs.dstport FROM vpc_flow_logs WHERE vpc_flow_logs.dstport IS NOT NULL"
    assert frame_engine.sql(qualified, start=1659310260)["dstport"].tolist() == [22, 25]
    assert frame_engine.sql(count)["n"][0] == 4  # the window does not stick


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        ("2022-07-31 23:35", "2022-07-31 23:30", "time window is empty"),
        ("1659310200; DROP TABLE x", None, "not a timestamp"),
        (True, None, "timestamp"),
    ],
)
def test_bad_time_windows_are_refused(frame_engine, start, end, match):
    with pytest.raises(ParameterError, match=match):
        frame_engine.sql("SELECT count(*) FROM vpc_flow_logs", start=start, end=end)
