"""Text flow logs (.log, .log.gz, files concatenated from several objects).

Two paths: a fast one (ISA-L inflate streamed into Arrow's threaded CSV parser) for files as AWS
writes them, and an exact one that streams the file line by line, applies the rules of
:mod:`flowkit.read.checks` to each line and names every problem with its physical line number.
The fast path hands a file to the exact path at its first doubt. Both stream: memory stays bounded
whatever the file (a gzip bomb, a line of 100 MB, a billion blank lines).
"""

from __future__ import annotations

import contextlib
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
from isal.igzip_lib import IsalError

from flowkit.errors import FormatError, RecordParseError
from flowkit.read.checks import (
    MAX_LINE_BYTES,
    arrow_type,
    blank_rows,
    check_line,
    fast_path_doubts,
    header_fields,
    quote,
    values_ok,
)
from flowkit.read.report import Errors, ReadReport
from flowkit.read.sources import Opener, open_stream
from flowkit.schema import Field

#: Errors a damaged gzip raises while it is read.
INFLATE_ERRORS = (OSError, EOFError, zlib.error, IsalError)

_CHUNK = 1 << 20  # bytes read at a time by the exact path
_FLUSH_ROWS = 1 << 16  # records held as Python strings before they become Arrow arrays
_NON_EMPTY = re.compile(rb"[^\n]+")
_HEAD = 4096  # bytes kept of a line past the limit, to quote it


# -- the fast path ----------------------------------------------------------------------------------


class _Guard:
    """A file object for Arrow that stops at what the fast path cannot judge (rule 3: ``0x1bb``)."""

    def __init__(self, stream: BinaryIO, before: bytes = b"") -> None:
        self.stream = stream
        self.doubt = False
        self.closed = False
        self._tail = before[-2:]  # the end of what came before, for a doubt across two reads

    def read(self, size: int = -1) -> bytes:
        if self.doubt:
            return b""
        data = self.stream.read(size)
        if fast_path_doubts(self._tail + data[:8]) or fast_path_doubts(data):
            self.doubt = True
            return b""  # Arrow stops here; the exact path reads the file
        self._tail = (self._tail + data[-2:])[-2:]
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


def csv_options(
    fields: list[Field],
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Arrow's CSV options for flow-log text of these fields (no header line): space-separated, no
    quoting, ``-`` as null, every line a row (a blank one is found by :func:`blank_rows`)."""
    return (
        pacsv.ReadOptions(column_names=[f.column for f in fields], block_size=1 << 22),
        pacsv.ParseOptions(delimiter=" ", quote_char=False, double_quote=False, ignore_empty_lines=False),
        pacsv.ConvertOptions(
            column_types={f.column: arrow_type(f) for f in fields},
            null_values=["-"],
            strings_can_be_null=True,
        ),
    )


def read_fast(
    name: str, opener: Opener, gzipped: bool, fmt: list[Field] | None, unknown: str, report: ReadReport
) -> pa.Table | None:
    """Stream the file through Arrow's CSV reader; None when the file needs the exact path."""
    try:
        with contextlib.ExitStack() as stack:
            stream = open_stream(stack, opener, gzipped)
            first = stream.readline(MAX_LINE_BYTES)
            if not first.endswith(b"\n") or not first.strip():
                return None
            fields = header_fields(first.decode("utf-8"), unknown)  # type: ignore[arg-type]
            has_header = fields is not None
            if fields is None:
                if fmt is None:
                    return None
                fields, first = fmt, b""
                stream = open_stream(stack, opener, gzipped)
            guard = _Guard(stream, first)
            read_options, parse_options, convert_options = csv_options(fields)
            table = pacsv.read_csv(
                guard, read_options=read_options, parse_options=parse_options, convert_options=convert_options
            )
    except (pa.ArrowException, *INFLATE_ERRORS, UnicodeDecodeError, RecordParseError, FormatError):
        return None  # the exact path finds and reports the problem with its line number
    if guard.doubt or blank_rows(table) or not values_ok(table):
        return None
    report.headers += has_header
    report.lines_read += table.num_rows
    report.parsed += table.num_rows
    return table


# -- the exact path ---------------------------------------------------------------------------------


class Lines:
    """The physical lines of a stream, read a block at a time: memory stays bounded.

    Iterating yields ``(line_number, text, too_long)`` for each line that is not blank (``text`` is
    the start of the line when it is longer than :data:`~flowkit.read.checks.MAX_LINE_BYTES`);
    blank lines are only counted (``report.blank_lines``). ``number`` is the last physical line
    read whole, so a damaged gzip can say where it broke.
    """

    def __init__(self, stream: BinaryIO, report: ReadReport, max_line: int = MAX_LINE_BYTES) -> None:
        self.stream = stream
        self.report = report
        self.max_line = max_line
        self.number = 0

    def _one(self, line: bytes, too_long: bool) -> Iterator[tuple[int, bytes, bool]]:
        self.number += 1
        if too_long or len(line) > self.max_line:
            yield self.number, line[:_HEAD], True
        elif line.strip():
            yield self.number, line, False
        else:
            self.report.blank_lines += 1

    def __iter__(self) -> Iterator[tuple[int, bytes, bool]]:
        carry = b""  # the start of a line that goes on in the next block
        skipping = False  # inside a line past the limit: read on to its end without keeping it
        while block := self.stream.read(_CHUNK):
            if carry or skipping:
                end = block.find(b"\n")
                if end < 0:
                    if not skipping:
                        carry += block
                        skipping = len(carry) > self.max_line
                        carry = carry[:_HEAD] if skipping else carry
                    continue
                yield from self._one(carry + block[: end if not skipping else min(end, _HEAD)], skipping)
                carry, skipping = b"", False
                block = block[end + 1 :]
            last = block.rfind(b"\n")
            if last < 0:
                skipping = len(block) > self.max_line
                carry = block[:_HEAD] if skipping else block
                continue
            # the lines that end in this block: blank ones are counted in bulk, at C speed
            base, seen, position = self.number, 0, 0
            kept = 0
            for match in _NON_EMPTY.finditer(block, 0, last):
                start, end = match.span()
                seen += block.count(b"\n", position, start)
                position = start
                line = match.group()
                self.number = base + seen + 1
                if len(line) > self.max_line:
                    kept += 1
                    yield self.number, line[:_HEAD], True
                elif line.strip():
                    kept += 1
                    yield self.number, line, False
            total = block.count(b"\n", 0, last + 1)
            self.report.blank_lines += total - kept
            self.number = base + total
            carry = block[last + 1 :]
            skipping = len(carry) > self.max_line
            carry = carry[:_HEAD] if skipping else carry
        if (carry or skipping) and not getattr(self.stream, "error", None):  # a damaged end is no line
            yield from self._one(carry, skipping)


class Records:
    """Good records of one file by format segment (a header mid-file starts a new one), turned into
    Arrow arrays every few thousand rows so that memory stays bounded; bad ones raised or counted.

    Args:
        name: the file, for messages.
        errors: ``"raise"`` or ``"skip"``.
        report: what the read took in and left out.
        extra: columns beyond the record's fields (CloudWatch event columns), with their Arrow types;
            a column that stays null in every row is left out.
    """

    def __init__(
        self, name: str, errors: Errors, report: ReadReport, extra: dict[str, pa.DataType] | None = None
    ) -> None:
        self.name = name
        self.errors = errors
        self.report = report
        self.extra = extra or {}
        self.fields: list[Field] | None = None
        self._segments: list[tuple[list[Field], list[pa.Table]]] = []
        self._values: list[list[str | None]] = []
        self._extra: dict[str, list] = {}

    def use(self, fields: list[Field]) -> None:
        """Records from here on have these fields."""
        if fields == self.fields:
            return
        self.flush()
        self.fields = fields
        self._segments.append((fields, []))
        self._values = [[] for _ in fields]
        self._extra = {column: [] for column in self.extra}

    def add(self, number: int, line: str, extra: tuple = ()) -> None:
        """Check one record line (rules 2-5) and keep it, or raise / count it."""
        assert self.fields is not None
        self.report.lines_read += 1
        problem = check_line(line, self.fields, len(self.fields))
        if problem:
            self.reject(number, *problem, line, counted=True)
            return
        self.report.parsed += 1
        for column, token in zip(self._values, line.split(), strict=True):
            column.append(None if token == "-" else token)
        for values, value in zip(self._extra.values(), extra, strict=False):
            values.append(value)
        if len(self._values[0]) >= _FLUSH_ROWS:
            self.flush()

    def reject(self, number: int, reason: str, message: str, line: str, *, counted: bool = False) -> None:
        """A line that is no good record: raise (``errors="raise"``) or count it."""
        if not counted:
            self.report.lines_read += 1
        if self.errors == "raise":
            message += "; fix or remove the line, or read with errors='skip' to skip and count bad lines"
            raise RecordParseError(message, path=self.name, line_number=number, line=line, reason=reason)
        self.report.add_reject(self.name, number, reason, line)

    def flush(self) -> None:
        if self.fields is None or not self._values or not self._values[0]:
            return
        columns = {
            f.column: pa.array(values, pa.string()).cast(arrow_type(f))
            for f, values in zip(self.fields, self._values, strict=True)
        }
        for column, values in self._extra.items():
            typ = self.extra[column]
            if pa.types.is_timestamp(typ):
                columns[column] = pa.array(values, pa.int64()).cast(typ)
            else:
                columns[column] = pa.array(values, typ)
        self._segments[-1][1].append(pa.table(columns))
        self._values = [[] for _ in self.fields]
        self._extra = {column: [] for column in self.extra}

    def table(self) -> pa.Table | None:
        """All good records, columns in format order (later formats add theirs); None if no format
        was ever set."""
        self.flush()
        tables = [chunk for _, chunks in self._segments for chunk in chunks]
        if not tables:
            if not self._segments:
                return None
            return pa.table({f.column: pa.array([], arrow_type(f)) for f in self._segments[0][0]})
        table = pa.concat_tables(tables, promote_options="default")
        for column in self.extra:
            if column in table.column_names and table[column].null_count == table.num_rows:
                table = table.drop_columns(column)
        return table


def first_fields(
    name: str, number: int, line: str, fmt: list[Field] | None, unknown: str
) -> tuple[list[Field], bool]:
    """The fields of a file's first line, and whether it is a header (else ``fmt`` must be given)."""
    try:
        fields = header_fields(line, unknown)  # type: ignore[arg-type]
    except FormatError as exc:
        if fmt is not None:
            return fmt, False
        keep = (
            " To read fields flowkit does not know as text columns, pass unknown_fields='keep' "
            "(CLI: --keep-unknown-fields)."
            if "unknown flow-log field" in str(exc)
            else ""
        )
        raise RecordParseError(
            f"the header has {exc}{keep}", path=name, line_number=number, line=line, reason="bad-header"
        ) from exc
    if fields is not None:
        return fields, True
    if fmt is not None:
        return fmt, False
    raise RecordParseError(
        "the first line is not a header of field names; pass log_format= for headerless lines",
        path=name,
        line_number=number,
        line=line,
        reason="bad-header",
    )


def decode(raw: bytes) -> tuple[str, bool]:
    """A line's text and whether it is UTF-8 (rule 1)."""
    try:
        return raw.decode("utf-8").rstrip("\r"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace").rstrip("\r"), False


def too_long_message(line: str) -> str:
    return (
        f"the line is longer than {MAX_LINE_BYTES:,} bytes, the most a flow-log record may be: not a record "
        f"(it starts {quote(line, 60)!r})"
    )


def read_exact(
    name: str,
    opener: Opener,
    gzipped: bool,
    fmt: list[Field] | None,
    errors: Errors,
    unknown: str,
    report: ReadReport,
) -> pa.Table:
    """The exact path: stream the file line by line, check every line with its physical number."""
    records = Records(name, errors, report)
    with contextlib.ExitStack() as stack:
        stream = open_stream(stack, opener, gzipped, salvage=True)
        lines = Lines(stream, report)
        try:
            for number, raw, too_long in lines:
                line, utf8 = decode(raw)
                if records.fields is None:  # the first line that is not blank: a header, or fmt's
                    if too_long or not utf8:
                        records.use(first_fields(name, number, "", fmt, unknown)[0] if fmt is None else fmt)
                    else:
                        fields, is_header = first_fields(name, number, line, fmt, unknown)
                        records.use(fields)
                        if is_header:
                            report.headers += 1
                            continue
                if too_long:
                    records.reject(number, "line-too-long", too_long_message(line), line)
                elif not utf8:
                    records.reject(number, "bad-encoding", "the line is not UTF-8 text", line)
                else:
                    take_line(records, number, line, unknown)
        except INFLATE_ERRORS as exc:  # not from the salvaging inflater; kept for other streams
            _damaged(name, str(exc), lines.number, errors, records)
        if getattr(stream, "error", None):
            _damaged(name, stream.error, lines.number, errors, records)  # type: ignore[attr-defined]
    table = records.table()
    if table is None:
        raise RecordParseError("the file is empty (no header, no records).", path=name, reason="empty-file")
    return table


def _damaged(name: str, what: str, lines: int, errors: Errors, records: Records) -> None:
    """A gzip that breaks after ``lines`` lines: an error, or (skip) the lines before it kept."""
    message = (
        f"{what}; {lines} complete line(s) inflate before the damage. Download the file again, or read "
        "it with errors='skip' to keep those lines."
    )
    if errors == "raise" or records.fields is None:
        raise RecordParseError(message, path=name, line_number=lines + 1, reason="bad-gzip")
    records.report.skip_file(name, message)


def take_line(records: Records, number: int, line: str, unknown: str, extra: tuple = ()) -> None:
    """One line of a file (or one CloudWatch message): a header that sets the format of the lines
    after it (rule 7), or a record to check and keep."""
    if "a" <= line.lstrip()[:1] <= "z":  # records start with a digit or '-', except in custom formats
        try:
            fields = header_fields(line, unknown)  # type: ignore[arg-type]
        except FormatError as exc:
            records.reject(number, "bad-header", f"a header line with {exc}", line)
            return
        if fields is not None:
            records.use(fields)
            records.report.headers += 1
            return
    records.add(number, line, extra)
