"""The general functions of Logs Insights (spec section 4.2): ispresent, coalesce, if, case, isNumeric.

``coalesce``, ``if`` and ``case`` give one type: the arguments' type when they agree, a number
when they mix numbers and timestamps, else a string.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.functions.registry import function
from flowkit.engines.insights.shared import case_when
from flowkit.engines.insights.values import BOOL, NULL, NUM, STR, TS, Typed, as_value, boolean, num, string

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler


@function("ispresent")
def _ispresent(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    if value.type == NULL:
        return Typed(exp.false(), BOOL)
    return Typed(exp.Not(this=exp.Is(this=value.sql, expression=exp.Null())), BOOL)


def _unify(values: list[Typed]) -> tuple[list[exp.Expression], str]:
    kinds = {as_value(v).type for v in values} - {NULL}
    if len(kinds) == 1:
        kind = kinds.pop()
        return [as_value(v).sql for v in values], kind
    if kinds <= {NUM, TS}:
        return [num(v) for v in values], NUM
    return [string(v) for v in values], STR


@function("coalesce")
def _coalesce(c: Compiler, node: ast.Call) -> Typed:
    sqls, kind = _unify(c.args(node, 1, 100))
    return Typed(exp.Coalesce(this=sqls[0], expressions=sqls[1:]), kind)


@function("if")
def _if(c: Compiler, node: ast.Call) -> Typed:
    condition, then, otherwise = c.args(node, 3)
    (a, b), kind = _unify([then, otherwise])
    return Typed(case_when(boolean(condition), a, b), kind)


@function("case")
def _case_fn(c: Compiler, node: ast.Call) -> Typed:
    values = c.args(node, 2, 21)
    pairs = values[: len(values) - len(values) % 2]
    default = values[-1] if len(values) % 2 else None
    results, kind = _unify([v for v in pairs[1::2]] + ([default] if default else []))
    ifs = [exp.If(this=boolean(cond), true=results[i]) for i, cond in enumerate(pairs[0::2])]
    return Typed(exp.Case(ifs=ifs, default=results[-1] if default else None), kind)


@function("isnumeric")
def _isnumeric(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    return Typed(exp.Not(this=exp.Is(this=num(value), expression=exp.Null())), BOOL)


__all__: list[str] = []  # the handlers are reached through FUNCTIONS
