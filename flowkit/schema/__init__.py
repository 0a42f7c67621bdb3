"""The flow-log schema: the field table and the log-format vocabulary.

- :mod:`~flowkit.schema.fields`: every field, once, with its format name, Athena column, Logs
  Insights name, type and version (:data:`FIELDS`, :func:`get_field`, :func:`field_table`);
- :mod:`~flowkit.schema.formats`: every spelling of a log format flowkit accepts
  (:func:`resolve_log_format`, :func:`parse_log_format`, :data:`NAMED_SETS`, :func:`fields_up_to`).

Everything in flowkit that needs to know about a field (the reader, the simulator, the DDL
generator, both query engines and the tests) asks this room.

Examples:
    >>> FIELDS["pkt-srcaddr"].column, FIELDS["pkt-srcaddr"].insights
    ('pkt_srcaddr', 'pktSrcAddr')
    >>> [f.name for f in resolve_log_format("${srcaddr} ${dstport}")]
    ['srcaddr', 'dstport']
"""

from flowkit.schema.fields import (
    ACTIONS,
    BY_COLUMN,
    BY_INSIGHTS,
    DEFAULT_FIELDS,
    DEFAULT_FORMAT,
    EVENT_COLUMNS,
    FIELDS,
    LATEST_VERSION,
    LOG_STATUSES,
    RESOURCES,
    TGW_DEFAULT_FIELDS,
    TGW_RESOURCE_TYPE,
    EventColumn,
    Field,
    FieldType,
    field_table,
    find_field,
    get_field,
)
from flowkit.schema.formats import (
    MAX_FORMAT_VERSION,
    NAMED_SETS,
    LogFormatSpec,
    fields_up_to,
    format_string,
    parse_log_format,
    record_version,
    resolve_log_format,
)

__all__ = [
    "ACTIONS",
    "BY_COLUMN",
    "BY_INSIGHTS",
    "DEFAULT_FIELDS",
    "DEFAULT_FORMAT",
    "EVENT_COLUMNS",
    "FIELDS",
    "LATEST_VERSION",
    "LOG_STATUSES",
    "MAX_FORMAT_VERSION",
    "NAMED_SETS",
    "RESOURCES",
    "TGW_DEFAULT_FIELDS",
    "TGW_RESOURCE_TYPE",
    "EventColumn",
    "Field",
    "FieldType",
    "LogFormatSpec",
    "field_table",
    "fields_up_to",
    "find_field",
    "format_string",
    "get_field",
    "parse_log_format",
    "record_version",
    "resolve_log_format",
]
