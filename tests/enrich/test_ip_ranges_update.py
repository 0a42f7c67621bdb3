"""Refreshing the ip-ranges extract (`update_ip_ranges`, `flowkit ip-ranges`) and saying what it covers.

The document shape is AWS's, as published in "AWS IP address ranges", syntax:
https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-syntax.html (syncToken, createDate
``yyyy-mm-dd-hh-mm-ss``, prefixes with ip_prefix/region/network_border_group/service, ipv6_prefixes).
No test touches the network: the "download" is a ``file://`` URL.
"""

from __future__ import annotations

import json

import pytest

from flowkit.cli import main
from flowkit.enrich import ip_ranges_coverage, load_ip_ranges, update_ip_ranges
from flowkit.errors import IpRangesError, IpRangesUnreachable

PUBLISHED = {
    "syncToken": "1733340000",
    "createDate": "2024-12-04-19-20-00",
    "prefixes": [
        {"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "network_border_group": "ap-northeast-2",
         "service": "AMAZON"},
        {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "network_border_group": "us-east-1",
         "service": "S3"},
        {"ip_prefix": "52.216.0.0/15", "region": "us-east-1", "network_border_group": "us-east-1",
         "service": "AMAZON"},
        {"ip_prefix": "13.34.37.64/27", "region": "ap-southeast-4", "network_border_group": "ap-southeast-4",
         "service": "AMAZON"},
        {"ip_prefix": "54.231.0.0/16", "region": "us-east-1", "network_border_group": "us-east-1",
         "service": "S3"},
    ],
    "ipv6_prefixes": [
        {"ipv6_prefix": "2600:1f18::/33", "region": "us-east-1", "network_border_group": "us-east-1",
         "service": "EC2"},
    ],
}  # fmt: skip


@pytest.fixture
def published(tmp_path):
    path = tmp_path / "ip-ranges.json"
    path.write_text(json.dumps(PUBLISHED), encoding="utf-8")
    return path.as_uri()


def test_update_keeps_the_regions_and_services_asked_for_and_says_so(published, tmp_path):
    out = tmp_path / "extract.json"
    ranges = update_ip_ranges(published, out, regions=["us-east-1"], services=["S3"])
    assert sorted(ranges.prefixes["prefix"].astype(str)) == ["52.216.0.0/15", "54.231.0.0/16"]
    assert ranges.create_date.strftime("%Y-%m-%d %H:%M") == "2024-12-04 19:20"
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["syncToken"] == "1733340000" and "EXTRACT, not the full file" in written["_flowkit_note"]
    coverage = ip_ranges_coverage(load_ip_ranges(out)).set_index("field")["value"]
    assert coverage["regions"] == "us-east-1" and coverage["services"] == "S3"
    assert coverage["published"] == "2024-12-04 19:20 UTC" and coverage["prefixes"] == "2 IPv4, 0 IPv6"


def test_update_by_default_keeps_what_the_current_extract_covers(published, tmp_path):
    out = tmp_path / "extract.json"
    update_ip_ranges(published, out, regions=["us-east-1"], services=["S3", "EC2"])
    again = update_ip_ranges(published, out)  # same Regions and services as the file it replaces
    assert set(again.prefixes["region"]) == {"us-east-1"}
    assert len(again.prefixes) == 3  # the two S3 prefixes and the EC2 IPv6 one
    everything = update_ip_ranges(published, tmp_path / "all.json", everything=True)
    assert len(everything.prefixes) == 6


def test_update_offline_says_so_and_keeps_the_old_file(published, tmp_path):
    out = tmp_path / "extract.json"
    update_ip_ranges(published, out, regions=["us-east-1"], services=["S3"])
    before = out.read_bytes()
    missing = (tmp_path / "nowhere.json").as_uri()
    with pytest.raises(
        IpRangesUnreachable, match=r"offline\? .*extract.json is unchanged \(published 2024-12-04\)"
    ):
        update_ip_ranges(missing, out)
    assert out.read_bytes() == before


def test_update_refuses_a_broken_document_or_an_empty_filter_and_writes_nothing(tmp_path):
    out = tmp_path / "extract.json"
    broken = tmp_path / "broken.json"
    broken.write_text('{"prefixes": [', encoding="utf-8")
    with pytest.raises(IpRangesError):
        update_ip_ranges(broken.as_uri(), out, regions=["us-east-1"], services=["S3"])
    good = tmp_path / "good.json"
    good.write_text(json.dumps(PUBLISHED), encoding="utf-8")
    with pytest.raises(IpRangesError, match="no prefix"):
        update_ip_ranges(good.as_uri(), out, regions=["eu-north-1"], services=["S3"])
    with pytest.raises(IpRangesError, match="pass them"):
        update_ip_ranges(good.as_uri(), out)  # no current extract to take Regions and services from
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json", "good.json"]


def test_the_shipped_extract_says_it_is_a_subset():
    coverage = ip_ranges_coverage().set_index("field")["value"]
    assert coverage["kind"] == "flowkit's pinned extract (a subset)"
    assert coverage["source"] == "flowkit/data/ip-ranges-extract.json" and coverage["published"] != "unknown"


def test_cli_update_and_show(published, tmp_path, capsys):
    out = tmp_path / "extract.json"
    args = ["ip-ranges", "update", "--url", published, "--out", str(out), "--region", "us-east-1"]
    assert main([*args, "--service", "S3"]) == 0
    assert f"wrote {out}: 2 prefixes, published 2024-12-04 19:20 UTC" in capsys.readouterr().out
    assert main(["ip-ranges", "show", "--file", str(out), "--output", "csv"]) == 0
    shown = capsys.readouterr().out
    assert "regions,us-east-1" in shown and "services,S3" in shown
    before = out.read_bytes()
    missing = (tmp_path / "nowhere.json").as_uri()
    assert main(["ip-ranges", "update", "--url", missing, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("flowkit ip-ranges: cannot fetch") and "unchanged" in err
    assert out.read_bytes() == before
