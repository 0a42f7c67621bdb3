"""Flow logs to Parquet partitioned by day, converted incrementally and written safely.

:func:`convert` writes ``OUT/date=YYYY-MM-DD/part-<run>-<n>.parquet``. Converting again into the same
folder is the everyday use (new files arrive in S3 every few minutes): the folder's manifest
(``.flowkit-manifest.json``, format in :mod:`flowkit.outputs`) records each source file converted (its
absolute path or ``s3://`` URL, size, modification time or ETag, log format) and which rows of which
Parquet file hold its records, so a new run

- skips the source files it converted before that are unchanged,
- adds the records of new source files,
- replaces the records of a source file that changed (or is read with another ``log_format``): the
  Parquet files holding them are rewritten without them, committed together with the new records.

Nothing is ever written over: new records go into new files, staged in the output folder and moved in
at a commit, which readers see whole or not at all (:func:`flowkit.outputs.readable`). A long run
commits every :data:`CHECKPOINT_SECONDS`, so an interrupted conversion keeps what it committed and the
same command carries on from there. The output may not be, or contain, an input; it may sit inside an
input folder (its files are then left out of what is read).
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowkit.errors import ArgumentError, AWSError, FlowkitError, FormatError, RecordParseError
from flowkit.layout import is_flow_log_name
from flowkit.outputs import OutputFolder, is_bookkeeping, token
from flowkit.read.reader import read_arrow
from flowkit.read.report import Errors, ReadReport, _item
from flowkit.read.sources import Source, list_files
from flowkit.schema import LogFormatSpec, resolve_log_format

if TYPE_CHECKING:
    import boto3

_logger = logging.getLogger(__name__)

#: Seconds between commits of a long conversion (what an interruption keeps).
CHECKPOINT_SECONDS = 60.0
_FLUSH_ROWS = 1_000_000  # records held in memory before they are written
_FLUSH_PIECES = 2_000  # day slices of source files held before they are written
_NO_DAY = "__HIVE_DEFAULT_PARTITION__"  # Hive's folder for a null partition value
_PROGRESS_DELAY = 1.0  # seconds before the progress bar shows (short runs print nothing)


class ConvertReport(ReadReport):
    """What :func:`convert` read and wrote: a :class:`ReadReport` of the files read, and

    Attributes:
        out: the output folder.
        added: new source files converted.
        replaced: changed source files whose records were replaced.
        unchanged: source files converted before and unchanged (not read again).
        files_written: Parquet files written (new, and rewritten without replaced records).
        records_written: records added.
    """

    out = _item("out")
    added = _item("added")
    replaced = _item("replaced")
    unchanged = _item("unchanged")
    files_written = _item("files_written")
    records_written = _item("records_written")

    def __init__(self, out: str = "") -> None:
        super().__init__()
        self.update(out=out, added=0, replaced=0, unchanged=0, files_written=0, records_written=0)

    def __str__(self) -> str:
        return (
            f"{self.records_written} records from {self.added} new and {self.replaced} changed source "
            f"file(s) in {self.files_written} Parquet file(s); {self.unchanged} source file(s) converted "
            f"before and unchanged; read: {ReadReport.__str__(self)}"
        )

    def __repr__(self) -> str:
        return f"ConvertReport({self})"


@dataclass(frozen=True)
class _Source:
    key: str  # the identity recorded in the manifest: absolute path or s3:// URL
    name: str  # what to read
    size: int
    version: str  # modification time (ns) or ETag


def convert(
    source: Source,
    out_dir: str | os.PathLike,
    *,
    log_format: LogFormatSpec | None = None,
    errors: Errors = "raise",
    boto3_session: boto3.Session | None = None,
    progress: bool = False,
    unknown_fields: Literal["raise", "keep"] = "raise",
) -> ConvertReport:
    """Convert flow logs to Parquet partitioned by day (``date=YYYY-MM-DD/``), adding to what is there.

    Args:
        source: as for :func:`read_flow_logs`: files, folders (an S3 layout), ``s3://`` prefixes.
        out_dir: the output folder (created if missing). Source files converted into it before are
            skipped when unchanged and replaced when changed; new ones are added.
        log_format: as for :func:`read_flow_logs`.
        errors: as for :func:`read_flow_logs`; a failure in ``"raise"`` mode keeps what was committed.
        boto3_session: the session for ``s3://`` sources (default session if None).
        progress: show a progress bar on stderr (when the run takes more than a second).
        unknown_fields: as for :func:`read_flow_logs`.

    Returns:
        A :class:`ConvertReport`.

    Raises:
        OutputError: the output is or contains an input, or belongs to another command.
        RecordParseError, FormatError: as :func:`read_flow_logs`, in ``"raise"`` mode.
    """
    if errors not in ("raise", "skip"):
        raise ArgumentError(f"`errors` must be 'raise' or 'skip', not {errors!r}.")
    items = _items(source)
    if str(out_dir).startswith("s3://"):
        raise ArgumentError(
            f"convert writes a local folder, not {out_dir}: convert here, then copy it (aws s3 sync OUT {out_dir})."
        )
    fmt = (
        None
        if log_format is None
        else " ".join(f.name for f in resolve_log_format(log_format, unknown="keep"))
    )
    out = Path(out_dir)
    report = ConvertReport(str(out))
    session = None
    if any(str(item).startswith("s3://") for item in items):
        from flowkit import sessions

        session = sessions.session(boto3_session)
    with OutputFolder(out, "convert", inputs=items) as folder:
        first_time = not folder.manifest.extra.get("sources")
        sources = _list_sources(items, out.resolve(), session)
        if first_time:
            _warn_about_foreign_files(out)
        run = _Run(folder, report)
        new, changed = [], []
        for s in sources:
            known = run.sources.get(s.key)
            if known is None:
                new.append(s)
            elif (known["size"], known["version"], known.get("log_format")) != (s.size, s.version, fmt):
                changed.append(s)
            else:
                report.unchanged += 1
        run.drop([s.key for s in changed])
        work = changed + new
        replacing = {s.key for s in changed}
        from tqdm import tqdm

        bar = tqdm(
            total=len(work),
            unit="file",
            desc="converting",
            delay=_PROGRESS_DELAY,
            disable=not progress,
            leave=False,
        )
        try:
            for index, s in enumerate(work):
                table = read_arrow(
                    s.name,
                    log_format=log_format,
                    errors=errors,
                    unknown_fields=unknown_fields,
                    boto3_session=session,
                    report=report,
                )
                run.add(s, table, fmt)
                if s.key in replacing:
                    report.replaced += 1
                else:
                    report.added += 1
                bar.update()
                if index >= len(changed) - 1 and run.due():  # a replacement commits with its rewrites
                    run.checkpoint()
            run.checkpoint()
        finally:
            bar.close()
    return report


def _items(source: Source) -> list[str | os.PathLike]:
    if isinstance(source, pd.DataFrame):
        raise ArgumentError("convert reads files; a DataFrame is already read (write it with df.to_parquet).")
    items = [source] if isinstance(source, str | os.PathLike) else source
    if not isinstance(items, list | tuple) or not all(isinstance(i, str | os.PathLike) for i in items):
        raise ArgumentError(f"source must be a path, an s3:// URL or a list of them, not {source!r}.")
    if not items:
        raise ArgumentError("source is empty: give the files, folders or s3:// prefixes to convert.")
    return list(items)


def _list_sources(items: list, out: Path, session: Any) -> list[_Source]:
    found: list[_Source] = []
    for item in items:
        if str(item).startswith("s3://"):
            found += _list_s3(str(item), session)
    local = [item for item in items if not str(item).startswith("s3://")]
    folders: dict[Path, Path] = {}  # resolving is a stat per path part: once per folder
    for path in list_files(local) if local else []:
        folder = folders.get(path.parent) or folders.setdefault(path.parent, path.parent.resolve())
        if out == folder or out in folder.parents:
            continue  # the output inside a source folder: not read back
        stat = path.stat()
        found.append(_Source(str(folder / path.name), str(path), stat.st_size, str(stat.st_mtime_ns)))
    unique = list({s.key: s for s in found}.values())
    if not unique:
        raise RecordParseError(
            "no flow-log files to convert (the only ones there are this conversion's own output).",
            path=", ".join(map(str, items)),
            reason="no-files",
        )
    urls = sorted(s.key for s in unique if s.key.startswith("s3://"))
    for shorter, longer in itertools.pairwise(urls):
        if longer.startswith(shorter):
            raise FlowkitError(
                f"{shorter} cannot be converted apart from {longer}: the reader takes an s3:// key as a "
                "prefix. Rename one of them, or convert their folder into separate outputs."
            )
    return unique


def _list_s3(url: str, session: Any) -> list[_Source]:
    from flowkit import sessions

    bucket, _, prefix = url[len("s3://") :].partition("/")
    found = []
    try:
        pages = (
            sessions.client("s3", session)
            .get_paginator("list_objects_v2")
            .paginate(Bucket=bucket, Prefix=prefix)
        )
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if is_flow_log_name(name) and not is_bookkeeping(name):
                    key = f"s3://{bucket}/{obj['Key']}"
                    found.append(_Source(key, key, int(obj["Size"]), str(obj.get("ETag", "")).strip('"')))
    except Exception as exc:  # NoCredentialsError, ClientError, EndpointConnectionError, bad bucket names
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(
            f"{url}: cannot list it ({sessions.aws_reason(exc)}). {sessions.CREDENTIALS_HINT}"
        ) from exc
    if not found:
        raise RecordParseError("no flow-log objects under this prefix.", path=url, reason="no-files")
    return found


def _warn_about_foreign_files(out: Path) -> None:
    foreign = [
        p for p in out.rglob("*") if p.is_file() and is_flow_log_name(p.name) and not is_bookkeeping(p.name)
    ]
    if foreign:
        warnings.warn(
            f"{out} already holds {len(foreign)} flow-log file(s) flowkit convert did not record (an older "
            "flowkit, or another tool): they are kept and read with the new records, so records of the same "
            "source files would count twice; convert into an empty folder to avoid it.",
            stacklevel=3,
        )


def _days(table: pa.Table) -> pa.Array:
    """The UTC day (``YYYY-MM-DD``) of each record's start."""
    if "start" not in table.column_names:
        raise FormatError("converting needs the 'start' field to partition by day.")
    start = pc.cast(table["start"], pa.int64()).combine_chunks()
    day = pc.strftime(pc.cast(start, pa.timestamp("s", tz="UTC")), "%Y-%m-%d")
    return pc.fill_null(day, _NO_DAY)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table | None:
    """``table`` in ``schema``'s columns (missing ones null), or None when it has columns ``schema`` lacks."""
    if table.schema.equals(schema):
        return table
    if not set(table.column_names) <= set(schema.names):
        return None
    try:
        columns = [
            table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
            for f in schema
        ]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pa.Table.from_arrays(columns, schema=schema)


class _Run:
    """One conversion: day files being written in the staging folder, and the sources' record positions.

    Each source file's records for a day are written together, so they are one row range of one file:
    that range is what a later run drops when the source changes.
    """

    def __init__(self, folder: OutputFolder, report: ConvertReport) -> None:
        self.folder = folder
        self.report = report
        self.sources: dict[str, dict[str, Any]] = copy.deepcopy(folder.manifest.extra.get("sources", {}))
        self.run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{token()}"
        self.sequence = 0
        self.writers: dict[str, tuple[str, pq.ParquetWriter, pa.Schema]] = {}  # day -> open file
        self.rows: dict[str, int] = {}  # file -> rows written
        self.buffer: dict[str, list[tuple[str, pa.Table]]] = {}  # day -> (source, records)
        self.buffered = self.pieces = 0
        self.obsolete: list[str] = []  # files replaced by rewrites, deleted at the commit
        self.rewritten: dict[str, dict[str, int]] = {}  # rewrites staged, committed at the next checkpoint
        self.last_commit = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last_commit >= CHECKPOINT_SECONDS

    def _new_file(self, day: str) -> str:
        self.sequence += 1
        return f"date={day}/part-{self.run_id}-{self.sequence:04d}.parquet"

    def drop(self, keys: list[str]) -> None:
        """Rewrite the files holding records of ``keys`` without them (staged); the old files go at commit."""
        if not keys:
            return
        cut: dict[str, list[tuple[int, int]]] = {}
        for key in keys:
            for name, (lo, hi) in self.sources.pop(key)["parts"].items():
                cut.setdefault(name, []).append((lo, hi))
        for name, ranges in cut.items():
            path = self.folder.path / name
            table = pq.read_table(path)
            keep = np.ones(table.num_rows, dtype=bool)
            for lo, hi in ranges:
                keep[lo:hi] = False
            shift = np.concatenate([[0], np.cumsum(~keep)])  # rows dropped before each position
            target = None
            if keep.any():
                target = self._new_file(name.split("/", 1)[0][len("date=") :])
                pq.write_table(table.filter(pa.array(keep)), self.folder.stage(target))
                self.rows[target] = int(keep.sum())
                self.rewritten[target] = {"rows": int(keep.sum())}
            for entry in self.sources.values():
                span = entry["parts"].pop(name, None)
                if span is not None and target is not None:
                    entry["parts"][target] = [int(span[0] - shift[span[0]]), int(span[1] - shift[span[1]])]
            self.obsolete.append(name)

    def add(self, source: _Source, table: pa.Table, fmt: str | None) -> None:
        """Queue a source file's records, by day."""
        self.sources[source.key] = {
            "size": source.size,
            "version": source.version,
            "log_format": fmt,
            "records": table.num_rows,
            "parts": {},
        }
        if not table.num_rows:
            return
        try:
            days = _days(table)
        except FormatError as exc:
            raise FormatError(f"{source.name}: {exc}") from exc
        distinct = pc.unique(days).to_pylist()
        for day in distinct:
            piece = table if len(distinct) == 1 else table.filter(pc.equal(days, day))
            self.buffer.setdefault(day, []).append((source.key, piece))
            self.buffered += piece.num_rows
            self.pieces += 1
        if self.buffered >= _FLUSH_ROWS or self.pieces >= _FLUSH_PIECES:
            self.flush()

    def flush(self) -> None:
        """Write the queued records into the day files."""
        for day, pieces in self.buffer.items():
            table = pa.concat_tables([t for _, t in pieces], promote_options="default")
            name, writer, schema = self.writers.get(day, (None, None, None))
            conformed = _conform(table, schema) if schema is not None else None
            if conformed is None:
                if writer is not None:
                    writer.close()
                name = self._new_file(day)
                writer = pq.ParquetWriter(self.folder.stage(name), table.schema)
                self.writers[day] = (name, writer, table.schema)
                self.rows[name] = 0
                conformed = table
            writer.write_table(conformed)
            position = self.rows[name]
            for key, piece in pieces:
                self.sources[key]["parts"][name] = [position, position + piece.num_rows]
                position += piece.num_rows
            self.rows[name] = position
            self.report.records_written += table.num_rows
        self.buffer.clear()
        self.buffered = self.pieces = 0

    def checkpoint(self) -> None:
        """Close the day files and commit them with the sources' positions (and drop replaced files)."""
        self.flush()
        for _, writer, _ in self.writers.values():
            writer.close()
        files = dict(self.rewritten)
        files.update({name: {"rows": self.rows[name]} for name, _, _ in self.writers.values()})
        self.writers.clear()
        self.rewritten.clear()
        if not files and not self.obsolete and self.sources == self.folder.manifest.extra.get("sources"):
            return
        self.folder.commit(files, remove=self.obsolete, sources=copy.deepcopy(self.sources))
        self.report.files_written += len(files)
        self.obsolete = []
        self.last_commit = time.monotonic()
        done = self.report.added + self.report.replaced
        self.folder.kept = (
            f"{self.folder.path}: kept the {done} source file(s) committed so far "
            f"({self.report.records_written} records); run the same command again to convert the rest"
        )
