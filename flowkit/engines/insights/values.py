"""Logs Insights values in SQL: the dynamic types, conversions, comparisons and sort order.

Logs Insights has no declared schema: a value that looks like a number acts as one. The compiler
knows a static type for every expression (a flow-log column is a number or a string, a ``parse``
result is a string, a literal is what it looks like) and uses these helpers to turn the language's
rules into DuckDB expressions, built with sqlglot so no query text is ever pasted into SQL:

- arithmetic reads strings as numbers (non-numeric strings are null);
- ``=`` and ``!=`` are numeric-aware (``"200" = 200`` is true); ``<`` and ``>`` compare numbers
  numerically and other strings in the natural order of the spec's section 3.5;
- a comparison with a missing value is false (so is its ``!=``);
- booleans used as values are ``1``/``0``;
- ``sort`` puts non-numbers before numbers and sorts non-numbers naturally (``a2`` before ``a10``).

Timestamps are carried as epoch milliseconds (type ``ts``) and become datetimes only in the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

NUM, STR, BOOL, TS, NULL = "num", "str", "bool", "ts", "null"
_NUMERIC_TEXT = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")
_NUMERICISH = (NUM, TS, BOOL)


@dataclass(frozen=True)
class Typed:
    """A compiled expression, its static type, and its Python value when it is a literal."""

    sql: exp.Expression
    type: str
    literal: object = None


def literal(value: object) -> Typed:
    """A string or number literal as a typed SQL expression."""
    if isinstance(value, bool):
        return Typed(exp.true() if value else exp.false(), BOOL)
    if isinstance(value, int | float):
        return Typed(exp.Literal.number(value), NUM, value)
    return Typed(exp.Literal.string(str(value)), STR, str(value))


NULL_VALUE = Typed(exp.Null(), NULL)


def is_numeric_text(text: object) -> bool:
    """Whether a string reads as a number (``"200"``, ``"1.5"``, ``"-3e2"``)."""
    return isinstance(text, str) and bool(_NUMERIC_TEXT.fullmatch(text))


def try_double(sql: exp.Expression) -> exp.Expression:
    """``TRY_CAST(sql AS DOUBLE)``: the number a string holds, or null."""
    return exp.TryCast(this=sql, to=exp.DataType.build("DOUBLE"))


def num(value: Typed) -> exp.Expression:
    """The value as a number (strings that are not numbers become null)."""
    if value.type == STR:
        if value.literal is not None:
            return exp.Literal.number(float(value.literal)) if is_numeric_text(value.literal) else exp.Null()
        return try_double(value.sql)
    if value.type == BOOL:
        return as_value(value).sql
    return value.sql


def string(value: Typed) -> exp.Expression:
    """The value as a string (timestamps as ``YYYY-MM-DD HH:MM:SS.mmm`` in UTC)."""
    if value.type == STR:
        return value.sql
    if value.type == TS:
        return exp.Anonymous(
            this="strftime",
            expressions=[
                exp.Anonymous(this="epoch_ms", expressions=[_int(value.sql)]),
                exp.Literal.string("%Y-%m-%d %H:%M:%S.%g"),
            ],
        )
    if value.type == NULL:
        return exp.cast(exp.Null(), "VARCHAR")
    return exp.cast(as_value(value).sql, "VARCHAR")


def boolean(value: Typed) -> exp.Expression:
    """The value as a condition: true for a boolean true or a non-zero number (strings: when they
    hold a non-zero number); missing values are false."""
    if value.type == BOOL:
        return value.sql
    if value.type == NULL:
        return exp.false()
    return exp.NEQ(this=num(value), expression=exp.Literal.number(0))


def as_value(value: Typed) -> Typed:
    """A boolean as the number 1/0 (how Logs Insights shows booleans); other values unchanged."""
    if value.type != BOOL:
        return value
    case = exp.Case(ifs=[exp.If(this=value.sql, true=exp.Literal.number(1))], default=exp.Literal.number(0))
    return Typed(case, NUM)


def not_missing(condition: exp.Expression) -> exp.Expression:
    """``COALESCE(condition, FALSE)``: a comparison with a missing value counts as false."""
    return exp.Coalesce(this=condition, expressions=[exp.false()])


def _int(sql: exp.Expression) -> exp.Expression:
    return exp.cast(sql, "BIGINT")


_CMP = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def compare(op: str, left: Typed, right: Typed) -> exp.Expression:
    """``left op right`` with the numeric-aware rules of the spec's section 5."""
    if left.type == NULL or right.type == NULL:
        return exp.false()
    build = _CMP[op]
    if left.type in _NUMERICISH and right.type in _NUMERICISH:
        return build(this=num(left), expression=num(right))
    if left.type in _NUMERICISH:
        return _mixed(op, left, right)
    if right.type in _NUMERICISH:
        return _mixed(_FLIP[op], right, left)
    return _strings(op, left, right)


def _mixed(op: str, number: Typed, text: Typed) -> exp.Expression:
    """``number op text``: numerically when the text is a number, else as strings."""
    build = _CMP[op]
    if text.literal is not None:
        if is_numeric_text(text.literal):
            return build(this=number.sql, expression=exp.Literal.number(float(text.literal)))
        return build(this=string(number), expression=text.sql)
    as_number = try_double(text.sql)
    if op == "=":
        return exp.EQ(this=num(number), expression=as_number)
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.Not(this=exp.Is(this=as_number, expression=exp.Null())),
                true=build(this=num(number), expression=as_number),
            )
        ],
        default=build(this=string(number), expression=text.sql),
    )


def _strings(op: str, left: Typed, right: Typed) -> exp.Expression:
    build = _CMP[op]
    plain = any(v.literal is not None and not is_numeric_text(v.literal) for v in (left, right))
    if op in ("=", "!="):
        if plain:
            return build(this=left.sql, expression=right.sql)
        equal = exp.paren(
            exp.or_(
                exp.EQ(this=left.sql, expression=right.sql),
                exp.EQ(this=try_double(left.sql), expression=try_double(right.sql)),
            )
        )
        return equal if op == "=" else exp.Not(this=equal)
    natural = build(this=natural_key(left.sql), expression=natural_key(right.sql))
    if plain:
        return natural
    both_numbers = exp.and_(
        exp.Not(this=exp.Is(this=try_double(left.sql), expression=exp.Null())),
        exp.Not(this=exp.Is(this=try_double(right.sql), expression=exp.Null())),
    )
    return exp.Case(
        ifs=[
            exp.If(this=both_numbers, true=build(this=try_double(left.sql), expression=try_double(right.sql)))
        ],
        default=natural,
    )


def natural_key(sql: exp.Expression) -> exp.Expression:
    """A string that sorts like the spec's natural order: runs of digits compare by length, then
    value; other runs by code point. Each digit run becomes ``0`` + its length (6 digits) + the
    digits, which still sorts between ``/`` and ``:`` as a digit does."""
    chunk = exp.column("c")
    encoded = exp.Case(
        ifs=[
            exp.If(
                this=exp.Anonymous(this="regexp_matches", expressions=[chunk, exp.Literal.string("^[0-9]")]),
                true=exp.DPipe(
                    this=exp.DPipe(
                        this=exp.Literal.string("0"),
                        expression=exp.Anonymous(
                            this="lpad",
                            expressions=[
                                exp.cast(exp.Length(this=chunk), "VARCHAR"),
                                exp.Literal.number(6),
                                exp.Literal.string("0"),
                            ],
                        ),
                    ),
                    expression=chunk,
                ),
            )
        ],
        default=chunk,
    )
    chunks = exp.Anonymous(
        this="regexp_extract_all", expressions=[sql, exp.Literal.string(r"[0-9]+|[^0-9]+")]
    )
    transformed = exp.Anonymous(
        this="list_transform",
        expressions=[chunks, exp.Lambda(this=encoded, expressions=[exp.to_identifier("c")])],
    )
    return exp.Anonymous(this="array_to_string", expressions=[transformed, exp.Literal.string("")])


def sort_keys(value: Typed, descending: bool) -> list[exp.Ordered]:
    """ORDER BY terms for one Logs Insights sort key (missing values last in both directions, as
    in Athena, so a ``sort ... desc | limit N`` top list never starts with empty rows)."""
    if value.type == STR:
        is_null = exp.Is(this=value.sql, expression=exp.Null())
        numeric = try_double(value.sql)
        is_number = exp.Not(this=exp.Is(this=numeric, expression=exp.Null()))
        ordered = [
            exp.Ordered(this=t, desc=descending, nulls_first=False)
            for t in (is_number, numeric, natural_key(value.sql))
        ]
        return [exp.Ordered(this=is_null, desc=False, nulls_first=False), *ordered]
    if value.type == NULL:
        return []
    return [exp.Ordered(this=num(value), desc=descending, nulls_first=False)]


def order_key(value: Typed) -> exp.Expression:
    """One scalar that orders values as ``sort`` does ascending (for sortsFirst/min on strings)."""
    if value.type != STR:
        return num(value)
    is_number = exp.Not(this=exp.Is(this=try_double(value.sql), expression=exp.Null()))
    flag = exp.Case(
        ifs=[exp.If(this=is_number, true=exp.Literal.string("1"))], default=exp.Literal.string("0")
    )
    return exp.DPipe(this=flag, expression=natural_key(value.sql))
