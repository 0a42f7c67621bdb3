"""Cross-engine equivalence: every catalogue question with a Logs Insights twin (``.cwli``) gives the
same answer as its Athena SQL on the local engine, on a seeded synthetic table and on the bundled
sample (when present).

Queries with a ``limit`` parameter are run with a limit above the number of groups, so that ties at
the cut (ordered differently by the two languages' string orders) cannot make the sets differ.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import sqlglot
from insights_data import synthetic_frame

import flowkit
from flowkit.engines import default_data
from flowkit.queries import get_query, list_queries, render

TWINS = sorted(list_queries().query("insights").name)
SYNTHETIC_PARAMS = {"nat_eni": "eni-0a1b2c3d4e5f60718", "min_ports": 3}
GUIDE_TWINS = {"guide_outbound_admin", "guide_rejected_outbound", "guide_top_external_destinations"}


@pytest.fixture(scope="module")
def synthetic():
    return flowkit.connect(synthetic_frame())


@pytest.fixture(scope="module")
def sample():
    path = default_data()
    if path is None:
        pytest.skip("the bundled sample data/sample is not there yet")
    return flowkit.connect(path)


def test_enough_twins_including_the_guides():
    assert len(TWINS) >= 10
    assert set(TWINS) >= GUIDE_TWINS


def _value(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, int | float | Decimal | np.integer | np.floating):
        return round(float(value), 6)
    return str(value)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    rows = [tuple(_value(v) for v in row) for row in frame.astype(object).itertuples(index=False)]
    return sorted(rows, key=repr)


def _messages(frame: pd.DataFrame, engine) -> list[str]:
    columns = [f.column for f in engine.fields]
    return sorted(
        " ".join("-" if pd.isna(row[c]) else str(row[c]) for c in columns) for _, row in frame.iterrows()
    )


def _params(name: str, engine, base: dict) -> dict:
    query = get_query(name)
    values = {p.name: base[p.name] for p in query.params if p.name in base}
    if any(p.name == "limit" for p in query.params):
        values["limit"] = 10_000
    return values


def _needs_missing_fields(name: str, engine) -> bool:
    text = get_query(name).insights or ""
    present = {f.insights for f in engine.fields}
    optional = ("instanceId", "pktDstAwsService", "pktSrcAwsService", "rejectReason", "flowDirection",
                "tgwAttachmentId", "packetsLostNoRoute")  # fmt: skip
    return any(field in text and field not in present for field in optional)


def check_newest_subset(engine, name: str, params: dict, sql: pd.DataFrame, insights: pd.DataFrame) -> None:
    """The SQL stopped at its LIMIT in no particular order, Insights at the newest records: both
    keep as many rows, all from the full answer, and Insights keeps every record newer than its
    oldest."""
    tree = sqlglot.parse_one(render(name, "duckdb", **params), dialect="duckdb")
    tree.set("limit", None)
    full = engine.con.sql(tree.sql(dialect="duckdb")).df()
    assert len(insights) == len(sql) < len(full)
    chosen = set(insights["@message"])
    assert chosen <= set(_messages(full, engine))
    oldest = insights["@timestamp"].min().timestamp()
    newer = full[full["start"] > oldest]
    assert set(_messages(newer, engine)) <= chosen


def check_twin(engine, name: str, base: dict) -> None:
    if _needs_missing_fields(name, engine):
        pytest.skip(f"{name} needs fields these records do not have")
    params = _params(name, engine, base)
    sql = engine.query(name, **params)
    insights = engine.insights(render(name, "insights", **params))
    if list(insights.columns) == ["@timestamp", "@message"]:
        limit = sqlglot.parse_one(render(name, "duckdb", **params), dialect="duckdb").args.get("limit")
        if limit is not None and len(sql) == int(limit.expression.this):
            check_newest_subset(engine, name, params, sql, insights)
        else:
            assert list(insights["@message"].sort_values()) == _messages(sql, engine)
    else:

        def squash(c: str) -> str:
            return c.lower().replace("_", "")

        assert [squash(c) for c in insights.columns] == [squash(c) for c in sql.columns]
        assert _rows(insights) == _rows(sql)
    if name in GUIDE_TWINS or len(sql):
        assert len(insights) == len(sql)


@pytest.mark.parametrize("name", TWINS)
def test_twin_matches_sql_on_synthetic_data(synthetic, name):
    check_twin(synthetic, name, SYNTHETIC_PARAMS)


def test_synthetic_data_exercises_the_twins(synthetic):
    nonempty = [
        n
        for n in TWINS
        if not _needs_missing_fields(n, synthetic)
        and len(synthetic.query(n, **_params(n, synthetic, SYNTHETIC_PARAMS)))
    ]
    assert len(nonempty) >= 15


@pytest.mark.parametrize("name", TWINS)
def test_twin_matches_sql_on_the_bundled_sample(sample, name):
    check_twin(sample, name, {})


TGW_TWINS = [n for n in TWINS if n.startswith("tgw_")]


@pytest.fixture(scope="module")
def transit_gateway():
    """The documented TGW default format (tests/read/fixtures/README.md)."""
    from pathlib import Path

    path = Path(__file__).parents[2] / "read" / "fixtures" / "tgw" / "default-format.log.gz"
    with flowkit.connect(path) as engine:
        yield engine


@pytest.mark.parametrize("name", TGW_TWINS)
def test_transit_gateway_twin_matches_sql(transit_gateway, name):
    assert len(transit_gateway.query(name)) >= 2
    check_twin(transit_gateway, name, {})


def test_the_transit_gateway_questions_have_twins():
    assert TGW_TWINS == ["tgw_packets_lost", "tgw_traffic_between_attachments"]
