"""The AWS engine: the same ``.sql()`` / ``.query()`` / ``.insights()`` as the local engine, on Athena and CloudWatch.

:func:`connect_aws` (also reached through ``flowkit.connect(athena=..., logs=...)``) returns an
:class:`AwsEngine`. A notebook switches between local data and AWS by changing that one call;
the query text stays the same:

- ``.sql(query, **params)`` runs Athena SQL. Every table name that is not a CTE (the guide's
  ``"<vpc_flow_logs_table_name>"``, ``vpc_flow_logs``, ...) means the configured Athena table, as
  locally. ``:name`` parameters are validated with the same validators as the local engine
  (:mod:`flowkit.sql.params`) and bound as Athena execution parameters (qmark), never
  formatted into the text, wherever Athena can bind them: only in a ``WHERE`` clause. A value in
  ``LIMIT`` or ``HAVING`` (``LIMIT :limit``, ``HAVING count(*) >= :min_ports``) is validated (a
  whole number, or by its parameter type) and written into the text (:func:`flowkit.sql.to_qmark`). ``start=`` / ``end=`` (keyword-only, reserved) bound the query by time
  so partitions are pruned.
- ``.query(name, **params)`` runs a catalogue question by name.
- ``.insights(query, start=None, end=None)`` runs Logs Insights over the configured log groups
  (on AWS the range defaults to the last day: the service bills the data scanned).
- ``.translate(query, **params)`` shows the Athena SQL (``?`` placeholders) and execution
  parameters ``.sql()`` would send, as a :class:`~flowkit.engines.base.Translation`.

Each result's ``attrs["query"]`` holds the query ID and the data scanned and its cost; the
engine's :attr:`AwsEngine.last_query` keeps the latest.

Example::

    engine = flowkit.connect(athena="flowkit.vpc_flow_logs", logs="/vpc/flow-logs", boto3_session=session)
    engine.sql('SELECT dstport, count(*) AS n FROM vpc_flow_logs WHERE action = :a GROUP BY 1', a="REJECT",
               start="2024-05-01T00:00:00Z", end="2024-05-02T00:00:00Z")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit import sessions
from flowkit.engines.base import Translation, check_text
from flowkit.errors import FlowkitError, QueryError

if TYPE_CHECKING:
    import boto3

    from flowkit.timeutil import TimeLike

__all__ = ["AthenaTarget", "AwsEngine", "connect_aws"]


@dataclass(frozen=True)
class AthenaTarget:
    """Where Athena questions go: database, table, workgroup and results location."""

    database: str
    table: str = "vpc_flow_logs"
    workgroup: str = "primary"
    s3_output: str | None = None


def _athena_target(
    athena: str | dict[str, Any] | AthenaTarget | None, workgroup: str, s3_output: str | None
) -> AthenaTarget | None:
    if athena is None or isinstance(athena, AthenaTarget):
        return athena
    if isinstance(athena, str):
        database, _, table = athena.partition(".")
        if not database:
            raise FlowkitError(f"athena={athena!r}: give 'database' or 'database.table'.")
        return AthenaTarget(database, table or "vpc_flow_logs", workgroup, s3_output)
    if isinstance(athena, dict):
        unknown = set(athena) - {"database", "table", "workgroup", "s3_output"}
        if unknown or "database" not in athena:
            raise FlowkitError(
                f"athena settings take database (required), table, workgroup, s3_output; got {sorted(athena)}."
            )
        return AthenaTarget(**({"workgroup": workgroup, "s3_output": s3_output} | athena))
    raise FlowkitError(f"athena= takes 'database[.table]' or a dict, not {type(athena).__name__}.")


class AwsEngine:
    """Questions on AWS: Athena SQL and CloudWatch Logs Insights, like :class:`~flowkit.engines.local.LocalEngine`.

    Not safe to share between threads: boto3 sessions are not thread-safe. Open one engine per thread.

    Attributes:
        athena: the Athena target, or ``None``.
        log_groups: the Logs Insights log groups, or ``None``.
        session: the boto3 session used.
        timeout: seconds a query may run before it is stopped.
        last_query: statistics of the last query run (``attrs["query"]`` of its result).
    """

    def __init__(
        self,
        athena: AthenaTarget | None,
        log_groups: list[str] | None,
        session: boto3.Session,
        timeout: float = 300.0,
    ) -> None:
        self.athena = athena
        self.log_groups = log_groups
        self.session = session
        self.timeout = timeout
        self.last_query: dict[str, Any] | None = None

    def __repr__(self) -> str:
        from flowkit.aws.sandbox import is_sandbox

        where = "SANDBOX (moto)" if is_sandbox(self.session) else f"region {self.session.region_name}"
        target = f"{self.athena.database}.{self.athena.table}" if self.athena else None
        return f"AwsEngine(athena={target!r}, logs={self.log_groups!r}, {where})"

    def translate(
        self, query: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> Translation:
        """The Athena SQL (``?`` placeholders) and execution parameters :meth:`sql` would send."""
        check_text(query, "query")
        kinds = params.pop("_kinds", None)
        text, values = self._prepare(query, params, start, end, kinds)
        return Translation(text, tuple(values), "athena")

    def _target(self) -> AthenaTarget:
        if self.athena is None:
            raise QueryError("this engine has no Athena table: connect with athena='database[.table]'.")
        return self.athena

    def _prepare(
        self,
        query: str,
        params: dict[str, Any],
        start: TimeLike | None,
        end: TimeLike | None,
        kinds: dict[str, str] | None,
    ) -> tuple[str, list[str]]:
        from sqlglot import exp

        from flowkit.sql import bound_by_time, parse_athena, placeholders, to_qmark, validate

        target = self._target()
        expression = parse_athena(query)
        if any(node.this is None for node in expression.find_all(exp.Placeholder)):
            raise QueryError("write parameters as :name placeholders, not '?'.")
        wanted = placeholders(expression)
        kinds = kinds or {}
        values = {
            name: validate(kinds.get(name) or ("int" if isinstance(v, int) else "string"), v, name=name)
            for name, v in params.items()
            if name in wanted
        }
        values |= {name: v for name, v in params.items() if name not in wanted}  # reported as unknown below
        ctes = {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}
        for table in list(expression.find_all(exp.Table)):
            if not isinstance(table.this, exp.Identifier):
                continue
            if table.name.lower() in ctes and not table.args.get("db"):
                continue
            alias = table.args.get("alias")
            table.replace(
                exp.Table(
                    this=exp.to_identifier(target.table),
                    db=exp.to_identifier(target.database),
                    alias=alias.copy() if alias else None,
                )
            )
        sql = expression.sql(dialect="athena")
        if start is not None or end is not None:
            sql, extra = bound_by_time(sql, target.table, self._partitions(), start, end)
            values |= extra
        return to_qmark(sql, values, kinds=kinds)

    def _partitions(self) -> list[str]:
        if not hasattr(self, "_partition_keys"):
            from flowkit.aws.athena import partition_keys

            target = self._target()
            self._partition_keys = partition_keys(target.database, target.table, boto3_session=self.session)
        return self._partition_keys

    def sql(
        self,
        query: str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        **params: Any,
    ) -> pd.DataFrame:
        """Run an Athena (Trino) SQL query and return the result as a typed DataFrame.

        Args:
            query: Athena SQL with ``:name`` placeholders; any table name means the configured table.
            start: keep records starting at or after this (UTC datetime or ISO text); prunes partitions.
            end: ... and before this.
            **params: values for the placeholders, validated and bound (never formatted in).

        Raises:
            ParameterError: on a missing, unknown or invalid parameter or time bound.
            AWSError: when the query fails, is cancelled or times out (with Athena's reason).
        """
        from flowkit.aws import athena

        translation = self.translate(query, start=start, end=end, **params)
        text, values = translation.sql, list(translation.parameters)
        target = self._target()
        stats = athena.execute(
            text,
            values,
            database=target.database,
            workgroup=target.workgroup,
            s3_output=target.s3_output,
            timeout=self.timeout,
            boto3_session=self.session,
        )
        frame = athena.results(stats, self.session)
        frame.attrs["query"] = {**stats.__dict__, "sql": text, "parameters": values}
        self.last_query = frame.attrs["query"]
        return frame

    def query(
        self, name: str, *, start: TimeLike | None = None, end: TimeLike | None = None, **params: Any
    ) -> pd.DataFrame:
        """Run a catalogue question by name (see :func:`flowkit.queries.list_queries`)."""
        from flowkit.queries import get_query, strip_header

        q = get_query(name)
        values = q.bind_values(params)
        return self.sql(strip_header(q.sql), start=start, end=end, _kinds=q.kinds, **values)

    def insights(
        self, query: str, start: TimeLike | None = None, end: TimeLike | None = None
    ) -> pd.DataFrame:
        """Run a Logs Insights query over the engine's log groups (default range: the last day)."""
        from flowkit.aws.logs import run_insights

        check_text(query, "query")
        if not self.log_groups:
            raise QueryError("this engine has no log groups: connect with logs='/your/flow-log-group'.")
        frame = run_insights(
            query, self.log_groups, start=start, end=end, timeout=self.timeout, boto3_session=self.session
        )
        self.last_query = frame.attrs["query"]
        return frame


def connect_aws(
    *,
    athena: str | dict[str, Any] | AthenaTarget | None = None,
    logs: str | Sequence[str] | None = None,
    workgroup: str = "primary",
    s3_output: str | None = None,
    timeout: float = 300.0,
    boto3_session: boto3.Session | None = None,
) -> AwsEngine:
    """Open the AWS engine.

    Args:
        athena: ``"database"`` or ``"database.table"`` (table default ``vpc_flow_logs``), or a dict
            with ``database``, ``table``, ``workgroup``, ``s3_output``.
        logs: a log group name or ARN, or a list of them, for Logs Insights.
        workgroup: Athena workgroup (unless given in ``athena``).
        s3_output: Athena results location (unless given in ``athena``).
        timeout: seconds a query may run before it is stopped and AWSError raised.
        boto3_session: the session (default: the boto3 credential chain).

    Raises:
        FlowkitError: when neither Athena nor log groups are given, or the settings are malformed.
    """
    target = _athena_target(athena, workgroup, s3_output)
    groups = [logs] if isinstance(logs, str) else (list(logs) if logs is not None else None)
    if target is None and not groups:
        raise FlowkitError("connect_aws needs athena='database[.table]' and/or logs='log-group'.")
    return AwsEngine(target, groups, sessions.session(boto3_session), timeout)
