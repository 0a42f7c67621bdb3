"""The notebooks' backend switch on AWS, offline: Athena in the moto sandbox (results queued, moto runs no SQL)
and Logs Insights under botocore's Stubber. What a notebook reads, figures included, must be computed from what
the AWS engine returns, bounded in time, its cost said; a notebook that cannot run on AWS stops at its parameters.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from aws_fixtures import DOC_DDL
from botocore.stub import ANY

import flowkit
from flowkit import plots
from flowkit.aws import athena
from flowkit.errors import NotebookError
from flowkit.notebooks import (
    check_period,
    delivered_files,
    file_head,
    open_engine,
    open_periods,
    query_cost,
    read_records,
    setup_display,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
START, END = "2026-11-02T00:00:00Z", "2026-11-02T02:00:00Z"


@pytest.fixture(scope="module")
def local():
    return flowkit.connect(SAMPLE)


@pytest.fixture
def aws(sb):
    athena.create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    return flowkit.connect(
        athena={"database": "flowkit", "s3_output": sb.athena_output}, boto3_session=sb.session
    )


# --- the parameters cell's check ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({}, "ATHENA_DATABASE", id="nothing"),
        pytest.param(
            {"log_group": "/vpc/fl"}, "needs ATHENA_DATABASE, because it reads the records", id="logs-only"
        ),
        pytest.param({"athena_database": "flowkit"}, "needs LOG_GROUP", id="no-log-group"),
    ],
)
def test_aws_without_what_the_notebook_needs_stops_naming_the_parameter(kwargs, message):
    with pytest.raises(NotebookError, match=message):
        open_engine("aws", aws_region="us-east-1", needs=["athena", "logs"], period=(START, END), **kwargs)


def test_logs_insights_only_is_refused_for_record_reading_and_says_why():
    with pytest.raises(NotebookError, match="10,000 rows"):
        open_engine("aws", aws_region="us-east-1", log_group="/vpc/fl", needs=["athena"], period=(START, END))


@pytest.mark.parametrize(
    ("period", "required", "message"),
    [
        pytest.param(None, True, "every query on AWS is bounded in time", id="missing-on-aws"),
        pytest.param((END, START), False, "must be before", id="reversed"),
        pytest.param(("yesterday", END), False, "must be times", id="not-a-time"),
        pytest.param((START, None), True, "set both", id="half"),
    ],
)
def test_a_bad_period_is_refused_with_its_parameter_names(period, required, message):
    with pytest.raises(NotebookError, match=message):
        check_period(period, required=required)
    check_period((START, END), required=True)  # a good one passes
    check_period(None)  # locally the period is optional


def test_an_aws_engine_is_opened_when_the_parameters_are_there():
    engine = open_engine(
        "aws", aws_region="us-east-1", athena_database="flowkit.fl", log_group="/vpc/fl",
        needs=["athena", "logs"], period=(START, END),
    )  # fmt: skip
    assert (engine.athena.database, engine.athena.table, engine.log_groups) == ("flowkit", "fl", ["/vpc/fl"])


# --- reading a period through the engine ------------------------------------------------------------------


def test_read_records_locally_is_the_readers_records_of_the_period(local):
    flows = read_records(local, START, END)
    direct = flowkit.read_flow_logs(SAMPLE)
    start = pd.Timestamp(START).timestamp()
    expected = direct[(direct["start"] >= start) & (direct["start"] < start + 7200)]
    assert len(flows) == len(expected) > 1000
    assert list(flows.columns) == list(direct.columns)  # partition columns left out
    assert query_cost(flows) == "local engine (DuckDB): no charge"


def test_read_records_says_what_the_local_data_covers_when_the_period_is_empty(local):
    with pytest.raises(NotebookError, match=r"no flow records .* the data covers 2026-11-02"):
        read_records(local, "2030-01-01", "2030-01-02")
    with pytest.raises(NotebookError, match="more than 10 records"):
        read_records(local, START, END, max_records=10)


def test_a_figure_from_athena_is_the_figure_of_the_local_engine(sb, aws, local):
    """One figure path on AWS: the records come from Athena (bounded in time, cost said), the figure from them."""
    mine = read_records(local, START, END)
    sb.queue_athena_result(local.sql("SELECT * FROM vpc_flow_logs", start=START, end=END))
    theirs = read_records(aws, START, END)
    pd.testing.assert_frame_equal(
        theirs.reset_index(drop=True), mine.reset_index(drop=True), check_dtype=False
    )
    sent = aws.last_query["sql"]
    # bounded by partition and time; Athena binds ? only in WHERE, so the limit is written into the text
    assert '"day" >= ? AND "day" <= ?' in sent and sent.endswith("LIMIT 3000001")
    assert aws.last_query["parameters"][:2] == ["'2026/11/02'", "'2026/11/02'"]
    assert query_cost(theirs).startswith("Athena query ") and "about USD" in query_cost(theirs)
    bars = {}
    for name, frame in (("local", mine), ("athena", theirs)):
        ax = plots.plot_ports(frame, n=8)
        bars[name] = [
            (t.get_text(), p.get_width()) for t, p in zip(ax.get_yticklabels(), ax.patches, strict=True)
        ]
        plt.close("all")
    assert bars["athena"] == bars["local"] and len(bars["local"]) == 9


def test_delivered_files_and_a_file_head_from_the_tables_s3_location(sb, aws, local):
    plan = flowkit.aws.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
    flowkit.aws.apply(plan, boto3_session=sb.session)
    sample_files = sorted(SAMPLE.rglob("*.log.gz"))[:2]
    sb.deliver(plan, sample_files)
    files = delivered_files(aws)
    assert len(files) == 2 and all(f.startswith(f"s3://{sb.bucket}/flowlogs/AWSLogs/") for f in files)
    assert flowkit.read.delivery_partitions(files[0])["day"] == "02"
    text = gzip.decompress(sample_files[0].read_bytes()).decode().splitlines()
    assert file_head(aws, files[0]).splitlines() == text[:2]
    local_files = delivered_files(local)
    assert len(local_files) == 288 and local_files[0].startswith("AWSLogs/111122223333/vpcflowlogs/")
    assert file_head(local, local_files[0]).splitlines() == text[:2]


def test_logs_insights_queries_are_bounded_by_the_notebooks_period(stubbed):
    engine = open_engine(
        "aws", aws_region="us-east-1", log_group="/vpc/fl", needs=["logs"], period=(START, END)
    )
    lo, hi = (int(datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()) for t in (START, END))
    stubbed.add_response(
        "start_query",
        {"queryId": "q-1"},
        {
            "logGroupNames": ["/vpc/fl"],
            "startTime": lo,
            "endTime": hi,
            "queryString": ANY,
            "queryLanguage": "CWLI",
        },
    )
    stubbed.add_response(
        "get_query_results",
        {
            "status": "Complete",
            "results": [[{"field": "n", "value": "7"}]],
            "statistics": {"recordsMatched": 7.0, "recordsScanned": 70.0, "bytesScanned": 1048576.0},
        },
        {"queryId": "q-1", "maxItems": 10_000},  # the model's largest page
    )
    frame = engine.insights("stats count(*) as n", start=START, end=END)
    assert frame["n"].tolist() == [7]
    assert query_cost(frame).startswith("Logs Insights query q-1: Complete, scanned 1.0 MB")


def test_setup_display_shows_long_text_whole():
    text = "x" * 120
    with pd.option_context("display.max_colwidth", 50):
        assert text not in repr(pd.DataFrame({"t": [text]}))
        setup_display()
        assert text in repr(pd.DataFrame({"t": [text]})) and text in pd.DataFrame({"t": [text]}).to_html()


# --- periods (notebooks 06 and 07) ----------------------------------------------------------------------------


def test_simulated_periods_have_ground_truth_and_the_change_log():
    periods = open_periods(
        periods={
            "baseline": ("2026-11-02T00:00", "2026-11-02T02:00"),
            "later": ("2026-11-08T00:00", "2026-11-08T02:00"),
        }
    )
    baseline, later = periods.read("baseline"), periods.read("later")
    assert baseline["start"].min() >= datetime(2026, 11, 2, tzinfo=UTC).timestamp()
    assert later["start"].min() >= datetime(2026, 11, 8, tzinfo=UTC).timestamp()
    truth = periods.truth(baseline)
    assert not truth.dropna().str.startswith("anomaly:").any()  # the baseline is the clean test run
    assert periods.read("later") is later  # read once
    log = periods.change_log()
    assert set(log["day"]) == {2, 5, 6} and "151.101.0.0/16" in periods.decisions()
    assert periods.decisions({"10.0.0.0/8": "mine"}) == {"10.0.0.0/8": "mine"}
    with pytest.raises(NotebookError, match="no period 'next'"):
        periods.read("next")


def test_periods_refuse_overlaps_bad_times_and_aws_without_athena():
    with pytest.raises(NotebookError, match="overlap"):
        open_periods(periods={"a": ("2026-11-02", "2026-11-04"), "b": ("2026-11-03", "2026-11-05")})
    with pytest.raises(NotebookError, match=r"the b period.s start \(2026-11-05\) must be before its end"):
        open_periods(periods={"b": ("2026-11-05", "2026-11-03")})
    with pytest.raises(NotebookError, match="needs ATHENA_DATABASE"):
        open_periods("aws", aws_region="us-east-1", periods={"a": ("2026-11-02", "2026-11-03")})


def test_periods_on_aws_have_no_ground_truth_and_say_so(sb, aws):
    periods = open_periods(
        "aws", aws_region="us-east-1", athena_database="flowkit", periods={"a": (START, END)}
    )
    assert periods.labels is None and periods.change_log().empty and periods.decisions() == {}
    explained = pd.DataFrame({"pattern": pd.array([1, None], dtype="Int64")})
    assert "no ground truth" in periods.score(explained)["note"].iloc[0]
    assert periods.truth(explained).isna().all()
