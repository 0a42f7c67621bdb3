"""Scenario files: a described VPC and application, loaded and checked into dataclasses.

A scenario is YAML data: the VPC, its subnets, network interfaces, security groups and network
ACLs, the outside networks it talks to, the traffic the application is expected to make
(``traffic``) and the traffic an investigator should find (``anomalies``). The built-in scenarios
live beside this module in ``scenarios/`` (``workshop.yaml`` is commented). The keys:

- top level: ``name``, ``account`` (12 digits, quoted), ``region``, ``flow_log_id``, ``start`` (ISO
  date-time), ``vpc`` (``id``, ``cidr``, ``secondary_cidrs``), ``subnets``, ``enis``, ``traffic``;
  optional ``description``, ``aggregation_interval`` (60 or 600), ``log_format`` (``default``,
  ``v2``..``v11``, a named set such as ``security``, or a ``${field}`` string: see
  :func:`flowkit.schema.resolve_log_format`), ``security_groups``, ``nacls``, ``networks``,
  ``anomalies``, ``skipdata`` (``enis``, ``per_day``), ``notes``, ``drift`` (how the environment
  changes from day 2 on: volume, rotating and moved addresses, later traffic; see
  :mod:`flowkit.simulate.drift`).
- ``subnets[]``: ``name``, ``id``, ``cidr`` (inside the VPC), ``az_id``, ``public``, ``nacl``.
- ``enis[]``: ``name``, ``id``, ``kind`` (instance, nat-gateway, load-balancer, vpc-endpoint,
  ecs-task, rds), ``subnet``, ``address`` (inside the subnet, not AWS-reserved), ``instance_id``,
  ``security_group``, ``public_ip``, ``account`` (e.g. ``unknown`` for AWS-owned ENIs), ``ecs``
  (``cluster``, ``service``, ``task_id``, ``task_definition``, ``containers``, ``launch_type``).
- ``security_groups.<name>``: ``id``, ``inbound``/``outbound`` rules of ``protocol`` (tcp, udp,
  icmp, all or a number), ``ports`` (443, "1024-65535" or all) and ``cidr`` (one or a list) or
  ``group`` (the ENIs of another group).
- ``nacls.<name>``: ``id``, ``inbound``/``outbound`` entries with ``rule`` (1-32766), ``action``
  (allow or deny), ``protocol``, ``ports``, ``cidr``; no match means deny.
- ``networks.<name>``: ``addresses`` and/or ``cidrs`` with a ``pool`` size (addresses drawn per
  seed), ``path`` (internet, peering, gateway-endpoint), ``aws_service`` (S3, AMAZON, ...).
- ``traffic[]`` and ``anomalies[]``: ``name``, ``from`` and ``to`` (ENI or network names; one end
  must be an ENI), ``protocol``, ``port`` (a port, a range or a list), ``rate`` (connections per
  hour at the rhythm's peak) or ``every`` (seconds, per source), ``rhythm`` (flat, daily,
  office-hours), ``window`` ("HH:MM-HH:MM" UTC, daily), ``duration`` (median seconds),
  ``bytes_out``/``bytes_in`` (median bytes), ``spread`` (log-normal sigma), ``close`` (fin or rst).

Mistakes raise :class:`~flowkit.errors.ScenarioError` naming the file, the key path and what is
allowed, e.g. ``workshop.yaml: enis[3].address: 10.32.9.9 is outside its subnet 'public-b'
(10.32.2.0/24); allowed: an address in 10.32.2.0/24``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from flowkit.errors import ScenarioError
from flowkit.limits import MAX_YAML_BYTES, load_yaml
from flowkit.simulate.drift import Drift

SCENARIO_DIR = Path(__file__).with_name("scenarios")

ENI_KINDS = ("instance", "nat-gateway", "load-balancer", "vpc-endpoint", "ecs-task", "rds")
PATHS = ("internet", "peering", "gateway-endpoint")
RHYTHMS = ("flat", "daily", "office-hours")
PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17, "all": -1}
_HEX_ID = r"[0-9a-f]{8,17}"


@dataclass(frozen=True)
class Subnet:
    name: str
    id: str
    cidr: ipaddress.IPv4Network
    az_id: str
    public: bool
    nacl: str | None


@dataclass(frozen=True)
class Rule:
    """A security-group rule (allow) or network-ACL entry (allow or deny)."""

    where: str  # e.g. "security group 'db' outbound rule 1", used to explain a REJECT
    protocol: int  # -1 = all
    ports: tuple[int, int]
    networks: tuple[ipaddress.IPv4Network, ...]
    allow: bool = True
    number: int = 0


@dataclass(frozen=True)
class SecurityGroup:
    name: str
    id: str
    inbound: tuple[Rule, ...]
    outbound: tuple[Rule, ...]


@dataclass(frozen=True)
class Nacl:
    name: str
    id: str
    inbound: tuple[Rule, ...]
    outbound: tuple[Rule, ...]


@dataclass(frozen=True)
class Eni:
    index: int
    name: str
    id: str
    kind: str
    subnet: Subnet
    address: ipaddress.IPv4Address
    instance_id: str | None
    security_group: str | None
    public: bool
    account: str | None
    ecs: dict[str, Any] | None = None


@dataclass(frozen=True)
class Network:
    """Addresses outside the VPC: a fixed list, or a pool drawn from CIDR blocks per seed."""

    name: str
    path: str
    addresses: tuple[ipaddress.IPv4Address, ...]
    cidrs: tuple[ipaddress.IPv4Network, ...]
    pool: int
    aws_service: str | None


@dataclass(frozen=True)
class Endpoint:
    """One end of a traffic pattern: an ENI of the scenario or an outside network."""

    eni: Eni | None = None
    network: Network | None = None

    @property
    def name(self) -> str:
        return self.eni.name if self.eni else self.network.name  # type: ignore[union-attr]


@dataclass(frozen=True)
class Pattern:
    """A kind of connection: who talks to whom, on what port, how often and how much."""

    name: str
    label: str
    sources: tuple[Endpoint, ...]
    targets: tuple[Endpoint, ...]
    protocol: int
    ports: tuple[int, ...]
    rate: float | None  # connections per hour at the rhythm's peak
    every: float | None  # or one connection per source every N seconds
    rhythm: str
    window: tuple[int, int] | None
    duration: float
    bytes_out: float
    bytes_in: float
    spread: float
    close: str
    anomaly: bool
    starts: float | None = None  # epoch seconds before which it makes no traffic (drift: a later deploy)
    seasonal: bool = False  # follows the drift's weekly volume and trend (the users' daily traffic)
    note: str = ""  # the entry's description


@dataclass(frozen=True)
class Scenario:
    """A loaded, checked scenario (see the module docstring)."""

    name: str
    source: str
    description: str
    account: str
    region: str
    flow_log_id: str
    start: datetime
    aggregation_interval: int
    log_format: str
    vpc_id: str
    vpc_cidrs: tuple[ipaddress.IPv4Network, ...]
    subnets: dict[str, Subnet]
    security_groups: dict[str, SecurityGroup]
    nacls: dict[str, Nacl]
    enis: tuple[Eni, ...]
    networks: dict[str, Network]
    patterns: tuple[Pattern, ...]
    skipdata_enis: tuple[int, ...] = ()
    skipdata_per_day: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    drift: Drift = field(default_factory=Drift)

    def eni(self, name_or_id: str) -> Eni:
        """The ENI with this name or ID."""
        for eni in self.enis:
            if name_or_id in (eni.name, eni.id):
                return eni
        raise KeyError(name_or_id)


def list_scenarios() -> list[str]:
    """The names of the built-in scenarios."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(scenario: str | Path | Scenario) -> Scenario:
    """Load and check a scenario: a built-in name (``"workshop"``) or a path to a YAML file.

    Raises:
        ScenarioError: naming the file, the key path and what is allowed.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if not isinstance(scenario, str | os.PathLike):
        raise ScenarioError(f"a scenario is a built-in name or a YAML file path, not {scenario!r}.")
    path = Path(scenario)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{scenario}.yaml"
        if not path.exists():
            raise ScenarioError(
                f"no built-in scenario {str(scenario)!r}; choose one of {', '.join(list_scenarios())} "
                "or pass the path of a YAML scenario file."
            )
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not a YAML scenario file (it is not UTF-8 text).") from exc
    try:
        document = load_yaml(text, where=str(path), error=ScenarioError)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({' '.join(str(exc).split())}).") from exc
    if isinstance(document, dict) and document.get("kind") == "transit":
        raise ScenarioError(
            f"{path}: a transit gateway scenario (kind: transit), not a VPC one: run it with "
            "flowkit.simulate(...) or load it with flowkit.simulate.transit.load_transit."
        )
    return parse_scenario(document, source=str(path))


def parse_scenario(document: Any, *, source: str = "<scenario>") -> Scenario:
    """Check a parsed YAML document and build the :class:`Scenario` (see :mod:`._parse`)."""
    from flowkit.simulate._parse import parse_document

    return parse_document(document, source=source)
