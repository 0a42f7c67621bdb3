"""The ``transit`` scenario: transit gateway flow logs from two VPCs and an on-premises VPN.

What the records must say is AWS's "Transit Gateway Flow Log records" table
(https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records): a flow is recorded
where it enters the transit gateway (ingress at the source attachment, the pair attachment the
destination) and where it leaves (egress, swapped); packets-lost-* count drops. S3 keys:
https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-s3.html; 60-second windows only:
https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-api-cli.html.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowkit
from flowkit.cli import main
from flowkit.errors import ArgumentError, FlowkitError, ScenarioError
from flowkit.layout import parse_key
from flowkit.queries import render
from flowkit.schema import FIELDS, TGW_DEFAULT_FIELDS
from flowkit.simulate import load_scenario
from flowkit.simulate.transit import TransitResult, load_transit, simulate_transit

# 01:00-03:00 UTC on the scenario's Monday: the nightly backup (and its MTU drops over the VPN),
# traceroutes from on premises, calls into a blackhole route and to an address with no route
WINDOW = {"start": "+1h", "days": 2 / 24}
SC = load_transit("transit")
ATT = {a.name: a.id for a in SC.attachments}


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".flowkit")
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[TransitResult, pd.DataFrame, Path]:
    out = tmp_path_factory.mktemp("transit")
    result = flowkit.simulate("transit", seed=5, out=out, **WINDOW)
    return result, flowkit.read_flow_logs(out), out


def test_files_read_back_whole_with_no_rejects(run):
    result, df, out = run
    assert isinstance(result, TransitResult)
    report = df.attrs["report"]
    assert report.rejected_total == 0 and len(df) == result.records > 5_000
    assert list(df.columns) == [FIELDS[n].column for n in TGW_DEFAULT_FIELDS]
    assert set(df.resource_type) == {"TransitGateway"} and set(df.version) == {6}
    assert set(df.tgw_id) == {SC.transit_gateway} and set(df.account_id) == {SC.account}
    # the reader gives what the simulator kept in memory, record for record
    pd.testing.assert_frame_equal(df.reset_index(drop=True), result.flows.reset_index(drop=True))
    # one object per 5 minutes, at the vpcflowlogs keys of the flow log's owner
    assert len(result.files) == 24
    for path in result.files:
        key = parse_key(path.relative_to(out).as_posix())
        assert (key.account_id, key.region, key.flow_log_id) == (SC.account, SC.region, SC.flow_log_id)
        assert path.name.endswith(".log.gz")
    assert (df.end - df.start).between(0, 60).all() and ((df.start // 60) == ((df.end - 1) // 60)).all()


def test_each_flow_enters_at_its_source_and_leaves_at_its_pair(run):
    _, df, _ = run
    ok = df[df.log_status == "OK"]
    ingress, egress = ok[ok.flow_direction == "ingress"], ok[ok.flow_direction == "egress"]
    key = ["srcaddr", "dstaddr", "srcport", "dstport", "protocol", "start"]
    through = ingress[ingress.tgw_pair_attachment_id.notna()]
    lost = (
        through.packets_lost_no_route
        + through.packets_lost_blackhole
        + through.packets_lost_mtu_exceeded
        + through.packets_lost_ttl_expired
    )
    through = through.assign(left=through.packets - lost)[lambda d: d.left > 0]
    pairs = through.merge(egress, on=key, suffixes=("_in", "_out"), validate="one_to_one")
    assert len(pairs) == len(through) == len(egress)  # every egress record has its ingress one
    assert (pairs.tgw_attachment_id_out == pairs.tgw_pair_attachment_id_in).all()
    assert (pairs.tgw_pair_attachment_id_out == pairs.tgw_attachment_id_in).all()
    assert (pairs.packets_out == pairs.left).all() and (pairs.bytes_out <= pairs.bytes_in).all()
    for side in ("src_vpc_id", "dst_vpc_id", "src_eni", "dst_az_id"):
        a, b = pairs[f"tgw_{side}_in"], pairs[f"tgw_{side}_out"]
        assert ((a == b) | (a.isna() & b.isna())).all(), side
    # the VPN end has no VPC, subnet, ENI or AZ; a VPC end has all of them, in the attachment's account
    vpn = ok[ok.tgw_attachment_id.eq(ATT["onprem"]) & ok.flow_direction.eq("ingress")]
    assert len(vpn) and vpn[[c for c in df.columns if c.startswith("tgw_src_")]].isna().all().all()
    assert vpn.srcaddr.str.startswith("192.168.").all()
    app = ok[ok.tgw_attachment_id.eq(ATT["app"]) & ok.flow_direction.eq("ingress")]
    assert set(app.tgw_src_vpc_account_id) == {"111122223333"} and set(app.tgw_src_vpc_id) == {
        "vpc-0a11b22c33d44e55f"
    }
    assert set(app.tgw_src_az_id) == {"use1-az1", "use1-az2"}


def test_drops_are_counted_where_the_flow_enters(run):
    result, df, _ = run
    ok = df[df.log_status == "OK"]
    black = ok[ok.packets_lost_blackhole > 0]
    no_route = ok[ok.packets_lost_no_route > 0]
    for dropped, cidr in ((black, "10.99."), (no_route, "172.16.5.")):
        assert len(dropped) and dropped.dstaddr.str.startswith(cidr).all()
        assert (dropped.packets_lost_blackhole + dropped.packets_lost_no_route == dropped.packets).all()
        assert dropped.tgw_pair_attachment_id.isna().all() and dropped.tgw_dst_vpc_id.isna().all()
        assert set(dropped.flow_direction) == {"ingress"} and set(dropped.tcp_flags) == {2}  # SYNs only
        # nothing of those flows leaves the transit gateway
        assert ok.dstaddr.str.startswith(cidr).sum() == len(dropped)
    mtu = ok[ok.packets_lost_mtu_exceeded > 0]
    assert (
        len(mtu)
        and set(mtu.tgw_attachment_id) == {ATT["data"]}
        and set(mtu.tgw_pair_attachment_id) == {ATT["onprem"]}
    )
    assert (mtu.packets_lost_mtu_exceeded < mtu.packets).all()
    ttl = ok[ok.packets_lost_ttl_expired > 0]
    assert len(ttl) and set(ttl.tgw_attachment_id) == {ATT["onprem"]} and set(ttl.protocol) == {17}
    for reason in ("no_route", "blackhole", "mtu_exceeded", "ttl_expired"):
        assert int(df[f"packets_lost_{reason}"].sum()) == result.counts[f"packets_lost_{reason}"] > 0


def _rows(frame: pd.DataFrame) -> list[tuple]:
    def value(v: object) -> object:
        if v is None or v is pd.NA:
            return None
        return round(float(v), 6) if isinstance(v, int | float | Decimal | np.number) else str(v)

    return sorted(
        (tuple(value(v) for v in row) for row in frame.astype(object).itertuples(index=False)), key=repr
    )


def test_the_transit_gateway_questions_answer_on_the_scenario(run):
    _, df, out = run
    ok = df[(df.log_status == "OK") & (df.flow_direction == "ingress")]
    with flowkit.connect(out) as engine:
        traffic = engine.query("tgw_traffic_between_attachments", limit=100)
        lost = engine.query("tgw_packets_lost")
        for name, frame, params in (
            ("tgw_traffic_between_attachments", traffic, {"limit": 100}),
            ("tgw_packets_lost", lost, {}),
        ):
            twin = engine.insights(render(name, "insights", **params))
            assert _rows(twin) == _rows(frame), name  # the Logs Insights twin agrees with the SQL
    # every direction between the three attachments, plus the drops with no pair; each flow once
    pairs = set(zip(traffic.from_attachment, traffic.to_attachment, strict=True))
    app, data, onprem = ATT["app"], ATT["data"], ATT["onprem"]
    assert {(app, data), (data, app), (app, onprem), (onprem, app), (data, onprem), (app, "-")} <= pairs
    assert traffic.flows.sum() == len(ok) and traffic.bytes.sum() == ok.bytes.sum()
    assert traffic.bytes.is_monotonic_decreasing
    # at night the backup to on premises is the biggest sender
    assert (traffic.from_attachment.iloc[0], traffic.to_attachment.iloc[0]) == (data, onprem)
    by = lost.set_index("tgw_attachment_id")
    assert set(by.index) == {app, data, onprem}
    assert by.loc[app, "blackhole"] > 0 and by.loc[app, "no_route"] > 0 and by.loc[app, "mtu_exceeded"] == 0
    assert by.loc[data, "mtu_exceeded"] > 0 and by.loc[onprem, "ttl_expired"] > 0
    assert lost.lost.tolist() == sorted(lost.lost, reverse=True)


def test_the_same_seed_gives_the_same_bytes(run, tmp_path):
    _, _, out = run
    again = simulate_transit("transit", seed=5, out=tmp_path / "again", **WINDOW)
    first, second = _files(out), _files(again.out)
    assert list(first) == list(second) and first == second
    other = simulate_transit("transit", seed=6, out=tmp_path / "other", **WINDOW)
    assert _files(other.out) != first


def test_parquet_holds_the_same_records(run, tmp_path):
    result, df, _ = run
    pq = flowkit.simulate(
        "transit", seed=5, out=tmp_path, file_format="parquet", compression="gzip", **WINDOW
    )
    assert all(p.name.endswith(".log.parquet") for p in pq.files) and len(pq.files) == len(result.files)
    back = flowkit.read_flow_logs(tmp_path)
    assert back.attrs["report"].rejected_total == 0
    pd.testing.assert_frame_equal(back.reset_index(drop=True), df.reset_index(drop=True))


def test_a_custom_format_and_a_clean_period():
    fields = [
        "tgw-attachment-id",
        "tgw-pair-attachment-id",
        "flow-direction",
        "packets",
        "packets-lost-blackhole",
    ]
    result = simulate_transit(log_format=fields, anomalies=False, **WINDOW)
    assert list(result.flows.columns) == [FIELDS[n].column for n in fields]
    assert result.flows.packets_lost_blackhole.fillna(0).eq(0).all()
    assert result.counts["packets_lost_blackhole"] == result.counts["packets_lost_mtu_exceeded"] == 0


def test_what_it_cannot_do_is_refused_by_name(tmp_path):
    with pytest.raises(ArgumentError, match="records= is not supported for a transit scenario"):
        flowkit.simulate("transit", records=1000)
    with pytest.raises(ArgumentError, match="60 seconds, the only value AWS accepts"):
        flowkit.simulate("transit", aggregation_interval=600)
    with pytest.raises(ArgumentError, match="transit gateway flow logs do not have: instance-id"):
        flowkit.simulate("transit", log_format="${srcaddr} ${instance-id}")
    with pytest.raises(ArgumentError, match="does not write CloudWatch Logs events"):
        flowkit.simulate("transit", file_format="cloudwatch")
    with pytest.raises(ScenarioError, match="a transit gateway scenario"):
        load_scenario("transit")
    text = (Path(flowkit.simulate.transit.SCENARIO_DIR) / "transit.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace(
            "from: onprem, to: app, protocol: tcp, port: 443",
            "from: onprem, to: office, protocol: tcp, port: 443",
        )
    )
    with pytest.raises(
        ScenarioError,
        match=r"broken.yaml.traffic\[2\].to: no attachment 'office'; allowed: app, data, onprem",
    ):
        flowkit.simulate(broken)
    broken.write_text(text.replace("protocol: udp, port: 53", "protocol: gre, port: 53"))
    with pytest.raises(FlowkitError, match=r"traffic\[3\].protocol: 'gre'; allowed: tcp, udp, icmp"):
        simulate_transit(broken)
    for change, message in (
        (
            ("  - {name: app reads the cache,", "  - {name: app reads the cache, rtae: 5,"),
            r"traffic\[1\].rtae: not a key here",
        ),
        (
            ("rate: 900,", "rate: 1.0e+9,"),
            r"traffic\[0\].rate: 1000000000.0; allowed: a number from 0 to 3,600,000",
        ),
        (("rate: 900,", "rate: .nan,"), r"traffic\[0\].rate: nan"),
        (("rate: 900,", "rate: 3000000,"), "over the limit of 2,000 .*lower the rates"),
        (
            ("sources: 6, targets: 2, bytes_out: 2400", "sources: 0, targets: 2, bytes_out: 2400"),
            "a whole number from 1",
        ),
        (
            ("az_id: use1-az1, eni: eni-0a1b", "az: use1-az1, eni: eni-0a1b"),
            r"subnets\[0\].az: not a key here",
        ),
    ):
        broken.write_text(text.replace(*change, 1))
        with pytest.raises(ScenarioError, match=message):
            simulate_transit(broken, out=tmp_path / "out")
    with pytest.raises(ArgumentError, match="pass out="):
        simulate_transit(keep_flows=False)
    assert not (tmp_path / "out").exists() and not any(tmp_path.glob("AWSLogs"))


def test_hive_layout_keys(tmp_path):
    result = flowkit.simulate("transit", out=tmp_path, layout="hive-hourly", days=0.01)
    keys = [parse_key(p.relative_to(tmp_path).as_posix()) for p in result.files]
    assert {(k.layout, k.account_id, k.hour) for k in keys} == {("hive-hourly", SC.account, "00")}
    assert "aws-service=vpcflowlogs" in result.files[0].as_posix()
    assert len(flowkit.read_flow_logs(tmp_path)) == result.records


def test_the_cli_runs_it(tmp_path, capsys):
    assert main(["simulate", "--scenario", "transit", "--out", str(tmp_path), "--days", "0.01"]) == 0
    said = capsys.readouterr().out
    assert "transit (seed 7)" in said and "transit gateway records" in said and "ingress" in said
    assert flowkit.read_flow_logs(tmp_path).attrs["report"].rejected_total == 0
