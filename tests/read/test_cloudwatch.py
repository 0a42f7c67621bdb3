"""CloudWatch Logs inputs, recognised by content: events, subscription envelopes, Lambda and Firehose
payloads, CLI output; and what goes wrong in them (broken JSON, a number for a message, a line
break in a message).

Documentation: subscription data, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
(the DATA_MESSAGE envelope; "Logs sent to a service through a subscription filter are base64 encoded
and compressed with the gzip format"; the Lambda payload ``{"awslogs": {"data": ...}}``; Firehose
objects); CLI output, https://docs.aws.amazon.com/cli/latest/reference/logs/filter-log-events.html and
https://docs.aws.amazon.com/cli/latest/reference/logs/get-log-events.html; events,
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_OutputLogEvent.html. The
fixtures are described in ``fixtures/README.md``.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil

import pandas as pd
import pytest
from reader_fixtures import EXPECTED, FIXTURES, check_expected, values

from flowkit import read_flow_logs
from flowkit.errors import RecordParseError
from flowkit.schema import DEFAULT_FORMAT

A1 = "2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.25 52.217.12.34 49200 443 6 25 5200 1714817100 1714817158 ACCEPT OK"
A2 = "2 123456789012 eni-0a1b2c3d4e5f67890 52.217.12.34 10.0.1.25 443 49200 6 30 38400 1714817100 1714817158 ACCEPT OK"
A3 = "2 123456789012 eni-0a1b2c3d4e5f67890 198.51.100.7 10.0.1.25 51514 22 6 1 40 1714817105 1714817130 REJECT OK"
FIREHOSE = (
    "cloudwatch/firehose/2024/05/04/10/"
    "my-delivery-stream-1-2024-05-04-10-15-01-2f6c1a9e-3b7d-4e0a-9c55-0d8e4b6a7f21"
)
SHAPES = [
    "cloudwatch/subscription-data-message.json",
    "cloudwatch/subscription-data-message.json.gz",
    "cloudwatch/lambda-event.json",
    FIREHOSE,
    "cloudwatch/firehose-decompressed.json",
    "cloudwatch/control-message.json",
    "cloudwatch/filter-log-events.json",
    "cloudwatch/get-log-events.json",
    "cloudwatch/events.log",
]


def _expected(name: str) -> str:
    """The fixture whose values a fixture shares (expected.json's same_records_as)."""
    same = EXPECTED[name].get("same_records_as")
    return {"the Firehose object": FIREHOSE}.get(same, same) or name


@pytest.mark.parametrize("name", SHAPES, ids=lambda n: n.rsplit("/", 1)[-1][:40])
@pytest.mark.parametrize("errors", ["raise", "skip"])
def test_every_shape_reads_by_content(name, errors, tmp_path):
    df = read_flow_logs(FIXTURES / name, errors=errors)
    assert len(df) == EXPECTED[name]["rows"]
    check_expected(df, _expected(name))
    report = df.attrs["report"]
    assert report.rejected_total == 0 and not report.skipped_files
    # the name says nothing: the same bytes under a neutral name read the same
    blind = tmp_path / "export.txt"
    shutil.copyfile(FIXTURES / name, blind)
    pd.testing.assert_frame_equal(read_flow_logs(blind), df)


def test_the_envelope_gives_log_group_stream_owner_and_the_event_its_timestamp():
    df = read_flow_logs(FIXTURES / "cloudwatch/subscription-data-message.json")
    envelope = EXPECTED["cloudwatch/subscription-data-message.json"]["envelope"]
    assert set(df.log_group) == {envelope["logGroup"]} and set(df.log_stream) == {envelope["logStream"]}
    assert set(df.log_owner) == {envelope["owner"]}
    assert str(df.event_timestamp.dtype) == "datetime64[ms, UTC]"
    assert [t.value // 10**6 for t in df.event_timestamp] == envelope["event_timestamps_ms"]


def test_control_messages_are_counted_and_carry_no_records():
    df = read_flow_logs(FIXTURES / "cloudwatch/control-message.json")
    assert len(df) == 0 and df.attrs["report"].control_messages == 1
    firehose = read_flow_logs(FIXTURES / FIREHOSE)
    report = firehose.attrs["report"]
    assert report.control_messages == 1 and report.lines_read == 4
    assert values(firehose, "log_stream") == ["eni-0a1b2c3d4e5f67890-all"] * 3 + ["eni-0f9e8d7c6b5a43210-all"]


def test_a_firehose_prefix_is_found_by_the_directory_search():
    df = read_flow_logs(FIXTURES / "cloudwatch/firehose")
    check_expected(df, FIREHOSE)


def test_cli_output_keeps_the_streams_and_times_of_its_events():
    df = read_flow_logs(FIXTURES / "cloudwatch/filter-log-events.json")
    check_expected(df, "cloudwatch/filter-log-events.json")
    assert values(df, "log_stream")[2] == "eni-0f9e8d7c6b5a43210-all" and "log_group" not in df
    assert df.ingestion_time.iloc[0] == pd.Timestamp(1714817402117, unit="ms", tz="UTC")
    get = read_flow_logs(FIXTURES / "cloudwatch/get-log-events.json")
    assert "log_stream" not in get and len(get) == 3  # get-log-events names no stream in its events


def test_a_bare_array_of_events_reads_too(tmp_path):
    # aws logs filter-log-events --query events
    document = json.loads((FIXTURES / "cloudwatch/filter-log-events.json").read_text())
    path = tmp_path / "events.json"
    path.write_text(json.dumps(document["events"], indent=2))
    df = read_flow_logs(path)
    assert values(df, "bytes") == [5200, 38400, None, 40]


def _event(message, timestamp=1714817100000) -> str:
    return json.dumps({"message": message, "timestamp": timestamp}, separators=(",", ":"))


def test_a_broken_json_line_is_one_rejected_line_not_a_lost_file(tmp_path):
    broken = _event(A2)[: len(_event(A2)) // 2]  # cut in the middle of the message
    path = tmp_path / "broken-line.jsonl"
    path.write_text("\n".join([_event(A1), broken, _event(A3)]) + "\n")
    with pytest.raises(RecordParseError, match=r"broken-line.jsonl, line 2: broken JSON") as info:
        read_flow_logs(path)
    assert info.value.reason == "bad-json"
    df = read_flow_logs(path, errors="skip")
    report = df.attrs["report"]
    assert values(df, "bytes") == [5200, 40] and report.rejected == {"bad-json": 1}
    assert report.examples[0][1] == 2 and not report.skipped_files


def test_a_message_that_is_a_number_is_a_rejected_line(tmp_path):
    path = tmp_path / "message-number.jsonl"
    path.write_text("\n".join([_event(A1), _event(12345), _event(A3)]) + "\n")
    with pytest.raises(
        RecordParseError, match=r"line 2: the event's message is a number, not a flow-log record"
    ):
        read_flow_logs(path)
    df = read_flow_logs(path, errors="skip")
    assert len(df) == 2 and df.attrs["report"].rejected == {"bad-event": 1}


def test_a_line_break_in_a_message_is_one_bad_record_not_two(tmp_path):
    path = tmp_path / "message-newline.jsonl"
    path.write_text("\n".join([_event(A1), _event(A2 + "\n" + A3)]) + "\n")
    with pytest.raises(RecordParseError, match=r"line 2: the event's message holds a line break"):
        read_flow_logs(path)
    df = read_flow_logs(path, errors="skip")
    assert values(df, "bytes") == [5200] and df.attrs["report"].rejected == {"line-break": 1}


def test_event_line_numbers_are_physical_lines(tmp_path):
    # good event, blank, blank, an event with a 13-field message: physical line 4
    path = tmp_path / "blank-then-bad.jsonl"
    path.write_text("\n".join([_event(A1), "", "", _event(A1.rsplit(" ", 1)[0])]) + "\n")
    with pytest.raises(RecordParseError, match=r"blank-then-bad.jsonl, line 4: .*13 fields"):
        read_flow_logs(path)


def test_an_event_in_pretty_printed_output_is_named_by_its_own_line(tmp_path):
    document = json.loads((FIXTURES / "cloudwatch/filter-log-events.json").read_text())
    document["events"][3]["message"] = A3.replace(" 22 ", " ssh ")
    path = tmp_path / "filter.json"
    path.write_text(json.dumps(document, indent=4))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if " ssh " in text)
    with pytest.raises(RecordParseError, match=r"field 'dstport' must be a whole number") as info:
        read_flow_logs(path)
    assert info.value.line_number == line - 3  # the line the event's "{" is on


def test_broken_pretty_printed_output_keeps_the_events_before_the_damage(tmp_path):
    text = (FIXTURES / "cloudwatch/filter-log-events.json").read_text()
    cut = text.index('"eni-0f9e8d7c6b5a43210-all"')
    path = tmp_path / "cut.json"
    path.write_text(text[:cut] + "oops" + text[cut:])
    df = read_flow_logs(path, errors="skip")
    report = df.attrs["report"]
    assert values(df, "bytes")[:2] == [5200, 38400] and report.rejected["bad-json"] >= 1
    line = text[:cut].count("\n") + 1
    assert report.examples[0][1:3] == (line, "bad-json")


def test_other_json_is_refused_by_name(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(
        '{"Records": [{"eventName": "PutObject"}]}\n{"messageType": "SOMETHING", "logEvents": []}\n'
    )
    with pytest.raises(RecordParseError, match=r"line 1: a JSON object with no 'message'.*'Records'"):
        read_flow_logs(path)
    report = read_flow_logs(path, errors="skip").attrs["report"]
    assert report.rejected == {"bad-event": 2}


def test_a_lambda_payload_that_is_a_gzip_bomb_is_refused(tmp_path):
    bomb = gzip.compress(b'{"messageType":"DATA_MESSAGE","logEvents":[' + b" " * (64 << 20) + b"]}", mtime=0)
    path = tmp_path / "lambda.json"
    path.write_text(json.dumps({"awslogs": {"data": base64.b64encode(bomb).decode()}}))
    with pytest.raises(RecordParseError, match=r"'awslogs.data' does not inflate \(it inflates to more than"):
        read_flow_logs(path)
    bad64 = tmp_path / "bad64.json"
    bad64.write_text('{"awslogs": {"data": "not base64!"}}')
    with pytest.raises(RecordParseError, match=r"'awslogs.data' is not base64"):
        read_flow_logs(bad64)


def test_a_custom_format_needs_log_format_and_keeps_event_columns(tmp_path):
    custom = A1 + " vpc-0a1b2c3d subnet-0a1b2c3d i-0a1b2c3d4e5f67890 2"
    path = tmp_path / "eni-0a1b2c3d4e5f67890-all.jsonl"
    path.write_text(json.dumps({"timestamp": 1714817100000, "logStream": "eni-0a1b2c3d4e5f67890-all",
                                "message": custom}) + "\n")  # fmt: skip
    with pytest.raises(RecordParseError, match=r"these records have 18 fields.*log_format="):
        read_flow_logs(path)
    df = read_flow_logs(
        path, log_format=DEFAULT_FORMAT + " ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags}"
    )
    assert values(df, "tcp_flags") == [2] and values(df, "log_stream") == ["eni-0a1b2c3d4e5f67890-all"]
