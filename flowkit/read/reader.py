"""Read flow-log files of any kind into one Arrow table, then a typed DataFrame."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, BinaryIO, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flowkit.errors import ArgumentError, FormatError, RecordParseError
from flowkit.frames import from_arrow
from flowkit.read.checks import arrow_type, drop_bad_rows
from flowkit.read.cloudwatch import read_cloudwatch
from flowkit.read.many import read_many
from flowkit.read.report import Errors, ReadReport
from flowkit.read.sources import Opener, Source, iter_inputs, sniff
from flowkit.read.text import read_exact, read_fast
from flowkit.schema import (
    DEFAULT_FORMAT,
    EVENT_COLUMNS,
    Field,
    LogFormatSpec,
    find_field,
    parse_log_format,
    resolve_log_format,
)

if TYPE_CHECKING:
    import boto3


_logger = logging.getLogger(__name__)


def read_flow_logs(
    source: Source,
    *,
    log_format: LogFormatSpec | None = None,
    errors: Errors = "raise",
    unknown_fields: Literal["raise", "keep"] = "raise",
    boto3_session: boto3.Session | None = None,
) -> pd.DataFrame:
    """Read flow-log records into a typed DataFrame with Athena column names.

    What a file is comes from its content, not its name: Parquet, gzip (every member, so files
    concatenated with ``cat`` read whole), VPC or transit gateway text with a header line (a header
    line further down starts the format of the lines after it), or CloudWatch Logs JSON (events,
    subscription envelopes plain, gzipped or in a Lambda event's ``awslogs.data``, Firehose
    objects, ``aws logs filter-log-events``/``get-log-events`` output; see
    :mod:`flowkit.read.cloudwatch`). Small local text files (a day or a month of delivered files)
    are inflated on all cores and parsed together (:mod:`flowkit.read.many`), with a progress bar
    past 200 files on a terminal; larger files stream, so memory stays bounded on any input. The
    rules a line must follow are those of :mod:`flowkit.read.checks`, on every path.

    Args:
        source: a file, a directory (searched recursively, e.g. an S3 delivery layout or a Firehose
            prefix), a list of those, or an ``s3://bucket/prefix`` (read through boto3).
        log_format: the format of headerless lines (CloudWatch messages), in any spelling of
            :func:`~flowkit.schema.resolve_log_format`: ``"v5"``, ``"security"``,
            ``"transit-gateway"``, a ``${field} ...`` string, a list of fields. Files whose first
            line is a header of field names do not need it, nor CloudWatch messages in AWS's VPC
            or transit gateway default format.
        errors: ``"raise"`` stops at the first bad line, file or folder; ``"skip"`` keeps the good
            records and reports the rest in ``df.attrs["report"]`` (a :class:`ReadReport`): rejected
            lines by reason, unreadable files and folders with their reason, blank lines, CloudWatch
            control messages.
        unknown_fields: ``"keep"`` reads fields flowkit does not know as text columns.
        boto3_session: the boto3 session for ``s3://`` sources (default session if None).

    Returns:
        One row per record; columns in format order (files with other formats add their columns,
        null where absent), in the dtypes of :mod:`flowkit.frames`: numbers ``int32[pyarrow]`` or
        ``int64[pyarrow]``, text ``string[pyarrow]``, ``-`` as ``<NA>``. Masks on number and text
        columns combine in any order, e.g. ``df[(df.dstport == 22) & (df.action == "ACCEPT")]``.
        Records read from CloudWatch Logs add the columns of :data:`flowkit.schema.EVENT_COLUMNS`
        their input has (``log_group``, ``log_stream``, ``event_timestamp``, ...).

    Raises:
        RecordParseError: a bad line, file or folder, naming it, the line and the problem.
        FormatError: a header with an unknown field (with the closest known one).
    """
    report = ReadReport()
    table = read_arrow(
        source,
        log_format=log_format,
        errors=errors,
        unknown_fields=unknown_fields,
        boto3_session=boto3_session,
        report=report,
    )
    frame = to_pandas(table)
    frame.attrs["report"] = report
    if report.rejected_total or report.skipped_files:
        _logger.warning("flow-log read skipped input: %s", report)
    return frame


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Convert a flow-log Arrow table to pandas with flowkit's dtypes (:mod:`flowkit.frames`)."""
    return from_arrow(table)


def read_arrow(
    source: Source,
    *,
    log_format: LogFormatSpec | None = None,
    errors: Errors = "raise",
    unknown_fields: Literal["raise", "keep"] = "raise",
    boto3_session: boto3.Session | None = None,
    report: ReadReport | None = None,
) -> pa.Table:
    """Read flow-log records into an Arrow table; the arguments are those of :func:`read_flow_logs`."""
    if errors not in ("raise", "skip"):
        raise ArgumentError(f"`errors` must be 'raise' or 'skip', not {errors!r}.")
    _check_source(source)
    report = report if report is not None else ReadReport()
    fmt = resolve_log_format(log_format, unknown=unknown_fields) if log_format else None

    def read_one(name: str, opener: Opener) -> pa.Table | None:
        """One file on its own: counted, read, its errors raised or counted."""
        report.files += 1
        try:
            return _read_one(name, opener, fmt, errors, unknown_fields, report)
        except (RecordParseError, FormatError) as exc:
            if errors == "raise":
                raise
            report.skip_file(name, str(exc).splitlines()[0])
            return None

    tables = []
    local: list[tuple[str, Opener]] = []
    for name, opener in iter_inputs(source, boto3_session, errors, report):
        if name.startswith("s3://"):  # downloaded one by one; iter_inputs yields them first
            table = read_one(name, opener)
            if table is not None:
                tables.append(table)
        else:
            local.append((name, opener))
    # local files: small ones inflated on all cores and parsed as one (flowkit.read.many)
    tables.extend(read_many(local, read_one, unknown_fields, report))
    if not tables:
        fields = fmt or parse_log_format(DEFAULT_FORMAT)
        return pa.table({f.column: pa.array([], arrow_type(f)) for f in fields})
    return pa.concat_tables(tables, promote_options="default")


def _check_source(source: object) -> None:
    """A source is a path, an ``s3://`` URL or a list of them; anything else is an :class:`ArgumentError`."""
    if isinstance(source, pd.DataFrame):
        raise ArgumentError(
            "read_flow_logs reads files; a DataFrame is already read (pass it to flowkit.connect)."
        )
    items = [source] if isinstance(source, str | os.PathLike) else source
    if isinstance(items, bytes | Mapping) or not isinstance(items, Iterable):
        raise ArgumentError(f"source must be a path, an s3:// URL or a list of them, not {source!r:.100}.")
    if isinstance(items, list | tuple) and not all(isinstance(i, str | os.PathLike) for i in items):
        raise ArgumentError(f"source must be a path, an s3:// URL or a list of them, not {source!r:.100}.")


def _read_one(
    name: str, opener: Opener, fmt: list[Field] | None, errors: Errors, unknown: str, report: ReadReport
) -> pa.Table | None:
    kind, gzipped = sniff(name, opener)
    if kind == "parquet":
        with opener() as raw:
            return _read_parquet(name, raw, errors, unknown, report)
    if kind == "json":
        return read_cloudwatch(name, opener, gzipped, fmt, errors, unknown, report)
    table = read_fast(name, opener, gzipped, fmt, unknown, report)
    if table is not None:
        return table
    return read_exact(name, opener, gzipped, fmt, errors, unknown, report)


def _read_parquet(name: str, raw: BinaryIO, errors: Errors, unknown: str, report: ReadReport) -> pa.Table:
    try:
        table = pq.read_table(raw)
    except (pa.ArrowInvalid, OSError) as exc:
        raise RecordParseError(
            f"not a readable Parquet file ({exc}).", path=name, reason="bad-parquet"
        ) from exc
    columns = {}
    for column in table.column_names:
        if column in EVENT_COLUMNS:  # written by flowkit convert from CloudWatch input
            columns[column] = table[column].cast(EVENT_COLUMNS[column].arrow_type)
            continue
        f = find_field(column.replace("_", "-"))
        if f is None:
            if unknown == "raise":
                raise RecordParseError(
                    f"Parquet column {column!r} is not a flow-log field; pass unknown_fields='keep' to keep it.",
                    path=name,
                    reason="bad-header",
                ) from None
            columns[column.replace("-", "_")] = table[column].cast(pa.string())
            continue
        values = table[column]
        if f.is_numeric and pa.types.is_timestamp(values.type):  # e.g. start written as a TIMESTAMP
            values = values.cast(pa.timestamp("s", tz=values.type.tz), safe=False)  # -> Unix seconds
        try:
            columns[f.column] = values.cast(arrow_type(f))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise RecordParseError(
                f"Parquet column {column!r} cannot be read as {f.type} ({exc}).", path=name, reason="bad-type"
            ) from exc
    out = pa.table(columns)
    report.lines_read += out.num_rows
    out = drop_bad_rows(name, out, errors, report)
    report.parsed += out.num_rows
    return out
