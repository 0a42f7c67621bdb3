"""The fields a flow-log event has in Logs Insights, as SQL over the ``vpc_flow_logs`` view.

- Discovered fields: every flow-log field present, under its Insights name (``interfaceId``,
  ``srcAddr``, ``dstPort``, ``logStatus``, ``pktSrcAddr``, ``flowDirection``, ...), plus
  ``startTime``/``endTime`` as aliases of ``start``/``end``.
- System fields: ``@timestamp`` (``start`` in ms), ``@message`` (the record line rebuilt in the
  source's format order, ``-`` for nulls), ``@logStream`` (``<interface-id>-all``), ``@log``
  (``<account-id>:/aws/vpc/flowlogs``), ``@ingestionTime`` (``end`` in ms: the earliest moment
  CloudWatch could have received the record) and ``@ptr`` (an md5 of ``@message``).
- Records read from CloudWatch Logs (events, subscription envelopes, CLI output) carry what
  CloudWatch said about them in the columns of :data:`flowkit.schema.EVENT_COLUMNS`; where a record
  has them they win: ``@timestamp`` is the event's ``timestamp`` (what CloudWatch shows and filters
  the time range on), ``@ingestionTime`` its ``ingestionTime``, ``@logStream`` the envelope's or
  event's stream and ``@log`` ``<owner>:<logGroup>`` ("Supported logs and discovered fields",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_AnalyzeLogData-discoverable-fields.html).
  Transit gateway records have no interface: their ``@logStream`` is the event's stream or null
  (AWS gives each transit gateway a stream but does not document its name).

System names match case-insensitively (the AWS guide writes ``@logstream``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlglot import exp

from flowkit.engines.insights.values import NUM, STR, TS
from flowkit.schema import EVENT_COLUMNS, Field

#: The log-group name ``@log`` reports (AWS's usual name for flow-log groups).
LOG_GROUP = "/aws/vpc/flowlogs"

SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime", "@ptr")
SYSTEM_BY_LOWER = {name.lower(): name for name in SYSTEM_FIELDS}
TIME_ALIASES = {"startTime": "start", "endTime": "end"}


@dataclass(frozen=True)
class BaseField:
    """A field of the base relation: its Insights name, SQL column alias, type and definition."""

    name: str
    sql_name: str
    type: str
    definition: exp.Expression
    sql: str = ""


def _col(field: Field) -> exp.Column:
    return exp.column(field.column, quoted=True)


def _or_dash(field: Field) -> exp.Expression:
    text = exp.cast(_col(field), "VARCHAR") if field.is_numeric else _col(field)
    return exp.Coalesce(this=text, expressions=[exp.Literal.string("-")])


def base_fields(fields: Sequence[Field], events: Sequence[str] = ()) -> dict[str, BaseField]:
    """The Insights fields of records with these flow-log fields, by Insights name (cached: the
    returned mapping is shared, do not change it).

    Args:
        fields: the flow-log fields of the records, in format order.
        events: the columns of :data:`flowkit.schema.EVENT_COLUMNS` the records have
            (``event_timestamp``, ``log_stream``, ...), which the system fields take first.
    """
    return _base_fields(tuple(fields), tuple(sorted(set(events) & set(EVENT_COLUMNS))))


def event_column(name: str) -> exp.Column:
    """A column of :data:`flowkit.schema.EVENT_COLUMNS`, quoted."""
    return exp.column(name, quoted=True)


def event_time(events: Sequence[str], name: str, fallback: exp.Expression) -> exp.Expression:
    """Epoch milliseconds of an event time column when the records have it, else ``fallback``."""
    if name not in events:
        return fallback
    millis = exp.Anonymous(this="epoch_ms", expressions=[event_column(name)])
    if isinstance(fallback, exp.Cast) and isinstance(fallback.this, exp.Null):
        return millis
    return exp.Coalesce(this=millis, expressions=[fallback])


def _first(events: Sequence[str], name: str, fallback: exp.Expression) -> exp.Expression:
    if name not in events:
        return fallback
    return exp.Coalesce(this=event_column(name), expressions=[fallback])


@functools.lru_cache(maxsize=64)
def _base_fields(fields: tuple[Field, ...], events: tuple[str, ...] = ()) -> dict[str, BaseField]:
    by_name = {f.name: f for f in fields}
    out: dict[str, BaseField] = {}
    for field in fields:
        out[field.insights] = BaseField(
            field.insights, f"b_{field.column}", NUM if field.is_numeric else STR, _col(field)
        )
    for alias, target in TIME_ALIASES.items():
        if target in by_name:
            out[alias] = BaseField(alias, f"b_{by_name[target].column}", NUM, _col(by_name[target]))

    if "start" in by_name:
        timestamp: exp.Expression = exp.Mul(
            this=exp.cast(_col(by_name["start"]), "BIGINT"), expression=exp.Literal.number(1000)
        )
    else:
        timestamp = exp.cast(exp.Null(), "BIGINT")
    timestamp = event_time(events, "event_timestamp", timestamp)
    out["@timestamp"] = BaseField("@timestamp", "s_timestamp", TS, timestamp)

    message: exp.Expression = exp.Literal.string("")
    for index, field in enumerate(fields):
        part = _or_dash(field)
        message = (
            part
            if index == 0
            else exp.DPipe(this=exp.DPipe(this=message, expression=exp.Literal.string(" ")), expression=part)
        )
    out["@message"] = BaseField("@message", "s_message", STR, message)

    if "interface-id" in by_name:
        stream: exp.Expression = exp.DPipe(
            this=_col(by_name["interface-id"]), expression=exp.Literal.string("-all")
        )
    else:
        stream = exp.cast(exp.Null(), "VARCHAR")
    stream = _first(events, "log_stream", stream)
    out["@logStream"] = BaseField("@logStream", "s_logstream", STR, stream)

    account = _or_dash(by_name["account-id"]) if "account-id" in by_name else exp.Literal.string("-")
    account = _first(events, "log_owner", account)
    group = _first(events, "log_group", exp.Literal.string(LOG_GROUP))
    out["@log"] = BaseField(
        "@log",
        "s_log",
        STR,
        exp.DPipe(this=exp.DPipe(this=account, expression=exp.Literal.string(":")), expression=group),
    )
    if "end" in by_name:
        ingestion: exp.Expression = exp.Mul(
            this=exp.cast(_col(by_name["end"]), "BIGINT"), expression=exp.Literal.number(1000)
        )
    else:
        ingestion = timestamp.copy()
    ingestion = event_time(events, "ingestion_time", ingestion)
    out["@ingestionTime"] = BaseField("@ingestionTime", "s_ingestiontime", NUM, ingestion)
    out["@ptr"] = BaseField("@ptr", "s_ptr", STR, exp.Anonymous(this="md5", expressions=[message.copy()]))
    return {name: replace(b, sql=b.definition.sql(dialect="duckdb")) for name, b in out.items()}
