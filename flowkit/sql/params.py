"""Typed query parameters: validate a value before it is bound into a query.

Every catalogue parameter has a type; :func:`validate` checks a value against it and returns the
Python value that gets bound (an ``int`` or a ``str``). Values are bound as literals through
sqlglot (or the Insights engine's own quoting), never pasted into query text, and the validators
refuse anything that is not plainly a value of the type, so a hostile value such as
``' OR 1=1 --`` raises :class:`~flowkit.errors.ParameterError` before any engine sees it.

Examples:
    >>> validate("port", "443")
    443
    >>> validate("protocol", "tcp")
    6
    >>> validate("cidr", "10.32.0.0/16")
    '10.32.0.0/16'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flowkit.errors import ParameterError
from flowkit.timeutil import parse_utc

#: Protocol names accepted by the ``protocol`` type, as IANA numbers.
PROTOCOL_NUMBERS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "icmpv6": 58, "sctp": 132}

_ENI = re.compile(r"eni-[0-9a-f]{8,17}")
_INSTANCE = re.compile(r"i-[0-9a-f]{8,17}")
_AWS_ID = re.compile(r"(vpc|subnet|fl|nat|tgw|igw|vpce)-[0-9a-f]{8,17}")
_ADDRESS_PREFIX = re.compile(r"[0-9a-fA-F:.]{1,45}")
_SAFE_STRING = re.compile(r"[A-Za-z0-9_.:/@+=,%*\-]{1,256}")
_MAX_LIMIT = 1_000_000


def _text(value: Any, kind: str) -> str:
    if isinstance(value, bool) or value is None:
        raise ParameterError(f"expected {kind}, got {value!r}.")
    return str(value).strip()


def eni_id(value: Any) -> str:
    """A network interface ID, ``eni-`` and 8 to 17 lowercase hex digits."""
    text = _text(value, "an ENI id")
    if not _ENI.fullmatch(text):
        raise ParameterError(
            f"{value!r} is not a network interface id: write it like 'eni-0a1b2c3d4e5f67890'."
        )
    return text


def instance_id(value: Any) -> str:
    """An EC2 instance ID, ``i-`` and 8 to 17 lowercase hex digits."""
    text = _text(value, "an instance id")
    if not _INSTANCE.fullmatch(text):
        raise ParameterError(f"{value!r} is not an instance id: write it like 'i-0a1b2c3d4e5f67890'.")
    return text


def aws_id(value: Any) -> str:
    """A VPC, subnet, flow-log, NAT/transit/internet gateway or endpoint ID (``vpc-0a1b...``)."""
    text = _text(value, "an AWS resource id")
    if not _AWS_ID.fullmatch(text):
        raise ParameterError(f"{value!r} is not an AWS resource id: write it like 'vpc-0a1b2c3d'.")
    return text


def ip(value: Any) -> str:
    """An IPv4 or IPv6 address, returned in its compressed canonical form."""
    text = _text(value, "an IP address")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ParameterError(f"{value!r} is not an IPv4 or IPv6 address, e.g. '10.32.0.10'.") from None


def cidr(value: Any) -> str:
    """An IPv4/IPv6 network in CIDR notation; host bits cleared (``10.32.1.0/16`` -> ``10.32.0.0/16``)."""
    text = _text(value, "a CIDR block")
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ParameterError(f"{value!r} is not a CIDR block, e.g. '10.32.0.0/16'.") from None


def address_prefix(value: Any) -> str:
    """The leading part of an address, for the guide's ``LIKE '10.32%'`` filters (digits, dots, colons)."""
    text = _text(value, "an address prefix")
    if not _ADDRESS_PREFIX.fullmatch(text):
        raise ParameterError(
            f"{value!r} is not an address prefix: use digits, dots and colons, e.g. '10.32'."
        )
    return text


def port(value: Any) -> int:
    """A port number, 0 to 65535."""
    number = integer(value)
    if not 0 <= number <= 65535:
        raise ParameterError(f"port {number} is out of range: ports are 0 to 65535.")
    return number


def protocol(value: Any) -> int:
    """An IANA protocol number 0-255, or a name: tcp, udp, icmp, icmpv6, ..."""
    text = _text(value, "a protocol")
    if text.lower() in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[text.lower()]
    try:
        number = integer(text)
    except ParameterError:
        names = ", ".join(PROTOCOL_NUMBERS)
        raise ParameterError(f"{value!r} is not a protocol: give a number 0-255 or one of {names}.") from None
    if not 0 <= number <= 255:
        raise ParameterError(f"protocol {number} is out of range: IANA protocol numbers are 0 to 255.")
    return number


def action(value: Any) -> str:
    """``ACCEPT`` or ``REJECT`` (any case)."""
    text = _text(value, "an action").upper()
    if text not in ("ACCEPT", "REJECT"):
        raise ParameterError(f"{value!r} is not an action: use ACCEPT or REJECT.")
    return text


def timestamp(value: Any) -> int:
    """A point in time as Unix seconds: an integer, a datetime/date, or ISO 8601 text (UTC if no zone)."""
    if isinstance(value, datetime):
        return int(parse_utc(value).timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    text = _text(value, "a timestamp")
    if re.fullmatch(r"\d{1,12}", text):
        return int(text)
    try:
        return int(parse_utc(text).timestamp())
    except ValueError:
        raise ParameterError(
            f"{value!r} is not a timestamp: give Unix seconds or ISO 8601 such as '2022-07-16T12:00:00Z'."
        ) from None


def day(value: Any) -> str:
    """A calendar day, returned as ``YYYY-MM-DD`` (accepts ``YYYY/MM/DD`` too, and date objects)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = _text(value, "a day").replace("/", "-")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ParameterError(f"{value!r} is not a day: write it like '2022-07-16'.") from None


def integer(value: Any) -> int:
    """Any whole number."""
    if isinstance(value, bool):
        raise ParameterError(f"expected a whole number, got {value!r}.")
    if isinstance(value, int):
        return value
    text = _text(value, "a whole number")
    if not re.fullmatch(r"[+-]?\d{1,18}", text):
        raise ParameterError(f"{value!r} is not a whole number.")
    return int(text)


def limit(value: Any) -> int:
    """A row limit, 1 to 1,000,000."""
    number = integer(value)
    if not 1 <= number <= _MAX_LIMIT:
        raise ParameterError(f"limit {number} is out of range: use 1 to {_MAX_LIMIT:,}.")
    return number


def string(value: Any) -> str:
    """Plain text of letters, digits and ``_ . : / @ + = , % * -`` (no quotes, spaces or semicolons)."""
    text = _text(value, "text")
    if not _SAFE_STRING.fullmatch(text):
        raise ParameterError(
            f"{value!r} is not allowed as a text parameter: use letters, digits and "
            "_ . : / @ + = , % * - only "
            "(no quotes, spaces or semicolons)."
        )
    return text


#: Parameter type name -> validator. ``int`` is an alias of ``integer``.
VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "eni_id": eni_id,
    "instance_id": instance_id,
    "aws_id": aws_id,
    "ip": ip,
    "cidr": cidr,
    "address_prefix": address_prefix,
    "port": port,
    "protocol": protocol,
    "action": action,
    "timestamp": timestamp,
    "day": day,
    "limit": limit,
    "int": integer,
    "integer": integer,
    "string": string,
}


def validate(kind: str, value: Any, *, name: str | None = None) -> Any:
    """Check ``value`` against the parameter type ``kind`` and return the value to bind.

    Args:
        kind: a key of :data:`VALIDATORS` (``eni_id``, ``ip``, ``port``, ...).
        value: the raw value (text from the command line, or a Python value).
        name: the parameter's name, used in the error message.

    Raises:
        ParameterError: if the type is unknown or the value fails the check.
    """
    try:
        check = VALIDATORS[kind]
    except KeyError:
        raise ParameterError(
            f"unknown parameter type {kind!r}; known types: {', '.join(sorted(VALIDATORS))}."
        ) from None
    try:
        return check(value)
    except ParameterError as exc:
        if name:
            raise ParameterError(f"parameter {name!r}: {exc}") from None
        raise
