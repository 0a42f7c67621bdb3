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
than memory can be queried), and so is text: one ``read_csv`` per group of files of one format and
one delivery prefix (:mod:`flowkit.engines.text_files`), after every file is checked once against
the reader's rules (:mod:`flowkit.engines.text_checks`); files that fail the check are read by
:func:`flowkit.read.read_arrow` into Arrow tables, so errors and skipped lines are the reader's.
Partition columns of text are constants and fixed-offset substrings of each row's file path, so
DuckDB opens only the files a ``WHERE day = ...`` or ``date = ...`` can match; a time window
(``start=``/``end=``) reads only the files whose S3 folder date and file-name time can hold it. A
DataFrame is registered as it is.

Threads: one engine may be shared by several threads. Each call (``sql``, ``query``, ``insights``,
``columns``) runs on its own DuckDB cursor, a connection of its own to the same database, with the
session's settings (UTC) and the engine's registered tables on it; DuckDB runs the cursors in parallel.
``engine.con`` itself is one connection: use it from one thread at a time.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from flowkit.engines.base import Translation, check_text
from flowkit.engines.sandbox import PrivateDirectory, lock_down
from flowkit.engines.text_files import TextFile, partition_scheme, partition_sql, prune, quote, read_csv_sql
from flowkit.errors import ArgumentError, FlowkitError, ParameterError, QueryError
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
from flowkit.read.report import ReadReport
from flowkit.schema import BY_COLUMN, Field, LogFormatSpec, get_field
from flowkit.sql import VIEW, caret_message, install_functions, timestamp
from flowkit.sql.checks import TableNames
from flowkit.sql.translate import PLACEHOLDER, UNNAMED_PREFIX, DuckQuery, prepare

if TYPE_CHECKING:
    from flowkit.timeutil import TimeLike

logger = logging.getLogger(__name__)

_WINDOW = "vpc_flow_logs_window"  # the time-bounded view behind sql(start=..., end=...)

Source = str | Path | pd.DataFrame | pa.Table | Iterable[str | Path]


def _files(source: str | Path | Iterable[str | Path]) -> list[Path]:
    from flowkit.read import list_files

    items = [source] if isinstance(source, str | os.PathLike) else source
    if isinstance(items, bytes | dict) or not isinstance(items, Iterable):
        raise ArgumentError(
            f"source must be a path, a list of paths, a DataFrame or an Arrow table, not {source!r:.100}."
        )
    items = list(items)
    if not all(isinstance(item, str | os.PathLike) for item in items):
        raise ArgumentError(f"source must be a path or a list of paths, not {source!r:.100}.")
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


class LocalEngine:
    """Athena SQL over local flow logs, on DuckDB.

    Args:
        source: a flow-log file (.log, .log.gz, .parquet), a directory (searched recursively,
            e.g. an S3 delivery layout), a list of those, or a DataFrame / Arrow table in the
            reader's shape (Athena column names).
        memory_limit: DuckDB's memory limit, e.g. ``"4GB"`` (default: DuckDB's, 80 % of RAM).
        log_format: the log format of text files without a header line (passed to the reader;
            any spelling of :func:`~flowkit.schema.resolve_log_format`).
        table: the Athena table's name, ``"table"`` or ``"database.table"``, so queries written for
            it run here unchanged (``vpc_flow_logs`` and the guide's ``"<vpc_flow_logs_table_name>"``
            always work; any other table name is an error).
        unknown_fields: ``"keep"`` reads header fields flowkit does not know as text columns
            (passed to the reader); ``"raise"`` refuses them.
        errors: what a bad line in a text file does, as in :func:`flowkit.read_flow_logs`:
            ``"raise"`` a :class:`~flowkit.errors.RecordParseError` naming the file and line, or
            ``"skip"`` it and count it in :attr:`report`.
        start: the engine sees only records starting at or after this time (datetime, ISO 8601
            text or Unix seconds), and reads and checks only the text files that can hold them:
            a one-hour question over a year of delivered files opens that hour's files.
        end: ... and starting before this time.

    Text files are read where they lie: DuckDB reads them for each query (memory stays flat
    whatever the data's size), after one check of every line against the reader's rules
    (:mod:`flowkit.engines.text_checks`, remembered between engines); files that fail it, or that
    DuckDB cannot read, are read by flowkit's reader instead, so answers and errors are the
    reader's. A time window (``start=``/``end=``) reads only the files that can hold it, by the
    folder date and file-name time of the S3 layout.

    The engine reads the flow logs and nothing else: queries are checked by
    :func:`flowkit.sql.checks.check_tree`, and once the view is built the DuckDB connection is
    locked (:func:`flowkit.engines.sandbox.lock_down`); DuckDB spills to a temporary directory
    private to this user, removed by :meth:`close`.

    Safe to share between threads: each query runs on a cursor of its own (see the module's docstring).

    Attributes:
        con: the DuckDB connection (the view ``vpc_flow_logs`` lives there); one thread at a time.
        fields: the flow-log fields present, in the source's format order.
        partitions: the partition columns the view adds.
        report: what reading the text files took in and left out (a :class:`~flowkit.read.ReadReport`).
    """

    def __init__(
        self,
        source: Source,
        *,
        memory_limit: str | None = None,
        log_format: LogFormatSpec | None = None,
        table: str | None = None,
        unknown_fields: Literal["raise", "keep"] = "raise",
        errors: Literal["raise", "skip"] = "raise",
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> None:
        if errors not in ("raise", "skip"):
            raise ArgumentError(f"`errors` must be 'raise' or 'skip', not {errors!r}.")
        self.source = source
        self._errors = errors
        self.report = ReadReport()
        self._text: list[TextFile] = []  # text files read in place (or by flowkit's reader), in order
        self._exact: dict[tuple, str] = {}  # a group of text files -> the table flowkit's reader made of them
        self._scheme: tuple[str, bool] = ("none", False)
        self._select = "*"
        self._bounds = (None if start is None else timestamp(start), None if end is None else timestamp(end))
        if None not in self._bounds and self._bounds[0] >= self._bounds[1]:  # type: ignore[operator]
            raise ParameterError(f"the time window is empty: start {start!r} is not before end {end!r}.")
        self._where = ""  # the engine's own time bounds, as a WHERE on the view
        database, _, name = (table or "").rpartition(".")
        if table is not None and (not name or any(not part.strip() for part in table.split("."))):
            raise FlowkitError(f"table={table!r}: give 'table' or 'database.table'.")
        self._tables = TableNames(table=name or None, database=database or None)
        self._read_paths: list[str] = []
        self._spill = PrivateDirectory()
        self.con = duckdb.connect()
        self.con.execute(f"SET temp_directory = '{str(self._spill.path).replace(chr(39), chr(39) * 2)}'")
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [memory_limit])
        install_functions(self.con)
        self._log_format = log_format
        self._registered: dict[str, Any] = {}  # names registered on self.con, registered again on each cursor
        self._unknown_fields = unknown_fields
        self.fields: list[Field] = []
        self.partitions: list[str] = []
        try:
            self._build(source)
            lock_down(self.con, allowed_paths=self._read_paths)
        except duckdb.Error as exc:  # e.g. a corrupt Parquet file, or a column of the wrong type
            self.close()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FlowkitError(
                f"{source}: DuckDB cannot read this as flow logs ({reason}); check the files with "
                "flowkit.read_flow_logs, which names the file and the problem."
            ) from None
        except BaseException:
            self.close()
            raise

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
        self._register("fk_records", table)
        self._create_view("fk_records", table.schema.names, files)

    def _from_parquet(self, files: list[Path]) -> None:
        self._read_paths = [str(f) for f in files]  # the files lock_down lets the view read
        # a view cannot take prepared parameters: the paths go in as escaped string literals
        paths = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        self.con.execute(
            f"CREATE VIEW fk_records AS SELECT * FROM read_parquet([{paths}], union_by_name = true, "
            "filename = 'fk_file', hive_partitioning = false)"
        )
        names = [row[0] for row in self.con.execute("DESCRIBE fk_records").fetchall()]
        self._create_view("fk_records", names, [str(f) for f in files])

    def _from_text(self, files: list[Path]) -> None:
        """Text files read in place by DuckDB, each checked once (:mod:`~flowkit.engines.text_checks`);
        files DuckDB cannot be trusted with are read by flowkit's reader into Arrow tables."""
        from flowkit.engines.text_checks import CheckedFiles, check_files
        from flowkit.engines.text_files import scan
        from flowkit.read import read_arrow
        from flowkit.schema import resolve_log_format

        fmt = resolve_log_format(self._log_format, unknown=self._unknown_fields) if self._log_format else None
        self._text = scan([str(f) for f in files], fmt, *self._bounds)
        groups: dict[tuple, list[TextFile]] = {}
        for item in self._text:
            if item.exact is None:
                groups.setdefault(item.group, []).append(item)
        memory = CheckedFiles.open()
        try:
            for items in groups.values():
                flagged, records = check_files(self.con, items, memory)
                for item in items:
                    if item.path in flagged:
                        item.exact = flagged[item.path]
                    else:
                        self.report.files += 1
                        self.report.headers += item.header
                        self.report.lines_read += records[item.path]
                        self.report.parsed += records[item.path]
        finally:
            if memory is not None:
                memory.close()
        exact: dict[tuple, list[pa.Table]] = {}
        empty: pa.Table | None = None
        for item in self._text:
            if item.exact is None:
                continue
            logger.debug("%s: read by flowkit's reader (%s)", item.name, item.exact)
            table = read_arrow(
                item.name,
                log_format=self._log_format,
                errors=self._errors,
                unknown_fields=self._unknown_fields,
                report=self.report,
            )
            if table.num_rows:
                fk_file = pa.array([item.path] * table.num_rows, pa.string())
                exact.setdefault(item.group, []).append(table.append_column("fk_file", fk_file))
            elif empty is None and item.fields is not None:
                empty = table  # every line of it skipped: its columns, should nothing else be readable
        for i, (key, tables) in enumerate(exact.items()):
            self._register(f"fk_exact_{i}", pa.concat_tables(tables, promote_options="default"))
            self._exact[key] = f"fk_exact_{i}"
        if self.report.rejected_total or self.report.skipped_files:
            logger.warning("flow-log read skipped input: %s", self.report)
        if not exact and all(item.exact for item in self._text):  # no record to read: an empty table
            self._from_arrow(empty if empty is not None else read_arrow([], log_format=self._log_format))
            return
        self._read_paths = [item.path for item in self._text if item.exact is None]
        self._scheme = partition_scheme(self._text)
        self.con.execute(f"CREATE VIEW fk_records AS {self._text_union(self._text)}")
        names = [row[0] for row in self.con.execute("DESCRIBE fk_records").fetchall()]
        self._create_view("fk_records", names, None, partitioned=True)

    def _text_union(self, files: list[TextFile], *, window: bool = False) -> str:
        """One SELECT per group of ``files`` (DuckDB's reader over the checked files, flowkit's tables
        for the others), each with its partition columns, stacked by column name."""
        parts: list[tuple[int, str]] = []
        groups: dict[tuple, tuple[int, TextFile, list[str]]] = {}
        for index, item in enumerate(files):
            _, _, paths = groups.setdefault(item.group, (index, item, []))
            if item.exact is None:
                paths.append(item.path)
        for index, item, paths in groups.values():
            if paths:
                relation = read_csv_sql(paths, item.fields or [], item.header, item.gzipped)
                extra = partition_sql(item, self._scheme, [f.column for f in item.fields or []])
                parts.append((index, f"SELECT *, {extra} FROM {relation}"))
            if item.group in self._exact:
                name = self._exact[item.group]
                extra = partition_sql(item, self._scheme, self._registered[name].schema.names)
                parts.append((index, f"SELECT *, {extra} FROM {name}"))
        selects = [sql for _, sql in sorted(parts, key=lambda part: part[0])]
        if window:  # the whole view's columns first, in its order (files left out may hold some); no rows
            selects.insert(0, "SELECT * FROM fk_records WHERE false")
        return " UNION ALL BY NAME ".join(f"({sql})" for sql in selects)

    def _create_view(
        self, relation: str, names: list[str], files: list[str] | None, *, partitioned: bool = False
    ) -> None:
        select: list[str] = []
        columns: list[str] = []
        for name in names:
            if name == "fk_file" or name.startswith("fk_p_"):
                continue
            column = _column_name(name)
            if column in columns:
                raise FlowkitError(
                    f"the data has two columns that both mean {column!r} ({name!r} and another)."
                )
            columns.append(column)
            select.append(f"{quote(name)} AS {quote(column)}" if column != name else quote(name))
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
        if partitioned:  # the relation has them, as fk_p_<name>
            extra = {name.removeprefix("fk_p_"): quote(name) for name in names if name.startswith("fk_p_")}
        elif keys and all(k.hive for k in keys):
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
        select += [f"{expr} AS {quote(name)}" for name, expr in extra.items()]
        self._select = ", ".join(select)
        lo, hi = self._bounds
        if lo is not None or hi is not None:
            if not has_start:
                raise FlowkitError(
                    "start=/end= bound the records' start field, which this data does not have."
                )
            bounds = ([f'"start" >= {lo!r}'] if lo is not None else []) + (
                [f'"start" < {hi!r}'] if hi is not None else []
            )
            self._where = " WHERE " + " AND ".join(bounds)
        self.con.execute(f"CREATE VIEW {VIEW} AS SELECT {self._select} FROM {relation}{self._where}")

    # -- querying ----------------------------------------------------------------------------------

    def _register(self, name: str, data: Any) -> None:
        self.con.register(name, data)
        self._registered[name] = data

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one call: its own connection to the database, set up as ``self.con`` is (the
        session time zone, the registered tables), so calls from several threads run side by side."""
        cursor = self.con.cursor()  # the time zone (UTC) is global, set before the lock
        for name, data in self._registered.items():
            cursor.register(name, data)
        return cursor

    @property
    def columns(self) -> list[str]:
        """The columns of ``vpc_flow_logs``, in order."""
        with self._cursor() as cursor:
            return [row[0] for row in cursor.execute(f"DESCRIBE {VIEW}").fetchall()]

    def translate(
        self, query: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> Translation:
        """The DuckDB SQL that :meth:`sql` would run, parameters bound as literals (``.parameters`` is empty).

        A time window is a temporary view on ``engine.con`` (``vpc_flow_logs_window``), so the SQL
        runs there as it is.
        """
        return Translation(self._prepare(self.con, query, start, end, params).sql, (), "duckdb")

    def _prepare(
        self,
        con: duckdb.DuckDBPyConnection,
        query: str,
        start: TimeLike | None,
        end: TimeLike | None,
        params: dict[str, Any],
    ) -> DuckQuery:
        check_text(query, "query")
        kinds = params.pop("_kinds", None)
        view = self._window(con, start, end)
        tables = TableNames(
            table=self._tables.table,
            database=self._tables.database,
            registered=frozenset(n for n in self._registered if not n.startswith("fk_")),
            columns=self._column_kinds(),
        )
        return prepare(query, params=params, kinds=kinds, tables=tables, view=view)

    def _column_kinds(self) -> dict[str, str]:
        """The view's flow-log and partition columns: ``"number"``, ``"string"`` or ``"date"``."""
        kinds = {f.column: "string" if f.athena_type == "string" else "number" for f in self.fields}
        kinds |= {name: "date" if name == "date" else "string" for name in self.partitions}
        return kinds

    def sql(
        self, query: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> pd.DataFrame:
        """Run an Athena (Trino) SQL query and return the result as a DataFrame.

        The answer is Athena's (:mod:`flowkit.sql.semantics`): integer division truncates, unnamed
        columns are ``_col0``, ``_col1``..., ``IPADDRESS`` values compare as addresses and print as
        text, timestamps with a time zone keep it. What the local engine answers differently, or
        refuses, is listed in ``docs/athena-semantics.md``.

        Args:
            query: Athena SQL over ``vpc_flow_logs`` (also ``"<vpc_flow_logs_table_name>"`` and the
                engine's ``table``); a trailing ``;`` is fine.
            start: keep only records starting at or after this time (datetime, ISO 8601 text or
                Unix seconds), as the AWS engine's ``start=`` does.
            end: ... and starting before this time.
            **params: values for ``:name`` placeholders, validated and bound as literals.

        Raises:
            QueryError: on a syntax error (with the position), an unknown table, column or function
                (with the closest one), anything but Athena SQL over the flow logs (table functions,
                files, settings: refused by name), or a failure while running.
            ParameterError: on a missing, unknown or invalid parameter, or an empty time window.
        """
        with self._cursor() as cursor:
            duck = self._prepare(cursor, query, start, end, params)
            logger.debug("duckdb sql: %s", duck.sql)
            frame = self._run(cursor, duck, query)
        if not isinstance(self.source, pd.DataFrame | pa.Table):
            frame.attrs["scan"] = self.scanned(start, end)
        return frame

    def _window(self, con: duckdb.DuckDBPyConnection, start: TimeLike | None, end: TimeLike | None) -> str:
        """The relation to query: the view, or a temporary view of it bounded to ``[start, end)``."""
        if start is None and end is None:
            return self._pruned(None, None)
        lo = None if start is None else timestamp(start)
        hi = None if end is None else timestamp(end)
        if lo is not None and hi is not None and lo >= hi:
            raise ParameterError(f"the time window is empty: start {start!r} is not before end {end!r}.")
        conditions = [f'"start" >= {int(lo)}'] if lo is not None else []
        conditions += [f'"start" < {int(hi)}'] if hi is not None else []
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {_WINDOW} AS SELECT * FROM {self._pruned(lo, hi)} "
            f"WHERE {' AND '.join(conditions)}"
        )
        return _WINDOW

    def _pruned(self, lo: float | None, hi: float | None) -> str:
        """The view's relation over only the text files that can hold records starting in ``[lo, hi)``."""
        if not self._text or self._select == "*":
            return VIEW
        everything = lo is None and hi is None
        files = self._text if everything else prune(self._text, lo, hi)
        self._check_unchanged(files)
        if everything:
            return VIEW
        return f"(SELECT {self._select} FROM ({self._text_union(files, window=True)}){self._where})"

    def _check_unchanged(self, files: list[TextFile]) -> None:
        """Refuse to query text files changed or removed since they were checked: DuckDB reads them at
        query time, and a changed file has not been checked."""
        for item in files:
            if item.exact is not None:
                continue  # read into memory when the engine was opened
            try:
                info = os.stat(item.path)
                changed = (info.st_size, info.st_mtime_ns) != (item.size, item.mtime)
            except OSError:
                changed = True
            if changed:
                raise FlowkitError(
                    f"{item.name}: changed or removed since the engine was opened; open it again "
                    "(flowkit.connect) to check and read the file as it is now."
                )

    def scanned(self, start: TimeLike | None = None, end: TimeLike | None = None) -> dict[str, int]:
        """The files (and their bytes on disk) a query in ``[start, end)`` reads, as Athena reports data scanned.

        Text files outside the window are left out by their S3 folder date and file-name time; a
        ``WHERE`` on ``day``, ``date`` or ``hour`` makes DuckDB open fewer still. Sources already in
        memory (a DataFrame) read no files.
        """
        if self._text:
            lo = None if start is None else timestamp(start)
            hi = None if end is None else timestamp(end)
            files = prune(self._text, lo, hi) if (lo is not None or hi is not None) else self._text
            return {"files": len(files), "bytes": sum(item.size for item in files)}
        paths = [Path(p) for p in self._read_paths]
        return {"files": len(paths), "bytes": sum(p.stat().st_size for p in paths if p.exists())}

    def query(
        self, name: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> pd.DataFrame:
        """Run a catalogue question by name (see :func:`flowkit.queries.list_queries`), optionally in a time window."""
        from flowkit.queries import get_query

        check_text(name, "name")
        q = get_query(name)
        values = q.bind_values(params)
        return self.sql(q.sql, start=start, end=end, _kinds=q.kinds, **values)

    def _run(self, con: duckdb.DuckDBPyConnection, duck: DuckQuery, original: str) -> pd.DataFrame:
        try:
            relation = con.sql(duck.sql)
            if relation is None:  # not a query (the checks let only queries through)
                raise QueryError("the statement returned no result: write a SELECT statement.")
            types = [str(t) for t in relation.types]
            table = relation.to_arrow_table()
        except duckdb.BinderException as exc:
            raise QueryError(self._binder_message(str(exc), original)) from exc
        except duckdb.Error as exc:
            raise QueryError(_duckdb_message(exc, duck.sql)) from None
        try:
            table = _as_athena_types(table, types)
            frame = from_arrow(table)
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
            raise QueryError(f"the result cannot be converted to a DataFrame: {exc}") from None
        for name, zone in duck.zones.items():
            if name in frame.columns and isinstance(frame[name].dtype, pd.DatetimeTZDtype):
                frame[name] = frame[name].dt.tz_convert(_zone(zone))
        frame.columns = [
            f"_col{i}" if str(name).startswith(UNNAMED_PREFIX) else name
            for i, name in enumerate(frame.columns)
        ]
        return frame

    def _binder_message(self, message: str, query: str) -> str:
        match = re.search(r'Referenced column "([^"]+)" not found', message)
        columns = self.columns
        first = message.splitlines()[0]
        absent = [n for n in re.findall(r'"([^"]+)"', first) if n in BY_COLUMN and n not in columns]
        if absent:  # also behind "Alias with name ... exists" when the query names the field twice
            field = BY_COLUMN[absent[0]]
            return (
                f"column {field.column!r} cannot be resolved: the data has no column {field.column!r}: it is a "
                f"version-{field.version} field ({field.name}) that this flow log's format does not include."
            )
        if not match:
            grouped = re.search(r'column "([^"]+)" must appear in the GROUP BY clause', first)
            if grouped:  # Athena's wording
                return (
                    f"'{grouped.group(1)}' must be an aggregate expression or appear in GROUP BY clause "
                    f"({first.removeprefix('Binder Error: ')})"
                )
            return f"the query failed: {first}"
        name = match.group(1)
        candidates = (
            re.findall(r'"([^"]+)"', message.split("Candidate bindings:", 1)[-1])
            if ("Candidate bindings:" in message)
            else []
        )
        candidates = [c.split(".")[-1] for c in candidates] or columns
        close = difflib.get_close_matches(name.lower(), candidates, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (columns: {', '.join(candidates)})"
        where = re.search(rf"(?<![\w\"]){re.escape(name)}(?![\w\"])|\"{re.escape(name)}\"", query)
        if where:
            line = query.count("\n", 0, where.start()) + 1
            col = where.start() - (query.rfind("\n", 0, where.start()) + 1) + 1
            return caret_message(query, line, col, f"column {name!r} cannot be resolved{hint}")
        return f"column {name!r} cannot be resolved{hint}."

    def insights(
        self, query: str, start: TimeLike | None = None, end: TimeLike | None = None
    ) -> pd.DataFrame:
        """Run a CloudWatch Logs Insights query over the same records (:mod:`flowkit.engines.insights`)."""
        from flowkit.engines.insights import run_insights

        check_text(query, "query")
        with self._cursor() as cursor:
            table = VIEW
            lo = None if start is None else timestamp(start)
            hi = None if end is None else timestamp(end) + 1  # Insights' end is inclusive
            if (relation := self._pruned(lo, hi)) != VIEW:  # text in place: only the files of the range
                cursor.execute(f"CREATE OR REPLACE TEMP VIEW {_WINDOW} AS SELECT * FROM {relation}")
                table = _WINDOW
            frame = run_insights(cursor, query, start=start, end=end, fields=self.fields, table=table)
        if not isinstance(self.source, pd.DataFrame | pa.Table):
            frame.attrs["scan"] = self.scanned(start, None if end is None else timestamp(end) + 1)
        return frame

    def register(self, name: str, frame: pd.DataFrame) -> None:
        """Make a DataFrame queryable by name (e.g. a baseline or an allowlist), next to ``vpc_flow_logs``.

        Raises:
            FlowkitError: when ``name`` is not a plain name, or is one of the flow-log table's.
        """
        check_text(name, "name")
        lower = name.lower()
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", lower):
            raise FlowkitError(
                f"{name!r}: a registered frame's name is letters, digits and _ (e.g. allowlist)."
            )
        reserved = {VIEW, _WINDOW, "fk_records", PLACEHOLDER, *(self._tables.flow_log_names)}
        if lower in reserved or lower.startswith("fk_"):
            raise FlowkitError(f"{name!r} is the flow-log table's name (or flowkit's own): choose another.")
        self._register(lower, frame)

    def close(self) -> None:
        """Close the DuckDB connection and remove its private temporary directory."""
        con = getattr(self, "con", None)
        if con is not None:
            con.close()
        spill = getattr(self, "_spill", None)
        if spill is not None:
            spill.cleanup()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        src = "DataFrame" if isinstance(self.source, pd.DataFrame | pa.Table) else str(self.source)
        return f"LocalEngine({src!r}, fields={len(self.fields)}, partitions={self.partitions})"


_IP_CAST_FAILED = re.compile(r"Could not convert string 'not an IP address: (.*)' to UUID")
_CAST_FAILED = re.compile(r"Could not convert string '(.*)' to (\w+)")


def _duckdb_message(exc: duckdb.Error, sql: str) -> str:
    """A DuckDB error as a one-line QueryError message, in Athena's words where flowkit knows them."""
    first = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
    if match := _IP_CAST_FAILED.search(first):
        return f"Cannot cast value to IPADDRESS: {match.group(1)}"
    if match := re.search(r'invalid timestamp field format: "(.*?)"', first):
        return f"Value cannot be cast to timestamp: {match.group(1)}"
    if match := _CAST_FAILED.search(first):
        return f"Cannot cast '{match.group(1)}' to {match.group(2).lower().replace('int64', 'bigint')}"
    if isinstance(exc, duckdb.PermissionException):
        return f"the local engine reads only the flow logs; DuckDB refused: {first}"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"DuckDB ran out of memory ({first}): give connect(memory_limit=...) or narrow the query."
    return f"the query failed in DuckDB: {first}\n    DuckDB SQL: {sql}"


def _zone(name: str) -> Any:
    """A time zone pandas takes: an IANA name, or a fixed offset such as ``+01:00``."""
    match = re.fullmatch(r"([+-])(\d\d):(\d\d)", name)
    if not match:
        return name
    from datetime import timedelta, timezone

    minutes = int(match.group(2)) * 60 + int(match.group(3))
    return timezone(timedelta(minutes=minutes if match.group(1) == "+" else -minutes))


def _ip_text(value: str | None) -> str | None:
    """An address carried as a UUID string (``00000000-...-ffff0a000001``) as Trino prints it."""
    if value is None:
        return None
    address = ipaddress.IPv6Address(int(value.replace("-", ""), 16))
    return str(address.ipv4_mapped) if address.ipv4_mapped is not None else str(address)


def _ip_column(column: pa.ChunkedArray) -> pa.Array:
    cache: dict[str | None, str | None] = {}
    values = [cache.setdefault(v, _ip_text(v)) if v not in cache else cache[v] for v in column.to_pylist()]
    return pa.array(values, pa.string())


def _interval_text(value: Any) -> str | None:
    """A DuckDB interval as Athena prints one: ``2 03:00:00.000`` (day to second) or ``1-2`` (year to month).

    Examples:
        >>> import pyarrow as pa
        >>> _interval_text(pa.MonthDayNano([0, 2, 10_800_000_000_000])), _interval_text(pa.MonthDayNano([14, 0, 0]))
        ('2 03:00:00.000', '1-2')
    """
    if value is None:
        return None
    months, days, nanos = value.months, value.days, value.nanoseconds
    if months and not days and not nanos:
        sign = "-" if months < 0 else ""
        return f"{sign}{abs(months) // 12}-{abs(months) % 12}"
    total = (months * 30 + days) * 86_400_000 + nanos // 1_000_000  # milliseconds, as Trino keeps them
    sign = "-" if total < 0 else ""
    total = abs(total)
    day, rest = divmod(total, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{sign}{day} {hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _as_athena_types(table: pa.Table, types: list[str]) -> pa.Table:
    """Columns in the types Athena returns: HUGEINT sums as bigint (when they fit), addresses as text."""
    for i, (field, duck_type) in enumerate(zip(table.schema, types, strict=False)):
        if duck_type == "HUGEINT":
            try:
                table = table.set_column(i, field.name, table.column(i).cast(pa.int64()))
            except (pa.ArrowInvalid, OverflowError):
                logger.debug("column %s does not fit in bigint; kept as decimal", field.name)
        elif duck_type == "INTERVAL":
            texts = [_interval_text(v) for v in table.column(i).to_pylist()]
            table = table.set_column(i, field.name, pa.array(texts, pa.string()))
        elif duck_type == "UUID":
            table = table.set_column(i, field.name, _ip_column(table.column(i)))
        elif duck_type == "UUID[]":
            lists = [None if v is None else [_ip_text(x) for x in v] for v in table.column(i).to_pylist()]
            table = table.set_column(i, field.name, pa.array(lists, pa.list_(pa.string())))
    return table
