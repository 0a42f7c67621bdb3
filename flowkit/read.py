"""Read flow logs: text (.log, .log.gz), Parquet, CloudWatch events; local paths, S3 layouts, s3:// prefixes.

Text files are parsed by Arrow's multi-threaded CSV reader (gzip is inflated with ISA-L first), so
reading is vectorised. A file the fast path cannot take as it is (a malformed line, a double space,
a bad value) is read again line by line, which finds every problem with its line number: with
``errors="raise"`` the first one raises :class:`~flowkit.errors.RecordParseError`; with
``errors="skip"`` the good records are kept and every rejected line is counted by reason in a
:class:`ReadReport`, so that parsed + rejected = lines read.

Examples:
    >>> import io, gzip, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text("version srcaddr dstport action log-status\\n2 10.0.0.1 443 ACCEPT OK\\n")
    >>> read_flow_logs(d / "a.log")[["srcaddr", "dstport"]]
        srcaddr  dstport
    0  10.0.0.1      443
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from isal.igzip_lib import IsalError

from flowkit.errors import FormatError, RecordParseError
from flowkit.schema import ACTIONS, DEFAULT_FORMAT, LOG_STATUSES, Field, get_field, parse_log_format

_logger = logging.getLogger(__name__)

Errors = Literal["raise", "skip"]
Source = str | os.PathLike | Sequence[str | os.PathLike] | pd.DataFrame

TEXT_SUFFIXES = (".log", ".log.gz")  # what AWS delivers; other names are read when named explicitly
PARQUET_SUFFIXES = (".parquet",)
CLOUDWATCH_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_ARROW_TYPES = {"int": pa.int32(), "bigint": pa.int64(), "string": pa.string()}
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z: the last time dates and datetimes can hold
_RANGES = {
    "srcport": 65535,
    "dstport": 65535,
    "protocol": 255,
    "tcp_flags": 255,
    "traffic_path": 255,
    "start": _LAST_SECOND,
    "end": _LAST_SECOND,
}
_ENUMS = {"action": frozenset(ACTIONS), "log_status": frozenset(LOG_STATUSES)}
_TYPE_MAX = {"int32": 2**31 - 1, "int64": 2**63 - 1}  # what the column's Arrow type can hold
_PANDAS_TYPES = {
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.string(): pd.StringDtype("pyarrow"),
}


@dataclass
class ReadReport:
    """What a read took in and what it left out.

    Attributes:
        files: files read.
        lines_read: record lines seen (header lines not counted).
        parsed: records kept.
        rejected: lines rejected, by reason (``field-count``, ``bad-number``, ``bad-action``, ...).
        examples: the first few rejected lines as ``(path, line_number, reason, text)``.
        skipped_files: files that could not be read at all, as ``(path, reason)``.
    """

    files: int = 0
    lines_read: int = 0
    parsed: int = 0
    rejected: Counter = field(default_factory=Counter)
    examples: list[tuple[str, int, str, str]] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rejected_total(self) -> int:
        """All rejected lines."""
        return sum(self.rejected.values())

    def add_reject(self, path: str, line_number: int, reason: str, text: str) -> None:
        """Count one rejected line, keeping the first few as examples."""
        self.rejected[reason] += 1
        if len(self.examples) < 20:
            self.examples.append((path, line_number, reason, text[:200]))

    def __str__(self) -> str:
        text = (
            f"{self.files} file(s), {self.lines_read} line(s) read: "
            f"{self.parsed} parsed, {self.rejected_total} rejected"
        )
        if self.rejected:
            text += " (" + ", ".join(f"{reason}: {n}" for reason, n in self.rejected.most_common()) + ")"
        if self.skipped_files:
            text += f"; {len(self.skipped_files)} file(s) unreadable"
        return text


def read_flow_logs(
    source: Source,
    *,
    log_format: str | None = None,
    errors: Errors = "raise",
    unknown_fields: Literal["raise", "keep"] = "raise",
    boto3_session: Any = None,
) -> pd.DataFrame:
    """Read flow-log records into a typed DataFrame with Athena column names.

    Args:
        source: a file (``.log``, ``.log.gz``, ``.parquet``, CloudWatch ``.jsonl``), a directory
            (searched recursively, e.g. an S3 delivery layout), a list of those, or an
            ``s3://bucket/prefix`` (read through boto3).
        log_format: the ``${field} ...`` format of headerless lines (CloudWatch messages). Files
            whose first line is a header of field names do not need it.
        errors: ``"raise"`` stops at the first bad line or file; ``"skip"`` keeps the good records
            and reports the rest in ``df.attrs["report"]`` (a :class:`ReadReport`).
        unknown_fields: ``"keep"`` reads fields flowkit does not know as text columns.
        boto3_session: the boto3 session for ``s3://`` sources (default session if None).

    Returns:
        One row per record; columns in format order (files with other formats add their columns,
        null where absent); numbers as nullable ``Int32``/``Int64``, text as Arrow strings, ``-``
        as ``<NA>``.

    Raises:
        RecordParseError: a bad line or file, naming the file, the line and the problem.
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
    """Convert a flow-log Arrow table to pandas with flowkit's dtypes (nullable ints, Arrow strings)."""
    return table.to_pandas(types_mapper=_PANDAS_TYPES.get, self_destruct=True, split_blocks=True)


def read_arrow(
    source: Source,
    *,
    log_format: str | None = None,
    errors: Errors = "raise",
    unknown_fields: Literal["raise", "keep"] = "raise",
    boto3_session: Any = None,
    report: ReadReport | None = None,
) -> pa.Table:
    """Read flow-log records into an Arrow table; the arguments are those of :func:`read_flow_logs`."""
    if errors not in ("raise", "skip"):
        raise ValueError(f"`errors` must be 'raise' or 'skip', not {errors!r}.")
    report = report if report is not None else ReadReport()
    fmt = parse_log_format(log_format, unknown=unknown_fields) if log_format else None
    tables = []
    for name, opener in _iter_inputs(source, boto3_session):
        report.files += 1
        try:
            table = _read_one(name, opener, fmt, errors, unknown_fields, report)
        except (RecordParseError, FormatError) as exc:
            if errors == "raise":
                raise
            report.skipped_files.append((name, str(exc).splitlines()[0]))
            continue
        if table is not None:
            tables.append(table)
    if not tables:
        fields = fmt or parse_log_format(DEFAULT_FORMAT)
        return pa.table({f.column: pa.array([], arrow_type(f)) for f in fields})
    return pa.concat_tables(tables, promote_options="default")


def arrow_type(f: Field) -> pa.DataType:
    """The Arrow type flowkit reads a field into: the width of its Athena column type."""
    return _ARROW_TYPES[f.athena_type]


def list_files(source: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """The flow-log files a local source names, sorted (directories are searched recursively).

    A file named twice (e.g. a directory and a file inside it) is listed once.

    Raises:
        RecordParseError: if a named path does not exist, or a directory holds no flow-log file.
    """
    if isinstance(source, str | os.PathLike):
        source = [source]
    files: list[Path] = []
    for item in source:
        if isinstance(item, str) and not item.strip():  # Path("") is the working directory
            raise RecordParseError("an empty path names no file: give a file or directory.", reason="missing")
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _is_flow_log_name(p.name))
            if not found:
                raise RecordParseError(
                    "no flow-log files (.log, .log.gz, .parquet, .jsonl) under this directory.",
                    path=str(path),
                    reason="no-files",
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise RecordParseError("no such file or directory.", path=str(path), reason="missing")
    seen: set[Path] = set()
    unique = []
    for path in files:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique


def _is_flow_log_name(name: str) -> bool:
    return not name.startswith(".") and name.endswith(TEXT_SUFFIXES + PARQUET_SUFFIXES + CLOUDWATCH_SUFFIXES)


Opener = Callable[[], BinaryIO]


def _iter_inputs(source: Source, boto3_session: Any) -> Iterable[tuple[str, Opener]]:
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
    for path in list_files(local) if local else []:
        yield str(path), functools.partial(open, path, "rb")


def _iter_s3(url: str, boto3_session: Any) -> Iterable[tuple[str, Opener]]:
    import awswrangler as wr  # only the s3:// path needs AWS libraries
    import boto3

    from flowkit.aws._clients import CREDENTIALS_HINT, aws_reason, is_aws_error
    from flowkit.errors import AWSError

    session = boto3_session or boto3.Session()
    where = url
    try:
        client = session.client("s3")
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
        if not is_aws_error(exc):
            raise
        raise AWSError(f"{where}: cannot read it from S3 ({aws_reason(exc)}). {CREDENTIALS_HINT}") from exc


def _read_one(
    name: str, opener: Opener, fmt: list[Field] | None, errors: Errors, unknown: str, report: ReadReport
) -> pa.Table | None:
    with opener() as raw:
        magic = raw.read(4)
    if magic == _PARQUET_MAGIC:
        with opener() as raw:
            return _read_parquet(name, raw, errors, unknown, report)
    if not magic:
        raise RecordParseError("the file is empty (no header, no records).", path=name, reason="empty-file")
    gzipped = magic[:2] == _GZIP_MAGIC
    if name.endswith(CLOUDWATCH_SUFFIXES):
        return _read_exact(name, opener, gzipped, fmt, errors, unknown, report)
    table = _read_fast(name, opener, gzipped, fmt, unknown)
    if table is not None:
        report.lines_read += table.num_rows
        report.parsed += table.num_rows
        return table
    return _read_exact(name, opener, gzipped, fmt, errors, unknown, report)


def _text_stream(stack: contextlib.ExitStack, opener: Opener, gzipped: bool) -> BinaryIO:
    """Open the file's text (inflating gzip); the stack closes both the file and the inflater."""
    from isal import igzip

    raw = stack.enter_context(opener())
    return stack.enter_context(igzip.IGzipFile(fileobj=raw, mode="rb")) if gzipped else raw


def _read_fast(
    name: str, opener: Opener, gzipped: bool, fmt: list[Field] | None, unknown: str
) -> pa.Table | None:
    """Stream the file through Arrow's CSV reader; None when the file needs the exact path."""
    try:
        with contextlib.ExitStack() as stack:
            stream = _text_stream(stack, opener, gzipped)
            first = stream.readline(1 << 16)
            if b"\x00" in first or not first.endswith(b"\n"):
                return None
            fields, has_header = _fields_of(name, first, fmt, unknown)
            if not has_header:
                stream = _text_stream(stack, opener, gzipped)
            bad_rows: list[int] = []
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=[f.column for f in fields], block_size=1 << 22),
                parse_options=pacsv.ParseOptions(
                    delimiter=" ",
                    quote_char=False,
                    double_quote=False,
                    ignore_empty_lines=False,
                    invalid_row_handler=lambda row: bad_rows.append(1) or "skip",
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={f.column: arrow_type(f) for f in fields},
                    null_values=["-"],
                    strings_can_be_null=True,
                ),
            )
    except (
        pa.ArrowException,
        OSError,
        EOFError,
        zlib.error,
        IsalError,
        UnicodeDecodeError,
        RecordParseError,
        FormatError,
    ):
        return None  # the exact path finds and reports the problem with its line number
    if bad_rows or not _values_ok(table):
        return None
    return table


def _read_exact(
    name: str,
    opener: Opener,
    gzipped: bool,
    fmt: list[Field] | None,
    errors: Errors,
    unknown: str,
    report: ReadReport,
) -> pa.Table:
    """The slow, exact path: inflate what can be inflated, then check every line with its number."""
    with opener() as raw:
        data = raw.read()
    text = _inflate(name, data, errors, report) if gzipped else data
    if b"\x00" in text[:65536]:
        raise RecordParseError(
            "this is a binary file, not flow-log text (expected .log/.log.gz lines or Parquet).",
            path=name,
            reason="binary-file",
        )
    if name.endswith(CLOUDWATCH_SUFFIXES):
        text = _cloudwatch_messages(name, text)
        fmt = fmt or _default_format_or_refuse(name, text)
    end = text.find(b"\n")
    first = text if end < 0 else text[: end + 1]
    fields, has_header = _fields_of(name, first, fmt, unknown)
    body, first_line = (text[end + 1 :] if end >= 0 else b"", 2) if has_header else (text, 1)
    return _parse_lines(name, body, fields, first_line, errors, report)


def _default_format_or_refuse(name: str, messages: bytes) -> list[Field]:
    """AWS's default format for CloudWatch events given no log_format, unless their width says otherwise."""
    fields = parse_log_format(DEFAULT_FORMAT)
    width = len(messages.split(b"\n", 1)[0].split())
    if width and width != len(fields):
        raise RecordParseError(
            f"CloudWatch Logs events carry no header and these records have {width} fields, not the "
            f"{len(fields)} of AWS's default format: pass the flow log's format as log_format= "
            "(--log-format on the command line).",
            path=name,
            line_number=1,
            reason="field-count",
        )
    return fields


def _inflate(name: str, data: bytes, errors: Errors, report: ReadReport) -> bytes:
    from isal import igzip

    try:
        return igzip.decompress(data)
    except (OSError, EOFError, zlib.error, IsalError) as exc:
        # Salvage what inflates before the damage, so that skip mode loses only the broken tail.
        inflater = zlib.decompressobj(wbits=31)
        try:
            partial = inflater.decompress(data)
        except zlib.error:
            partial = b""
        complete = partial[: partial.rfind(b"\n") + 1]
        lines = complete.count(b"\n")
        message = (
            f"corrupt or truncated gzip ({exc}); {lines} complete line(s) inflate before the damage. "
            "Download the file again, or read it with errors='skip' to keep those lines."
        )
        if errors == "raise" or not complete:
            raise RecordParseError(message, path=name, line_number=lines + 1, reason="bad-gzip") from exc
        report.skipped_files.append((name, message))
        return complete


def _cloudwatch_messages(name: str, text: bytes) -> bytes:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            lines.append(json.loads(raw)["message"].strip())
        except (ValueError, KeyError, TypeError) as exc:
            raise RecordParseError(
                "not a CloudWatch Logs event (a JSON object with a 'message').", path=name, line_number=number
            ) from exc
    return ("\n".join(lines) + "\n").encode()


def _fields_of(name: str, first: bytes, fmt: list[Field] | None, unknown: str) -> tuple[list[Field], bool]:
    """The file's fields, and whether its first line is a header of field names."""
    line = first.decode("utf-8", "replace").strip()
    try:
        return parse_log_format(line, unknown="raise"), True
    except FormatError as exc:
        if fmt is not None:
            return fmt, False
        looks_like_header = bool(line) and not any(ch.isdigit() for ch in line.split()[0])
        if looks_like_header and unknown == "keep":
            return parse_log_format(line, unknown="keep"), True
        hint = (
            f"the header has {exc}"
            if looks_like_header
            else "the first line is not a header of field names; pass log_format= for headerless lines"
        )
        raise RecordParseError(hint, path=name, line_number=1, line=line, reason="bad-header") from exc


def _values_ok(table: pa.Table) -> bool:
    """Whether every port, protocol and flag is in range and every action/status known (one pass each)."""
    import pyarrow.compute as pc

    for column, top in _RANGES.items():
        if column in table.column_names:
            low, high = pc.min_max(table[column]).values()
            if low.is_valid and (low.as_py() < 0 or high.as_py() > top):
                return False
    for column, allowed in _ENUMS.items():
        if (
            column in table.column_names
            and not set(pc.unique(table[column]).drop_null().to_pylist()) <= allowed
        ):
            return False
    return True


def _parse_lines(
    name: str, body: bytes, fields: list[Field], first_line: int, errors: Errors, report: ReadReport
) -> pa.Table:
    """Check every line, with its number; keep the good ones."""
    values: list[list[str | None]] = [[] for _ in fields]
    width = len(fields)
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline at the end of the file
    for offset, raw in enumerate(lines):
        number = first_line + offset
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            line, problem = raw.decode("utf-8", "replace"), ("bad-encoding", "the line is not UTF-8 text")
        else:
            problem = _check_line(line, fields, width)
        report.lines_read += 1
        if problem:
            reason, message = problem
            if errors == "raise":
                message += "; fix or remove the line, or read with errors='skip' to skip and count bad lines"
                raise RecordParseError(message, path=name, line_number=number, line=line, reason=reason)
            report.add_reject(name, number, reason, line)
            continue
        report.parsed += 1
        for column, token in zip(values, line.split(), strict=True):
            column.append(None if token == "-" else token)
    return pa.table(
        {
            f.column: pa.array(vals, pa.string()).cast(arrow_type(f))
            for f, vals in zip(fields, values, strict=True)
        }
    )


def _check_line(line: str, fields: list[Field], width: int) -> tuple[str, str] | None:
    tokens = line.split()
    if not tokens:
        return "blank-line", "the line is blank"
    if len(tokens) != width:
        return "field-count", f"expected {width} fields (by the header/format), found {len(tokens)}"
    for f, token in zip(fields, tokens, strict=True):
        if token == "-":
            continue
        if f.is_numeric:
            if not (token.isascii() and token.isdigit()):
                return "bad-number", f"field {f.name!r} must be a whole number or '-', not {token!r}"
            top = _RANGES.get(f.column, _TYPE_MAX.get(f.type))
            if top is not None and int(token) > top:
                return "out-of-range", f"field {f.name!r} must be 0-{top}, not {token}"
        elif f.column in _ENUMS and token not in _ENUMS[f.column]:
            allowed = ", ".join(sorted(_ENUMS[f.column]))
            return f"bad-{f.name}", f"field {f.name!r} must be one of {allowed} or '-', not {token!r}"
    return None


def _read_parquet(name: str, raw: BinaryIO, errors: Errors, unknown: str, report: ReadReport) -> pa.Table:
    try:
        table = pq.read_table(raw)
    except (pa.ArrowInvalid, OSError) as exc:
        raise RecordParseError(
            f"not a readable Parquet file ({exc}).", path=name, reason="bad-parquet"
        ) from exc
    columns = {}
    for column in table.column_names:
        try:
            f = get_field(column.replace("_", "-"))
        except FormatError:
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
    out = _drop_bad_rows(name, out, errors, report)
    report.parsed += out.num_rows
    return out


def _drop_bad_rows(name: str, table: pa.Table, errors: Errors, report: ReadReport) -> pa.Table:
    """Parquet rows whose values the text path would reject (a port past 65535, an unknown action):
    an error naming the row, or (``errors="skip"``) dropped and counted once each."""
    import pyarrow.compute as pc

    if _values_ok(table):
        return table
    checks = [
        (column, pc.or_(pc.less(table[column], 0), pc.greater(table[column], top)), f"0-{top}")
        for column, top in _RANGES.items()
        if column in table.column_names
    ]
    for column, allowed in _ENUMS.items():
        if column in table.column_names:
            unknown = pc.invert(pc.is_in(table[column], value_set=pa.array(sorted(allowed))))
            checks.append((column, unknown, "one of " + ", ".join(sorted(allowed)) + " or '-'"))
    problems: dict[int, str] = {}  # row -> the first problem found in it
    for column, bad, allowed in checks:
        bad = pc.and_(pc.fill_null(bad, False), pc.is_valid(table[column]))
        for row in pc.indices_nonzero(bad).to_pylist():
            problems.setdefault(
                row, f"field {column!r} must be {allowed}, not {table[column][row].as_py()!r}"
            )
    first = min(problems)
    if errors == "raise":
        raise RecordParseError(
            f"row {first + 1}: {problems[first]}; fix the file, or read with errors='skip' to skip and count "
            "bad rows",
            path=name,
            reason="out-of-range",
        )
    for row in sorted(problems):
        report.add_reject(name, row + 1, "out-of-range", problems[row])
    keep = pa.array([row not in problems for row in range(table.num_rows)])
    return table.filter(keep)


_DELIVERY = re.compile(
    r"AWSLogs/(?:aws-account-id=)?(?P<account_id>\d{12}|[^/]+?)/(?:aws-service=)?vpcflowlogs/"
    r"(?:aws-region=)?(?P<region>[a-z0-9-]+)/(?:year=)?(?P<year>\d{4})/(?:month=)?(?P<month>\d{2})/"
    r"(?:day=)?(?P<day>\d{2})(?:/(?:hour=)?(?P<hour>\d{2}))?/"
)


def delivery_partitions(path: str | os.PathLike) -> dict[str, str]:
    """Partition values in an S3 delivery key: account, Region, year, month, day and (per-hour) hour.

    Handles the plain layout, the Hive-compatible one and their per-hour variants. Returns an
    empty dict for a path outside these layouts.

    Examples:
        >>> delivery_partitions("b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/04/x.log.gz")
        {'account_id': '123456789012', 'region': 'us-east-1', 'year': '2024', 'month': '05', 'day': '04'}
        >>> p = "AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=05/day=04/hour=07/f"
        >>> delivery_partitions(p)["hour"]
        '07'
    """
    match = _DELIVERY.search(str(path).replace(os.sep, "/"))
    if not match:
        return {}
    return {key: value for key, value in match.groupdict().items() if value is not None}


def convert(
    source: Source, out_dir: str | os.PathLike, *, log_format: str | None = None, errors: Errors = "raise"
):
    """Read flow logs and write them as Parquet partitioned by day (``date=YYYY-MM-DD/``), for fast repeated queries.

    Args:
        source: as for :func:`read_flow_logs`.
        out_dir: the output directory (created; existing day partitions are replaced).
        log_format: as for :func:`read_flow_logs`.
        errors: as for :func:`read_flow_logs`.

    Returns:
        The :class:`ReadReport` of the read.
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    report = ReadReport()
    table = read_arrow(_without_output(source, out_dir), log_format=log_format, errors=errors, report=report)
    if "start" not in table.column_names:
        raise FormatError("converting needs the 'start' field to partition by day.")
    day = pc.strftime(
        pc.cast(pc.multiply(table["start"], 1_000_000), pa.timestamp("us", tz="UTC")), "%Y-%m-%d"
    )
    table = table.append_column("date", day)
    ds.write_dataset(
        table,
        out_dir,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("date", pa.string())]), flavor="hive"),
        existing_data_behavior="delete_matching",
        basename_template="part-{i}.parquet",
    )
    return report


def _without_output(source: Source, out_dir: str | os.PathLike) -> Source:
    """``source`` minus the files under ``out_dir`` (an output inside a source directory), so that
    converting again does not read the Parquet written last time back in."""
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    out = Path(out_dir).resolve()
    kept: list[str | os.PathLike] = []
    for item in items:
        path = Path(item)
        if str(item).startswith("s3://") or not path.is_dir():
            kept.append(item)
        elif out == path.resolve() or path.resolve() in out.parents:
            kept.extend(f for f in list_files(path) if out not in f.resolve().parents)
        else:
            kept.append(item)
    return kept
