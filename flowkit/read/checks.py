"""The values a flow-log field may hold: checked over whole columns (fast path) or line by line (exact path)."""

from __future__ import annotations

import pyarrow as pa

from flowkit.errors import RecordParseError
from flowkit.read.report import Errors, ReadReport
from flowkit.schema import ACTIONS, LOG_STATUSES, Field


def arrow_type(f: Field) -> pa.DataType:
    """The Arrow type flowkit reads a field into: the width of its Athena column type."""
    return f.arrow_type


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


def values_ok(table: pa.Table) -> bool:
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


def check_line(line: str, fields: list[Field], width: int) -> tuple[str, str] | None:
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


def drop_bad_rows(name: str, table: pa.Table, errors: Errors, report: ReadReport) -> pa.Table:
    """Parquet rows whose values the text path would reject (a port past 65535, an unknown action):
    an error naming the row, or (``errors="skip"``) dropped and counted once each."""
    import pyarrow.compute as pc

    if values_ok(table):
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
