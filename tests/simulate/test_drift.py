"""Drift: the workshop environment changes after day 1 as real ones do, and day 1 stays exactly as it was.

A baseline from days 1-3 must meet new expected traffic on day 7 (issue 17): rotating CDN and S3 addresses inside
their published ranges, a partner's new address, a dependency a deploy adds, a week's volume. Each change is
asserted on the records, with the labels saying it is expected.
"""

from __future__ import annotations

import copy
import ipaddress

import pandas as pd
import pytest
import yaml

from flowkit.enrich import lookup_aws_service
from flowkit.errors import ScenarioError
from flowkit.simulate import change_log, label_flows, load_scenario, simulate
from flowkit.simulate.scenario import SCENARIO_DIR

FASTLY = [ipaddress.ip_network("151.101.0.0/16"), ipaddress.ip_network("199.232.0.0/16")]
PARTNER_OLD, PARTNER_NEW, GEO = "52.13.128.40", "54.189.44.18", "44.210.97.35"


@pytest.fixture(scope="module")
def week():
    """Days 1 to 7 of the workshop environment, clean, with its labels."""
    result = simulate("workshop", seed=7, days=7, anomalies=False)
    flows = result.flows[result.flows["log_status"] == "OK"]
    day = (flows["start"] - int(pd.Timestamp("2026-11-02", tz="UTC").timestamp())) // 86400 + 1
    return flows.assign(day=day.to_numpy()), result.labels


def _destinations(flows: pd.DataFrame) -> pd.Series:
    return flows["pkt_dstaddr"].fillna(flows["dstaddr"])


def test_day_one_is_the_same_with_and_without_drift():
    drifting = simulate("workshop", seed=7, days=1).flows
    still = simulate("workshop", seed=7, days=1, drift=False).flows
    pd.testing.assert_frame_equal(drifting, still)


def test_the_package_cdn_rotates_inside_its_published_ranges(week):
    flows, _ = week
    destinations = _destinations(flows)
    mirrors = destinations.map(lambda a: any(ipaddress.ip_address(a) in n for n in FASTLY))
    by_day = {d: set(destinations[mirrors & (flows["day"] == d)]) for d in range(1, 8)}
    assert by_day[7] - (by_day[1] | by_day[2] | by_day[3]), "day 7 answers from edges days 1-3 never saw"
    assert by_day[1] - by_day[7], "and no longer from some of the old ones"


def test_s3_answers_from_new_addresses_that_are_still_s3(week):
    flows, _ = week
    s3 = flows[flows["pkt_dst_aws_service"] == "S3"]
    first, seventh = (set(_destinations(s3[s3["day"] == d])) for d in (1, 7))
    new = sorted(seventh - first)
    assert len(new) >= 5
    assert set(lookup_aws_service(new)["service"]) == {"S3"}  # inside AWS's published S3 prefixes


def test_the_partner_moves_an_endpoint_on_day_six(week):
    flows, labels = week
    partner = flows[_destinations(flows).isin([PARTNER_OLD, PARTNER_NEW])]
    days = partner.groupby(_destinations(partner))["day"].agg(["min", "max"])
    assert days.loc[PARTNER_OLD, "max"] == 5 and days.loc[PARTNER_NEW, "min"] == 6
    found = lookup_aws_service([PARTNER_NEW])
    assert (found["service"].iloc[0], found["region"].iloc[0]) == ("EC2", "us-west-2")
    assert set(label_flows(partner, labels).dropna()) == {"expected:partner-api"}


def test_the_day_five_deploy_adds_a_dependency_on_port_8443(week):
    flows, labels = week
    geo = flows[_destinations(flows) == GEO]
    first = pd.Timestamp(geo["start"].min(), unit="s", tz="UTC")
    assert first >= pd.Timestamp("2026-11-06T14:00", tz="UTC") and first < pd.Timestamp(
        "2026-11-06T15:00", tz="UTC"
    )
    assert set(geo["dstport"].dropna()) <= {8443} | set(range(32768, 61000))
    assert set(label_flows(geo, labels).dropna()) == {"expected:geo-api"}


def test_the_users_follow_the_week(week):
    flows, _ = week
    users = flows[(flows["dstport"] == 443) & flows["dstaddr"].isin(["10.32.0.50", "10.32.2.50"])]
    per_day = users.groupby("day").size()
    assert per_day[6] < 0.8 * per_day[5] and per_day[7] < 0.7 * per_day[1]  # the weekend is quieter
    assert per_day[5] > per_day[1]  # and the week grows


def test_drift_off_keeps_day_one_for_every_day():
    seventh = simulate("workshop", seed=7, start="+6d", days=1, drift=False).flows
    destinations = set(_destinations(seventh).dropna())
    assert PARTNER_OLD in destinations and PARTNER_NEW not in destinations and GEO not in destinations


def test_the_change_log_lists_what_is_expected_and_never_the_anomalies():
    log = change_log(load_scenario("workshop"))
    assert [(e["day"], e["destinations"]) for e in log] == [
        (2, ["151.101.0.0/16", "199.232.0.0/16"]),
        (5, [f"{GEO}/32"]),
        (6, [f"{PARTNER_NEW}/32"]),
    ]
    assert all(e["why"] for e in log) and not any("exfiltration" in e["change"] for e in log)


def test_an_anomaly_can_start_later_too():
    sixth, seventh = (simulate("workshop", seed=7, start=f"+{d}d", days=1) for d in (5, 6))
    names = [set(label_flows(r.flows, r.labels).dropna()) for r in (sixth, seventh)]
    assert "anomaly:s3-exfiltration" not in names[0] and "anomaly:s3-exfiltration" in names[1]


def _workshop() -> dict:
    return yaml.safe_load((SCENARIO_DIR / "workshop.yaml").read_text())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            lambda d: d["drift"]["rotate"][0].update(network="nowhere"),
            "drift.rotate[0].network: no network 'nowhere'",
            id="unknown-network",
        ),
        pytest.param(
            lambda d: d["drift"]["readdress"][0].update(address="1.2.3.4"),
            "drift.readdress[0].address: 1.2.3.4 is not an address of network 'partner-api'",
            id="readdress-unknown-address",
        ),
        pytest.param(
            lambda d: d["drift"]["traffic"][0].update(from_day=1),
            "drift.traffic[0].from_day: 1 is out of range",
            id="from-day-one",
        ),
        pytest.param(
            lambda d: d["drift"]["volume"].update(weekly=[1, 1]),
            "drift.volume.weekly: 2 factors; allowed: seven factors, Monday to Sunday",
            id="weekly-not-seven",
        ),
        pytest.param(
            lambda d: d["drift"].update(colour="blue"), "drift.colour: unknown key", id="unknown-key"
        ),
        pytest.param(
            lambda d: d["drift"]["networks"].update({"s3": {"addresses": ["1.2.3.4"]}}),
            "drift.networks.s3: the name is already used under networks",
            id="network-twice",
        ),
    ],
)
def test_bad_drift_sections_name_the_key(tmp_path, change, expected):
    document = copy.deepcopy(_workshop())
    change(document)
    path = tmp_path / "drifting.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert expected in str(info.value)
