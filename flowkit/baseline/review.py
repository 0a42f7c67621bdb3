"""Reviewing unexpected traffic: what each finding is next to, and the decisions that change the allowlist.

An allowlist learned from a baseline period meets other, still expected, traffic later: a CDN answers from
another edge, a partner moves an endpoint, a deploy adds a dependency. An investigator reviews each finding:

- :func:`review_findings` puts beside each finding what helps decide: the AWS service, Region and published
  prefix of its outside end (from ip-ranges), the learned rule for the same source, protocol and port (a new
  address of a known dependency?) and a suggestion;
- :func:`apply_review` turns the decisions (which destinations are expected, and why) into a new allowlist:
  the related rule widened, or a new rule, each with the reason as its ``review`` note, so a later reader
  knows who accepted what and why;
- :func:`score_findings` measures the result against ground truth (simulated data): precision and recall for
  records and for findings.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from flowkit.baseline.allowlist import Allowlist, Endpoint, Rule
from flowkit.baseline.propose import UNSOUND_SERVICES
from flowkit.enrich.aws_ranges import IpRanges, lookup_aws_service
from flowkit.enrich.protocols import protocol_number
from flowkit.errors import AllowlistError
from flowkit.frames import with_flowkit_dtypes

REVIEW_COLUMNS = [
    "pattern",
    "source",
    "destination",
    "ports",
    "protocol",
    "flows",
    "aws_service",
    "aws_region",
    "aws_prefix",
    "related_rule",
    "suggestion",
]


def _address(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(text))
    except ValueError:
        return None


def _port(text: Any) -> int | None:
    return int(text) if str(text).isdigit() else None


def _owner(inventory: pd.DataFrame | None, address: str) -> str | None:
    if inventory is None or inventory.empty:
        return None
    hit = inventory.loc[inventory["address"] == address, "interface_id"]
    return str(hit.iloc[0]) if len(hit) else None


def _covers(endpoint: Endpoint, eni: str | None, address: Any) -> bool:
    """Whether an endpoint is, or contains, this inside client (by ENI or CIDR)."""
    if endpoint.is_any():
        return True
    if eni is not None and eni in endpoint.eni:
        return True
    return any(address in ipaddress.ip_network(c) for c in endpoint.cidr) if address is not None else False


def _related(allowlist: Allowlist, finding: Any, eni: str | None) -> Rule | None:
    """The allow rule for the same direction, source, protocol and port as a finding, if any."""
    port, proto = _port(finding.ports), protocol_number(str(finding.protocol))
    source = _address(finding.source)
    for rule in allowlist.rules:
        if rule.action == "reject" or rule.direction not in (finding.direction, "any"):
            continue
        if rule.protocols and proto not in rule.protocols:
            continue
        if rule.ports and (port is None or not any(lo <= port <= hi for lo, hi in rule.ports)):
            continue
        if _covers(rule.source, eni, source):
            return rule
    return None


def _suggest(rule: Rule | None, address: Any, service: Any, prefix: Any) -> str:
    if rule is None:
        return (
            "no rule for this source, protocol and port: a new dependency (check recent changes and deploys) "
            "or a finding for the security team"
        )
    if isinstance(service, str) and service in UNSOUND_SERVICES:
        return (
            f"same source and port as {rule.name}: a new address of that dependency? It is in AWS's {service} "
            f"range {prefix}, which anyone can rent: confirm with the provider, then accept the address only"
        )
    if isinstance(service, str):
        return f"same source and port as {rule.name}, in AWS's published {service} range {prefix}"
    near = [
        c
        for c in rule.destination.cidr
        if address is not None and address in ipaddress.ip_network(c).supernet(new_prefix=16)
    ]
    if near:
        return (
            f"same source and port as {rule.name}, next to its {near[0]}: a rotating address? If the provider "
            "publishes its ranges (CDNs do), accept them; else accept the address"
        )
    return f"same source and port as {rule.name}, another destination: ask the owner of that dependency"


def review_findings(
    unexpected: pd.DataFrame,
    allowlist: Allowlist,
    *,
    inventory: pd.DataFrame | None = None,
    ip_ranges: IpRanges | None = None,
) -> pd.DataFrame:
    """Put beside each unexpected pattern what helps an investigator decide whether it is expected.

    Args:
        unexpected: :func:`~flowkit.baseline.find_unexpected`'s result.
        allowlist: the allowlist it was matched against.
        inventory: ENI addresses (:func:`~flowkit.baseline.interface_addresses`), to find the rules of the
            finding's source interface.
        ip_ranges: AWS's ranges (default the shipped extract: see
            :func:`~flowkit.enrich.ip_ranges_coverage` for what it covers).

    Returns:
        One row per pattern: ``pattern``, ``source``, ``destination``, ``ports``, ``protocol``, ``flows``,
        ``aws_service``, ``aws_region``, ``aws_prefix`` (of the destination, <NA> when not in the ranges),
        ``related_rule`` (the allow rule for the same source, protocol and port, if any) and ``suggestion``.
    """
    rows = []
    destinations = [d if _address(d) is not None else None for d in unexpected["destination"]]
    services = lookup_aws_service(destinations, ip_ranges)
    for finding, (service, region, prefix) in zip(
        unexpected.itertuples(index=False),
        services[["service", "region", "prefix"]].itertuples(index=False, name=None),
        strict=True,
    ):
        rule = _related(allowlist, finding, _owner(inventory, str(finding.source)))
        rows.append(
            {
                "pattern": finding.pattern,
                "source": finding.source,
                "destination": finding.destination,
                "ports": finding.ports,
                "protocol": finding.protocol,
                "flows": finding.flows,
                "aws_service": service,
                "aws_region": region,
                "aws_prefix": prefix,
                "related_rule": rule.name if rule is not None else None,
                "suggestion": _suggest(rule, _address(finding.destination), service, prefix),
            }
        )
    return with_flowkit_dtypes(pd.DataFrame(rows, columns=REVIEW_COLUMNS))


def apply_review(
    allowlist: Allowlist,
    unexpected: pd.DataFrame,
    accepted: Mapping[str, str],
    *,
    inventory: pd.DataFrame | None = None,
) -> tuple[Allowlist, pd.DataFrame]:
    """Accept reviewed destinations: widen the related rule, or add a rule, with the reason as review note.

    Args:
        allowlist: the allowlist the findings were matched against (not changed).
        unexpected: :func:`~flowkit.baseline.find_unexpected`'s result.
        accepted: destination CIDR (or address) -> why it is expected, e.g. ``{"151.101.0.0/16": "the package
            CDN's published range"}``. Each outbound or internal finding whose destination is inside an
            accepted CIDR is accepted: the allow rule for its source, protocol and port gets the CIDR added to
            its destinations, or a new rule is made for it.
        inventory: ENI addresses, so new rules name the source interface rather than its address.

    Returns:
        ``(reviewed, changes)``: the new allowlist, and one row per accepted CIDR and rule (``cidr``,
        ``change``: ``widened``, ``added`` or ``no finding``, ``rule``, ``review``).

    Raises:
        AllowlistError: an accepted key is not a CIDR or address.
    """
    cidrs = {}
    for key, why in accepted.items():
        try:
            cidrs[str(ipaddress.ip_network(str(key).strip(), strict=True))] = str(why)
        except ValueError as exc:
            raise AllowlistError(f"accepted destination {key!r} is not a CIDR or address ({exc})") from None
    rules = list(allowlist.rules)
    names = {r.name for r in rules}
    changes = []
    for cidr, why in cidrs.items():
        network = ipaddress.ip_network(cidr)
        hits = [
            f
            for f in unexpected.itertuples(index=False)
            if f.direction in ("outbound", "internal")
            and (a := _address(f.destination)) is not None
            and a.version == network.version
            and a in network
        ]
        done: set[str] = set()
        for finding in hits:
            eni = _owner(inventory, str(finding.source))
            rule = _related(Allowlist(rules, allowlist.vpc_cidrs, allowlist.prefix_lists), finding, eni)
            note = f"accepted after review: {cidr}: {why}"
            if rule is not None and rule.destination.cidr and not rule.destination.aws_service:
                if rule.name in done:
                    continue
                widened = replace(
                    rule,
                    destination=replace(
                        rule.destination, cidr=tuple(dict.fromkeys((*rule.destination.cidr, cidr)))
                    ),
                    review="; ".join(filter(None, (rule.review, note))),
                )
                rules[rules.index(rule)] = widened
                done.add(rule.name)
                changes.append({"cidr": cidr, "change": "widened", "rule": rule.name, "review": note})
                continue
            new = _new_rule(finding, eni, cidr, note, names)
            if new.name in done:
                continue
            rules.append(new)
            names.add(new.name)
            done.add(new.name)
            changes.append({"cidr": cidr, "change": "added", "rule": new.name, "review": note})
        note = f"accepted after review: {cidr}: {why}"
        for i, rule in enumerate(rules):
            # rules that already name addresses inside the accepted range (a provider's published range)
            inside = [c for c in rule.destination.cidr if _subnet_of(c, network)]
            if rule.action == "reject" or rule.name in done or not inside or cidr in rule.destination.cidr:
                continue
            rules[i] = replace(
                rule,
                destination=replace(
                    rule.destination, cidr=tuple(dict.fromkeys((*rule.destination.cidr, cidr)))
                ),
                review="; ".join(filter(None, (rule.review, note))),
            )
            done.add(rule.name)
            changes.append({"cidr": cidr, "change": "widened", "rule": rule.name, "review": note})
        if not done:
            changes.append({"cidr": cidr, "change": "no finding", "rule": None, "review": why})
    reviewed = Allowlist(rules, list(allowlist.vpc_cidrs), dict(allowlist.prefix_lists), "<reviewed>")
    frame = pd.DataFrame(changes, columns=["cidr", "change", "rule", "review"])
    return reviewed, with_flowkit_dtypes(frame)


def _subnet_of(cidr: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    inner = ipaddress.ip_network(cidr)
    return inner.version == network.version and inner.subnet_of(network)  # type: ignore[arg-type]


def _new_rule(finding: Any, eni: str | None, cidr: str, note: str, names: set[str]) -> Rule:
    source = Endpoint(eni=(eni,)) if eni else Endpoint(cidr=(str(ipaddress.ip_network(finding.source)),))
    proto = protocol_number(str(finding.protocol))
    port = _port(finding.ports)
    label = eni or str(finding.source)
    base = f"{finding.direction}-{label}-to-{cidr.removesuffix('/32')}-{str(finding.protocol).lower()}"
    base += f"-{port}" if port is not None else ""
    name, k = base, 2
    while name in names:
        name, k = f"{base}-{k}", k + 1
    return Rule(
        name=name,
        direction=str(finding.direction),
        source=source,
        destination=Endpoint(cidr=(cidr,)),
        protocols=(proto,) if proto >= 0 else (),
        ports=((port, port),) if port is not None and proto in (6, 17, 132) else (),
        why="accepted after review",
        review=note,
    )


def score_findings(explained: pd.DataFrame, truth: pd.Series) -> pd.DataFrame:
    """Precision and recall of flagged traffic against ground truth, for records and for findings.

    Args:
        explained: :func:`~flowkit.baseline.explain`'s result (a record is flagged when its ``pattern`` is set).
        truth: per record, its label (``anomaly:<name>`` or ``expected:<name>``; <NA> for records without one,
            such as NODATA), e.g. :func:`flowkit.simulate.label_flows`' result.

    Returns:
        Two rows, ``records`` and ``findings``, with ``flagged``, ``true``, ``false``, ``missed``,
        ``precision`` and ``recall``. For records: flagged records, the anomalous ones among them, the
        expected ones among them, anomalous records not flagged. For findings: the unexpected patterns, those
        whose labelled records are mostly anomalous, the rest, and the injected anomalies (by name) with no
        flagged record; recall there is the share of injected anomalies found.

    Examples:
        >>> explained = pd.DataFrame({"pattern": pd.array([0, 0, 1, None], dtype="Int64")})
        >>> truth = pd.Series(["anomaly:x", "anomaly:x", "expected:y", "anomaly:z"])
        >>> score_findings(explained, truth).loc["findings", ["true", "false", "missed"]].tolist()
        [1, 1, 1]
    """
    if len(explained) != len(truth):
        raise ValueError(
            f"explained has {len(explained)} records and truth {len(truth)}: pass one label per record"
        )
    label = pd.Series(truth.to_numpy(dtype=object), dtype=object)
    known = label.notna().to_numpy()
    anomalous = label.fillna("").str.startswith("anomaly:").to_numpy()
    pattern = pd.array(explained["pattern"], dtype="Int64")
    flagged = ~pd.isna(pattern)
    flagged = np.asarray(flagged, dtype=bool)
    true = int((flagged & anomalous).sum())
    false = int((flagged & known & ~anomalous).sum())
    missed = int((~flagged & anomalous).sum())
    rows = {"records": (true + false, true, false, missed)}
    scored = pd.DataFrame({"pattern": pattern[flagged & known], "anomalous": anomalous[flagged & known]})
    share = scored.groupby("pattern")["anomalous"].mean()
    names = label[anomalous].str.partition(":")[2]
    found = set(label[anomalous & flagged].str.partition(":")[2])
    patterns = int(pd.Series(pattern[flagged]).nunique())
    true_findings = int((share > 0.5).sum())
    rows["findings"] = (patterns, true_findings, patterns - true_findings, len(set(names) - found))
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["flagged", "true", "false", "missed"])
    out["precision"] = (out["true"] / out["flagged"].where(out["flagged"] > 0)).round(3)
    present = pd.Series({"records": true + missed, "findings": len(set(names))})
    recall_hits = pd.Series({"records": true, "findings": len(found)})
    out["recall"] = (recall_hits / present.where(present > 0)).round(3)
    return with_flowkit_dtypes(out.rename_axis("level"))
