"""A local CloudWatch Logs Insights engine: the query language, run offline with AWS semantics.

A query is parsed into a syntax tree (:func:`parse_insights`), compiled into one DuckDB SQL
statement over the ``vpc_flow_logs`` view (:func:`compile_insights`), and run
(:func:`run_insights`), returning what CloudWatch would: the same columns, the same row order
rules and limits. Where CloudWatch would behave differently from what the query seems to ask (a
bare ENI id compared with ``@logStream``, the undocumented ``order by``), the result carries a
note in ``df.attrs["notes"]``. The behaviour chosen where the language is undocumented is listed
in docs/insights-semantics.md.

Modules, in the order a query goes through them:

- ``lexer``, ``parser``, ``ast``: query text to a syntax tree;
- ``compiler``: the tree to one SQL statement, with the mixins ``commands`` (one method per
  command) and ``operators``; ``fields`` (the base fields), ``values`` (dynamic types),
  ``regex`` (RE2 patterns) and ``shared`` (limits, :class:`~.shared.Column`, SQL builders);
- ``functions``: every function, one module per family (``numeric``, ``general``, ``strings``,
  ``dates``, ``ip``, ``aggregates``) registered by name in ``functions.registry``;
- ``run``: the statement on a DuckDB connection, to a DataFrame; ``errors``: what can go wrong.

Examples:
    >>> sql = compile_insights("filter dstPort < 1024 | stats count(*) by srcAddr")
    >>> "GROUP BY" in sql
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from flowkit.engines.insights.ast import Query
from flowkit.engines.insights.errors import InsightsQueryError, InsightsSyntaxError, UnsupportedError
from flowkit.engines.insights.parser import parse_insights
from flowkit.engines.insights.run import TimeLike, compile_query, run_insights
from flowkit.engines.insights.shared import DEFAULT_SORT_DESCENDING, MAX_ROWS
from flowkit.schema import DEFAULT_FIELDS, FIELDS, Field


def compile_insights(
    query: str,
    fields: Sequence[Field] | None = None,
    *,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    table: str = "vpc_flow_logs",
) -> str:
    """Compile a Logs Insights query to DuckDB SQL over ``table``.

    Args:
        query: the Logs Insights query.
        fields: the flow-log fields of the source in format order (default: the default format).
        start, end: the inclusive time range (datetime, ISO 8601 string or epoch seconds).
        table: the table or view the SQL reads.

    Returns:
        One SQL statement (DuckDB dialect).
    """
    if fields is None:
        fields = [FIELDS[name] for name in DEFAULT_FIELDS]
    return compile_query(query, fields, start=start, end=end, table=table).sql


__all__ = [
    "DEFAULT_SORT_DESCENDING",
    "MAX_ROWS",
    "InsightsQueryError",
    "InsightsSyntaxError",
    "Query",
    "UnsupportedError",
    "compile_insights",
    "parse_insights",
    "run_insights",
]
