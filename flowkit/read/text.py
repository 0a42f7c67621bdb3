"""Text flow logs (.log, .log.gz, CloudWatch events).

Two paths: a fast one (ISA-L inflate streamed into Arrow's threaded CSV parser) and an exact one that
reads line by line and names every problem with its line number.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
from isal.igzip_lib import IsalError

from flowkit.errors import FormatError, RecordParseError
from flowkit.read.checks import arrow_type, check_line, values_ok
from flowkit.read.report import Errors, ReadReport
from flowkit.read.sources import CLOUDWATCH_SUFFIXES, Opener
from flowkit.schema import DEFAULT_FORMAT, Field, parse_log_format


def _text_stream(stack: contextlib.ExitStack, opener: Opener, gzipped: bool) -> BinaryIO:
    """Open the file's text (inflating gzip); the stack closes both the file and the inflater."""
    from isal import igzip

    raw = stack.enter_context(opener())
    return stack.enter_context(igzip.IGzipFile(fileobj=raw, mode="rb")) if gzipped else raw


def read_fast(
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
    if bad_rows or not values_ok(table):
        return None
    return table


def read_exact(
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
            message = json.loads(raw)["message"]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise RecordParseError(
                "not a CloudWatch Logs event (a JSON object with a 'message').", path=name, line_number=number
            ) from exc
        if not isinstance(message, str):  # CloudWatch Logs events carry their message as text
            raise RecordParseError(
                f"the event's 'message' is {type(message).__name__} {str(message)[:40]!r}, not the text of a "
                "flow-log record.",
                path=name,
                line_number=number,
                reason="cloudwatch-message",
            )
        lines.append(message.strip())
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
            problem = check_line(line, fields, width)
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
