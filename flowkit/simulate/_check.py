"""A small validation layer for scenario files: typed getters that know their key path.

Every problem raises :class:`~flowkit.errors.ScenarioError` naming the file, the key path
(``enis[3].address``) and what is allowed, so a scenario author can fix it without reading code.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flowkit.errors import ScenarioError

_MISSING = object()


class Checker:
    """Reads values out of a parsed YAML document, checking each against what is allowed.

    Args:
        source: the file name used in error messages.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str, allowed: str | None = None) -> ScenarioError:
        """Build the error for a problem at ``path`` (raise it yourself)."""
        text = f"{self.source}: {path or '<top>'}: {problem}"
        if allowed:
            text += f"; allowed: {allowed}"
        return ScenarioError(text)

    def mapping(
        self, value: Any, path: str, *, required: Iterable[str] = (), optional: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Check that ``value`` is a mapping with the required keys and no unknown ones."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {_kind(value)}")
        required, optional = list(required), list(optional)
        allowed = required + optional
        for key in value:
            if key not in allowed:
                raise self.fail(_join(path, str(key)), "unknown key", ", ".join(allowed))
        for key in required:
            if key not in value:
                raise self.fail(_join(path, key), "required key is missing")
        return dict(value)

    def items(self, value: Any, path: str, *, allow_empty: bool = False) -> list[tuple[str, Any]]:
        """Check that ``value`` is a list (or a single item) and return (path, item) pairs."""
        if value is None:
            value = []
        if not isinstance(value, list):
            value = [value]
        if not value and not allow_empty:
            raise self.fail(path, "expected at least one item")
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]

    def string(self, value: Any, path: str, *, pattern: str | None = None, hint: str | None = None) -> str:
        """A non-empty string, optionally matching a regular expression."""
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
            raise self.fail(path, f"expected a non-empty string, got {_kind(value)}", hint)
        text = str(value)
        if pattern and not re.fullmatch(pattern, text):
            raise self.fail(path, f"{text!r} is not well formed", hint or f"text matching {pattern}")
        return text

    def number(self, value: Any, path: str, *, low: float, high: float, integer: bool = False) -> float:
        """A number in ``[low, high]``."""
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected {kind}, got {_kind(value)}", f"{_num(low)} to {_num(high)}")
        if integer and not float(value).is_integer():
            raise self.fail(path, f"expected {kind}, got {value!r}", f"{_num(low)} to {_num(high)}")
        if not low <= value <= high:
            raise self.fail(path, f"{value!r} is out of range", f"{_num(low)} to {_num(high)}")
        return int(value) if integer else float(value)

    def choice(self, value: Any, path: str, options: Iterable[Any]) -> Any:
        """One of a fixed set of values."""
        options = list(options)
        if value not in options:
            raise self.fail(path, f"{value!r} is not allowed", ", ".join(map(str, options)))
        return value

    def boolean(self, value: Any, path: str) -> bool:
        """``true`` or ``false``."""
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}", "true, false")
        return value

    def ipv4(self, value: Any, path: str) -> ipaddress.IPv4Address:
        """An IPv4 address."""
        try:
            return ipaddress.IPv4Address(str(value))
        except ValueError:
            raise self.fail(
                path, f"{value!r} is not an IPv4 address", "dotted quads like 10.32.0.10"
            ) from None

    def cidr(self, value: Any, path: str) -> ipaddress.IPv4Network:
        """An IPv4 CIDR block with no host bits set."""
        text = str(value)
        if "/" not in text:
            raise self.fail(path, f"{value!r} is not a CIDR block", "a network like 10.32.0.0/16")
        try:
            return ipaddress.IPv4Network(text, strict=True)
        except ValueError as exc:
            raise self.fail(
                path, f"{value!r} is not a valid CIDR block ({exc})", "e.g. 10.32.0.0/16"
            ) from None

    def ports(self, value: Any, path: str) -> tuple[int, int]:
        """A port (``443``), a range (``"1024-65535"``) or ``all``; returns an inclusive range."""
        allowed = "0 to 65535, a range like 1024-65535, or all"
        if value == "all":
            return (0, 65535)
        if isinstance(value, str) and "-" in value:
            low, _, high = value.partition("-")
            if not (low.strip().isdigit() and high.strip().isdigit()):
                raise self.fail(path, f"{value!r} is not a port range", allowed)
            lo, hi = int(low), int(high)
        elif isinstance(value, int) and not isinstance(value, bool):
            lo = hi = value
        else:
            raise self.fail(path, f"{value!r} is not a port", allowed)
        if not (0 <= lo <= 65535 and 0 <= hi <= 65535):
            raise self.fail(path, f"port {value!r} is out of range", allowed)
        if lo > hi:
            raise self.fail(path, f"the range {value!r} runs backwards", allowed)
        return (lo, hi)

    def port_list(self, value: Any, path: str) -> list[int]:
        """A port, a range or a list of those, expanded into a list of ports."""
        if not isinstance(value, list):
            lo, hi = self.ports(value, path)
            return list(range(lo, hi + 1))
        out: list[int] = []
        for item_path, item in self.items(value, path):
            lo, hi = self.ports(item, item_path)
            out.extend(range(lo, hi + 1))
        return out

    def clock(self, value: Any, path: str) -> tuple[int, int]:
        """A daily time window ``"HH:MM-HH:MM"`` as seconds after midnight (end may wrap)."""
        hint = "a daily window like 02:00-02:30 (UTC)"
        match = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", str(value).strip())
        if not match:
            raise self.fail(path, f"{value!r} is not a time window", hint)
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
            raise self.fail(path, f"{value!r} is not a valid time window", hint)
        return (h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
