"""Custom flow-log formats for AWS: "all fields up to version N" and named sets, combined.

A flow log's format cannot be changed after it is created, so choose it before enabling. The
default format (14 version-2 fields) is what AWS uses when no ``LogFormat`` is given. The
fields this kit's questions use most (VPC, subnet, instance, TCP flags, packet-level addresses,
direction, traffic path, AWS service) come with versions 3 to 5.

The vocabulary itself (version names, :data:`NAMED_SETS`, ``${...}`` strings, field lists) and
the version cap :data:`MAX_FORMAT_VERSION` live in :mod:`flowkit.schema`
(:func:`~flowkit.schema.resolve_log_format`); this module combines them into one format for
``CreateFlowLogs``, capped at version 8.

Examples:
    >>> fields_up_to(3)[:3]
    ['version', 'account-id', 'interface-id']
    >>> log_format("default", "vpc-id").split()[-1]
    '${vpc-id}'
    >>> log_format(version=2) == DEFAULT_FORMAT
    True
"""

from __future__ import annotations

from flowkit import schema
from flowkit.errors import FormatError
from flowkit.schema import DEFAULT_FORMAT, MAX_FORMAT_VERSION, NAMED_SETS, Field, LogFormatSpec

__all__ = ["DEFAULT_FORMAT", "MAX_FORMAT_VERSION", "NAMED_SETS", "fields_up_to", "log_format"]


def fields_up_to(version: int) -> list[str]:
    """The names of all fields of the given version and below, in AWS's table order.

    :func:`flowkit.schema.fields_up_to` capped at :data:`MAX_FORMAT_VERSION`, as names.

    Args:
        version: a flow-log version from 2 to :data:`MAX_FORMAT_VERSION`.

    Returns:
        Field names (``account-id`` spelling).

    Raises:
        FormatError: if the version is outside 2..MAX_FORMAT_VERSION.
    """
    return [f.name for f in schema.fields_up_to(version, max_version=MAX_FORMAT_VERSION)]


def log_format(*parts: LogFormatSpec | Field, version: int | None = None) -> str:
    """Build a ``${field} ...`` log-format string from named sets, versions and field names.

    Args:
        *parts: anything :func:`flowkit.schema.resolve_log_format` takes, in the order wanted:
            names from :data:`NAMED_SETS`, version names (``"v5"``), single field names in any
            spelling (``pkt-srcaddr``, ``pkt_srcaddr``, ``pktSrcAddr``), ``${...}`` strings or
            lists of fields. Repeats are dropped (first place wins).
        version: start with all fields up to this version (see :func:`fields_up_to`).

    Returns:
        The format string to pass as ``log_format`` (``LogFormat`` in CreateFlowLogs).

    Raises:
        FormatError: on an unknown set or field name, a version above :data:`MAX_FORMAT_VERSION`,
            or when nothing was asked for.

    Examples:
        >>> log_format("srcaddr", "dstPort")
        '${srcaddr} ${dstport}'
        >>> log_format("v3", "flow-direction") == log_format("flow-direction", version=3)
        True
    """
    names: list[str] = list(fields_up_to(version)) if version is not None else []
    for part in parts:
        try:
            fields = schema.resolve_log_format(part, max_version=MAX_FORMAT_VERSION)
        except FormatError as exc:
            raise FormatError(f"{exc} Named sets: {', '.join(NAMED_SETS)}.") from None
        names.extend(f.name for f in fields)
    if not names:
        raise FormatError("log_format() needs a version or at least one set or field name.")
    return schema.format_string(dict.fromkeys(names))
