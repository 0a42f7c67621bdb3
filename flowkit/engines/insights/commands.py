"""The pipeline commands of the compiler: each turns one command into a stage (or a new order).

Mixed into :class:`flowkit.engines.insights.compiler.Compiler`, which provides the expression
compiler, the schema of the current stage and the stage list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.regex import glob_to_regex
from flowkit.engines.insights.shared import DEFAULT_SORT_DESCENDING, MAX_ROWS, Column, select
from flowkit.engines.insights.values import STR, Typed, as_value, boolean, sort_keys, string

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler


class CommandsMixin:
    """``fields``, ``display``, ``filter``, ``stats``, ``sort``, ``limit``, ``parse``, ``dedup``."""

    def command(self: Compiler, command: ast.Command) -> None:
        """Compile one command."""
        handler = {
            ast.Fields: self.cmd_fields,
            ast.Filter: self.cmd_filter,
            ast.Stats: self.cmd_stats,
            ast.Sort: self.cmd_sort,
            ast.Limit: self.cmd_limit,
            ast.Parse: self.cmd_parse,
            ast.Dedup: self.cmd_dedup,
        }[type(command)]
        handler(command)

    def add_column(self: Compiler, name: str, value: Typed) -> None:
        """A stage adding one column (or replacing the field ``name``)."""
        value = as_value(value)
        sql_name = self.new_name("c", name)
        self.stage(select(exp.Star(), exp.alias_(value.sql, sql_name)))
        self.schema[name] = Column(sql_name, value.type)

    def cmd_fields(self: Compiler, command: ast.Fields) -> None:
        if command.display:
            self.display = command
            return
        for item in command.items:
            if isinstance(item.expr, ast.Field) and item.alias is None:
                self.resolve(item.expr)
            else:
                self.add_column(item.name, self.expr(item.expr))
            self.output.append(item.name)

    def cmd_filter(self: Compiler, command: ast.Filter) -> None:
        self.stage(select(exp.Star()).where(boolean(self.expr(command.condition)), copy=False))

    def cmd_stats(self: Compiler, command: ast.Stats) -> None:
        if self.stats_count == 2:
            raise self.fail("a query can have at most two stats commands", command)
        if self.stats_count == 1 and self.sorted_or_limited:
            raise self.fail("with two stats commands, sort and limit must come after the second one", command)
        keys: list[tuple[str, Typed]] = []
        for item in command.by:
            keys.append((item.name, as_value(self.expr(item.expr))))
        self.agg_ctx = {}
        for (name, value), item in zip(keys, command.by, strict=True):
            self.agg_ctx[name] = value
            if isinstance(item.expr, ast.Field):
                self.agg_ctx.setdefault(item.expr.name, value)
        aggregates: list[tuple[str, Typed]] = []
        try:
            for item in command.aggregates:
                self.found_aggregate = False
                value = as_value(self.expr(item.expr))
                if not self.found_aggregate:
                    raise self.fail(
                        "each stats item needs an aggregate function such as count(*) or sum(bytes)", item
                    )
                aggregates.append((item.name, value))
                if item.alias:
                    self.agg_ctx[item.alias] = value
                    self.agg_aliases.add(item.alias)
        finally:
            self.agg_ctx = None
        columns = []
        schema: dict[str, Column] = {}
        for prefix, entries in (("k", keys), ("a", aggregates)):
            for name, value in entries:
                sql_name = self.new_name(prefix, name)
                columns.append(exp.alias_(value.sql, sql_name))
                schema[name] = Column(sql_name, value.type)
        query = select(*columns)
        if keys:
            query = query.group_by(*[value.sql.copy() for _, value in keys], copy=False)
        self.stage(query)
        self.schema = schema
        self.stats_count += 1
        self.output = [name for name, _ in keys] + [name for name, _ in aggregates]
        self.parsed = []
        order: list[exp.Ordered] = []
        for name, _ in keys:
            column = schema[name]
            order.extend(sort_keys(Typed(exp.column(column.sql_name), column.type), False))
        self.order = order
        if self.display is not None:
            self.display = None

    def cmd_sort(self: Compiler, command: ast.Sort) -> None:
        if command.keyword == "order by":
            self.note(
                "`order by` is not Logs Insights syntax (CloudWatch documents `sort`), so CloudWatch would "
                "most likely reject this query with a syntax error; flowkit runs it as `sort`. Write `sort "
                + ", ".join(k.text for k in command.keys)
                + "` to run it on AWS."
            )
        order: list[exp.Ordered] = []
        for key in command.keys:
            descending = DEFAULT_SORT_DESCENDING if key.descending is None else key.descending
            order.extend(sort_keys(self.expr(key.expr), descending))
        self.order = order
        self.sorted_or_limited = True

    def cmd_limit(self: Compiler, command: ast.Limit) -> None:
        count = command.count
        if command.keyword == "head":
            self.note("`head` is a deprecated alias of `limit`; flowkit runs it as `limit`.")
        if count > MAX_ROWS:
            self.note(
                f"`limit {count}` is capped at {MAX_ROWS:,} rows, the most CloudWatch Logs Insights returns."
            )
            count = MAX_ROWS
        self.pending_limit = count
        self.sorted_or_limited = True

    def cmd_parse(self: Compiler, command: ast.Parse) -> None:
        source = string(self.expr(command.source))
        if command.is_regex:
            regex = self.regex(command.pattern, named_only=True)
        else:
            regex = exp.Literal.string(glob_to_regex(command.pattern))
        groups = [f"g{i}" for i in range(len(command.aliases))]
        extract = exp.Anonymous(
            this="regexp_extract",
            expressions=[source, regex, exp.Array(expressions=[exp.Literal.string(g) for g in groups])],
        )
        matched = exp.Case(
            ifs=[
                exp.If(
                    this=exp.Anonymous(this="regexp_matches", expressions=[source.copy(), regex.copy()]),
                    true=extract,
                )
            ]
        )
        struct_name = self.new_name("p", "parse")
        self.stage(select(exp.Star(), exp.alias_(matched, struct_name)))
        columns = []
        for group, alias in zip(groups, command.aliases, strict=True):
            sql_name = self.new_name("c", alias)
            value = exp.Anonymous(
                this="struct_extract", expressions=[exp.column(struct_name), exp.Literal.string(group)]
            )
            columns.append(exp.alias_(value, sql_name))
            self.schema[alias] = Column(sql_name, STR)
            self.parsed.append(alias)
        self.stage(select(exp.Star(), *columns))

    def cmd_dedup(self: Compiler, command: ast.Dedup) -> None:
        keys = [self.expr(f) for f in command.fields]
        window = exp.Window(
            this=exp.RowNumber(),
            partition_by=[k.sql for k in keys],
            order=exp.Order(expressions=list(order)) if (order := self.current_order()) else None,
        )
        keep = exp.or_(
            exp.EQ(this=window, expression=exp.Literal.number(1)),
            *[exp.Is(this=k.sql.copy(), expression=exp.Null()) for k in keys],
        )
        self.stage(select(exp.Star()).qualify(keep, copy=False))
