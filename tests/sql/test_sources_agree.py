"""The local engine gives the same answers whatever the records are stored in.

Issue 13's bar: ``engine.sql`` on Parquet and on the same records as text gives identical results.
The records are the bundled sample (``.log.gz`` files in the S3 layout); the Parquet copy is what
``flowkit convert`` writes from them. Every catalogue question runs on both.
"""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowkit import connect
from flowkit.errors import FlowkitError, QueryError
from flowkit.queries import list_queries
from flowkit.read import convert

SAMPLE = "data/sample"


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet") / "dataset"
    convert(SAMPLE, out)
    with connect(SAMPLE) as text, connect(out) as parquet:
        yield text, parquet


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in ("date", "day", "year", "month", "hour") if c in frame.columns])
    return frame.sort_values(list(frame.columns)).reset_index(drop=True) if len(frame.columns) else frame


@pytest.mark.parametrize("name", list_queries()["name"].tolist())
def test_every_question_gives_the_same_answer_on_text_and_parquet(engines, name):
    text, parquet = engines
    params = {}
    if name == "nat_gateway_traffic":  # any interface will do: the answer must agree
        params = {"nat_eni": text.sql("SELECT min(interface_id) AS i FROM vpc_flow_logs").i[0]}
    elif name == "new_destinations":
        params = {"since": text.sql("SELECT approx_percentile(start, 0.5) AS t FROM vpc_flow_logs").t[0]}
    try:
        a = text.query(name, **params)
    except QueryError as exc:  # e.g. the transit gateway questions: fields the sample does not have
        pytest.skip(f"{name}: {exc}")
    b = parquet.query(name, **params)
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(_canonical(a), _canonical(b), check_dtype=True)


def test_the_same_records_with_their_types(engines):
    text, parquet = engines
    query = "SELECT * FROM vpc_flow_logs"
    a, b = text.sql(query), parquet.sql(query)
    shared = [c for c in a.columns if c in b.columns]
    assert len(a) == len(b) > 1000 and {"srcaddr", "action", "start", "log_status"} <= set(shared)
    pd.testing.assert_frame_equal(_canonical(a[shared]), _canonical(b[shared]))


# -- nothing but FlowkitError escapes the SQL front end -------------------------------------------------

_WORDS = [
    "SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "LIMIT", "JOIN", "UNION", "WITH", "AS", "(", ")",
    ",", "*", "count(*)", "vpc_flow_logs", "srcaddr", "dstport", "'ACCEPT'", "1", "-1", "1e309", "NULL",
    "CAST(", "AS bigint)", "read_csv('x')", "'; DROP TABLE x; --", "/*", "*/", "--", "\"", "'", "`",
    "from_unixtime(start)", "contains('10.0.0.0/8', srcaddr)", "date_trunc('hour',", ":p", "?", "$1",
    "ATTACH", "COPY", "PRAGMA", "SET", "INSTALL", "getenv('HOME')", "glob('/*')", "[1,2]", "{'a':1}",
]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.lists(st.sampled_from(_WORDS), min_size=1, max_size=25).map(" ".join),
        st.text(max_size=200),
    )
)
def test_only_flowkit_errors_escape_the_sql_front_end(engines, query):
    text, _ = engines
    with contextlib.suppress(FlowkitError):
        text.sql(query)
