"""Athena through awswrangler: the flow-log database and table, and questions with bound parameters.

- :func:`create_database` / :func:`create_table` make the Glue database and the flow-log table
  from flowkit's DDL (:func:`flowkit.ddl.athena_ddl`, partition projection by default). The table
  is made either by running the DDL in Athena (``method="athena"``) or by registering the same
  columns, partition keys and properties in Glue through ``wr.catalog.create_csv_table`` /
  ``create_parquet_table`` (``method="glue"``). ``"auto"`` uses Glue in the sandbox (moto's Athena
  does not register DDL tables in Glue) and Athena otherwise.
- :func:`run_query` runs a question. ``:name`` placeholders are bound through awswrangler's own
  qmark parameter binding (``ExecutionParameters``), never pasted into the text; ``start``/``end``
  bound it by time so partitions are pruned; the query is time-limited, and FAILED / CANCELLED /
  timed-out queries raise :class:`~flowkit.errors.AWSError` with Athena's reason. The result
  frame's ``attrs["query"]`` holds the query ID, data scanned and its cost.

Examples (notebook 01, in the sandbox)::

    with flowkit.aws.sandbox() as sb:
        flowkit.aws.create_database("flowkit", boto3_session=sb.session)
        table = flowkit.aws.create_table(f"s3://{sb.bucket}/flowlogs/", database="flowkit",
                                         boto3_session=sb.session)
        table["partitions"]            # e.g. {'region': 'string', 'day': 'string'}
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit import schema, sessions
from flowkit.aws.glue import (
    create_database,
    create_table,
    create_table_from_ddl,
    get_table,
    projection_settings,
    table_for_plan,
    table_from_ddl,
)
from flowkit.errors import AWSError
from flowkit.frames import with_flowkit_dtypes
from flowkit.sql import bound_by_time, time_bounds, to_qmark

if TYPE_CHECKING:
    import boto3

__all__ = [
    "QueryStats",
    "create_database",
    "create_table",
    "create_table_from_ddl",
    "execute",
    "get_table",
    "partition_keys",
    "projection_settings",
    "results",
    "run_query",
    "table_for_plan",
    "table_from_ddl",
    "time_bounds",
    "wait_query",
]

_log = logging.getLogger(__name__)

#: Athena's price per TB scanned in most Regions (USD), billed per MB rounded up, 10 MB minimum.
PRICE_PER_TB = 5.0
_MB = 1024**2
_TB = 1024**4


@dataclass(frozen=True)
class QueryStats:
    """What one Athena query did and cost (from ``GetQueryExecution`` statistics)."""

    query_execution_id: str
    state: str
    data_scanned_bytes: int
    cost_usd: float
    engine_ms: int | None
    total_ms: int | None
    output_location: str | None

    def __str__(self) -> str:
        return (
            f"Athena query {self.query_execution_id}: {self.state}, "
            f"scanned {self.data_scanned_bytes / _MB:.1f} MB, about USD {self.cost_usd:.4f}"
        )


def query_cost(data_scanned_bytes: int, price_per_tb: float = PRICE_PER_TB) -> float:
    """Athena's charge for a query: per MB rounded up, 10 MB minimum, nothing if nothing was scanned.

    Examples:
        >>> round(query_cost(1), 8) == round(10 * 1024**2 / 1024**4 * 5.0, 8)
        True
    """
    if data_scanned_bytes <= 0:
        return 0.0
    billed = max(math.ceil(data_scanned_bytes / _MB), 10) * _MB
    return billed / _TB * price_per_tb


def execute(
    sql: str,
    values: list[str],
    *,
    database: str | None,
    workgroup: str = "primary",
    s3_output: str | None = None,
    timeout: float = 300.0,
    boto3_session: boto3.Session | None = None,
) -> QueryStats:
    """Start a query through awswrangler with qmark binding and wait, at most ``timeout`` seconds.

    :func:`run_query` and the AWS engine call it with text and values from
    :func:`flowkit.sql.to_qmark`.

    Args:
        sql: Athena SQL with ``?`` placeholders.
        values: one SQL literal per ``?``, in order (Athena's ``ExecutionParameters``).
        database: the Glue database.
        workgroup: Athena workgroup.
        s3_output: where Athena writes results (default: the workgroup's or awswrangler's bucket).
        timeout: seconds before the query is stopped and AWSError raised.
        boto3_session: the session (default: the boto3 credential chain).

    Raises:
        AWSError: when Athena refuses the query, or it fails, is cancelled or times out.
    """
    session = sessions.session(boto3_session)
    wr = sessions.wrangler()
    try:
        query_id = wr.athena.start_query_execution(
            sql,
            database=database,
            s3_output=s3_output,
            workgroup=workgroup,
            params=values or None,
            paramstyle="qmark",
            boto3_session=session,
        )
    except Exception as exc:
        raise AWSError(f"Athena refused the query: {sessions.aws_reason(exc)}") from exc
    return wait_query(query_id, timeout=timeout, boto3_session=session)


def wait_query(
    query_execution_id: str,
    *,
    timeout: float = 300.0,
    poll_interval: float = 1.0,
    boto3_session: boto3.Session | None = None,
) -> QueryStats:
    """Wait for an Athena query to finish, at most ``timeout`` seconds (then it is stopped).

    Raises:
        AWSError: if the query ends FAILED or CANCELLED (with Athena's reason), or times out.
    """
    athena = sessions.client("athena", boto3_session)
    deadline = time.monotonic() + timeout
    delay = min(0.2, poll_interval)
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_execution_id)["QueryExecution"]
        status = execution["Status"]
        state = status["State"]
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        if time.monotonic() >= deadline:
            athena.stop_query_execution(QueryExecutionId=query_execution_id)
            raise AWSError(
                f"Athena query {query_execution_id} did not finish within {timeout:g} s (state {state}); "
                "it was stopped. Bound it by time (start=/end=) or raise timeout=."
            )
        time.sleep(delay)
        delay = min(delay * 2, poll_interval)
    if state != "SUCCEEDED":
        reason = (
            status.get("StateChangeReason")
            or status.get("AthenaError", {}).get("ErrorMessage")
            or "no reason"
        )
        raise AWSError(f"Athena query {query_execution_id} {state}: {reason}")
    stats = execution.get("Statistics", {})
    scanned = int(stats.get("DataScannedInBytes", 0))
    return QueryStats(
        query_execution_id=query_execution_id,
        state=state,
        data_scanned_bytes=scanned,
        cost_usd=query_cost(scanned),
        engine_ms=stats.get("EngineExecutionTimeInMillis"),
        total_ms=stats.get("TotalExecutionTimeInMillis"),
        output_location=execution.get("ResultConfiguration", {}).get("OutputLocation"),
    )


def run_query(
    sql: str,
    *,
    database: str,
    params: dict[str, Any] | None = None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    table: str = "vpc_flow_logs",
    partitions: list[str] | None = None,
    workgroup: str = "primary",
    s3_output: str | None = None,
    timeout: float = 300.0,
    boto3_session: boto3.Session | None = None,
) -> pd.DataFrame:
    """Run an Athena question and return its result as a typed DataFrame.

    Args:
        sql: Athena SQL with ``:name`` placeholders.
        database: the Glue database.
        params: values for the placeholders (bound as execution parameters, never formatted in).
        start: keep records whose ``start`` is at or after this (UTC datetime or ISO string).
        end: ... and before this. With either, the table is filtered on its time partition keys.
        table: the flow-log table the time bounds apply to.
        partitions: the table's partition keys (default: read from Glue when bounding by time).
        workgroup: Athena workgroup.
        s3_output: where Athena writes results (default: the workgroup's or awswrangler's bucket).
        timeout: seconds before the query is stopped and AWSError raised.
        boto3_session: the session (default: the boto3 credential chain).

    Returns:
        The result; flow-log columns get flowkit's dtypes (as the local engine returns them).
        ``frame.attrs["query"]`` is a dict of :class:`QueryStats` (ID, data scanned, cost).

    Raises:
        ParameterError: on missing/unknown/unbindable parameters or a bad time window.
        AWSError: when the query fails, is cancelled or times out (with Athena's reason).
    """
    session = sessions.session(boto3_session)
    params = dict(params or {})
    if start is not None or end is not None:
        if partitions is None:
            partitions = partition_keys(database, table, boto3_session=session)
        sql, extra = bound_by_time(sql, table, partitions, start, end)
        params |= extra
    text, values = to_qmark(sql, params)
    stats = execute(
        text,
        values,
        database=database,
        workgroup=workgroup,
        s3_output=s3_output,
        timeout=timeout,
        boto3_session=session,
    )
    frame = results(stats, session)
    frame.attrs["query"] = asdict(stats) | {"sql": text, "parameters": values}
    _log.info("%s", stats)
    return frame


def results(stats: QueryStats, boto3_session: boto3.Session | None = None) -> pd.DataFrame:
    """The typed result of a finished query, read by awswrangler from Athena's CSV output.

    Raises:
        AWSError: when the result cannot be read (in the sandbox: no result was queued).
    """
    from flowkit.aws.sandbox import is_sandbox

    wr = sessions.wrangler()
    try:
        with warnings.catch_warnings():
            # awswrangler passes pandas' deprecated `copy=` to concat; nothing for the user to act on
            warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
            frame = wr.athena.get_query_results(stats.query_execution_id, boto3_session=boto3_session)
    except Exception as exc:
        hint = (
            " In the sandbox moto never runs SQL: queue the result first with sb.queue_athena_result(frame)."
            if is_sandbox(boto3_session)
            else ""
        )
        raise AWSError(
            f"could not read the results of {stats.query_execution_id}: {sessions.aws_reason(exc)}.{hint}"
        ) from exc
    return typed(frame)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the result flowkit's dtypes (:mod:`flowkit.frames`), flow-log columns their field's width,
    as the local engine does."""
    out = with_flowkit_dtypes(frame)
    for column in out.columns:
        field = schema.BY_COLUMN.get(str(column))
        if field is None:
            continue
        try:
            out[column] = out[column].astype(field.pandas_dtype)
        except (TypeError, ValueError):  # an aggregate that reuses the name: keep awswrangler's type
            continue
    return out


def partition_keys(database: str, table: str, *, boto3_session: boto3.Session | None = None) -> list[str]:
    """The partition keys of a Glue table, in order (e.g. ``["region", "day"]``)."""
    found = get_table(database, table, boto3_session=boto3_session)
    return [key["Name"] for key in found.get("PartitionKeys", [])]
