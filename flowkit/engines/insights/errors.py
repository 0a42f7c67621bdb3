"""Errors of the Logs Insights engine (all are :class:`flowkit.errors.QueryError`)."""

from __future__ import annotations

from flowkit.errors import QueryError


def caret(query: str, pos: int) -> tuple[int, int, str]:
    """The 1-based line and column of ``pos`` in ``query`` and a two-line excerpt with a caret."""
    pos = max(0, min(pos, len(query)))
    line_start = query.rfind("\n", 0, pos) + 1
    line_end = query.find("\n", pos)
    if line_end == -1:
        line_end = len(query)
    line_no = query.count("\n", 0, pos) + 1
    column = pos - line_start + 1
    excerpt = f"    {query[line_start:line_end]}\n    {' ' * (column - 1)}^"
    return line_no, column, excerpt


class InsightsSyntaxError(QueryError):
    """A query that is not valid Logs Insights syntax.

    Attributes:
        query: the query text.
        position: 0-based offset of the problem in ``query``.
        line, column: 1-based line and column of the problem.
        expected: what the parser expected there.
    """

    def __init__(self, query: str, position: int, expected: str, found: str | None = None) -> None:
        line, column, excerpt = caret(query, position)
        found_text = f", found {found}" if found else ""
        super().__init__(
            f"Logs Insights syntax error at line {line}, column {column}: expected {expected}{found_text}\n"
            f"{excerpt}"
        )
        self.query = query
        self.position = position
        self.line = line
        self.column = column
        self.expected = expected


class InsightsQueryError(QueryError):
    """A query that parses but cannot run: a bad argument, a misplaced command, an unknown
    aggregate, a field that does not exist after ``stats``, an invalid regex.

    The message points at the offending part of the query when it can.
    """

    def __init__(self, message: str, query: str | None = None, position: int | None = None) -> None:
        if query is not None and position is not None:
            line, column, excerpt = caret(query, position)
            message = f"{message} (line {line}, column {column})\n{excerpt}"
        super().__init__(message)
        self.query = query
        self.position = position


class UnsupportedError(InsightsQueryError):
    """A valid Logs Insights command or function that the local engine does not run (the P2 set:
    ``pattern``, ``diff``, ``lookup``, ``unnest``, JSON functions, ...)."""
