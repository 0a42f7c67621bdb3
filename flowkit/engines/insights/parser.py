"""A recursive-descent parser for the Logs Insights query language: query text -> :class:`ast.Query`.

Commands, keywords and function names are case-insensitive; field names are case-sensitive.
Operator precedence, loosest first: ``or``, ``and``, ``not``, comparisons (``= != < <= > >= like
=~ in``), ``+ -``, ``* / %``, ``^`` (right-associative), unary ``-``.

Syntax errors raise :class:`InsightsSyntaxError`, which shows the query line with a caret at the
problem and says what was expected there.

Examples:
    >>> q = parse_insights("filter dstPort < 1024 | stats count(*) by srcAddr")
    >>> [type(c).__name__ for c in q.commands]
    ['Filter', 'Stats']
    >>> q.commands[1].aggregates[0].name
    'count(*)'
"""

from __future__ import annotations

import difflib
import re

from flowkit.engines.insights import ast
from flowkit.engines.insights.errors import InsightsSyntaxError, UnsupportedError
from flowkit.engines.insights.lexer import TIME_UNITS, Lexer, Token

#: Commands the local engine runs.
COMMANDS = (
    "fields",
    "display",
    "filter",
    "where",
    "stats",
    "sort",
    "order",
    "limit",
    "head",
    "parse",
    "dedup",
)

#: Valid Logs Insights commands the local engine refuses (priority P2 in the spec), with the reason.
UNSUPPORTED_COMMANDS = {
    "tail": "a deprecated alias whose meaning AWS never documented; use `sort @timestamp asc | limit N`",
    "unnest": "it needs the JSON list values of jsonParse, which flow-log records do not have",
    "lookup": "it reads lookup tables uploaded to CloudWatch; join a local table with engine.sql instead",
    "source": "it selects CloudWatch log groups; locally, choose the data with flowkit.connect(...)",
    "filterindex": "it is an index hint for CloudWatch; write `filter` instead",
    "unmask": "it reveals data masked by a CloudWatch data-protection policy",
    "pattern": "it runs CloudWatch's machine-learning log clustering",
    "anomaly": "it runs CloudWatch's machine-learning anomaly detection",
    "diff": "it compares with an earlier period stored in CloudWatch",
    "logcompare": "it compares with an earlier period stored in CloudWatch",
    "join": "joins and subqueries are not implemented in the local engine",
    "addtotals": "it is not implemented in the local engine",
}

_KEYWORDS = {"and", "or", "not", "in", "like", "as", "by", "asc", "desc"}
_COMPARISONS = {"=", "==", "!=", "<", "<=", ">", ">="}
_GROUP = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")


def parse_insights(query: str) -> ast.Query:
    """Parse a Logs Insights query into its syntax tree.

    Args:
        query: the query text (several lines and ``#`` comments allowed).

    Returns:
        The :class:`~flowkit.engines.insights.ast.Query`.

    Raises:
        InsightsSyntaxError: the query is not valid; the message shows where and what was expected.
        UnsupportedError: the query uses a command the local engine does not run (``pattern``, ...).
    """
    if not isinstance(query, str):
        raise InsightsSyntaxError(str(query), 0, "a query string", type(query).__name__)
    try:
        return _Parser(query).query()
    except RecursionError:
        raise InsightsSyntaxError(
            query, 0, "a query that nests parentheses less deeply (it is too deeply nested)"
        ) from None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = Lexer(text)
        self.pos = 0

    # --- token helpers ---------------------------------------------------------------------------

    def peek(self, regex_ok: bool = False) -> Token:
        return self.lexer.token(self.pos, regex_ok)

    def advance(self, regex_ok: bool = False) -> Token:
        token = self.peek(regex_ok)
        self.pos = token.end
        return token

    def error(self, expected: str, token: Token | None = None) -> InsightsSyntaxError:
        token = token or self.peek()
        return InsightsSyntaxError(self.text, token.start, expected, token.describe())

    def expect_op(self, op: str, expected: str | None = None) -> Token:
        token = self.peek()
        if token.kind != "OP" or token.value != op:
            raise self.error(expected or f"{op!r}")
        return self.advance()

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "OP" and token.value in ops

    def at_word(self, *words: str) -> bool:
        return self.peek().is_word(*words)

    def node_text(self, start: int) -> str:
        return " ".join(self.text[start : self.pos].split())

    # --- query and commands ----------------------------------------------------------------------

    def query(self) -> ast.Query:
        commands = [self.command()]
        while self.at_op("|"):
            self.advance()
            commands.append(self.command())
        token = self.peek()
        if token.kind != "EOF":
            raise self.error("'|' and the next command, or the end of the query", token)
        return ast.Query(tuple(commands), pos=0, text=self.text)

    def command(self) -> ast.Command:
        token = self.peek()
        if token.kind != "NAME":
            raise self.error("a command (fields, filter, stats, sort, limit, parse, ...)", token)
        word = str(token.value).lower()
        if word in UNSUPPORTED_COMMANDS:
            raise UnsupportedError(
                f"the Logs Insights command `{token.value}` is not supported locally: "
                f"{UNSUPPORTED_COMMANDS[word]}",
                self.text,
                token.start,
            )
        if word not in COMMANDS:
            close = difflib.get_close_matches(word, COMMANDS, n=1)
            hint = (
                f"a command (did you mean {close[0]!r}?)"
                if close
                else "a command (" + ", ".join(COMMANDS) + ")"
            )
            raise self.error(hint, token)
        start = token.start
        self.advance()
        method = getattr(self, f"cmd_{word}")
        node = method(word)
        return type(node)(**{**node.__dict__, "pos": start, "text": self.node_text(start)})

    def cmd_fields(self, word: str) -> ast.Fields:
        return ast.Fields(self.items("a field or expression"), display=word == "display")

    cmd_display = cmd_fields

    def cmd_filter(self, word: str) -> ast.Filter:
        return ast.Filter(self.expression(), keyword=word)

    cmd_where = cmd_filter

    def cmd_stats(self, word: str) -> ast.Stats:
        aggregates = self.items("an aggregate such as count(*)", stop_at_by=True)
        by: tuple[ast.Item, ...] = ()
        if self.at_word("by"):
            self.advance()
            by = self.items("a field or bin(...) to group by")
        return ast.Stats(aggregates, by)

    def cmd_sort(self, word: str) -> ast.Sort:
        if self.at_word("by"):
            self.advance()
        keys = []
        while True:
            start = self.peek(True).start
            expr = self.expression()
            descending = None
            if self.at_word("asc", "desc"):
                descending = str(self.advance().value).lower() == "desc"
            keys.append(ast.SortKey(expr, descending, pos=start, text=self.node_text(start)))
            if not self.at_op(","):
                break
            self.advance()
        return ast.Sort(tuple(keys))

    def cmd_order(self, word: str) -> ast.Sort:
        if not self.at_word("by"):
            raise self.error("'by' after 'order' (Logs Insights sorts with `sort field desc`)")
        node = self.cmd_sort(word)
        return ast.Sort(node.keys, keyword="order by")

    def cmd_limit(self, word: str) -> ast.Limit:
        if self.at_word("any"):
            self.advance()
        token = self.peek()
        if token.kind != "NUMBER" or not isinstance(token.value, int):
            raise self.error("a whole number of rows", token)
        self.advance()
        return ast.Limit(int(token.value), keyword=word)

    cmd_head = cmd_limit

    def cmd_parse(self, word: str) -> ast.Parse:
        source = ast.Field("@message", pos=self.peek().start, text="@message")
        token = self.peek(True)
        if token.kind in ("NAME", "QNAME") and not token.is_word(*_KEYWORDS):
            source = self.field(self.advance())
            token = self.peek(True)
        if token.kind == "REGEX":
            self.advance(True)
            names = tuple(_GROUP.findall(str(token.value)))
            if not names:
                raise InsightsSyntaxError(
                    self.text, token.start, "a regex with at least one named group such as (?<name>...)"
                )
            if self.at_word("multi"):
                raise UnsupportedError(
                    "`parse ... multi` is not supported locally", self.text, self.peek().start
                )
            return ast.Parse(source, str(token.value), True, names)
        if token.kind != "STRING":
            raise self.error('a "glob with * wildcards" or a /regex/ to parse', token)
        self.advance()
        stars = str(token.value).count("*")
        if not self.at_word("as"):
            raise self.error(f"'as' and {stars} field name(s), one for each * in the pattern")
        self.advance()
        aliases = [self.alias_name()]
        while self.at_op(","):
            self.advance()
            aliases.append(self.alias_name())
        if stars != len(aliases):
            raise InsightsSyntaxError(
                self.text,
                token.start,
                f"as many * in the pattern as names after 'as' ({len(aliases)})",
                f"{stars} *",
            )
        return ast.Parse(source, str(token.value), False, tuple(aliases))

    def cmd_dedup(self, word: str) -> ast.Dedup:
        fields = [self.field(self.expect_name("a field to deduplicate on"))]
        while self.at_op(","):
            self.advance()
            fields.append(self.field(self.expect_name("a field to deduplicate on")))
        return ast.Dedup(tuple(fields))

    # --- items and names -------------------------------------------------------------------------

    def items(self, expected: str, stop_at_by: bool = False) -> tuple[ast.Item, ...]:
        items = []
        while True:
            token = self.peek(True)
            if token.kind == "EOF" or (token.kind == "OP" and token.value == "|"):
                raise self.error(expected, token)
            start = token.start
            expr = self.expression()
            alias = None
            if self.at_word("as"):
                self.advance()
                alias = self.alias_name()
            items.append(ast.Item(expr, alias, pos=start, text=self.node_text(start)))
            if not self.at_op(","):
                break
            self.advance()
        return tuple(items)

    def expect_name(self, expected: str) -> Token:
        token = self.peek()
        if token.kind == "QNAME" or (token.kind == "NAME" and not token.is_word(*_KEYWORDS)):
            return self.advance()
        raise self.error(expected, token)

    def alias_name(self) -> str:
        return str(self.expect_name("a name after 'as'").value)

    def field(self, token: Token) -> ast.Field:
        return ast.Field(str(token.value), pos=token.start, text=self.text[token.start : token.end])

    # --- expressions -----------------------------------------------------------------------------

    def expression(self) -> ast.Expr:
        return self.binary_chain("or", self.and_expr)

    def and_expr(self) -> ast.Expr:
        return self.binary_chain("and", self.not_expr)

    def binary_chain(self, word: str, operand) -> ast.Expr:
        start = self.peek(True).start
        left = operand()
        while self.at_word(word):
            self.advance()
            right = operand()
            left = ast.Binary(word, left, right, pos=start, text=self.node_text(start))
        return left

    def not_expr(self) -> ast.Expr:
        token = self.peek(True)
        if token.is_word("not"):
            self.advance()
            operand = self.not_expr()
            return ast.Unary("not", operand, pos=token.start, text=self.node_text(token.start))
        return self.comparison()

    def comparison(self) -> ast.Expr:
        start = self.peek(True).start
        left = self.additive()
        token = self.peek()
        negated = False
        if token.is_word("not"):
            after = self.lexer.token(token.end)
            if after.is_word("like", "in"):
                self.advance()
                negated = True
                token = self.peek()
        if token.kind == "OP" and token.value in _COMPARISONS:
            self.advance()
            right = self.additive()
            return ast.Binary(str(token.value), left, right, pos=start, text=self.node_text(start))
        if token.kind == "OP" and token.value in ("=~", "!~"):
            self.advance()
            right = self.additive()
            return ast.Binary(str(token.value), left, right, pos=start, text=self.node_text(start))
        if token.is_word("like"):
            self.advance()
            right = self.additive()
            op = "not like" if negated else "like"
            return ast.Binary(op, left, right, pos=start, text=self.node_text(start))
        if token.is_word("in"):
            self.advance()
            right = self.list_literal()
            op = "not in" if negated else "in"
            return ast.Binary(op, left, right, pos=start, text=self.node_text(start))
        return left

    def additive(self) -> ast.Expr:
        start = self.peek(True).start
        left = self.multiplicative()
        while self.at_op("+", "-"):
            op = str(self.advance().value)
            right = self.multiplicative()
            left = ast.Binary(op, left, right, pos=start, text=self.node_text(start))
        return left

    def multiplicative(self) -> ast.Expr:
        start = self.peek(True).start
        left = self.power()
        while self.at_op("*", "/", "%"):
            op = str(self.advance().value)
            right = self.power()
            left = ast.Binary(op, left, right, pos=start, text=self.node_text(start))
        return left

    def power(self) -> ast.Expr:
        start = self.peek(True).start
        base = self.unary()
        if self.at_op("^"):
            self.advance()
            exponent = self.power()
            return ast.Binary("^", base, exponent, pos=start, text=self.node_text(start))
        return base

    def unary(self) -> ast.Expr:
        token = self.peek(True)
        if token.kind == "OP" and token.value == "-":
            self.advance()
            operand = self.unary()
            if isinstance(operand, ast.Literal) and not isinstance(operand.value, str):
                return ast.Literal(-operand.value, pos=token.start, text=self.node_text(token.start))
            return ast.Unary("-", operand, pos=token.start, text=self.node_text(token.start))
        return self.primary()

    def primary(self) -> ast.Expr:
        token = self.peek(True)
        start = token.start
        if token.kind in ("NUMBER", "STRING"):
            self.advance(True)
            return ast.Literal(token.value, pos=start, text=self.text[start : token.end])  # type: ignore[arg-type]
        if token.kind == "REGEX":
            self.advance(True)
            return ast.Regex(str(token.value), pos=start, text=self.text[start : token.end])
        if token.kind == "DURATION":
            self.advance(True)
            amount, unit = token.value  # type: ignore[misc]
            return ast.Duration(
                amount, TIME_UNITS[unit.lower()], pos=start, text=self.text[start : token.end]
            )
        if token.kind == "OP" and token.value == "(":
            self.advance(True)
            inner = self.expression()
            self.expect_op(")", "')' to close the '(' opened earlier")
            return inner
        if token.kind == "OP" and token.value == "[":
            return self.list_literal()
        if token.kind == "QNAME":
            return self.field(self.advance(True))
        if token.kind == "NAME" and not token.is_word(*_KEYWORDS):
            self.advance(True)
            if self.at_op("("):
                return self.call(token)
            if token.is_word("true", "false"):
                return ast.Literal(token.is_word("true"), pos=start, text=str(token.value))
            return self.field(token)
        raise self.error("a field, value or expression", token)

    def call(self, name: Token) -> ast.Call:
        self.advance()
        args: list[ast.Expr] = []
        if self.at_op(")"):
            self.advance()
        else:
            while True:
                token = self.peek(True)
                if token.kind == "OP" and token.value == "*":
                    self.advance()
                    args.append(ast.Star(pos=token.start, text="*"))
                else:
                    args.append(self.expression())
                if self.at_op(","):
                    self.advance()
                    continue
                self.expect_op(")", f"',' or ')' in the arguments of {name.value}(...)")
                break
        return ast.Call(str(name.value).lower(), tuple(args), pos=name.start, text=self.node_text(name.start))

    def list_literal(self) -> ast.ListLit:
        start = self.expect_op("[", 'a list such as ["a", "b"]').start
        items: list[ast.Expr] = []
        if not self.at_op("]"):
            while True:
                items.append(self.additive())
                if self.at_op(","):
                    self.advance()
                    continue
                self.expect_op("]", "',' or ']' in the list")
                break
        else:
            self.advance()
        return ast.ListLit(tuple(items), pos=start, text=self.node_text(start))
