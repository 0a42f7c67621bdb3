"""The embedded engine: DuckDB over local flow logs, answering Athena SQL.

:class:`LocalEngine` puts one view, ``vpc_flow_logs``, over the data: the record columns under
their Athena names, in the source's format order, then the partition columns of the table that
:func:`flowkit.ddl.athena_ddl` generates:

* ``region`` (string): from the S3 key (``.../vpcflowlogs/<region>/...``); absent from the
  partition list when the records carry a ``region`` field themselves (as in AWS's projected
  tables, which drop the ``region`` column).
* ``day`` (string, ``yyyy/MM/dd``): the projected date partition, from the S3 key, else from the
  record's ``start`` (UTC).
* ``hour`` (string, ``HH``): only for per-hour layouts.
* ``date`` (DATE): ``day`` as a date, as in AWS's date-partitioned ``vpc_flow_logs`` table and
  the guide's sample output, so ``WHERE date = DATE('2022-07-16')`` works too.

Files in the Hive-compatible layout get the partitions of the Hive-layout table instead
(``athena_ddl(layout="hive")``): ``aws-account-id``, ``aws-service``, ``aws-region``, ``year``,
``month``, ``day`` (``dd``) and, per hour, ``hour``; plus the same ``date`` convenience column.

Parquet is scanned by DuckDB in place (out of core: nothing is loaded into pandas, so data larger
than memory can be queried); text files go through :func:`flowkit.read.read_arrow` into an in-memory
Arrow table (for text larger than memory, ``flowkit convert`` it to Parquet first); a DataFrame
is registered as it is.
"""

from __future__ import annotations

import difflib
import logging
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from flowkit.engines.base import Translation
from flowkit.errors import FlowkitError, ParameterError, QueryError
from flowkit.frames import from_arrow
from flowkit.layout import (
    HIVE_KEY_PATTERN,
    KEY_GROUPS,
    PARQUET_SUFFIXES,
    PLAIN_KEY_PATTERN,
    hive_partition_keys,
    hive_value_pattern,
    parse_key,
)
from flowkit.schema import BY_COLUMN, Field, LogFormatSpec, get_field
from flowkit.sql import VIEW, caret_message, install_functions, timestamp, to_duckdb

if TYPE_CHECKING:
    from flowkit.timeutil import TimeLike

logger = logging.getLogger(__name__)

_WINDOW = "vpc_flow_logs_window"  # the time-bounded view behind sql(start=..., end=...)

Source = str | Path | pd.DataFrame | pa.Table | Iterable[str | Path]


def _files(source: str | Path | Iterable[str | Path]) -> list[Path]:
    from flowkit.read import list_files

    items = [source] if isinstance(source, str | Path) else list(source)
    for item in items:
        if str(item).startswith("s3://"):
            raise FlowkitError(
                f"{item}: the local engine reads local files; for S3 use flowkit.connect(athena=...) "
                "or download the files first (flowkit.read_flow_logs reads s3:// too)."
            )
    if not items:
        raise FlowkitError("no flow-log files given: pass a file, a directory or a list of them.")
    return list_files(items)


def _hive_partitions(per_hour: bool) -> dict[str, str]:
    """The partition columns of flowkit's Hive-layout DDL, read from the ``key=value`` folders of each file."""

    def part(key: str) -> str:
        return f"NULLIF(regexp_extract(fk_file, '{hive_value_pattern(key)}', 1), '')"

    extra = {key: part(key) for key in hive_partition_keys(per_hour)}
    day = f"{part('year')} || '/' || {part('month')} || '/' || {part('day')}"
    extra["date"] = (
        f"CAST(strptime({day}, '%Y/%m/%d') AS DATE)"  # the local convenience column, as for plain keys
    )
    return extra


def _column_name(name: str) -> str:
    """Athena column name for a source column (``account-id`` and ``accountId`` -> ``account_id``)."""
    try:
        return get_field(name).column
    except FlowkitError:
        return re.sub(r"[^0-9a-z_]", "_", name.lower())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class LocalEngine:
    """Athena SQL over local flow logs, on DuckDB.

    Args:
        source: a flow-log file (.log, .log.gz, .parquet), a directory (searched recursively,
            e.g. an S3 delivery layout), a list of those, or a DataFrame / Arrow table in the
            reader's shape (Athena column names).
        memory_limit: DuckDB's memory limit, e.g. ``"4GB"`` (default: DuckDB's, 80 % of RAM).
        log_format: the log format of text files without a header line (passed to the reader;
            any spelling of :func:`~flowkit.schema.resolve_log_format`).
        unknown_fields: ``"keep"`` reads header fields flowkit does not know as text columns
            (passed to the reader); ``"raise"`` refuses them.

    Attributes:
        con: the DuckDB connection (the view ``vpc_flow_logs`` lives there).
        fields: the flow-log fields present, in the source's format order.
        partitions: the partition columns the view adds.
    """

    def __init__(
        self,
        source: Source,
        *,
        memory_limit: str | None = None,
        log_format: LogFormatSpec | None = None,
        unknown_fields: Literal["raise", "keep"] = "raise",
    ) -> None:
        self.source = source
        self.con = duckdb.connect()
        self.con.execute(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'flowkit-duckdb'}'")
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [memory_limit])
        install_functions(self.con)
        self._log_format = log_format
        self._unknown_fields = unknown_fields
        self.fields: list[Field] = []
        self.partitions: list[str] = []
        try:
            self._build(source)
        except duckdb.Error as exc:  # e.g. a corrupt Parquet file, or a column of the wrong type
            self.con.close()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FlowkitError(
                f"{source}: DuckDB cannot read this as flow logs ({reason}); check the files with "
                "flowkit.read_flow_logs, which names the file and the problem."
            ) from None

    # -- building the view -------------------------------------------------------------------------

    def _build(self, source: Source) -> None:
        if isinstance(source, pd.DataFrame):
            frame = source.copy(deep=False)
            frame.attrs = {}  # e.g. the reader's ReadReport, which Arrow metadata cannot hold
            self._from_arrow(pa.Table.from_pandas(frame, preserve_index=False))
            return
        if isinstance(source, pa.Table):
            self._from_arrow(source)
            return
        files = _files(source)
        parquet = [f for f in files if f.name.endswith(PARQUET_SUFFIXES)]
        text = [f for f in files if f not in parquet]
        if parquet and text:
            raise FlowkitError(
                f"{source}: mixes Parquet and text files; give one kind (convert text with flowkit convert)."
            )
        if parquet:
            self._from_parquet(parquet)
        else:
            self._from_text(text)

    def _from_arrow(self, table: pa.Table, files: list[str] | None = None) -> None:
        self.con.register("fk_records", table)
        self._create_view("fk_records", table.schema.names, files)

    def _from_parquet(self, files: list[Path]) -> None:
        # a view cannot take prepared parameters: the paths go in as escaped string literals
        paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        self.con.execute(
            f"CREATE VIEW fk_records AS SELECT * FROM read_parquet([{paths}], union_by_name = true, "
            "filename = 'fk_file', hive_partitioning = false)"
        )
        names = [row[0] for row in self.con.execute("DESCRIBE fk_records").fetchall()]
        self._create_view("fk_records", names, [str(f) for f in files])

    def _from_text(self, files: list[Path]) -> None:
        from flowkit.read import read_arrow

        # partition values live in the directory names, so one read per directory is enough
        by_dir: dict[Path, list[Path]] = {}
        for path in files:
            by_dir.setdefault(path.parent, []).append(path)
        tables = []
        for folder, group in by_dir.items():
            table = read_arrow(group, log_format=self._log_format, unknown_fields=self._unknown_fields)
            key = pa.array([f"{folder}/"] * table.num_rows, pa.string())
            tables.append(table.append_column("fk_file", key))
        self._from_arrow(pa.concat_tables(tables, promote_options="default"), [f"{d}/" for d in by_dir])

    def _create_view(self, relation: str, names: list[str], files: list[str] | None) -> None:
        select: list[str] = []
        columns: list[str] = []
        for name in names:
            if name == "fk_file":
                continue
            column = _column_name(name)
            if column in columns:
                raise FlowkitError(
                    f"the data has two columns that both mean {column!r} ({name!r} and another)."
                )
            columns.append(column)
            select.append(f"{_quote(name)} AS {_quote(column)}" if column != name else _quote(name))
        self.fields = [BY_COLUMN[c] for c in columns if c in BY_COLUMN]
        # partition values come from the S3 keys when the files sit in a delivery layout (the patterns
        # of flowkit.layout); the regexes only go into the view then (they cost per row), else the
        # day is the start's
        keys = [k for f in files or [] if (k := parse_key(f)).layout is not None]

        def from_key(name: str) -> str:
            group = KEY_GROUPS.index(name) + 1
            return (
                f"COALESCE(NULLIF(regexp_extract(fk_file, '{PLAIN_KEY_PATTERN}', {group}), ''), "
                f"NULLIF(regexp_extract(fk_file, '{HIVE_KEY_PATTERN}', {group}), ''))"
            )

        has_start = "start" in columns
        start_day = "strftime(to_timestamp(\"start\"), '%Y/%m/%d')" if has_start else "NULL::VARCHAR"
        extra: dict[str, str] = {}
        if keys and all(k.hive for k in keys):
            extra = _hive_partitions(any(k.hour for k in keys))
        elif keys:
            date = " || '/' || ".join(from_key(part) for part in ("year", "month", "day"))
            day = f"COALESCE({date}, {start_day})"
            extra["region"] = from_key("region")
            extra["day"] = day
            if any(k.hour for k in keys):
                extra["hour"] = from_key("hour")
            extra["date"] = f"CAST(strptime({day}, '%Y/%m/%d') AS DATE)"
        else:
            extra["region"] = "NULL::VARCHAR"
            extra["day"] = start_day
            extra["date"] = 'CAST(to_timestamp("start") AS DATE)' if has_start else "NULL::DATE"
        extra = {k: v for k, v in extra.items() if k not in columns}
        self.partitions = list(extra)
        select += [f"{expr} AS {_quote(name)}" for name, expr in extra.items()]
        self.con.execute(f"CREATE VIEW {VIEW} AS SELECT {', '.join(select)} FROM {relation}")

    # -- querying ----------------------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        """The columns of ``vpc_flow_logs``, in order."""
        return [row[0] for row in self.con.execute(f"DESCRIBE {VIEW}").fetchall()]

    def _relations(self) -> list[str]:
        return [
            row[0] for row in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]

    def translate(
        self, query: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> Translation:
        """The DuckDB SQL that :meth:`sql` would run, parameters bound as literals (``.parameters`` is empty)."""
        kinds = params.pop("_kinds", None)
        view = self._window(start, end)
        duck = to_duckdb(query, params=params, kinds=kinds, known_tables=self._relations, view=view)
        return Translation(duck, (), "duckdb")

    def sql(
        self, query: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> pd.DataFrame:
        """Run an Athena (Trino) SQL query and return the result as a DataFrame.

        Args:
            query: Athena SQL. Any table name (``"<vpc_flow_logs_table_name>"``, the Athena
                table's name, ...) means ``vpc_flow_logs``; a trailing ``;`` is fine.
            start: keep only records starting at or after this time (datetime, ISO 8601 text or
                Unix seconds), as the AWS engine's ``start=`` does.
            end: ... and starting before this time.
            **params: values for ``:name`` placeholders, validated and bound as literals.

        Raises:
            QueryError: on a syntax error (with the position), an unknown column (with the
                closest one) or a failure while running.
            ParameterError: on a missing, unknown or invalid parameter, or an empty time window.
        """
        duck = self.translate(query, start=start, end=end, **params).sql
        logger.debug("duckdb sql: %s", duck)
        return self._run(duck, query)

    def _window(self, start: TimeLike | None, end: TimeLike | None) -> str:
        """The relation to query: the view, or a temporary view of it bounded to ``[start, end)``."""
        if start is None and end is None:
            return VIEW
        lo = None if start is None else timestamp(start)
        hi = None if end is None else timestamp(end)
        if lo is not None and hi is not None and lo >= hi:
            raise ParameterError(f"the time window is empty: start {start!r} is not before end {end!r}.")
        conditions = [f'"start" >= {int(lo)}'] if lo is not None else []
        conditions += [f'"start" < {int(hi)}'] if hi is not None else []
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {_WINDOW} AS SELECT * FROM {VIEW} WHERE {' AND '.join(conditions)}"
        )
        return _WINDOW

    def query(
        self, name: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> pd.DataFrame:
        """Run a catalogue question by name (see :func:`flowkit.queries.list_queries`), optionally in a time window."""
        from flowkit.queries import get_query

        q = get_query(name)
        values = q.bind_values(params)
        return self.sql(q.sql, start=start, end=end, _kinds=q.kinds, **values)

    def _run(self, duck: str, original: str) -> pd.DataFrame:
        try:
            table = self.con.sql(duck).to_arrow_table()
        except duckdb.BinderException as exc:
            raise QueryError(self._binder_message(str(exc), original)) from None
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise QueryError(f"the query failed in DuckDB: {first}\n    DuckDB SQL: {duck}") from None
        return from_arrow(_integral_decimals(table))

    def _binder_message(self, message: str, query: str) -> str:
        match = re.search(r'Referenced column "([^"]+)" not found', message)
        columns = self.columns
        absent = [n for n in re.findall(r'"([^"]+)"', message) if n in BY_COLUMN and n not in columns]
        if absent:
            field = BY_COLUMN[absent[0]]
            return (
                f"the data has no column {field.column!r}: it is a version-{field.version} field "
                f"({field.name}) that this flow log's format does not include."
            )
        if not match:
            return f"the query failed: {message.splitlines()[0]}"
        name = match.group(1)
        close = difflib.get_close_matches(name.lower(), columns, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (columns: {', '.join(columns)})"
        where = re.search(rf"(?<![\w\"]){re.escape(name)}(?![\w\"])|\"{re.escape(name)}\"", query)
        if where:
            line = query.count("\n", 0, where.start()) + 1
            col = where.start() - (query.rfind("\n", 0, where.start()) + 1) + 1
            return caret_message(query, line, col, f"unknown column {name!r}{hint}")
        return f"unknown column {name!r}{hint}."

    def insights(
        self, query: str, start: TimeLike | None = None, end: TimeLike | None = None
    ) -> pd.DataFrame:
        """Run a CloudWatch Logs Insights query over the same records (:mod:`flowkit.engines.insights`)."""
        from flowkit.engines.insights import run_insights

        return run_insights(self.con, query, start=start, end=end, fields=self.fields)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a DataFrame queryable by name (e.g. a baseline or an allowlist), next to ``vpc_flow_logs``."""
        self.con.register(name, frame)

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        src = "DataFrame" if isinstance(self.source, pd.DataFrame | pa.Table) else str(self.source)
        return f"LocalEngine({src!r}, fields={len(self.fields)}, partitions={self.partitions})"


def _integral_decimals(table: pa.Table) -> pa.Table:
    """DuckDB sums integers into HUGEINT (Arrow decimal(38, 0)); Trino returns bigint: cast back when it fits."""
    for i, column in enumerate(table.schema):
        if pa.types.is_decimal(column.type) and column.type.scale == 0:
            try:
                table = table.set_column(i, column.name, table.column(i).cast(pa.int64()))
            except (pa.ArrowInvalid, OverflowError):
                logger.debug("column %s does not fit in bigint; kept as decimal", column.name)
    return table
