"""The fields a flow-log event has in Logs Insights, as SQL over the ``vpc_flow_logs`` view.

- Discovered fields: every flow-log field present, under its Insights name (``interfaceId``,
  ``srcAddr``, ``dstPort``, ``logStatus``, ``pktSrcAddr``, ``flowDirection``, ...), plus
  ``startTime``/``endTime`` as aliases of ``start``/``end``.
- System fields: ``@timestamp`` (``start`` in ms), ``@message`` (the record line rebuilt in the
  source's format order, ``-`` for nulls), ``@logStream`` (``<interface-id>-all``), ``@log``
  (``<account-id>:/aws/vpc/flowlogs``), ``@ingestionTime`` (``end`` in ms: the earliest moment
  CloudWatch could have received the record) and ``@ptr`` (an md5 of ``@message``).

System names match case-insensitively (the AWS guide writes ``@logstream``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlglot import exp

from flowkit.engines.insights.values import NUM, STR, TS
from flowkit.schema import Field

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


def base_fields(fields: Sequence[Field]) -> dict[str, BaseField]:
    """The Insights fields of records with these flow-log fields, by Insights name (cached: the
    returned mapping is shared, do not change it)."""
    return _base_fields(tuple(fields))


@functools.lru_cache(maxsize=64)
def _base_fields(fields: tuple[Field, ...]) -> dict[str, BaseField]:
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
    out["@logStream"] = BaseField("@logStream", "s_logstream", STR, stream)

    account = _or_dash(by_name["account-id"]) if "account-id" in by_name else exp.Literal.string("-")
    out["@log"] = BaseField(
        "@log", "s_log", STR, exp.DPipe(this=account, expression=exp.Literal.string(f":{LOG_GROUP}"))
    )
    if "end" in by_name:
        ingestion: exp.Expression = exp.Mul(
            this=exp.cast(_col(by_name["end"]), "BIGINT"), expression=exp.Literal.number(1000)
        )
    else:
        ingestion = timestamp.copy()
    out["@ingestionTime"] = BaseField("@ingestionTime", "s_ingestiontime", NUM, ingestion)
    out["@ptr"] = BaseField("@ptr", "s_ptr", STR, exp.Anonymous(this="md5", expressions=[message.copy()]))
    return {name: replace(b, sql=b.definition.sql(dialect="duckdb")) for name, b in out.items()}
