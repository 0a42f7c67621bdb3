"""The log-format vocabulary: every spelling of a format flowkit accepts, turned into fields.

:func:`resolve_log_format` turns ``"v5"``, ``"default"``, a named set such as ``"security"``, a
``${field} ...`` string, field names or a list of fields into a list of :class:`Field`, so every
``log_format=`` and ``--log-format`` takes the same ones. :data:`MAX_FORMAT_VERSION` caps "all
fields up to version N" for formats sent to AWS.

Examples:
    >>> [f.name for f in parse_log_format("${srcaddr} ${dstport}")]
    ['srcaddr', 'dstport']
    >>> resolve_log_format("security") == resolve_log_format(list(NAMED_SETS["security"]))
    True
"""

from __future__ import annotations

import difflib
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from flowkit.errors import FormatError
from flowkit.schema.fields import (
    BY_COLUMN,
    BY_INSIGHTS,
    DEFAULT_FIELDS,
    FIELDS,
    LATEST_VERSION,
    TGW_DEFAULT_FIELDS,
    Field,
    _unknown_field,
    get_field,
)

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
    "athena-v5": tuple(f.name for f in FIELDS.values() if f.version <= 5 and "vpc" in f.resources),
    # the ECS task metadata fields (version 7)
    "ecs": tuple(f.name for f in FIELDS.values() if f.version == 7),
    # transit gateway flow logs: the 36 fields of their default format, in AWS's order
    "transit-gateway": TGW_DEFAULT_FIELDS,
    "tgw": TGW_DEFAULT_FIELDS,
}

#: What every ``log_format=`` in flowkit takes (see :func:`resolve_log_format`): a version or set
#: name, a ``${field} ...`` string, field names separated by spaces, or a list of field names or
#: :class:`Field` objects.
LogFormatSpec = str | Sequence[str | Field]

_TOKEN = re.compile(r"\$\{([^}$\s]*)\}")
_VERSION_NAME = re.compile(r"v(\d+)", re.IGNORECASE)


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
    """All known VPC flow-log fields of the given version and below, in table order (AWS's "all
    fields up to N").

    Args:
        version: a flow-log version from 2 to ``max_version`` (version 6 is the transit gateway
            fields, which VPC flow logs do not have: 6 gives the fields of 5; the transit gateway
            default is the named set ``"transit-gateway"``).
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
    return [f for f in FIELDS.values() if f.version <= version and "vpc" in f.resources]


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
    * a named set of :data:`NAMED_SETS`: ``"security"``, ``"athena-v5"``, ``"ecs"``,
      ``"transit-gateway"`` (or ``"tgw"``: the 36-field default of transit gateway flow logs);
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
        flowkit.errors.FormatError: unknown log format or field 'secuirty'. Did you mean 'security'? A log format is default, v2 to v11, a named set (security, athena-v5, ecs, transit-gateway, tgw), a '${field} ...' string, or field names.
    """
    if spec is None:
        spec = "default"
    if isinstance(spec, Field):
        spec = [spec]
    if not isinstance(spec, str):
        if isinstance(spec, Mapping | bytes) or not isinstance(spec, Iterable):
            raise FormatError(
                f"a log format is a name, a '${{field}} ...' string or a list of fields, not {spec!r}."
            )
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
