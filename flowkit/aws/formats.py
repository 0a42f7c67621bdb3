"""Custom flow-log formats built from the schema: "all fields up to version N" and named sets.

A flow log's format cannot be changed after it is created, so choose it before enabling. The
default format (14 version-2 fields) is what AWS uses when no ``LogFormat`` is given. The
fields this kit's questions use most (VPC, subnet, instance, TCP flags, packet-level addresses,
direction, traffic path, AWS service) come with versions 3 to 5.

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
from flowkit.schema import DEFAULT_FORMAT

__all__ = ["DEFAULT_FORMAT", "MAX_FORMAT_VERSION", "NAMED_SETS", "fields_up_to", "log_format"]

#: The highest version ``fields_up_to`` accepts. Fields of versions 9 and later are not confirmed in
#: AWS's published table (see flowkit.schema), and the version-11 tag fields need
#: ``TagFieldSpecifications``; name such fields one by one if you need them.
MAX_FORMAT_VERSION = 8

_SECURITY = (
    *schema.DEFAULT_FIELDS,
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

#: Named field sets, in the order they are written.
NAMED_SETS: dict[str, tuple[str, ...]] = {
    # the 14 version-2 fields AWS uses when no format is given
    "default": schema.DEFAULT_FIELDS,
    # what finding needed and unexpected egress uses: who (VPC, subnet, instance), real packet
    # addresses behind NAT, TCP flags, direction, path and the AWS service at the other end
    "security": _SECURITY,
    # the 29 fields of versions 2-5 in the order of AWS's documented Athena tables
    "athena-v5": tuple(f.name for f in schema.fields_up_to(5)),
    # the ECS task metadata fields (version 7)
    "ecs": tuple(f.name for f in schema.FIELDS.values() if f.version == 7),
}


def fields_up_to(version: int) -> list[str]:
    """The names of all fields of the given version and below, in AWS's table order.

    Args:
        version: a flow-log version from 2 to :data:`MAX_FORMAT_VERSION`.

    Returns:
        Field names (``account-id`` spelling).

    Raises:
        FormatError: if the version is outside 2..MAX_FORMAT_VERSION.
    """
    if isinstance(version, bool) or not isinstance(version, int):
        raise FormatError(
            f"format version must be an integer from 2 to {MAX_FORMAT_VERSION}, not {version!r}."
        )
    if not 2 <= version <= MAX_FORMAT_VERSION:
        raise FormatError(
            f"format version {version} is not supported: use 2 to {MAX_FORMAT_VERSION} (no version 6 fields "
            "exist; fields of versions 9+ are unconfirmed, name them one by one if you need them)."
        )
    return [f.name for f in schema.fields_up_to(version)]


def log_format(*parts: str, version: int | None = None) -> str:
    """Build a ``${field} ...`` log-format string from named sets and field names.

    Args:
        *parts: names from :data:`NAMED_SETS` and/or single field names in any spelling
            (``pkt-srcaddr``, ``pkt_srcaddr``, ``pktSrcAddr``), in the order wanted. Repeats are
            dropped (first place wins).
        version: start with all fields up to this version (see :func:`fields_up_to`).

    Returns:
        The format string to pass as ``log_format`` (``LogFormat`` in CreateFlowLogs).

    Raises:
        FormatError: on an unknown set or field name, or when nothing was asked for.

    Examples:
        >>> log_format("srcaddr", "dstPort")
        '${srcaddr} ${dstport}'
    """
    names: list[str] = list(fields_up_to(version)) if version is not None else []
    for part in parts:
        if part in NAMED_SETS:
            names.extend(NAMED_SETS[part])
        else:
            try:
                names.append(schema.get_field(part).name)
            except FormatError as exc:
                raise FormatError(f"{exc} Named sets: {', '.join(NAMED_SETS)}.") from None
    if not names:
        raise FormatError("log_format() needs a version or at least one set or field name.")
    return schema.format_string(dict.fromkeys(names))
