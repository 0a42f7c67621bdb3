"""CloudWatch Logs Insights: run a query over flow-log groups and get a typed DataFrame.

:func:`run_insights` calls boto3's ``start_query`` / ``get_query_results`` itself rather than
awswrangler's ``wr.cloudwatch`` functions, because those cannot do what is needed here:
``wr.cloudwatch.wait_query`` treats only Complete, Failed and Cancelled as final, so a query in
``Timeout`` or ``Unknown`` status would be polled forever, and it has no deadline of its own;
``wr.cloudwatch.start_query`` also sends the time range in milliseconds where the API documents
seconds. Here every query has a deadline (then it is stopped), and Failed, Cancelled, Timeout and
Unknown all raise :class:`~flowkit.errors.AWSError`.

The query is sent as Logs Insights QL (``queryLanguage="CWLI"`` where the installed botocore model
has it); once complete, every page of results is read (``nextToken``, ``maxItems``), and a result
that may be incomplete is never returned silently (:func:`run_insights`). Log group ARNs lose the
trailing ``:*`` that ``DescribeLogGroups`` gives them and StartQuery refuses.

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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from flowkit import schema, sessions
from flowkit.errors import AWSError, ParameterError
from flowkit.frames import with_flowkit_dtypes
from flowkit.sql import time_bounds

if TYPE_CHECKING:
    import boto3

__all__ = [
    "InsightsModel",
    "insights_model",
    "log_group_identifiers",
    "parse_results",
    "run_insights",
    "start_query_request",
]

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
    """Run a Logs Insights query and return all its rows.

    The query is sent as Logs Insights QL (``queryLanguage="CWLI"`` where the installed botocore
    has the parameter; the service's default otherwise). Once it is complete, every page of
    results is read (``nextToken``, with ``maxItems`` at the model's maximum), so nothing is cut
    at 10,000 rows. A result that may still be incomplete is never returned silently: rows
    missing against the service's ``resultCount`` raise :class:`~flowkit.errors.AWSError`, and a
    result that stops at the service's default of 10,000 rows (no ``limit`` given) warns.

    Args:
        query: the Logs Insights query text.
        log_groups: log group names or ARNs (at most 50). An ARN as ``DescribeLogGroups`` gives
            it (``...:log-group:NAME:*``) loses its trailing ``:*``, which StartQuery refuses.
        start: start of the time range (UTC datetime or ISO string); default ``end`` minus one day
            (Insights bills the data scanned, so the range is always bounded).
        end: end of the time range; default now.
        limit: at most this many rows, 1 to the model's maximum (100,000 in botocore 1.44;
            10,000 in older ones). Without it the service returns up to 10,000 unless the query
            text says ``| limit N``.
        timeout: seconds before the query is stopped and AWSError raised.
        poll_interval: longest wait between status checks.
        boto3_session: the session (default: the boto3 credential chain).

    Returns:
        One row per result; ``frame.attrs["query"]`` holds the query ID, status, query language,
        time range, log groups, pages read, records matched/scanned, the service's result count,
        bytes scanned and an estimated cost.

    Raises:
        ParameterError: on a bad time range, limit or log group list.
        AWSError: when the service refuses the query or it ends Failed, Cancelled, Timeout or
            Unknown (with the status), the deadline passes, or pages of the result are missing.
    """
    logs = sessions.client("logs", boto3_session)
    model = insights_model(logs)
    request = _request(query, log_groups, start, end, limit, model)
    try:
        query_id = logs.start_query(**request)["queryId"]
    except Exception as exc:
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(f"Logs Insights refused the query: {sessions.aws_reason(exc)}") from exc
    page_args = {"maxItems": model.max_items} if model.max_items else {}
    response = _wait(logs, query_id, timeout, poll_interval, page_args)
    rows, pages = _all_pages(logs, query_id, response, page_args, model)
    frame = parse_results(rows)
    stats = response.get("statistics", {})
    scanned = float(stats.get("bytesScanned", 0.0))
    frame.attrs["query"] = {
        "query_id": query_id,
        "status": response["status"],
        "query_language": response.get("queryLanguage") or request.get("queryLanguage") or "CWLI (default)",
        "start": datetime.fromtimestamp(request["startTime"], UTC).isoformat(),
        "end": datetime.fromtimestamp(request["endTime"], UTC).isoformat(),
        "log_groups": request.get("logGroupNames") or request.get("logGroupIdentifiers"),
        "pages": pages,
        "rows": len(rows),
        "result_count": stats.get("resultCount"),
        "records_matched": stats.get("recordsMatched"),
        "records_scanned": stats.get("recordsScanned"),
        "bytes_scanned": scanned,
        "cost_usd": scanned / 1024**3 * PRICE_PER_GB,
    }
    _warn_if_capped(query, limit, len(rows))
    _log.info(
        "Logs Insights query %s: %d rows in %d page(s), %.0f bytes scanned",
        query_id,
        len(rows),
        pages,
        scanned,
    )
    return frame


def start_query_request(
    query: str,
    log_groups: Sequence[str] | str,
    *,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    limit: int | None = None,
    boto3_session: boto3.Session | None = None,
) -> dict[str, Any]:
    """The StartQuery request :func:`run_insights` would send, without sending it (no AWS call).

    Same arguments and checks as :func:`run_insights` (default range: the day before ``end``).

    Examples:
        >>> request = start_query_request("stats count(*)", "/vpc/flow-logs",
        ...     start="2024-05-01T00:00:00Z", end="2024-05-02T00:00:00Z")
        >>> request["logGroupNames"], request["startTime"], request["endTime"]
        (['/vpc/flow-logs'], 1714521600, 1714608000)
    """
    logs = sessions.client("logs", boto3_session)
    return _request(query, log_groups, start, end, limit, insights_model(logs))


def _request(
    query: str,
    log_groups: Sequence[str] | str,
    start: datetime | str | None,
    end: datetime | str | None,
    limit: int | None,
    model: InsightsModel,
) -> dict[str, Any]:
    groups = log_group_identifiers(log_groups)
    lo, hi = time_bounds(start, end)
    hi = hi or datetime.now(UTC)
    lo = lo or hi - DEFAULT_WINDOW
    if lo >= hi:
        raise ParameterError(f"start ({lo.isoformat()}) must be before end ({hi.isoformat()}).")
    bad_limit = isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= model.max_limit
    if limit is not None and bad_limit:
        raise ParameterError(
            f"limit must be an integer from 1 to {model.max_limit:,} (the StartQuery maximum of the "
            f"installed botocore), not {limit!r}."
        )
    key = "logGroupIdentifiers" if any(g.startswith("arn:") for g in groups) else "logGroupNames"
    request: dict[str, Any] = {
        key: groups,
        "startTime": int(lo.timestamp()),
        "endTime": int(hi.timestamp()),
        "queryString": query,
    }
    if model.query_language:
        request["queryLanguage"] = QUERY_LANGUAGE
    if limit is not None:
        request["limit"] = limit
    return request


#: The query language flowkit writes and sends (StartQuery ``queryLanguage``): Logs Insights QL.
QUERY_LANGUAGE = "CWLI"
#: Rows the service returns when neither ``limit`` nor the query text sets one (the limit command's
#: page: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Limit.html).
DEFAULT_ROWS = 10_000
_LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
_LOG_GROUP_ARN = re.compile(
    r"(arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:)([.\-_/#A-Za-z0-9]{1,512})(:\*)?"
)
_TEXT_LIMIT = re.compile(r"(?:^|\|)\s*limit\s+\d+", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class InsightsModel:
    """What the installed botocore's CloudWatch Logs model offers for Logs Insights.

    Attributes:
        max_limit: StartQuery ``limit`` maximum (100,000 in botocore 1.44; 10,000 before).
        query_language: whether StartQuery takes ``queryLanguage``.
        max_items: GetQueryResults ``maxItems`` maximum, or 0 if the model has no ``maxItems``.
        next_token: whether GetQueryResults pages with ``nextToken``.
    """

    max_limit: int
    query_language: bool
    max_items: int
    next_token: bool


def insights_model(logs: Any) -> InsightsModel:
    """Read :class:`InsightsModel` from a CloudWatch Logs client's service model."""
    model = logs.meta.service_model
    start = model.operation_model("StartQuery").input_shape.members
    results = model.operation_model("GetQueryResults").input_shape.members
    limit = start.get("limit")
    items = results.get("maxItems")
    return InsightsModel(
        max_limit=int(limit.metadata.get("max", DEFAULT_ROWS)) if limit is not None else DEFAULT_ROWS,
        query_language="queryLanguage" in start,
        max_items=int(items.metadata.get("max", DEFAULT_ROWS)) if items is not None else 0,
        next_token="nextToken" in results,
    )


def log_group_identifiers(log_groups: Sequence[str] | str) -> list[str]:
    """Log group names and ARNs as StartQuery takes them: 1 to 50, ARNs without a trailing ``:*``.

    ``DescribeLogGroups`` returns ``arn`` with a trailing ``:*`` (and ``logGroupArn`` without);
    StartQuery's ``logGroupIdentifiers`` says "Don't include an * at the end.", so it is dropped.

    Examples:
        >>> log_group_identifiers("arn:aws:logs:us-east-1:123456789012:log-group:/vpc/flow-logs:*")
        ['arn:aws:logs:us-east-1:123456789012:log-group:/vpc/flow-logs']

    Raises:
        ParameterError: on an empty list, more than 50, or something that is neither a log group
            name nor a log group ARN (wildcards included).
    """
    groups = [log_groups] if isinstance(log_groups, str) else list(log_groups)
    if not groups or len(groups) > 50:
        raise ParameterError(f"give 1 to 50 log groups, not {len(groups)}.")
    out = []
    for group in groups:
        if not isinstance(group, str):
            raise ParameterError(f"a log group is a name or an ARN, not {group!r}.")
        if group.startswith("arn:"):
            match = _LOG_GROUP_ARN.fullmatch(group)
            if not match:
                raise ParameterError(
                    f"{group!r} is not a log group ARN: write arn:aws:logs:REGION:ACCOUNT:log-group:NAME."
                )
            out.append(match.group(1) + match.group(2))
        elif _LOG_GROUP_NAME.fullmatch(group):
            out.append(group)
        else:
            raise ParameterError(
                f"{group!r} is not a log group name (1-512 letters, digits and . - _ / #; no wildcards)."
            )
    return out


def _wait(logs: Any, query_id: str, timeout: float, poll_interval: float, page_args: dict) -> dict:
    deadline = time.monotonic() + timeout
    delay = min(0.2, poll_interval)
    while True:
        response = logs.get_query_results(queryId=query_id, **page_args)
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


def _all_pages(
    logs: Any, query_id: str, first: dict, page_args: dict, model: InsightsModel
) -> tuple[list[list[dict[str, str]]], int]:
    """Every row of a complete query: the first page, then each ``nextToken`` page.

    Raises:
        AWSError: when a page cannot be read, or fewer rows arrive than the service's ``resultCount``.
    """
    rows = list(first.get("results", []))
    pages = 1
    token = first.get("nextToken")
    while token:
        try:
            page = logs.get_query_results(queryId=query_id, nextToken=token, **page_args)
        except Exception as exc:
            if not sessions.is_aws_error(exc):
                raise
            raise AWSError(
                f"Logs Insights query {query_id}: page {pages + 1} of the results could not be read "
                f"({sessions.aws_reason(exc)}); {len(rows)} rows were read. Results expire after an hour: "
                "run the query again."
            ) from exc
        rows += page.get("results", [])
        pages += 1
        token = page.get("nextToken")
    expected = first.get("statistics", {}).get("resultCount")
    if expected is not None and len(rows) < int(expected):
        if model.next_token:
            raise AWSError(
                f"Logs Insights query {query_id}: the service counts {int(expected):,} result rows but "
                f"{len(rows):,} arrived in {pages} page(s). Run the query again."
            )
        warnings.warn(
            f"Logs Insights query {query_id} has {int(expected):,} result rows but this botocore cannot "
            f"page (no nextToken in its model): only {len(rows):,} were read. Upgrade boto3/botocore.",
            stacklevel=3,
        )
    return rows, pages


def _warn_if_capped(query: str, limit: int | None, rows: int) -> None:
    """Warn when a result stops at the service's default row count: it may have more rows."""
    text_limit = _TEXT_LIMIT.search(query)
    if limit is None and text_limit is None and rows >= DEFAULT_ROWS:
        warnings.warn(
            f"the Logs Insights result has {rows:,} rows, the most the service returns when no limit is "
            "set: there may be more. Pass limit= (up to 100,000), end the query with '| limit N', or "
            "narrow the time range or the filter.",
            stacklevel=3,
        )


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
