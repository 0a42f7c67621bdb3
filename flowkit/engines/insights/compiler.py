"""Compile a Logs Insights query to one DuckDB SQL statement over the ``vpc_flow_logs`` view.

Each command becomes a stage (a CTE reading the one before): ``parse`` and ``fields`` add
columns, ``filter`` adds a WHERE, ``stats`` a GROUP BY, ``dedup`` a QUALIFY, ``limit`` an ORDER BY
... LIMIT. ``sort`` only sets the current order, applied where it matters (``limit``, ``dedup`` and
the final SELECT). DuckDB inlines the CTEs, so the stages cost nothing at run time. Everything is
built with sqlglot expressions: literals from the query are always escaped SQL literals.

The behaviour choices for what the spec leaves open are listed in docs/insights-semantics.md.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.commands import CommandsMixin
from flowkit.engines.insights.errors import InsightsQueryError
from flowkit.engines.insights.fields import SYSTEM_BY_LOWER, base_fields
from flowkit.engines.insights.functions import compile_call
from flowkit.engines.insights.operators import OperatorsMixin
from flowkit.engines.insights.regex import rewrite_groups
from flowkit.engines.insights.shared import MAX_ROWS, Column, paren, select
from flowkit.engines.insights.values import (
    BOOL,
    NULL,
    NULL_VALUE,
    NUM,
    Typed,
    as_value,
    boolean,
    literal,
    not_missing,
    num,
    sort_keys,
    string,
)
from flowkit.schema import Field

_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")


@dataclass
class Compiled:
    """A compiled query: the SQL, the result columns (names and types) and compatibility notes."""

    sql: str
    columns: list[str]
    types: list[str]
    notes: list[str] = field(default_factory=list)
    udfs: set[str] = field(default_factory=set)
    regexes: list[str] = field(default_factory=list)


class Compiler(CommandsMixin, OperatorsMixin):
    """Turns one parsed query into SQL; create a new one per query."""

    def __init__(
        self,
        text: str,
        fields: Sequence[Field],
        *,
        table: str = "vpc_flow_logs",
        start_ms: int | None = None,
        end_ms: int | None = None,
        now: int | None = None,
        events: Sequence[str] = (),
    ) -> None:
        if not _TABLE.fullmatch(table):
            raise InsightsQueryError(
                f"table name {table!r} is not a plain SQL identifier such as vpc_flow_logs"
            )
        self.text = text
        self.table = table
        self.fields = list(fields)
        self.start_ms, self.end_ms = start_ms, end_ms
        self.now = int(time.time()) if now is None else now
        self.events = tuple(events)
        self.base = base_fields(self.fields, self.events)
        self.base_sql = {b.sql_name: b for b in self.base.values()}
        self.schema: dict[str, Column] = {name: Column(b.sql_name, b.type) for name, b in self.base.items()}
        self.used: set[str] = set()
        self.stages: list[tuple[str, exp.Select]] = []
        self.current = "base"
        self.counter = 0
        self.order: list[exp.Ordered] | None = None
        self.stats_count = 0
        self.output: list[str] = []
        self.parsed: list[str] = []
        self.display: ast.Fields | None = None
        self.limit: int | None = None
        self.pending_limit: int | None = None
        self.sorted_or_limited = False
        self.notes: list[str] = []
        self.udfs: set[str] = set()
        self.regexes: list[str] = []
        self.agg_ctx: dict[str, Typed] | None = None
        self.in_aggregate = False
        self.found_aggregate = False
        self.agg_aliases: set[str] = set()

    # --- helpers -----------------------------------------------------------------------------------

    def note(self, message: str) -> None:
        """Attach a compatibility note to the result (each note once)."""
        if message not in self.notes:
            self.notes.append(message)

    def fail(self, message: str, node: ast.Node | None = None) -> InsightsQueryError:
        """An error pointing at ``node`` in the query."""
        return InsightsQueryError(message, self.text, node.pos if node is not None else None)

    def new_name(self, prefix: str, label: str) -> str:
        """A fresh SQL column name (unique even though DuckDB ignores case in identifiers)."""
        self.counter += 1
        clean = re.sub(r"[^A-Za-z0-9_]", "", label)[:24].lower()
        return f"{prefix}{self.counter}_{clean}"

    def stage(self, query: exp.Select) -> None:
        """Add a stage reading the current relation."""
        self.counter += 1
        name = f"s{self.counter}"
        query.set("from_", exp.From(this=exp.Table(this=exp.to_identifier(self.current))))
        self.stages.append((name, query.sql(dialect="duckdb")))
        self.current = name

    def column(self, name: str) -> exp.Column:
        return exp.column(name)

    def lookup(self, name: str) -> Column | None:
        """The column of a field name (system names match case-insensitively)."""
        column = self.schema.get(name)
        if column is None and name.startswith("@"):
            canonical = SYSTEM_BY_LOWER.get(name.lower())
            if canonical and canonical in self.schema:
                column = self.schema[canonical]
                self.spelling_note(name, canonical)
        if column is not None and column.sql_name in self.base_sql:
            self.used.add(column.sql_name)
        return column

    def spelling_note(self, name: str, canonical: str) -> None:
        self.note(
            f"`{name}` is read as the system field `{canonical}` (flowkit matches system field names "
            f"case-insensitively; CloudWatch documents the name as `{canonical}`)."
        )

    def resolve(self, node: ast.Field, for_bin: bool = False) -> Typed:
        """The value of a field reference in the current context."""
        if self.agg_ctx is not None and not self.in_aggregate:
            if node.name in self.agg_ctx:
                self.found_aggregate |= node.name in self.agg_aliases
                return self.agg_ctx[node.name]
            raise self.fail(
                f"in stats, `{node.name}` must be inside an aggregate function such as max(...), "
                "or be an alias defined earlier in the same stats",
                node,
            )
        column = self.lookup(node.name)
        if column is not None:
            return Typed(self.column(column.sql_name), column.type)
        if self.stats_count:
            if for_bin:
                raise self.fail(
                    "bin() reads @timestamp, which is gone after the first stats: carry a time forward "
                    "(e.g. `max(@timestamp) as t`) and group by dateceil(t, 5m)",
                    node,
                )
            available = ", ".join(f"`{n}`" for n in self.schema)
            raise self.fail(f"`{node.name}` does not exist after stats, which outputs only {available}", node)
        known = [*self.schema, *SYSTEM_BY_LOWER.values()]
        close = difflib.get_close_matches(node.name, known, n=1, cutoff=0.7)
        if not close:
            close = [
                k
                for k in known
                if k.lower() == node.name.lower().lstrip("@") or k.lower().lstrip("@") == node.name.lower()
            ][:1]
        hint = f" Did you mean `{close[0]}`?" if close else ""
        self.note(
            f"`{node.name}` is not a field of these flow-log records, so it is empty in every record "
            f"(as in CloudWatch): comparisons with it are false.{hint}"
        )
        return NULL_VALUE

    def args(self, node: ast.Call, low: int, high: int | None = None) -> list[Typed]:
        """Compile a call's arguments, checking how many there are."""
        high = low if high is None else high
        if not low <= len(node.args) <= high:
            wanted = str(low) if low == high else f"{low} to {high}"
            raise self.fail(f"{node.name}() takes {wanted} argument(s), not {len(node.args)}", node)
        return [self.expr(arg) for arg in node.args]

    def pattern(self, node: ast.Expr, value: Typed) -> exp.Expression:
        """A regex argument: a /regex/ literal or a string."""
        if isinstance(node, ast.Regex):
            return self.regex(node.pattern)
        return string(value)

    def regex(self, pattern: str, named_only: bool = False) -> exp.Literal:
        """A regex literal for RE2 (recorded, so the runner can check it compiles)."""
        rewritten = rewrite_groups(pattern, named_only)
        self.regexes.append(rewritten)
        return exp.Literal.string(rewritten)

    # --- expressions -------------------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> Typed:
        """Compile an expression to a typed SQL expression."""
        result = self._expr(node)
        return Typed(paren(result.sql), result.type, result.literal)

    def _expr(self, node: ast.Expr) -> Typed:
        if isinstance(node, ast.Field):
            return self.resolve(node)
        if (
            self.stats_count
            and self.agg_ctx is None
            and isinstance(node, ast.Call)
            and node.text in self.schema
        ):
            # after stats, `sort count(*) desc` or `filter bin(5m) > ...` name the stats output column
            return self.resolve(ast.Field(node.text, pos=node.pos, text=node.text))
        if isinstance(node, ast.Literal):
            return literal(node.value)
        if isinstance(node, ast.Call):
            return compile_call(self, node)
        if isinstance(node, ast.Unary):
            operand = self.expr(node.operand)
            if node.op == "-":
                return Typed(exp.Neg(this=num(operand)), NUM)
            return Typed(exp.Not(this=not_missing(boolean(operand))), BOOL)
        if isinstance(node, ast.Binary):
            return self.binary(node)
        what = {
            ast.Regex: "a /regex/ can only follow like or =~",
            ast.Duration: "a time period such as 5m can only be an argument of bin, datefloor or dateceil",
            ast.ListLit: "a [list] can only follow in",
            ast.Star: "* can only be the argument of count(*)",
        }
        raise self.fail(what.get(type(node), "unexpected expression"), node)

    # --- the whole query ---------------------------------------------------------------------------

    def compile(self, query: ast.Query) -> Compiled:
        """Compile every command, then the final projection."""
        dedup_at: ast.Dedup | None = None
        for command in query.commands:
            if dedup_at is not None and not isinstance(command, ast.Limit):
                raise self.fail("only limit may follow dedup", command)
            if isinstance(command, ast.Dedup):
                dedup_at = command
            self.flush_limit()
            self.command(command)
        return self.finish()

    def flush_limit(self) -> None:
        if self.pending_limit is None:
            return
        query = select(exp.Star())
        if order := self.current_order():
            query = query.order_by(*order, copy=False)
        self.stage(query.limit(self.pending_limit, copy=False))
        self.pending_limit = None

    def current_order(self) -> list[exp.Ordered]:
        if self.order is not None:
            return self.order
        if self.stats_count:
            return []
        return sort_keys(self.resolve(ast.Field("@timestamp", text="@timestamp")), True)

    def finish(self) -> Compiled:
        projections: list[tuple[str, Typed]] = []
        if self.display is not None:
            for item in self.display.items:
                projections.append((item.name, as_value(self.expr(item.expr))))
        else:
            names = self.output if (self.output or self.stats_count) else self.parsed
            names = names or ["@timestamp", "@message"]
            for name in dict.fromkeys(names):
                projections.append((name, as_value(self.resolve(ast.Field(name, text=name)))))
        query = select(
            *[
                exp.alias_(t.sql if t.type != NULL else exp.cast(exp.Null(), "VARCHAR"), f"o{i}")
                for i, (_, t) in enumerate(projections)
            ]
        )
        query.set("from_", exp.From(this=exp.Table(this=exp.to_identifier(self.current))))
        order = self.current_order()
        if order:
            query = query.order_by(*order, copy=False)
        cap = min(self.pending_limit if self.pending_limit is not None else MAX_ROWS, MAX_ROWS)
        query = query.limit(cap, copy=False)
        return Compiled(
            self.with_stages(query.sql(dialect="duckdb")),
            [n for n, _ in projections],
            [t.type for _, t in projections],
            self.notes,
            self.udfs,
            self.regexes,
        )

    def with_stages(self, final: str) -> str:
        """The whole statement: the base relation and every stage as CTEs, then ``final``.

        Every piece is SQL that sqlglot generated from expressions; only the names of the CTEs
        (``base``, ``s1``, ...) are joined in here.
        """
        used = {b.sql_name: b for b in self.base.values() if b.sql_name in self.used}
        columns = [f"{b.sql} AS {name}" for name, b in used.items()] or ["1 AS s_one"]
        table = exp.to_table(self.table).sql(dialect="duckdb")
        base = f"SELECT {', '.join(columns)} FROM {table}"
        condition = self.time_range()
        if condition is not None:
            base += f" WHERE {condition.sql(dialect='duckdb')}"
        ctes = [f"base AS ({base})", *(f"{name} AS ({text})" for name, text in self.stages)]
        return f"WITH {', '.join(ctes)} {final}"

    def time_range(self) -> exp.Expression | None:
        if self.start_ms is None and self.end_ms is None:
            return None
        if "event_timestamp" in self.events:  # CloudWatch filters on the event's timestamp
            millis = self.base["@timestamp"].definition
            terms = []
            if self.start_ms is not None:
                terms.append(exp.GTE(this=millis.copy(), expression=exp.Literal.number(self.start_ms)))
            if self.end_ms is not None:
                terms.append(exp.LTE(this=millis.copy(), expression=exp.Literal.number(self.end_ms)))
            return exp.and_(*terms)
        start = next((f for f in self.fields if f.name == "start"), None)
        if start is None:
            self.note("these records have no `start` field, so the time range was not applied.")
            return None
        column = exp.column(start.column, quoted=True)
        terms = []
        if self.start_ms is not None:
            terms.append(exp.GTE(this=column, expression=exp.Literal.number(-(-self.start_ms // 1000))))
        if self.end_ms is not None:
            terms.append(exp.LTE(this=column.copy(), expression=exp.Literal.number(self.end_ms // 1000)))
        return exp.and_(*terms)


__all__ = ["Compiled", "Compiler"]
