"""Where flow-log files are: local paths, directories in the S3 delivery layouts, ``s3://`` prefixes."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

import pandas as pd

from flowkit import layout
from flowkit.errors import RecordParseError
from flowkit.outputs import readable
from flowkit.read.report import Errors, ReadReport

if TYPE_CHECKING:
    import boto3

Source = str | os.PathLike | Sequence[str | os.PathLike] | pd.DataFrame

# the file names read from a directory or prefix: one truth, in flowkit.layout
TEXT_SUFFIXES = layout.TEXT_SUFFIXES

PARQUET_SUFFIXES = layout.PARQUET_SUFFIXES

CLOUDWATCH_SUFFIXES = layout.CLOUDWATCH_SUFFIXES

Opener = Callable[[], BinaryIO]

_logger = logging.getLogger(__name__)


def list_files(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    errors: Errors = "raise",
    report: ReadReport | None = None,
) -> list[Path]:
    """The flow-log files a local source names, sorted (directories are searched recursively).

    A directory search takes the names of :func:`flowkit.layout.is_flow_log_name` (delivered files,
    ``.log``, Parquet, CloudWatch exports, Firehose objects); a file named explicitly is taken
    whatever its name. A file named twice (e.g. a directory and a file inside it) is listed once.
    Symbolic links to folders are followed (each folder once).

    Args:
        source: a path or a list of paths.
        errors: what to do with a folder that cannot be listed (no permission): ``"raise"`` an
            error, or ``"skip"`` it and record it in ``report.skipped_files`` with its reason.
        report: where skipped folders are recorded.

    Files flowkit has not finished writing are left out, and a folder an interrupted command marked
    incomplete is refused (:func:`flowkit.outputs.readable`).

    Raises:
        RecordParseError: if a named path does not exist, a directory holds no flow-log file, or
            (``errors="raise"``) a folder cannot be listed.
        IncompleteOutputError: a file lies in a folder an interrupted ``flowkit simulate`` left incomplete.
    """
    if isinstance(source, str | os.PathLike):
        source = [source]
    files: list[Path] = []
    for item in source:
        if isinstance(item, str) and not item.strip():  # Path("") is the working directory
            raise RecordParseError("an empty path names no file: give a file or directory.", reason="missing")
        path = Path(item)
        try:
            mode = path.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            raise RecordParseError("no such file or directory.", path=str(path), reason="missing") from None
        except OSError as exc:  # e.g. a file in a folder this process may not search
            _unreadable(path, exc, "path", errors, report)
            continue
        if stat.S_ISDIR(mode):
            found, skipped = _walk(path, errors, report)
            if not found and not skipped:
                raise RecordParseError(
                    "no flow-log files (.log, .log.gz, .parquet, .jsonl, .json, Firehose objects) under "
                    "this directory.",
                    path=str(path),
                    reason="no-files",
                )
            files.extend(found)
        else:
            files.append(path)
    seen: set[str] = set()
    unique = []
    folders: dict[str, str] = {}  # each folder resolved once (a day of files shares a handful)
    for path in files:
        real = _real_path(str(path), folders)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return readable(unique)


def _real_path(path: str, folders: dict[str, str]) -> str:
    """``os.path.realpath(path)``, with the folder's part taken from ``folders`` (filled as it goes)
    when the file itself is no symbolic link."""
    folder, name = os.path.split(os.path.abspath(path))
    if os.path.islink(path) or ".." in path:  # abspath would fold "link/.." before the link is followed
        return os.path.realpath(path)
    if folder not in folders:
        folders[folder] = os.path.realpath(folder)
    return os.path.join(
        folders[folder], name
    )  # flowkit's own unfinished outputs: skipped, or refused when incomplete


def _walk(root: Path, errors: Errors, report: ReadReport | None) -> tuple[list[Path], bool]:
    """The flow-log files under ``root`` and whether a folder was skipped. ``Path.rglob`` is not
    used: it leaves out a folder it cannot list without a word (CPython 3.11)."""
    found: list[Path] = []
    skipped = False
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as exc:
            _unreadable(folder, exc, "folder", errors, report)
            skipped = True
            continue
        for entry in listed:
            try:
                if entry.is_dir():
                    stack.append(Path(entry.path))
                elif entry.is_file() and _is_flow_log_name(entry.name):
                    found.append(Path(entry.path))
            except OSError as exc:
                _unreadable(Path(entry.path), exc, "file", errors, report)
                skipped = True
    return sorted(found), skipped


def _unreadable(path: Path, exc: OSError, what: str, errors: Errors, report: ReadReport | None) -> None:
    reason = exc.strerror or str(exc)
    message = (
        f"cannot read this {what} ({reason.lower()}): fix its permissions, or read with errors='skip' "
        f"to skip it and count it"
    )
    if errors == "raise":
        raise RecordParseError(message, path=str(path), reason="unreadable") from exc
    if report is None:
        _logger.warning("skipped %s: %s", path, message)
    else:
        report.skip_file(str(path), message)


_is_flow_log_name = layout.is_flow_log_name


def iter_inputs(
    source: Source,
    boto3_session: boto3.Session | None,
    errors: Errors = "raise",
    report: ReadReport | None = None,
) -> Iterable[tuple[str, Opener]]:
    """(name, opener) pairs; an opener returns a fresh binary stream of the file's raw bytes."""
    if isinstance(source, pd.DataFrame):
        raise TypeError(
            "read_flow_logs reads files; a DataFrame is already read (pass it to flowkit.connect)."
        )
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    local = [item for item in items if not str(item).startswith("s3://")]
    for item in items:
        if str(item).startswith("s3://"):
            yield from _iter_s3(str(item), boto3_session)
    for path in list_files(local, errors=errors, report=report) if local else []:
        yield str(path), functools.partial(open, path, "rb")


def _iter_s3(url: str, boto3_session: boto3.Session | None) -> Iterable[tuple[str, Opener]]:
    from flowkit import sessions  # only the s3:// path needs AWS libraries
    from flowkit.errors import AWSError

    session = sessions.session(boto3_session)
    where = url
    try:
        wr = sessions.wrangler()
        client = sessions.client("s3", session)
        keys = [
            k
            for k in wr.s3.list_objects(url, boto3_session=session)
            if _is_flow_log_name(k.rsplit("/", 1)[-1])
        ]
        if not keys:
            raise RecordParseError("no flow-log objects under this prefix.", path=url, reason="no-files")
        for key in keys:
            where = key
            bucket, _, name = key[len("s3://") :].partition("/")
            data = client.get_object(Bucket=bucket, Key=name)["Body"].read()
            yield key, functools.partial(io.BytesIO, data)
    except Exception as exc:  # NoCredentialsError, ClientError, EndpointConnectionError, bad bucket names
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(
            f"{where}: cannot read it from S3 ({sessions.aws_reason(exc)}). {sessions.CREDENTIALS_HINT}"
        ) from exc


def delivery_partitions(path: str | os.PathLike) -> dict[str, str]:
    """Partition values in an S3 delivery key: account, Region, year, month, day and (per-hour) hour.

    Handles the plain layout, the Hive-compatible one and their per-hour variants (see
    :func:`flowkit.layout.parse_key`). Returns an empty dict for a path outside these layouts.

    Examples:
        >>> delivery_partitions("b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/04/x.log.gz")
        {'account_id': '123456789012', 'region': 'us-east-1', 'year': '2024', 'month': '05', 'day': '04'}
        >>> p = "AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=05/day=04/hour=07/f"
        >>> delivery_partitions(p)["hour"]
        '07'
    """
    return layout.parse_key(path).partitions


# -- what a file is, by its content ---------------------------------------------------------------

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
SNIFF_BYTES = 1 << 16

#: What :func:`sniff` finds a file to be.
FileKind = Literal["parquet", "json", "text"]


def open_stream(
    stack: contextlib.ExitStack, opener: Opener, gzipped: bool, *, salvage: bool = False
) -> BinaryIO:
    """The file's bytes, inflated as they are read when ``gzipped`` (every gzip member, so files
    concatenated with ``cat`` read whole); ``stack`` closes the file and the inflater.

    With ``salvage`` a damaged gzip ends the stream cleanly where the damage is (an
    :class:`Inflater`, whose ``error`` then says what is wrong); without it, reading raises there.
    """
    from isal import igzip

    raw = stack.enter_context(opener())
    if not gzipped:
        return raw
    if salvage:
        return Inflater(raw)  # type: ignore[return-value]
    return stack.enter_context(igzip.IGzipFile(fileobj=raw, mode="rb"))


class Inflater:
    """gzip inflated as it is read, member after member, in bounded pieces; at damage (a truncated
    or corrupt member) it ends cleanly, keeping everything before it, and says why in ``error``."""

    _PIECE = 1 << 16  # compressed bytes read at a time: at most this much is lost to corruption

    def __init__(self, raw: BinaryIO) -> None:
        from isal import isal_zlib

        self._zlib = isal_zlib
        self.raw = raw
        self.error: str | None = None
        self.closed = False
        self._inflater = isal_zlib.decompressobj(wbits=31)
        self._input = b""  # compressed bytes not yet inflated
        self._inside = False  # inside a member
        self._done = False

    def read(self, size: int | None = -1) -> bytes:
        from isal.igzip_lib import IsalError

        size = 1 << 20 if size is None or size < 0 else size
        out = bytearray()
        while len(out) < size and not self._done:
            if not self._input:
                self._input = self.raw.read(self._PIECE)
                if not self._input:
                    if self._inside:
                        self.error = "truncated gzip: the file ends in the middle of a gzip member"
                    self._done = True
                    break
            if not self._inside:
                if not self._input.strip(b"\x00"):  # zero padding after the last member
                    self._input = b""
                    continue
                self._inside = True
            try:
                out += self._inflater.decompress(self._input, size - len(out))
            except (zlib.error, IsalError) as exc:
                self.error = f"corrupt gzip ({exc})"
                self._done = True
                break
            if self._inflater.eof:
                self._input = self._inflater.unused_data
                self._inflater = self._zlib.decompressobj(wbits=31)
                self._inside = False
            else:
                self._input = self._inflater.unconsumed_tail
        return bytes(out)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


def sniff(name: str, opener: Opener) -> tuple[FileKind, bool]:
    """What a file is, by its content rather than its name: ``(kind, gzipped)``.

    Parquet by its magic bytes; gzip by its magic bytes, then looked into inflated; JSON (CloudWatch
    Logs events, subscription envelopes, Firehose objects, CLI output) when the first character
    that is not blank is ``{`` or ``[``; text otherwise. Only the first 64 KiB are inflated.

    Raises:
        RecordParseError: the file cannot be opened (``unreadable``), is empty (``empty-file``) or
            is binary (``binary-file``).
    """
    try:
        with opener() as raw:
            magic = raw.read(4)
    except OSError as exc:
        raise RecordParseError(
            f"cannot read this file ({(exc.strerror or str(exc)).lower()}): fix its permissions, or read "
            "with errors='skip' to skip it and count it",
            path=name,
            reason="unreadable",
        ) from exc
    if magic == _PARQUET_MAGIC:
        return "parquet", False
    if not magic:
        raise RecordParseError("the file is empty (no header, no records).", path=name, reason="empty-file")
    gzipped = magic[:2] == _GZIP_MAGIC
    from isal.igzip_lib import IsalError

    try:
        with contextlib.ExitStack() as stack:
            head = open_stream(stack, opener, gzipped).read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error, IsalError):
        return "text", gzipped  # a damaged gzip: the text path says where it breaks
    if b"\x00" in head:
        raise RecordParseError(
            "this is a binary file, not flow-log text (expected .log/.log.gz lines, CloudWatch Logs JSON "
            "or Parquet).",
            path=name,
            reason="binary-file",
        )
    first = head.lstrip()[:1]
    return ("json" if first in (b"{", b"[") else "text"), gzipped
