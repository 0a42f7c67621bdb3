"""Many small text files read as one: the reader's path for a day or a month of delivered files.

Starting a streaming inflater and an Arrow CSV reader per file costs about a millisecond, which
is most of the time on files of a few hundred KB (a day of 5-minute files is 288 of them). Here
each small local file is inflated whole with ISA-L on a thread pool, its header line is set aside,
and the bodies of consecutive files with the same header are joined into one buffer parsed by ONE
multi-threaded Arrow CSV read, with the options and checks of the fast path
(:func:`flowkit.read.text.read_fast`). A file that the fast path would not take on its own (no
header, a doubt of :func:`~flowkit.read.checks.fast_path_doubts`, no final newline, a damaged or
large gzip, not text) is read on its own by the per-file path, and so is every file of a joined
run whose parse or value checks fail, after the run is split in halves to find it: so errors name
the file and line, and ``errors="skip"`` counts, exactly as the per-file path does. Rows keep the
order of the files.

Memory stays bounded: only files under :data:`MAX_COMPRESSED` bytes are inflated whole, to at most
:data:`MAX_TEXT` bytes (a gzip bomb goes to the streaming path, which refuses it), a few files at
a time, and a run is parsed once it holds :data:`RUN_BYTES` of text or :data:`RUN_FILES` files.
"""

from __future__ import annotations

import os
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv

from flowkit.errors import FormatError
from flowkit.read.checks import MAX_LINE_BYTES, blank_rows, fast_path_doubts, header_fields, values_ok
from flowkit.read.report import ReadReport
from flowkit.read.sources import SNIFF_BYTES
from flowkit.read.text import csv_options
from flowkit.schema import Field

#: Files at least this large (compressed) are streamed on their own, never inflated whole.
MAX_COMPRESSED = 8 << 20
#: The most text one file may inflate to and still be joined (past it: the streaming path).
MAX_TEXT = 16 << 20
#: A run of joined files is parsed once it holds this much text...
RUN_BYTES = 64 << 20
#: ... or this many files.
RUN_FILES = 512
#: Threads that read and inflate files (at most; one per core).
_THREADS = 8
#: Files read ahead of the one being joined, at most (bounds the text in flight to 8 x MAX_TEXT).
_WINDOW = 8
#: A failed run this small is read file by file rather than split again.
_SPLIT_BELOW = 4
#: More files than this show a progress bar (on a terminal only)...
PROGRESS_FILES = 200
#: ... once the read has taken this many seconds (a quick read prints nothing).
PROGRESS_DELAY = 1.0

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_MEMBERS = 64  # gzip members of a file inflated whole (files made with cat have a few)


@dataclass
class Loaded:
    """A file inflated whole, ready to join: its text, whose first ``start`` bytes are its header
    line, and every line of which ends in ``\\n``."""

    text: bytes
    start: int

    @property
    def header(self) -> bytes:
        return self.text[: self.start]


@dataclass
class _Run:
    """Consecutive files with the same header, their bodies joined in one buffer."""

    fields: list[Field]
    items: list[tuple[str, Callable]] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)  # where each file's body ends in ``text``
    lines: list[int] = field(default_factory=list)  # each file's record lines
    text: bytearray = field(default_factory=bytearray)


def inflate_whole(data: bytes, limit: int = MAX_TEXT) -> bytes | None:
    """Every gzip member of ``data`` inflated, or None if the result passes ``limit`` bytes or the
    gzip is damaged (truncated, corrupt, trailing bytes that are not zero padding).

    Examples:
        >>> import gzip
        >>> inflate_whole(gzip.compress(b"a\\n") + gzip.compress(b"b\\n"))
        b'a\\nb\\n'
        >>> inflate_whole(gzip.compress(b"a\\n")[:-3]) is None
        True
    """
    from isal import isal_zlib
    from isal.igzip_lib import IsalError

    pieces = []
    total = 0
    while data:
        if len(pieces) >= _MAX_MEMBERS:
            return None  # each member copies the rest of the file: many of them stream instead
        if data[:2] != _GZIP_MAGIC:
            if data.strip(b"\x00"):
                return None  # bytes after the last member: the streaming paths judge them
            break  # zero padding after the last member
        inflater = isal_zlib.decompressobj(wbits=31)
        try:
            piece = inflater.decompress(data, limit - total + 1)
        except (ValueError, OSError, IsalError):
            return None
        total += len(piece)
        if total > limit or not inflater.eof:
            return None  # too large, or a truncated member
        pieces.append(piece)
        data = inflater.unused_data
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def load(name: str) -> Loaded | None:
    """A local file inflated whole and split into header and body, or None when it must be read on
    its own by the per-file path (see the module's description)."""
    try:
        info = os.stat(name)
        if not stat.S_ISREG(info.st_mode) or info.st_size >= MAX_COMPRESSED:
            return None  # large files stream; a pipe or device is opened only by the per-file path
        with open(name, "rb") as fh:
            raw = fh.read(MAX_COMPRESSED)
    except OSError:
        return None  # the per-file path names the problem
    if raw[:2] == _GZIP_MAGIC:
        text = inflate_whole(raw, MAX_TEXT)
        if text is None:
            return None
    else:
        text = raw
    if not text.endswith(b"\n") or b"\x00" in text[:SNIFF_BYTES]:
        return None
    end = text.find(b"\n", 0, MAX_LINE_BYTES)
    if end < 0 or not text[:end].strip():
        return None
    # blank lines and 0x numbers: the exact path counts and rejects them (the header is searched
    # too, which only sends the odd file with such a header on its own)
    if fast_path_doubts(text) or b"\n\n" in text:
        return None
    return Loaded(text, end + 1)


def _fields(header: bytes, unknown: str, cache: dict[bytes, list[Field] | None]) -> list[Field] | None:
    """The fields of a header line, or None when it is no header the fast path would take."""
    if header not in cache:
        try:
            cache[header] = header_fields(header.decode("utf-8"), unknown)  # type: ignore[arg-type]
        except (UnicodeDecodeError, FormatError):
            cache[header] = None
    return cache[header]


def parse_joined(fields: list[Field], data: bytes | bytearray | memoryview) -> pa.Table | None:
    """The joined bodies of files with the same header parsed as one, or None when the fast path
    would refuse one of them (a parse error, a blank record, a value out of range)."""
    if not len(data):
        return None  # header-only files: the per-file path gives their empty tables
    read_options, parse_options, convert_options = csv_options(fields)
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
    except pa.ArrowException:
        return None
    if blank_rows(table) or not values_ok(table):
        return None
    return table


def _in_order(pool: ThreadPoolExecutor, names: list[str], window: int) -> Iterator[Loaded | None]:
    """:func:`load` of each name, in order, at most ``window`` files ahead of the consumer."""
    pending: deque = deque()
    for name in names:
        pending.append(pool.submit(load, name))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def read_many(
    items: list[tuple[str, Callable]],
    read_one: Callable[[str, Callable], pa.Table | None],
    unknown: str,
    report: ReadReport,
    rows: dict[str, int] | None = None,
) -> Iterator[pa.Table]:
    """The tables of local files in order: joined runs parsed as one, the rest by ``read_one``.

    Args:
        items: ``(name, opener)`` of local files, in the order their rows come.
        read_one: the per-file path; it counts the file in ``report.files`` and raises or counts
            its errors.
        unknown: ``unknown_fields`` (``"raise"`` or ``"keep"``).
        report: counts for the files read here (files, headers, lines_read, parsed).
        rows: if given, filled with ``{name: records}`` for each file read here, in a joined run.
    """
    from tqdm import tqdm

    threads = min(os.cpu_count() or 1, _THREADS)
    cache: dict[bytes, list[Field] | None] = {}
    bar = tqdm(
        total=len(items),
        unit="file",
        desc="reading",
        leave=False,
        delay=PROGRESS_DELAY,
        disable=len(items) <= PROGRESS_FILES or sys.stderr is None or not sys.stderr.isatty(),
    )
    run: _Run | None = None
    try:
        with ThreadPoolExecutor(threads) as pool:
            loaded = _in_order(pool, [name for name, _ in items], min(2 * threads, _WINDOW))
            for (name, opener), one in zip(items, loaded, strict=True):
                fields = _fields(one.header, unknown, cache) if one is not None else None
                if run and (fields != run.fields or len(run.text) >= RUN_BYTES):
                    yield from _flush(run, 0, len(run.items), read_one, report, bar, rows)
                    run = None
                if fields is None:
                    table = read_one(name, opener)
                    bar.update()
                    if table is not None:
                        yield table
                    continue
                run = run or _Run(fields)
                run.items.append((name, opener))
                run.text += memoryview(one.text)[one.start :]  # type: ignore[union-attr]
                run.ends.append(len(run.text))
                run.lines.append(one.text.count(b"\n", one.start))  # type: ignore[union-attr]
                del one
                if len(run.items) >= RUN_FILES:
                    yield from _flush(run, 0, len(run.items), read_one, report, bar, rows)
                    run = None
            if run:
                yield from _flush(run, 0, len(run.items), read_one, report, bar, rows)
    finally:
        bar.close()


def _flush(
    run: _Run,
    first: int,
    stop: int,
    read_one: Callable[[str, Callable], pa.Table | None],
    report: ReadReport,
    bar,
    rows: dict[str, int] | None = None,
) -> Iterator[pa.Table]:
    """The table of files ``first:stop`` of a run, or (when it fails) of its halves, down to single
    files read on their own."""
    start = run.ends[first - 1] if first else 0
    table = parse_joined(run.fields, memoryview(run.text)[start : run.ends[stop - 1]])
    if table is not None:
        count = stop - first
        report.files += count
        report.headers += count
        report.lines_read += table.num_rows
        report.parsed += table.num_rows
        bar.update(count)
        if rows is not None:
            rows.update(
                (name, lines)
                for (name, _), lines in zip(run.items[first:stop], run.lines[first:stop], strict=True)
            )
        yield table
        return
    if stop - first < _SPLIT_BELOW:
        for name, opener in run.items[first:stop]:
            one = read_one(name, opener)
            bar.update()
            if one is not None:
                yield one
        return
    half = (first + stop) // 2
    yield from _flush(run, first, half, read_one, report, bar, rows)
    yield from _flush(run, half, stop, read_one, report, bar, rows)
