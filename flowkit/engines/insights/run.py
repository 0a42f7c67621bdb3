"""Run a Logs Insights query on a DuckDB connection and return a typed DataFrame."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd
import pyarrow as pa

from flowkit.engines.insights.compiler import Compiled, Compiler
from flowkit.engines.insights.errors import InsightsQueryError
from flowkit.engines.insights.functions.ip import ip_check, ip_in
from flowkit.engines.insights.parser import parse_insights
from flowkit.engines.insights.values import TS
from flowkit.frames import from_arrow
from flowkit.schema import BY_COLUMN, EVENT_COLUMNS, Field
from flowkit.timeutil import parse_utc

logger = logging.getLogger(__name__)

TimeLike = datetime | pd.Timestamp | str | int | float
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z: the last time a datetime can hold


def to_epoch_ms(value: TimeLike | None, name: str = "time") -> int | None:
    """A time bound as epoch milliseconds: a datetime (naive means UTC), an ISO 8601 string, or
    epoch seconds."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InsightsQueryError(
            f"{name} must be a datetime, an ISO 8601 string or epoch seconds, not {value!r}"
        )
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > _LAST_SECOND:
            raise InsightsQueryError(
                f"{name} {value!r} is not a time: epoch seconds must be a finite number up to {_LAST_SECOND} "
                "(9999-12-31T23:59:59Z)"
            )
        return round(value * 1000)
    try:  # the one parser of points in time the other engines use, so a bound means the same on each
        stamp = parse_utc(value if isinstance(value, datetime) else str(value))
    except ValueError:
        raise InsightsQueryError(
            f"{name} {value!r} is not a time: use ISO 8601, e.g. 2026-05-24T10:00:00Z"
        ) from None
    return (stamp - _EPOCH) // timedelta(milliseconds=1)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    Compiler("", [], table=table)  # validates the table name
    try:
        return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    except duckdb.Error as exc:
        raise InsightsQueryError(f"cannot read the columns of {table!r}: {exc}") from None


def table_fields(con: duckdb.DuckDBPyConnection, table: str) -> list[Field]:
    """The flow-log fields a table or view has, in its column order."""
    return [BY_COLUMN[name] for name in _columns(con, table) if name in BY_COLUMN]


def table_events(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The CloudWatch event columns (:data:`flowkit.schema.EVENT_COLUMNS`) a table or view has."""
    return [name for name in _columns(con, table) if name in EVENT_COLUMNS]


def compile_query(
    query: str,
    fields: Sequence[Field],
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    table: str = "vpc_flow_logs",
    events: Sequence[str] = (),
) -> Compiled:
    """Parse and compile a query (see :func:`flowkit.engines.insights.compile_insights`);
    ``events`` are the CloudWatch event columns the table has (:func:`table_events`)."""
    tree = parse_insights(query)
    start_ms, end_ms = to_epoch_ms(start, "start"), to_epoch_ms(end, "end")
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise InsightsQueryError(f"the time range is empty: start {start!r} is after end {end!r}")
    try:
        return Compiler(query, fields, table=table, start_ms=start_ms, end_ms=end_ms, events=events).compile(
            tree
        )
    except RecursionError:
        raise InsightsQueryError("the query is too deeply nested to compile; split long conditions") from None


def register_udfs(con: duckdb.DuckDBPyConnection, names: set[str]) -> None:
    """Create the Python UDFs a compiled query needs on this connection (once)."""
    udfs = {
        "flowkit_ip_check": (ip_check, [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")]),
        "flowkit_ip_in": (ip_in, [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")]),
    }
    for name in sorted(names):
        function, params = udfs[name]
        try:
            con.create_function(
                name, function, params, duckdb.sqltype("BOOLEAN"), null_handling="special", side_effects=False
            )
        except duckdb.Error as exc:  # already registered on this connection
            if "already" not in str(exc):
                raise


def check_regexes(con: duckdb.DuckDBPyConnection, patterns: list[str]) -> None:
    """Compile each regex of the query with DuckDB's RE2 first, to name the one that is not valid."""
    for pattern in dict.fromkeys(patterns):
        try:
            con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.Error as exc:
            reason = str(exc).split("\n")[0].split("Error: ")[-1]
            raise InsightsQueryError(
                f"the regex /{pattern}/ is not valid for RE2, the linear-time engine flowkit runs regexes with "
                f"(it has no look-around and no back-references, like CloudWatch's engines): {reason}"
            ) from None


def run_insights(
    con: duckdb.DuckDBPyConnection,
    query: str,
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    fields: Sequence[Field] | None = None,
    table: str = "vpc_flow_logs",
    events: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Run a Logs Insights query over the flow-log view, with CloudWatch's semantics.

    Args:
        con: a DuckDB connection with the view ``table`` (Athena column names).
        query: the Logs Insights query.
        start: the start of the time range (inclusive): a datetime (naive means UTC), an ISO 8601
            string or epoch seconds. None: no lower bound.
        end: the end of the time range (inclusive), same forms. None: no upper bound.
        fields: the flow-log fields of the source, in its format order (rebuilds ``@message``);
            None reads them from the table's columns.
        table: the table or view to query.
        events: the CloudWatch event columns of the table (``event_timestamp``, ``log_stream``,
            ...: :data:`flowkit.schema.EVENT_COLUMNS`), which give ``@timestamp``, ``@logStream``,
            ``@log`` and ``@ingestionTime`` where a record has them; None reads them from the
            table's columns.

    Returns:
        The result, columns named as CloudWatch names them (``count(*)``, an alias, ``bin(5m)``);
        ``@timestamp`` and ``bin``/``datefloor`` values as UTC datetimes. ``df.attrs["notes"]``
        lists compatibility notes (where CloudWatch would differ or the query likely misses).

    Raises:
        InsightsSyntaxError: the query is not valid (with a caret at the problem).
        InsightsQueryError: the query cannot run (bad argument, misplaced command, bad regex...).
        UnsupportedError: the query uses a command or function the local engine does not run.
    """
    if fields is None:
        fields = table_fields(con, table)
    if events is None:
        events = table_events(con, table)
    compiled = compile_query(query, fields, start=start, end=end, table=table, events=events)
    register_udfs(con, compiled.udfs)
    check_regexes(con, compiled.regexes)
    try:
        table_result = con.sql(compiled.sql).to_arrow_table()
    except duckdb.Error as exc:
        message = str(exc).split("\n")[0]
        if "regex" in message.lower() or "regular expression" in message.lower():
            raise InsightsQueryError(
                f"a regular expression in the query is not valid for RE2, the linear-time engine flowkit "
                f"uses "
                f"(no look-around or back-references, as in CloudWatch): {message}"
            ) from None
        raise InsightsQueryError(f"the query failed in DuckDB: {message}") from None
    frame = _to_pandas(table_result, compiled)
    frame.attrs["notes"] = list(compiled.notes)
    for note in compiled.notes:
        logger.info("insights note: %s", note)
    return frame


_WIDEN = {  # Arrow types of DuckDB results -> the one integer and float width CloudWatch shows
    pa.int8(): pa.int64(),
    pa.int16(): pa.int64(),
    pa.uint8(): pa.int64(),
    pa.uint16(): pa.int64(),
    pa.uint32(): pa.int64(),
    pa.uint64(): pa.int64(),
    pa.float32(): pa.float64(),
}


def _to_pandas(table: pa.Table, compiled: Compiled) -> pd.DataFrame:
    arrays = []
    for index, kind in enumerate(compiled.types):
        array = table.column(index)
        if kind == TS:
            if not pa.types.is_timestamp(array.type):  # epoch milliseconds
                array = array.cast(pa.int64(), safe=False)
            array = array.cast(pa.timestamp("ms", tz="UTC"))
        elif pa.types.is_decimal(array.type):
            array = array.cast(pa.int64() if array.type.scale == 0 else pa.float64(), safe=False)
        elif array.type in _WIDEN:
            array = array.cast(_WIDEN[array.type])
        arrays.append(array)
    names = [str(i) for i in range(len(arrays))]
    frame = from_arrow(pa.table(arrays, names=names))
    frame.columns = compiled.columns
    return frame
