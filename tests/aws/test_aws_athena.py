"""Athena through awswrangler under moto: Glue table from DDL, bound parameters, time bounds, failures.

moto never runs SQL: results are queued (header row first) and bound at start_query_execution.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pandas as pd
import pytest
from aws_fixtures import DOC_DDL
from botocore.stub import Stubber

import flowkit.aws as fa
from flowkit import sessions
from flowkit.aws import athena
from flowkit.errors import AWSError, ParameterError, PlanError, QueryError
from flowkit.sql import bound_by_time, time_bounds, to_qmark


def _execution(sb, query_id):
    return sb.session.client("athena").get_query_execution(QueryExecutionId=query_id)["QueryExecution"]


def test_glue_table_matches_the_ddl(sb):
    info = athena.create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    assert info["method"] == "glue"  # auto: moto's Athena does not register DDL tables in Glue
    table = fa.get_table("flowkit", boto3_session=sb.session)
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert columns[:3] == [("version", "int"), ("account_id", "string"), ("interface_id", "string")]
    assert ("protocol", "bigint") in columns and ("end", "bigint") in columns and len(columns) == 14
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [
        ("region", "string"),
        ("day", "string"),
    ]
    params = table["Parameters"]
    for key, value in info["parameters"].items():
        assert params[key] == value, key
    assert params["projection.enabled"] == "true"
    assert params["projection.day.format"] == "yyyy/MM/dd"
    assert table["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == " "
    # idempotent: creating it again overwrites, no error
    athena.create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)


def test_missing_table_is_an_aws_error(sb):
    with pytest.raises(AWSError, match="EntityNotFoundException"):
        fa.get_table("flowkit", "nope", boto3_session=sb.session)
    with pytest.raises(AWSError, match=r"cannot read table flowkit\.nope"):
        fa.run_query(
            "SELECT * FROM nope",
            database="flowkit",
            table="nope",
            start="2024-05-01",
            boto3_session=sb.session,
        )


def test_ddl_through_athena_is_run_as_a_query(sb):
    info = athena.create_table_from_ddl(
        DOC_DDL, database="flowkit", method="athena", s3_output=sb.athena_output, boto3_session=sb.session
    )
    execution = _execution(sb, info["query"].query_execution_id)
    assert execution["Query"].startswith("CREATE EXTERNAL TABLE")
    assert execution["StatementType"] == "DDL"


@pytest.mark.parametrize(
    "options",
    [{}, {"file_format": "parquet", "hive_compatible": True, "per_hour": True}],
    ids=["text-plain-daily", "parquet-hive-hourly"],
)
def test_table_for_plan_registers_flowkits_ddl_in_glue(sb, options):
    pytest.importorskip("flowkit.ddl", reason="flowkit/ddl.py (engine helper) has not landed on main yet")
    fmt = fa.log_format("security")
    plan = fa.plan_flow_logs(
        [sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", log_format=fmt, boto3_session=sb.session, **options
    )
    info = fa.table_for_plan(plan, database="flowkit", boto3_session=sb.session)
    assert info["ddl"].startswith("CREATE EXTERNAL TABLE")
    table = sb.session.client("glue").get_table(DatabaseName="flowkit", Name="vpc_flow_logs")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == info["columns"]
    assert list(columns)[:3] == [
        "version",
        "account_id",
        "interface_id",
    ]  # format order: text is read by position
    assert {k["Name"]: k["Type"] for k in table["PartitionKeys"]} == info["partitions"]
    projection = {k: v for k, v in table["Parameters"].items() if k.startswith(("projection.", "storage."))}
    assert projection == {
        k: v
        for k, v in info["parameters"].items()
        if k not in ("skip.header.line.count", "serialization.null.format")
    }
    if "serialization.null.format" in info["parameters"]:  # text: '-' is NULL in every column
        assert table["StorageDescriptor"]["SerdeInfo"]["Parameters"]["serialization.null.format"] == "-"
        assert table["Parameters"]["serialization.null.format"] == "-"
    assert projection["projection.enabled"] == "true"
    assert f"/{sb.account_id}" in projection["storage.location.template"] or (
        "aws-account-id=${aws-account-id}" in projection["storage.location.template"]
    )
    # a time-bounded query on this table prunes on its own partition keys
    sb.queue_athena_result(pd.DataFrame({"n": [1]}))
    frame = fa.run_query(
        "SELECT count(*) AS n FROM vpc_flow_logs",
        database="flowkit",
        start="2024-05-01T00:00:00Z",
        end="2024-05-01T06:00:00Z",
        s3_output=sb.athena_output,
        boto3_session=sb.session,
    )
    sent = _execution(sb, frame.attrs["query"]["query_execution_id"])["Query"]
    assert ('"day" >= ?' in sent) != ('"year" = ?' in sent)


def test_table_for_a_cloudwatch_plan_is_refused(sb):
    plan = fa.plan_cloudwatch_flow_logs([sb.vpc_id], sb.log_group, boto3_session=sb.session)
    with pytest.raises(PlanError, match="CloudWatch Logs"):
        fa.table_for_plan(plan, database="flowkit", boto3_session=sb.session)


def test_glue_keeps_hyphenated_hive_keys_and_only_the_ddls_properties(sb):
    ddl = """CREATE EXTERNAL TABLE `flowkit`.`hive_t` (`version` int, `end` bigint)
    PARTITIONED BY (`aws-account-id` string, `year` string) STORED AS PARQUET LOCATION 's3://b-1/AWSLogs/'
    TBLPROPERTIES ('projection.enabled'='true', 'projection.aws-account-id.type'='enum',
    'projection.aws-account-id.values'='123456789012', 'projection.year.type'='integer',
    'projection.year.range'='2021,2099',
    'storage.location.template'='s3://b-1/AWSLogs/aws-account-id=${aws-account-id}/year=${year}');"""
    athena.create_table_from_ddl(ddl, database="flowkit", boto3_session=sb.session)
    table = sb.session.client("glue").get_table(DatabaseName="flowkit", Name="hive_t")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["aws-account-id", "year"]
    projected = sorted(k for k in table["Parameters"] if k.startswith("projection."))
    assert projected == [
        "projection.aws-account-id.type",
        "projection.aws-account-id.values",
        "projection.enabled",
        "projection.year.range",
        "projection.year.type",
    ]  # awswrangler's sanitised copies (projection.aws_account_id.*) are removed
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


def test_query_binds_parameters_and_returns_typed_frame_with_cost(sb):
    sb.queue_athena_result(
        pd.DataFrame(
            {"dstport": pd.array([443, 22], dtype="Int64"), "dstaddr": ["52.95.1.1", None], "n": [5, 3]}
        )
    )
    sql = (
        "SELECT dstport, dstaddr, count(*) AS n FROM vpc_flow_logs WHERE action = :action AND srcaddr LIKE :p"
    )
    frame = fa.run_query(
        sql,
        database="flowkit",
        params={"action": "REJECT", "p": "10.0.'1%"},
        s3_output=sb.athena_output,
        boto3_session=sb.session,
    )
    assert frame["dstport"].tolist() == [443, 22]
    assert (
        str(frame["dstport"].dtype) == "int32[pyarrow]"
    )  # flowkit's dtype for ports, as the local engine gives
    assert frame["dstaddr"].isna().tolist() == [False, True]
    stats = frame.attrs["query"]
    assert stats["state"] == "SUCCEEDED" and stats["cost_usd"] == 0.0
    execution = _execution(sb, stats["query_execution_id"])
    assert execution["Query"] == sql.replace(":action", "?").replace(":p", "?")
    assert execution["ExecutionParameters"] == ["'REJECT'", "'10.0.''1%'"]


def test_time_bounds_prune_by_partition(sb):
    athena.create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    sb.queue_athena_result(pd.DataFrame({"n": [7]}))
    frame = fa.run_query(
        "SELECT count(*) AS n FROM vpc_flow_logs",
        database="flowkit",
        start=datetime(2024, 5, 1, tzinfo=UTC),
        end="2024-05-03T00:00:00Z",
        s3_output=sb.athena_output,
        boto3_session=sb.session,
    )
    assert frame["n"].tolist() == [7]
    execution = _execution(sb, frame.attrs["query"]["query_execution_id"])
    assert '"day" >= ? AND "day" <= ?' in execution["Query"] and '"start" >= ?' in execution["Query"]
    assert execution["ExecutionParameters"] == ["'2024/05/01'", "'2024/05/03'", "1714521600", "1714694400"]


def test_failed_query_raises_with_athenas_reason(sb, monkeypatch):
    client = boto3.Session(region_name="us-east-1").client("athena")
    stub = Stubber(client)
    reason = "SYNTAX_ERROR: line 1:8: Column 'nope' cannot be resolved"
    stub.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "Status": {"State": "FAILED", "StateChangeReason": reason},
            }
        },
    )
    monkeypatch.setattr(sessions, "client", lambda service, boto3_session=None: client)
    with (
        stub,
        pytest.raises(AWSError, match="FAILED: SYNTAX_ERROR: line 1:8: Column 'nope' cannot be resolved"),
    ):
        athena.wait_query("q-1", boto3_session=sb.session)


def test_cancelled_query_raises(sb, monkeypatch):
    client = boto3.Session(region_name="us-east-1").client("athena")
    stub = Stubber(client)
    stub.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "Status": {"State": "CANCELLED", "StateChangeReason": "Query cancelled by user"}
            }
        },
    )
    monkeypatch.setattr(sessions, "client", lambda service, boto3_session=None: client)
    with stub, pytest.raises(AWSError, match="CANCELLED: Query cancelled by user"):
        athena.wait_query("q-2", boto3_session=sb.session)


def test_query_that_never_finishes_times_out_and_is_stopped(sb):
    from moto.moto_api import state_manager

    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 10**6}
    )
    try:
        query_id = sb.session.client("athena").start_query_execution(
            QueryString="SELECT 1", ResultConfiguration={"OutputLocation": sb.athena_output}
        )["QueryExecutionId"]
        with pytest.raises(AWSError, match=r"did not finish within 0.3 s \(state QUEUED\); it was stopped"):
            athena.wait_query(query_id, timeout=0.3, poll_interval=0.1, boto3_session=sb.session)
    finally:
        state_manager.unset_transition("athena::execution")
    assert _execution(sb, query_id)["Status"]["State"] == "CANCELLED"


def test_cost_is_per_mb_with_10_mb_minimum():
    assert athena.query_cost(0) == 0.0
    assert athena.query_cost(1) == athena.query_cost(10 * 1024**2)
    assert athena.query_cost(1024**4) == pytest.approx(5.0)
    assert athena.query_cost(11 * 1024**2 + 1) == pytest.approx(12 * 1024**2 / 1024**4 * 5.0)


@pytest.mark.parametrize(
    ("sql", "params", "match"),
    [
        ("SELECT * FROM t WHERE a = :a", {}, "has no value"),
        ("SELECT * FROM t", {"a": 1}, "unknown query parameter"),
        ("SELECT * FROM t WHERE a = ?", {}, "not '?'"),
        ("SELECT * FROM t WHERE a = :a", {"a": None}, "None"),
        ("SELECT * FROM t WHERE a = :a", {"a": [1, 2]}, "cannot be bound"),
        ("SELECT * FROM t WHERE a = :a", {"a": float("nan")}, "finite"),
        ("SELECT * FROM t WHERE a = :a", {"a": datetime(2024, 1, 1)}, "timezone-aware"),
    ],
)
def test_bad_parameters(sql, params, match):
    with pytest.raises(ParameterError, match=match):
        to_qmark(sql, params)


def test_placeholders_in_strings_comments_and_casts_are_left_alone():
    sql = "SELECT ':x', \"a:b\", c::varchar -- :y\nFROM t /* :z */ WHERE d = :d"
    text, values = to_qmark(sql, {"d": datetime(2024, 5, 1, 12, tzinfo=UTC)})
    assert text == "SELECT ':x', \"a:b\", c::varchar -- :y\nFROM t /* :z */ WHERE d = ?"
    assert values == ["TIMESTAMP '2024-05-01 12:00:00.000'"]


def test_bad_time_windows():
    with pytest.raises(ParameterError, match="must be before"):
        bound_by_time("SELECT * FROM vpc_flow_logs", "vpc_flow_logs", ["day"], "2024-05-02", "2024-05-01")
    with pytest.raises(ParameterError, match="timezone-aware"):
        bound_by_time("SELECT * FROM vpc_flow_logs", "vpc_flow_logs", ["day"], datetime(2024, 5, 1), None)
    with pytest.raises(ParameterError, match="ISO"):
        bound_by_time("SELECT * FROM vpc_flow_logs", "vpc_flow_logs", ["day"], "yesterday", None)
    with pytest.raises(QueryError, match="does not read the table"):
        bound_by_time("SELECT 1", "vpc_flow_logs", ["day"], "2024-05-01", None)


def test_hive_layout_is_pruned_day_by_day():
    sql, params = bound_by_time(
        "SELECT * FROM vpc_flow_logs",
        "vpc_flow_logs",
        ["aws-account-id", "year", "month", "day"],
        "2024-05-31",
        "2024-06-01T12:00:00Z",
    )
    assert sql.count('"year" = :') == 2
    assert (params["_fk_m0"], params["_fk_d0"], params["_fk_m1"], params["_fk_d1"]) == (
        "05",
        "31",
        "06",
        "01",
    )


def test_time_windows_take_unix_seconds_like_the_local_engine():
    lo, hi = time_bounds(1714521600, "2024-05-02T00:00:00Z")
    assert lo == datetime(2024, 5, 1, tzinfo=UTC) and hi == datetime(2024, 5, 2, tzinfo=UTC)
    with pytest.raises(ParameterError, match="datetime, ISO string or Unix seconds"):
        time_bounds(True, None)


def test_run_query_binds_only_in_where_and_writes_the_limit_in(sb):
    """Athena binds '?' only in WHERE (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html):
    the limit, checked as a whole number, goes into the text; the WHERE value stays bound."""
    sb.queue_athena_result(pd.DataFrame({"dstport": [22]}))
    frame = fa.run_query(
        "SELECT dstport FROM vpc_flow_logs WHERE action = :action LIMIT :n",
        database="flowkit",
        params={"action": "REJECT", "n": "10"},
        s3_output=sb.athena_output,
        boto3_session=sb.session,
    )
    execution = _execution(sb, frame.attrs["query"]["query_execution_id"])
    assert execution["Query"] == "SELECT dstport FROM vpc_flow_logs WHERE action = ? LIMIT 10"
    assert execution["ExecutionParameters"] == ["'REJECT'"]


def test_to_qmark_places_each_value_by_its_clause():
    sql = (
        "WITH b AS (SELECT x FROM t WHERE y = :a LIMIT :l1) SELECT c FROM b JOIN u ON b.x = u.x AND u.z = :j "
        "WHERE b.x IN (SELECT q FROM r WHERE q > :w LIMIT :l2) GROUP BY c HAVING count(*) >= :h LIMIT :n"
    )
    text, values = to_qmark(sql, {"a": "A", "l1": 1, "j": 3, "w": 4, "l2": 5, "h": 6, "n": 7})
    assert values == ["'A'", "4"]  # the two WHERE values; the rest written in
    assert "WHERE y = ? LIMIT 1" in text and "u.z = 3" in text and "WHERE q > ? LIMIT 5" in text
    assert text.endswith("HAVING count(*) >= 6 LIMIT 7")
    with pytest.raises(ParameterError, match="sits in a JOIN condition"):
        to_qmark("SELECT * FROM t JOIN u ON t.a = :s", {"s": "x;y"})
    with pytest.raises(QueryError, match="does not parse"):
        to_qmark("SELEC * FROM t WHERE a = :a", {"a": 1})
