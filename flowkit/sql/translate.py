"""Athena SQL (Trino) -> DuckDB SQL: parse, resolve the table, bind parameters, rewrite, print.

One function does it all, :func:`to_duckdb`. It parses with sqlglot's Athena dialect (a syntax
error becomes a :class:`~flowkit.errors.QueryError` that points at the line and column), accepts
one read-only statement (a trailing ``;`` is fine), points every table name that is not a CTE or a
relation the connection knows (the guide's ``"<vpc_flow_logs_table_name>"``, ``vpc_flow_logs``, a
``database.table`` from the Athena DDL, ...) at the ``vpc_flow_logs`` view, binds ``:name``
placeholders as literals after validating them, and applies
:func:`flowkit.sql.functions.rewrite_functions`.

Examples:
    >>> to_duckdb('SELECT * FROM "<vpc_flow_logs_table_name>" WHERE dstport < :p;', params={"p": 1024})
    'SELECT * FROM vpc_flow_logs WHERE dstport < 1024'
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from flowkit.errors import ParameterError, QueryError
from flowkit.sql.functions import rewrite_functions
from flowkit.sql.params import validate

VIEW = "vpc_flow_logs"
#: The table placeholder of the AWS guide's queries.
PLACEHOLDER = "<vpc_flow_logs_table_name>"


def caret_message(query: str, line: int, col: int, what: str) -> str:
    """A message naming ``line``/``col`` (1-based) with the query line and a caret under the column."""
    lines = query.splitlines() or [""]
    line = max(1, min(line, len(lines)))
    text = lines[line - 1]
    col = max(1, min(col, len(text) + 1))
    return f"{what} at line {line}, column {col}:\n    {text}\n    {' ' * (col - 1)}^"


_SQLGLOT_LOG = logging.getLogger("sqlglot")


def _not_the_command_fallback(record: logging.LogRecord) -> bool:
    return "Falling back to parsing as a 'Command'" not in record.getMessage()


@contextlib.contextmanager
def _quiet_command_fallback() -> Iterator[None]:
    """Drop sqlglot's warning about statements it keeps as a raw command: parse_athena refuses them
    with its own error, and the warning would be a second, confusing line on stderr."""
    _SQLGLOT_LOG.addFilter(_not_the_command_fallback)
    try:
        yield
    finally:
        _SQLGLOT_LOG.removeFilter(_not_the_command_fallback)


def parse_athena(query: str) -> exp.Expression:
    """Parse one read-only Athena statement; a trailing ``;`` is allowed.

    Raises:
        QueryError: on a syntax error (with line, column and a caret), on more than one
            statement, or on a statement that is not a query (``DROP``, ``INSERT``, ...).
    """
    if not query or not query.strip():
        raise QueryError("the query is empty: write a SELECT statement.")
    try:
        with _quiet_command_fallback():
            statements = [s for s in sqlglot.parse(query, read="athena") if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        if "line" in first and first.get("line"):
            # sqlglot's col is the end of the offending token; point at its start
            col = max(1, int(first["col"]) - len(first.get("highlight") or "") + 1)
            raise QueryError(
                caret_message(query, int(first["line"]), col, f"syntax error ({first['description']})")
            ) from None
        raise QueryError(f"syntax error: {exc}") from None
    except TokenError as exc:
        raise QueryError(f"syntax error: {exc} (an unclosed quote?)") from None
    if len(statements) != 1:
        raise QueryError(f"give one SQL statement at a time, not {len(statements)}.")
    statement = statements[0]
    if not isinstance(statement, exp.Query | exp.Describe):
        kind = statement.this if isinstance(statement, exp.Command) else statement.key
        raise QueryError(
            f"only queries (SELECT, WITH ...) run here, not {str(kind).upper()}: the engine is read-only."
        )
    return statement


def placeholders(expression: exp.Expression) -> list[str]:
    """The names of the ``:name`` placeholders in a parsed query, in order of first use."""
    names: list[str] = []
    for node in expression.find_all(exp.Placeholder):
        if node.this and node.this not in names:
            names.append(str(node.this))
    return names


def _infer_kind(value: Any) -> str:
    if isinstance(value, bool):
        raise ParameterError(f"{value!r}: give a number or text, not a boolean.")
    if isinstance(value, int):
        return "int"
    return "string"


def bind(
    expression: exp.Expression, params: Mapping[str, Any], kinds: Mapping[str, str] | None = None
) -> exp.Expression:
    """Replace ``:name`` placeholders by validated literals.

    Args:
        expression: the parsed query.
        params: name -> value.
        kinds: name -> parameter type (see :mod:`flowkit.sql.params`); a name not listed is
            checked as ``int`` for Python ints and as ``string`` otherwise.

    Raises:
        ParameterError: on a missing or unknown parameter or a value that fails its check.
    """
    kinds = kinds or {}
    wanted = placeholders(expression)
    if any(node.this is None for node in expression.find_all(exp.Placeholder)):
        raise ParameterError("positional '?' parameters are not supported here: use :name placeholders.")
    missing = [name for name in wanted if name not in params]
    if missing:
        raise ParameterError(f"missing value for parameter(s) {', '.join(missing)}: pass them as name=value.")
    extra = sorted(set(params) - set(wanted))
    if extra:
        have = ", ".join(f":{n}" for n in wanted) or "no placeholders"
        raise ParameterError(f"unknown parameter(s) {', '.join(extra)}: the query has {have}.")
    values = {
        name: validate(kinds.get(name) or _infer_kind(params[name]), params[name], name=name)
        for name in wanted
    }

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.this in values:
            return exp.convert(values[str(node.this)])
        return node

    return expression.transform(swap, copy=False)


def resolve_tables(
    expression: exp.Expression,
    known: Iterable[str] | Callable[[], Iterable[str]] = (),
    *,
    view: str = VIEW,
) -> exp.Expression:
    """Point every table that is not a CTE or a ``known`` relation at the ``vpc_flow_logs`` view.

    ``known`` may be a callable, asked only when a table name other than the view's (or the
    guide's placeholder) appears, so the usual query costs no catalogue lookup. ``view`` names
    the relation to point at instead (e.g. a time-bounded view of ``vpc_flow_logs``).
    """
    ctes = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
    qualifiers = {column.table for column in expression.find_all(exp.Column) if column.table}
    keep: set[str] | None = None
    for table in list(expression.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as range(10) or read_parquet(...)
        name = table.name.lower()
        plain = not table.args.get("db")
        if plain and name in ctes:
            continue
        if plain and name not in (VIEW, PLACEHOLDER):
            if keep is None:
                keep = {n.lower() for n in (known() if callable(known) else known)}
            if name in keep:
                continue
        elif plain and name == view:
            continue
        alias = table.args.get("alias")
        if alias is None and table.name in qualifiers:
            # the query qualifies columns with the table's name (t.srcaddr): keep it as the alias
            alias = exp.TableAlias(this=exp.to_identifier(table.name))
        table.replace(exp.Table(this=exp.to_identifier(view), alias=alias.copy() if alias else None))
    return expression


def to_duckdb(
    query: str,
    *,
    params: Mapping[str, Any] | None = None,
    kinds: Mapping[str, str] | None = None,
    known_tables: Iterable[str] | Callable[[], Iterable[str]] = (),
    view: str = VIEW,
) -> str:
    """Translate an Athena query to DuckDB SQL over the ``vpc_flow_logs`` view, with parameters bound.

    Args:
        query: Athena (Trino) SQL, with optional ``:name`` placeholders.
        params: values for the placeholders.
        kinds: parameter types by name (catalogue queries declare them).
        known_tables: relations that exist on the connection and keep their name.
        view: the relation the flow-log table resolves to (default ``vpc_flow_logs``).

    Raises:
        QueryError: on a syntax error or a statement that is not a query.
        ParameterError: on a missing, unknown or invalid parameter.
    """
    expression = parse_athena(query)
    expression = bind(expression, params or {}, kinds)
    expression = resolve_tables(expression, known=known_tables, view=view)
    expression = expression.transform(rewrite_functions, copy=False)
    return expression.sql(dialect="duckdb")
