"""Tests for flowkit.enrich: names, scope, direction, AWS ranges and the CIDR index."""

from __future__ import annotations

import ipaddress
import json
import random

import numpy as np
import pandas as pd
import pytest
from decide_fixtures import APP, DB, WEB, make_flows

from flowkit.enrich import (
    PrefixIndex,
    add_address_scope,
    add_aws_service,
    add_direction,
    add_protocol_names,
    add_service_names,
    add_tcp_flag_names,
    enrich,
    load_ip_ranges,
    lookup_aws_service,
    parse_ip_ranges,
    protocol_number,
)
from flowkit.enrich.direction import src_is_client
from flowkit.errors import FlowkitError, IpRangesError

VPC = ["10.0.0.0/16"]


def test_protocol_and_service_names_do_not_modify_the_input():
    flows = make_flows(hours=1)
    before = flows.copy()
    out = add_service_names(add_protocol_names(flows))
    pd.testing.assert_frame_equal(flows, before)
    https = out[(out["dstport"] == 443) & (out["protocol"] == 6)]
    assert set(https["dstport_service"]) == {"https"}
    assert set(out.loc[out["protocol"] == 17, "protocol_name"]) == {"UDP"}
    assert out.loc[out["dstport"] == 53, "dstport_service"].iloc[0] == "domain"
    assert out.loc[out["srcport"] > 32767, "srcport_service"].isna().all()


def test_protocol_number_accepts_names_numbers_and_refuses_nonsense():
    assert protocol_number("TCP") == 6 and protocol_number(17) == 17 and protocol_number("gre") == 47
    with pytest.raises(FlowkitError, match="unknown protocol"):
        protocol_number("tcpp")
    with pytest.raises(FlowkitError, match="out of range"):
        protocol_number(300)


def test_tcp_flag_names():
    frame = pd.DataFrame({"tcp_flags": pd.array([2, 18, 19, 4, None], dtype="Int32")})
    names = add_tcp_flag_names(frame)["tcp_flag_names"].tolist()
    assert names[:4] == ["SYN", "SYN,ACK", "FIN,SYN,ACK", "RST"]
    assert pd.isna(names[4])


def test_address_scope_ipv4_and_ipv6():
    addresses = [
        "10.1.2.3",
        "172.20.0.1",
        "192.168.1.1",
        "100.64.0.9",
        "169.254.169.254",
        "169.254.169.123",
        "10.0.0.2",
        "127.0.0.1",
        "224.0.0.251",
        "8.8.8.8",
        "fd00:ec2::254",
        "fe80::1",
        "2600:1f18::1",
        "ff02::1",
        "::1",
        "not-an-ip",
        None,
    ]
    frame = pd.DataFrame({"srcaddr": addresses, "dstaddr": addresses})
    out = add_address_scope(frame, vpc_cidrs=VPC)
    scope = out["srcaddr_scope"].astype(object).where(out["srcaddr_scope"].notna(), None).tolist()
    assert scope == [
        "private",
        "private",
        "private",
        "cgnat",
        "link-local",
        "link-local",
        "private",
        "loopback",
        "multicast",
        "public",
        "private",
        "link-local",
        "public",
        "multicast",
        "loopback",
        None,
        None,
    ]
    names = dict(zip(addresses, out["dstaddr_name"], strict=True))
    assert names["169.254.169.254"] == "instance-metadata"
    assert names["169.254.169.123"] == "amazon-time-sync"
    assert names["10.0.0.2"] == "vpc-dns-resolver"
    assert names["fd00:ec2::254"] == "instance-metadata"
    assert pd.isna(names["8.8.8.8"])


def test_direction_and_roles_on_request_and_response():
    flows = make_flows(hours=1)
    out = add_direction(flows, vpc_cidrs=VPC)
    s3 = out[(out["dstaddr"] == "52.216.8.11") | (out["srcaddr"] == "52.216.8.11")]
    assert set(s3["direction"]) <= {"outbound", "inbound"} and len(set(s3["direction"])) == 2
    assert set(s3["connection_direction"]) == {"outbound"}
    assert set(s3["service_port"]) == {443}
    requests = s3[s3["srcaddr"] == APP[1]]
    assert set(requests["src_role"]) == {"client"}
    web_in = out[(out["dstaddr"] == WEB[1]) & (out["dstport"] == 443)]
    assert set(web_in["connection_direction"]) == {"inbound"}
    internal = out[(out["srcaddr"] == APP[1]) & (out["dstaddr"] == DB[1])]
    assert set(internal["direction"]) == {"internal"}


def test_roles_from_ports_and_flags():
    src = np.array([51000, 443, 8080, 3000, 20000, 0])
    dst = np.array([443, 51000, 40000, 3000, 20001, 0])
    flags = np.array([2, 18, 0, 2, 0, 0])
    # client, server, server (8080 named), client (tie, SYN), server (lower port), unknown
    assert src_is_client(src, dst, flags).tolist() == [1, 0, 0, 1, 0, -1]


def test_aws_service_lookup_prefers_specific_services():
    found = lookup_aws_service(
        [
            "52.216.8.1",
            "3.5.1.9",
            "34.200.1.1",
            "205.251.193.5",
            "13.32.5.5",
            "10.0.0.1",
            "2600:9000:5300::1",
            "2600:1f18::5",
        ]
    )
    assert found["service"].tolist()[:5] == ["S3", "S3", "EC2", "ROUTE53", "CLOUDFRONT"]
    assert pd.isna(found["service"].iloc[5])
    assert found["service"].tolist()[6:] == ["ROUTE53", "EC2"]
    assert found["region"].tolist()[:3] == ["us-east-1", "us-east-1", "us-east-1"]
    out = add_aws_service(make_flows(hours=1))
    assert set(out.loc[out["dstaddr"] == "52.94.0.17", "dstaddr_aws_service"]) == {"DYNAMODB"}


def test_shipped_extract_is_documented_as_an_extract():
    ranges = load_ip_ranges()
    assert ranges.sync_token and ranges.create_date.tzinfo is not None
    assert {"S3", "EC2", "CLOUDFRONT", "ROUTE53", "AMAZON", "DYNAMODB"} <= set(ranges.services)
    with open(ranges.source) as handle:
        assert "EXTRACT" in json.load(handle)["_flowkit_note"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{not json", "does not parse as JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"syncToken": "1"}', "no 'prefixes' list"),
        (
            '{"prefixes": [{"ip_prefix": "52.216.0.0/15", "region": "us-east-1"}]}',
            r"prefixes\[0\] has no service",
        ),
        ('{"prefixes": [{"ip_prefix": "52.216.0.1/15", "region": "r", "service": "S3"}]}', "is not a CIDR"),
        (
            '{"prefixes": [], "ipv6_prefixes": [{"ipv6_prefix": "zz::/8", "region": "r", "service": "S3"}]}',
            r"ipv6_prefixes\[0\]",
        ),
    ],
)
def test_refused_ip_ranges_say_why(document, reason, tmp_path):
    path = tmp_path / "ip-ranges.json"
    path.write_text(document)
    with pytest.raises(IpRangesError, match=reason) as info:
        load_ip_ranges(path)
    assert str(path) in str(info.value)


def test_missing_ip_ranges_file():
    with pytest.raises(IpRangesError, match="could not read"):
        load_ip_ranges("/nonexistent/ip-ranges.json")


def test_prefix_index_matches_the_ipaddress_module_on_random_data():
    rnd = random.Random(3)
    networks = []
    for _ in range(300):
        length = rnd.choice([8, 12, 16, 20, 24, 28, 32])
        networks.append(str(ipaddress.ip_network((rnd.getrandbits(32), length), strict=False)))
    networks += ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "2001:db8::/32", "2001:db8:1::/48"]
    index = PrefixIndex(networks)
    parsed = [ipaddress.ip_network(n) for n in networks]
    addresses = [str(ipaddress.ip_address(rnd.getrandbits(32))) for _ in range(2000)]
    addresses += ["10.1.2.3", "10.1.9.9", "10.9.9.9", "2001:db8:1::5", "2001:db8:2::5", "::1"]
    got = index.lookup(addresses)
    for address, hit in zip(addresses, got, strict=True):
        ip = ipaddress.ip_address(address)
        covering = [i for i, n in enumerate(parsed) if n.version == ip.version and ip in n]
        best = max(covering, key=lambda i: (parsed[i].prefixlen, i)) if covering else -1
        assert hit == best, address
    assert got[-6:].tolist() == [
        len(networks) - 3,
        len(networks) - 4,
        len(networks) - 5,
        len(networks) - 1,
        len(networks) - 2,
        -1,
    ]


def test_enrich_applies_everything():
    out = enrich(make_flows(hours=1), vpc_cidrs=VPC)
    for column in (
        "protocol_name",
        "dstport_service",
        "tcp_flag_names",
        "srcaddr_scope",
        "direction",
        "dstaddr_aws_service",
    ):
        assert column in out


def test_parse_ip_ranges_accepts_a_full_size_document_fast_enough_to_build():
    doc = {
        "syncToken": "1",
        "createDate": "2026-01-01-00-00-00",
        "prefixes": [
            {"ip_prefix": f"{a}.{b}.0.0/16", "region": "us-east-1", "service": "EC2"}
            for a in range(3, 50)
            for b in range(0, 200)
        ],
    }
    ranges = parse_ip_ranges(json.dumps(doc))
    assert len(ranges.prefixes) == 47 * 200
    assert lookup_aws_service(["4.5.6.7", "60.0.0.1"], ranges)["service"].tolist()[0] == "EC2"


def test_missing_columns_are_named():
    frame = pd.DataFrame({"srcaddr": ["10.0.0.1"]})
    with pytest.raises(FlowkitError, match=r"add_address_scope needs the flow-log column.*dstaddr"):
        add_address_scope(frame)
    with pytest.raises(FlowkitError, match=r"add_direction needs .*dstaddr, srcport, dstport"):
        add_direction(frame)
    with pytest.raises(FlowkitError, match=r"add_protocol_names needs .*protocol"):
        add_protocol_names(frame)


def test_a_binary_ip_ranges_file_is_refused(tmp_path):
    path = tmp_path / "ip-ranges.json"
    path.write_bytes(b"\x1f\x8b\x08\x00\xbc\xff\xfe")
    with pytest.raises(IpRangesError, match="not UTF-8 text"):
        load_ip_ranges(path)
