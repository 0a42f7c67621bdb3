"""The stats functions of Logs Insights (spec section 4.7): count, sum, avg, min, max, pct, ...

One registry entry per name, like the scalar functions. :func:`compile_aggregate` does what every
aggregate shares: it may appear only inside ``stats``, not inside another aggregate, and ``*``
only as ``count(*)``; while the handler compiles its arguments, field names read the input rows.
Missing values are skipped (SQL aggregates skip nulls); ``sum``, ``avg``, ``stddev`` and ``pct``
also skip values that are not numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.functions.registry import AGGREGATES, aggregate
from flowkit.engines.insights.shared import call
from flowkit.engines.insights.values import NUM, STR, Typed, as_value, num, order_key

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler


def compile_aggregate(c: Compiler, node: ast.Call) -> Typed:
    """Compile a call of a registered aggregate, after the checks all aggregates share.

    Args:
        c: the compiler, inside a ``stats`` command.
        node: the call; its name is in :data:`AGGREGATES`.

    Returns:
        The aggregate expression.

    Raises:
        InsightsQueryError: the call is outside ``stats``, nested in another aggregate, has a
            misplaced ``*``, or has wrong arguments.
    """
    if c.agg_ctx is None:
        raise c.fail(f"{node.name}() is an aggregate function: use it in stats", node)
    if c.in_aggregate:
        raise c.fail(f"{node.name}() cannot be nested inside another aggregate function", node)
    c.found_aggregate = True
    star = [a for a in node.args if isinstance(a, ast.Star)]
    if star and (node.name != "count" or len(node.args) != 1):
        raise c.fail("* is only valid as count(*)", star[0])
    c.in_aggregate = True
    try:
        return AGGREGATES[node.name](c, node)
    finally:
        c.in_aggregate = False


def _one(c: Compiler, node: ast.Call) -> Typed:
    """The one argument of an aggregate (a boolean as 1/0)."""
    (value,) = c.args(node, 1)
    return as_value(value)


@aggregate("count")
def _count(c: Compiler, node: ast.Call) -> Typed:
    if not node.args or isinstance(node.args[0], ast.Star):
        return Typed(exp.Count(this=exp.Star()), NUM)
    return Typed(exp.Count(this=_one(c, node).sql), NUM)


@aggregate("count_distinct")
def _count_distinct(c: Compiler, node: ast.Call) -> Typed:
    return Typed(exp.Count(this=exp.Distinct(expressions=[_one(c, node).sql])), NUM)


@aggregate("sum")
def _sum(c: Compiler, node: ast.Call) -> Typed:
    return Typed(exp.Sum(this=num(_one(c, node))), NUM)


@aggregate("avg")
def _avg(c: Compiler, node: ast.Call) -> Typed:
    return Typed(exp.Avg(this=num(_one(c, node))), NUM)


@aggregate("stddev")
def _stddev(c: Compiler, node: ast.Call) -> Typed:
    return Typed(exp.StddevSamp(this=num(_one(c, node))), NUM)


@aggregate("pct")
def _pct(c: Compiler, node: ast.Call) -> Typed:
    if (
        len(node.args) != 2
        or not isinstance(node.args[1], ast.Literal)
        or isinstance(node.args[1].value, str)
    ):
        raise c.fail("pct() takes a field and a percentile from 0 to 100, e.g. pct(bytes, 95)", node)
    share = float(node.args[1].value)
    if not 0 <= share <= 100:
        raise c.fail(f"pct(): the percentile must be between 0 and 100, not {share:g}", node.args[1])
    value = c.expr(node.args[0])
    return Typed(call("quantile_disc", num(value), exp.Literal.number(share / 100)), NUM)


def _sorts(value: Typed, first: bool) -> Typed:
    """The value that sorts first (or last) in ``sort``'s order, so strings sort naturally."""
    return Typed(call("arg_min" if first else "arg_max", value.sql, order_key(value)), value.type)


@aggregate("min")
def _min(c: Compiler, node: ast.Call) -> Typed:
    value = _one(c, node)
    if value.type == STR:
        return _sorts(value, first=True)
    return Typed(exp.Min(this=value.sql), value.type)


@aggregate("max")
def _max(c: Compiler, node: ast.Call) -> Typed:
    value = _one(c, node)
    if value.type == STR:
        return _sorts(value, first=False)
    return Typed(exp.Max(this=value.sql), value.type)


@aggregate("sortsfirst")
def _sorts_first(c: Compiler, node: ast.Call) -> Typed:
    return _sorts(_one(c, node), first=True)


@aggregate("sortslast")
def _sorts_last(c: Compiler, node: ast.Call) -> Typed:
    return _sorts(_one(c, node), first=False)


def _at_time(c: Compiler, node: ast.Call, pick: str) -> Typed:
    """The argument's value in the row with the smallest (``arg_min``) or largest ``@timestamp``."""
    value = _one(c, node)
    timestamp = c.resolve(ast.Field("@timestamp", pos=node.pos, text="@timestamp"))
    return Typed(call(pick, value.sql, timestamp.sql), value.type)


@aggregate("earliest")
def _earliest(c: Compiler, node: ast.Call) -> Typed:
    return _at_time(c, node, "arg_min")


@aggregate("latest")
def _latest(c: Compiler, node: ast.Call) -> Typed:
    return _at_time(c, node, "arg_max")


__all__ = ["compile_aggregate"]
