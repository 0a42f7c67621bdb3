"""The AWS engine: same .sql()/.query()/.insights() as the local engine, Athena and Logs Insights under moto."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from aws_model import model_violations, placeholders_outside_where, violations

import flowkit
from flowkit.engines import Engine, Translation
from flowkit.engines.aws import AwsEngine, connect_aws
from flowkit.engines.local import LocalEngine
from flowkit.errors import AWSError, FlowkitError, ParameterError, QueryError
from flowkit.queries import get_query, list_queries, strip_header


@pytest.fixture
def engine(sb):
    return flowkit.connect(
        athena={"database": "flowkit", "s3_output": sb.athena_output},
        logs=sb.log_group,
        boto3_session=sb.session,
    )


def _execution(sb, frame):
    query_id = frame.attrs["query"]["query_execution_id"]
    return sb.session.client("athena").get_query_execution(QueryExecutionId=query_id)["QueryExecution"]


def test_connect_returns_the_aws_engine(engine):
    assert isinstance(engine, AwsEngine)
    assert "SANDBOX" in repr(engine) and "flowkit.vpc_flow_logs" in repr(engine)


def test_guide_query_runs_verbatim_against_the_athena_table(sb, engine):
    sb.queue_athena_result(pd.DataFrame({"interface_id": ["eni-1234567890000000"], "dstport": [22]}))
    frame = engine.query("guide_outbound_admin")
    assert frame["dstport"].tolist() == [22] and str(frame["dstport"].dtype) == "int32[pyarrow]"
    sent = _execution(sb, frame)["Query"]
    assert "FROM flowkit.vpc_flow_logs" in sent and "<vpc_flow_logs_table_name>" not in sent


def test_catalogue_parameters_are_validated_and_bound(sb, engine):
    sb.queue_athena_result(pd.DataFrame({"dstport": [443], "dstaddr": ["52.95.1.1"], "count": [9]}))
    frame = engine.query("top_external_destinations", eni="eni-0123456789abcdef0", limit=5)
    execution = _execution(sb, frame)
    assert "?" in execution["Query"] and "eni-0123456789abcdef0" not in execution["Query"]
    # bound where Athena binds (WHERE); the validated limit is written in (Athena cannot bind LIMIT)
    assert execution["ExecutionParameters"] == ["'10.32.0.0/16'", "'eni-0123456789abcdef0'"]
    assert execution["Query"].endswith("LIMIT 5")
    assert engine.last_query["query_execution_id"] == execution["QueryExecutionId"]
    with pytest.raises(ParameterError, match="eni"):
        engine.query("top_external_destinations", eni="' OR 1=1 --")


def test_sql_with_time_bounds_prunes_partitions(sb, engine):
    sb.queue_athena_result(pd.DataFrame({"n": [3]}))
    frame = engine.sql(
        "SELECT count(*) AS n FROM vpc_flow_logs WHERE action = :action",
        action="REJECT",
        start=datetime(2024, 5, 1, tzinfo=UTC),
        end=datetime(2024, 5, 1, 12, tzinfo=UTC),
    )
    execution = _execution(sb, frame)
    assert '"day" >= ? AND "day" <= ?' in execution["Query"]
    assert execution["ExecutionParameters"] == [
        "'2024/05/01'",
        "'2024/05/01'",
        "1714521600",
        "1714564800",
        "'REJECT'",
    ]


def test_sql_refuses_bad_parameters_before_calling_aws(engine):
    with pytest.raises(ParameterError, match="unknown query parameter"):
        engine.sql("SELECT * FROM vpc_flow_logs", port=22)
    with pytest.raises(ParameterError, match="has no value"):
        engine.sql("SELECT * FROM vpc_flow_logs WHERE dstport = :port")
    with pytest.raises(ParameterError):
        engine.sql("SELECT * FROM vpc_flow_logs WHERE action = :a", a="x'; DROP TABLE t; --")
    with pytest.raises(QueryError):
        engine.sql("DROP TABLE vpc_flow_logs")


def test_insights_over_the_engines_log_groups(sb, engine):
    now = datetime.now(UTC).replace(microsecond=0)
    client = sb.session.client("logs")
    client.create_log_stream(logGroupName=sb.log_group, logStreamName="eni-1-all")
    t0 = int(now.timestamp()) - 30
    client.put_log_events(
        logGroupName=sb.log_group,
        logStreamName="eni-1-all",
        logEvents=[
            {
                "timestamp": t0 * 1000,
                "message": f"2 123 eni-1 10.0.1.10 1.1.1.1 1 53 17 1 60 {t0} {t0} ACCEPT OK",
            }
        ],
    )
    frame = engine.insights("fields @timestamp, @message", start=now - timedelta(minutes=5), end=now)
    assert frame["@timestamp"].tolist() == [pd.Timestamp(t0, unit="s", tz="UTC")]
    assert engine.last_query["status"] == "Complete"


def test_connect_aws_settings():
    with pytest.raises(FlowkitError, match="needs athena"):
        connect_aws()
    with pytest.raises(FlowkitError, match="database"):
        connect_aws(athena={"table": "x"})
    engine = connect_aws(athena="db.tbl", workgroup="wg")
    assert (engine.athena.database, engine.athena.table, engine.athena.workgroup) == ("db", "tbl", "wg")
    with pytest.raises(QueryError, match="no log groups"):
        engine.insights("fields @message")
    with pytest.raises(QueryError, match="no Athena table"):
        connect_aws(logs="/g").sql("SELECT 1")
    with pytest.raises(FlowkitError, match="not both"):
        flowkit.connect("data/sample", athena="db")


def test_sandbox_query_without_a_queued_result_says_what_to_do(engine):
    with pytest.raises(AWSError, match=r"queue the result first with sb\.queue_athena_result"):
        engine.sql("SELECT count(*) AS n FROM vpc_flow_logs")


def test_both_engines_keep_the_engine_contract(engine):
    local = flowkit.connect(pd.DataFrame({"srcaddr": ["10.32.0.10"], "dstport": [22], "start": [1714521600]}))
    assert isinstance(engine, Engine) and isinstance(local, Engine)
    for method in ("sql", "query", "insights", "translate"):
        contract = inspect.signature(getattr(Engine, method))
        for cls in (LocalEngine, AwsEngine):
            got = inspect.signature(getattr(cls, method))
            assert [(p.name, p.kind, p.default) for p in got.parameters.values()] == [
                (p.name, p.kind, p.default) for p in contract.parameters.values()
            ], f"{cls.__name__}.{method}{got} differs from Engine.{method}{contract}"
    query = "SELECT dstport FROM vpc_flow_logs WHERE dstport = :port"
    on_aws = engine.translate(query, port=22, start="2024-05-01T00:00:00Z", end="2024-05-01T01:00:00Z")
    assert isinstance(on_aws, Translation) and on_aws.dialect == "athena"
    assert "?" in on_aws.sql and on_aws.parameters[-1] == "22"
    locally = local.translate(query, port=22, start="2024-05-01T00:00:00Z", end="2024-05-01T01:00:00Z")
    assert isinstance(locally, Translation) and locally.dialect == "duckdb"
    assert "= 22" in locally.sql and locally.parameters == ()
    assert local.sql(query, port=22, start="2024-05-01T00:00:00Z").dstport.tolist() == [22]


def test_translate_shows_what_sql_sends(sb, engine):
    query = "SELECT count(*) AS n FROM vpc_flow_logs WHERE action = :action"
    bounds = {"start": datetime(2024, 5, 1, tzinfo=UTC), "end": datetime(2024, 5, 1, 12, tzinfo=UTC)}
    shown = engine.translate(query, action="REJECT", **bounds)
    sb.queue_athena_result(pd.DataFrame({"n": [3]}))
    execution = _execution(sb, engine.sql(query, action="REJECT", **bounds))
    assert (shown.sql, list(shown.parameters)) == (execution["Query"], execution["ExecutionParameters"])


#: A value for each catalogue parameter that has no default.
_NEEDED = {"nat_eni": "eni-0a1b2c3d4e5f67890", "since": "2024-05-01T00:00:00Z"}


@pytest.mark.parametrize("name", list(list_queries().name))
def test_every_catalogue_question_sends_parameters_only_where_athena_binds_them(engine, name):
    """AWS: "Currently, ? parameters can be placed only in the WHERE clause."
    (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html). LIMIT and
    HAVING values are validated and written in; every other value stays an execution parameter."""
    q = get_query(name)
    values = q.bind_values({p.name: _NEEDED[p.name] for p in q.params if p.default is None})
    shown = engine.translate(strip_header(q.sql), _kinds=q.kinds, **values)
    assert placeholders_outside_where(shown.sql) == []
    request = {
        "QueryString": shown.sql,
        "WorkGroup": "primary",
        "QueryExecutionContext": {"Database": "flowkit"},
    }
    if shown.parameters:
        request["ExecutionParameters"] = list(shown.parameters)
    assert model_violations("athena", "StartQueryExecution", request) == []
    for p in q.params:
        if p.kind == "limit":
            assert shown.sql.rstrip().endswith(f"LIMIT {values[p.name]}")
    bound_in_where = [p for p in q.params if p.kind not in ("limit",) and p.name not in ("min_ports",)]
    assert len(shown.parameters) >= len(bound_in_where)  # a value used twice is bound twice


def test_port_scans_writes_its_threshold_and_limit_into_the_text(sb, engine):
    shown = engine.translate(
        strip_header(get_query("port_scans").sql),
        _kinds={"min_ports": "int", "limit": "limit"},
        min_ports=25,
        limit=7,
    )
    assert "HAVING COUNT(DISTINCT dstport) >= 25" in shown.sql and shown.sql.endswith("LIMIT 7")
    assert shown.parameters == ()
    sb.queue_athena_result(pd.DataFrame({"srcaddr": ["203.0.113.9"], "ports": [31]}))
    frame = engine.query("port_scans", min_ports=25, limit=7)
    execution = _execution(sb, frame)
    assert "ExecutionParameters" not in execution or not execution["ExecutionParameters"]
    assert execution["Query"] == shown.sql


@pytest.mark.parametrize(
    ("query", "params", "match"),
    [
        ("SELECT srcaddr FROM vpc_flow_logs LIMIT :n", {"n": "10 UNION SELECT 1"}, "not allowed"),
        ("SELECT srcaddr FROM vpc_flow_logs LIMIT :n", {"n": -1}, "whole number of 0 or more"),
        ("SELECT srcaddr FROM vpc_flow_logs LIMIT :n", {"n": 2.5}, "sits in LIMIT"),
        (
            "SELECT srcaddr, count(*) AS n FROM vpc_flow_logs GROUP BY 1 HAVING count(*) >= :m",
            {"m": "1'"},
            "no quotes",
        ),
        ("SELECT :label AS label FROM vpc_flow_logs", {"label": "a b"}, "no quotes, spaces"),
    ],
)
def test_values_written_into_the_text_are_checked_first(engine, query, params, match):
    with pytest.raises(ParameterError, match=match):
        engine.translate(query, **params)


def test_a_having_threshold_is_checked_by_its_type(engine):
    query = "SELECT dstport, count(*) AS n FROM vpc_flow_logs GROUP BY 1 HAVING max(dstport) < :p"
    with pytest.raises(ParameterError, match="out of range"):
        engine.translate(query, _kinds={"p": "port"}, p=70000)
    shown = engine.translate(
        query + " AND min(dstport) > :q", _kinds={"p": "port", "q": "port"}, p="1024", q=22
    )
    assert shown.sql.endswith("HAVING MAX(dstport) < 1024 AND MIN(dstport) > 22") and shown.parameters == ()


def test_the_request_athena_receives_holds_to_its_model(sb):
    """botocore's Stubber: the StartQueryExecution awswrangler sends for port_scans, checked against the
    installed Athena model and the WHERE-only rule (the test helper adds what botocore's validator skips)."""
    from aws_model import StubbedSession

    from flowkit.aws import athena

    session = StubbedSession()
    engine = AwsEngine(connect_aws(athena="flowkit").athena, None, session)
    shown = engine.translate(
        strip_header(get_query("port_scans").sql),
        _kinds={"min_ports": "int", "limit": "limit"},
        min_ports=20,
        limit=50,
    )
    stub = session.stub("athena")
    stub.add_response(
        "get_work_group",
        {"WorkGroup": {"Name": "primary", "Configuration": {"EnforceWorkGroupConfiguration": False}}},
        {"WorkGroup": "primary"},
    )
    stub.add_response(
        "start_query_execution",
        {"QueryExecutionId": "qe-1"},
        {
            "QueryString": shown.sql,
            "QueryExecutionContext": {"Database": "flowkit"},
            "ResultConfiguration": {"OutputLocation": "s3://my-athena-results/"},
            "WorkGroup": "primary",
        },
    )
    stub.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "qe-1",
                "Status": {"State": "SUCCEEDED"},
                "Statistics": {"DataScannedInBytes": 12 * 1024**2},
            }
        },
        {"QueryExecutionId": "qe-1"},
    )
    stats = athena.execute(
        shown.sql,
        list(shown.parameters),
        database="flowkit",
        s3_output="s3://my-athena-results/",
        boto3_session=session,
    )
    session.close()
    assert stats.data_scanned_bytes == 12 * 1024**2
    assert violations(session.requests) == []
