"""The AWS guide's three Logs Insights queries, verbatim, on records shaped like the guide's output
examples: they run, return what CloudWatch would, and carry the compatibility notes."""

from __future__ import annotations

from pathlib import Path

import insights_data
import pandas as pd
import pytest
from insights_data import records, run

from flowkit.engines.insights import parse_insights

GUIDE_1 = (
    "fields @timestamp, @message | filter interfaceId = 'eni-1234567890000000' | filter srcAddr = "
    "'10.100.0.10' | filter dstPort < 1024 | limit 200"
)
GUIDE_2 = (
    "filter @logstream = 'eni-1234567890000000' | stats count(*) as count by dstAddr, dstPort | filter "
    "dstAddr not like '10.32' | order by count desc | limit 200"
)
GUIDE_3 = "filter @logstream = 'eni-0123456789000000' | fields @timestamp, @message | filter action='REJECT'"
SEED = Path("/work/shared/seed/000_47b8b96643659b2e.txt")

ENI1, ENI2, ACCOUNT = "eni-1234567890000000", "eni-0123456789000000", "123456789010"
ROWS = [
    # the guide's output example for query 1, then more traffic from the same interface
    (
        2,
        ACCOUNT,
        ENI1,
        "10.100.0.10",
        "11.22.33.44",
        36952,
        443,
        6,
        25,
        5445,
        1659310200,
        1659310225,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        ENI1,
        "10.100.0.10",
        "11.22.33.44",
        36953,
        443,
        6,
        20,
        4000,
        1659310300,
        1659310325,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        ENI1,
        "10.100.0.10",
        "63.1.2.3",
        36954,
        22,
        6,
        5,
        300,
        1659310400,
        1659310425,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        ENI1,
        "10.100.0.10",
        "10.32.0.9",
        36955,
        443,
        6,
        5,
        300,
        1659310500,
        1659310525,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        ENI1,
        "10.100.0.10",
        "110.32.1.1",
        36956,
        8443,
        6,
        5,
        300,
        1659310600,
        1659310625,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        ENI1,
        "10.100.0.11",
        "11.22.33.44",
        36957,
        443,
        6,
        5,
        300,
        1659310700,
        1659310725,
        "ACCEPT",
        "OK",
    ),
    # the guide's output example for query 3
    (
        2,
        ACCOUNT,
        ENI2,
        "185.1.2.3",
        "10.10.2.222",
        55116,
        11211,
        17,
        1,
        43,
        1666990939,
        1666990966,
        "REJECT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        ENI2,
        "10.10.2.222",
        "52.1.1.1",
        40000,
        443,
        6,
        3,
        300,
        1666991000,
        1666991010,
        "ACCEPT",
        "OK",
    ),
]


@pytest.fixture(scope="module")
def con():
    return insights_data.connection(ROWS)


def ts(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC")


@pytest.mark.skipif(not SEED.exists(), reason="the guide text is not on this machine")
def test_the_queries_are_the_guides_text():
    text = SEED.read_text(encoding="utf-8")
    for query in (GUIDE_1, GUIDE_2, GUIDE_3):
        assert query in text


def test_guide_query_1_outbound_admin_traffic(con):
    result = run(con, GUIDE_1)
    assert list(result.columns) == ["@timestamp", "@message"]
    assert records(result) == [
        (
            ts(1659310500),
            f"2 {ACCOUNT} {ENI1} 10.100.0.10 10.32.0.9 36955 443 6 5 300 1659310500 1659310525 ACCEPT OK",
        ),
        (
            ts(1659310400),
            f"2 {ACCOUNT} {ENI1} 10.100.0.10 63.1.2.3 36954 22 6 5 300 1659310400 1659310425 ACCEPT OK",
        ),
        (
            ts(1659310300),
            f"2 {ACCOUNT} {ENI1} 10.100.0.10 11.22.33.44 36953 443 6 20 4000 1659310300 1659310325 ACCEPT OK",
        ),
        (
            ts(1659310200),
            f"2 {ACCOUNT} {ENI1} 10.100.0.10 11.22.33.44 36952 443 6 25 5445 1659310200 1659310225 ACCEPT OK",
        ),
    ]
    assert result.attrs["notes"] == []


def test_guide_query_2_returns_what_aws_returns_with_a_note_naming_the_stream(con):
    result = run(con, GUIDE_2)
    assert list(result.columns) == ["dstAddr", "dstPort", "count"]
    assert result.empty  # on AWS, no stream is named after the bare ENI id
    notes = " ".join(result.attrs["notes"])
    assert f"'{ENI1}-all'" in notes
    assert "order by" in notes


def test_guide_query_2_with_the_intended_stream(con):
    fixed = GUIDE_2.replace(f"'{ENI1}'", f"'{ENI1}-all'")
    result = run(con, fixed)
    # '10.32' is a substring test: it also drops 110.32.1.1, as it would on CloudWatch
    assert records(result) == [("11.22.33.44", 443, 3), ("63.1.2.3", 22, 1)]


def test_guide_query_3_rejected_traffic(con):
    result = run(con, GUIDE_3)
    assert list(result.columns) == ["@timestamp", "@message"]
    assert result.empty
    assert any(f"'{ENI2}-all'" in note for note in result.attrs["notes"])
    fixed = run(con, GUIDE_3.replace(f"'{ENI2}'", f"'{ENI2}-all'"))
    assert records(fixed) == [
        (
            ts(1666990939),
            f"2 {ACCOUNT} {ENI2} 185.1.2.3 10.10.2.222 55116 11211 17 1 43 1666990939 1666990966 REJECT OK",
        ),
    ]


def test_guide_queries_parse_to_the_expected_commands():
    shapes = [[type(c).__name__ for c in parse_insights(q).commands] for q in (GUIDE_1, GUIDE_2, GUIDE_3)]
    assert shapes == [
        ["Fields", "Filter", "Filter", "Filter", "Limit"],
        ["Filter", "Stats", "Filter", "Sort", "Limit"],
        ["Filter", "Fields", "Filter"],
    ]
