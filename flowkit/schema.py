"""The flow-log field table: every field, once, with all its names and types.

Everything in flowkit that needs to know about a field (the reader, the simulator, the DDL
generator, both query engines and the tests) reads it from :data:`FIELDS`.

Sources: the Amazon VPC User Guide, "Flow log records" (field list and versions) and the
Athena User Guide, "Querying Amazon VPC flow logs" (column names and types). The versions of
``resource-id`` (9) and ``encryption-status`` (10) and the version-11 fields are inferred from
third-party material: AWS has not published them in the material we could check.

The log-format vocabulary lives here too: :func:`resolve_log_format` turns every spelling of a
format that flowkit accepts (``"v5"``, ``"default"``, a named set such as ``"security"``, a
``${field} ...`` string, field names, a list of fields) into a list of fields, so every
``log_format=`` and ``--log-format`` takes the same ones. :data:`MAX_FORMAT_VERSION` caps "all
fields up to version N" for formats sent to AWS.

Examples:
    >>> FIELDS["pkt-srcaddr"].column, FIELDS["pkt-srcaddr"].insights
    ('pkt_srcaddr', 'pktSrcAddr')
    >>> [f.name for f in parse_log_format("${srcaddr} ${dstport}")]
    ['srcaddr', 'dstport']
    >>> resolve_log_format("security") == resolve_log_format(list(NAMED_SETS["security"]))
    True
"""

from __future__ import annotations

import difflib
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flowkit.errors import FormatError

FieldType = Literal["int32", "int64", "string"]


@dataclass(frozen=True)
class Field:
    """One flow-log field.

    Attributes:
        name: the name in a log-format string and in text headers (``pkt-srcaddr``).
        column: the Athena column name (``pkt_srcaddr``), also used by the local engine.
        insights: the CloudWatch Logs Insights field name (``pktSrcAddr``).
        version: the flow-log version that introduced the field.
        type: the value type as Parquet delivery stores it (``int32``, ``int64`` or ``string``).
        athena_type: the column type in AWS's documented Athena DDL.
        description: one line on what the field holds.
    """

    name: str
    column: str
    insights: str
    version: int
    type: FieldType
    athena_type: str
    description: str

    @property
    def is_numeric(self) -> bool:
        """Whether the field holds an integer (``-`` meaning null)."""
        return self.type != "string"

    @property
    def arrow_type(self) -> Any:
        """The Arrow type flowkit reads the field into: the width of its Athena column type."""
        import pyarrow as pa

        return {"int": pa.int32(), "bigint": pa.int64()}.get(self.athena_type, pa.string())

    @property
    def pandas_dtype(self) -> Any:
        """The pandas dtype flowkit reads the field into: ``int32[pyarrow]``, ``int64[pyarrow]`` or
        ``str`` (see :mod:`flowkit.frames`)."""
        from flowkit.frames import dtype_for

        return dtype_for(self.arrow_type)


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# name, version, Parquet type, Athena type, description. The Insights names are the camelCase of
# the hyphenated name, except for the handful in _INSIGHTS_NAMES that AWS spells its own way.
_FIELD_ROWS: list[tuple[str, int, FieldType, str, str]] = [
    ("version", 2, "int32", "int", "flow-log version: the highest version among the format's fields"),
    ("account-id", 2, "string", "string", "AWS account that owns the source network interface"),
    ("interface-id", 2, "string", "string", "network interface the traffic is recorded for"),
    ("srcaddr", 2, "string", "string", "source address (the interface's own private IP when outgoing)"),
    ("dstaddr", 2, "string", "string", "destination address (the interface's own private IP when incoming)"),
    ("srcport", 2, "int32", "int", "source port"),
    ("dstport", 2, "int32", "int", "destination port"),
    ("protocol", 2, "int32", "bigint", "IANA protocol number (1 ICMP, 6 TCP, 17 UDP, 58 ICMPv6)"),
    ("packets", 2, "int64", "bigint", "packets in the flow during the aggregation interval"),
    ("bytes", 2, "int64", "bigint", "bytes in the flow during the aggregation interval"),
    ("start", 2, "int64", "bigint", "Unix seconds of the first packet in the interval"),
    ("end", 2, "int64", "bigint", "Unix seconds of the last packet in the interval"),
    ("action", 2, "string", "string", "ACCEPT or REJECT"),
    ("log-status", 2, "string", "string", "OK, NODATA (no traffic) or SKIPDATA (records skipped)"),
    ("vpc-id", 3, "string", "string", "VPC of the network interface"),
    ("subnet-id", 3, "string", "string", "subnet of the network interface"),
    ("instance-id", 3, "string", "string", "instance attached to the interface, if you own it"),
    ("tcp-flags", 3, "int32", "int", "TCP flags ORed over the interval: FIN 1, SYN 2, RST 4, SYN-ACK 18"),
    ("type", 3, "string", "string", "IPv4, IPv6 or EFA"),
    ("pkt-srcaddr", 3, "string", "string", "packet-level (original) source address"),
    ("pkt-dstaddr", 3, "string", "string", "packet-level (original) destination address"),
    ("region", 4, "string", "string", "Region of the network interface"),
    ("az-id", 4, "string", "string", "Availability Zone ID of the network interface"),
    ("sublocation-type", 4, "string", "string", "wavelength, outpost or localzone"),
    ("sublocation-id", 4, "string", "string", "ID of the sublocation"),
    ("pkt-src-aws-service", 5, "string", "string", "AWS IP-range subset of pkt-srcaddr (S3, EC2, ...)"),
    ("pkt-dst-aws-service", 5, "string", "string", "AWS IP-range subset of pkt-dstaddr"),
    ("flow-direction", 5, "string", "string", "ingress or egress, relative to the interface"),
    ("traffic-path", 5, "int32", "int", "path taken by egress traffic (1-8, see the VPC guide)"),
    ("ecs-cluster-arn", 7, "string", "string", "ECS cluster ARN of the task"),
    ("ecs-cluster-name", 7, "string", "string", "ECS cluster name of the task"),
    ("ecs-container-instance-arn", 7, "string", "string", "ECS container instance ARN (tasks on EC2)"),
    ("ecs-container-instance-id", 7, "string", "string", "ECS container instance ID (tasks on EC2)"),
    ("ecs-container-id", 7, "string", "string", "Docker runtime ID of the task's first container"),
    ("ecs-second-container-id", 7, "string", "string", "Docker runtime ID of the task's second container"),
    ("ecs-service-name", 7, "string", "string", "ECS service that started the task"),
    ("ecs-task-definition-arn", 7, "string", "string", "ECS task definition ARN"),
    ("ecs-task-arn", 7, "string", "string", "ECS task ARN"),
    ("ecs-task-id", 7, "string", "string", "ECS task ID"),
    ("reject-reason", 8, "string", "string", "why traffic was rejected: BPA (VPC Block Public Access)"),
    ("resource-id", 9, "string", "string", "resource the record is for (regional NAT gateways)"),
    ("encryption-status", 10, "int32", "int", "0 cleartext, 1 Nitro encryption, 2 TLS, 3 both"),
    ("interface-type", 11, "string", "string", "type of the network interface"),
    ("next-hop-interface-id", 11, "string", "string", "network interface of the next hop"),
    ("next-hop-subnet-id", 11, "string", "string", "subnet of the next hop"),
    ("next-hop-az-id", 11, "string", "string", "Availability Zone ID of the next hop"),
    ("next-hop-vpc-id", 11, "string", "string", "VPC of the next hop"),
    ("next-hop-interface-type", 11, "string", "string", "interface type of the next hop"),
    ("instance-tag", 11, "string", "string", "value of the first instance tag asked for"),
    ("instance-tag-2", 11, "string", "string", "value of the second instance tag asked for"),
    ("interface-tag", 11, "string", "string", "value of the first interface tag asked for"),
    ("interface-tag-2", 11, "string", "string", "value of the second interface tag asked for"),
    ("asg-tag", 11, "string", "string", "value of the first Auto Scaling group tag asked for"),
    ("asg-tag-2", 11, "string", "string", "value of the second Auto Scaling group tag asked for"),
]

_INSIGHTS_NAMES = {
    "srcaddr": "srcAddr",
    "dstaddr": "dstAddr",
    "srcport": "srcPort",
    "dstport": "dstPort",
    "pkt-srcaddr": "pktSrcAddr",
    "pkt-dstaddr": "pktDstAddr",
}

#: Every known field, by format-string name, in the order of the VPC guide's table.
FIELDS: dict[str, Field] = {
    name: Field(
        name=name,
        column=name.replace("-", "_"),
        insights=_INSIGHTS_NAMES.get(name, _camel(name)),
        version=version,
        type=ftype,
        athena_type=athena_type,
        description=description,
    )
    for name, version, ftype, athena_type, description in _FIELD_ROWS
}

#: The same fields by Athena column name.
BY_COLUMN: dict[str, Field] = {f.column: f for f in FIELDS.values()}

#: The same fields by Logs Insights name.
BY_INSIGHTS: dict[str, Field] = {f.insights: f for f in FIELDS.values()}

#: The default format: the 14 version-2 fields, in the order AWS always writes them.
DEFAULT_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS.values() if f.version == 2)

#: The default log-format string, as ``describe_flow_logs`` returns it.
DEFAULT_FORMAT: str = " ".join(f"${{{name}}}" for name in DEFAULT_FIELDS)

#: Values the ``action`` and ``log-status`` fields may hold (besides ``-``).
ACTIONS = ("ACCEPT", "REJECT")
LOG_STATUSES = ("OK", "NODATA", "SKIPDATA")

#: The newest flow-log version in the field table: ``"v2"`` ... ``"v11"`` name every field up to it.
LATEST_VERSION: int = max(f.version for f in FIELDS.values())

#: The version cap for formats sent to AWS (plans, ``flowkit enable``, :func:`flowkit.aws.log_format`):
#: "all fields up to version N" stops at 8, because the fields of versions 9 and later are not
#: confirmed in AWS's published table and the version-11 tag fields need ``TagFieldSpecifications``.
#: Name such fields one by one if you need them. Local tools (reader, simulator, DDL) take versions
#: up to :data:`LATEST_VERSION`.
MAX_FORMAT_VERSION = 8

_SECURITY = (
    *DEFAULT_FIELDS,
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
)

#: Named field sets, each in the order it is written; a set's name is a log format of its own.
NAMED_SETS: dict[str, tuple[str, ...]] = {
    # the 14 version-2 fields AWS uses when no format is given
    "default": DEFAULT_FIELDS,
    # what finding needed and unexpected egress uses: who (VPC, subnet, instance), real packet
    # addresses behind NAT, TCP flags, direction, path and the AWS service at the other end
    "security": _SECURITY,
    # the 29 fields of versions 2-5 in the order of AWS's documented Athena tables
    "athena-v5": tuple(f.name for f in FIELDS.values() if f.version <= 5),
    # the ECS task metadata fields (version 7)
    "ecs": tuple(f.name for f in FIELDS.values() if f.version == 7),
}

#: What every ``log_format=`` in flowkit takes (see :func:`resolve_log_format`): a version or set
#: name, a ``${field} ...`` string, field names separated by spaces, or a list of field names or
#: :class:`Field` objects.
LogFormatSpec = str | Sequence[str | Field]

_TOKEN = re.compile(r"\$\{([^}$\s]*)\}")
_VERSION_NAME = re.compile(r"v(\d+)", re.IGNORECASE)


def get_field(name: str) -> Field:
    """Look up a field by its format name, Athena column or Insights name.

    Args:
        name: ``pkt-srcaddr``, ``pkt_srcaddr`` or ``pktSrcAddr`` (format names are matched
            case-insensitively).

    Returns:
        The field.

    Raises:
        FormatError: if no field has that name; the message suggests the closest one.

    Examples:
        >>> get_field("dstPort").name
        'dstport'
    """
    for table in (FIELDS, BY_COLUMN, BY_INSIGHTS):
        if name in table:
            return table[name]
    lowered = name.strip().lower()
    for table in (FIELDS, BY_COLUMN):
        if lowered in table:
            return table[lowered]
    raise FormatError(_unknown_field_message(name))


def _unknown_field_message(name: str) -> str:
    known = list(FIELDS) + list(BY_COLUMN) + list(BY_INSIGHTS)
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else " See flowkit.schema.FIELDS for the known fields."
    return f"unknown flow-log field {name!r}.{hint}"


def parse_log_format(log_format: str, *, unknown: Literal["raise", "keep"] = "raise") -> list[Field]:
    """Parse a log format into its fields, in order.

    Accepts a ``${field} ${field}`` format string as given to ``CreateFlowLogs``, or a plain
    header line of field names as the first line of an S3 text file (``version account-id ...``).
    Athena column names (``account_id``) are accepted too.

    Args:
        log_format: the format string or header line.
        unknown: ``"raise"`` (the default) refuses a field flowkit does not know, suggesting the
            closest known one; ``"keep"`` keeps it as a string field (new AWS fields).

    Returns:
        The fields, in the format's order.

    Raises:
        FormatError: on an empty format, a malformed ``${...}`` token, a repeated field or an
            unknown field (with ``unknown="raise"``).

    Examples:
        >>> [f.column for f in parse_log_format("version account-id log-status")]
        ['version', 'account_id', 'log_status']
    """
    text = log_format.strip()
    if not text:
        raise FormatError("the log format is empty: it needs at least one field, e.g. '${srcaddr}'.")
    if "$" in text:
        names = _TOKEN.findall(text)
        leftover = _TOKEN.sub("", text).strip()
        if leftover or not names:
            raise FormatError(
                f"malformed log format {log_format!r}: write each field as ${{name}}, separated by spaces."
            )
    else:
        names = text.split()
    fields: list[Field] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip()
        try:
            field = get_field(name)
        except FormatError:
            if unknown == "raise":
                raise
            field = _unknown_field(name)
        if field.name in seen:
            raise FormatError(f"field {field.name!r} appears twice in the log format {log_format!r}.")
        seen.add(field.name)
        fields.append(field)
    return fields


def _unknown_field(name: str) -> Field:
    hyphenated = name.replace("_", "-").lower()
    return Field(
        name=hyphenated,
        column=hyphenated.replace("-", "_"),
        insights=_camel(hyphenated),
        version=max(f.version for f in FIELDS.values()),
        type="string",
        athena_type="string",
        description="a field flowkit does not know, kept as text",
    )


def format_string(fields: Iterable[str | Field]) -> str:
    """Build a ``${field} ...`` log-format string from field names.

    Examples:
        >>> format_string(["srcaddr", "dstaddr"])
        '${srcaddr} ${dstaddr}'
    """
    names = [f.name if isinstance(f, Field) else get_field(f).name for f in fields]
    if not names:
        raise FormatError("a log format needs at least one field.")
    return " ".join(f"${{{n}}}" for n in names)


def fields_up_to(version: int, *, max_version: int = LATEST_VERSION) -> list[Field]:
    """All known fields of the given version and below, in table order (AWS's "all fields up to N").

    Args:
        version: a flow-log version from 2 to ``max_version`` (there are no version-6 fields:
            6 gives the fields of 5).
        max_version: the highest version allowed; formats for AWS pass :data:`MAX_FORMAT_VERSION`.

    Raises:
        FormatError: if the version is not an integer, names no flow-log version, or is above
            ``max_version``.

    Examples:
        >>> len(fields_up_to(2)), len(fields_up_to(5))
        (14, 29)
        >>> fields_up_to(9, max_version=MAX_FORMAT_VERSION)
        Traceback (most recent call last):
        ...
        flowkit.errors.FormatError: flow-log version 9 is not supported here: use v2 to v8 (fields of versions 9 and later are unconfirmed, and the version-11 tag fields need TagFieldSpecifications; name such fields one by one if you need them).
    """
    if isinstance(version, bool) or not isinstance(version, numbers.Integral):
        raise FormatError(f"format version must be an integer from 2 to {max_version}, not {version!r}.")
    version = int(version)
    if not 2 <= version <= LATEST_VERSION:
        raise FormatError(f"no flow-log version {version}: use v2 to v{max_version}.")
    if version > max_version:
        raise FormatError(
            f"flow-log version {version} is not supported here: use v2 to v{max_version} (fields of versions "
            f"{MAX_FORMAT_VERSION + 1} and later are unconfirmed, and the version-11 tag fields need "
            "TagFieldSpecifications; name such fields one by one if you need them)."
        )
    return [f for f in FIELDS.values() if f.version <= version]


def resolve_log_format(
    spec: LogFormatSpec | None,
    *,
    unknown: Literal["raise", "keep"] = "raise",
    max_version: int = LATEST_VERSION,
) -> list[Field]:
    """The fields of a log format, in order, from any of flowkit's spellings of one.

    Every ``log_format=`` in flowkit (:func:`flowkit.read_flow_logs`, :func:`flowkit.connect`,
    :func:`flowkit.simulate`, :func:`flowkit.athena_ddl`, the plans of :mod:`flowkit.aws`) and
    every ``--log-format`` of the CLI take the same spellings:

    * ``None`` or ``"default"``: AWS's default format (the 14 version-2 fields);
    * a version name, ``"v2"`` ... ``"v11"``: every field up to that version (:func:`fields_up_to`);
    * a named set of :data:`NAMED_SETS`: ``"security"``, ``"athena-v5"``, ``"ecs"``;
    * a ``${field} ...`` format string, as ``CreateFlowLogs`` takes and ``describe_flow_logs`` returns;
    * field names separated by spaces, as in a text file's header line (``version account-id ...``);
    * a list of field names (any spelling: ``pkt-srcaddr``, ``pkt_srcaddr``, ``pktSrcAddr``) or
      :class:`Field` objects.

    Args:
        spec: the log format.
        unknown: ``"raise"`` refuses a field flowkit does not know, naming the closest known name;
            ``"keep"`` keeps it as a text field (a new AWS field).
        max_version: the highest version name allowed (formats for AWS pass :data:`MAX_FORMAT_VERSION`).

    Returns:
        The fields, in the format's order.

    Raises:
        FormatError: on an empty format, a repeated field, an unknown name (with a suggestion) or a
            version out of range.

    Examples:
        >>> resolve_log_format("v3") == resolve_log_format("${" + "} ${".join(f.name for f in fields_up_to(3)) + "}")
        True
        >>> [f.column for f in resolve_log_format(["srcaddr", "dstPort"])]
        ['srcaddr', 'dstport']
        >>> resolve_log_format("secuirty")
        Traceback (most recent call last):
        ...
        flowkit.errors.FormatError: unknown log format or field 'secuirty'. Did you mean 'security'? A log format is default, v2 to v11, a named set (security, athena-v5, ecs), a '${field} ...' string, or field names.
    """
    if spec is None:
        spec = "default"
    if isinstance(spec, Field):
        spec = [spec]
    if not isinstance(spec, str):
        return _field_list(spec, unknown)
    text = spec.strip()
    name = text.lower()
    if name in NAMED_SETS:
        return [FIELDS[n] for n in NAMED_SETS[name]]
    if match := _VERSION_NAME.fullmatch(name):
        return fields_up_to(int(match.group(1)), max_version=max_version)
    tokens = text.split()
    if len(tokens) == 1 and "$" not in text:
        try:
            return parse_log_format(text)
        except FormatError:
            if unknown == "raise" or _close_format_name(text):
                raise FormatError(_unknown_format_message(text, max_version)) from None
    for token in tokens:
        if token.lower() in NAMED_SETS or _VERSION_NAME.fullmatch(token):
            raise FormatError(
                f"{token!r} names a whole log format: give it alone (log_format={token!r}), or combine "
                f"sets and fields with flowkit.aws.log_format({token!r}, 'vpc-id', ...)."
            )
    return parse_log_format(text, unknown=unknown)


def _field_list(items: Iterable[str | Field], unknown: str) -> list[Field]:
    fields: list[Field] = []
    for item in items:
        if isinstance(item, Field):
            field = item
        elif isinstance(item, str):
            try:
                field = get_field(item)
            except FormatError:
                if unknown == "raise":
                    raise
                field = _unknown_field(item.strip())
        else:
            raise FormatError(f"a log format lists field names or Field objects, not {item!r}.")
        if field.name in {f.name for f in fields}:
            raise FormatError(f"field {field.name!r} appears twice in the log format.")
        fields.append(field)
    if not fields:
        raise FormatError("the log format is empty: it needs at least one field, e.g. ['srcaddr'].")
    return fields


def _format_names(max_version: int) -> list[str]:
    return [*NAMED_SETS, *(f"v{v}" for v in range(2, max_version + 1))]


def _close_format_name(text: str) -> str | None:
    close = difflib.get_close_matches(text.lower(), _format_names(LATEST_VERSION), n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown_format_message(text: str, max_version: int) -> str:
    known = _format_names(max_version) + list(FIELDS) + list(BY_COLUMN) + list(BY_INSIGHTS)
    close = difflib.get_close_matches(text.lower(), known, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    sets = ", ".join(n for n in NAMED_SETS if n != "default")
    return (
        f"unknown log format or field {text!r}.{hint} A log format is default, v2 to v{max_version}, a named "
        f"set ({sets}), a '${{field}} ...' string, or field names."
    )


def record_version(fields: Iterable[Field]) -> int:
    """The ``version`` value AWS writes for a format: the highest version among its fields."""
    return max((f.version for f in fields), default=2)


def field_table():
    """The field table as a DataFrame (one row per field), for notebooks and docs."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "field": f.name,
                "column": f.column,
                "insights": f.insights,
                "version": f.version,
                "type": f.type,
                "athena_type": f.athena_type,
                "description": f.description,
            }
            for f in FIELDS.values()
        ]
    )
