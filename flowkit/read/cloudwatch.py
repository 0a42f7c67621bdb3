"""Flow-log records as they leave CloudWatch Logs, recognised by content (any file name).

The shapes (each a test in ``tests/read/test_cloudwatch.py``, citing its documentation page):

- log events as JSON lines, ``{"timestamp": ..., "message": "2 123456789012 eni-..."}`` (an export,
  flowkit's simulator);
- a subscription filter's ``DATA_MESSAGE`` envelope (``owner``, ``logGroup``, ``logStream``,
  ``logEvents``), plain or gzip, as Kinesis and Firehose records carry it;
  ``CONTROL_MESSAGE`` envelopes are counted in :attr:`ReadReport.control_messages` and skipped;
- the Lambda event ``{"awslogs": {"data": "<base64 of the gzipped envelope>"}}``;
- Firehose objects: one gzip member per envelope, inflated ``{...}{...}`` with no separator;
- the output of ``aws logs filter-log-events`` and ``aws logs get-log-events`` (``events`` with
  ``timestamp``, ``message``, ``ingestionTime`` and, for filter, ``logStreamName``), pretty-printed
  over many lines, and a bare JSON array of events (``--query events``).

JSON is read as a stream of values: a value on one line is decoded whole; a value over many lines
(CLI output) or larger than :data:`~flowkit.read.checks.MAX_JSON_BYTES` is read member by member
and its ``events``/``logEvents`` element by element, so memory stays bounded and each event keeps
the physical line it starts on. Broken JSON is one rejected line (or value), never a lost file.

Each event's message is one flow-log record line. Its format is ``log_format``; without one, a
message of 14 fields is AWS's default VPC format and one of 36 fields whose second is
``TransitGateway`` the transit gateway default. The event and its envelope add the columns of
:data:`flowkit.schema.EVENT_COLUMNS` (``log_group``, ``log_stream``, ``event_timestamp``, ...).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import pyarrow as pa

from flowkit.errors import FormatError, RecordParseError
from flowkit.read.checks import MAX_JSON_BYTES, header_fields, quote
from flowkit.read.report import Errors, ReadReport
from flowkit.read.sources import Opener, open_stream
from flowkit.read.text import Records, take_line
from flowkit.schema import (
    DEFAULT_FIELDS,
    EVENT_COLUMNS,
    FIELDS,
    TGW_DEFAULT_FIELDS,
    TGW_RESOURCE_TYPE,
    Field,
)

_CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\r\n]*")
_ARRAYS = ("logEvents", "events")  # the members read element by element
_VPC_DEFAULT = [FIELDS[n] for n in DEFAULT_FIELDS]
_TGW_DEFAULT = [FIELDS[n] for n in TGW_DEFAULT_FIELDS]


@dataclass(frozen=True)
class Event:
    """One CloudWatch Logs event and what its envelope says about it."""

    line: int
    message: Any
    timestamp: int | None = None
    ingestion_time: int | None = None
    owner: str | None = None
    group: str | None = None
    stream: str | None = None


@dataclass(frozen=True)
class Bad:
    """A line or JSON value that holds no event: why, and its text."""

    line: int
    reason: str
    message: str
    text: str


class _Broken(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class JsonValues:
    """The JSON values of a text stream (back to back, on lines of their own, or one over many lines),
    as events and bad values. See the module docstring."""

    def __init__(self, stream: BinaryIO, report: ReadReport, limit: int = MAX_JSON_BYTES) -> None:
        self.stream = stream
        self.report = report
        self.limit = limit
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._line = 1  # the physical line of buf[_counted]
        self._counted = 0

    # -- the buffer -----------------------------------------------------------------------------

    def line(self) -> int:
        """The physical line of the current position."""
        self._line += self.buf.count("\n", self._counted, self.pos)
        self._counted = self.pos
        return self._line

    def _more(self, want: int = _CHUNK) -> bool:
        """Read more text (at least ``want`` bytes); False at the end of the stream."""
        if self.eof:
            return False
        self.line()
        data = self.stream.read(max(want, _CHUNK))
        text = self.decoder.decode(data, final=not data)
        self.buf = self.buf[self.pos :] + text
        self._counted -= self.pos
        self.pos = 0
        self.eof = not data
        return bool(data) or bool(text)

    def _space(self) -> bool:
        """Skip blanks; False at the end of the stream."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return True
            if not self._more():
                return False

    def _rest_of_line(self) -> str:
        """Skip to the start of the next line; the skipped text (its start) for a message."""
        head = ""
        while True:
            end = self.buf.find("\n", self.pos)
            if end >= 0:
                head = (head + self.buf[self.pos : end])[:1000]
                self.pos = end + 1
                return head
            head = (head + self.buf[self.pos :])[:1000]
            self.pos = len(self.buf)
            if not self._more():
                return head

    def _decode(self) -> tuple[Any, int]:
        """Decode the value at the position (reading on as needed, up to the limit): (value, end).

        Raises:
            _Broken: broken JSON, or a value past the limit.
        """
        while True:
            try:
                return _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                size = len(self.buf) - self.pos
                if self._incomplete(exc) and not self.eof and size <= self.limit:
                    self._more(size)
                    continue
                line = self.line() + self.buf.count("\n", self.pos, exc.pos)
                if size > self.limit:
                    raise _Broken(
                        line, f"a JSON value larger than {self.limit:,} bytes (the most flowkit reads whole)"
                    ) from None
                raise _Broken(line, f"broken JSON ({exc.msg})") from None

    def _incomplete(self, exc: json.JSONDecodeError) -> bool:
        """Whether more text could complete the value (else the JSON is broken)."""
        if exc.pos >= len(self.buf.rstrip()):
            return True
        # an unterminated string reports where it starts: it may end in text not read yet, unless a
        # line ends first (JSON strings hold no raw line breaks)
        return exc.msg.startswith("Unterminated string") and "\n" not in self.buf[exc.pos :]

    def _expect(self, chars: str) -> str:
        if not self._space():
            raise _Broken(self.line(), "the JSON ends in the middle of a value")
        char = self.buf[self.pos]
        if char not in chars:
            raise _Broken(
                self.line(), f"broken JSON (expected {' or '.join(map(repr, chars))}, found {char!r})"
            )
        self.pos += 1
        return char

    # -- values -----------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Event | Bad]:
        while self._space():
            line = self.line()
            start = self.pos
            if self.buf[start] not in "{[":
                text = self._rest_of_line()
                yield Bad(line, "bad-json", "not JSON: CloudWatch Logs events, envelopes and CLI output are "
                          "JSON objects", text)  # fmt: skip
                continue
            try:
                value, end = self._decode()
            except _Broken as exc:
                if getattr(self.stream, "error", None):  # the gzip breaks here: the caller says so
                    return
                one_line = self.buf.find("\n", self.pos, self.pos + self.limit) < 0 or exc.line == line
                if one_line and exc.message.startswith("broken"):  # JSON lines: that line is rejected
                    yield Bad(line, "bad-json", exc.message, self._rest_of_line())
                    continue
                yield from self._by_member(line)  # a value over many lines or past the limit
                continue
            if "\n" in self.buf[self.pos : end]:
                yield from self._by_member(line)  # to know the line each event starts on
                continue
            self.pos = end
            yield from dispatch(value, line, self.report)

    def _by_member(self, line: int) -> Iterator[Event | Bad]:
        """Read the value at the position member by member, arrays of events element by element."""
        try:
            if self.buf[self.pos] == "[":
                self.pos += 1
                for element_line, element in self._elements():
                    yield from dispatch(element, element_line, self.report)
                return
            self.pos += 1
            head: dict[str, Any] = {}
            arrays = False
            if self._expect('"}') == "}":
                yield from dispatch(head, line, self.report)
                return
            self.pos -= 1
            while True:
                key, self.pos = self._decode()
                self._expect(":")
                self._space()
                if key in _ARRAYS and self.buf[self.pos] == "[":
                    arrays = True
                    self.pos += 1
                    yield from self._events_of(head, key)
                else:
                    head[key], self.pos = self._decode()
                if self._expect(",}") == "}":
                    break
                self._expect('"')
                self.pos -= 1
            if not arrays:
                yield from dispatch(head, line, self.report)
        except _Broken as exc:
            if not getattr(self.stream, "error", None):  # else the gzip breaks here: the caller says so
                yield Bad(exc.line, "bad-json", exc.message, self._rest_of_line())

    def _elements(self) -> Iterator[tuple[int, Any]]:
        """The elements of the array whose ``[`` was just read, with the line each starts on."""
        if not self._space():
            raise _Broken(self.line(), "the JSON ends in the middle of an array")
        if self.buf[self.pos] == "]":
            self.pos += 1
            return
        while True:
            self._space()
            line = self.line()
            element, self.pos = self._decode()
            yield line, element
            if self._expect(",]") == "]":
                return

    def _events_of(self, head: dict[str, Any], key: str) -> Iterator[Event | Bad]:
        if key == "logEvents":
            kind = head.get("messageType")
            if kind == "CONTROL_MESSAGE":
                self.report.control_messages += 1
                for _ in self._elements():
                    pass
                return
            meta = _envelope(head)
            for line, element in self._elements():
                yield event(element, line, **meta)
            return
        for line, element in self._elements():  # CLI output: the events say their stream
            yield event(element, line)


def _envelope(value: dict[str, Any]) -> dict[str, str | None]:
    return {
        "owner": _text(value.get("owner")),
        "group": _text(value.get("logGroup")),
        "stream": _text(value.get("logStream")),
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def dispatch(value: Any, line: int, report: ReadReport, depth: int = 0) -> Iterator[Event | Bad]:
    """The events of one whole JSON value, whatever its shape (see the module docstring)."""
    if isinstance(value, list):
        for item in value:
            yield from dispatch(item, line, report, depth)
        return
    if not isinstance(value, dict):
        yield Bad(
            line,
            "bad-event",
            f"a JSON {type(value).__name__}, not a CloudWatch Logs event",
            quote(repr(value)),
        )
        return
    if "awslogs" in value:
        yield from _lambda(value["awslogs"], line, report, depth)
    elif "messageType" in value:
        kind = value["messageType"]
        if kind == "CONTROL_MESSAGE":
            report.control_messages += 1
        elif kind != "DATA_MESSAGE" or not isinstance(value.get("logEvents"), list):
            yield Bad(line, "bad-event", f"a subscription envelope of type {quote(repr(kind), 40)} with no "
                      "logEvents list (expected DATA_MESSAGE or CONTROL_MESSAGE)", "")  # fmt: skip
        else:
            meta = _envelope(value)
            for item in value["logEvents"]:
                yield event(item, line, **meta)
    elif isinstance(value.get("events"), list):
        for item in value["events"]:
            yield event(item, line)
    elif "message" in value:
        yield event(value, line)
    else:
        keys = ", ".join(map(repr, list(value)[:5]))
        yield Bad(line, "bad-event", f"a JSON object with no 'message', 'logEvents', 'events' or 'awslogs' "
                  f"(its keys: {quote(keys, 80)}): not CloudWatch Logs output", "")  # fmt: skip


def _lambda(payload: Any, line: int, report: ReadReport, depth: int) -> Iterator[Event | Bad]:
    """A Lambda subscription event: ``awslogs.data`` is base64 of the gzipped envelope."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, str) or depth > 0:
        yield Bad(line, "bad-event", "'awslogs' holds no 'data' string (base64 of a gzipped envelope)", "")
        return
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        yield Bad(line, "bad-event", "'awslogs.data' is not base64", quote(data, 60))
        return
    try:
        inner = _inflate(raw, MAX_JSON_BYTES) if raw[:2] == b"\x1f\x8b" else raw
    except (zlib.error, ValueError) as exc:
        yield Bad(line, "bad-event", f"'awslogs.data' does not inflate ({exc})", "")
        return
    for item in JsonValues(io.BytesIO(inner), report):  # the envelope(s) inside: events keep this line
        if isinstance(item, Bad):
            yield Bad(line, item.reason, f"in 'awslogs.data': {item.message}", item.text)
        else:
            yield Event(line, item.message, item.timestamp, item.ingestion_time, item.owner, item.group,
                        item.stream)  # fmt: skip


def _inflate(data: bytes, limit: int) -> bytes:
    """Every gzip member of ``data``, refusing more than ``limit`` bytes of output (a bomb)."""
    out = []
    size = 0
    while data:
        inflater = zlib.decompressobj(wbits=31)
        piece = inflater.decompress(data, limit + 1 - size)
        size += len(piece)
        if size > limit or inflater.unconsumed_tail:
            raise ValueError(f"it inflates to more than {limit:,} bytes")
        out.append(piece)
        data = inflater.unused_data
        if not inflater.eof:
            raise zlib.error("truncated gzip")
    return b"".join(out)


def event(item: Any, line: int, **meta: str | None) -> Event | Bad:
    """One log event of an envelope or CLI output, checked."""
    if not isinstance(item, dict) or "message" not in item:
        return Bad(line, "bad-event", "a log event is a JSON object with a 'message'", quote(repr(item)))
    times = []
    for key in ("timestamp", "ingestionTime"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            return Bad(line, "bad-event", f"the event's {key} must be milliseconds since 1970, not "
                       f"{quote(repr(value), 40)}", quote(repr(item)))  # fmt: skip
        times.append(value)
    stream = meta.get("stream") or _text(item.get("logStreamName")) or _text(item.get("logStream"))
    group = meta.get("group") or _text(item.get("logGroupName")) or _text(item.get("logGroup"))
    return Event(line, item["message"], times[0], times[1], meta.get("owner"), group, stream)


# the columns events add (flowkit.schema.EVENT_COLUMNS) and the Event attribute each comes from
_ATTRIBUTES = {
    "log_owner": "owner",
    "log_group": "group",
    "log_stream": "stream",
    "event_timestamp": "timestamp",
    "ingestion_time": "ingestion_time",
}
_EXTRA = {name: column.arrow_type for name, column in EVENT_COLUMNS.items()}


def _extra(e: Event) -> tuple:
    return tuple(getattr(e, _ATTRIBUTES[name]) for name in _EXTRA)


def default_format(tokens: list[str]) -> list[Field] | None:
    """The default format a headerless message is in, by its width: AWS's VPC default (14 fields) or
    the transit gateway default (36 fields, the second ``TransitGateway``); None otherwise."""
    if len(tokens) == len(_VPC_DEFAULT):
        return _VPC_DEFAULT
    if len(tokens) == len(_TGW_DEFAULT) and tokens[1] == TGW_RESOURCE_TYPE:
        return _TGW_DEFAULT
    return None


def read_cloudwatch(
    name: str,
    opener: Opener,
    gzipped: bool,
    fmt: list[Field] | None,
    errors: Errors,
    unknown: str,
    report: ReadReport,
) -> pa.Table:
    """Read the flow-log records of a CloudWatch Logs JSON file (any shape of the module docstring)."""
    records = Records(name, errors, report, extra=_EXTRA)
    if fmt is not None:
        records.use(fmt)
    with contextlib.ExitStack() as stack:
        stream = open_stream(stack, opener, gzipped, salvage=True)
        values = JsonValues(stream, report)
        for item in values:
            if isinstance(item, Bad):
                records.reject(item.line, item.reason, item.message, item.text)
                continue
            _message(records, item, fmt, unknown)
        damage = getattr(stream, "error", None)
        if damage:
            message = (
                f"{damage}, after line {values.line()}. Download the file again, or read it with "
                "errors='skip' to keep the events before the damage."
            )
            if errors == "raise":
                raise RecordParseError(message, path=name, line_number=values.line(), reason="bad-gzip")
            report.skip_file(name, message)
    table = records.table()
    if table is None:  # no events at all (e.g. only a CONTROL_MESSAGE): no records, no error
        fields = fmt or _VPC_DEFAULT
        table = pa.table({f.column: pa.array([], f.arrow_type) for f in fields})
    return table


def _message(records: Records, e: Event, fmt: list[Field] | None, unknown: str) -> None:
    """Check one event's message and take it as a record line (or a header)."""
    if not isinstance(e.message, str):
        kind = _KINDS.get(type(e.message), f"a {type(e.message).__name__}")
        records.reject(e.line, "bad-event", f"the event's message is {kind}, not a flow-log record line",
                       quote(repr(e.message)))  # fmt: skip
        return
    line = e.message.strip()
    if "\n" in line or "\r" in line:
        records.reject(e.line, "line-break", "the event's message holds a line break: one event is one "
                       "flow-log record, so this is no record (not two)", line)  # fmt: skip
        return
    if "\ufffd" in line:
        records.reject(e.line, "bad-encoding", "the event's message is not UTF-8 text", line)
        return
    if not line:
        records.reject(e.line, "bad-event", "the event's message is empty", line)
        return
    if fmt is None and not ("a" <= line[:1] <= "z"):  # a record: the format by its width
        tokens = line.split()
        fields = records.fields if records.fields is not None and len(records.fields) == len(tokens) else None
        fields = fields or default_format(tokens)
        if fields is None:
            records.reject(e.line, "field-count", _no_format(len(tokens)), line)
            return
        records.use(fields)
    elif records.fields is None and not _is_header(line, unknown):
        records.reject(e.line, "field-count", _no_format(len(line.split())), line)
        return
    take_line(records, e.line, line, unknown, _extra(e))


_KINDS = {type(None): "null", bool: "true/false", int: "a number", float: "a number", dict: "a JSON object",
          list: "a JSON array"}  # fmt: skip


def _is_header(line: str, unknown: str) -> bool:
    try:
        return header_fields(line, unknown) is not None  # type: ignore[arg-type]
    except FormatError:
        return True  # take_line says what is wrong with it


def _no_format(width: int) -> str:
    return (
        f"CloudWatch Logs events carry no header and these records have {width} fields, not the "
        f"{len(_VPC_DEFAULT)} of AWS's default format (nor the {len(_TGW_DEFAULT)} of the transit gateway "
        "default): pass the flow log's format as log_format= (--log-format on the command line)"
    )
