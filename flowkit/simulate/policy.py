"""Security groups and network ACLs: decide ACCEPT or REJECT, and explain a REJECT.

Security groups are stateful allow-lists on an ENI: a new connection needs a rule in the
direction it travels (inbound on the receiving ENI, outbound on the sending one); responses are
always let through. Network ACLs are stateless, ordered allow/deny entries on a subnet: every
packet crossing the subnet edge is checked, responses included (first matching rule number wins,
no match is the ``*`` deny). Traffic between two addresses of the same subnet does not cross its
ACL. The simulator decides every record's action with :func:`decide`, and
:func:`explain_rejects` re-derives the reason from a record's own fields.
"""

from __future__ import annotations

import ipaddress

import numpy as np
import pandas as pd

from flowkit.simulate.scenario import Eni, Rule, Scenario


def decide(
    scenario: Scenario,
    eni: Eni,
    *,
    egress: bool,
    response: np.ndarray | bool,
    remote: np.ndarray,
    dport: np.ndarray,
    protocol: np.ndarray | int,
) -> np.ndarray:
    """Return an array of reasons (``""`` where the packets are allowed) for packets on one ENI.

    Args:
        scenario: the scenario whose rules apply.
        eni: the ENI the packets are recorded on.
        egress: True for packets leaving the ENI, False for packets arriving.
        response: whether the packets belong to a connection opened from the other side (security
            groups let those through).
        remote: the other end's address (uint32), as the record's srcaddr/dstaddr shows it.
        dport: the packets' destination port.
        protocol: the IANA protocol number.
    """
    remote = np.asarray(remote, dtype=np.uint32)
    n = len(remote)
    dport = np.broadcast_to(np.asarray(dport, dtype=np.int64), (n,))
    protocol = np.broadcast_to(np.asarray(protocol, dtype=np.int64), (n,))
    response = np.broadcast_to(np.asarray(response, dtype=bool), (n,))
    reasons = np.full(n, "", dtype=object)
    direction = "outbound" if egress else "inbound"
    subnet = eni.subnet
    if subnet.nacl:
        nacl = scenario.nacls[subnet.nacl]
        crosses = ~_in(remote, subnet.cidr)
        undecided = crosses.copy()
        for rule in nacl.outbound if egress else nacl.inbound:
            hit = undecided & _match(rule, remote, dport, protocol)
            if not rule.allow:
                reasons[hit] = f"{rule.where} denies it"
            undecided &= ~hit
        reasons[undecided] = f"network ACL {nacl.name!r} {direction} has no matching rule (* deny)"
    if eni.security_group:
        group = scenario.security_groups[eni.security_group]
        allowed = response.copy()
        for rule in group.outbound if egress else group.inbound:
            allowed |= _match(rule, remote, dport, protocol)
        blocked = ~allowed & (reasons == "")
        reasons[blocked] = f"security group {group.name!r} has no {direction} rule allowing it"
    return reasons


def explain_rejects(flows: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """For each record, the scenario rule that rejects it (``""`` if the rules allow it).

    Works from the record's own fields: ``interface_id``, ``srcaddr``, ``dstaddr``, ``dstport``,
    ``protocol`` (Athena column names, as :func:`flowkit.read_flow_logs` returns them). A record is
    egress when its srcaddr is the ENI's primary address. Security groups are checked as for a new
    connection, so a REJECT must be explained either by a network-ACL entry or by a missing
    security-group rule; NODATA/SKIPDATA records get ``""``.
    """
    out = pd.Series("", index=flows.index, dtype=object)
    ok = flows["log_status"].eq("OK").fillna(False).to_numpy(bool)
    by_id = {e.id: e for e in scenario.enis}
    for eni_id, index in flows.index[ok].groupby(flows.loc[ok, "interface_id"]).items():
        eni = by_id.get(eni_id)
        if eni is None:
            out[index] = f"ENI {eni_id} is not in the scenario"
            continue
        rows = flows.loc[index]
        src = _to_uint(rows["srcaddr"])
        dst = _to_uint(rows["dstaddr"])
        egress = src == int(eni.address)
        for flag in (True, False):
            pick = egress == flag
            if not pick.any():
                continue
            reasons = decide(
                scenario,
                eni,
                egress=flag,
                response=False,
                remote=np.where(flag, dst, src)[pick],
                dport=rows["dstport"].to_numpy("int64", na_value=0)[pick],
                protocol=rows["protocol"].to_numpy("int64", na_value=0)[pick],
            )
            out[index[pick]] = reasons
    return out


def _to_uint(values: pd.Series) -> np.ndarray:
    octets = values.astype(str).str.split(".", expand=True).astype(np.uint32).to_numpy()
    return (octets[:, 0] << 24) | (octets[:, 1] << 16) | (octets[:, 2] << 8) | octets[:, 3]


def _in(remote: np.ndarray, network: ipaddress.IPv4Network) -> np.ndarray:
    mask = np.uint32(int(network.netmask))
    return (remote & mask) == np.uint32(int(network.network_address))


def _match(rule: Rule, remote: np.ndarray, dport: np.ndarray, protocol: np.ndarray) -> np.ndarray:
    hit = np.zeros(len(remote), dtype=bool)
    for network in rule.networks:
        hit |= _in(remote, network)
    if rule.protocol != -1:
        hit &= protocol == rule.protocol
        if rule.protocol in (6, 17):
            hit &= (dport >= rule.ports[0]) & (dport <= rule.ports[1])
    return hit
