"""The query commands on a real account: ``flowkit sql`` on Athena (moto's sandbox) and ``flowkit insights`` on
Logs Insights (botocore's Stubber), with the same output as offline, ``--show-sql``, the cost line and the
one-line errors.

The requests are the documented ones: StartQueryExecution with ``ExecutionParameters``
(https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html) and StartQuery with
``startTime``/``endTime`` in seconds (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from aws_fixtures import DOC_DDL

import flowkit
from flowkit.cli import main

START, END = "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"
T0, T1 = 1714521600, 1714608000  # START and END in Unix seconds

#: Records for the guide's queries (version 2, the default format), inside START..END: admin traffic from the
#: guide's interface and address, rejected outbound traffic from 10.32.x, external destinations of the interface.
RECORDS = """version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789012 eni-1234567890000000 10.100.0.10 11.22.33.44 36952 22 6 25 5445 1714525200 1714525225 ACCEPT OK
2 123456789012 eni-1234567890000000 10.32.0.10 52.95.1.1 36953 443 6 10 840 1714525300 1714525320 REJECT OK
2 123456789012 eni-1234567890000000 10.32.0.10 52.95.1.1 36954 443 6 12 960 1714525400 1714525420 ACCEPT OK
2 123456789012 eni-1234567890000000 10.32.0.10 10.32.0.20 36955 8080 6 12 960 1714525500 1714525520 ACCEPT OK
"""
GUIDE = ["guide_outbound_admin", "guide_rejected_outbound", "guide_top_external_destinations"]


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d_20240501T0000Z_0a1b2c3d.log"
    path.write_text(RECORDS)
    return str(path)


@pytest.fixture
def athena_sb(sb):
    """The sandbox with the table ``flowkit.vpc_flow_logs`` of AWS's documented DDL (partitioned by day)."""
    from flowkit.aws import athena

    athena.create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    return sb


def _athena(sb, *extra):
    return ["--athena", "flowkit", "--s3-output", sb.athena_output, "--start", START, "--end", END, *extra]


def _executions(sb):
    client = sb.session.client("athena")
    ids = client.list_query_executions()["QueryExecutionIds"]
    return [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


@pytest.mark.parametrize("output", ["table", "csv", "json"])
@pytest.mark.parametrize("name", GUIDE)
def test_guide_sql_on_athena_prints_what_offline_prints(athena_sb, records, capsys, name, output):
    assert main(["sql", "--query", name, "--data", records, "-o", output]) == 0
    offline = capsys.readouterr().out
    answer = flowkit.connect(records).query(name)
    assert len(answer) >= 1  # the records answer every guide question
    athena_sb.queue_athena_result(answer)  # moto never runs SQL: Athena returns the local engine's answer

    assert main(["sql", "--query", name, *_athena(athena_sb), "-o", output]) == 0
    out, err = capsys.readouterr()
    assert out == offline
    (execution,) = _executions(athena_sb)
    assert (
        "FROM flowkit.vpc_flow_logs" in execution["Query"]
        and "<vpc_flow_logs_table_name>" not in execution["Query"]
    )
    # bounded by --start/--end: the day partitions and the record start times, bound as parameters
    assert '"day" >= ? AND "day" <= ?' in execution["Query"]
    assert execution["ExecutionParameters"][:4] == ["'2024/05/01'", "'2024/05/02'", str(T0), str(T1)]
    assert execution["WorkGroup"] == "primary"
    assert err.splitlines() == [
        f"Athena query {execution['QueryExecutionId']}: SUCCEEDED, scanned 0.0 MB, about USD 0.0000 "
        f"({START} to {END})"
    ]


def test_quiet_hides_the_cost_line(athena_sb, capsys):
    athena_sb.queue_athena_result(pd.DataFrame({"n": [3]}))
    assert main(["sql", "SELECT count(*) AS n FROM vpc_flow_logs", *_athena(athena_sb), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.split() == ["n", "3"] and err == ""


def test_show_sql_prints_the_athena_text_and_parameters_without_running(athena_sb, capsys):
    argv = ["sql", "SELECT dstport FROM vpc_flow_logs WHERE action = :a", "-p", "a=REJECT", "--show-sql"]
    assert main([*argv, *_athena(athena_sb, "--workgroup", "analysts")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("SELECT dstport FROM (SELECT * FROM flowkit.vpc_flow_logs WHERE ")
    assert lines[0].count("?") == 5 and "REJECT" not in lines[0]
    assert lines[1:] == [
        "-- ?1 = '2024/05/01'",
        "-- ?2 = '2024/05/02'",
        f"-- ?3 = {T0}",
        f"-- ?4 = {T1}",
        "-- ?5 = 'REJECT'",
    ]
    assert _executions(athena_sb) == []  # nothing was run


def test_without_a_range_athena_reads_the_last_day(athena_sb, capsys):
    athena_sb.queue_athena_result(pd.DataFrame({"n": [1]}))
    assert main(["sql", "SELECT count(*) AS n FROM vpc_flow_logs", "--athena", "flowkit"]) == 0
    (execution,) = _executions(athena_sb)
    low, high = (int(v) for v in execution["ExecutionParameters"][2:4])
    assert high - low == 86_400


def _insights_rows(frame: pd.DataFrame) -> list[list[dict[str, str]]]:
    """A frame as GetQueryResults ``results`` (every value a string; @timestamp as the service writes it)."""
    rows = []
    for record in frame.to_dict("records"):
        row = []
        for field, value in record.items():
            if isinstance(value, pd.Timestamp):
                value = value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            row.append({"field": field, "value": str(value)})
        rows.append(row)
    return rows


def _stub_query(stubbed, query, frame, *, groups=("/vpc/flow-logs",), scanned=2 * 1024**3):
    from flowkit.aws.logs import insights_model

    stubbed.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": list(groups),
            "startTime": T0,
            "endTime": T1,
            "queryString": query,
            "queryLanguage": "CWLI",
        },
    )
    stubbed.add_response(
        "get_query_results",
        {
            "status": "Complete",
            "results": _insights_rows(frame),
            "statistics": {"recordsMatched": len(frame), "recordsScanned": 4.0, "bytesScanned": scanned},
        },
        {"queryId": "q-1", "maxItems": insights_model(stubbed.client).max_items},
    )


@pytest.mark.parametrize("output", ["table", "csv", "json"])
@pytest.mark.parametrize("name", GUIDE)
def test_guide_insights_on_cloudwatch_prints_what_offline_prints(stubbed, records, capsys, name, output):
    from flowkit.queries import render

    assert (
        main(["insights", "--name", name, "--data", records, "--start", START, "--end", END, "-o", output])
        == 0
    )
    offline = capsys.readouterr().out
    answer = flowkit.connect(records).insights(render(name, "insights"), start=START, end=END)
    assert len(answer) >= 1
    _stub_query(stubbed, render(name, "insights"), answer)

    argv = ["insights", "--name", name, "--log-group", "/vpc/flow-logs", "--start", START, "--end", END]
    assert main([*argv, "-o", output]) == 0
    out, err = capsys.readouterr()
    assert out == offline
    assert err.splitlines() == [
        f"Logs Insights query q-1: Complete, scanned 2048.0 MB, about USD 0.0100 ({START} to {END})"
    ]
    stubbed.assert_no_pending_responses()


def test_insights_show_sql_prints_the_start_query_request(stubbed, capsys):
    argv = ["insights", "stats count(*) by action", "--log-group", "/vpc/flow-logs", "--log-group", "/vpc/b"]
    assert main([*argv, "--start", START, "--end", END, "--show-sql"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "logGroupNames": ["/vpc/flow-logs", "/vpc/b"],
        "startTime": T0,
        "endTime": T1,
        "queryString": "stats count(*) by action",
        "queryLanguage": "CWLI",
    }
    stubbed.assert_no_pending_responses()  # nothing was sent: the Stubber had no response to give


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["sql", "SELECT 1", "--data", "x.log", "--athena", "flowkit"],
            "give either local files or an AWS target, not both: drop --data to query AWS (--athena), or drop "
            "--athena to read the local files.",
        ),
        (
            ["insights", "stats count(*)", "--log-format", "v5", "--log-group", "/g"],
            "drop --log-format to query AWS (--log-group), or drop --log-group",
        ),
        (
            ["sql", "SELECT 1", "--keep-unknown-fields", "--athena", "flowkit"],
            "drop --keep-unknown-fields to query AWS (--athena)",
        ),
        (["summary", "--skip-bad", "--athena", "flowkit"], "drop --skip-bad to query AWS (--athena)"),
        (["report", "--out", "x", "--log-group", "/g"], "flowkit report runs on Athena: give --athena"),
        (["unexpected", "--allowlist", "a.yaml", "--athena", "db", "--max-records", "0"], "--max-records 0"),
        (
            ["sql", "SELECT 1", "--profile", "prod"],
            "--profile: an AWS option, but no AWS target is given: add --athena DB[.TABLE]",
        ),
        (["sql", "SELECT 1", "--log-group", "/g"], "flowkit sql runs on Athena: give --athena DB[.TABLE]"),
        (["insights", "stats count(*)", "--athena", "flowkit"], "give --log-group NAME"),
        (
            ["sql", "SELECT 1", "--athena", "db", "--start", "yesterday"],
            "--start 'yesterday': give an ISO 8601",
        ),
        (["sql", "SELECT 1", "--athena", "db", "--start", END, "--end", START], "must be before --end"),
        (
            ["insights", "stats count(*)", "--log-group", "/g", "--timeout", "0"],
            "--timeout 0: give 1 to 86400",
        ),
    ],
)
def test_bad_targets_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err


@pytest.mark.parametrize(
    "argv",
    [
        ["insights", "stats count(*)", "--log-group", "/g"],
        ["sql", "SELECT count(*) FROM vpc_flow_logs", "--athena", "flowkit"],
        ["summary", "--athena", "flowkit"],
    ],
)
def test_no_credentials_is_one_line_saying_how_to_sign_in(monkeypatch, tmp_path, capsys, argv):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role either: nothing to sign with
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    assert main([*argv, "--start", START, "--end", END]) == 2  # botocore cannot sign: nothing is sent
    err = capsys.readouterr().err
    assert err.startswith(f"flowkit {argv[0]}: error: AWS: no valid credentials (NoCredentialsError")
    assert "aws sso login" in err and len(err.splitlines()) == 1


def test_no_region_is_one_line_saying_how_to_give_one(monkeypatch, tmp_path, capsys):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main(["insights", "stats count(*)", "--log-group", "/g", "--start", START, "--end", END]) == 2
    assert capsys.readouterr().err == (
        "flowkit insights: error: AWS: no AWS Region (NoRegionError: You must specify a region.). Pass --region R, "
        "or set one in the profile or AWS_DEFAULT_REGION.\n"
    )


def test_start_and_end_bound_local_sql(records, capsys):
    argv = ["sql", "SELECT count(*) AS n FROM vpc_flow_logs", "--data", records, "-o", "csv"]
    assert main([*argv, "--start", "2024-05-01T01:03:00Z", "--end", END]) == 0
    assert capsys.readouterr().out.split() == ["n", "2"]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDeniedException", "access denied (AccessDeniedException: no). The identity needs"),
        ("ThrottlingException", "throttled by AWS after 5 attempts (ThrottlingException: no). Wait a minute"),
        ("UnrecognizedClientException", "no valid credentials (UnrecognizedClientException: no)"),
    ],
)
def test_refusals_are_one_line_naming_the_cause(stubbed, capsys, code, message):
    for _ in range(5 if code == "ThrottlingException" else 1):  # botocore retries throttling 4 more times
        stubbed.add_client_error(
            "start_query", service_error_code=code, service_message="no", http_status_code=400
        )
    argv = ["insights", "stats count(*)", "--log-group", "/vpc/flow-logs", "--start", START, "--end", END]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("flowkit insights: error: AWS: ") and message in err


def test_a_failed_query_is_one_line(stubbed, capsys):
    stubbed.add_response("start_query", {"queryId": "q-9"})
    stubbed.add_response("get_query_results", {"status": "Failed", "results": []})
    argv = ["insights", "stats count(*)", "--log-group", "/vpc/flow-logs", "--start", START, "--end", END]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        "flowkit insights: error: AWS: Logs Insights query q-9 ended with status Failed. Check the query text "
        "and narrow the time range. Check the query with --show-sql, and the table or log group with flowkit "
        "doctor.\n"
    )


def test_a_query_past_its_deadline_is_stopped_and_one_line(stubbed, capsys, monkeypatch):
    import itertools

    clock = itertools.count(0, 1000)  # every look at the clock is 1000 s later: the deadline passes at once
    monkeypatch.setattr("flowkit.aws.logs.time.monotonic", lambda: float(next(clock)))
    monkeypatch.setattr("flowkit.aws.logs.time.sleep", lambda seconds: None)
    stubbed.add_response("start_query", {"queryId": "q-7"})
    stubbed.add_response("get_query_results", {"status": "Running", "results": []})
    stubbed.add_response("stop_query", {"success": True}, {"queryId": "q-7"})
    argv = ["insights", "stats count(*)", "--log-group", "/vpc/flow-logs", "--start", START, "--end", END]
    assert main([*argv, "--timeout", "60"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "flowkit insights: error: AWS: Logs Insights query q-7 did not finish within 60 s (status Running); "
        "it was stopped. Narrow --start/--end, or raise --timeout.\n"
    )
    stubbed.assert_no_pending_responses()


def test_a_failed_athena_query_is_one_line(athena_sb, capsys, monkeypatch):
    from moto.athena.responses import AthenaResponse

    original = AthenaResponse.get_query_execution

    def failed(self):  # moto runs no SQL, so it never fails a query: this one fails as Athena reports it
        response = json.loads(original(self))
        response["QueryExecution"]["Status"] |= {
            "State": "FAILED",
            "StateChangeReason": "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
        }
        return json.dumps(response)

    monkeypatch.setattr(AthenaResponse, "get_query_execution", failed)
    assert main(["sql", "SELECT nope FROM vpc_flow_logs", *_athena(athena_sb)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flowkit sql: error: AWS: Athena query ")
    assert err.endswith(
        " FAILED: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved Check the query with --show-sql, "
        "and the table or log group with flowkit doctor.\n"
    )


# --- summary, unexpected, report on Athena ------------------------------------------------------------------


def _projected(records: str, columns) -> pd.DataFrame:
    """What Athena returns for the command's query: the records' chosen columns (computed by the local engine)."""
    select = ", ".join(f'"{c}"' for c in columns)
    return flowkit.connect(records).sql(f"SELECT {select} FROM vpc_flow_logs")


def test_summary_on_athena_reads_only_its_columns_of_the_period(athena_sb, records, capsys):
    from flowkit.cli._aws import SUMMARY_COLUMNS

    assert main(["summary", "--data", records, "-o", "csv"]) == 0
    offline = capsys.readouterr().out
    athena_sb.queue_athena_result(_projected(records, SUMMARY_COLUMNS))
    assert main(["summary", *_athena(athena_sb), "-o", "csv"]) == 0
    out, err = capsys.readouterr()
    assert out == offline and "records,4" in out and "ACCEPT records,3" in out
    (execution,) = _executions(athena_sb)
    select = ", ".join(f'"{c}"' for c in SUMMARY_COLUMNS)
    assert execution["Query"].startswith(f"SELECT {select} FROM (SELECT * FROM flowkit.vpc_flow_logs WHERE ")
    assert execution["Query"].endswith("LIMIT 1000001")  # --max-records, plus one to tell "more"
    assert execution["ExecutionParameters"] == ["'2024/05/01'", "'2024/05/02'", str(T0), str(T1)]
    lines = err.splitlines()
    assert lines[0] == (
        f"read 4 records from Athena flowkit.vpc_flow_logs, {START} to {END}, in one time-bounded query of 9 "
        f"columns ({', '.join(SUMMARY_COLUMNS)})"
    )
    assert lines[1].startswith("Athena query ") and len(lines) == 2


def test_more_records_than_max_records_is_an_error(athena_sb, records, capsys):
    from flowkit.cli._aws import SUMMARY_COLUMNS

    athena_sb.queue_athena_result(_projected(records, SUMMARY_COLUMNS))
    assert main(["summary", *_athena(athena_sb), "--max-records", "3"]) == 2
    assert capsys.readouterr().err == (
        f"flowkit summary: error: more than 3 records in flowkit.vpc_flow_logs from {START} to {END}: narrow "
        "--start/--end, or raise --max-records.\n"
    )
    (execution,) = _executions(athena_sb)
    assert execution["Query"].endswith("LIMIT 4")


def test_start_and_end_bound_local_records_too(records, capsys):
    assert (
        main(["summary", "--data", records, "--start", "2024-05-01T01:03:00Z", "--end", END, "-o", "csv"])
        == 0
    )
    assert "records,2" in capsys.readouterr().out  # the two records starting at 01:03:00 or later


def test_unexpected_on_athena_ranks_what_offline_ranks(athena_sb, records, tmp_path, capsys):
    from flowkit.aws import athena
    from flowkit.cli._aws import ANALYSIS_COLUMNS

    allowlist = tmp_path / "allow.yaml"
    allowlist.write_text("vpc_cidrs: [10.32.0.0/16]\nrules:\n  - {name: web, protocol: tcp, ports: [443]}\n")
    argv = ["unexpected", "--allowlist", str(allowlist), "-o", "csv"]
    assert main([*argv, "--data", records]) == 0
    offline = capsys.readouterr().out
    columns = {
        c["Name"]
        for c in athena.get_table("flowkit", "vpc_flow_logs", boto3_session=athena_sb.session)[
            "StorageDescriptor"
        ]["Columns"]
    }
    athena_sb.queue_athena_result(_projected(records, [c for c in ANALYSIS_COLUMNS if c in columns]))
    assert main([*argv, *_athena(athena_sb)]) == 0
    out, err = capsys.readouterr()
    assert out == offline and len(out.splitlines()) >= 2
    assert err.startswith("read 4 records from Athena flowkit.vpc_flow_logs")


def test_report_on_athena_writes_the_figures(athena_sb, records, tmp_path, capsys):
    from flowkit.aws import athena
    from flowkit.cli._aws import ANALYSIS_COLUMNS
    from flowkit.cli.report import FIGURES

    columns = {
        c["Name"]
        for c in athena.get_table("flowkit", "vpc_flow_logs", boto3_session=athena_sb.session)[
            "StorageDescriptor"
        ]["Columns"]
    }
    athena_sb.queue_athena_result(_projected(records, [c for c in ANALYSIS_COLUMNS if c in columns]))
    out_dir = tmp_path / "figures"
    assert main(["report", *_athena(athena_sb), "--out", str(out_dir), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert sorted(p.name for p in out_dir.glob("*.png")) == sorted(f"{name}.png" for name in FIGURES)
    assert len(out.splitlines()) == len(FIGURES)  # one line per file written
    assert err.startswith("read 4 records from Athena") and len(err.splitlines()) == 1  # --quiet: no cost


def test_report_on_an_empty_period_writes_nothing(athena_sb, tmp_path, capsys):
    athena_sb.queue_athena_result(pd.DataFrame({"srcaddr": pd.Series([], dtype=str)}))
    out_dir = tmp_path / "figures"
    assert main(["report", *_athena(athena_sb), "--out", str(out_dir), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no flow records to plot" in err and f"--athena flowkit, {START} to {END}" in err
    assert not list(out_dir.glob("*.png"))


def test_the_readme_table_names_the_aws_flags_each_command_takes():
    import argparse
    import re
    from pathlib import Path

    from flowkit.cli import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = re.findall(r"^\| `flowkit (\w+)` \| (`--[^|]+) \|", readme, flags=re.MULTILINE)
    assert {command for command, _ in rows} == {"sql", "insights", "summary", "unexpected", "report"}
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    shared = {"--profile", "--region", "--start", "--end", "--timeout", "--quiet", "--athena", "--log-group"}
    for command, flags in rows:
        options = set(commands[command]._option_string_actions)
        assert set(re.findall(r"--[a-z0-9-]+", flags)) | shared <= options, command


@pytest.mark.parametrize(
    "argv",
    [["summary"], ["unexpected", "--allowlist", "never-read.yaml"], ["report", "--out", "never-made"]],
    ids=["summary", "unexpected", "report"],
)
def test_records_commands_show_their_athena_query_without_running(
    athena_sb, tmp_path, capsys, argv, monkeypatch
):
    from flowkit.cli._aws import SUMMARY_COLUMNS

    monkeypatch.chdir(tmp_path)
    assert main([*argv, *_athena(athena_sb), "--show-sql", "--max-records", "10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith('SELECT "interface_id", "srcaddr", "dstaddr"') and lines[0].endswith(
        "LIMIT 11"
    )
    if argv[0] == "summary":
        select = ", ".join(f'"{c}"' for c in SUMMARY_COLUMNS)
        assert lines[0].startswith(f"SELECT {select} FROM (SELECT * FROM flowkit.vpc_flow_logs WHERE ")
    assert lines[1:] == ["-- ?1 = '2024/05/01'", "-- ?2 = '2024/05/02'", f"-- ?3 = {T0}", f"-- ?4 = {T1}"]
    assert _executions(athena_sb) == [] and list(tmp_path.iterdir()) == []  # nothing run, nothing written


def test_show_sql_of_a_records_command_needs_athena(capsys):
    assert main(["summary", "--show-sql"]) == 2
    assert (
        "--show-sql prints the Athena query flowkit summary would run: add --athena"
        in capsys.readouterr().err
    )


def test_athena_access_denied_is_one_line(monkeypatch, capsys):
    """botocore's Stubber behind every client of the session (flowkit's and awswrangler's): Glue answers, then
    Athena refuses StartQueryExecution as it does for an identity without athena:StartQueryExecution."""
    from aws_model import StubbedSession, violations

    session = StubbedSession()
    monkeypatch.setattr("flowkit.sessions.profile_session", lambda profile=None, region=None: session)
    session.stub("glue").add_response(
        "get_table",
        {"Table": {"Name": "vpc_flow_logs", "PartitionKeys": [{"Name": "day", "Type": "string"}]}},
        {"DatabaseName": "flowkit", "Name": "vpc_flow_logs"},
    )
    session.stub("athena").add_response(
        "get_work_group",
        {"WorkGroup": {"Name": "primary", "Configuration": {"EnforceWorkGroupConfiguration": False}}},
        {"WorkGroup": "primary"},
    )
    message = "User: arn:aws:iam::123456789012:user/analyst is not authorized to perform: athena:StartQueryExecution"
    session.stub("athena").add_client_error(
        "start_query_execution", service_error_code="AccessDeniedException", service_message=message
    )
    argv = [
        "sql",
        "SELECT count(*) FROM vpc_flow_logs",
        "--athena",
        "flowkit",
        "--s3-output",
        "s3://results/",
    ]
    assert main([*argv, "--start", START, "--end", END, "--profile", "analyst"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"flowkit sql: error: AWS: access denied (AccessDeniedException: {message}). The identity"
    )
    assert len(err.splitlines()) == 1
    session.close()
    assert violations(session.requests) == []
