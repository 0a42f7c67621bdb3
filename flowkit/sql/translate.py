"""Athena SQL (Trino) -> DuckDB SQL: check, parse, resolve the table, bind parameters, rewrite, print.

:func:`to_duckdb` does it all; :func:`prepare` does the same and also says what the engine must do
to the result (name unnamed columns ``_col0``, ``_col1``..., show zoned timestamps in their zone).
The steps:

1. :func:`parse_athena` reads one read-only statement with Athena's DML grammar (Trino's); a syntax
   error becomes a :class:`~flowkit.errors.QueryError` that points at the line and column. Text
   longer than Athena accepts or nested deeper than :data:`~flowkit.sql.checks.MAX_DEPTH` is refused
   before parsing; a query that is still too deep for the parser is a ``QueryError``, never a
   ``RecursionError``.
2. :func:`~flowkit.sql.checks.check_tree` refuses whatever is not Athena SQL over the flow-log table
   (table functions, unknown tables and functions, DuckDB-only syntax), by name.
3. :func:`bind` binds ``:name`` placeholders as literals after validating them;
   :func:`resolve_tables` points the flow-log table's names at the ``vpc_flow_logs`` view.
4. :func:`flowkit.sql.semantics.athena_semantics` and :func:`flowkit.sql.functions.rewrite_functions`
   make DuckDB answer what Athena answers (integer division, ``IPADDRESS``, ``typeof``, dates...).

Examples:
    >>> to_duckdb('SELECT * FROM "<vpc_flow_logs_table_name>" WHERE dstport < :p;', params={"p": 1024})
    'SELECT * FROM vpc_flow_logs WHERE dstport < 1024'
    >>> to_duckdb("SELECT bytes / packets AS per_packet FROM vpc_flow_logs")
    'SELECT bytes // packets AS per_packet FROM vpc_flow_logs'
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import ErrorLevel, exp
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.parsers.athena import AthenaTrinoParser
from sqlglot.tokens import Token, TokenType

from flowkit.errors import ParameterError, QueryError
from flowkit.sql.checks import FUNCTION_NAME, TableNames, check_text, check_tokens, check_tree
from flowkit.sql.params import validate
from flowkit.sql.semantics import UNNAMED_PREFIX, athena_semantics, name_columns, output_zones

__all__ = [
    "PLACEHOLDER",
    "UNNAMED_PREFIX",
    "VIEW",
    "DuckQuery",
    "bind",
    "caret_message",
    "parse_athena",
    "placeholders",
    "prepare",
    "resolve_tables",
    "to_duckdb",
]

VIEW = "vpc_flow_logs"
#: The table placeholder of the AWS guide's queries.
PLACEHOLDER = "<vpc_flow_logs_table_name>"

# Parsing, rewriting and printing recurse once per nesting level (about 20 Python frames a level);
# check_tokens bounds the depth, and this limit leaves room for it.
_RECURSION_LIMIT = 25_000
_recursion_lock = threading.Lock()
_recursion_users = 0


def caret_message(query: str, line: int, col: int, what: str) -> str:
    """A message naming ``line``/``col`` (1-based) with the query line and a caret under the column."""
    lines = query.splitlines() or [""]
    line = max(1, min(line, len(lines)))
    text = lines[line - 1]
    col = max(1, min(col, len(text) + 1))
    return f"{what} at line {line}, column {col}:\n    {text}\n    {' ' * (col - 1)}^"


_SQLGLOT_LOG = logging.getLogger("sqlglot")


def _not_sqlglot_noise(record: logging.LogRecord) -> bool:
    # parse_athena refuses statements sqlglot keeps as raw commands, and unsupported arguments are
    # refused by the checks: sqlglot's own warnings would be a second, confusing line on stderr
    message = record.getMessage()
    return "Falling back to parsing as a 'Command'" not in message and "is not supported" not in message


@contextlib.contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    _SQLGLOT_LOG.addFilter(_not_sqlglot_noise)
    try:
        yield
    finally:
        _SQLGLOT_LOG.removeFilter(_not_sqlglot_noise)


@contextlib.contextmanager
def deep_enough() -> Iterator[None]:
    """Room for the recursion that parsing, rewriting and printing a nested query need.

    A query deeper than even that is a :class:`QueryError`, never a ``RecursionError``.
    """
    global _recursion_users
    with _recursion_lock:
        if _recursion_users == 0:
            deep_enough.previous = sys.getrecursionlimit()  # type: ignore[attr-defined]
            sys.setrecursionlimit(max(_RECURSION_LIMIT, deep_enough.previous))  # type: ignore[attr-defined]
        _recursion_users += 1
    try:
        yield
    except RecursionError:
        raise QueryError(
            "the query is nested too deeply to translate (a long chain of operators or subqueries): "
            "split it into steps with WITH."
        ) from None
    finally:
        with _recursion_lock:
            _recursion_users -= 1
            if _recursion_users == 0:
                sys.setrecursionlimit(deep_enough.previous)  # type: ignore[attr-defined]


class _Parser(AthenaTrinoParser):
    """Athena's DML parser, recording each call's name as written (``meta["fk_name"]``).

    sqlglot maps many names to one expression (``strftime``, ``date_format``...), so the name the
    query used is kept for :func:`~flowkit.sql.checks.check_tree`.
    """

    def _parse_function_call(
        self,
        functions: dict[str, Callable] | None = None,
        anonymous: bool = False,
        optional_parens: bool = True,
        any_token: bool = False,
    ) -> exp.Expression | None:
        token, following = self._curr, self._next
        result = super()._parse_function_call(functions, anonymous, optional_parens, any_token)
        called = following is not None and following.token_type == TokenType.L_PAREN
        if result is not None and token is not None and called:
            node = result
            while isinstance(node, exp.Window | exp.Filter | exp.WithinGroup | exp.IgnoreNulls) and (
                isinstance(node.this, exp.Expression)
            ):
                node = node.this
            if FUNCTION_NAME not in node.meta:
                node.meta[FUNCTION_NAME] = token.text
        return result


class FlowkitAthena(Trino):
    """Athena's DML dialect (Trino's grammar) with the call names recorded."""

    Parser = _Parser


_DIALECT = FlowkitAthena()


def tokenize(query: str) -> list[Token]:
    """The query's tokens (Athena's DML tokenizer); an unclosed quote is a :class:`QueryError`."""
    try:
        return _DIALECT.tokenize(query)
    except TokenError as exc:
        raise QueryError(f"syntax error: {exc} (an unclosed quote?)") from None


def parse_athena(query: str) -> exp.Expression:
    """Parse one read-only Athena statement; a trailing ``;`` is allowed.

    Raises:
        QueryError: on a syntax error (with line, column and a caret), on text longer than Athena
            accepts or nested too deeply, on more than one statement, or on a statement that is not
            a query (``DROP``, ``ATTACH``, ``SET``, ...), named.
    """
    check_text(query)
    tokens = tokenize(query)
    check_tokens(tokens)
    with deep_enough(), _quiet_sqlglot():
        try:
            statements = [s for s in _DIALECT.parser().parse(tokens, query) if s is not None]
        except ParseError as exc:
            first = exc.errors[0] if exc.errors else {}
            if "line" in first and first.get("line"):
                # sqlglot's col is the end of the offending token; point at its start
                col = max(1, int(first["col"]) - len(first.get("highlight") or "") + 1)
                raise QueryError(
                    caret_message(query, int(first["line"]), col, f"syntax error ({first['description']})")
                ) from None
            raise QueryError(f"syntax error: {exc}") from None
        except SqlglotError as exc:
            raise QueryError(f"syntax error: {exc}") from None
    if len(statements) != 1:
        raise QueryError(f"give one SQL statement at a time, not {len(statements)}.")
    statement = statements[0]
    if isinstance(statement, exp.Values):  # VALUES ... on its own is a query
        statement = exp.select("*").from_(statement)
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
    expression: exp.Expression, tables: TableNames | None = None, *, view: str = VIEW
) -> exp.Expression:
    """Point every name of the flow-log table at ``view`` (``vpc_flow_logs``, or a time-bounded view).

    CTEs and registered frames keep their names. Run :func:`~flowkit.sql.checks.check_tree` first:
    it refuses the names that are none of these.
    """
    tables = tables or TableNames()
    ctes = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
    qualifiers = {column.table for column in expression.find_all(exp.Column) if column.table}
    for table in list(expression.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier) or not tables.is_flow_log(table):
            continue
        if not table.args.get("db") and table.name.lower() in ctes:
            continue
        alias = table.args.get("alias")
        if alias is None and table.name in qualifiers:
            # the query qualifies columns with the table's name (t.srcaddr): keep it as the alias
            alias = exp.TableAlias(this=exp.to_identifier(table.name))
        table.replace(exp.Table(this=exp.to_identifier(view), alias=alias.copy() if alias else None))
    return expression


@dataclass(frozen=True)
class DuckQuery:
    """An Athena query made ready for DuckDB, and what to do with its result.

    Attributes:
        sql: the DuckDB SQL, parameters bound as literals.
        zones: result column -> time zone, for ``timestamp with time zone`` results in a zone
            other than UTC (``AT TIME ZONE 'America/New_York'``): DuckDB keeps the instant, the
            engine shows it in that zone, as Athena does.
    """

    sql: str
    zones: dict[str, str] = field(default_factory=dict)


def prepare(
    query: str,
    *,
    params: Mapping[str, Any] | None = None,
    kinds: Mapping[str, str] | None = None,
    tables: TableNames | None = None,
    view: str = VIEW,
) -> DuckQuery:
    """Check and translate an Athena query for DuckDB (see the module docstring for the steps).

    Args:
        query: Athena (Trino) SQL, with optional ``:name`` placeholders.
        params: values for the placeholders.
        kinds: parameter types by name (catalogue queries declare them).
        tables: the table names the query may use (default: the flow-log table's own names).
        view: the relation the flow-log table resolves to (default ``vpc_flow_logs``).

    Raises:
        QueryError: on a syntax error, a refused statement, table, function, type or clause.
        ParameterError: on a missing, unknown or invalid parameter.
    """
    expression = parse_athena(query)
    with deep_enough(), _quiet_sqlglot():
        check_tree(expression, tables or TableNames())
        expression = bind(expression, params or {}, kinds)
        expression = resolve_tables(expression, tables, view=view)
        expression = name_columns(expression)
        zones = output_zones(expression)
        expression = athena_semantics(expression)
        try:
            sql = expression.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)
        except SqlglotError as exc:
            raise QueryError(f"the local engine cannot run this query: {exc}") from None
    return DuckQuery(sql, zones)


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
        known_tables: frames registered on the connection, which keep their name.
        view: the relation the flow-log table resolves to (default ``vpc_flow_logs``).

    Raises:
        QueryError: on a syntax error or anything :func:`prepare` refuses.
        ParameterError: on a missing, unknown or invalid parameter.
    """
    names = known_tables() if callable(known_tables) else known_tables
    tables = TableNames(registered=frozenset(n.lower() for n in names))
    return prepare(query, params=params, kinds=kinds, tables=tables, view=view).sql
