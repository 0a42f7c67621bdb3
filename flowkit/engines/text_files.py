"""Text flow logs where they lie: what each file is, which files DuckDB reads together and how, and
which files can hold records of a time window.

The local engine reads delivered ``.log.gz`` files in place (DuckDB's ``read_csv``: :func:`read_csv_sql`),
one read per :attr:`TextFile.group` of files that share a format, a compression and a delivery prefix,
so that the partition columns (``region``, ``day``, ``hour``, ``date`` and the Hive keys:
:func:`partition_sql`) are constants and fixed-offset substrings of the file path: DuckDB then prunes
files on them (``WHERE day = '2024/05/01'`` opens one day's files). A file DuckDB cannot be trusted
with (no header it knows, a damaged gzip, a name it would take as a glob) is marked for flowkit's own
reader. :func:`prune` picks the files of a time window by folder date and file-name time.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from isal import isal_zlib

from flowkit.errors import FormatError
from flowkit.layout import HIVE_KEY_PATTERN, PLAIN_KEY_PATTERN, hive_value_pattern
from flowkit.read.checks import MAX_LINE_BYTES, header_fields
from flowkit.schema import Field

#: How far a file's ``YYYYMMDDTHHmmZ`` stamp can lie after the start of a record it holds. AWS
#: publishes a file every 5 minutes with the records "captured in the previous 5 minutes"
#: (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html), and a record's
#: aggregation window is at most 10 minutes
#: (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html#flow-logs-aggregation-interval):
#: 15 minutes in all. Delivery is best effort, so the margin is wider; a wider margin costs a few
#: more small files, never a different answer (the window is applied to ``start`` exactly).
AFTER_MARGIN = timedelta(minutes=60)
#: ... and how far before. AWS stamps a file with the end of its 5 minutes; tools that write the same
#: layout (flowkit's simulator among them) stamp the start, so a file may hold records that start up to
#: 5 minutes after its stamp; 5 more minutes of clock slack.
BEFORE_MARGIN = timedelta(minutes=10)

_PLAIN = re.compile(PLAIN_KEY_PATTERN)
_HIVE = re.compile(HIVE_KEY_PATTERN)
_GLOB = re.compile(r"[*?\[\]{}]")  # DuckDB expands these in a file name
_STAMP = re.compile(
    r"_(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z_[0-9a-zA-Z]+\.log(?:\.gz)?$"
)  # a delivered file's time
_HEAD_BYTES = 4 << 10  # bytes read (and inflated) at a time to find the first line


@dataclass
class TextFile:
    """One text file, as the engine's header scan saw it.

    Attributes:
        path: the absolute path, as DuckDB is given it (``fk_file`` holds it on every row).
        size: bytes on disk.
        name: the path as the user gave it, for messages.
        gzipped: whether the file is gzip (by its first bytes): DuckDB is told, not left to guess
            from the name.
        mtime: its modification time (ns) when it was scanned: a query refuses a file changed since.
        fields: the record fields of its first line (a header), or the engine's ``log_format`` for
            a headerless file; None when flowkit's reader must read it (``exact``).
        header: whether the first line is a header.
        exact: why flowkit's own reader reads this file (None: DuckDB may, once it is checked).
        layout: ``"plain"`` or ``"hive"`` (a delivery prefix), or None.
        prefix: the path up to the year folder: files with one prefix share partition offsets.
        offsets: where the year, month, day and hour values start in ``path`` (0-based).
        constants: partition values read from the prefix (Region, account, service).
        stamp: the ``YYYYMMDDTHHmmZ`` time of a delivered file's name.
        day: the folder date (``yyyy/MM/dd``).
        fingerprint: what says a gzip file has not changed: its size, times, inode and gzip trailer
            (the CRC-32 and length of its text); None for plain text, which can change unseen.
    """

    path: str
    size: int
    name: str = ""
    gzipped: bool = False
    mtime: int = 0
    fields: list[Field] | None = None
    header: bool = True
    exact: str | None = None
    layout: str | None = None
    prefix: str = ""
    offsets: dict[str, int] = field(default_factory=dict)
    constants: dict[str, str | None] = field(default_factory=dict)
    stamp: datetime | None = None
    day: str | None = None
    fingerprint: str | None = None

    @property
    def group(self) -> tuple:
        """What files DuckDB reads in one ``read_csv``: one format, one prefix, one layout."""
        names = tuple(f.name for f in self.fields or ())
        return (names, self.header, self.gzipped, self.layout, self.prefix, "hour" in self.offsets)


def scan(
    paths: list[str], log_format: list[Field] | None, start: float | None = None, end: float | None = None
) -> list[TextFile]:
    """Each file's place in a delivery layout, then, for the files that can hold records starting in
    ``[start, end)`` (:func:`prune`), its size and first line."""
    items = [place(path) for path in paths]
    if start is not None or end is not None:
        items = prune(items, start, end)
    for item in items:
        _look(item, log_format)
    return items


def prune_paths(paths: list[str], start: float | None, end: float | None) -> list[str]:
    """The paths of :func:`prune`, from the paths alone (nothing is read)."""
    return [item.path for item in prune([place(path) for path in paths], start, end)]


def place(path: str) -> TextFile:
    """A file's place in a delivery layout, from its path alone (nothing is read)."""
    item = TextFile(os.path.abspath(path), 0, name=path)
    _place(item)
    return item


def _look(item: TextFile, log_format: list[Field] | None) -> None:
    path = item.path
    try:
        info = os.stat(path)
        item.size = size = info.st_size
        item.mtime = info.st_mtime_ns
    except OSError:
        item.exact = "cannot stat"
        return
    if _GLOB.search(path):
        item.exact = "a glob character in the path"
    elif size == 0:
        item.exact = "empty"
    else:
        item.exact = _first_line(item, log_format)


def _place(item: TextFile) -> None:
    """The file's partition values and offsets, from a plain or Hive delivery prefix in its path."""
    text = item.path.replace(os.sep, "/")
    for layout, pattern in (("hive", _HIVE), ("plain", _PLAIN)):
        match = pattern.search(text)
        if match is None:
            continue
        item.layout = layout
        item.prefix = text[: match.start("year")]
        item.offsets = {k: match.start(k) for k in ("year", "month", "day", "hour") if match.group(k)}
        item.constants = {"region": match.group("region")}
        if layout == "hive":
            for key in ("aws-account-id", "aws-service", "aws-region"):
                found = re.search(hive_value_pattern(key), item.prefix)
                item.constants[key] = found.group(1) if found else None
        item.day = f"{match['year']}/{match['month']}/{match['day']}"
        break
    stamp = _STAMP.search(text)
    if stamp:
        try:
            item.stamp = datetime(*map(int, stamp.groups()), tzinfo=UTC)  # type: ignore[misc]
        except ValueError:  # digits that are no time
            item.stamp = None


def _first_line(item: TextFile, log_format: list[Field] | None) -> str | None:
    """Read the first line; None when DuckDB may read the file, else why it may not."""
    try:
        with open(item.path, "rb") as fh:
            item.gzipped = fh.read(2) == b"\x1f\x8b"
            fh.seek(0)
            line = _read_first_line(fh, item.gzipped)
            if item.gzipped:
                info = os.fstat(fh.fileno())
                fh.seek(max(info.st_size - 8, 0))
                trailer = fh.read(8).hex()
                item.fingerprint = (
                    f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{trailer}"
                )
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    except (isal_zlib.error, ValueError) as exc:
        return str(exc)
    if line is None or b"\x00" in line:
        return "no first line"
    try:
        text = line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return "the first line is not UTF-8"
    try:
        fields = _header(text)
    except FormatError:
        return "a header with an unknown field"
    if fields is None:
        if log_format is None or not text.strip() or text.lstrip()[:1] in ("{", "["):
            return "no header"
        item.fields, item.header = log_format, False
        return None
    item.fields = fields
    return None


def _read_first_line(fh: BinaryIO, gzipped: bool) -> bytes | None:
    """The first line (without its newline), or None when the file has none within a record's length.
    Inflates a few KiB at a time: a header is all it needs."""
    raw = fh.read(_HEAD_BYTES)
    inflater = isal_zlib.decompressobj(31) if gzipped else None
    text = b""
    while raw and len(text) <= MAX_LINE_BYTES:
        if inflater is None:
            text += raw
        else:
            text += inflater.decompress(raw, _HEAD_BYTES)
        end = text.find(b"\n")
        if end >= 0:
            return text[:end]
        raw = (
            inflater.unconsumed_tail
            if inflater is not None and inflater.unconsumed_tail
            else fh.read(_HEAD_BYTES)
        )
    return None


@functools.lru_cache(maxsize=256)
def _header(line: str) -> list[Field] | None:
    """The fields of a header line (one parse per distinct header, not per file)."""
    return header_fields(line, "raise")


def prune(files: list[TextFile], start: float | None, end: float | None) -> list[TextFile]:
    """The files that can hold records starting in ``[start, end)`` (Unix seconds).

    A delivered file stamped T holds records that started in ``(T - 15 min, T]``: files stamped
    outside ``[start - 10 min, end + 60 min)`` are left out (:data:`BEFORE_MARGIN`, :data:`AFTER_MARGIN`). Files without a
    stamp are kept when their folder's day can hold such records. Only files in a delivery layout
    (``.../vpcflowlogs/<region>/yyyy/MM/dd/`` or its Hive form) whose stamp falls on their folder's
    day are pruned: a file outside one may have been renamed or written by hand, and is always kept.
    The window is then applied to ``start`` row by row.
    """
    lo = None if start is None else datetime.fromtimestamp(start, UTC) - BEFORE_MARGIN
    hi = None if end is None else datetime.fromtimestamp(end, UTC) + AFTER_MARGIN
    kept = []
    for item in files:
        if item.day is None:
            kept.append(item)
            continue
        first = last = item.stamp
        if item.stamp is not None and f"{item.stamp:%Y/%m/%d}" != item.day:
            kept.append(item)  # a name and a folder that disagree: not as AWS delivers, so never pruned
            continue
        if item.stamp is None:
            try:
                first = datetime.strptime(item.day, "%Y/%m/%d").replace(tzinfo=UTC)
            except ValueError:
                kept.append(item)
                continue
            last = first + timedelta(days=1)
        if (lo is None or last >= lo) and (hi is None or first < hi):
            kept.append(item)
    return kept


def partition_scheme(files: list[TextFile]) -> tuple[str, bool]:
    """Which partition columns the view has, as today's tables over the files' layout have them:
    ``("hive" | "plain" | "none", per_hour)``."""
    layouts = {item.layout for item in files if item.layout}
    per_hour = any("hour" in item.offsets for item in files if item.layout)
    if not layouts:
        return "none", False
    return ("hive" if layouts == {"hive"} else "plain"), per_hour


def partition_sql(item: TextFile, scheme: tuple[str, bool], columns: list[str]) -> str:
    """The partition columns of the rows of ``item``'s group (``fk_p_<name>``), as constants and substrings
    of each row's path ``fk_file``; ``scheme`` is :func:`partition_scheme`'s, ``columns`` the group's columns."""
    kind, per_hour = scheme
    start_day = "strftime(to_timestamp(\"start\"), '%Y/%m/%d')" if "start" in columns else "NULL::VARCHAR"

    def part(key: str, width: int = 2) -> str:
        offset = item.offsets.get(key)
        return "NULL::VARCHAR" if offset is None else f"substr(fk_file, {offset + 1}, {width})"

    day = "NULL::VARCHAR"
    if item.layout == "plain":
        day = part("year", 10)  # yyyy/MM/dd, one substring
    elif item.layout == "hive":
        day = f"{part('year', 4)} || '/' || {part('month')} || '/' || {part('day')}"
    const = item.constants
    extra: dict[str, str] = {}
    if kind == "hive":
        for key in ("aws-account-id", "aws-service", "aws-region"):
            value = const.get(key)
            extra[key] = "NULL::VARCHAR" if value is None else literal(value)
        extra |= {"year": part("year", 4), "month": part("month"), "day": part("day")}
        if per_hour:
            extra["hour"] = part("hour")
        extra["date"] = f"CAST(replace({day}, '/', '-') AS DATE)"
    elif kind == "plain":
        region = const.get("region")
        extra["region"] = "NULL::VARCHAR" if region is None else literal(region)
        extra["day"] = start_day if item.layout is None else day
        if per_hour:
            extra["hour"] = part("hour")
        extra["date"] = f"CAST(replace({extra['day']}, '/', '-') AS DATE)"
    else:
        extra["region"] = "NULL::VARCHAR"
        extra["day"] = start_day
        extra["date"] = 'CAST(to_timestamp("start") AS DATE)' if "start" in columns else "NULL::DATE"
    return ", ".join(f"{expr} AS {quote('fk_p_' + name)}" for name, expr in extra.items())


DUCK_TYPES = {"int": "INTEGER", "bigint": "BIGINT"}  # Athena's column type -> DuckDB's (else VARCHAR)


def file_list(paths: list[str]) -> str:
    return "[" + ", ".join(literal(p) for p in paths) + "]"


def read_csv_sql(paths: list[str], fields: list[Field], header: bool, gzipped: bool) -> str:
    """DuckDB's reader over files of one format, typed as flowkit types them; ``fk_file`` is each row's file.
    The compression is given (DuckDB would guess it from the name: a text file named ``.zst`` fails)."""
    columns = ", ".join(
        f"{literal(f.column)}: {literal(DUCK_TYPES.get(f.athena_type, 'VARCHAR'))}" for f in fields
    )
    return (
        f"read_csv({file_list(paths)}, columns={{{columns}}}, delim=' ', header={str(header).lower()}, "
        f"nullstr='-', quote='', escape='', auto_detect=false, filename='fk_file', hive_partitioning=false, "
        f"compression='{'gzip' if gzipped else 'none'}')"
    )


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'
