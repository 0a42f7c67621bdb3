"""Tests for flowkit.rules: security groups, NACLs, Network Firewall, what would break."""

from __future__ import annotations

import boto3
import idstools.rule
import pytest
from decide_fixtures import APP, DB, WEB, make_flows
from moto import mock_aws

from flowkit.baseline import interface_addresses, propose_allowlist
from flowkit.errors import AllowlistError
from flowkit.rules import (
    NaclPlan,
    fit_security_groups,
    nacl_summary,
    network_acl_entries,
    network_acls,
    network_firewall_rules,
    quota_report,
    rule_count,
    security_group_egress,
    what_would_break,
)

VPC = ["10.0.0.0/16"]


@pytest.fixture(scope="module")
def allowlist(baseline):
    return propose_allowlist(baseline, vpc_cidrs=VPC)


@pytest.fixture(scope="module")
def inventory(baseline):
    return interface_addresses(baseline)


def test_security_group_egress_for_the_app_server(allowlist, inventory):
    perms = security_group_egress(allowlist, source=APP[0], inventory=inventory)
    by_port = {(p["IpProtocol"], p["FromPort"]): p for p in perms}
    assert set(by_port) == {("tcp", 443), ("tcp", 5432), ("udp", 53)}
    https = {r["CidrIp"] for r in by_port[("tcp", 443)]["IpRanges"]}
    assert {"52.216.0.0/15", "3.5.0.0/19", "52.94.0.0/22"} <= https  # S3 and DynamoDB from ip-ranges
    assert by_port[("tcp", 5432)]["IpRanges"] == [
        {
            "CidrIp": f"{DB[1]}/32",
            "Description": next(
                r.name for r in allowlist.rules if r.destination.eni == (DB[0],) and r.source.eni == (APP[0],)
            ),
        }
    ]
    assert all(p["ToPort"] == p["FromPort"] for p in perms)


def test_security_group_egress_is_accepted_by_the_ec2_api(allowlist, inventory):
    perms = security_group_egress(allowlist, source=APP[0], inventory=inventory)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
        ec2.revoke_security_group_egress(
            GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=perms)
        stored = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert {(p["IpProtocol"], p["FromPort"]) for p in stored} == {("tcp", 443), ("tcp", 5432), ("udp", 53)}


def test_security_group_needs_an_inventory_for_eni_destinations(allowlist):
    with pytest.raises(AllowlistError, match="pass inventory="):
        security_group_egress(allowlist, source=APP[0])


def test_nacl_entries_include_ephemeral_return_rules(allowlist, inventory, baseline):
    entries = network_acl_entries(allowlist, baseline, subnet=APP[2], inventory=inventory)
    egress = [e for e in entries if e["Egress"]]
    ingress = [e for e in entries if not e["Egress"]]
    s3_out = [e for e in egress if e.get("CidrBlock") == "52.216.0.0/15"]
    assert s3_out == [
        {
            "RuleNumber": s3_out[0]["RuleNumber"],
            "Protocol": "6",
            "RuleAction": "allow",
            "Egress": True,
            "CidrBlock": "52.216.0.0/15",
            "PortRange": {"From": 443, "To": 443},
        }
    ]
    s3_back = [e for e in ingress if e.get("CidrBlock") == "52.216.0.0/15"]
    assert s3_back[0]["PortRange"] == {"From": 1024, "To": 65535}
    for side in (egress, ingress):
        numbers = [e["RuleNumber"] for e in side]
        assert numbers == sorted(set(numbers)) and numbers[0] == 100 and all(n <= 32766 for n in numbers)
    # inbound web traffic, in the web server's subnet: ingress to 443 from the clients, egress back to them
    web = network_acl_entries(allowlist, baseline, subnet=WEB[2], inventory=inventory)
    web_in = [
        e
        for e in web
        if not e["Egress"]
        if e["PortRange"] == {"From": 443, "To": 443} and e.get("CidrBlock") == "198.51.100.0/24"
    ]
    assert web_in and any(
        e["Egress"] and e.get("CidrBlock") == "198.51.100.0/24" and e["PortRange"]["From"] == 1024
        for e in web
    )
    # the app server's subnet holds no entry for the web clients: each ACL names only what crosses it
    assert not any(e.get("CidrBlock") == "198.51.100.0/24" for e in entries)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        for entry in entries:
            ec2.create_network_acl_entry(NetworkAclId=acl, **entry)
        stored = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
    assert len([e for e in stored if e["RuleAction"] == "allow"]) == len(entries)


def test_network_firewall_rules_are_valid_suricata(allowlist, inventory):
    text = network_firewall_rules(allowlist, inventory=inventory)
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    parsed = [idstools.rule.parse(line) for line in lines]
    bad = [x for x, r in zip(lines, parsed, strict=True) if r is None]
    assert not bad, bad
    sids = [rule.sid for rule in parsed]
    assert len(set(sids)) == len(sids) and all(rule.rev == 1 for rule in parsed)
    assert [r.action for r in parsed[:-2]] == ["pass"] * (len(parsed) - 2)
    assert [r.action for r in parsed[-2:]] == ["drop", "drop"]
    s3 = next(line for line in lines if "s3-us-east-1" in line)
    assert s3.startswith(f"pass tcp {APP[1]}/32 any -> [") and "52.216.0.0/15" in s3 and "] 443 (" in s3
    assert "flow:to_server" in s3


def test_what_would_break_lists_only_accepted_unexplained_records(allowlist, inventory):
    later = make_flows(seed=2, anomalies=True)
    broken = what_would_break(allowlist, later)
    pairs = set(zip(broken["srcaddr"], broken["dstaddr"], strict=True))
    assert (APP[1], "45.77.12.34") in pairs and ("45.77.12.34", APP[1]) in pairs
    assert (WEB[1], DB[1]) in pairs and ("198.18.7.7", APP[1]) in pairs
    assert not (broken["action"] == "REJECT").any()  # the rejected port scan is denied already
    assert ("192.0.2.200", WEB[1]) in pairs  # the scanner reached 443: outside the learnt client networks
    assert len(broken) == 22
    assert what_would_break(allowlist, make_flows(seed=3)).empty


def test_what_would_break_with_security_group_permissions(allowlist, inventory):
    later = make_flows(seed=2, anomalies=True)
    app_records = later[later["interface_id"] == APP[0]]
    perms = security_group_egress(allowlist, source=APP[0], inventory=inventory)
    broken = what_would_break(perms, app_records, inventory=inventory)
    # only the connection the app opened itself; inbound SSH is not governed by egress rules
    assert set(broken["dstport"].dropna()) <= {4444, 40000, 40001, 40002, 40003, 40004, 40005}
    assert len(broken) == 12


def test_reject_rules_never_become_permissions(allowlist, inventory, baseline):
    assert any(r.action == "reject" for r in allowlist.rules)
    text = network_firewall_rules(allowlist, inventory=inventory)
    assert "rejected" not in text and "185.220.0.0/16" not in text
    plans = network_acls(allowlist, baseline, inventory=inventory)
    assert not any(e.get("CidrBlock") == "185.220.0.0/16" for p in plans for e in p.entries)
    perms = security_group_egress(allowlist, inventory=inventory)
    assert not any(r["CidrIp"] == "185.220.0.0/16" for p in perms for r in p.get("IpRanges", []))


def test_rules_for_the_workshop_scenario():
    simulate = pytest.importorskip("flowkit.simulate")
    vpc = [str(c) for c in simulate.load_scenario("workshop").vpc_cidrs]
    baseline = simulate.simulate("workshop", seed=6, anomalies=False).flows
    later = simulate.simulate("workshop", seed=7)
    allowlist = propose_allowlist(baseline, vpc_cidrs=vpc)
    inventory = interface_addresses(baseline)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc_id = ec2.create_vpc(CidrBlock=vpc[0])["Vpc"]["VpcId"]
        groups = 0
        for eni in sorted(inventory["interface_id"].unique()):
            perms = security_group_egress(allowlist, source=eni, inventory=inventory)
            if not perms:
                continue
            group = ec2.create_security_group(GroupName=eni, Description="flowkit", VpcId=vpc_id)["GroupId"]
            ec2.authorize_security_group_egress(GroupId=group, IpPermissions=perms)
            groups += 1
        plans = network_acls(allowlist, baseline, inventory=inventory)
        for plan in plans:
            acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
            for entry in plan.entries:
                ec2.create_network_acl_entry(NetworkAclId=acl, **entry)
    assert groups >= 4 and len(plans) >= 2
    # every subnet's ACL fits the default quota of 20 per direction, the final deny rule included
    # (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-nacls)
    assert all(p.count(True) <= 19 and p.count(False) <= 19 for p in plans), nacl_summary(plans)
    assert sum(len(p.entries) for p in plans) > 10
    lines = [x for x in network_firewall_rules(allowlist, inventory=inventory).splitlines() if x[:1] != "#"]
    assert all(idstools.rule.parse(line) is not None for line in lines)
    # what would break: exactly the accepted anomalies, none of the expected traffic
    broken = what_would_break(allowlist, later.flows)
    labels = simulate.label_flows(broken, later.labels).fillna("unlabelled")
    assert set(labels) == {
        "anomaly:large-upload",
        "anomaly:mining-pool",
        "anomaly:public-dns",
        "anomaly:unexpected-ssh",
    }, labels.value_counts()


def test_a_nacl_plan_falls_back_when_the_quota_is_too_small(allowlist, inventory, baseline):
    """Exact entries when they fit; peers widened to 0.0.0.0/0 (ports only) when not; security groups last."""
    roomy = {p.subnet_id: p for p in network_acls(allowlist, baseline, inventory=inventory)}
    assert {p.level for p in roomy.values()} == {"exact"}
    app = roomy[APP[2]]
    assert app.needed == {"egress": app.count(True), "ingress": app.count(False)}
    tight = {p.subnet_id: p for p in network_acls(allowlist, baseline, inventory=inventory, quota=3)}
    assert tight[DB[2]].level == "exact"  # 1 entry each way fits in 2
    web = tight[WEB[2]]
    assert web.level == "ports only" and web.count(True) <= 2 and web.count(False) <= 2
    assert {e.get("CidrBlock") for e in web.entries if not e["Egress"]} >= {"0.0.0.0/0"}
    assert tight[APP[2]].level == "security groups only" and tight[APP[2]].entries == []
    assert not tight[APP[2]].fits and "security groups" in tight[APP[2]].note
    with pytest.raises(AllowlistError, match="security groups"):
        network_acl_entries(allowlist, baseline, subnet=APP[2], inventory=inventory, quota=3)
    table = nacl_summary(list(tight.values()))
    assert list(table["level"]) == ["security groups only", "exact", "ports only"]


def test_no_nacl_entry_for_dns_to_the_amazon_provided_resolver(allowlist, inventory, baseline):
    """ "Network ACLs can't block DNS requests to or from the Route 53 Resolver (also known as the VPC+2 IP
    address or AmazonProvidedDNS)": https://docs.aws.amazon.com/vpc/latest/userguide/nacl-basics.html"""
    resolver = "10.0.0.2"  # VPC 10.0.0.0/16, plus two
    assert ((baseline["dstaddr"] == resolver) & (baseline["dstport"] == 53)).any()  # the records hold DNS
    for plan in network_acls(allowlist, baseline, inventory=inventory, vpc_cidrs=VPC):
        assert not [e for e in plan.entries if e.get("CidrBlock") == f"{resolver}/32"], plan.subnet_id


def test_nacl_quota_and_subnet_are_checked(allowlist, inventory, baseline):
    with pytest.raises(AllowlistError, match="2 to 40"):
        network_acls(allowlist, baseline, quota=41)
    with pytest.raises(AllowlistError, match="subnet-0nope"):
        network_acl_entries(allowlist, baseline, subnet="subnet-0nope", inventory=inventory)
    assert isinstance(network_acls(allowlist, baseline)[0], NaclPlan)


def test_security_groups_are_split_within_the_rules_per_group_quota(allowlist, inventory):
    """60 rules per security group and 5 groups per interface by default
    (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups)."""
    perms = security_group_egress(allowlist, source=APP[0], inventory=inventory)
    total = rule_count(perms)
    assert fit_security_groups(perms) == [perms] or len(fit_security_groups(perms)) == 1
    groups = fit_security_groups(perms, quota=3)
    assert len(groups) == -(-total // 3) and all(rule_count(g) <= 3 for g in groups)
    flat = sorted(
        (p["IpProtocol"], p["FromPort"], r["CidrIp"])
        for g in groups
        for p in g
        for r in p.get("IpRanges", [])
    )
    assert flat == sorted(
        (p["IpProtocol"], p["FromPort"], r["CidrIp"]) for p in perms for r in p.get("IpRanges", [])
    )
    assert all("_of" not in p for g in groups for p in g)  # ready for authorize_security_group_egress
    with pytest.raises(AllowlistError):
        fit_security_groups(perms, quota=1, per_interface=2)
    report = quota_report({APP[0]: perms}, network_acls(allowlist, make_flows(seed=1), quota=4), sg_quota=3)
    sg = report[report["kind"] == "security group egress (IPv4)"].iloc[0]
    assert sg["rules"] == total and sg["fits"] and "fit_security_groups" in sg["what_to_do"]
    nacl = report[report["kind"].str.startswith("network ACL")]
    assert (nacl.loc[~nacl["fits"], "what_to_do"].str.startswith("security groups only")).all()
