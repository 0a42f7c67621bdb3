"""Every frame flowkit returns composes with everyday pandas idioms, in any order (flowkit.frames).

The idioms are what an analyst types first in a notebook: masks across number and text columns
combined with ``&``/``|``/``~`` in both orders, ``isin``, ``.str``, ``query()``, ``groupby``,
``merge``, ``value_counts``, numpy ufuncs, ``to_datetime``, matplotlib, CSV and Parquet round trips.
They run over the frame of every frame-returning function, on the local engine and on AWS (Athena
through the moto sandbox and awswrangler, Logs Insights through botocore's Stubber). A dtype change
that breaks one idiom on one frame fails here.
"""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from aws_fixtures import DOC_DDL
from botocore.stub import ANY
from matplotlib.figure import Figure

import flowkit
import flowkit.aws as fa
from flowkit.aws import athena
from flowkit.baseline import (
    compare_periods,
    explain,
    find_unexpected,
    propose_allowlist,
    review_findings,
    score_findings,
)
from flowkit.enrich import enrich, ip_ranges_coverage
from flowkit.frames import TEXT, with_flowkit_dtypes
from flowkit.rules import nacl_summary, network_acls, quota_report, what_would_break
from flowkit.simulate import label_flows, read_labels
from flowkit.summary import summarize

SAMPLE = "data/sample"


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series.dtype) and series.notna().any()


def in_family(dtype: object) -> bool:
    """Arrow-backed numbers, text and booleans; numpy-backed millisecond times (flowkit.frames)."""
    if isinstance(dtype, pd.ArrowDtype):
        arrow = dtype.pyarrow_dtype
        return any(
            check(arrow)
            for check in (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal, pa.types.is_boolean)
        ) or pa.types.is_string(arrow)
    return str(dtype).startswith("datetime64[ms")


def check_idioms(frame: pd.DataFrame, what: str) -> None:
    """Run the idioms over one number column and one text column of ``frame`` (the first of each)."""
    outside = {c: str(t) for c, t in frame.dtypes.items() if not in_family(t)}
    # lists and mappings (example records, rule ids) are the only Python objects a frame may hold
    outside = {c: t for c, t in outside.items() if not (t == "object" and _nested(frame[c]))}
    assert not outside, f"{what}: columns outside flowkit's dtype family: {outside}"
    number = next((c for c in frame.columns if _is_number(frame[c])), None)
    text = next((c for c in frame.columns if _is_text(frame[c])), None)
    assert number is not None or text is not None, f"{what}: no number or text column to try"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a FutureWarning today is a break tomorrow
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        if number is not None and text is not None:
            _masks(frame, number, text)
        if number is not None:
            _numbers(frame, number)
        if text is not None:
            _text(frame, text, number)
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
                _times(frame, column)
        _round_trips(frame)


def _nested(values: pd.Series) -> bool:
    return values.map(lambda v: v is None or isinstance(v, list | tuple | dict | set)).all()


def _masks(frame: pd.DataFrame, number: str, text: str) -> None:
    value = frame[number].dropna().iloc[0] if frame[number].notna().any() else 0
    word = frame[text].dropna().iloc[0]
    n_mask = frame[number] == value
    t_mask = frame[text] == word
    both = frame[n_mask & t_mask]
    assert both.equals(frame[t_mask & n_mask]), "& gives different rows in the two orders"
    assert len(both) >= 1
    either = frame[(frame[number] != value) | (frame[text] == word)]
    assert len(frame[~t_mask & n_mask]) + len(both) <= len(frame[n_mask]) + 0
    assert len(either) >= len(both)
    kept = frame[frame[number].isin([value]) & (frame[text] != "no such value")]
    assert len(kept) == int(n_mask.fillna(False).sum())
    kept = frame[(frame[text] != "no such value") & frame[number].isin([value])]
    assert len(kept) == int(n_mask.fillna(False).sum())
    queried = frame.rename(columns={number: "n_", text: "t_"}).query("n_ == @value and t_ == @word")
    assert len(queried) == len(both)


def _numbers(frame: pd.DataFrame, number: str) -> None:
    values = frame[number]
    logged = np.log1p(values.fillna(0).abs())
    assert len(logged) == len(values) and not pd.isna(logged).any()
    total = values.sum()
    assert total == values.dropna().to_numpy(dtype="float64").sum() or np.isclose(
        float(total), values.dropna().to_numpy(dtype="float64").sum()
    )
    assert values.dropna().to_numpy(dtype="float64").dtype == np.float64
    ax = Figure().subplots()
    ax.plot(np.arange(len(values)), values.fillna(0))
    ax.hist(values.dropna())
    described = values.describe()
    assert described["count"] == values.notna().sum()
    merged = frame.merge(pd.DataFrame({number: np.asarray(values.dropna()[:3], dtype=float)}), on=number)
    assert len(merged) >= min(1, values.notna().sum())


def _text(frame: pd.DataFrame, text: str, number: str | None) -> None:
    values = frame[text]
    first = values.dropna().iloc[0]
    assert values.str.contains(first[:1], regex=False, na=False).any()
    assert (values.str.upper() == first.upper()).any()
    assert values.str.split(first[:1]).list[0].notna().any()  # a split is an Arrow list (flowkit.frames)
    assert values.str.split(first[:1], expand=True).shape[0] == len(values)
    counts = values.value_counts()
    assert counts.sum() == values.notna().sum()
    if number is not None:
        grouped = frame.groupby(text)[number].sum()
        assert len(grouped) == values.nunique()
    merged = frame.merge(pd.DataFrame({text: [first], "_tag": ["x"]}), on=text)
    assert len(merged) == int((values == first).fillna(False).sum())
    ax = Figure().subplots()
    top = counts.head(5)
    ax.bar(top.index.astype(str), top.to_numpy(dtype="float64"))


def _times(frame: pd.DataFrame, column: str) -> None:
    values = frame[column].dropna()
    if values.empty:
        return
    first = values.min()
    later = frame[frame[column] >= str(first)]  # a string bound, as typed in a notebook
    assert len(later) == len(values)
    assert (values.dt.hour >= 0).all()
    converted = pd.to_datetime(values, utc=True)
    assert converted.min() == first.tz_convert("UTC") if first.tzinfo else True


def _round_trips(frame: pd.DataFrame) -> None:
    plain = frame[[c for c in frame.columns if frame[c].dtype != object]]
    plain = plain.rename(columns=str)
    back = pd.read_csv(io.StringIO(plain.to_csv(index=False)))
    assert back.shape == plain.shape
    buffer = io.BytesIO()
    plain.reset_index(drop=True).to_parquet(buffer)
    again = pd.read_parquet(io.BytesIO(buffer.getvalue()))
    pd.testing.assert_frame_equal(again, plain.reset_index(drop=True), check_dtype=False)


# --- every frame-returning function ---------------------------------------------------------


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    return flowkit.read_flow_logs(SAMPLE)


@pytest.fixture(scope="module")
def local():
    return flowkit.connect(SAMPLE)


def test_the_first_thing_an_analyst_types(flows):
    # the issue's own example: Int32 == 22 & StringDtype == "ACCEPT" raised on pandas 3.1
    ssh = flows[(flows.dstport == 22) & (flows.action == "ACCEPT")]
    assert len(ssh) > 0 and set(ssh.dstport) == {22} and set(ssh.action) == {"ACCEPT"}
    also = flows[flows.dstport.isin([22, 3389]) & (flows.action != "REJECT")]
    assert set(also.dstport) <= {22, 3389} and "REJECT" not in set(also.action)


def test_reader_frame(flows):
    assert str(flows.dstport.dtype) == "int32[pyarrow]" and flows.srcaddr.dtype == TEXT
    check_idioms(flows, "read_flow_logs")


def test_simulated_frame():
    run = flowkit.simulate("workshop", seed=3, days=1, records=2_000, out=None)
    check_idioms(run.flows, "simulate().flows")


def test_simulated_transit_frame():
    run = flowkit.simulate("transit", seed=3, days=0.02, out=None)
    check_idioms(run.flows, "simulate('transit').flows")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM vpc_flow_logs LIMIT 500",
        "SELECT dstport, action, count(*) AS n, sum(bytes) AS b FROM vpc_flow_logs GROUP BY 1, 2",
        "SELECT srcaddr, avg(bytes) AS mean_bytes, from_unixtime(min(start)) AS first FROM vpc_flow_logs GROUP BY 1",
    ],
)
def test_local_sql_frames(local, query):
    check_idioms(local.sql(query), query)


def test_local_catalogue_frame(local):
    check_idioms(local.query("top_talkers"), "query('top_talkers')")


@pytest.mark.parametrize(
    "query",
    [
        "fields @timestamp, srcAddr, dstPort, action, bytes | limit 200",
        "stats count(*) as n, sum(bytes) as b by dstPort, action",
        "stats avg(bytes) as mean by bin(1h) as hour, action",
    ],
)
def test_local_insights_frames(local, query):
    check_idioms(local.insights(query), query)


def test_analysis_frames(flows):
    baseline = flows[flows.start < flows.start.median()]
    later = flows[flows.start >= flows.start.median()]
    allowlist = propose_allowlist(baseline)
    unexpected = find_unexpected(flows, allowlist)
    plans = network_acls(allowlist, baseline)
    truth = label_flows(flows, read_labels(f"{SAMPLE}/labels.csv"))
    for what, frame in {
        "review_findings": review_findings(unexpected, allowlist),
        "score_findings": score_findings(explain(flows, allowlist), truth),
        "nacl_summary": nacl_summary(plans),
        "quota_report": quota_report(nacls=plans),
        "ip_ranges_coverage": ip_ranges_coverage(),
        "enrich": enrich(flows),
        "find_unexpected": find_unexpected(flows, allowlist),
        "explain": explain(flows, allowlist),
        "compare_periods": compare_periods(baseline, later),
        "what_would_break": what_would_break(allowlist, later),
        "summarize": summarize(flows),
        "read_labels": read_labels(f"{SAMPLE}/labels.csv"),
        "list_queries": flowkit.list_queries(),
        "field_table": flowkit.schema.field_table(),
    }.items():
        check_idioms(frame, what)
    labels = label_flows(flows, read_labels(f"{SAMPLE}/labels.csv"))
    assert labels.dtype == TEXT
    assert (labels.str.split(":").list[0].dropna().isin(["expected", "anomaly"])).all()


def test_aws_athena_frames(sb):
    athena.create_table_from_ddl(DOC_DDL, database="flowkit", boto3_session=sb.session)
    engine = flowkit.connect(
        athena={"database": "flowkit", "s3_output": sb.athena_output}, boto3_session=sb.session
    )
    sb.queue_athena_result(flowkit.read_flow_logs(SAMPLE).head(300))
    frame = engine.sql("SELECT * FROM vpc_flow_logs LIMIT 300")
    assert str(frame.dstport.dtype) == "int32[pyarrow]"
    check_idioms(frame, "AWS sql")
    sb.queue_athena_result(pd.DataFrame({"dstport": [443, 22], "action": ["ACCEPT", "REJECT"], "n": [5, 3]}))
    check_idioms(engine.query("top_talkers"), "AWS query")


def test_aws_insights_frame(stubbed):
    rows = [
        [
            {"field": "@timestamp", "value": f"2024-05-01 10:0{i}:00.000"},
            {"field": "dstPort", "value": str(port)},
            {"field": "action", "value": action},
            {"field": "n", "value": str(n)},
        ]
        for i, (port, action, n) in enumerate([(443, "ACCEPT", 10), (22, "REJECT", 2), (22, "ACCEPT", 1)])
    ]
    sent = dict.fromkeys(("logGroupNames", "startTime", "endTime", "queryString", "queryLanguage"), ANY)
    stubbed.add_response("start_query", {"queryId": "q"}, sent)
    stubbed.add_response(
        "get_query_results", {"status": "Complete", "results": rows}, {"queryId": "q", "maxItems": ANY}
    )
    frame = fa.run_insights(
        "stats count(*) as n by dstPort, action",
        "/vpc/flow-logs",
        start=datetime(2024, 5, 1, tzinfo=UTC),
        end=datetime(2024, 5, 2, tzinfo=UTC),
        poll_interval=0.01,
    )
    assert (
        str(frame.dstPort.dtype) == "int32[pyarrow]"
        and str(frame["@timestamp"].dtype) == "datetime64[ms, UTC]"
    )
    check_idioms(frame, "AWS insights")


def test_aws_doctor_frame(sb):
    report = fa.doctor(athena="flowkit", log_groups=sb.log_group, boto3_session=sb.session)
    frame = report.to_frame()
    assert frame["status"].dtype == TEXT and len(frame) == len(report.checks)
    check_idioms(frame, "AWS doctor")


def test_with_flowkit_dtypes_converts_what_pandas_builds():
    built = pd.DataFrame(
        {
            "port": np.array([22, 443]),
            "masked": pd.array([1, None], dtype="Int32"),
            "name": ["ssh", None],
            "ok": [True, False],
            "when": pd.to_datetime([0, 60], unit="s", utc=True),
        }
    )
    out = with_flowkit_dtypes(built)
    assert out.dtypes.astype(str).tolist() == [
        "int64[pyarrow]",
        "int32[pyarrow]",
        "string[pyarrow]",
        "bool[pyarrow]",
        "datetime64[ms, UTC]",
    ]
    check_idioms(out, "with_flowkit_dtypes")
