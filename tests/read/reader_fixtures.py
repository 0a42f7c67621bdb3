"""Helpers of the reader tests: the committed files of ``fixtures/`` and their expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

FIXTURES = Path(__file__).with_name("fixtures")

#: ``fixtures/expected.json``: what reading each committed fixture must give (hand-written).
EXPECTED: dict = json.loads((FIXTURES / "expected.json").read_text())


def values(df: pd.DataFrame, column: str) -> list:
    """A column as plain Python values, ``None`` for missing (the shape of expected.json)."""
    return [None if pd.isna(v) else v for v in df[column].tolist()]


def check_expected(df: pd.DataFrame, name: str) -> None:
    """Assert a frame has the rows, values and column order ``expected.json`` gives for a fixture."""
    expectation = EXPECTED[name]
    assert len(df) == expectation["rows"], name
    for column, want in expectation.get("values", {}).items():
        assert values(df, column) == want, column
    order = expectation.get("columns_in_order")
    if isinstance(order, list):
        assert list(df.columns[: len(order)]) == order
