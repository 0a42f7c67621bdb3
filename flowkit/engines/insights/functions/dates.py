"""The datetime functions of Logs Insights (spec section 4.4): bin, datefloor, dateceil, fromMillis, ...

Timestamps are epoch milliseconds (type ``ts``). Fixed periods (ms, s, m, h, d) align to the Unix
epoch in UTC; weeks align to Mondays, months, quarters and years to calendar boundaries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.errors import InsightsQueryError
from flowkit.engines.insights.functions.registry import function
from flowkit.engines.insights.shared import call, case_when
from flowkit.engines.insights.values import NUM, TS, Typed, num

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler


#: Milliseconds per fixed time unit, and the documented caps (larger amounts are clamped).
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
UNIT_CAPS = {"ms": 1000, "s": 60, "m": 60, "h": 24}
_CALENDAR = {"w": ("WEEK", 1), "mo": ("MONTH", 1), "q": ("MONTH", 3), "y": ("YEAR", 1)}


def floor_time(c: Compiler, ts: exp.Expression, period: ast.Duration, ceil: bool = False) -> exp.Expression:
    """Floor (or ceil) a timestamp to a multiple of a period.

    Fixed units align to the Unix epoch in UTC, weeks to Mondays, months, quarters and years to
    calendar boundaries. Amounts above the documented caps are clamped, with a note.

    Args:
        c: the compiler (for notes and errors).
        ts: the timestamp in epoch milliseconds.
        period: the period, e.g. ``5m``.
        ceil: round up to the next boundary instead of down.

    Returns:
        The bucket's timestamp in epoch milliseconds.

    Raises:
        InsightsQueryError: the period is not positive or does not fit in 64 bits of ms.
    """
    amount = period.amount
    if period.unit in UNIT_CAPS and amount > UNIT_CAPS[period.unit]:
        amount = UNIT_CAPS[period.unit]
        c.note(
            f"`{period.text}` is read as `{amount}{period.unit}`: Logs Insights clamps {period.unit} periods "
            f"at {amount} (use a larger unit, e.g. `5m` instead of `300s`)."
        )
    if amount <= 0:
        raise InsightsQueryError(f"a time period must be positive, not {period.text!r}", c.text, period.pos)
    ts = exp.cast(ts, "BIGINT")
    if period.unit in UNIT_MS:
        if amount * UNIT_MS[period.unit] >= 2**63:
            raise InsightsQueryError(
                f"a time period must be shorter than 2^63 ms (about 292 million years), not {period.text!r}",
                c.text,
                period.pos,
            )
        size = exp.Literal.number(amount * UNIT_MS[period.unit])
        if ceil:
            return exp.Add(
                this=ts,
                expression=exp.Mod(
                    this=exp.paren(exp.Sub(this=size, expression=exp.Mod(this=ts, expression=size))),
                    expression=size,
                ),
            )
        return exp.Sub(this=ts, expression=exp.paren(exp.Mod(this=ts, expression=size)))
    unit, factor = _CALENDAR[period.unit]
    interval = exp.Interval(this=exp.Literal.string(str(amount * factor)), unit=exp.Var(this=unit))
    floored = call("time_bucket", interval, call("epoch_ms", ts))
    if not ceil:
        return call("epoch_ms", floored)
    up = call("epoch_ms", exp.Add(this=floored, expression=interval.copy()))
    return case_when(exp.EQ(this=call("epoch_ms", floored.copy()), expression=ts.copy()), ts.copy(), up)


def _duration(c: Compiler, node: ast.Call, index: int) -> ast.Duration:
    arg = node.args[index] if index < len(node.args) else None
    if not isinstance(arg, ast.Duration):
        where = arg.pos if arg is not None else node.pos
        raise InsightsQueryError(
            f"{node.name}() needs a time period such as 5m or 1h as argument {index + 1}", c.text, where
        )
    return arg


@function("bin")
def _bin(c: Compiler, node: ast.Call) -> Typed:
    if len(node.args) != 1:
        raise InsightsQueryError("bin() takes one time period, e.g. bin(5m)", c.text, node.pos)
    period = _duration(c, node, 0)
    timestamp = c.resolve(ast.Field("@timestamp", pos=node.pos, text="@timestamp"), for_bin=True)
    return Typed(floor_time(c, timestamp.sql, period), TS)


@function("datefloor", "dateceil")
def _date_floor_ceil(c: Compiler, node: ast.Call) -> Typed:
    if len(node.args) != 2:
        raise InsightsQueryError(
            f"{node.name}() takes a timestamp and a period, e.g. {node.name}(@timestamp, 1h)",
            c.text,
            node.pos,
        )
    ts = c.expr(node.args[0])
    period = _duration(c, node, 1)
    return Typed(floor_time(c, num(ts), period, ceil=node.name == "dateceil"), TS)


@function("frommillis")
def _from_millis(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    return Typed(exp.cast(num(value), "BIGINT"), TS)


@function("tomillis")
def _to_millis(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    return Typed(num(value), NUM)


@function("now")
def _now(c: Compiler, node: ast.Call) -> Typed:
    c.args(node, 0)
    return Typed(exp.Literal.number(c.now), NUM)


__all__ = ["UNIT_CAPS", "UNIT_MS", "floor_time"]
