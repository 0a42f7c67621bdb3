"""The AWS engine: same .sql()/.query()/.insights() as the local engine, Athena and Logs Insights under moto."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

import flowkit
from flowkit.engines import Engine, Translation
from flowkit.engines.aws import AwsEngine, connect_aws
from flowkit.engines.local import LocalEngine
from flowkit.errors import AWSError, FlowkitError, ParameterError, QueryError


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
    assert execution["ExecutionParameters"] == ["'10.32.0.0/16'", "'eni-0123456789abcdef0'", "5"]
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
