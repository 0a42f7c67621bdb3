"""The system fields of records read from CloudWatch Logs: ``@timestamp`` is the event's timestamp,
``@ingestionTime`` its ingestionTime, ``@logStream`` and ``@log`` the envelope's stream and
``<owner>:<logGroup>``; records without them keep the values derived from the record.

Documentation: "Supported logs and discovered fields",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html
("@log is a log group identifier in the form of account-id:log-group-name", "@logStream",
"@timestamp contains the event timestamp in the log event's timestamp field", "@ingestionTime");
the subscription envelope, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

import flowkit
from flowkit.engines.insights.run import compile_query, table_events

FIXTURES = Path(__file__).parents[2] / "read" / "fixtures"
A1 = "2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.25 52.217.12.34 49200 443 6 25 5200 1714817100 1714817158 ACCEPT OK"
B1 = "2 123456789012 eni-0f9e8d7c6b5a43210 10.0.2.7 10.0.1.25 5432 51000 6 4 900 1714817160 1714817219 ACCEPT OK"


def _envelope(group: str, stream: str, owner: str, events: list[tuple[int, str]]) -> dict:
    return {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": str(i), "timestamp": t, "message": m} for i, (t, m) in enumerate(events)],
    }


@pytest.fixture(scope="module")
def envelopes(tmp_path_factory):
    """A Firehose-like object (two gzip members) whose events' timestamps are not the records' start
    (a clock skew of a few seconds), in a log group and account of their own."""
    path = tmp_path_factory.mktemp("cw") / "flows-1-2024-05-04-10-15-01-2f6c1a9e-3b7d-4e0a-9c55-0d8e4b6a7f21"
    first = _envelope("/team/flows", "eni-0a1b2c3d4e5f67890-all", "444455556666", [(1714817107000, A1)])
    second = _envelope("/team/flows", "eni-0f9e8d7c6b5a43210-all", "444455556666", [(1714817163000, B1)])
    path.write_bytes(b"".join(gzip.compress(json.dumps(e).encode(), mtime=0) for e in (first, second)))
    with flowkit.connect(path) as engine:
        yield engine


def test_the_event_gives_timestamp_stream_and_log(envelopes):
    got = envelopes.insights("fields @timestamp, @logStream, @log, start | sort @timestamp asc")
    assert got["@timestamp"].tolist() == [
        pd.Timestamp(1714817107000, unit="ms", tz="UTC"),
        pd.Timestamp(1714817163000, unit="ms", tz="UTC"),
    ]
    assert got["@logStream"].tolist() == ["eni-0a1b2c3d4e5f67890-all", "eni-0f9e8d7c6b5a43210-all"]
    assert set(got["@log"]) == {"444455556666:/team/flows"}
    assert got["start"].tolist() == [1714817100, 1714817160]  # the record's own start is still there


def test_the_time_range_is_on_the_event_timestamp(envelopes):
    # 10:05:00-10:05:05 holds the first record's start but not its event (10:05:07)
    assert len(envelopes.insights("fields @message", start=1714817100, end=1714817105)) == 0
    got = envelopes.insights("stats count(*) as n by @logStream", start=1714817106, end=1714817107)
    assert got.values.tolist() == [["eni-0a1b2c3d4e5f67890-all", 1]]


def test_cli_output_gives_the_ingestion_time():
    with flowkit.connect(FIXTURES / "cloudwatch/filter-log-events.json") as engine:
        got = engine.insights("filter bytes = 40 | fields @ingestionTime, @logStream")
        assert got.values.tolist() == [[1714817402117, "eni-0a1b2c3d4e5f67890-all"]]
        assert set(table_events(engine.con, "vpc_flow_logs")) == {
            "log_stream",
            "event_timestamp",
            "ingestion_time",
        }


def test_records_without_events_keep_the_derived_fields():
    with flowkit.connect(FIXTURES / "concat/blank-lines.log") as engine:
        got = engine.insights("fields @timestamp, @logStream, @log, start | limit 1")
        row = got.iloc[0]
        assert row["@timestamp"] == pd.Timestamp(row["start"], unit="s", tz="UTC")
        assert row["@logStream"].endswith("-all") and row["@log"].endswith(":/aws/vpc/flowlogs")
        assert table_events(engine.con, "vpc_flow_logs") == []


def test_the_compiled_sql_names_the_event_columns():
    fields = [flowkit.schema.FIELDS[n] for n in flowkit.schema.DEFAULT_FIELDS]
    sql = compile_query("fields @timestamp, @log", fields, events=["event_timestamp", "log_group"]).sql
    assert "EPOCH_MS" in sql.upper() and '"log_group"' in sql
    assert '"log_group"' not in compile_query("fields @timestamp, @log", fields).sql


def test_transit_gateway_fields_are_discovered_under_their_insights_names():
    # Logs Insights discovers no transit gateway fields; flowkit names them in camelCase (see
    # flowkit.schema.fields), which is how `parse @message` output would be named
    with flowkit.connect(FIXTURES / "tgw/default-format.log.gz") as engine:
        got = engine.insights(
            "filter packetsLostBlackhole > 0 or packetsLostMtuExceeded > 0 "
            "| stats sum(packetsLostBlackhole) as blackhole, sum(packetsLostMtuExceeded) as mtu by tgwAttachmentId"
        )
        assert got.values.tolist() == [
            ["tgw-attach-0a1b2c3d4e5f60718", 3, 0],
            ["tgw-attach-0b2c3d4e5f6071829", 0, 5],
        ]
        stream = engine.insights("fields @logStream | limit 1")
        assert stream["@logStream"].isna().all()  # no interface, no envelope: AWS does not say the name
