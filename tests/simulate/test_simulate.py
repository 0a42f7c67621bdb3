"""The simulator: layout, determinism, realism rules, labels, formats, scenario errors, CLI."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import flowkit
from flowkit.cli import main
from flowkit.errors import FlowkitError, ScenarioError
from flowkit.read import read_flow_logs
from flowkit.schema import FIELDS, fields_up_to
from flowkit.simulate import explain_rejects, label_flows, load_scenario, read_labels, simulate
from flowkit.simulate.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
NAT_ENI = "eni-0f1e2d3c4b5a69870"
LEGACY_ENI = "eni-0123456789000000"
BASTION_ENI = "eni-1234567890000000"


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> tuple[object, pd.DataFrame, Path]:
    """One day of the workshop scenario, seed 7 (the bundled sample's arguments), read back."""
    out = tmp_path_factory.mktemp("workshop")
    result = simulate("workshop", seed=7, days=1, out=out)
    flows = read_flow_logs(out, errors="skip")
    return result, flows, out


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def test_regenerating_the_sample_gives_the_same_bytes(day):
    _, _, out = day
    committed, regenerated = _files(SAMPLE), _files(out)
    assert sorted(committed) == sorted(regenerated), "file set differs: run `make data` and commit"
    changed = [name for name in committed if committed[name] != regenerated[name]]
    assert not changed, f"{len(changed)} files differ, e.g. {changed[:3]}: run `make data` and commit"
    assert sum(len(b) for b in committed.values()) < 10_000_000


def test_layout_names_and_header(day):
    _, _, out = day
    logs = sorted((out / "AWSLogs").rglob("*.log.gz"))
    assert len(logs) == 288  # one file per 5 minutes
    first = logs[0]
    assert first.relative_to(out).parts[:7] == (
        "AWSLogs", "111122223333", "vpcflowlogs", "us-east-1", "2026", "11", "02",
    )  # fmt: skip
    assert first.name.startswith("111122223333_vpcflowlogs_us-east-1_fl-0a32f10c5e0d1e7a9_20261102T0000Z_")
    assert first.name.endswith(".log.gz") and len(first.name.split("_")[-1]) == len("0123abcd.log.gz")
    raw = first.read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0
    lines = gzip.decompress(raw).decode().splitlines()
    assert lines[0] == " ".join(f.name for f in fields_up_to(5))
    assert all(line.split()[0] == "5" for line in lines[1:])  # version = record_version of a v5 format
    for path in logs[:20]:  # the file's stamp covers the records whose end falls in its 5 minutes
        stamp = pd.Timestamp(path.name.split("_")[4], tz="UTC").timestamp()
        ends = [
            int(line.split()[11]) for line in gzip.decompress(path.read_bytes()).decode().splitlines()[1:]
        ]
        assert all(stamp <= e < stamp + 300 for e in ends)
    assert (out / "labels.csv").read_text().startswith("srcaddr,dstaddr,dstport,protocol,label\n")


def test_reader_reads_everything_back(day):
    result, flows, _ = day
    report = flows.attrs["report"]
    assert report.rejected_total == 0 and report.parsed == result.records == len(flows)
    pd.testing.assert_frame_equal(result.flows.reset_index(drop=True), flows.reset_index(drop=True))


def test_another_seed_gives_other_data(tmp_path):
    a = simulate("workshop", seed=7, days=0.05)
    b = simulate("workshop", seed=8, days=0.05)
    assert not a.flows.equals(b.flows)


def test_every_nat_record_has_a_matching_instance_record(day):
    _, flows, _ = day
    ok = flows[flows.log_status == "OK"].copy()
    ok["window"] = ok["start"] // 60
    nat = ok[ok.interface_id == NAT_ENI]
    inst = ok[ok.interface_id != NAT_ENI]
    assert len(nat) > 1000
    nat_ip = "10.32.0.100"
    # the NAT's VPC side: pkt-* are the instance and the server, exactly as on the instance ENI
    src_inside = nat.pkt_srcaddr.str.startswith("10.32.") & (nat.pkt_srcaddr != nat_ip)
    dst_inside = nat.pkt_dstaddr.str.startswith("10.32.") & (nat.pkt_dstaddr != nat_ip)
    inner = nat[src_inside | dst_inside]
    keys = ["pkt_srcaddr", "pkt_dstaddr", "srcport", "dstport", "window"]
    inst_keys = inst[["srcaddr", "dstaddr", "srcport", "dstport", "window"]].set_axis(keys, axis=1)
    matched = inner[keys].merge(inst_keys.drop_duplicates(), how="left", on=keys, indicator=True)
    assert (matched["_merge"] == "both").all()
    # the NAT's internet side (srcaddr or dstaddr is the NAT's own address, pkt-* too): same server and
    # service port, same window, on an instance ENI
    outer = nat[(nat.pkt_srcaddr == nat_ip) | (nat.pkt_dstaddr == nat_ip)]
    assert len(inner) + len(outer) == len(nat)
    assert (outer.srcaddr == outer.pkt_srcaddr).all() and (outer.dstaddr == outer.pkt_dstaddr).all()
    server = outer.dstaddr.where(outer.srcaddr == nat_ip, outer.srcaddr)
    port = outer.dstport.where(outer.srcaddr == nat_ip, outer.srcport)
    probe = pd.DataFrame({"server": server, "port": port, "window": outer.window})
    egress = inst[inst.flow_direction == "egress"]
    seen = pd.DataFrame({"server": egress.dstaddr, "port": egress.dstport, "window": egress.window})
    matched = probe.merge(seen.drop_duplicates(), how="left", on=["server", "port", "window"], indicator=True)
    assert (matched["_merge"] == "both").all()
    # and on the NAT ENI, srcaddr/dstaddr differ from pkt-* on the VPC side
    assert ((inner.srcaddr != inner.pkt_srcaddr) | (inner.dstaddr != inner.pkt_dstaddr)).all()
    assert nat.instance_id.isna().all()


def test_every_reject_is_explained_by_a_rule(day):
    result, flows, _ = day
    reasons = explain_rejects(flows, result.scenario)
    rejected = flows.action.eq("REJECT").fillna(False)
    assert rejected.sum() > 500
    assert (reasons[rejected] != "").all()
    # accepted requests (the direction that opened the connection) are allowed by the rules
    labels = result.labels
    request = (
        flows.merge(
            labels[["srcaddr", "dstaddr", "dstport", "protocol"]].astype(
                {"dstport": "Int32", "protocol": "Int64"}
            ),
            how="left",
            on=["srcaddr", "dstaddr", "dstport", "protocol"],
            indicator=True,
        )["_merge"]
        .eq("both")
        .to_numpy()
    )
    accepted_requests = flows.action.eq("ACCEPT").fillna(False).to_numpy() & request
    assert accepted_requests.sum() > 10_000
    assert (reasons[accepted_requests] == "").all()
    # the guide's CloudWatch example: UDP 11211 from the internet to the public instance, rejected
    memcached = flows[(flows.interface_id == LEGACY_ENI) & (flows.dstport == 11211)]
    assert len(memcached) > 20 and (memcached.action == "REJECT").all() and (memcached.protocol == 17).all()
    assert (memcached.packets == 1).all() and (memcached.bytes == 43).all()
    assert reasons[memcached.index].str.contains("security group 'web-legacy'").all()
    assert reasons[rejected].str.contains("network ACL 'public' inbound rule 90").any()
    # rejected outbound from the VPC, for the guide's third query
    outbound = flows[rejected & flows.srcaddr.str.startswith("10.32.").fillna(False)]
    assert set(outbound.dstport) == {123, 25}


def test_requests_have_responses_and_ephemeral_ports(day):
    _, flows, _ = day
    ok = flows[(flows.log_status == "OK") & (flows.action == "ACCEPT") & (flows.interface_id != NAT_ENI)]
    key = ["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol"]
    swapped = ok.rename(
        columns={"srcaddr": "dstaddr", "dstaddr": "srcaddr", "srcport": "dstport", "dstport": "srcport"}
    )
    both = ok[key].merge(swapped[key].drop_duplicates(), how="left", on=key, indicator=True)
    assert (both["_merge"] == "both").all()
    # our instances open connections from the Linux ephemeral range, to well-known service ports
    egress = flows[(flows.flow_direction == "egress") & (flows.srcaddr == "10.32.10.11")]
    requests = egress[egress.dstport.isin([443, 5432, 123, 22, 25])]
    assert len(requests) > 1000
    assert requests.srcport.between(32768, 60999).all()


def test_packet_and_byte_counts_are_plausible(day):
    _, flows, _ = day
    ok = flows[flows.log_status == "OK"]
    per_packet = ok.bytes / ok.packets
    assert (ok.packets >= 1).all() and per_packet.min() >= 28 and per_packet.max() <= 1500
    upload = ok[(ok.interface_id == "eni-0c0ffee0a0b0c0d01") & (ok.dstaddr == "203.0.113.200")]
    assert upload.packets.sum() > 1_000_000  # ~1.8 GB in full-size segments
    probes = ok[ok.action == "REJECT"]
    assert probes.packets.max() <= 3


def test_tcp_flags_are_ored_per_window(day):
    _, flows, _ = day
    tcp = flows[(flows.protocol == 6) & (flows.log_status == "OK")]
    assert set(tcp.tcp_flags.unique()) <= {0, 1, 2, 3, 4, 6, 18, 19}
    assert {2, 18, 3, 19, 1, 0, 6}.issubset(set(tcp.tcp_flags.unique()))
    # short connections: SYN|FIN from the client, SYN-ACK|FIN from the server
    web = tcp[(tcp.dstport == 443) & tcp.dstaddr.isin(["10.32.0.50", "10.32.2.50"])]
    assert (web.tcp_flags == 3).mean() > 0.8
    # rejected connection attempts are SYNs only
    assert (tcp[tcp.action == "REJECT"].tcp_flags == 2).all()
    # a long connection: SYN in its first window, nothing in between, FIN in its last
    mining = tcp[(tcp.interface_id == "eni-0c0ffee0a0b0c0d02") & (tcp.dstport == 3333)].sort_values("start")
    assert len(mining) > 60
    assert mining.tcp_flags.iloc[0] == 2 and mining.tcp_flags.iloc[-1] == 1
    assert (mining.tcp_flags.iloc[1:-1] == 0).all()
    assert (flows.loc[flows.protocol != 6, "tcp_flags"].dropna() == 0).all()


@pytest.mark.parametrize("interval", [60, 600])
def test_aggregation_windows(interval):
    flows = simulate("workshop", seed=3, days=0.25, aggregation_interval=interval).flows
    ok = flows[flows.log_status == "OK"]
    assert (ok.start // interval == ok.end // interval).all()
    assert (ok.end >= ok.start).all()
    assert (ok.end - ok.start).max() > (interval * 0.8)
    status = flows[flows.log_status != "OK"]
    assert ((status.end - status.start) == interval - 1).all()


def test_nodata_and_skipdata(day):
    _, flows, _ = day
    status = flows[flows.log_status.isin(["NODATA", "SKIPDATA"])]
    assert set(status.log_status) == {"NODATA", "SKIPDATA"}
    traffic_fields = ["srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"]
    assert status[traffic_fields].isna().all().all()
    assert (flows[flows.log_status == "SKIPDATA"].interface_id == NAT_ENI).all()
    # NODATA only where the ENI had no traffic in that window
    ok = flows[flows.log_status == "OK"]
    busy = set(zip(ok.interface_id, ok.start // 60, strict=True))
    nodata = flows[flows.log_status == "NODATA"]
    assert not busy & set(zip(nodata.interface_id, nodata.start // 60, strict=True))


def test_labels_cover_every_flow_and_name_the_anomalies(day):
    result, flows, out = day
    labels = read_labels(out / "labels.csv")
    pd.testing.assert_frame_equal(labels, result.labels.astype(labels.dtypes.to_dict()))
    assert not labels.duplicated(["srcaddr", "dstaddr", "dstport", "protocol"]).any()
    got = label_flows(flows, labels)
    ok = flows.log_status == "OK"
    assert got[ok].notna().all()
    assert got[~ok].isna().all()
    anomalies = set(got[got.str.startswith("anomaly:").fillna(False)])
    assert anomalies == {
        "anomaly:mining-pool", "anomaly:large-upload", "anomaly:public-dns", "anomaly:unexpected-ssh",
        "anomaly:port-scan",
    }  # fmt: skip
    assert set(got[flows.dstaddr.eq("8.8.8.8").fillna(False)]) == {"anomaly:public-dns"}
    # responses carry their request's label; NAT-side records too
    upload = flows[got == "anomaly:large-upload"]
    assert set(upload.interface_id) == {"eni-0c0ffee0a0b0c0d01", NAT_ENI}
    assert upload[upload.srcaddr == "10.32.10.11"].bytes.sum() > 1e9
    assert "expected:admin-ssh" in set(got[flows.interface_id == BASTION_ENI])


def test_labels_work_without_pkt_fields():
    result = simulate("workshop", seed=2, days=0.2, log_format="default")
    assert list(result.flows.columns) == [f.column for f in fields_up_to(2)]
    got = label_flows(result.flows, result.labels)
    assert got[result.flows.log_status == "OK"].notna().all()


def test_the_guides_queries_find_something(day):
    _, flows, _ = day
    q1 = flows[
        (flows.interface_id == BASTION_ENI) & (flows.srcaddr == "10.100.0.10") & (flows.dstport < 1024)
    ]
    assert len(q1) > 50 and set(q1.dstport) == {22}
    q2 = flows[(flows.interface_id == BASTION_ENI) & ~flows.dstaddr.str.startswith("10.32").fillna(True)]
    top = q2.groupby(["dstport", "dstaddr"]).size().sort_values(ascending=False)
    assert top.index[0][0] == 443 and top.index[0][1].startswith("52.")
    assert (443, "11.22.33.44") in top.index and 22 in top.index.get_level_values(0)
    s3 = flows[flows.pkt_dst_aws_service.eq("S3").fillna(False)]
    assert set(s3.traffic_path) == {7} and set(s3.flow_direction) == {"egress"}


def test_anomaly_free_baseline_and_a_later_period():
    clean = simulate("workshop", seed=7, days=0.5, anomalies=False)
    assert not clean.labels.label.str.startswith("anomaly:").any()
    assert not clean.flows.dstaddr.isin(["203.0.113.200", "198.51.100.77"]).any()
    later = simulate("workshop", seed=7, start="+1d", days=0.5)
    assert str(later.start) == "2026-11-03 00:00:00+00:00"
    assert later.flows.start.min() >= pd.Timestamp("2026-11-03", tz="UTC").timestamp()
    assert later.labels.label.str.startswith("anomaly:").any()
    explicit = simulate("workshop", seed=7, start="2026-11-03T00:00:00Z", days=0.1)
    assert explicit.start == later.start


def test_records_scales_the_traffic():
    result = simulate("workshop", seed=7, days=0.5, records=200_000)
    assert 160_000 <= result.records <= 240_000
    assert set(result.labels.label) >= {"anomaly:large-upload", "expected:web-clients"}


def test_parquet_output(tmp_path):
    result = simulate("workshop", seed=7, days=0.1, out=tmp_path, file_format="parquet")
    files = sorted(tmp_path.rglob("*.log.parquet"))
    assert files and files == sorted(result.files)
    schema = pq.read_schema(files[0])
    arrow = {"int32": "int32", "int64": "int64", "string": "string"}
    assert [(n, str(t)) for n, t in zip(schema.names, schema.types, strict=True)] == [
        (f.name, arrow[f.type]) for f in fields_up_to(5)
    ]
    back = read_flow_logs(tmp_path)
    pd.testing.assert_frame_equal(result.flows.reset_index(drop=True), back.reset_index(drop=True))


def test_cloudwatch_output(tmp_path):
    result = simulate("workshop", seed=7, days=0.1, out=tmp_path, file_format="cloudwatch")
    stream = tmp_path / "cloudwatch" / f"{BASTION_ENI}-all.jsonl"
    events = [json.loads(line) for line in stream.read_text().splitlines()]
    assert events and set(events[0]) == {"timestamp", "logStream", "message"}
    assert all(e["logStream"] == f"{BASTION_ENI}-all" for e in events)
    starts = [int(e["message"].split()[10]) for e in events]
    assert [e["timestamp"] for e in events] == [s * 1000 for s in starts] and starts == sorted(starts)
    assert not any(e["message"].startswith("version") for e in events)
    back = read_flow_logs(tmp_path, log_format=result.log_format)
    assert len(back) == result.records


@pytest.mark.parametrize(
    "log_format",
    [
        "${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr}",
        "v8",
        "v11",
        "${version} ${srcaddr} ${dstaddr} ${bytes} ${packets} ${tcp-flags} ${log-status}",
    ],
)
def test_any_log_format(tmp_path, log_format):
    result = simulate("workshop", seed=5, days=0.05, out=tmp_path, log_format=log_format)
    back = read_flow_logs(tmp_path)
    assert back.attrs["report"].rejected_total == 0
    pd.testing.assert_frame_equal(result.flows.reset_index(drop=True), back.reset_index(drop=True))
    if "version" in back:
        expected = {"v8": 8, "v11": 11}.get(log_format, 3)
        assert set(back.version) == {expected}


def test_containers_scenario_has_ecs_fields():
    result = simulate("containers", seed=3, days=1)
    flows = result.flows
    assert list(flows.columns) == [f.column for f in fields_up_to(7)]
    tasks = flows[flows.interface_id.str.startswith("eni-0e2c5f") & flows.log_status.eq("OK")]
    assert tasks.ecs_cluster_name.eq("shop").all() and tasks.ecs_task_id.str.len().eq(32).all()
    assert tasks.ecs_container_instance_id.isna().all()  # Fargate
    others = flows[~flows.interface_id.str.startswith("eni-0e2c5f")]
    assert others.ecs_cluster_arn.isna().all()
    assert set(flows[flows.interface_id == "eni-0e2c5e0000000e001"].account_id) == {"unknown"}
    assert ((flows.end - flows.start)[flows.log_status == "OK"] >= 300).any()  # 600 s windows
    got = label_flows(flows, result.labels)
    assert got[flows.log_status == "OK"].notna().all()
    assert {g for g in got.dropna() if g.startswith("anomaly:")} == {
        "anomaly:reverse-shell", "anomaly:lateral-ssh", "anomaly:data-to-paste-site",
        "anomaly:dns-to-public-resolver",
    }  # fmt: skip
    lateral = flows[got == "anomaly:lateral-ssh"]
    assert "REJECT" in set(lateral.action)
    # the VPC guide's SG-vs-NACL example: the ping is accepted in, its reply rejected on the way out
    pings = flows[(flows.protocol == 1) & (flows.interface_id == "eni-0e2c5db000000d001")]
    assert set(zip(pings.flow_direction, pings.action, strict=True)) == {
        ("ingress", "ACCEPT"),
        ("egress", "REJECT"),
    }
    assert (pings.srcport == 0).all() and (pings.dstport == 0).all()
    same = pings.pivot_table(index="end", columns="flow_direction", values="bytes", aggfunc="count")
    assert (same["ingress"] == same["egress"]).all()  # request and rejected reply share their end time
    reasons = explain_rejects(flows, result.scenario)
    assert (reasons[flows.action.eq("REJECT").fillna(False)] != "").all()
    assert reasons[pings[pings.action == "REJECT"].index].str.contains("network ACL 'data' outbound").all()


def _broken(tmp_path: Path, change) -> Path:
    document = yaml.safe_load((SCENARIO_DIR / "workshop.yaml").read_text())
    change(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["enis"][3].update(colour="red"), r"enis\[3\]\.colour: unknown key; allowed: name, id"),
        (lambda d: d["enis"][3].update(address="10.32.9.9"), r"enis\[3\]\.address: 10\.32\.9\.9 is outside"),
        (lambda d: d["enis"][0].update(address="10.32.0.2"), r"enis\[0\]\.address: .*reserved"),
        (lambda d: d["traffic"][0].update(port=70000), r"traffic\[0\]\.port: port 70000 is out of range"),
        (lambda d: d["subnets"][1].update(cidr="10.32.2.0/33"), r"subnets\[1\]\.cidr: .*not a valid CIDR"),
        (lambda d: d["vpc"].update(cidr="10.32.0.1/16"), r"vpc\.cidr: .*host bits"),
        (
            lambda d: d["traffic"][2].update(to=["nowhere"]),
            r"traffic\[2\]\.to\[0\]: no ENI or network 'nowhere'",
        ),
        (
            lambda d: d.update(aggregation_interval=300),
            r"aggregation_interval: 300 is not allowed; allowed: 60, 600",
        ),
        (lambda d: d["nacls"]["public"]["inbound"][0].update(rule=0), r"nacls\.public\.inbound\[0\]\.rule"),
        (lambda d: d["security_groups"]["db"]["inbound"][0].update(ports="80-70"), r"runs backwards"),
        (lambda d: d.pop("vpc"), r": vpc: required key is missing"),
        (
            lambda d: d["enis"][1].update(address="10.32.0.10"),
            r"enis\[1\]: '10\.32\.0\.10' is used by two ENIs",
        ),
        (lambda d: d["traffic"][0].update(every=30), r"traffic\[0\]: give exactly one of rate"),
        (lambda d: d["traffic"][0].update(to="github"), r"neither end is an ENI"),
        (lambda d: d.update(log_format="v99"), r"log_format: no flow-log version 99"),
        (
            lambda d: d["traffic"][0].update(protocol="sctp"),
            r"traffic\[0\]\.protocol: 'sctp' is not a protocol",
        ),
        (lambda d: d["networks"]["s3"].update(pool=0), r"networks\.s3\.pool: a network with only cidrs"),
    ],
)
def test_bad_scenarios_name_the_file_and_key(tmp_path, change, expected):
    path = _broken(tmp_path, change)
    with pytest.raises(ScenarioError, match=expected) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", r"<top>: expected a mapping, got nothing"),
        ("- just\n- a list\n", r"<top>: expected a mapping, got a list"),
        ("name: [unclosed\n", r"not valid YAML"),
    ],
)
def test_hostile_scenario_files(tmp_path, text, expected):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


def test_a_binary_scenario_file_is_a_scenario_error(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_bytes(b"\x1f\x8b\x08\x00\xbc\xff\xfe binary")
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load_scenario(path)


def test_bad_arguments():
    with pytest.raises(ScenarioError, match="no built-in scenario 'nope'"):
        simulate("nope")
    with pytest.raises(FlowkitError, match="file_format"):
        simulate(file_format="csv")
    with pytest.raises(FlowkitError, match="start 'yesterday'"):
        simulate(start="yesterday")
    with pytest.raises(FlowkitError, match="seed must be a whole number 0 or more, not -1"):
        simulate(seed=-1)
    for start in ("1960-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "+3000000d"):
        with pytest.raises(FlowkitError, match="outside 1970 to 9999"):
            simulate(start=start)
    with pytest.raises(FlowkitError, match="not a Parquet codec"):
        simulate(compression="rar")
    with pytest.raises(FlowkitError, match="v2 to v11"):
        simulate(log_format="v12")


def test_cli(tmp_path, capsys):
    assert (
        main(["simulate", "--days", "0.05", "--out", str(tmp_path), "--format", "parquet", "--no-anomalies"])
        == 0
    )
    assert "records" in capsys.readouterr().out
    assert list(tmp_path.rglob("*.log.parquet")) and (tmp_path / "labels.csv").exists()
    assert main(["simulate", "--scenario", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.yaml" in err


def test_flowkit_simulate_is_callable():
    result = flowkit.simulate("workshop", seed=1, days=0.02)
    assert result.records > 0 and set(result.flows.columns) <= {f.column for f in FIELDS.values()}
    assert np.issubdtype(np.asarray(result.flows.start.dropna()).dtype, np.integer)


def test_the_guides_queries_answer_on_the_sample_with_the_local_engine():
    from flowkit.engines import connect
    from flowkit.queries import render

    engine = connect(SAMPLE)
    admin = engine.sql(render("guide_outbound_admin", dialect="duckdb"))
    assert len(admin) == 200 and set(admin.srcaddr) == {"10.100.0.10"} and set(admin.dstport) == {22}
    top = engine.sql(render("guide_top_external_destinations", dialect="duckdb"))
    assert (top.dstport.iloc[0], top.dstaddr.iloc[0][:3]) == (443, "52.")
    assert "11.22.33.44" in set(top.dstaddr)
    rejected = engine.sql(render("guide_rejected_outbound", dialect="duckdb"))
    assert set(rejected.dstport) == {25, 123} and set(rejected.action) == {"REJECT"}
    probes = engine.insights(
        "filter @logStream = 'eni-0123456789000000-all' | fields @timestamp, @message | filter action='REJECT'"
    )
    assert len(probes) > 100 and probes["@message"].str.contains(" 11211 17 1 43 ").any()


@pytest.mark.parametrize("file_format", ["parquet", "cloudwatch"])
def test_other_formats_are_deterministic_too(tmp_path, file_format):
    for run in ("a", "b"):
        simulate("containers", seed=4, days=0.1, out=tmp_path / run, file_format=file_format)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first and first == second


def test_label_keys_clash_resolves_to_the_anomaly_and_bad_frames_are_refused():
    from flowkit.simulate.labels import LabelSet

    addresses = np.array([0x0A200A0B, 0x0A200064, 0xCB0071C8], dtype=np.uint32)
    labels = LabelSet(["expected:https", "anomaly:upload"], addresses)
    one = np.array([0x0A200A0B], dtype=np.uint32)
    nat = np.array([0x0A200064], dtype=np.uint32)
    labels.add(one, nat, np.array([443]), 6, 0)
    labels.add(one, nat, np.array([443]), 6, 1)
    frame = labels.frame()
    assert frame.to_dict("records") == [
        {
            "srcaddr": "10.32.10.11",
            "dstaddr": "10.32.0.100",
            "dstport": 443,
            "protocol": 6,
            "label": "anomaly:upload",
        }
    ]
    with pytest.raises(FlowkitError, match="needs the columns dstport"):
        label_flows(pd.DataFrame({"srcaddr": [], "dstaddr": [], "srcport": [], "protocol": []}), frame)


@pytest.mark.parametrize("layout", ["hourly", "hive", "hive-hourly"])
def test_delivery_layouts(tmp_path, layout):
    from flowkit.read import delivery_partitions

    result = simulate("workshop", seed=7, days=0.1, out=tmp_path, layout=layout)
    parts = delivery_partitions(result.files[-1])
    assert parts["account_id"] == "111122223333" and parts["region"] == "us-east-1"
    assert (parts["year"], parts["month"], parts["day"]) == ("2026", "11", "02")
    assert (parts.get("hour") == "02") == layout.endswith("hourly")
    assert ("aws-account-id=" in str(result.files[0])) == layout.startswith("hive")
    assert len(read_flow_logs(tmp_path)) == result.records


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a labels.csv"),
        (b"\x1f\x8b\x08\x00\xbc\xff\xfe", "not a labels.csv"),
        (
            b"srcaddr,dstaddr,dstport,protocol,label\n10.0.0.1,10.0.0.2,https,6,expected:x\n",
            "not a labels.csv",
        ),
    ],
    ids=["empty", "binary", "port-not-a-number"],
)
def test_read_labels_refuses_what_is_not_a_labels_file(tmp_path, content, message):
    path = tmp_path / "labels.csv"
    path.write_bytes(content)
    with pytest.raises(FlowkitError, match=message):
        read_labels(path)
    with pytest.raises(FlowkitError, match="cannot read the labels"):
        read_labels(tmp_path / "missing.csv")
