"""AWS Network Firewall stateful rules (Suricata syntax) from an allowlist: ``pass`` rules, then drops."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flowkit.baseline.allowlist import load_allowlist
from flowkit.baseline.unexpected import AllowlistLike
from flowkit.enrich.aws_ranges import IpRanges
from flowkit.rules.targets import endpoint_cidrs as _cidrs


def _suricata_net(cidrs: Sequence[str], default: str) -> str:
    if not cidrs or set(cidrs) <= {"0.0.0.0/0", "::/0"}:
        return default
    return cidrs[0] if len(cidrs) == 1 else "[" + ",".join(cidrs) + "]"


def network_firewall_rules(
    allowlist: AllowlistLike,
    *,
    ip_ranges: IpRanges | None = None,
    inventory: pd.DataFrame | None = None,
    sid_start: int = 1_000_001,
) -> str:
    """AWS Network Firewall stateful rules (Suricata syntax): a ``pass`` per allowlist rule, then drops.

    Each rule passes the client-to-server direction of matching flows (``flow:to_server``); the final
    rules drop every other new connection from ``$HOME_NET`` to ``$EXTERNAL_NET`` and, when the allowlist
    has inbound rules, from ``$EXTERNAL_NET`` to ``$HOME_NET``. Load them into a stateful rule group with
    ``StatefulRuleOptions={"RuleOrder": "STRICT_ORDER"}`` and set ``HOME_NET`` to the VPC CIDRs.

    Returns:
        The rules, one per line, each with a unique ``sid`` and ``rev:1``.
    """
    allow = load_allowlist(allowlist)
    lines = [f"# flowkit: {len(allow.rules)} allowlist rules from {allow.source}; strict rule order"]
    sid = sid_start
    inbound = False
    for rule in allow.rules:
        if rule.action == "reject":
            continue
        inbound |= rule.direction == "inbound"
        src = _suricata_net(
            _cidrs(rule.source, rule, allow, ip_ranges, inventory) if not rule.source.is_any() else [],
            "$EXTERNAL_NET" if rule.direction == "inbound" else "$HOME_NET",
        )
        dst = _suricata_net(
            _cidrs(rule.destination, rule, allow, ip_ranges, inventory)
            if not rule.destination.is_any()
            else [],
            "$HOME_NET" if rule.direction in ("inbound", "internal") else "any",
        )
        for proto in list(rule.protocols) or [-1]:
            keyword = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}.get(proto, "ip")
            ports = "any"
            if rule.ports and keyword in ("tcp", "udp"):
                parts = [str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in rule.ports]
                ports = parts[0] if len(parts) == 1 else "[" + ",".join(parts) + "]"
            extra = f" ip_proto:{proto};" if keyword == "ip" and proto >= 0 else ""
            msg = rule.name.replace('"', "'").replace(";", ",")
            lines.append(
                f'pass {keyword} {src} any -> {dst} {ports} (msg:"{msg}";{extra} flow:to_server; '
                f"sid:{sid}; rev:1;)"
            )
            sid += 1
    lines.append(
        f'drop ip $HOME_NET any -> $EXTERNAL_NET any (msg:"flowkit default deny: egress not in the '
        f'allowlist"; flow:to_server; sid:{sid}; rev:1;)'
    )
    if inbound:
        lines.append(
            f'drop ip $EXTERNAL_NET any -> $HOME_NET any (msg:"flowkit default deny: ingress not in '
            f'the allowlist"; flow:to_server; sid:{sid + 1}; rev:1;)'
        )
    return "\n".join(lines) + "\n"
