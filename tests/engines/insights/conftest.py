"""Logs Insights tests: the ten records of insights_data behind a DuckDB view, one connection per module."""

from __future__ import annotations

import duckdb
import pytest
from insights_data import connection


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """A connection whose ``vpc_flow_logs`` view holds the ten records of insights_data."""
    return connection()
