"""CloudWatch Logs Insights: run a query over flow-log groups and get a typed DataFrame.

:func:`run_insights` calls boto3's ``start_query`` / ``get_query_results`` itself rather than
awswrangler's ``wr.cloudwatch`` functions, because those cannot do what is needed here:
``wr.cloudwatch.wait_query`` treats only Complete, Failed and Cancelled as final, so a query in
``Timeout`` or ``Unknown`` status would be polled forever, and it has no deadline of its own;
``wr.cloudwatch.start_query`` also sends the time range in milliseconds where the API documents
seconds. Here every query has a deadline (then it is stopped), and Failed, Cancelled, Timeout and
Unknown all raise :class:`~flowkit.errors.AWSError`.

Values come back from the service as strings; the frame gives them types: ``@timestamp`` (and
``bin(...)`` groups) as UTC datetimes, the discovered flow-log fields (``srcAddr``, ``dstPort``,
...) with flowkit's dtypes, numeric aggregates as numbers. ``@ptr`` is dropped.

Example::

    frame = flowkit.aws.run_insights(
        "filter action = 'REJECT' | stats count(*) as n by dstPort | sort n desc | limit 10",
        ["/vpc/flow-logs"], start="2024-05-01T00:00:00Z", end="2024-05-02T00:00:00Z")
    frame.attrs["query"]["bytes_scanned"]
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit import schema, sessions
from flowkit.errors import AWSError, ParameterError
from flowkit.frames import with_flowkit_dtypes
from flowkit.sql import time_bounds

if TYPE_CHECKING:
    import boto3

__all__ = ["parse_results", "run_insights"]

_log = logging.getLogger(__name__)

#: Logs Insights price per GB scanned in us-east-1 (USD).
PRICE_PER_GB = 0.005
DEFAULT_WINDOW = timedelta(days=1)
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,3})?$")
_FAILED = ("Failed", "Cancelled", "Timeout", "Unknown")


def run_insights(
    query: str,
    log_groups: Sequence[str] | str,
    *,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    limit: int | None = None,
    timeout: float = 300.0,
    poll_interval: float = 1.0,
    boto3_session: boto3.Session | None = None,
) -> pd.DataFrame:
    """Run a Logs Insights query and return its rows.

    Args:
        query: the Logs Insights query text.
        log_groups: log group names or ARNs (at most 50).
        start: start of the time range (UTC datetime or ISO string); default ``end`` minus one day
            (Insights bills the data scanned, so the range is always bounded).
        end: end of the time range; default now.
        limit: at most this many rows (1-10,000).
        timeout: seconds before the query is stopped and AWSError raised.
        poll_interval: longest wait between status checks.
        boto3_session: the session (default: the boto3 credential chain).

    Returns:
        One row per result; ``frame.attrs["query"]`` holds the query ID, status, time range,
        records matched/scanned, bytes scanned and an estimated cost.

    Raises:
        ParameterError: on a bad time range, limit or log group list.
        AWSError: when the service refuses the query or it ends Failed, Cancelled, Timeout or
            Unknown (with the status), or the deadline passes.
    """
    groups = [log_groups] if isinstance(log_groups, str) else list(log_groups)
    if not groups or len(groups) > 50:
        raise ParameterError(f"give 1 to 50 log groups, not {len(groups)}.")
    lo, hi = time_bounds(start, end)
    hi = hi or datetime.now(UTC)
    lo = lo or hi - DEFAULT_WINDOW
    if lo >= hi:
        raise ParameterError(f"start ({lo.isoformat()}) must be before end ({hi.isoformat()}).")
    bad_limit = isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000
    if limit is not None and bad_limit:
        raise ParameterError(f"limit must be an integer from 1 to 10000, not {limit!r}.")
    logs = sessions.client("logs", boto3_session)
    key = "logGroupIdentifiers" if any(g.startswith("arn:") for g in groups) else "logGroupNames"
    request: dict[str, Any] = {
        key: groups,
        "startTime": int(lo.timestamp()),
        "endTime": int(hi.timestamp()),
        "queryString": query,
    }
    if limit is not None:
        request["limit"] = limit
    try:
        query_id = logs.start_query(**request)["queryId"]
    except Exception as exc:
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(f"Logs Insights refused the query: {sessions.aws_reason(exc)}") from exc
    response = _wait(logs, query_id, timeout, poll_interval)
    frame = parse_results(response.get("results", []))
    stats = response.get("statistics", {})
    scanned = float(stats.get("bytesScanned", 0.0))
    frame.attrs["query"] = {
        "query_id": query_id,
        "status": response["status"],
        "start": lo.isoformat(),
        "end": hi.isoformat(),
        "log_groups": groups,
        "records_matched": stats.get("recordsMatched"),
        "records_scanned": stats.get("recordsScanned"),
        "bytes_scanned": scanned,
        "cost_usd": scanned / 1024**3 * PRICE_PER_GB,
    }
    _log.info("Logs Insights query %s: %d rows, %.0f bytes scanned", query_id, len(frame), scanned)
    return frame


def _wait(logs: Any, query_id: str, timeout: float, poll_interval: float) -> dict:
    deadline = time.monotonic() + timeout
    delay = min(0.2, poll_interval)
    while True:
        response = logs.get_query_results(queryId=query_id)
        status = response.get("status", "Unknown")
        if status == "Complete":
            return response
        if status in _FAILED:
            raise AWSError(
                f"Logs Insights query {query_id} ended with status {status}"
                + (": the service's own time limit (60 min) was reached" if status == "Timeout" else "")
                + ". Check the query text and narrow the time range."
            )
        if time.monotonic() >= deadline:
            try:
                logs.stop_query(queryId=query_id)
            except Exception as exc:  # it may have finished meanwhile; the timeout is still reported
                _log.warning("could not stop query %s: %s", query_id, sessions.aws_reason(exc))
            raise AWSError(
                f"Logs Insights query {query_id} did not finish within {timeout:g} s (status {status}); "
                "it was stopped. Narrow the time range or raise timeout=."
            )
        time.sleep(delay)
        delay = min(delay * 2, poll_interval)


def parse_results(results: list[list[dict[str, str]]]) -> pd.DataFrame:
    """Turn ``get_query_results`` rows (lists of ``{field, value}``, all strings) into a typed frame.

    Examples:
        >>> rows = [[{"field": "dstPort", "value": "443"}, {"field": "n", "value": "12"}]]
        >>> parse_results(rows).dtypes.astype(str).tolist()
        ['int32[pyarrow]', 'int64[pyarrow]']
    """
    records = [{c["field"]: c.get("value") for c in row if c["field"] != "@ptr"} for row in results]
    columns = list(dict.fromkeys(name for record in records for name in record))
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in columns:
        frame[column] = _typed(column, frame[column])
    return with_flowkit_dtypes(frame)


def _typed(name: str, values: pd.Series) -> pd.Series:
    text = values.astype("string")
    present = text.dropna()
    if name in ("@timestamp", "@ingestionTime") or (len(present) and present.str.match(_TIMESTAMP).all()):
        return pd.to_datetime(text, format="ISO8601", utc=True)
    field = schema.BY_INSIGHTS.get(name)
    if field is not None:
        if field.is_numeric:
            return pd.to_numeric(text.replace("-", pd.NA), errors="coerce").astype(field.pandas_dtype)
        return text.replace("-", pd.NA).astype(field.pandas_dtype)
    if name.startswith("@"):
        return text
    numbers = pd.to_numeric(present, errors="coerce")
    if len(present) and numbers.notna().all():
        whole = (numbers == numbers.round()).all() and not present.str.contains(r"[.eE]").any()
        return pd.to_numeric(text, errors="coerce").astype("Int64" if whole else "Float64")
    return text
