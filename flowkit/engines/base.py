"""The engine contract: what every flowkit engine answers, the same way locally and on AWS.

:class:`Engine` is a :class:`typing.Protocol`: :class:`~flowkit.engines.local.LocalEngine`
(DuckDB over local files) and :class:`~flowkit.engines.aws.AwsEngine` (Athena and CloudWatch Logs
Insights) satisfy it without inheriting from it, and :func:`flowkit.connect` returns one or the
other. Code written against :class:`Engine` runs on either; a notebook switches by changing the
``connect`` call.

Threads: a :class:`~flowkit.engines.local.LocalEngine` may be shared between threads (a DuckDB cursor
per call). An :class:`~flowkit.engines.aws.AwsEngine` may not: its boto3 session is not thread-safe,
so open one engine per thread (``flowkit.connect(...)`` in each).

:meth:`Engine.translate` shows what :meth:`Engine.sql` would send, as a :class:`Translation` on both
engines: DuckDB SQL with the parameters bound as literals locally, Athena SQL with ``?``
placeholders and their execution parameters on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from flowkit.timeutil import TimeLike

__all__ = ["Engine", "Translation", "check_text"]


def check_text(value: Any, name: str) -> str:
    """Return ``value`` if it is text; anything else is a :class:`~flowkit.errors.QueryError` naming ``name``.

    Examples:
        >>> check_text(123, "query")
        Traceback (most recent call last):
        flowkit.errors.QueryError: `query` must be text (str), not int: 123.
    """
    from flowkit.errors import QueryError

    if not isinstance(value, str):
        raise QueryError(f"`{name}` must be text (str), not {type(value).__name__}: {value!r:.80}.")
    return value


@dataclass(frozen=True)
class Translation:
    """The SQL an engine would run for a query, and the values bound to its ``?`` placeholders.

    Attributes:
        sql: what the engine runs: DuckDB SQL with every parameter bound as a literal (local
            engine), or Athena SQL with ``?`` placeholders (AWS engine).
        parameters: the SQL literals sent as Athena's ``ExecutionParameters``, one per ``?`` in
            order; empty for DuckDB, whose text holds the values.
        dialect: ``"duckdb"`` or ``"athena"``, the dialect of :attr:`sql`.

    Examples:
        >>> Translation("SELECT * FROM t WHERE dstport = ?", ("22",), "athena").parameters
        ('22',)
    """

    sql: str
    parameters: tuple[str, ...] = ()
    dialect: Literal["duckdb", "athena"] = "duckdb"


@runtime_checkable
class Engine(Protocol):
    """A flow-log query engine: Athena SQL, catalogue questions and Logs Insights, as DataFrames.

    ``start`` / ``end`` bound a query to records starting in ``[start, end)`` (a datetime, ISO 8601
    text or Unix seconds); on AWS they also prune partitions, which cuts the data scanned and its
    cost. ``**params`` fill ``:name`` placeholders: each value is validated and bound, never pasted
    into the query text.
    """

    def sql(
        self, query: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> pd.DataFrame:
        """Run an Athena (Trino) SQL query; any table name means the flow-log table."""
        ...

    def query(
        self, name: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> pd.DataFrame:
        """Run a catalogue question by name (:func:`flowkit.queries.list_queries`)."""
        ...

    def insights(
        self, query: str, start: TimeLike | None = None, end: TimeLike | None = None
    ) -> pd.DataFrame:
        """Run a CloudWatch Logs Insights query over the same records."""
        ...

    def translate(
        self, query: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> Translation:
        """What :meth:`sql` would run for the same arguments, without running it."""
        ...
