"""Printing DataFrames for the command line: a table, CSV or JSON lines."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import pandas as pd

OUTPUT_CHOICES = ("table", "csv", "json")


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    """Add the shared ``--output table|csv|json`` option."""
    parser.add_argument(
        "--output",
        "-o",
        choices=OUTPUT_CHOICES,
        default="table",
        help="how to print the result (default: table)",
    )


def print_frame(frame: pd.DataFrame, output: str = "table", *, file: TextIO | None = None) -> None:
    """Print a DataFrame as a plain table, CSV or JSON records (one per line)."""
    out = file or sys.stdout
    if output == "csv":
        frame.to_csv(out, index=False)
    elif output == "json":
        frame.to_json(out, orient="records", lines=True, date_format="iso")
    elif frame.empty:
        print(f"(no rows; columns: {', '.join(map(str, frame.columns))})", file=out)
    else:
        with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200):
            print(frame.to_string(index=False), file=out)


def parse_params(items: list[str]) -> dict[str, str]:
    """``--param NAME=VALUE`` options as a dict; a malformed or repeated name is a ParameterError."""
    from flowkit.errors import ParameterError

    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--param {item!r}: write it as NAME=VALUE, e.g. --param eni=eni-0a1b2c3d.")
        if name in params:
            raise ParameterError(f"--param {name} is given twice: a parameter takes one value.")
        params[name] = value.strip()
    return params
