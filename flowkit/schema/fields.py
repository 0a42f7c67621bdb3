"""The flow-log field table: every field, once, with all its names and types.

Everything in flowkit that needs to know about a field (the reader, the simulator, the DDL
generator, both query engines and the tests) reads it from :data:`FIELDS`.

Sources: the Amazon VPC User Guide, "Flow log records" (field list and versions) and the
Athena User Guide, "Querying Amazon VPC flow logs" (column names and types). The versions of
``resource-id`` (9) and ``encryption-status`` (10) and the version-11 fields are inferred from
third-party material: AWS has not published them in the material we could check.

Transit gateway flow logs (Amazon VPC Transit Gateways guide, "Transit Gateway Flow Log records",
https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records) share 18 fields
with VPC flow logs and add 18 of their own, all version 6 (the version the VPC table skips). Their
default format is "all version 2 to version 6 fields, in the order shown in the available fields
table": :data:`TGW_DEFAULT_FIELDS`. AWS publishes no Athena table for them: the column names follow
AWS's VPC rule (hyphen to underscore) and the types its VPC table, as third-party transit gateway
tables do; Logs Insights discovers no transit gateway fields, so their Insights names are the
camelCase of the format name. :attr:`Field.resources` says which kind of flow log has a field.

Examples:
    >>> FIELDS["pkt-srcaddr"].column, FIELDS["pkt-srcaddr"].insights
    ('pkt_srcaddr', 'pktSrcAddr')
    >>> get_field("dstPort").name
    'dstport'
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from flowkit.errors import FormatError

FieldType = Literal["int32", "int64", "string"]

#: The kinds of resource a flow log records: network interfaces (VPC, subnet or ENI flow logs) or
#: transit gateways (``TransitGateway`` and ``TransitGatewayAttachment`` flow logs).
RESOURCES = ("vpc", "transit-gateway")


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
        resources: the kinds of flow log that have the field (:data:`RESOURCES`): ``("vpc",)``,
            ``("transit-gateway",)`` or both.
    """

    name: str
    column: str
    insights: str
    version: int
    type: FieldType
    athena_type: str
    description: str
    resources: tuple[str, ...] = ("vpc",)

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
    (
        "version",
        2,
        "int32",
        "int",
        "flow-log version: the highest version among the format's fields (6 for transit gateways' default)",
    ),
    (
        "account-id",
        2,
        "string",
        "string",
        "account that owns the source network interface (transit gateways: the transit gateway)",
    ),
    ("interface-id", 2, "string", "string", "network interface the traffic is recorded for"),
    ("srcaddr", 2, "string", "string", "source address (an interface's own private IP when outgoing)"),
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
    (
        "tcp-flags",
        3,
        "int32",
        "int",
        "TCP flags ORed over the interval: FIN 1, SYN 2, RST 4, SYN-ACK 18 (transit gateways add PSH 8, ACK 16, URG 32)",
    ),
    ("type", 3, "string", "string", "IPv4, IPv6 or EFA"),
    ("pkt-srcaddr", 3, "string", "string", "packet-level (original) source address"),
    ("pkt-dstaddr", 3, "string", "string", "packet-level (original) destination address"),
    ("region", 4, "string", "string", "Region of the network interface or transit gateway"),
    ("az-id", 4, "string", "string", "Availability Zone ID of the network interface"),
    ("sublocation-type", 4, "string", "string", "wavelength, outpost or localzone"),
    ("sublocation-id", 4, "string", "string", "ID of the sublocation"),
    (
        "pkt-src-aws-service",
        5,
        "string",
        "string",
        "AWS IP-range subset of pkt-srcaddr, S3, EC2, ... (transit gateways: of srcaddr)",
    ),
    (
        "pkt-dst-aws-service",
        5,
        "string",
        "string",
        "AWS IP-range subset of pkt-dstaddr (transit gateways: of dstaddr)",
    ),
    ("flow-direction", 5, "string", "string", "ingress or egress, relative to the interface or attachment"),
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

# The transit gateway fields that VPC flow logs do not have (all version 6), in the order of the
# transit gateway guide's table; the 36-field default format is TGW_DEFAULT_FIELDS below.
_TGW_ROWS: list[tuple[str, int, FieldType, str, str]] = [
    ("resource-type", 6, "string", "string", "type of resource the flow log is on: TransitGateway"),
    ("tgw-id", 6, "string", "string", "transit gateway the traffic is recorded for"),
    ("tgw-attachment-id", 6, "string", "string", "transit gateway attachment the traffic is recorded for"),
    ("tgw-src-vpc-account-id", 6, "string", "string", "account of the source VPC"),
    ("tgw-dst-vpc-account-id", 6, "string", "string", "account of the destination VPC"),
    ("tgw-src-vpc-id", 6, "string", "string", "source VPC"),
    ("tgw-dst-vpc-id", 6, "string", "string", "destination VPC"),
    ("tgw-src-subnet-id", 6, "string", "string", "subnet of the source traffic"),
    ("tgw-dst-subnet-id", 6, "string", "string", "subnet of the destination traffic"),
    ("tgw-src-eni", 6, "string", "string", "source attachment ENI"),
    ("tgw-dst-eni", 6, "string", "string", "destination attachment ENI"),
    ("tgw-src-az-id", 6, "string", "string", "Availability Zone ID of the source ('-' from a sublocation)"),
    ("tgw-dst-az-id", 6, "string", "string", "Availability Zone ID of the destination"),
    ("tgw-pair-attachment-id", 6, "string", "string", "the other attachment of the flow (egress or ingress)"),
    ("packets-lost-no-route", 6, "int64", "bigint", "packets lost because no route was specified"),
    ("packets-lost-blackhole", 6, "int64", "bigint", "packets lost to a blackhole route"),
    ("packets-lost-mtu-exceeded", 6, "int64", "bigint", "packets lost because their size exceeded the MTU"),
    ("packets-lost-ttl-expired", 6, "int64", "bigint", "packets lost because their time-to-live expired"),
]

# The VPC fields transit gateway records have too (with the meanings the descriptions note).
_SHARED = {
    "version", "account-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes",
    "start", "end", "log-status", "type", "tcp-flags", "region", "flow-direction", "pkt-src-aws-service",
    "pkt-dst-aws-service",
}  # fmt: skip

_INSIGHTS_NAMES = {
    "srcaddr": "srcAddr",
    "dstaddr": "dstAddr",
    "srcport": "srcPort",
    "dstport": "dstPort",
    "pkt-srcaddr": "pktSrcAddr",
    "pkt-dstaddr": "pktDstAddr",
}


def _resources(name: str, tgw_only: bool) -> tuple[str, ...]:
    if tgw_only:
        return ("transit-gateway",)
    return RESOURCES if name in _SHARED else ("vpc",)


#: Every known field, by format-string name: the VPC guide's table, then the transit gateway fields.
FIELDS: dict[str, Field] = {
    name: Field(
        name=name,
        column=name.replace("-", "_"),
        insights=_INSIGHTS_NAMES.get(name, _camel(name)),
        version=version,
        type=ftype,
        athena_type=athena_type,
        description=description,
        resources=_resources(name, tgw_only),
    )
    for rows, tgw_only in ((_FIELD_ROWS, False), (_TGW_ROWS, True))
    for name, version, ftype, athena_type, description in rows
}

#: The same fields by Athena column name.
BY_COLUMN: dict[str, Field] = {f.column: f for f in FIELDS.values()}

#: The same fields by Logs Insights name.
BY_INSIGHTS: dict[str, Field] = {f.insights: f for f in FIELDS.values()}

#: The default format: the 14 version-2 fields, in the order AWS always writes them.
DEFAULT_FIELDS: tuple[str, ...] = tuple(
    f.name for f in FIELDS.values() if f.version == 2 and "vpc" in f.resources
)

#: The default log-format string, as ``describe_flow_logs`` returns it.
DEFAULT_FORMAT: str = " ".join(f"${{{name}}}" for name in DEFAULT_FIELDS)

#: The default format of transit gateway flow logs: "all version 2 to version 6 fields, in the order
#: shown in the available fields table" of the transit gateway guide (36 fields; records say version 6).
TGW_DEFAULT_FIELDS: tuple[str, ...] = (
    "version", "resource-type", "account-id", "tgw-id", "tgw-attachment-id", "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id", "tgw-src-vpc-id", "tgw-dst-vpc-id", "tgw-src-subnet-id", "tgw-dst-subnet-id",
    "tgw-src-eni", "tgw-dst-eni", "tgw-src-az-id", "tgw-dst-az-id", "tgw-pair-attachment-id", "srcaddr",
    "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "log-status", "type",
    "packets-lost-no-route", "packets-lost-blackhole", "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired", "tcp-flags", "region", "flow-direction", "pkt-src-aws-service",
    "pkt-dst-aws-service",
)  # fmt: skip

#: The ``resource-type`` value of transit gateway records.
TGW_RESOURCE_TYPE = "TransitGateway"

#: Values the ``action`` and ``log-status`` fields may hold (besides ``-``).
ACTIONS = ("ACCEPT", "REJECT")
LOG_STATUSES = ("OK", "NODATA", "SKIPDATA")

#: The newest flow-log version in the field table: ``"v2"`` ... ``"v11"`` name every field up to it.
LATEST_VERSION: int = max(f.version for f in FIELDS.values())


@dataclass(frozen=True)
class EventColumn:
    """A column the reader adds to records read from CloudWatch Logs: what the log event and its
    envelope say about the record, not a flow-log field.

    Attributes:
        column: the column name (``log_stream``).
        insights: the Logs Insights system field it gives (``@logStream``).
        type: ``"string"`` or ``"timestamp"`` (milliseconds, UTC).
        description: one line on where it comes from.
    """

    column: str
    insights: str
    type: Literal["string", "timestamp"]
    description: str

    @property
    def arrow_type(self) -> Any:
        """The Arrow type of the column."""
        import pyarrow as pa

        return pa.timestamp("ms", tz="UTC") if self.type == "timestamp" else pa.string()


#: The columns of :class:`EventColumn`, by name, each present when the input says it: a
#: subscription envelope (``owner``, ``logGroup``, ``logStream``), ``filter-log-events`` output
#: (``logStreamName``) or the event itself (``timestamp``, ``ingestionTime``). The local Logs
#: Insights engine takes ``@timestamp``, ``@log``, ``@logStream`` and ``@ingestionTime`` from them
#: where a record has them (CloudWatch Logs User Guide, "Supported logs and discovered fields").
EVENT_COLUMNS: dict[str, EventColumn] = {
    c.column: c
    for c in (
        EventColumn("log_owner", "@log", "string", "account that owns the log group (the envelope's owner)"),
        EventColumn("log_group", "@log", "string", "log group of the event (the envelope's logGroup)"),
        EventColumn("log_stream", "@logStream", "string", "log stream of the event"),
        EventColumn("event_timestamp", "@timestamp", "timestamp", "the event's timestamp (a record's start)"),
        EventColumn(
            "ingestion_time", "@ingestionTime", "timestamp", "when CloudWatch Logs received the event"
        ),
    )
}


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
    field = find_field(name)
    if field is None:
        raise FormatError(_unknown_field_message(name))
    return field


def find_field(name: str) -> Field | None:
    """The field with this format name, Athena column or Insights name, or ``None`` (cheap: no
    suggestion is computed, unlike :func:`get_field`).

    Examples:
        >>> find_field("tgw-id").column, find_field("not-a-field")
        ('tgw_id', None)
    """
    for table in (FIELDS, BY_COLUMN, BY_INSIGHTS):
        if name in table:
            return table[name]
    lowered = name.strip().lower()
    for table in (FIELDS, BY_COLUMN):
        if lowered in table:
            return table[lowered]
    return None


def _unknown_field_message(name: str) -> str:
    known = list(FIELDS) + list(BY_COLUMN) + list(BY_INSIGHTS)
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else " See flowkit.schema.FIELDS for the known fields."
    return f"unknown flow-log field {name!r}.{hint}"


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


def field_table():
    """The field table as a DataFrame (one row per field), for notebooks and docs."""
    import pandas as pd

    from flowkit.frames import with_flowkit_dtypes

    return with_flowkit_dtypes(
        pd.DataFrame(
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
    )
