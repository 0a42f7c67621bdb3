"""What the parts of the Logs Insights compiler share: limits, the stage column type, SQL builders.

The compiler (:mod:`~flowkit.engines.insights.compiler`), its command and operator mixins and the
function modules all import these from here at module top, so none of them imports another at
run time and there is no import cycle among them.

Examples:
    >>> from sqlglot import exp
    >>> call("contains", exp.column("a"), exp.Literal.string("x")).sql(dialect="duckdb")
    "CONTAINS(a, 'x')"
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

#: The row cap: at most this many rows are returned, whatever ``limit`` says (CloudWatch's default).
MAX_ROWS = 10_000
#: The direction of ``sort f`` with neither ``asc`` nor ``desc`` (undocumented; see the docs page).
DEFAULT_SORT_DESCENDING = False


@dataclass(frozen=True)
class Column:
    """Where a field lives in the current stage: its SQL column name and type."""

    sql_name: str
    type: str


def select(*expressions: exp.Expression) -> exp.Select:
    """Build a SELECT of these expressions (directly: nothing is parsed from text).

    Args:
        *expressions: the projections.

    Returns:
        A SELECT with no FROM yet (the compiler's ``stage`` adds it).
    """
    return exp.Select(expressions=list(expressions))


def call(name: str, *args: exp.Expression) -> exp.Expression:
    """Build a DuckDB function call expression.

    Args:
        name: the DuckDB function name.
        *args: its arguments.

    Returns:
        The call, which sqlglot writes out as is.
    """
    return exp.Anonymous(this=name, expressions=list(args))


def case_when(
    condition: exp.Expression, then: exp.Expression, default: exp.Expression | None = None
) -> exp.Case:
    """Build ``CASE WHEN condition THEN then [ELSE default] END``.

    Args:
        condition: the test.
        then: the value when it holds.
        default: the value otherwise (None: SQL NULL).

    Returns:
        The CASE expression.
    """
    return exp.Case(ifs=[exp.If(this=condition, true=then)], default=default)


_WRAP = (exp.Binary, exp.Not, exp.Neg, exp.Connector, exp.Between, exp.Is, exp.In)


def paren(sql: exp.Expression) -> exp.Expression:
    """Wrap an operator expression in parentheses so it nests safely inside another.

    Args:
        sql: any expression.

    Returns:
        ``sql`` in parentheses when it is an operator expression, else ``sql`` itself.
    """
    return exp.Paren(this=sql) if isinstance(sql, _WRAP) else sql


__all__ = ["DEFAULT_SORT_DESCENDING", "MAX_ROWS", "Column", "call", "case_when", "paren", "select"]
