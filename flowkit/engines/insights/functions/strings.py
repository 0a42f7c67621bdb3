"""The string functions of Logs Insights (spec section 4.3): isempty, concat, trim, substr, ...

Each handler takes the compiler and the call node and returns a :class:`Typed` expression;
functions that test something give type ``bool`` (shown as 1/0 when used as a value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.errors import InsightsQueryError
from flowkit.engines.insights.functions.registry import Handler, function
from flowkit.engines.insights.shared import call, case_when
from flowkit.engines.insights.values import BOOL, NULL_VALUE, NUM, STR, Typed, boolean, num, string

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler


@function("isempty")
def _isempty(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    return Typed(
        exp.EQ(
            this=exp.Coalesce(this=string(value), expressions=[exp.Literal.string("")]),
            expression=exp.Literal.string(""),
        ),
        BOOL,
    )


@function("isblank")
def _isblank(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    stripped = call(
        "trim",
        exp.Coalesce(this=string(value), expressions=[exp.Literal.string("")]),
        exp.Literal.string(" \t\r\n"),
    )
    return Typed(exp.EQ(this=stripped, expression=exp.Literal.string("")), BOOL)


@function("concat")
def _concat(c: Compiler, node: ast.Call) -> Typed:
    values = c.args(node, 1, 100)
    return Typed(call("concat", *(string(v) for v in values)), STR)


def _trimmer(name: str) -> Handler:
    def handler(c: Compiler, node: ast.Call) -> Typed:
        values = c.args(node, 1, 2)
        chars = [string(values[1])] if len(values) == 2 else [exp.Literal.string(" \t\r\n")]
        return Typed(call(name, string(values[0]), *chars), STR)

    return handler


for _name in ("ltrim", "rtrim", "trim"):
    function(_name)(_trimmer(_name))


@function("strlen")
def _strlen(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    return Typed(exp.Length(this=string(value)), NUM)


@function("toupper", "tolower")
def _case_change(c: Compiler, node: ast.Call) -> Typed:
    (value,) = c.args(node, 1)
    return Typed(call("upper" if node.name == "toupper" else "lower", string(value)), STR)


@function("substr")
def _substr(c: Compiler, node: ast.Call) -> Typed:
    values = c.args(node, 2, 3)
    start = exp.Add(this=exp.cast(num(values[1]), "BIGINT"), expression=exp.Literal.number(1))
    args = [string(values[0]), start]
    if len(values) == 3:
        args.append(exp.cast(num(values[2]), "BIGINT"))
    return Typed(call("substring", *args), STR)


@function("replace")
def _replace(c: Compiler, node: ast.Call) -> Typed:
    text, search, repl = c.args(node, 3)
    return Typed(call("replace", string(text), string(search), string(repl)), STR)


@function("regexreplace")
def _regex_replace(c: Compiler, node: ast.Call) -> Typed:
    if len(node.args) != 3:
        raise InsightsQueryError("regexReplace() takes a string, a regex and a replacement", c.text, node.pos)
    text, repl = c.expr(node.args[0]), c.expr(node.args[2])
    pattern = NULL_VALUE if isinstance(node.args[1], ast.Regex) else c.expr(node.args[1])
    return Typed(
        call(
            "regexp_replace",
            string(text),
            c.pattern(node.args[1], pattern),
            string(repl),
            exp.Literal.string("g"),
        ),
        STR,
    )


@function("strcontains")
def _strcontains(c: Compiler, node: ast.Call) -> Typed:
    values = c.args(node, 2, 3)
    text, sub = string(values[0]), string(values[1])
    if len(values) == 3:
        folded = Typed(call("contains", call("lower", text), call("lower", sub)), BOOL)
        return Typed(case_when(boolean(values[2]), folded.sql, call("contains", text, sub)), BOOL)
    return Typed(call("contains", text, sub), BOOL)


@function("startswith", "endswith")
def _starts_ends(c: Compiler, node: ast.Call) -> Typed:
    text, part = c.args(node, 2)
    name = "starts_with" if node.name == "startswith" else "ends_with"
    return Typed(call(name, string(text), string(part)), BOOL)


__all__: list[str] = []  # the handlers are reached through FUNCTIONS
