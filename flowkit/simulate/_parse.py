"""Checking a scenario document and building the :class:`~flowkit.simulate.scenario.Scenario`.

Every check names the file, the key path (``enis[3].address``) and what is allowed.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from flowkit.simulate._check import Checker
from flowkit.simulate.drift import Drift, parse_drift, starts_at
from flowkit.simulate.scenario import (
    _HEX_ID,
    ENI_KINDS,
    PATHS,
    PROTOCOLS,
    RHYTHMS,
    Endpoint,
    Eni,
    Nacl,
    Network,
    Pattern,
    Rule,
    Scenario,
    SecurityGroup,
    Subnet,
)
from flowkit.timeutil import parse_utc


def parse_document(document: Any, *, source: str = "<scenario>") -> Scenario:
    """Check a parsed YAML document and build the :class:`Scenario`."""
    c = Checker(source)
    top = c.mapping(
        document,
        "",
        required=("name", "account", "region", "flow_log_id", "start", "vpc", "subnets", "enis", "traffic"),
        optional=(
            "description", "aggregation_interval", "log_format", "security_groups", "nacls",
            "networks", "anomalies", "skipdata", "notes", "drift",
        ),
    )  # fmt: skip
    vpc = c.mapping(top["vpc"], "vpc", required=("id", "cidr"), optional=("secondary_cidrs",))
    vpc_cidrs = (
        c.cidr(vpc["cidr"], "vpc.cidr"),
        *tuple(
            c.cidr(v, p)
            for p, v in c.items(vpc.get("secondary_cidrs"), "vpc.secondary_cidrs", allow_empty=True)
        ),
    )
    subnets = _subnets(c, top["subnets"], vpc_cidrs)
    enis = _enis(c, top["enis"], subnets)
    groups = _security_groups(c, top.get("security_groups") or {}, enis)
    nacls = _nacls(c, top.get("nacls") or {})
    for eni in enis:
        if eni.security_group and eni.security_group not in groups:
            raise c.fail(f"enis[{eni.index}].security_group", f"no security group {eni.security_group!r}",
                         ", ".join(groups) or "define it under security_groups")  # fmt: skip
    for name, subnet in subnets.items():
        if subnet.nacl and subnet.nacl not in nacls:
            raise c.fail(
                f"subnets[{name}].nacl", f"no network ACL {subnet.nacl!r}", ", ".join(nacls) or "none"
            )
    networks = _networks(c, top.get("networks") or {})
    endpoints: dict[str, Endpoint] = {e.name: Endpoint(eni=e) for e in enis}
    for name, net in networks.items():
        if name in endpoints:
            raise c.fail(f"networks.{name}", "the name is already used by an ENI", "a unique name")
        endpoints[name] = Endpoint(network=net)
    patterns = [_pattern(c, v, p, endpoints, False) for p, v in c.items(top["traffic"], "traffic")]
    patterns += [
        _pattern(c, v, p, endpoints, True)
        for p, v in c.items(top.get("anomalies"), "anomalies", allow_empty=True)
    ]
    start = _start(c, top["start"])
    drift = Drift()
    if top.get("drift") is not None:
        drift = parse_drift(c, top["drift"], start=start, networks=networks, parse_networks=_networks)
        later = dict(endpoints) | {name: Endpoint(network=net) for name, net in drift.networks.items()}
        for key, anomaly in (("traffic", False), ("anomalies", True)):
            for p, v in c.items(top["drift"].get(key), f"drift.{key}", allow_empty=True):
                starts = starts_at(c, v if isinstance(v, dict) else {}, p, drift.origin)
                patterns.append(_pattern(c, v, p, later, anomaly, starts=starts))
    if len({p.label for p in patterns}) != len(patterns):
        raise c.fail("traffic", "two patterns share a name", "a unique name per traffic or anomaly entry")
    if not any(e.kind == "nat-gateway" for e in enis) and any(_needs_nat(p) for p in patterns):
        raise c.fail("enis", "private ENIs reach the internet but the scenario has no nat-gateway ENI",
                     "add an ENI with kind: nat-gateway in a public subnet")  # fmt: skip
    skip = c.mapping(top.get("skipdata") or {}, "skipdata", optional=("enis", "per_day"))
    skip_enis = []
    for p, name in c.items(skip.get("enis"), "skipdata.enis", allow_empty=True):
        if name not in endpoints or endpoints[name].eni is None:
            raise c.fail(p, f"no ENI {name!r}", ", ".join(e.name for e in enis))
        skip_enis.append(endpoints[name].eni.index)  # type: ignore[union-attr]
    interval = c.choice(top.get("aggregation_interval", 600), "aggregation_interval", (60, 600))
    log_format = top.get("log_format", "default")
    _check_log_format(c, log_format)
    return Scenario(
        name=c.string(top["name"], "name", pattern=r"[A-Za-z0-9_.-]+", hint="letters, digits, - _ ."),
        source=source,
        description=str(top.get("description", "")).strip(),
        account=c.string(
            top["account"], "account", pattern=r"\d{12}", hint="a 12-digit AWS account ID in quotes"
        ),
        region=c.string(top["region"], "region", pattern=r"[a-z]{2}(-[a-z]+)+-\d", hint="e.g. us-east-1"),
        flow_log_id=c.string(top["flow_log_id"], "flow_log_id", pattern=f"fl-{_HEX_ID}", hint="fl-0123abcd"),
        start=start,
        aggregation_interval=interval,
        log_format=log_format,
        vpc_id=c.string(vpc["id"], "vpc.id", pattern=f"vpc-{_HEX_ID}", hint="vpc-0123abcd"),
        vpc_cidrs=vpc_cidrs,
        subnets=subnets,
        security_groups=groups,
        nacls=nacls,
        enis=tuple(enis),
        networks=networks,
        patterns=tuple(patterns),
        skipdata_enis=tuple(skip_enis),
        skipdata_per_day=c.number(skip.get("per_day", 0), "skipdata.per_day", low=0, high=1000),
        notes=tuple(str(v) for _, v in c.items(top.get("notes"), "notes", allow_empty=True)),
        drift=drift,
    )


def _subnets(c: Checker, value: Any, vpc_cidrs: tuple) -> dict[str, Subnet]:
    subnets: dict[str, Subnet] = {}
    for path, item in c.items(value, "subnets"):
        d = c.mapping(item, path, required=("name", "id", "cidr", "az_id"), optional=("public", "nacl"))
        cidr = c.cidr(d["cidr"], f"{path}.cidr")
        if not any(cidr.subnet_of(v) for v in vpc_cidrs):
            raise c.fail(f"{path}.cidr", f"{cidr} is not inside the VPC", ", ".join(map(str, vpc_cidrs)))
        name = c.string(d["name"], f"{path}.name")
        if name in subnets:
            raise c.fail(f"{path}.name", f"subnet name {name!r} is used twice", "a unique name")
        subnets[name] = Subnet(
            name=name,
            id=c.string(d["id"], f"{path}.id", pattern=f"subnet-{_HEX_ID}", hint="subnet-0123abcd"),
            cidr=cidr,
            az_id=c.string(d["az_id"], f"{path}.az_id", pattern=r"[a-z]+\d-az\d+", hint="e.g. use1-az1"),
            public=c.boolean(d.get("public", False), f"{path}.public"),
            nacl=d.get("nacl"),
        )
    return subnets


def _enis(c: Checker, value: Any, subnets: dict[str, Subnet]) -> list[Eni]:
    enis: list[Eni] = []
    seen: set[str] = set()
    for i, (path, item) in enumerate(c.items(value, "enis")):
        d = c.mapping(
            item,
            path,
            required=("name", "id", "kind", "subnet", "address"),
            optional=("instance_id", "security_group", "public_ip", "account", "ecs"),
        )
        subnet_name = d["subnet"]
        if subnet_name not in subnets:
            raise c.fail(f"{path}.subnet", f"no subnet {subnet_name!r}", ", ".join(subnets))
        subnet = subnets[subnet_name]
        address = c.ipv4(d["address"], f"{path}.address")
        if address not in subnet.cidr:
            raise c.fail(f"{path}.address", f"{address} is outside its subnet {subnet.name!r} ({subnet.cidr})",
                         f"an address in {subnet.cidr}")  # fmt: skip
        first, last = subnet.cidr.network_address, subnet.cidr.broadcast_address
        if int(address) - int(first) < 4 or address == last:
            raise c.fail(f"{path}.address", f"{address} is reserved by AWS in {subnet.cidr}",
                         f"{first + 4} to {last - 1}")  # fmt: skip
        kind = c.choice(d["kind"], f"{path}.kind", ENI_KINDS)
        name = c.string(d["name"], f"{path}.name")
        eni_id = c.string(d["id"], f"{path}.id", pattern=f"eni-{_HEX_ID}", hint="eni- and 8 to 17 hex digits")
        for key in (name, eni_id, str(address)):
            if key in seen:
                raise c.fail(path, f"{key!r} is used by two ENIs", "unique names, IDs and addresses")
            seen.add(key)
        public_ip = d.get("public_ip")
        if public_ip is not None:
            c.ipv4(public_ip, f"{path}.public_ip")
        instance_id = d.get("instance_id")
        if instance_id is not None:
            c.string(instance_id, f"{path}.instance_id", pattern=f"i-{_HEX_ID}", hint="i-0123abcd")
        ecs = _ecs(c, d["ecs"], f"{path}.ecs") if "ecs" in d else None
        account = d.get("account")
        if account is not None and account != "unknown":
            c.string(account, f"{path}.account", pattern=r"\d{12}", hint="a 12-digit account ID or unknown")
        enis.append(
            Eni(
                index=i,
                name=name,
                id=eni_id,
                kind=kind,
                subnet=subnet,
                address=address,
                instance_id=instance_id,
                security_group=d.get("security_group"),
                public=subnet.public and (public_ip is not None or kind in ("nat-gateway", "load-balancer")),
                account=account,
                ecs=ecs,
            )
        )
    return enis


def _ecs(c: Checker, value: Any, path: str) -> dict[str, Any]:
    d = c.mapping(
        value,
        path,
        required=("cluster", "service", "task_id", "task_definition"),
        optional=("containers", "launch_type", "container_instance_id"),
    )
    out = {k: c.string(d[k], f"{path}.{k}") for k in ("cluster", "service", "task_id", "task_definition")}
    out["containers"] = c.number(d.get("containers", 1), f"{path}.containers", low=1, high=2, integer=True)
    out["launch_type"] = c.choice(d.get("launch_type", "fargate"), f"{path}.launch_type", ("fargate", "ec2"))
    out["container_instance_id"] = d.get("container_instance_id")
    return out


def _rule(c: Checker, value: Any, path: str, where: str, *, nacl: bool, groups: dict[str, list]) -> Rule:
    keys = ("protocol", "ports", "cidr", "group", "description") + (("rule", "action") if nacl else ())
    d = c.mapping(value, path, required=("protocol",) + (("rule", "action") if nacl else ()), optional=keys)
    protocol = _protocol(c, d["protocol"], f"{path}.protocol")
    ports = c.ports(d.get("ports", "all"), f"{path}.ports")
    if "group" in d:
        if nacl:
            raise c.fail(f"{path}.group", "network ACL entries match CIDR blocks only", "cidr")
        members = groups.get(d["group"])
        if members is None:
            raise c.fail(f"{path}.group", f"no security group {d['group']!r}", ", ".join(groups))
        networks = tuple(ipaddress.IPv4Network(f"{e.address}/32") for e in members)
    elif "cidr" in d:
        networks = tuple(c.cidr(v, p) for p, v in c.items(d["cidr"], f"{path}.cidr"))
    else:
        raise c.fail(path, "a rule needs cidr (or group, for security groups)", "cidr, group")
    number = c.number(d["rule"], f"{path}.rule", low=1, high=32766, integer=True) if nacl else 0
    allow = c.choice(d["action"], f"{path}.action", ("allow", "deny")) == "allow" if nacl else True
    label = f"{where} rule {number}" if nacl else where
    if d.get("description"):
        label += f" ({d['description']})"
    return Rule(where=label, protocol=protocol, ports=ports, networks=networks, allow=allow, number=number)


def _security_groups(c: Checker, value: Any, enis: list[Eni]) -> dict[str, SecurityGroup]:
    value = c.mapping(value, "security_groups", optional=list(value) if isinstance(value, dict) else ())
    members: dict[str, list] = {name: [e for e in enis if e.security_group == name] for name in value}
    groups = {}
    for name, item in value.items():
        path = f"security_groups.{name}"
        d = c.mapping(item, path, required=("id",), optional=("inbound", "outbound", "description"))
        rules = {}
        for direction in ("inbound", "outbound"):
            rules[direction] = tuple(
                _rule(
                    c, v, p, f"security group {name!r} {direction} rule {i + 1}", nacl=False, groups=members
                )
                for i, (p, v) in enumerate(c.items(d.get(direction), f"{path}.{direction}", allow_empty=True))
            )
        groups[name] = SecurityGroup(
            name=name,
            id=c.string(d["id"], f"{path}.id", pattern=f"sg-{_HEX_ID}", hint="sg-0123abcd"),
            inbound=rules["inbound"],
            outbound=rules["outbound"],
        )
    return groups


def _nacls(c: Checker, value: Any) -> dict[str, Nacl]:
    value = c.mapping(value, "nacls", optional=list(value) if isinstance(value, dict) else ())
    out = {}
    for name, item in value.items():
        path = f"nacls.{name}"
        d = c.mapping(item, path, required=("id",), optional=("inbound", "outbound", "description"))
        rules = {}
        for direction in ("inbound", "outbound"):
            entries = [
                _rule(c, v, p, f"network ACL {name!r} {direction}", nacl=True, groups={})
                for p, v in c.items(d.get(direction), f"{path}.{direction}", allow_empty=True)
            ]
            rules[direction] = tuple(sorted(entries, key=lambda r: r.number))
        out[name] = Nacl(
            name=name,
            id=c.string(d["id"], f"{path}.id", pattern=f"acl-{_HEX_ID}", hint="acl-0123abcd"),
            inbound=rules["inbound"],
            outbound=rules["outbound"],
        )
    return out


def _networks(c: Checker, value: Any, where: str = "networks") -> dict[str, Network]:
    value = c.mapping(value, where, optional=list(value) if isinstance(value, dict) else ())
    out = {}
    for name, item in value.items():
        path = f"{where}.{name}"
        d = c.mapping(
            item, path, optional=("addresses", "cidrs", "pool", "path", "aws_service", "description")
        )
        addresses = tuple(
            c.ipv4(v, p) for p, v in c.items(d.get("addresses"), f"{path}.addresses", allow_empty=True)
        )
        cidrs = tuple(c.cidr(v, p) for p, v in c.items(d.get("cidrs"), f"{path}.cidrs", allow_empty=True))
        if not addresses and not cidrs:
            raise c.fail(path, "a network needs addresses or cidrs", "addresses, cidrs")
        pool = c.number(
            d.get("pool", 0 if addresses else 100), f"{path}.pool", low=0, high=100_000, integer=True
        )
        if cidrs and not addresses and pool < 1:
            raise c.fail(f"{path}.pool", "a network with only cidrs needs a pool of addresses", "1 to 100000")
        aws_service = d.get("aws_service")
        if aws_service is not None:
            c.string(aws_service, f"{path}.aws_service", pattern=r"[A-Z0-9_]+", hint="e.g. S3, AMAZON, EC2")
        out[name] = Network(
            name=name,
            path=c.choice(d.get("path", "internet"), f"{path}.path", PATHS),
            addresses=addresses,
            cidrs=cidrs,
            pool=pool,
            aws_service=aws_service,
        )
    return out


def _pattern(
    c: Checker,
    value: Any,
    path: str,
    endpoints: dict[str, Endpoint],
    anomaly: bool,
    *,
    starts: float | None = None,
) -> Pattern:
    later = ("from_day", "at") if starts is not None else ()
    d = c.mapping(
        value,
        path,
        required=("name", "from", "to", "protocol", *later[:1]),
        optional=("port", "rate", "every", "rhythm", "window", "duration", "bytes_out", "bytes_in", "spread",
                  "close", "description", *later),
    )  # fmt: skip
    name = c.string(
        d["name"], f"{path}.name", pattern=r"[a-z0-9][a-z0-9-]*", hint="lower-case words-with-dashes"
    )
    sides = {}
    for key in ("from", "to"):
        sides[key] = []
        for p, item in c.items(d[key], f"{path}.{key}"):
            if item not in endpoints:
                raise c.fail(p, f"no ENI or network {item!r}", ", ".join(endpoints))
            sides[key].append(endpoints[item])
    for src in sides["from"]:
        for dst in sides["to"]:
            if src.eni is None and dst.eni is None:
                raise c.fail(path, f"{src.name!r} to {dst.name!r}: neither end is an ENI of the VPC",
                             "at least one end in enis")  # fmt: skip
            if src.eni is not None and src.eni is dst.eni:
                raise c.fail(path, f"{src.name!r} talks to itself", "different ENIs")
    protocol = _protocol(c, d["protocol"], f"{path}.protocol")
    if protocol == -1:
        raise c.fail(f"{path}.protocol", "traffic needs one protocol", "tcp, udp, icmp or a number")
    ports = [0] if protocol == 1 else c.port_list(d.get("port"), f"{path}.port")
    if ("rate" in d) == ("every" in d):
        raise c.fail(
            path, "give exactly one of rate (connections per hour) or every (seconds)", "rate, every"
        )
    rhythm = c.choice(d.get("rhythm", "flat"), f"{path}.rhythm", RHYTHMS)
    return Pattern(
        name=name,
        label=f"{'anomaly' if anomaly else 'expected'}:{name}",
        sources=tuple(sides["from"]),
        targets=tuple(sides["to"]),
        protocol=protocol,
        ports=tuple(ports),
        rate=c.number(d["rate"], f"{path}.rate", low=0, high=1e7) if "rate" in d else None,
        every=c.number(d["every"], f"{path}.every", low=1, high=86400 * 7) if "every" in d else None,
        rhythm=rhythm,
        window=c.clock(d["window"], f"{path}.window") if "window" in d else None,
        duration=c.number(d.get("duration", 2.0), f"{path}.duration", low=0.001, high=86400),
        bytes_out=c.number(d.get("bytes_out", 800), f"{path}.bytes_out", low=20, high=1e12),
        bytes_in=c.number(d.get("bytes_in", 4000), f"{path}.bytes_in", low=20, high=1e12),
        spread=c.number(d.get("spread", 0.8), f"{path}.spread", low=0, high=3),
        close=c.choice(d.get("close", "fin"), f"{path}.close", ("fin", "rst")),
        anomaly=anomaly,
        starts=starts,
        seasonal="rate" in d and rhythm == "daily" and not anomaly,
        note=str(d.get("description", "")).strip(),
    )


def _protocol(c: Checker, value: Any, path: str) -> int:
    if isinstance(value, str) and value.lower() in PROTOCOLS:
        return PROTOCOLS[value.lower()]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 255:
        return value
    raise c.fail(path, f"{value!r} is not a protocol", "tcp, udp, icmp, all or a number 0-255")


def _needs_nat(p: Pattern) -> bool:
    ends = [(s, t) for s in p.sources for t in p.targets]
    return any(
        s.eni is not None and not s.eni.public and t.network is not None and t.network.path == "internet"
        for s, t in ends
    )


def _start(c: Checker, value: Any) -> datetime:
    try:
        return parse_utc(value)
    except ValueError:
        raise c.fail("start", f"{value!r} is not a date-time", "ISO 8601 like 2026-11-02T00:00:00Z") from None


def _check_log_format(c: Checker, value: Any) -> None:
    from flowkit.errors import FormatError
    from flowkit.schema import LATEST_VERSION, resolve_log_format

    try:
        resolve_log_format(str(value), unknown="keep")
    except FormatError as exc:
        allowed = (
            f"default, v2 to v{LATEST_VERSION}, security, athena-v5, ecs, or a ${{field}} ... format string"
        )
        raise c.fail("log_format", str(exc), allowed) from None
