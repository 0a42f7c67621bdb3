"""The reader's rules: what a flow-log line and its values may be, in one place for every path.

The fast path (Arrow's CSV parser) checks whole columns with :func:`values_ok` and hands the file
to the exact path at the first doubt; the exact path checks each line with :func:`check_line`;
Parquet rows go through :func:`drop_bad_rows`. So a line's fate never depends on its neighbours.
The local engine's readers (issue 16) take their rules from here too.

The rules (the reason a rejected line is counted under is in brackets):

1. A record is one line of UTF-8 text [``bad-encoding``] of at most :data:`MAX_LINE_BYTES` bytes
   [``line-too-long``: the line is skipped without being kept whole]. Line numbers are physical
   lines of the (inflated) file, header and blank lines included.
2. Fields are separated by runs of spaces or tabs; a record has exactly as many fields as its
   format [``field-count``]. ``-`` is null in any field.
3. A number is ASCII digits and nothing else: no sign, no ``0x``, no ``_``, no exponent or decimal
   point [``bad-number``]; so ``-10``, ``+5``, ``0x1bb`` and ``1e3`` are refused on every path,
   negative packets and bytes included.
4. A number fits its field [``out-of-range``]: ports 0-65535; protocol, tcp-flags and traffic-path
   0-255; start and end up to 9999-12-31; other counters up to their column type (int32, int64).
5. ``action`` is ACCEPT or REJECT [``bad-action``]; ``log-status`` is OK, NODATA or SKIPDATA
   [``bad-log-status``].
6. A blank line (only whitespace) is no record and no error: it is counted in
   :attr:`ReadReport.blank_lines`.
7. A line of field names is a header, at the top of a file or anywhere in it (files concatenated
   from several objects): it is no record, and it sets the format of the lines after it. A line of
   field names with an unknown one is refused [``bad-header``] unless unknown fields are kept.
8. A CloudWatch Logs event's message is text [``bad-event``] and one line: a line break inside
   a message makes it one rejected record [``line-break``], never two records. Broken JSON is one
   rejected line or value [``bad-json``], never a lost file; CONTROL_MESSAGE envelopes carry no
   records and are counted in :attr:`ReadReport.control_messages`.
9. An error or report quotes at most :data:`QUOTE_CHARS` characters of a line.
10. A file or folder that cannot be read (permissions, a broken gzip, a binary file) is an error
    with ``errors="raise"`` and a skipped file with its reason (:attr:`ReadReport.skipped_files`)
    with ``errors="skip"``, never silently left out.
"""

from __future__ import annotations

import re
from typing import Literal

import pyarrow as pa

from flowkit.errors import RecordParseError
from flowkit.read.report import QUOTE_CHARS, Errors, ReadReport
from flowkit.schema import ACTIONS, LOG_STATUSES, Field, find_field, parse_log_format

#: The longest line the reader takes (bytes): longer ones are rejected as ``line-too-long``. Flow-log
#: records are at most a few KiB, even with every version-11 tag field.
MAX_LINE_BYTES = 1 << 20

#: The largest JSON value (an event, an envelope, a CLI output's member) the reader decodes whole.
#: A subscription envelope is one Kinesis or Firehose record (at most 1 MiB); CLI output of any size
#: is read event by event.
MAX_JSON_BYTES = 16 << 20

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

# what the fast path cannot judge once Arrow has parsed it: Arrow reads 0x1bb as 443 (rule 3); a
# blank line, which Arrow reads as a record of nulls (rule 6), is found in the table (blank_rows)
_FAST_PATH_DOUBTS = (b"0x", b"0X")

# a token that may be a field name in a header line (hyphenated or Athena spelling, lower case)
_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")


def arrow_type(f: Field) -> pa.DataType:
    """The Arrow type flowkit reads a field into: the width of its Athena column type."""
    return f.arrow_type


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was when cut (rule 9).

    Examples:
        >>> quote("x" * 1000, 10)
        'xxxxxxxxxx... (1000 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def top_of(f: Field) -> int | None:
    """The largest value a number field may hold (rule 4)."""
    return _RANGES.get(f.column, _TYPE_MAX.get(f.type))


def fast_path_doubts(block: bytes) -> bool:
    """Whether raw text holds what Arrow would parse but the rules refuse (``0x1bb``): the fast path
    then hands the file to the exact path.

    A one-byte search (memchr) for ``x`` comes first: flow-log text seldom has one, and the
    two-byte searches cost a scan each of every block (a quarter of the fast path's time).
    """
    if b"x" not in block and b"X" not in block:
        return False
    return any(doubt in block for doubt in _FAST_PATH_DOUBTS)


def blank_rows(table: pa.Table) -> bool:
    """Whether Arrow read a blank line as a record (every column null), which the rules count apart
    (rule 6): the fast path then hands the file to the exact path. Free when a column has no null."""
    import pyarrow.compute as pc

    if table.num_rows == 0 or table.num_columns == 0:
        return False
    if any(column.null_count == 0 for column in table.columns):
        return False
    every = pc.is_null(table.column(0))
    for column in table.columns[1:]:
        every = pc.and_(every, pc.is_null(column))
    return bool(pc.any(every).as_py())


def values_ok(table: pa.Table) -> bool:
    """Whether every number is non-negative and in range, and every action/status known (rules 3-5,
    one pass per column)."""
    import pyarrow.compute as pc

    for name, column in zip(table.column_names, table.columns, strict=True):
        if not pa.types.is_integer(column.type):
            continue
        low, high = pc.min_max(column).values()
        if not low.is_valid:
            continue
        field = find_field(name)
        top = _RANGES.get(name, _TYPE_MAX["int64"] if field is None else top_of(field))
        if low.as_py() < 0 or (top is not None and high.as_py() > top):
            return False
    for column, allowed in _ENUMS.items():
        if (
            column in table.column_names
            and not set(pc.unique(table[column]).drop_null().to_pylist()) <= allowed
        ):
            return False
    return True


def check_line(line: str, fields: list[Field], width: int) -> tuple[str, str] | None:
    """The first rule a record line breaks, as ``(reason, message)``, or ``None`` (rules 2-5)."""
    tokens = line.split()
    if len(tokens) != width:
        return "field-count", f"expected {width} fields (by the header/format), found {len(tokens)}"
    for f, token in zip(fields, tokens, strict=True):
        if token == "-":
            continue
        if f.is_numeric:
            if not (token.isascii() and token.isdigit()):
                return (
                    "bad-number",
                    f"field {f.name!r} must be a whole number or '-', not {quote(token, 40)!r}",
                )
            top = top_of(f)
            digits = token.lstrip("0") or "0"  # compared by length first: int() of 5000 digits raises
            if top is not None and (len(digits) > len(str(top)) or int(digits) > top):
                return "out-of-range", f"field {f.name!r} must be 0-{top}, not {quote(token, 40)}"
        elif f.column in _ENUMS and token not in _ENUMS[f.column]:
            allowed = ", ".join(sorted(_ENUMS[f.column]))
            return (
                f"bad-{f.name}",
                f"field {f.name!r} must be one of {allowed} or '-', not {quote(token, 40)!r}",
            )
    return None


def _numbers_up_to(top: int) -> str:
    """A regular expression for the decimal numbers 0..top (leading zeros allowed); for tops other
    than 255 and 65535 a subset: the numbers with fewer digits than ``top``, which all fit."""
    if top == 65535:
        return r"0*(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
    if top == 255:
        return r"0*(?:[0-9]{1,2}|1[0-9]{2}|2[0-4][0-9]|25[0-5])"
    return rf"0*[0-9]{{1,{len(str(top)) - 1}}}"


def line_pattern(fields: list[Field]) -> str:
    """A regular expression (Python and RE2) that a record line of these fields fully matches only if
    rules 1-5 accept it: fields split by one space, numbers in range, known actions and statuses,
    other text printable ASCII.

    It is stricter than the rules (a tab between fields, a 12-digit ``start``, non-ASCII text do not
    match), never looser: a line that does not match may still be good, and goes to the exact path,
    which decides. The local engine checks files with it before DuckDB reads them in place.

    Examples:
        >>> import re
        >>> fields = parse_log_format("version dstport action")
        >>> [bool(re.fullmatch(line_pattern(fields), line)) for line in ("2 443 ACCEPT", "2 0x1bb ACCEPT", "2 - -")]
        [True, False, True]
        >>> bool(re.fullmatch(line_pattern(fields), "2 70000 ACCEPT")), bool(re.fullmatch(line_pattern(fields), "2 443 MAYBE"))
        (False, False)
    """
    tokens = []
    for f in fields:
        if f.is_numeric:
            tokens.append(f"(?:{_numbers_up_to(top_of(f) or _TYPE_MAX['int64'])}|-)")
        elif f.column in _ENUMS:
            tokens.append("(?:" + "|".join(sorted(_ENUMS[f.column])) + "|-)")
        else:
            tokens.append(r"[!-~]+")
    return " ".join(tokens)


def header_fields(line: str, unknown: Literal["raise", "keep"]) -> list[Field] | None:
    """The fields a header line names, or ``None`` when the line is not a header (rule 7).

    A header is a line of field names (any spelling of :func:`~flowkit.schema.get_field`), at
    least one of them known. With ``unknown="raise"`` a line of names with an unknown one raises
    :class:`~flowkit.errors.FormatError` (naming the closest known field); with ``"keep"`` the
    unknown ones are kept as text fields.

    Examples:
        >>> [f.column for f in header_fields("version srcaddr dstport", "raise")]
        ['version', 'srcaddr', 'dstport']
        >>> header_fields("2 123456789012 eni-0a1b2c3d4e5f67890", "raise") is None
        True
    """
    tokens = line.split()
    if not tokens or not ("a" <= tokens[0][0] <= "z"):  # records start with a digit, '-' or a name
        return None
    known = [find_field(token) for token in tokens]
    if all(known):
        return parse_log_format(line)  # repeated names are refused there
    if not any(known) or not all(_NAME.fullmatch(token) for token in tokens):
        return None
    return parse_log_format(line, unknown=unknown)


def drop_bad_rows(name: str, table: pa.Table, errors: Errors, report: ReadReport) -> pa.Table:
    """Parquet rows whose values the text path would reject (a negative or out-of-range number, an
    unknown action): an error naming the row, or (``errors="skip"``) dropped and counted once each."""
    import pyarrow.compute as pc

    if values_ok(table):
        return table
    checks = []
    for column in table.column_names:
        values = table[column]
        if pa.types.is_integer(values.type):
            field = find_field(column)
            top = _RANGES.get(column, _TYPE_MAX["int64"] if field is None else top_of(field))
            checks.append((column, pc.or_(pc.less(values, 0), pc.greater(values, top)), f"0-{top}"))
    for column, allowed in _ENUMS.items():
        if column in table.column_names:
            unknown = pc.invert(pc.is_in(table[column], value_set=pa.array(sorted(allowed))))
            checks.append((column, unknown, "one of " + ", ".join(sorted(allowed)) + " or '-'"))
    problems: dict[int, str] = {}  # row -> the first problem found in it
    for column, bad, allowed in checks:
        bad = pc.and_(pc.fill_null(bad, False), pc.is_valid(table[column]))
        for row in pc.indices_nonzero(bad).to_pylist():
            problems.setdefault(
                row, f"field {column!r} must be {allowed}, not {quote(repr(table[column][row].as_py()), 40)}"
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
