"""The numeric functions of Logs Insights (spec section 4.1): abs, greatest, log, round, toNumber, ...

Arguments are read as numbers (a string that is not a number is null); ``log`` and ``sqrt`` of a
number outside their domain are null rather than an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.functions.registry import Handler, function
from flowkit.engines.insights.shared import call, case_when
from flowkit.engines.insights.values import NUM, STR, Typed, num, try_double

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler


def _numeric(name: str, arity: int = 1) -> Handler:
    def handler(c: Compiler, node: ast.Call) -> Typed:
        values = c.args(node, arity)
        return Typed(call(name, *(num(v) for v in values)), NUM)

    return handler


for _name in ("abs", "ceil", "floor"):
    function(_name)(_numeric(_name))


@function("greatest", "least")
def _extreme(c: Compiler, node: ast.Call) -> Typed:
    values = c.args(node, 1, 100)
    return Typed(call(node.name, *(num(v) for v in values)), NUM)


@function("log", "sqrt")
def _log_sqrt(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    x = num(value)
    domain = (
        exp.GT(this=x, expression=exp.Literal.number(0))
        if node.name == "log"
        else exp.GTE(this=x, expression=exp.Literal.number(0))
    )
    return Typed(case_when(domain, call("ln" if node.name == "log" else "sqrt", x)), NUM)


@function("round")
def _round(c: Compiler, node: ast.Call) -> Typed:
    values = c.args(node, 1, 2)
    digits = [exp.cast(num(values[1]), "INTEGER")] if len(values) == 2 else [exp.Literal.number(0)]
    return Typed(call("round", num(values[0]), *digits), NUM)


@function("tonumber", "todouble", "toint", "tolong")
def _to_number(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    number = num(value) if value.type != STR else try_double(value.sql)
    if node.name in ("toint", "tolong"):
        kind = "INTEGER" if node.name == "toint" else "BIGINT"
        return Typed(exp.TryCast(this=call("trunc", number), to=exp.DataType.build(kind)), NUM)
    return Typed(exp.cast(number, "DOUBLE"), NUM)


__all__: list[str] = []  # the handlers are reached through FUNCTIONS
