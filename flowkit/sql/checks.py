"""What a query may be before the local engine runs it: Athena SQL over the flow-log table, nothing else.

The local engine's first wall (DuckDB's own lock-down, :func:`flowkit.engines.sandbox.lock_down`, is
the second). Queries come from shared catalogues, notebooks, papermill parameters and exercise
answers, so everything DuckDB can do beyond Athena SQL over ``vpc_flow_logs`` is refused by name,
with a :class:`~flowkit.errors.QueryError`, before DuckDB sees the query:

* :func:`check_text`: the size Athena accepts (262,144 bytes) and a nesting depth flowkit can parse;
  one statement, and a query (``SELECT``, ``WITH``, ``VALUES``, ``TABLE``, ``DESCRIBE``), named by its
  first word otherwise (``ATTACH``, ``COPY``, ``INSTALL``, ``SET``, ``PRAGMA`` ...); DuckDB-only
  syntax (``::`` casts, ``{...}`` structs, ``[...]`` lists, ``:=``, ``$1``, a string as a table).
* :func:`check_tree`: every table is the flow-log table (its names: ``vpc_flow_logs``, the guide's
  ``"<vpc_flow_logs_table_name>"``, the configured ``table``/``database.table``), a ``WITH`` query or a
  frame registered on the engine; no table functions (``read_text``, ``glob``, ``query`` ...); every
  function one of :data:`~flowkit.sql.catalog.LOCAL_FUNCTIONS`; every type one Athena has; no
  DuckDB-only clauses (``GROUP BY ALL``, ``UNION BY NAME``, ``ASOF`` joins, ``* EXCLUDE`` ...).

Examples:
    >>> from flowkit.sql.translate import parse_athena
    >>> check_tree(parse_athena("SELECT content FROM read_text('/etc/passwd')"), TableNames())
    Traceback (most recent call last):
    ...
    flowkit.errors.QueryError: table function 'read_text' is not available: the local engine reads only the flow-log table (vpc_flow_logs), a WITH query, VALUES or UNNEST.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from flowkit.errors import QueryError
from flowkit.sql.catalog import describe_function, table_function_message

__all__ = [
    "FUNCTION_NAME",
    "MAX_DEPTH",
    "MAX_QUERY_BYTES",
    "TableNames",
    "check_text",
    "check_tokens",
    "check_tree",
]

#: Athena's limit on the query string ("The query string is limited to 262144 bytes",
#: https://docs.aws.amazon.com/athena/latest/ug/service-limits.html).
MAX_QUERY_BYTES = 262_144
#: The deepest nesting of parentheses and brackets accepted (parsing is recursive).
MAX_DEPTH = 200
#: The ``meta`` key under which the parser records a call's name as written.
FUNCTION_NAME = "fk_name"

_PLACEHOLDER = "<vpc_flow_logs_table_name>"
_QUERY_STARTS = {TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.L_PAREN, TokenType.DESCRIBE}
_TABLE_AFTER = {TokenType.FROM, TokenType.JOIN}
# tokens after which "[" opens a subscript (x[1], f(x)[1], ARRAY[...]), not a DuckDB list literal
_SUBSCRIPTABLE = {
    TokenType.VAR,
    TokenType.IDENTIFIER,
    TokenType.R_PAREN,
    TokenType.R_BRACKET,
    TokenType.ARRAY,
    TokenType.MAP,
}
# Athena (Trino) types; anything else in a CAST is refused (IPPREFIX is Presto's, not Trino's)
_TYPES = {
    exp.DataType.Type.BOOLEAN,
    exp.DataType.Type.TINYINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.FLOAT,
    exp.DataType.Type.DOUBLE,
    exp.DataType.Type.DECIMAL,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.CHAR,
    exp.DataType.Type.TEXT,
    exp.DataType.Type.VARBINARY,
    exp.DataType.Type.DATE,
    exp.DataType.Type.TIME,
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ,
    exp.DataType.Type.INTERVAL,
    exp.DataType.Type.ARRAY,
    exp.DataType.Type.MAP,
    exp.DataType.Type.STRUCT,
    exp.DataType.Type.IPADDRESS,
}
_TRINO_ONLY_TYPES = {exp.DataType.Type.UUID: "uuid", exp.DataType.Type.JSON: "json"}


@dataclass(frozen=True)
class TableNames:
    """The table names a query may use on the local engine.

    Attributes:
        table: the configured Athena table name, also accepted (``vpc_flow_logs`` and the guide's
            placeholder always are).
        database: the configured database: ``database.table`` works, another database does not.
        registered: frames registered on the engine (``engine.register``), by name.
        columns: the flow-log table's columns and their kind (``"number"``, ``"string"``,
            ``"date"``): a comparison of a column with a literal of the other kind is refused, as
            Athena refuses it (it does not convert between text and numbers).
    """

    table: str | None = None
    database: str | None = None
    registered: frozenset[str] = field(default_factory=frozenset)
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def flow_log_names(self) -> set[str]:
        """The names that mean the flow-log table."""
        return {"vpc_flow_logs", _PLACEHOLDER} | ({self.table.lower()} if self.table else set())

    def is_flow_log(self, table: exp.Table) -> bool:
        """Whether ``table`` (a parsed table reference) names the flow-log table."""
        if table.name.lower() not in self.flow_log_names:
            return False
        db = table.args.get("db")
        if db is None or self.database is None:
            return True
        return db.name.lower() == self.database.lower()


def check_text(query: str) -> None:
    """Refuse an empty query or one longer than Athena accepts, before any parsing.

    Raises:
        QueryError: naming the limit.
    """
    if not query or not query.strip():
        raise QueryError("the query is empty: write a SELECT statement.")
    size = len(query.encode("utf-8", errors="surrogatepass"))
    if size > MAX_QUERY_BYTES:
        raise QueryError(
            f"the query is {size:,} bytes; Athena accepts at most {MAX_QUERY_BYTES} bytes "
            "(https://docs.aws.amazon.com/athena/latest/ug/service-limits.html): put long lists in a "
            "table (engine.register) and join it."
        )


def check_tokens(tokens: list[Token]) -> None:
    """Refuse, from the tokens alone, what is not one Athena query or is too deeply nested.

    Raises:
        QueryError: naming the statement, the DuckDB-only syntax or the nesting depth.
    """
    if not tokens:
        raise QueryError("the query is empty: write a SELECT statement.")
    first = tokens[0]
    if first.token_type not in _QUERY_STARTS and not (
        first.token_type == TokenType.TABLE and len(tokens) > 1
    ):
        word = first.text.upper() if first.text.strip() else first.token_type.name
        raise QueryError(f"only queries (SELECT, WITH ...) run here, not {word}: the engine is read-only.")
    ends = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    if ends and any(i != len(tokens) - 1 for i in ends):
        statements = len([i for i in ends if i != len(tokens) - 1]) + 1
        raise QueryError(f"give one SQL statement at a time, not {statements}.")
    cases = sum(1 for token in tokens if token.token_type == TokenType.CASE)
    end_words = [token for token in tokens if token.token_type == TokenType.END]
    if len(end_words) > cases:
        token = end_words[cases]
        raise QueryError(
            f"'{token.text}' is a reserved word in Athena (line {token.line}): quote the column as \"end\" "
            "(https://docs.aws.amazon.com/athena/latest/ug/reserved-words.html)."
        )
    depth = deepest = 0
    previous: Token | None = None
    for token in tokens:
        kind = token.token_type
        if kind in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
            deepest = max(deepest, depth)
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        _check_token(token, previous)
        previous = token
    if deepest > MAX_DEPTH:
        raise QueryError(
            f"the query is nested {deepest} levels deep; the local engine parses at most {MAX_DEPTH} levels "
            "of parentheses: flatten it (a WITH query per step)."
        )


def _check_token(token: Token, previous: Token | None) -> None:
    kind = token.token_type
    where = f"at line {token.line}, column {max(1, token.col - len(token.text) + 1)}"
    if kind == TokenType.IDENTIFIER and token.text == "":
        raise QueryError(f"Zero-length delimited identifier not allowed ({where}).")
    if kind == TokenType.DCOLON:
        raise QueryError(f"'::' casts are DuckDB syntax, not Athena's ({where}): write CAST(x AS type).")
    if kind in (TokenType.L_BRACE, TokenType.R_BRACE):
        raise QueryError(f"'{{...}}' structs are DuckDB syntax, not Athena's ({where}): write ROW(...).")
    if kind == TokenType.COLON_EQ:
        raise QueryError(f"':=' is DuckDB syntax, not Athena's ({where}).")
    if kind == TokenType.VAR and token.text.startswith("$"):
        raise QueryError(f"{token.text!r} parameters are not Athena's ({where}): use :name placeholders.")
    if kind == TokenType.L_BRACKET and (previous is None or previous.token_type not in _SUBSCRIPTABLE):
        raise QueryError(f"'[...]' lists are DuckDB syntax, not Athena's ({where}): write ARRAY[...].")
    if kind == TokenType.STRING and previous is not None and previous.token_type in _TABLE_AFTER:
        raise QueryError(
            f"table '{token.text}' does not exist: a quoted string is not a table in Athena SQL, and the "
            "local engine reads only the flow-log table (vpc_flow_logs)."
        )


def check_tree(expression: exp.Expr, tables: TableNames) -> None:
    """Refuse table functions, unknown tables, functions and types, and DuckDB-only clauses.

    Args:
        expression: the parsed query (before any rewrite: call names are read from the parse).
        tables: the table names the query may use.

    Raises:
        QueryError: naming the table, function, type or clause.
    """
    ctes = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
    kinds = _column_kinds(expression, tables.columns)
    for node in expression.walk():
        if isinstance(node, (*_COMPARISONS, exp.In, exp.DPipe)):
            _check_operands(node, kinds)
        if isinstance(node, exp.Table):
            _check_table(node, tables, ctes)
        elif isinstance(node, exp.Func):
            _check_function(node)
        elif isinstance(node, exp.DataType):
            _check_type(node)
        elif isinstance(node, exp.Parameter):
            raise QueryError(f"{node.sql()!r} parameters are not Athena's: use :name placeholders.")
        else:
            _check_clause(node)


_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_TYPE_KINDS = {
    **dict.fromkeys(
        (exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.INT, exp.DataType.Type.BIGINT,
         exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE, exp.DataType.Type.DECIMAL),
        "number",
    ),
    **dict.fromkeys((exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.TEXT), "string"),
}  # fmt: skip
_KIND_NAMES = {"number": "number", "string": "varchar", "date": "date"}
_SYMBOLS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _column_kinds(expression: exp.Expr, columns: Mapping[str, str]) -> dict[str, str]:
    """Column name -> kind for the names this query cannot mean anything else by."""
    kinds = {name.lower(): kind for name, kind in columns.items()}
    for alias in expression.find_all(exp.TableAlias):
        values = alias.parent if isinstance(alias.parent, exp.Values) else None
        first = values.expressions[0] if values is not None and values.expressions else None
        row = first.expressions if isinstance(first, exp.Tuple) else [first]
        for i, column in enumerate(alias.columns):
            literal = row[i] if values is not None and i < len(row) else None
            kind = _literal_kind(literal) if isinstance(literal, exp.Expr) else None
            if kind:
                kinds[column.name.lower()] = kind
            else:
                kinds.pop(column.name.lower(), None)
    for alias in expression.find_all(exp.Alias):
        kinds.pop(alias.alias.lower(), None)
    for cte in expression.find_all(exp.CTE):
        for projection in cte.this.selects if isinstance(cte.this, exp.Query) else []:
            if not isinstance(projection, exp.Column):
                kinds.pop(projection.alias_or_name.lower(), None)
    return kinds


def _literal_kind(node: exp.Expr | None) -> str | None:
    if isinstance(node, exp.Literal):
        return "string" if node.is_string else "number"
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return "number"
    if isinstance(node, exp.Cast) and not isinstance(node.this, exp.Cast):
        return _TYPE_KINDS.get(node.to.this)
    return None


def _operand_kind(node: exp.Expr, kinds: Mapping[str, str]) -> str | None:
    if isinstance(node, exp.Column):
        return kinds.get(node.name.lower())
    return _literal_kind(node)


def _check_operands(node: exp.Expr, kinds: Mapping[str, str]) -> None:
    if isinstance(node, exp.DPipe):
        for operand in (node.this, node.expression):
            if _operand_kind(operand, kinds) == "number":
                raise QueryError(
                    f"Unexpected parameters for ||: {operand.sql()!r} is a number and || joins varchar "
                    f"(Athena does not convert it): write CAST({operand.sql()} AS VARCHAR)."
                )
        return
    left = _operand_kind(node.this, kinds)
    rights = node.expressions if isinstance(node, exp.In) else [node.expression]
    for right_node in rights:
        right = _operand_kind(right_node, kinds)
        if left and right and {left, right} == {"number", "string"}:
            op = "IN" if isinstance(node, exp.In) else _SYMBOLS[node.key]
            raise QueryError(
                f"Cannot apply operator: {_KIND_NAMES[left]} {op} {_KIND_NAMES[right]} ({node.sql()!r}): Athena "
                "does not convert between text and numbers; compare a number column with a number "
                "(dstport = 443) and a text column with text (action = 'ACCEPT')."
            )


def _call_name(node: exp.Expr) -> str:
    name = node.meta.get(FUNCTION_NAME) if node.meta else None
    if name:
        return str(name)
    if isinstance(node, exp.Anonymous):
        return str(node.name)
    return node.sql_name().lower() if isinstance(node, exp.Func) else node.key


def _check_table(table: exp.Table, tables: TableNames, ctes: set[str]) -> None:
    source = table.this
    if not isinstance(source, exp.Identifier):
        inner = source
        if isinstance(inner, exp.Anonymous) and inner.name.lower() == "table" and inner.expressions:
            inner = inner.expressions[0]  # Trino's TABLE(f(...))
        raise QueryError(table_function_message(_call_name(inner)))
    name = table.name.lower()
    plain = not table.args.get("db") and not table.args.get("catalog")
    if plain and (name in ctes or name in {n.lower() for n in tables.registered}):
        return
    if tables.is_flow_log(table):
        return
    written = ".".join(part.name for part in table.parts)
    known = sorted(tables.flow_log_names | ctes | set(tables.registered))
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        hint = f" (did you mean {close[0]!r}?)"
    else:
        configured = f"{tables.database}.{tables.table}" if tables.database and tables.table else tables.table
        hint = f": the local engine reads the flow-log table, vpc_flow_logs{f' ({configured})' if configured else ''}"
    raise QueryError(f"table {written!r} does not exist{hint}.")


def _check_function(node: exp.Func) -> None:
    name = node.meta.get(FUNCTION_NAME) if node.meta else None
    if name is None and isinstance(node, exp.Anonymous):
        name = node.name  # a call the parser built without going through a function call
    if name is None:
        return  # syntax, not a call: ARRAY[...], CASE, ||, AT TIME ZONE, CURRENT_DATE ...
    reason = describe_function(str(name))
    if reason:
        raise QueryError(reason)
    lower = str(name).lower()
    if lower == "concat" and len(_arguments(node)) < 2:
        raise QueryError("There must be two or more concatenation arguments (concat): use at least two.")
    if isinstance(node.parent, exp.Dot) and node.arg_key == "expression":
        raise QueryError(f"qualified function names ({node.parent.sql()!r}) are not supported here.")


def _arguments(node: exp.Func) -> list[exp.Expr]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    args: list[exp.Expr] = []
    for key in node.arg_types:
        value = node.args.get(key)
        if isinstance(value, list):
            args += value
        elif isinstance(value, exp.Expr):
            args.append(value)
    return args


def _check_type(node: exp.DataType) -> None:
    kind = node.this
    if isinstance(kind, exp.Interval) or kind in _TYPES:
        return
    if kind in _TRINO_ONLY_TYPES:
        raise QueryError(
            f"type {_TRINO_ONLY_TYPES[kind]!r} is an Athena type the local engine does not have; run this "
            "query on Athena."
        )
    name = node.sql(dialect="trino").split("(")[0].lower()
    raise QueryError(f"Unknown type: {name} (Athena engine version 3 has no such type).")


def _check_distinct_order(select: exp.Select) -> None:
    order = select.args.get("order")
    if not select.args.get("distinct") or order is None:
        return
    shown = {p.sql().lower() for p in select.expressions} | {
        p.alias_or_name.lower() for p in select.expressions
    }
    shown |= {p.this.sql().lower() for p in select.expressions if isinstance(p, exp.Alias)}
    for ordered in order.expressions:
        key = ordered.this
        if isinstance(key, exp.Literal) and key.is_int:
            continue
        if key.sql().lower() not in shown and not (isinstance(key, exp.Column) and key.name.lower() in shown):
            raise QueryError(
                f"For SELECT DISTINCT, ORDER BY expressions must appear in select list ({key.sql()!r})."
            )


def _check_clause(node: exp.Expr) -> None:
    if isinstance(node, exp.Select):
        _check_distinct_order(node)
    if isinstance(node, exp.Group) and node.args.get("all"):
        raise QueryError("GROUP BY ALL is DuckDB syntax, not Athena's: list the grouping columns.")
    if isinstance(node, exp.Union | exp.Except | exp.Intersect) and node.args.get("by_name"):
        raise QueryError("UNION BY NAME is DuckDB syntax, not Athena's: list the columns in order.")
    if isinstance(node, exp.Join):
        kind = " ".join(str(node.args.get(k) or "") for k in ("method", "side", "kind")).upper()
        if "ASOF" in kind or "POSITIONAL" in kind or "ANTI" in kind or "SEMI" in kind:
            raise QueryError(f"{' '.join(kind.split())} JOIN is DuckDB syntax, not Athena's.")
    if isinstance(node, exp.Pivot):
        raise QueryError("PIVOT/UNPIVOT is DuckDB syntax, not Athena's: use CASE WHEN in an aggregate.")
    if isinstance(node, exp.Star) and any(node.args.get(k) for k in ("except", "replace", "rename")):
        raise QueryError("SELECT * EXCLUDE/REPLACE is DuckDB syntax, not Athena's: list the columns.")
    if isinstance(node, exp.Describe) and not isinstance(node.this, exp.Table):
        raise QueryError("DESCRIBE takes a table name here (DESCRIBE vpc_flow_logs).")


def registered_names(names: Iterable[str]) -> frozenset[str]:
    """Frame names as :class:`TableNames` keeps them (lower case)."""
    return frozenset(name.lower() for name in names)
