"""The expected-traffic allowlist: a small YAML file of the patterns an application needs.

Format (every key but ``name`` optional)::

    version: 1
    vpc_cidrs: [10.0.0.0/16]            # what "inside" means for direction
    prefix_lists:                       # managed prefix list id -> its CIDRs (for `prefix_list:`)
      pl-63a5400a: [52.216.0.0/15, 3.5.0.0/19]
    rules:
      - name: app-to-s3
        direction: outbound             # outbound | inbound | internal | any (default)
        source: {eni: eni-0a1b2c3d4e5f60718}
        destination: {aws_service: S3, region: us-east-1}
        protocol: tcp                   # name or number, or a list; default any
        ports: [443]                    # single ports and 'a-b' ranges; default any
        why: the app stores uploads in S3
      - name: internet-noise
        direction: inbound
        source: {cidr: [185.220.0.0/16]}
        destination: {eni: eni-0123456789000000}
        protocol: tcp
        ports: [22, 3389]
        action: reject                  # expected, and expected to be rejected: known noise
        why: scanners probe the legacy web server all day; the security group drops them

Source and destination take ``eni``, ``subnet``, ``instance``, ``tag`` (``"Role=web"``), ``cidr``,
``aws_service`` (with optional ``region``) and ``prefix_list``; each value may be a list (any of them).
Several keys in one endpoint must all hold. The source is the *client* of a connection (who opened it)
and ``ports`` are the server's ports, so one rule explains both the request and the response records,
the way a stateful security group does. ``action: reject`` marks traffic that is expected but denied
(the internet's background scans, a blocked NTP query): it explains only rejected records and never
becomes a permission in :mod:`flowkit.rules`.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

from flowkit.enrich.protocols import protocol_name, protocol_number
from flowkit.errors import AllowlistError, FlowkitError
from flowkit.frames import with_flowkit_dtypes
from flowkit.limits import MAX_YAML_BYTES, load_yaml

_logger = logging.getLogger(__name__)

DIRECTION_ALIASES = {
    "outbound": "outbound",
    "egress": "outbound",
    "inbound": "inbound",
    "ingress": "inbound",
    "internal": "internal",
    "any": "any",
    "external": "external",
}
ENDPOINT_KEYS = ("eni", "subnet", "instance", "tag", "cidr", "aws_service", "region", "prefix_list")
RULE_KEYS = (
    "name",
    "direction",
    "source",
    "destination",
    "protocol",
    "ports",
    "action",
    "why",
    "comment",
    "review",
)
ACTIONS = ("any", "accept", "reject")
TOP_KEYS = ("version", "vpc_cidrs", "prefix_lists", "rules")
_ANY_CIDRS = {"0.0.0.0/0", "::/0"}


class AllowlistWarning(UserWarning):
    """An allowlist rule is valid but probably not what was meant (e.g. it matches all traffic)."""


@dataclass(frozen=True)
class Endpoint:
    """One side of a rule. Empty means any."""

    eni: tuple[str, ...] = ()
    subnet: tuple[str, ...] = ()
    instance: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    cidr: tuple[str, ...] = ()
    aws_service: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    prefix_list: tuple[str, ...] = ()

    def is_any(self) -> bool:
        """True when the endpoint does not restrict anything (no keys, or only 0.0.0.0/0 and ::/0)."""
        others = [getattr(self, k) for k in ENDPOINT_KEYS if k != "cidr"]
        return not any(others) and (not self.cidr or set(self.cidr) <= _ANY_CIDRS)

    def to_dict(self) -> dict[str, Any]:
        """YAML-ready mapping: single values as scalars, several as lists."""
        return {k: (v[0] if len(v) == 1 else list(v)) for k in ENDPOINT_KEYS if (v := getattr(self, k))}


@dataclass(frozen=True)
class Rule:
    """One expected-traffic pattern.

    Attributes:
        protocols: protocol numbers; empty means any.
        ports: inclusive (low, high) server port ranges; empty means any.
    """

    name: str
    direction: str = "any"
    source: Endpoint = field(default_factory=Endpoint)
    destination: Endpoint = field(default_factory=Endpoint)
    protocols: tuple[int, ...] = ()
    ports: tuple[tuple[int, int], ...] = ()
    action: str = "any"
    why: str = ""
    review: str = ""

    def matches_everything(self) -> bool:
        """True when the rule allows any traffic at all."""
        return (
            self.direction == "any"
            and self.source.is_any()
            and self.destination.is_any()
            and not self.protocols
            and not self.ports
        )

    def to_dict(self) -> dict[str, Any]:
        """YAML-ready mapping in the file format."""
        out: dict[str, Any] = {"name": self.name, "direction": self.direction}
        if not self.source.is_any() or self.source.cidr:
            out["source"] = self.source.to_dict()
        if not self.destination.is_any() or self.destination.cidr:
            out["destination"] = self.destination.to_dict()
        if self.protocols:
            names = [(protocol_name(p) or str(p)).lower() for p in self.protocols]
            out["protocol"] = names[0] if len(names) == 1 else names
        if self.ports:
            out["ports"] = [lo if lo == hi else f"{lo}-{hi}" for lo, hi in self.ports]
        if self.action != "any":
            out["action"] = self.action
        if self.why:
            out["why"] = self.why
        if self.review:
            out["review"] = self.review
        return out


@dataclass
class Allowlist:
    """A set of expected-traffic rules, with what "inside the VPC" means and any prefix lists."""

    rules: list[Rule]
    vpc_cidrs: list[str] = field(default_factory=list)
    prefix_lists: dict[str, list[str]] = field(default_factory=dict)
    source: str = "<allowlist>"

    def to_dict(self) -> dict[str, Any]:
        """The file format as a mapping."""
        out: dict[str, Any] = {"version": 1}
        if self.vpc_cidrs:
            out["vpc_cidrs"] = list(self.vpc_cidrs)
        if self.prefix_lists:
            out["prefix_lists"] = {k: list(v) for k, v in self.prefix_lists.items()}
        out["rules"] = [rule.to_dict() for rule in self.rules]
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per rule, for reading in a notebook: name, direction, source, destination, protocol,
        ports, action, why, review."""
        rows = []
        for rule in self.rules:
            data = rule.to_dict()
            rows.append(
                {
                    "name": rule.name,
                    "direction": rule.direction,
                    "source": _endpoint_text(rule.source),
                    "destination": _endpoint_text(rule.destination),
                    "protocol": data.get("protocol", "any"),
                    "ports": ",".join(str(p) for p in data.get("ports", [])) or "any",
                    "action": rule.action,
                    "why": rule.why,
                    "review": rule.review,
                }
            )
        columns = [key for key in RULE_KEYS if key != "comment"]
        return with_flowkit_dtypes(pd.DataFrame(rows, columns=columns))

    def to_yaml(self) -> str:
        """The allowlist as YAML text, in the documented file format."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None, width=110)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_yaml` to ``path``, atomically: the file is whole, or as it was before."""
        from flowkit.outputs import write_text

        header = f"# flowkit allowlist ({len(self.rules)} rules): review every rule before use\n"
        write_text(path, header + self.to_yaml())

    def rule(self, name: str) -> Rule:
        """The rule called ``name``."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise AllowlistError(f"{self.source}: no rule named {name!r}")


def _endpoint_text(endpoint: Endpoint) -> str:
    if endpoint.is_any() and not endpoint.cidr:
        return "any"
    return "; ".join(f"{k}={','.join(v)}" for k in ENDPOINT_KEYS if (v := getattr(endpoint, k)))


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _unknown(where: str, key: str, allowed: tuple[str, ...]) -> AllowlistError:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; allowed: {', '.join(allowed)}"
    return AllowlistError(f"{where}: unknown key {key!r}{hint}")


def _endpoint(value: Any, where: str) -> Endpoint:
    if value is None or value == "any":
        return Endpoint()
    if not isinstance(value, Mapping):
        raise AllowlistError(f"{where}: expected a mapping such as {{cidr: 10.0.0.0/16}}, got {value!r}")
    parts: dict[str, tuple[str, ...]] = {}
    for key, raw in value.items():
        if key not in ENDPOINT_KEYS:
            raise _unknown(where, key, ENDPOINT_KEYS)
        items = _listify(raw)
        if key == "tag":
            items = [tag for item in items for tag in _tags(item, where)]
        if key == "cidr":
            items = [_cidr(item, where) for item in items]
        if key == "aws_service":
            items = [str(item).upper() for item in items]
        parts[key] = tuple(str(item) for item in items)
    if parts.get("region") and not parts.get("aws_service"):
        raise AllowlistError(f"{where}: 'region' needs 'aws_service' beside it")
    return Endpoint(**parts)


def _tags(item: Any, where: str) -> list[str]:
    if isinstance(item, Mapping):
        return [f"{k}={v}" for k, v in item.items()]
    if "=" in str(item):
        return [str(item).strip()]
    raise AllowlistError(f"{where}: tag must be 'Key=Value' or {{Key: Value}}, got {item!r}")


def _cidr(value: Any, where: str) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=True))
    except ValueError as exc:
        raise AllowlistError(f"{where}: invalid CIDR {value!r} ({exc})") from None


def _ports(value: Any, where: str) -> tuple[tuple[int, int], ...]:
    out = []
    for item in _listify(value):
        text = str(item).strip()
        if text in ("any", "all"):
            return ()
        low, _, high = text.partition("-")
        try:
            lo, hi = int(low), int(high or low)
        except ValueError:
            raise AllowlistError(f"{where}: port {item!r} is not a number or 'low-high' range") from None
        if not (0 <= lo <= 65535 and 0 <= hi <= 65535):
            raise AllowlistError(f"{where}: port {item!r} is outside 0-65535")
        if lo > hi:
            raise AllowlistError(f"{where}: port range {item!r} is the wrong way round (write '{hi}-{lo}')")
        out.append((lo, hi))
    return tuple(sorted(set(out)))


def parse_rule(raw: Any, where: str) -> Rule:
    """Check one rule mapping and build a :class:`Rule`."""
    if not isinstance(raw, Mapping):
        raise AllowlistError(f"{where}: a rule must be a mapping with at least 'name', got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise AllowlistError(f"{where}: every rule needs a 'name'")
    where = f"{where} ({name!r})"
    for key in raw:
        if key not in RULE_KEYS:
            raise _unknown(where, key, RULE_KEYS)
    direction = str(raw.get("direction", "any")).lower()
    if direction not in DIRECTION_ALIASES:
        raise AllowlistError(
            f"{where}: direction {raw.get('direction')!r} is not one of "
            "outbound/egress, inbound/ingress, internal, any"
        )
    try:
        protocols = tuple(sorted({protocol_number(p) for p in _listify(raw.get("protocol"))} - {-1}))
        if -1 in {protocol_number(p) for p in _listify(raw.get("protocol"))}:
            protocols = ()
    except FlowkitError as exc:
        raise AllowlistError(f"{where}: {exc}") from None
    ports = _ports(raw.get("ports"), where)
    action = str(raw.get("action", "any")).lower()
    if action not in ACTIONS:
        raise AllowlistError(f"{where}: action {raw.get('action')!r} is not one of {', '.join(ACTIONS)}")
    if ports and protocols and not set(protocols) & {6, 17, 132}:
        raise AllowlistError(f"{where}: ports only apply to tcp, udp and sctp, not {raw.get('protocol')!r}")
    return Rule(
        name=name.strip(),
        direction=DIRECTION_ALIASES[direction],
        source=_endpoint(raw.get("source"), f"{where} source"),
        destination=_endpoint(raw.get("destination"), f"{where} destination"),
        protocols=protocols,
        ports=ports,
        action=action,
        why=str(raw.get("why") or raw.get("comment") or ""),
        review=str(raw.get("review") or ""),
    )


def parse_allowlist(document: Any, *, source: str = "<allowlist>", strict: bool = False) -> Allowlist:
    """Check a decoded allowlist document and build an :class:`Allowlist`.

    Args:
        document: the decoded YAML (a mapping with ``rules``, or a bare list of rules).
        source: the file name, used in messages.
        strict: raise instead of warning about a rule that matches all traffic.

    Raises:
        AllowlistError: unknown key, invalid CIDR, bad port or protocol, duplicate rule name, ...; the
            message names the file and rule.
    """
    if isinstance(document, list):
        document = {"rules": document}
    if not isinstance(document, Mapping):
        raise AllowlistError(f"{source}: expected a mapping with 'rules', got {type(document).__name__}")
    for key in document:
        if key not in TOP_KEYS:
            raise _unknown(source, key, TOP_KEYS)
    if not isinstance(document.get("rules"), list):
        raise AllowlistError(f"{source}: 'rules' must be a list of rules")
    vpc_cidrs = [_cidr(c, f"{source} vpc_cidrs") for c in _listify(document.get("vpc_cidrs"))]
    prefix_lists: dict[str, list[str]] = {}
    if not isinstance(document.get("prefix_lists") or {}, Mapping):
        raise AllowlistError(f"{source}: 'prefix_lists' must map a prefix list id to its CIDRs")
    for pl, cidrs in (document.get("prefix_lists") or {}).items():
        prefix_lists[str(pl)] = [_cidr(c, f"{source} prefix_lists {pl}") for c in _listify(cidrs)]
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(document["rules"]):
        rule = parse_rule(raw, f"{source} rule {i + 1}")
        if rule.name in seen:
            raise AllowlistError(f"{source} rule {i + 1}: duplicate rule name {rule.name!r}")
        seen.add(rule.name)
        for pl in rule.source.prefix_list + rule.destination.prefix_list:
            if pl not in prefix_lists:
                raise AllowlistError(
                    f"{source} rule {i + 1} ({rule.name!r}): prefix list {pl!r} is not defined"
                    " under 'prefix_lists'"
                )
        if rule.matches_everything():
            message = (
                f"{source} rule {i + 1} ({rule.name!r}) matches all traffic: it explains everything, "
                "so nothing can be unexpected; narrow its source, destination, protocol or ports"
            )
            if strict:
                raise AllowlistError(message)
            warnings.warn(message, AllowlistWarning, stacklevel=2)
        rules.append(rule)
    return Allowlist(rules, vpc_cidrs, prefix_lists, source)


def load_allowlist(
    source: str | os.PathLike[str] | Mapping[str, Any] | Allowlist, *, strict: bool = False
) -> Allowlist:
    """Load an allowlist from a YAML file (or a decoded mapping), checking every rule.

    Raises:
        AllowlistError: the file is missing, is not YAML, or a rule is invalid (see :func:`parse_allowlist`).
    """
    if isinstance(source, Allowlist):
        return source
    if isinstance(source, Mapping):
        return parse_allowlist(source, strict=strict)
    if not isinstance(source, str | os.PathLike):
        raise AllowlistError(f"an allowlist is a YAML file path, a mapping or an Allowlist, not {source!r}")
    path = os.fspath(source)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_YAML_BYTES + 1)
        document = load_yaml(text, where=path, error=AllowlistError, loader=yaml.SafeLoader)
    except OSError as exc:
        raise AllowlistError(f"{path}: cannot read the allowlist ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise AllowlistError(f"{path}: not an allowlist YAML file (it is not UTF-8 text)") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise AllowlistError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    return parse_allowlist(document, source=path, strict=strict)
