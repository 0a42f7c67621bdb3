"""Which text files DuckDB may read in place: every file checked once against the reader's rules.

DuckDB's CSV reader is more lenient than flowkit's rules (it reads ``+5``, ``0x1bb``, ``1e3`` and
``1.5`` as numbers, checks only the columns a query uses, has no ranges and skips blank lines), so
before a file is read in place it is checked:

* small files with a header (every delivered ``.log.gz``) go through the reader's own many-file
  fast path (:mod:`flowkit.read.many`): a file it takes whole, with no doubt, holds only lines the
  rules accept;
* large or headerless files are read by DuckDB line by line, each line matched against
  :func:`flowkit.read.checks.line_pattern` (stricter than the rules, never looser).

A file that fails, or that DuckDB cannot read at all (a damaged gzip), goes to flowkit's own reader,
which raises with the file and line or counts the line by reason, as
:func:`flowkit.read_flow_logs` does.

Delivered files never change, so a file that passed is remembered (:class:`CheckedFiles`) by its
path and fingerprint (size, times, inode and gzip trailer: the CRC-32 and length of its text): the
next engine over the same files skips the check.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from flowkit.engines.text_files import TextFile, file_list, literal
from flowkit.read.checks import line_pattern
from flowkit.read.many import MAX_COMPRESSED
from flowkit.read.report import ReadReport
from flowkit.schema import BY_COLUMN, Field

logger = logging.getLogger(__name__)

_BATCH = 1000  # files per DuckDB pass: a damaged file found makes its batch run again without it
_VERSION = 1  # of the check: a new pattern invalidates what was remembered


def check_files(
    con: duckdb.DuckDBPyConnection, files: list[TextFile], memory: CheckedFiles | None
) -> tuple[dict[str, str], dict[str, int]]:
    """Check every line of ``files`` (all of one :attr:`~TextFile.group`) in DuckDB.

    Returns:
        ``({path: why}, {path: records})``: the files flowkit's reader must read, and the number of
        records of each file that passed.
    """
    flagged: dict[str, str] = {}
    fields, header = files[0].fields or [], files[0].header
    if not header:
        memory = None  # a headerless file's check depends on the log_format given: never remembered
    records = memory.known(files) if memory is not None else {}
    todo = [item for item in files if item.path not in records]
    small = [item for item in todo if header and item.size < MAX_COMPRESSED]
    if small:  # the reader's own fast path decides (and parses them faster than DuckDB's CSV reader)
        _check_small(small, memory, flagged, records)
    todo = [item for item in todo if not (header and item.size < MAX_COMPRESSED)]
    with _progress(len(todo)) as bar:
        for i in range(0, len(todo), _BATCH):
            _check_some(con, todo[i : i + _BATCH], fields, header, memory, flagged, records)
            bar.update(min(_BATCH, len(todo) - i))
    return flagged, records


def _check_small(
    items: list[TextFile], memory: CheckedFiles | None, flagged: dict[str, str], records: dict[str, int]
) -> None:
    """Small files with a header go through the reader's many-file fast path (:mod:`flowkit.read.many`):
    a file it reads whole, without a doubt, DuckDB may read in place; any other goes to the reader."""
    from flowkit.read.many import read_many

    def read_one(name: str, _opener: object) -> None:  # the fast path would not take the file whole
        flagged[name] = "for flowkit's reader to judge"

    counts: dict[str, int] = {}
    for _table in read_many([(item.path, None) for item in items], read_one, "raise", ReadReport(), counts):
        pass  # the rows are DuckDB's to read, at query time
    records.update(counts)
    if memory is not None:
        memory.add([item for item in items if item.path in counts], counts)


def _progress(total: int) -> Any:
    """A progress bar on stderr for a check of many files (only on a terminal, after a second)."""
    from tqdm import tqdm

    from flowkit.read.many import PROGRESS_DELAY, PROGRESS_FILES

    quiet = total <= PROGRESS_FILES or sys.stderr is None or not sys.stderr.isatty()
    return tqdm(total=total, unit="file", desc="checking", leave=False, delay=PROGRESS_DELAY, disable=quiet)


def _check_some(
    con: duckdb.DuckDBPyConnection,
    items: list[TextFile],
    fields: list[Field],
    header: bool,
    memory: CheckedFiles | None,
    flagged: dict[str, str],
    records: dict[str, int],
) -> None:
    """Check one batch of files. A file DuckDB cannot read at all (a damaged gzip, a stray carriage
    return that stops its CSV parser) stops the whole batch: the batch is split in halves until that
    file is alone, and it is flagged."""
    try:
        bad, counts = _check_batch(con, [item.path for item in items], fields, header, items[0].gzipped)
    except duckdb.Error as exc:
        if len(items) == 1:
            flagged[items[0].path] = "DuckDB cannot read it: " + (str(exc).splitlines() or [""])[0]
            return
        half = len(items) // 2
        _check_some(con, items[:half], fields, header, memory, flagged, records)
        _check_some(con, items[half:], fields, header, memory, flagged, records)
        return
    flagged.update(bad)
    good = {item.path: counts.get(item.path, 0) for item in items if item.path not in bad}
    records.update(good)
    if memory is not None:
        memory.add([item for item in items if item.path in good], good)


def _check_batch(
    con: duckdb.DuckDBPyConnection, paths: list[str], fields: list[Field], header: bool, gzipped: bool
) -> tuple[dict[str, str], dict[str, int]]:
    con.execute("DROP TABLE IF EXISTS fk_reject_lines; DROP TABLE IF EXISTS fk_reject_scans")
    pattern = literal(line_pattern(fields))
    bad_line = f"NOT coalesce(regexp_full_match(line, {pattern}), false)"
    first = fields[0] if fields else None
    if first is not None and not first.is_numeric and first.column not in ("action", "log_status"):
        # a free-text first field: a line of field names (a header further down) would match the pattern
        names = sorted({n for f in BY_COLUMN.values() for n in (f.name, f.column)})
        bad_line += f" OR regexp_matches(line, {literal('(?:^| )(?:' + '|'.join(map(re.escape, names)) + ')(?: |$)')})"
    source = (
        f"read_csv({file_list(paths)}, columns={{'line': 'VARCHAR'}}, delim='\x01', "
        f"header={str(header).lower()}, quote='', escape='', auto_detect=false, filename='fk_file', hive_partitioning=false, "
        f"compression='{'gzip' if gzipped else 'none'}', "
        "ignore_errors=true, store_rejects=true, rejects_table='fk_reject_lines', rejects_scan='fk_reject_scans')"
    )
    rows = con.execute(
        f"SELECT fk_file, count(*), count(*) FILTER (WHERE {bad_line}) FROM {source} GROUP BY fk_file"
    ).fetchall()
    counts = {path: total for path, total, _ in rows}
    bad = {path: f"{n} line(s) for flowkit's reader to judge" for path, _, n in rows if n}
    rejected = con.execute(
        "SELECT s.file_path, count(DISTINCT e.line) FROM fk_reject_lines e "
        "JOIN fk_reject_scans s USING (scan_id, file_id) GROUP BY 1"
    ).fetchall()
    for path, n in rejected:
        bad.setdefault(path, f"{n} line(s) DuckDB's reader rejects")
    con.execute("DROP TABLE IF EXISTS fk_reject_lines; DROP TABLE IF EXISTS fk_reject_scans")
    return bad, counts


class CheckedFiles:
    """Files that passed the check, remembered between engines in a small SQLite file.

    A file is known again only if its path and :attr:`~TextFile.fingerprint` (size, times, inode,
    gzip trailer) are the same, so a file changed in place is checked again; plain ``.log`` files
    are always checked. The store lives in ``$FLOWKIT_CACHE_DIR``
    (default ``$XDG_CACHE_HOME/flowkit``, else ``~/.cache/flowkit``); ``FLOWKIT_CACHE_DIR=off``
    turns it off. Any error with the store only turns it off for this engine.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @classmethod
    def open(cls) -> CheckedFiles | None:
        """The store, or None when it is turned off or cannot be opened."""
        folder = os.environ.get("FLOWKIT_CACHE_DIR")
        if folder is None:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
            folder = os.path.join(base, "flowkit")
        if folder.lower() in ("", "off", "0", "none"):
            return None
        try:
            Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
            db = sqlite3.connect(
                os.path.join(folder, "checked-files.sqlite3"), timeout=5, isolation_level=None
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "PRAGMA synchronous=NORMAL"
            )  # a cache: a crash may forget the last files, never corrupt it
            db.execute(
                "CREATE TABLE IF NOT EXISTS checked (path TEXT PRIMARY KEY, version INTEGER, fingerprint TEXT,"
                " records INTEGER)"
            )
        except (OSError, sqlite3.Error) as exc:
            logger.debug("checked-files store off: %s", exc)
            return None
        return cls(db)

    def known(self, items: list[TextFile]) -> dict[str, int]:
        """``{path: records}`` of the files that passed before and have not changed since."""
        wanted = {os.path.abspath(item.path): item for item in items if item.fingerprint is not None}
        found: dict[str, int] = {}
        paths = list(wanted)
        rows = []
        with self._guard():
            for i in range(0, len(paths), 500):  # only these files' rows, however many the store holds
                chunk = paths[i : i + 500]
                rows += self._db.execute(
                    "SELECT path, fingerprint, records FROM checked WHERE version = ? AND path IN "
                    f"({', '.join('?' * len(chunk))})",
                    (_VERSION, *chunk),
                ).fetchall()
            for path, fingerprint, records in rows:
                item = wanted.get(path)
                if item is not None and item.fingerprint == fingerprint:
                    found[item.path] = int(records)
        return found

    def add(self, items: list[TextFile], records: dict[str, int]) -> None:
        """Remember files that passed, with their record counts."""
        rows = [
            (os.path.abspath(item.path), _VERSION, item.fingerprint, records[item.path])
            for item in items
            if item.fingerprint is not None
        ]
        with self._guard():
            self._db.execute("BEGIN")  # one transaction, one disk sync: not one per file
            self._db.executemany("INSERT OR REPLACE INTO checked VALUES (?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            logger.debug("checked-files store: %s", exc)
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")

    def close(self) -> None:
        self._db.close()
