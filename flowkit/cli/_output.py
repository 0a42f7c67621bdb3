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


def log_format_help(what: str, *, max_version: int | None = None) -> str:
    """The help of a ``--log-format`` option: what it is for, then the spellings every one takes
    (those of :func:`flowkit.schema.resolve_log_format`)."""
    from flowkit.schema import LATEST_VERSION, NAMED_SETS

    sets = ", ".join(name for name in NAMED_SETS if name != "default")
    return (
        f"{what}: default, v2 ... v{max_version or LATEST_VERSION} (all fields up to that version), a named "
        f"set ({sets}), a '${{field}} ...' string or field names"
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


def default_data() -> str:
    """The bundled sample (data/sample), the default --data of the commands: the one ``connect()`` uses."""
    from flowkit.engines import default_data as bundled_sample
    from flowkit.errors import FlowkitError

    path = bundled_sample()
    if path is None:
        raise FlowkitError("no --data given and no bundled sample (data/sample) found; pass --data PATH.")
    return str(path)


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
