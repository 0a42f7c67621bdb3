"""Logs Insights scalar functions compiled to DuckDB expressions (string, numeric, general,
datetime and IP families of the spec's section 4).

Each function takes the compiler and the call node and returns a :class:`Typed` expression.
Functions returning booleans give type ``bool`` (shown as 1/0 when used as a value). IPv6 checks
call two small Python UDFs (``flowkit_ip_check``, ``flowkit_ip_in``) that the runner registers on
the connection; IPv4 checks are plain SQL, so they stay fast on large data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.errors import InsightsQueryError, UnsupportedError
from flowkit.engines.insights.shared import call, case_when
from flowkit.engines.insights.values import (
    BOOL,
    NULL,
    NULL_VALUE,
    NUM,
    STR,
    TS,
    Typed,
    as_value,
    boolean,
    num,
    string,
    try_double,
)

if TYPE_CHECKING:
    from flowkit.engines.insights.compiler import Compiler

Handler = Callable[["Compiler", ast.Call], Typed]
FUNCTIONS: dict[str, Handler] = {}

#: Documented functions the local engine refuses (priority P2 in the spec).
UNSUPPORTED_FUNCTIONS = (
    "jsonparse",
    "jsonstringify",
    "jsonarraysize",
    "jsonarraycontains",
    "split",
    "urlencode",
    "urldecode",
    "base64encode",
    "base64decode",
    "hextoascii",
    "hextodec",
    "dectohex",
    "haversine",
    "parsedate",
    "formatdate",
    "strftime",
    "unmask",
    "querystarttime",
    "queryendtime",
    "querytimerange",
    "messagesize",
)

#: Milliseconds per fixed time unit, and the documented caps (larger amounts are clamped).
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
UNIT_CAPS = {"ms": 1000, "s": 60, "m": 60, "h": 24}
_CALENDAR = {"w": ("WEEK", 1), "mo": ("MONTH", 1), "q": ("MONTH", 3), "y": ("YEAR", 1)}


def function(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler under one or more (lower-case) function names."""

    def register(handler: Handler) -> Handler:
        for name in names:
            FUNCTIONS[name] = handler
        return handler

    return register


# --- strings ------------------------------------------------------------------------------------


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
    FUNCTIONS[_name] = _trimmer(_name)


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


# --- numbers ------------------------------------------------------------------------------------


def _numeric(name: str, arity: int = 1) -> Handler:
    def handler(c: Compiler, node: ast.Call) -> Typed:
        values = c.args(node, arity)
        return Typed(call(name, *(num(v) for v in values)), NUM)

    return handler


FUNCTIONS.update({"abs": _numeric("abs"), "ceil": _numeric("ceil"), "floor": _numeric("floor")})


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


# --- general ------------------------------------------------------------------------------------


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


# --- datetime -----------------------------------------------------------------------------------


def floor_time(c: Compiler, ts: exp.Expression, period: ast.Duration, ceil: bool = False) -> exp.Expression:
    """``ts`` (epoch ms) floored (or ceiled) to a multiple of ``period``; fixed units align to the
    Unix epoch in UTC, weeks to Mondays, months, quarters and years to calendar boundaries."""
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


def check_known(c: Compiler, node: ast.Call) -> Handler:
    """The handler of a scalar function, or a clear error for unsupported and unknown names."""
    if node.name in FUNCTIONS:
        return FUNCTIONS[node.name]
    if node.name in UNSUPPORTED_FUNCTIONS:
        raise UnsupportedError(
            f"the Logs Insights function {node.name}() is not supported locally", c.text, node.pos
        )
    import difflib

    close = difflib.get_close_matches(node.name, list(FUNCTIONS), n=1)
    hint = f"; did you mean {close[0]}()?" if close else ""
    raise InsightsQueryError(f"unknown function {node.name}(){hint}", c.text, node.pos)


# the IP functions register themselves in FUNCTIONS

__all__ = ["FUNCTIONS", "UNSUPPORTED_FUNCTIONS", "call", "check_known", "floor_time", "function"]
