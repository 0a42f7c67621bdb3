"""The operators of the compiler: comparisons, ``like``/``=~``, ``in``, ``and``/``or``, arithmetic.

The ``stats`` aggregate functions are in :mod:`flowkit.engines.insights.functions.aggregates`.
Mixed into :class:`flowkit.engines.insights.compiler.Compiler`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlglot import exp

from flowkit.engines.insights import ast
from flowkit.engines.insights.fields import SYSTEM_BY_LOWER
from flowkit.engines.insights.shared import call, paren
from flowkit.engines.insights.values import (
    BOOL,
    NULL,
    NUM,
    Typed,
    as_value,
    boolean,
    compare,
    num,
    string,
)

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler


class OperatorsMixin:
    """Binary operators, matching and membership, with the notes on likely mistakes."""

    def binary(self: Compiler, node: ast.Binary) -> Typed:
        op = node.op
        if op in ("and", "or"):
            operands: list[ast.Expr] = []
            pending: list[ast.Expr] = [node]
            while pending:  # flatten a chain of the same operator (no recursion on long conditions)
                item = pending.pop()
                if isinstance(item, ast.Binary) and item.op == op:
                    pending.extend((item.right, item.left))
                else:
                    operands.append(item)
            terms = [paren(boolean(self.expr(item))) for item in operands]
            builder = exp.and_ if op == "and" else exp.or_
            return Typed(builder(*terms), BOOL)
        if op in ("+", "-", "*", "/", "%", "^"):
            left, right = num(self.expr(node.left)), num(self.expr(node.right))
            if op in ("/", "%"):
                right = exp.Nullif(this=right, expression=exp.Literal.number(0))
            builders = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div, "%": exp.Mod, "^": exp.Pow}
            return Typed(builders[op](this=paren(left), expression=paren(right)), NUM)
        if op in ("like", "not like", "=~", "!~"):
            return self.match(node)
        if op in ("in", "not in"):
            return self.membership(node)
        if op == "==":
            self.note("`==` is read as `=`; CloudWatch documents only `=` for equality.")
            op = "="
        self.check_log_stream(node, op)
        rewritten = self.log_stream_shortcut(node, op)
        if rewritten is not None:
            return rewritten
        left, right = self.expr(node.left), self.expr(node.right)
        return Typed(compare(op, as_value(left), as_value(right)), BOOL)

    def match(self: Compiler, node: ast.Binary) -> Typed:
        left = self.expr(node.left)
        if left.type == NULL:
            return Typed(exp.false(), BOOL)
        if node.op == "!~":
            self.note("`!~` is read as `not like /regex/`; CloudWatch does not document `!~`.")
        text = string(left)
        if isinstance(node.right, ast.Regex):
            test = call("regexp_matches", text, self.regex(node.right.pattern))
        elif node.op in ("=~", "!~"):
            test = call("regexp_matches", text, string(self.expr(node.right)))
        else:
            right = self.expr(node.right)
            if right.type == NULL:
                return Typed(exp.false(), BOOL)
            self.check_address_prefix(node)
            test = call("contains", text, string(right))
        negate = node.op in ("not like", "!~")
        return Typed(exp.Not(this=test) if negate else test, BOOL)

    def check_address_prefix(self: Compiler, node: ast.Binary) -> None:
        """Warn when `like 'text'` looks meant as an address prefix: in Logs Insights it is a substring test."""
        if not (isinstance(node.right, ast.Literal) and isinstance(node.right.value, str)):
            return
        value = node.right.value
        if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){0,2}\.?", value):
            return
        octets = value.rstrip(".").split(".")
        cidr = ".".join(octets + ["0"] * (4 - len(octets))) + f"/{8 * len(octets)}"
        self.note(
            f"`{node.op} '{value}'` is a substring test in Logs Insights, not a prefix test: it also "
            f"matches addresses that merely contain {value!r} (e.g. 52.{value.rstrip('.')}.7). For a subnet "
            f"use `isIpv4InSubnet(field, '{cidr}')`, or a regex such as `like /^{re.escape(value.rstrip('.'))}\\./`."
        )

    def membership(self: Compiler, node: ast.Binary) -> Typed:
        left = as_value(self.expr(node.left))
        assert isinstance(node.right, ast.ListLit)
        if left.type == NULL:
            return Typed(exp.false(), BOOL)
        tests = [compare("=", left, as_value(self.expr(item))) for item in node.right.items]
        if not tests:
            condition: exp.Expression = exp.false()
        elif all(isinstance(t, exp.EQ) and t.this == tests[0].this for t in tests):
            condition = exp.In(this=tests[0].this, expressions=[t.expression for t in tests])
        else:
            condition = exp.or_(*(paren(t) for t in tests))
        if node.op == "not in":
            return Typed(exp.Not(this=paren(condition)), BOOL)
        return Typed(condition, BOOL)

    def _stream_literal(self: Compiler, node: ast.Binary) -> str | None:
        sides = (node.left, node.right)
        names = [s.name for s in sides if isinstance(s, ast.Field)]
        values = [s.value for s in sides if isinstance(s, ast.Literal) and isinstance(s.value, str)]
        if len(names) != 1 or len(values) != 1 or SYSTEM_BY_LOWER.get(names[0].lower()) != "@logStream":
            return None
        column = self.schema.get(names[0]) or self.schema.get("@logStream")
        if column is None or column.sql_name != "s_logstream":
            return None
        if names[0] != "@logStream":
            self.spelling_note(names[0], "@logStream")
        return values[0]

    def check_log_stream(self: Compiler, node: ast.Binary, op: str) -> None:
        """Warn when a query compares @logStream with a bare ENI id, which never matches on AWS."""
        value = self._stream_literal(node)
        if value is None or op not in ("=", "!=") or value.endswith("-all") or not value.startswith("eni-"):
            return
        self.note(
            f"`@logStream {op} '{value}'` compares with a bare interface id, but CloudWatch names each "
            f"flow-log stream `<interface-id>-all`, so on AWS this matches no event and the result here is "
            f"the same. You probably meant `@logStream {op} '{value}-all'` (or `interfaceId {op} '{value}'`)."
        )

    def log_stream_shortcut(self: Compiler, node: ast.Binary, op: str) -> Typed | None:
        """``@logStream = 'eni-x-all'`` as ``interface_id = 'eni-x'`` (same rows, pushed down)."""
        value = self._stream_literal(node)
        iface = self.schema.get("interfaceId")
        if value is None or op != "=" or iface is None:
            return None
        if not value.endswith("-all"):  # no stream name `<interface-id>-all` can equal it
            return Typed(exp.false(), BOOL)
        if iface.sql_name not in self.base_sql:
            return None
        self.used.add(iface.sql_name)
        return Typed(
            exp.EQ(this=self.column(iface.sql_name), expression=exp.Literal.string(value[:-4])), BOOL
        )
