"""One way to read a point in time: timezone-aware UTC, from a datetime or ISO 8601 text."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_utc(value: datetime | str) -> datetime:
    """A timezone-aware UTC datetime from a datetime (naive means UTC) or ISO 8601 text (``Z`` accepted).

    Raises:
        ValueError: if the text is not ISO 8601; callers turn it into their own error.

    Examples:
        >>> parse_utc("2022-07-16T12:00:00Z").isoformat()
        '2022-07-16T12:00:00+00:00'
        >>> parse_utc("2022-07-16 14:00+02:00").hour
        12
    """
    stamp = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    )
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).astimezone(UTC)


#: A point in time as flowkit's query functions take it: a datetime (naive means UTC), ISO 8601
#: text, or Unix seconds.
TimeLike = datetime | str | int | float
