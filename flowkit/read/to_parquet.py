"""Flow logs to Parquet partitioned by day, for fast repeated queries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pyarrow as pa

from flowkit.errors import FormatError
from flowkit.read.reader import read_arrow
from flowkit.read.report import Errors, ReadReport
from flowkit.read.sources import Source, list_files
from flowkit.schema import LogFormatSpec


def convert(
    source: Source,
    out_dir: str | os.PathLike,
    *,
    log_format: LogFormatSpec | None = None,
    errors: Errors = "raise",
    unknown_fields: Literal["raise", "keep"] = "raise",
):
    """Read flow logs and write them as Parquet partitioned by day (``date=YYYY-MM-DD/``), for fast repeated queries.

    Args:
        source: as for :func:`read_flow_logs`.
        out_dir: the output directory (created; existing day partitions are replaced).
        log_format: as for :func:`read_flow_logs`.
        errors: as for :func:`read_flow_logs`.
        unknown_fields: as for :func:`read_flow_logs`.

    Returns:
        The :class:`ReadReport` of the read.
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    report = ReadReport()
    table = read_arrow(
        _without_output(source, out_dir),
        log_format=log_format,
        errors=errors,
        unknown_fields=unknown_fields,
        report=report,
    )
    if "start" not in table.column_names:
        raise FormatError("converting needs the 'start' field to partition by day.")
    day = pc.strftime(
        pc.cast(pc.multiply(table["start"], 1_000_000), pa.timestamp("us", tz="UTC")), "%Y-%m-%d"
    )
    table = table.append_column("date", day)
    ds.write_dataset(
        table,
        out_dir,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("date", pa.string())]), flavor="hive"),
        existing_data_behavior="delete_matching",
        basename_template="part-{i}.parquet",
    )
    return report


def _without_output(source: Source, out_dir: str | os.PathLike) -> Source:
    """``source`` minus the files under ``out_dir`` (an output inside a source directory), so that
    converting again does not read the Parquet written last time back in."""
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    out = Path(out_dir).resolve()
    kept: list[str | os.PathLike] = []
    for item in items:
        path = Path(item)
        if str(item).startswith("s3://") or not path.is_dir():
            kept.append(item)
        elif out == path.resolve() or path.resolve() in out.parents:
            kept.extend(f for f in list_files(path) if out not in f.resolve().parents)
        else:
            kept.append(item)
    return kept
