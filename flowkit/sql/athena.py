"""Athena SQL as Athena's API takes it: ``:name`` placeholders to ``?`` with bound values, and time bounds.

:func:`to_qmark` turns each ``:name`` placeholder in a ``WHERE`` clause into ``?`` and returns
the values, in order, as the SQL literals Athena's ``ExecutionParameters`` take. Athena binds
parameters only there; a value elsewhere (``LIMIT``, ``HAVING``) is validated (a whole number, or
by its parameter type) and written into the text. :func:`bound_by_time` wraps the flow-log table in a filtered subquery (partition keys plus
the record's ``start``) so Athena prunes partitions; its bounds are placeholders too.

Examples:
    >>> to_qmark("SELECT * FROM t WHERE action = :a AND dstport = :port", {"a": "REJECT", "port": 22})
    ('SELECT * FROM t WHERE action = ? AND dstport = ?', ["'REJECT'", '22'])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flowkit.errors import ParameterError, QueryError
from flowkit.timeutil import parse_utc

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: How far after its start a record may land in a later partition (the file is named by the
#: records' end time, and a 600 s aggregation interval plus the 5-minute file window apply).
_LATE = timedelta(minutes=20)


def sql_literal(name: str, value: Any) -> str:
    """One parameter value as the SQL literal an Athena execution parameter holds.

    Raises:
        ParameterError: for ``None``, naive datetimes, non-finite floats and other types.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"parameter {name!r}: {value!r} is not a finite number.")
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ParameterError(f"parameter {name!r}: give a timezone-aware datetime (UTC), not {value!r}.")
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return f"TIMESTAMP '{text}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if value is None:
        raise ParameterError(f"parameter {name!r} is None: give a value (NULL cannot be bound).")
    raise ParameterError(
        f"parameter {name!r}: {type(value).__name__} values cannot be bound; "
        "use str, int, float, date or datetime."
    )


def to_qmark(
    sql: str, params: Mapping[str, Any] | None = None, *, kinds: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """Replace ``:name`` placeholders with ``?`` and collect their values as SQL literals, in order.

    Athena binds execution parameters only in a ``WHERE`` clause ("? parameters can be placed only
    in the WHERE clause", https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html).
    A placeholder anywhere else (``LIMIT``, ``OFFSET``, ``HAVING``, the select list, ``JOIN ... ON``,
    ``ORDER BY``) is validated and written into the text instead: a ``LIMIT``/``OFFSET`` value must be
    a whole number of 0 or more; any other value is checked by its parameter type (``kinds``, the
    validators of :mod:`flowkit.sql.params`), or, without one, must be a number, a date, a datetime or
    plain text (:func:`flowkit.sql.params.string`: no quotes, spaces or semicolons). Every placeholder
    in a ``WHERE`` clause stays a bound ``?``.

    Placeholders inside string literals, quoted identifiers and comments are left alone, and so
    are ``::`` casts.

    Args:
        sql: Athena SQL with ``:name`` placeholders.
        params: the values.
        kinds: parameter name -> type (a :data:`~flowkit.sql.params.VALIDATORS` key), for values
            written into the text.

    Returns:
        The text (``?`` for every bound value) and the bound values as SQL literals, in order.

    Raises:
        ParameterError: when a placeholder has no value, a value has no placeholder, the query
            already contains ``?``, or a value outside ``WHERE`` fails its check.
        QueryError: when a query with parameters does not parse (flowkit cannot tell where they sit).

    Examples:
        >>> to_qmark("SELECT * FROM t WHERE action = :a LIMIT :n", {"a": "REJECT", "n": 10})
        ('SELECT * FROM t WHERE action = ? LIMIT 10', ["'REJECT'"])
    """
    params = dict(params or {})
    pieces = _pieces(sql)
    names = [piece for piece in pieces if isinstance(piece, _Name)]
    for piece in names:
        if piece.name not in params:
            raise ParameterError(f"query parameter :{piece.name} has no value: pass {piece.name}=... .")
    unused = sorted(set(params) - {piece.name for piece in names})
    if unused:
        raise ParameterError(
            f"unknown query parameter(s) {', '.join(unused)}: the query has no :{unused[0]}."
        )
    clauses = _clauses(pieces) if names else []
    out: list[str] = []
    values: list[str] = []
    k = 0
    for piece in pieces:
        if not isinstance(piece, _Name):
            out.append(piece)
            continue
        clause = clauses[k]
        k += 1
        value = params[piece.name]
        if clause == "where":
            values.append(sql_literal(piece.name, value))
            out.append("?")
        else:
            out.append(_inline(piece.name, value, clause, (kinds or {}).get(piece.name)))
    return "".join(out), values


class _Name(str):
    """A ``:name`` placeholder found by :func:`_pieces` (its text is the name)."""

    @property
    def name(self) -> str:
        return str(self)


def _pieces(sql: str) -> list[str]:
    """The query as text chunks and :class:`_Name` placeholders (quotes, comments and ``::`` skipped)."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # doubled quote
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif sql.startswith("::", i):
            out.append("::")
            i += 2
        elif ch == ":" and (m := _NAME.match(sql, i + 1)):
            out.append(_Name(m.group(0)))
            i = m.end()
        elif ch == "?":
            raise ParameterError("write parameters as :name placeholders, not '?'.")
        else:
            out.append(ch)
            i += 1
    return out


_MARK = "__flowkit_param_"


def _clauses(pieces: list[str]) -> list[str]:
    """The clause each placeholder sits in, in order: ``where`` or another (``limit``, ``having``, ...).

    A placeholder belongs to the clause of the nearest enclosing query (SELECT, UNION, ...): one in
    a subquery's ``LIMIT`` inside a ``WHERE`` is in a ``LIMIT``; one in a subquery's ``WHERE`` inside
    ``FROM`` is in a ``WHERE``.
    """
    import sqlglot
    from sqlglot import exp

    marked: list[str] = []
    k = 0
    for piece in pieces:
        if isinstance(piece, _Name):
            marked.append(f":{_MARK}{k}")
            k += 1
        else:
            marked.append(piece)
    try:
        tree = sqlglot.parse_one("".join(marked), read="athena")
    except sqlglot.errors.ParseError as exc:
        raise QueryError(
            "the query does not parse as Athena SQL, so flowkit cannot tell which parameters sit in a "
            f"WHERE clause (the only place Athena binds them): {str(exc).splitlines()[0]}"
        ) from None
    found: dict[int, str] = {}
    for node in tree.find_all(exp.Placeholder):
        name = str(node.this or "")
        if not name.startswith(_MARK):
            continue
        child, parent = node, node.parent
        while parent is not None and not isinstance(parent, exp.Query):
            child, parent = parent, parent.parent
        found[int(name[len(_MARK) :])] = child.arg_key if parent is not None else "select"
    if len(found) != k:  # pragma: no cover - the parser dropped a placeholder
        raise QueryError("flowkit could not place every parameter of the query; write the values in.")
    return [found[i] for i in range(k)]


_CLAUSE_NAMES = {
    "expressions": "the select list",
    "joins": "a JOIN condition",
    "group": "GROUP BY",
    "order": "ORDER BY",
    "from": "FROM",
    "select": "a statement that is not a query",
}


def _inline(name: str, value: Any, clause: str, kind: str | None) -> str:
    """A value Athena cannot take as an execution parameter, checked, as the literal written in its place."""
    from flowkit.sql.params import integer, string, validate

    where = _CLAUSE_NAMES.get(clause, clause.upper())
    if clause in ("limit", "offset"):
        try:
            number = None if isinstance(value, float) else integer(value)
        except ParameterError:
            number = None
        if number is None or number < 0:
            raise ParameterError(
                f"parameter {name!r} sits in {where}, which Athena cannot bind: give a whole number of 0 "
                f"or more, not {value!r}."
            )
        return str(number)
    if kind is not None:
        value = validate(kind, value, name=name)
    elif isinstance(value, str):
        try:
            value = string(value)
        except ParameterError as exc:
            raise ParameterError(
                f"parameter {name!r} sits in {where}, which Athena cannot bind, so it is written into the "
                f"query: {exc}"
            ) from None
    return sql_literal(name, value)


def _utc(name: str, value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)  # Unix seconds, as the local engines take them
    if isinstance(value, str):
        try:
            value = parse_utc(value)
        except ValueError:
            raise ParameterError(
                f"{name}={value!r} is not an ISO date-time (e.g. 2024-05-01T00:00:00Z)."
            ) from None
    if not isinstance(value, datetime):
        raise ParameterError(
            f"{name} must be a datetime, ISO string or Unix seconds, not {type(value).__name__}."
        )
    if value.tzinfo is None:
        raise ParameterError(f"{name} must be timezone-aware (UTC), not {value!r}.")
    return value.astimezone(UTC)


def time_bounds(
    start: datetime | str | None, end: datetime | str | None
) -> tuple[datetime | None, datetime | None]:
    """Check and normalise a ``[start, end)`` window to UTC datetimes.

    Raises:
        ParameterError: on naive or unparsable values, or ``start >= end``.
    """
    lo, hi = _utc("start", start), _utc("end", end)
    if lo is not None and hi is not None and lo >= hi:
        raise ParameterError(f"start ({lo.isoformat()}) must be before end ({hi.isoformat()}).")
    return lo, hi


def partition_filter(
    partitions: list[str], lo: datetime | None, hi: datetime | None, *, max_days: int = 366
) -> tuple[str, dict[str, Any]]:
    """A predicate on the table's time partition keys for ``[lo, hi)``, with named parameters.

    Understands the layouts flowkit's DDL produces: a ``day`` key as ``yyyy/MM/dd`` (plain S3
    layout), a ``date`` key (``yyyy-MM-dd``), or Hive ``year``/``month``/``day`` keys (``hour``
    is not filtered). Returns ``("", {})`` when the table has none of them.
    """
    keys = [p.lower() for p in partitions]
    first = lo.date() if lo else None
    last = (hi + _LATE).date() if hi else None
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if "year" in keys and "month" in keys and "day" in keys:
        if first is None or last is None:
            return "", {}
        days = (last - first).days + 1
        if days > max_days:
            raise ParameterError(f"a time window of {days} days is too long to prune by day: narrow it.")
        terms = []
        for k in range(days):
            d = first + timedelta(days=k)
            params |= {f"_fk_y{k}": f"{d:%Y}", f"_fk_m{k}": f"{d:%m}", f"_fk_d{k}": f"{d:%d}"}
            terms.append(f'("year" = :_fk_y{k} AND "month" = :_fk_m{k} AND "day" = :_fk_d{k})')
        return "(" + " OR ".join(terms) + ")", params
    for key, fmt in (("day", "%Y/%m/%d"), ("date", "%Y-%m-%d")):
        if key in keys:
            if first is not None:
                conditions.append(f'"{key}" >= :_fk_first')
                params["_fk_first"] = first.strftime(fmt)
            if last is not None:
                conditions.append(f'"{key}" <= :_fk_last')
                params["_fk_last"] = last.strftime(fmt)
            break
    return " AND ".join(conditions), params


def bound_by_time(
    sql: str, table: str, partitions: list[str], start: datetime | str | None, end: datetime | str | None
) -> tuple[str, dict[str, Any]]:
    """Restrict every reference to ``table`` in ``sql`` to records starting in ``[start, end)``.

    The table is replaced by ``(SELECT * FROM table WHERE <partition keys> AND "start" >= ...
    AND "start" < ...) AS table``; Athena pushes the partition predicate into the scan, so only the
    days in the window are read.

    Returns:
        The new SQL (still with ``:name`` placeholders) and the extra named parameters.

    Raises:
        ParameterError: on a bad window; QueryError if the query does not read ``table``.
    """
    lo, hi = time_bounds(start, end)
    if lo is None and hi is None:
        return sql, {}
    import sqlglot
    from sqlglot import exp

    predicate, params = partition_filter(partitions, lo, hi)
    conditions = [predicate] if predicate else []
    if lo is not None:
        conditions.append('"start" >= :_fk_start')
        params["_fk_start"] = int(lo.timestamp())
    if hi is not None:
        conditions.append('"start" < :_fk_end')
        params["_fk_end"] = math.ceil(hi.timestamp())
    try:
        tree = sqlglot.parse_one(sql, read="athena")
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"cannot add time bounds, the query does not parse: {exc}") from None
    found = False

    def replace(node: exp.Expression) -> exp.Expression:
        nonlocal found
        if isinstance(node, exp.Table) and node.name.lower() == table.lower():
            found = True
            bare = node.copy()
            bare.set("alias", None)
            inner = sqlglot.parse_one(
                f"SELECT * FROM {bare.sql(dialect='athena')} WHERE {' AND '.join(conditions)}", read="athena"
            )
            return exp.Subquery(
                this=inner, alias=exp.TableAlias(this=exp.to_identifier(node.alias or node.name))
            )
        return node

    tree = tree.transform(replace, copy=True)
    if not found:
        raise QueryError(f"cannot add time bounds: the query does not read the table {table!r}.")
    return tree.sql(dialect="athena"), params
