"""Logs Insights: result payloads in the real format (botocore Stubber), statuses, deadline, moto plumbing."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from botocore.stub import ANY

import flowkit.aws as fa
from flowkit.errors import AWSError, ParameterError
from flowkit.frames import TEXT

START = datetime(2024, 5, 1, tzinfo=UTC)
END = datetime(2024, 5, 2, tzinfo=UTC)
RECORD = "2 123456789012 eni-1 10.0.1.10 52.95.1.1"
#: Every GetQueryResults call asks for the model's largest page (maxItems, botocore 1.44: 10,000).
PAGE = {"queryId": "q-1", "maxItems": 10_000}


def _row(**fields):
    cells = [{"field": k.replace("AT_", "@"), "value": v} for k, v in fields.items()]
    return [*cells, {"field": "@ptr", "value": "CmAKJwojMTIzNDU2Nzg5MDEyOi9mbG93a2l0"}]


def _start(stub, query_id="q-1", **expected):
    params = {
        "logGroupNames": ["/vpc/flow-logs"],
        "startTime": 1714521600,
        "endTime": 1714608000,
        "queryString": ANY,
        "queryLanguage": "CWLI",
    }
    stub.add_response("start_query", {"queryId": query_id}, params | expected)


def test_records_come_back_typed_like_the_local_engine(stubbed):
    _start(stubbed, limit=2)
    stubbed.add_response("get_query_results", {"status": "Running", "results": []}, PAGE)
    stubbed.add_response(
        "get_query_results",
        {
            "status": "Complete",
            "statistics": {"recordsMatched": 2.0, "recordsScanned": 1500.0, "bytesScanned": 2 * 1024**3},
            "results": [
                _row(
                    AT_timestamp="2024-05-01 10:00:05.000",
                    srcAddr="10.0.1.10",
                    dstPort="443",
                    action="ACCEPT",
                    bytes="5120",
                    logStatus="OK",
                ),
                _row(
                    AT_timestamp="2024-05-01 10:01:00.250",
                    srcAddr="-",
                    dstPort="-",
                    action="-",
                    bytes="-",
                    logStatus="NODATA",
                ),
            ],
        },
        PAGE,
    )
    frame = fa.run_insights(
        "fields @timestamp, srcAddr, dstPort, action, bytes, logStatus | limit 2",
        "/vpc/flow-logs",
        start=START,
        end=END,
        limit=2,
        poll_interval=0.01,
    )
    assert list(frame.columns) == ["@timestamp", "srcAddr", "dstPort", "action", "bytes", "logStatus"]
    assert frame["@timestamp"].tolist() == [
        pd.Timestamp("2024-05-01 10:00:05", tz="UTC"),
        pd.Timestamp("2024-05-01 10:01:00.250", tz="UTC"),
    ]
    # the local Insights engine's dtypes (flowkit.frames): UTC datetimes, Arrow-backed numbers and text
    assert str(frame["@timestamp"].dtype) == "datetime64[ms, UTC]"
    assert frame["srcAddr"].dtype == TEXT
    assert str(frame["dstPort"].dtype) == "int32[pyarrow]" and str(frame["bytes"].dtype) == "int64[pyarrow]"
    assert frame["dstPort"].tolist()[0] == 443 and pd.isna(frame["dstPort"].iloc[1])
    assert pd.isna(frame["srcAddr"].iloc[1])  # '-' is null, as in the reader
    stats = frame.attrs["query"]
    assert (stats["records_matched"], stats["bytes_scanned"]) == (2.0, 2 * 1024**3)
    assert stats["cost_usd"] == pytest.approx(0.01)


def test_stats_and_bins_are_typed(stubbed):
    _start(stubbed)
    stubbed.add_response(
        "get_query_results",
        {
            "status": "Complete",
            "results": [
                _row(
                    **{"bin(1h)": "2024-05-01 10:00:00.000", "dstPort": "22", "n": "17", "avg_bytes": "80.5"}
                ),
                _row(
                    **{"bin(1h)": "2024-05-01 11:00:00.000", "dstPort": "3389", "n": "3", "avg_bytes": "60"}
                ),
            ],
        },
    )
    frame = fa.run_insights(
        "stats count(*) as n, avg(bytes) as avg_bytes by bin(1h), dstPort",
        ["/vpc/flow-logs"],
        start=START,
        end=END,
    )
    assert frame["bin(1h)"].dt.hour.tolist() == [10, 11]
    assert str(frame["n"].dtype) == "int64[pyarrow]" and frame["n"].tolist() == [17, 3]
    assert str(frame["avg_bytes"].dtype) == "double[pyarrow]"
    assert "@ptr" not in frame.columns


def test_no_rows_is_an_empty_frame(stubbed):
    _start(stubbed)
    stubbed.add_response("get_query_results", {"status": "Complete", "results": []})
    frame = fa.run_insights("filter action = 'REJECT'", ["/vpc/flow-logs"], start=START, end=END)
    assert frame.empty


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout", "Unknown"])
def test_unsuccessful_statuses_raise(stubbed, status):
    _start(stubbed)
    stubbed.add_response("get_query_results", {"status": status, "results": []})
    with pytest.raises(AWSError, match=f"ended with status {status}"):
        fa.run_insights("fields @message", ["/vpc/flow-logs"], start=START, end=END)


def test_a_query_that_keeps_running_is_stopped_at_the_deadline(stubbed):
    _start(stubbed)
    stubbed.add_response("get_query_results", {"status": "Scheduled", "results": []})
    stubbed.add_response("stop_query", {"success": True}, {"queryId": "q-1"})
    with pytest.raises(AWSError, match=r"did not finish within 0 s \(status Scheduled\); it was stopped"):
        fa.run_insights(
            "fields @message", ["/vpc/flow-logs"], start=START, end=END, timeout=0, poll_interval=0.02
        )


def test_refused_query_carries_the_service_message(stubbed):
    stubbed.add_client_error(
        "start_query", "MalformedQueryException", "unexpected symbol found | at line 1", expected_params=None
    )
    with pytest.raises(AWSError, match="MalformedQueryException: unexpected symbol found"):
        fa.run_insights("filter |", ["/vpc/flow-logs"], start=START, end=END)


def test_arns_are_sent_as_identifiers(stubbed):
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/flow-logs"
    stubbed.add_response(
        "start_query",
        {"queryId": "q-9"},
        {
            "logGroupIdentifiers": [arn],
            "startTime": 1714521600,
            "endTime": 1714608000,
            "queryString": ANY,
            "queryLanguage": "CWLI",
        },
    )
    stubbed.add_response("get_query_results", {"status": "Complete", "results": []})
    fa.run_insights("fields @message", [arn], start=START, end=END)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start": END, "end": START}, "before"),
        ({"start": datetime(2024, 5, 1)}, "timezone-aware"),
        ({"limit": 0}, "limit"),
        ({"limit": 100_001}, "1 to 100,000"),
        ({"log_groups": ["/vpc/flow-logs*"]}, "no wildcards"),
        ({"log_groups": ["arn:aws:logs:us-east-1:1:log-group:g"]}, "not a log group ARN"),
        ({"log_groups": []}, "1 to 50"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"log_groups": ["/vpc/flow-logs"]} | kwargs
    with pytest.raises(ParameterError, match=match):
        fa.run_insights("fields @message", **args)


def test_plumbing_against_the_sandbox():
    now = datetime.now(UTC).replace(microsecond=0)
    with fa.sandbox() as sb:
        client = sb.session.client("logs")
        client.create_log_stream(logGroupName=sb.log_group, logStreamName="eni-1-all")
        t0 = int(now.timestamp())
        client.put_log_events(
            logGroupName=sb.log_group,
            logStreamName="eni-1-all",
            logEvents=[
                {
                    "timestamp": (t0 - 120) * 1000,
                    "message": f"{RECORD} 49152 443 6 10 840 {t0 - 120} {t0 - 60} ACCEPT OK",
                },
                {
                    "timestamp": (t0 - 60) * 1000,
                    "message": f"{RECORD} 49153 443 6 10 840 {t0 - 60} {t0} ACCEPT OK",
                },
            ],
        )
        frame = fa.run_insights(
            "fields @timestamp, @message | sort @timestamp asc",
            [sb.log_group],
            start=now - timedelta(minutes=10),
            end=now + timedelta(minutes=1),
            boto3_session=sb.session,
        )
    assert frame["@timestamp"].tolist() == [
        pd.Timestamp(now - timedelta(seconds=120)),
        pd.Timestamp(now - timedelta(seconds=60)),
    ]
    assert frame["@message"].str.endswith("ACCEPT OK").all()
    assert frame.attrs["query"]["status"] == "Complete"


# ---------------------------------------------------------------- held to the CloudWatch Logs model
# StartQuery / GetQueryResults as the installed botocore model documents them:
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html


@pytest.fixture
def session():
    from aws_model import StubbedSession

    stubbed_session = StubbedSession()
    yield stubbed_session
    stubbed_session.close()


def _cells(i):
    return [{"field": "@message", "value": f"record {i}"}, {"field": "@ptr", "value": f"p{i}"}]


def _started(session, query_id="q-1", **request):
    expected = {
        "logGroupNames": ["/vpc/flow-logs"],
        "startTime": 1714521600,
        "endTime": 1714608000,
        "queryString": ANY,
        "queryLanguage": "CWLI",
    } | request
    session.stub("logs").add_response("start_query", {"queryId": query_id}, expected)


def test_every_page_of_a_result_is_read(session):
    """GetQueryResults: "You can retrieve up to 100,000 log event results from a query by paginating
    with the nextToken"; each page at most maxItems (10,000)."""
    from aws_model import violations

    _started(session)
    stub = session.stub("logs")
    stats = {"recordsMatched": 5.0, "resultCount": 5.0, "bytesScanned": 1024.0**2}
    stub.add_response(
        "get_query_results",
        {"status": "Complete", "results": [_cells(0), _cells(1)], "nextToken": "t1", "statistics": stats},
        {"queryId": "q-1", "maxItems": 10_000},
    )
    stub.add_response(
        "get_query_results",
        {"status": "Complete", "results": [_cells(2), _cells(3)], "nextToken": "t2", "statistics": stats},
        {"queryId": "q-1", "maxItems": 10_000, "nextToken": "t1"},
    )
    stub.add_response(
        "get_query_results",
        {"status": "Complete", "results": [_cells(4)], "statistics": stats},
        {"queryId": "q-1", "maxItems": 10_000, "nextToken": "t2"},
    )
    frame = fa.run_insights(
        "fields @message | limit 20000", "/vpc/flow-logs", start=START, end=END, boto3_session=session
    )
    assert frame["@message"].tolist() == [f"record {i}" for i in range(5)]
    query = frame.attrs["query"]
    assert (query["pages"], query["rows"], query["result_count"]) == (3, 5, 5.0)
    assert query["query_language"] == "CWLI"
    assert violations(session.requests) == []


def test_rows_missing_against_the_result_count_are_an_error(session):
    _started(session)
    session.stub("logs").add_response(
        "get_query_results",
        {"status": "Complete", "results": [_cells(0)], "statistics": {"resultCount": 3.0}},
        {"queryId": "q-1", "maxItems": 10_000},
    )
    with pytest.raises(AWSError, match=r"counts 3 result rows but 1 arrived in 1 page"):
        fa.run_insights("fields @message", "/vpc/flow-logs", start=START, end=END, boto3_session=session)


def test_a_result_stopped_at_the_service_default_is_never_silent(session):
    """The limit command: "If you omit limit, the query defaults to returning up to 10,000 log events."
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Limit.html)"""
    rows = [[{"field": "n", "value": "1"}]] * 10_000
    for request in ({}, {}, {"limit": 10_000}):
        _started(session, **request)
        session.stub("logs").add_response(
            "get_query_results",
            {"status": "Complete", "results": rows},
            {"queryId": "q-1", "maxItems": 10_000},
        )
    window = {"start": START, "end": END, "boto3_session": session}
    with pytest.warns(
        UserWarning, match="the most the service returns when no limit is set: there may be more"
    ):
        fa.run_insights("fields n", "/vpc/flow-logs", **window)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the caller asked for at most 10,000: no warning
        fa.run_insights("fields n\n| limit 10000", "/vpc/flow-logs", **window)
        fa.run_insights("fields n", "/vpc/flow-logs", limit=10_000, **window)


def test_limit_goes_up_to_the_installed_models_maximum(session):
    from aws_model import violations

    from flowkit.aws.logs import insights_model

    model = insights_model(session.client("logs"))
    shape = session.client("logs").meta.service_model.operation_model("StartQuery").input_shape
    assert model.max_limit == shape.members["limit"].metadata["max"] == 100_000  # botocore 1.44
    assert model.query_language and model.next_token and model.max_items == 10_000
    _started(session, limit=50_000)
    session.stub("logs").add_response(
        "get_query_results", {"status": "Complete", "results": []}, {"queryId": "q-1", "maxItems": 10_000}
    )
    fa.run_insights(
        "fields @message", "/vpc/flow-logs", start=START, end=END, limit=50_000, boto3_session=session
    )
    assert violations(session.requests) == []


def test_a_describe_log_groups_arn_loses_its_trailing_star(session):
    """StartQuery logGroupIdentifiers: "Don't include an * at the end."; DescribeLogGroups' ``arn`` has one."""
    from aws_model import violations

    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/flow-logs"
    session.stub("logs").add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupIdentifiers": [arn, "/other/group"],
            "startTime": 1714521600,
            "endTime": 1714608000,
            "queryString": ANY,
            "queryLanguage": "CWLI",
        },
    )
    session.stub("logs").add_response(
        "get_query_results", {"status": "Complete", "results": []}, {"queryId": "q-1", "maxItems": 10_000}
    )
    frame = fa.run_insights(
        "fields @message", [f"{arn}:*", "/other/group"], start=START, end=END, boto3_session=session
    )
    assert frame.attrs["query"]["log_groups"] == [arn, "/other/group"]
    assert violations(session.requests) == []


def test_an_arn_works_in_the_sandbox_too():
    now = datetime.now(UTC).replace(microsecond=0)
    with fa.sandbox() as sb:
        client = sb.session.client("logs")
        client.create_log_stream(logGroupName=sb.log_group, logStreamName="eni-1-all")
        t0 = int(now.timestamp()) - 60
        client.put_log_events(
            logGroupName=sb.log_group,
            logStreamName="eni-1-all",
            logEvents=[{"timestamp": t0 * 1000, "message": f"{RECORD} 1 2 6 1 40 {t0} {t0} ACCEPT OK"}],
        )
        arn = client.describe_log_groups(logGroupNamePrefix=sb.log_group)["logGroups"][0]["arn"]
        assert arn.endswith(":*")
        frame = fa.run_insights(
            "fields @message", arn, start=now - timedelta(minutes=5), end=now, boto3_session=sb.session
        )
    assert len(frame) == 1 and frame.attrs["query"]["log_groups"] == [arn.removesuffix(":*")]
