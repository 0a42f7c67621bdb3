"""The question catalogue: every file parses, declares its parameters, and answers correctly.

The answers are checked on a hand-built set of flow records whose right answers are known (and,
for the guide's queries, recomputed independently with pandas).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pandas as pd
import pytest
import sqlglot

from flowkit.engines import connect
from flowkit.errors import ParameterError, QueryError
from flowkit.queries import get_query, list_queries, parse_params, render
from flowkit.read import read_flow_logs
from flowkit.schema import fields_up_to
from flowkit.sql import placeholders, validate

T0 = 1657958400  # 2022-07-16 08:00:00 UTC, the day of the guide's sample output
ENI_A = "eni-1234567890000000"  # the guide's ENI; its IP is the guide's 10.100.0.10
ENI_B = "eni-0b00000000000001a"
ENI_C = "eni-0c00000000000001a"
ENI_NAT = "eni-0a0000000000000aa"


def _row(eni, src, dst, dport, *, n=1, proto=6, action="ACCEPT", t=0, nbytes=1000, flags=19, **extra):
    base = {
        "version": 8,
        "account_id": "123456789012",
        "interface_id": eni,
        "srcaddr": src,
        "dstaddr": dst,
        "srcport": 40000,
        "dstport": dport,
        "protocol": proto,
        "packets": 10,
        "bytes": nbytes,
        "start": T0 + t,
        "end": T0 + t + 30,
        "action": action,
        "log_status": "OK",
        "vpc_id": "vpc-0a1b2c3d",
        "subnet_id": "subnet-0a1b2c3d",
        "instance_id": "i-0b00000000000001a" if eni == ENI_B else None,
        "tcp_flags": flags if proto == 6 else None,
        "type": "IPv6" if ":" in (src or "") else "IPv4",
        "pkt_srcaddr": src,
        "pkt_dstaddr": dst,
        "region": "us-east-1",
        "flow_direction": "egress",
    }
    base.update(extra)
    return [base] * n


def flow_records() -> pd.DataFrame:
    """A day of flows with known answers (see the comments for what each group is for)."""
    rows = []
    # ENI A, IP 10.100.0.10 (the guide's first two queries)
    rows += _row(ENI_A, "10.100.0.10", "11.22.33.44", 443, n=4, nbytes=5445)  # admin port < 1024
    rows += _row(ENI_A, "10.100.0.10", "11.22.33.44", 22, n=1)  # admin port < 1024
    rows += _row(ENI_A, "10.100.0.10", "52.95.128.179", 8443, n=2)  # not admin
    rows += _row(ENI_A, "10.100.0.10", "10.32.0.10", 5432, n=3)  # inside 10.32: not external
    rows += _row(ENI_A, "10.100.0.99", "11.22.33.44", 80, n=1)  # another source address
    # ENI B, instance in the VPC 10.32.0.0/16
    rows += _row(ENI_B, "10.32.0.10", "52.95.128.179", 443, n=6, nbytes=20000, pkt_dst_aws_service="S3")
    rows += _row(ENI_B, "10.32.0.10", "203.0.113.9", 25, n=2, action="REJECT", flags=2)  # rejected outbound
    rows += _row(ENI_B, "10.32.0.10", "8.8.8.8", 53, n=3, proto=17, t=7200)  # new after T0+1h
    rows += _row(
        ENI_B, "10.32.0.10", "52.95.128.179", 443, n=1, t=7200, nbytes=20000, pkt_dst_aws_service="S3"
    )
    rows += _row(
        ENI_B, "198.51.100.7", "10.32.0.10", 22, n=3, action="REJECT", flags=2, flow_direction="ingress"
    )  # SSH from the internet
    for port in range(1, 26):  # a port scan: 25 ports from one source
        rows += _row(
            ENI_B, "192.0.2.66", "10.32.0.10", port, action="REJECT", flags=2, flow_direction="ingress"
        )
    rows += _row(ENI_B, "10.32.0.10", "10.32.5.5", 3389, n=1)  # RDP inside the VPC
    rows += _row(ENI_B, "2001:db8::10", "2600:1f18::1", 443, n=2, nbytes=700)  # IPv6
    # ENI C: Block Public Access rejections
    rows += _row(ENI_C, "10.32.0.11", "34.1.1.1", 443, n=2, action="REJECT", flags=2, reject_reason="BPA")
    # the NAT gateway's interface: the instance's leg (to the NAT's IP, pkt-dstaddr beyond it) and the
    # NAT's own leg to the internet
    rows += _row(
        ENI_NAT,
        "10.32.1.5",
        "10.32.0.200",
        443,
        n=3,
        nbytes=2000,
        pkt_dstaddr="93.184.216.34",
        instance_id=None,
    )
    rows += _row(ENI_NAT, "10.32.0.200", "93.184.216.34", 443, n=3, nbytes=2000, instance_id=None)
    frame = pd.DataFrame(rows)
    gaps = pd.DataFrame(
        [
            {"interface_id": ENI_C, "log_status": "NODATA", "start": T0 + 600, "end": T0 + 660},
            {"interface_id": ENI_B, "log_status": "SKIPDATA", "start": T0 + 900, "end": T0 + 960},
        ]
    ).assign(version=8, account_id="123456789012")
    frame = pd.concat([frame, gaps], ignore_index=True)
    fields = fields_up_to(8)
    for f in fields:
        if f.column not in frame:
            frame[f.column] = None
    return pd.DataFrame({f.column: frame[f.column].astype(f.pandas_dtype) for f in fields})


def _b(mask: pd.Series) -> pd.Series:
    """A nullable boolean mask with NA as False (SQL's WHERE semantics)."""
    return mask.fillna(False).astype(bool)


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return flow_records()


@pytest.fixture(scope="module")
def engine(records):
    with connect(records) as eng:
        yield eng


# -- the files ---------------------------------------------------------------------------------------

NAMES = list(list_queries().name)


def test_catalogue_has_the_guide_and_at_least_15_more():
    assert {"guide_outbound_admin", "guide_top_external_destinations", "guide_rejected_outbound"} <= set(
        NAMES
    )
    assert len([n for n in NAMES if not n.startswith("guide_")]) >= 15
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_file_parses_transpiles_and_declares_its_placeholders(name):
    query = get_query(name)
    assert query.question.endswith("?") or "?" in query.question
    parsed = sqlglot.parse_one(query.sql, read="athena")
    assert set(placeholders(parsed)) == {p.name for p in query.params}
    assert "vpc_flow_logs" in sqlglot.transpile(query.sql, read="athena", write="duckdb")[0]


def test_guide_files_hold_the_guide_text_verbatim():
    # the text as published in the AWS guide (the seed is outside the repository, so it is pinned here)
    assert (
        get_query("guide_outbound_admin")
        .sql.rstrip()
        .endswith(
            "SELECT * FROM \"<vpc_flow_logs_table_name>\" WHERE interface_id = 'eni-1234567890000000' AND srcaddr "
            "LIKE '10.100.0.10' AND dstport < 1024 LIMIT 200;"
        )
    )
    assert (
        get_query("guide_top_external_destinations")
        .sql.rstrip()
        .endswith(
            'SELECT dstport, dstaddr, count(*) AS count FROM "<vpc_flow_logs_table_name>" WHERE dstaddr not like '
            "'10.32%' AND interface_id = 'eni-1234567890000000' GROUP BY dstport, dstaddr ORDER BY count desc LIMIT 200;"
        )
    )
    assert (
        get_query("guide_rejected_outbound")
        .sql.rstrip()
        .endswith(
            "SELECT *              FROM \"<vpc_flow_logs_table_name>\"  WHERE srcaddr like '10.32%' AND action LIKE "
            "'REJECT'"
        )
    )


def test_parameterised_copies_default_to_the_guides_literals():
    defaults = {p.name: p.default for p in get_query("outbound_admin_traffic").params}
    assert defaults == {"eni": ENI_A, "srcaddr": "10.100.0.10", "max_port": "1024", "limit": "200"}


# -- the guide's three queries, verbatim ---------------------------------------------------------------


def test_guide_outbound_admin(engine, records):
    got = engine.query("guide_outbound_admin")
    want = records[
        _b(records.interface_id == ENI_A) & _b(records.srcaddr == "10.100.0.10") & _b(records.dstport < 1024)
    ]
    assert len(got) == len(want) == 5
    assert sorted(got.dstport.tolist()) == [22, 443, 443, 443, 443]
    assert "date" in got.columns and set(got.date.astype(str)) == {"2022-07-16"}


def test_guide_top_external_destinations(engine, records):
    got = engine.query("guide_top_external_destinations")
    sub = records[_b(records.interface_id == ENI_A) & ~_b(records.dstaddr.str.startswith("10.32"))]
    want = sub.groupby(["dstport", "dstaddr"]).size().sort_values(ascending=False)
    assert list(got.columns) == ["dstport", "dstaddr", "count"]
    assert got["count"].sum() == want.sum() == 8
    assert (got.iloc[0].dstport, got.iloc[0].dstaddr, got.iloc[0]["count"]) == (443, "11.22.33.44", 4)
    assert dict(zip(zip(got.dstport, got.dstaddr, strict=True), got["count"], strict=True)) == want.to_dict()


def test_guide_rejected_outbound(engine, records):
    got = engine.query("guide_rejected_outbound")
    want = records[_b(records.srcaddr.str.startswith("10.32")) & _b(records.action == "REJECT")]
    assert len(got) == len(want) == 4
    assert sorted(got.dstaddr.unique()) == ["203.0.113.9", "34.1.1.1"]


# -- every other question, with known answers ------------------------------------------------------------


def test_outbound_admin_traffic_matches_the_guide(engine):
    assert len(engine.query("outbound_admin_traffic")) == 5
    assert engine.query("outbound_admin_traffic", max_port=100).dstport.tolist() == [22]


def test_top_external_destinations_uses_the_cidr(engine):
    got = engine.query("top_external_destinations", vpc_cidr="10.32.0.0/16")
    assert "10.32.0.10" not in set(got.dstaddr)
    assert got["count"].sum() == 8


def test_rejected_outbound(engine):
    got = engine.query("rejected_outbound")
    assert len(got) == 4 and set(got.action) == {"REJECT"}


def test_top_talkers(engine):
    got = engine.query("top_talkers", limit=2)
    assert (got.iloc[0].srcaddr, got.iloc[0].dstaddr, got.iloc[0].bytes) == (
        "10.32.0.10",
        "52.95.128.179",
        140000,
    )
    assert len(got) == 2


def test_egress_by_port(engine):
    got = engine.query("egress_by_port").set_index("dstport")
    assert got.loc[443, "bytes"] == 7 * 20000 + 3 * 2000
    assert got.loc[53, "flows"] == 3
    assert 25 not in got.index  # rejected
    assert 3389 not in got.index  # stays inside the VPC


def test_outbound_non_https(engine):
    got = engine.query("outbound_non_https")
    assert got[["dstaddr", "dstport", "flows"]].values.tolist() == [["8.8.8.8", 53, 3]]


def test_rejected_inbound_by_source(engine):
    got = engine.query("rejected_inbound_by_source").set_index("srcaddr")
    assert got.loc["192.0.2.66", "ports"] == 25
    assert got.loc["198.51.100.7", "rejected"] == 3
    assert list(got.index[:1]) == ["192.0.2.66"]


def test_ssh_rdp_from_internet(engine):
    got = engine.query("ssh_rdp_from_internet")
    assert set(zip(got.srcaddr, got.dstport, got.action, got.flows, strict=True)) == {
        ("198.51.100.7", 22, "REJECT", 3),
        ("192.0.2.66", 22, "REJECT", 1),
    }


def test_port_scans(engine):
    got = engine.query("port_scans")
    assert got.srcaddr.tolist() == ["192.0.2.66"] and got.ports.iloc[0] == 25
    assert len(engine.query("port_scans", min_ports=2)) > 1


def test_new_destinations(engine):
    got = engine.query("new_destinations", since=T0 + 3600)
    assert got.dstaddr.tolist() == ["8.8.8.8"]
    assert got.first_seen.iloc[0] == "2022-07-16T10:00:00.000Z"
    assert engine.query("new_destinations", since="2022-07-16T07:00:00Z").shape[0] > 1


def test_bytes_over_time(engine, records):
    got = engine.query("bytes_over_time")
    ok = records[records.log_status == "OK"]
    assert got.bytes.sum() == ok.bytes.sum()
    assert [t.hour for t in got.hour_start] == [8, 10]


def test_syn_without_ack(engine):
    got = engine.query("syn_without_ack")
    assert got.attempts.sum() == 2 + 3 + 25 + 2
    assert (got.iloc[0].srcaddr, got.iloc[0].attempts) == ("198.51.100.7", 3)


def test_connection_attempt_scans(engine):
    got = engine.query("connection_attempt_scans", min_ports=2)
    assert got[["srcaddr", "ports", "rejected"]].values.tolist() == [["192.0.2.66", 25, 25]]


def test_ssh_rdp_from_public_internet_leaves_out_private_sources(engine, records):
    extra = records.iloc[[0]].assign(srcaddr="192.168.1.9", dstaddr="10.32.0.10", dstport=22)
    with connect(pd.concat([records, extra], ignore_index=True)) as eng:
        assert "192.168.1.9" in set(eng.query("ssh_rdp_from_internet").srcaddr)
        assert set(eng.query("ssh_rdp_from_public_internet").srcaddr) == {"198.51.100.7", "192.0.2.66"}


def test_reject_reasons(engine):
    got = engine.query("reject_reasons").set_index("reject_reason")
    assert got.loc["BPA", "flows"] == 2
    assert got.loc["-", "flows"] == 2 + 3 + 25


def test_nat_gateway_traffic(engine):
    got = engine.query("nat_gateway_traffic", nat_eni=ENI_NAT)
    assert got[["pkt_srcaddr", "pkt_dstaddr", "bytes"]].values.tolist() == [
        ["10.32.1.5", "93.184.216.34", 6000]
    ]


def test_aws_service_traffic(engine):
    got = engine.query("aws_service_traffic")
    assert got[["flow_direction", "aws_service", "flows"]].values.tolist() == [["egress", "S3", 7]]


def test_traffic_from_and_to_address(engine):
    assert engine.query("traffic_from_address", srcaddr="10.32.0.10").flows.sum() == 6 + 2 + 3 + 1 + 1
    got = engine.query("traffic_to_address", dstaddr="10.32.0.10")
    assert got.flows.sum() == 3 + 3 + 25


def test_top_talking_instances(engine):
    got = engine.query("top_talking_instances")
    assert got.instance_id.tolist() == ["i-0b00000000000001a"]


def test_ipv6_traffic(engine):
    got = engine.query("ipv6_traffic")
    assert got[["srcaddr", "dstaddr", "flows"]].values.tolist() == [["2001:db8::10", "2600:1f18::1", 2]]


def test_logging_gaps(engine):
    got = engine.query("logging_gaps")
    assert set(zip(got.interface_id, got.log_status, strict=True)) == {(ENI_C, "NODATA"), (ENI_B, "SKIPDATA")}
    assert got.set_index("log_status").loc["NODATA", "first_start"] == "2022-07-16T08:10:00.000Z"


def test_traffic_by_interface(engine):
    got = engine.query("traffic_by_interface").set_index("interface_id")
    assert got.loc[ENI_B, "rejected"] == 2 + 3 + 25
    assert got.loc[ENI_A, "flows"] == 11
    assert got.loc[ENI_NAT, "flows"] == 6


def test_daily_rejected_by_weekday(engine):
    got = engine.query("daily_rejected_by_weekday")
    assert got.values.tolist()[0][1:] == [6, 32]  # 2022-07-16 was a Saturday
    assert got.date.iloc[0] == pd.Timestamp(
        "2022-07-16"
    )  # a DATE: datetime64[ms] at midnight (flowkit.frames)


@pytest.mark.parametrize("name", NAMES)
def test_every_question_runs_with_its_defaults(request, engine, name):
    needed = {"new_destinations": {"since": T0}, "nat_gateway_traffic": {"nat_eni": ENI_NAT}}
    if name.startswith("tgw_"):  # transit gateway questions need transit gateway records
        engine = request.getfixturevalue("tgw")
    frame = engine.query(name, **needed.get(name, {}))
    assert isinstance(frame, pd.DataFrame) and len(frame.columns) > 0


# -- parameters ---------------------------------------------------------------------------------------------

HOSTILE = ["' OR 1=1 --", "eni-1; DROP TABLE x", "10.0.0.1'; --", "1 OR 1=1", "$(rm -rf /)"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("outbound_admin_traffic", "eni"),
        ("outbound_admin_traffic", "srcaddr"),
        ("outbound_admin_traffic", "max_port"),
        ("rejected_outbound", "vpc_cidr"),
        ("top_talkers", "limit"),
        ("new_destinations", "since"),
    ],
)
def test_hostile_values_are_refused(engine, name, param, value):
    with pytest.raises(ParameterError, match=param):
        engine.query(
            name,
            **{param: value},
            **({"since": T0} if param != "since" and name == "new_destinations" else {}),
        )


def test_free_query_parameters_are_bound_and_checked(engine):
    got = engine.sql(
        "SELECT count(*) AS n FROM vpc_flow_logs WHERE interface_id = :eni AND dstport < :p",
        eni=ENI_A,
        p=1024,
    )
    assert got.n.iloc[0] == 6
    with pytest.raises(ParameterError):
        engine.sql("SELECT * FROM vpc_flow_logs WHERE interface_id = :eni", eni="' OR 1=1 --")
    with pytest.raises(ParameterError, match="missing"):
        engine.sql("SELECT * FROM vpc_flow_logs WHERE interface_id = :eni")
    with pytest.raises(ParameterError, match="unknown"):
        engine.sql("SELECT 1", eni=ENI_A)


def test_missing_required_and_unknown_parameters():
    with pytest.raises(ParameterError, match="since"):
        get_query("new_destinations").bind_values({})
    with pytest.raises(ParameterError, match="no parameter"):
        get_query("top_talkers").bind_values({"lmit": 5})


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("eni_id", " eni-0a1b2c3d ", "eni-0a1b2c3d"),
        ("instance_id", "i-0123456789abcdef0", "i-0123456789abcdef0"),
        ("ip", "2001:DB8:0:0::1", "2001:db8::1"),
        ("cidr", "10.32.7.1/16", "10.32.0.0/16"),
        ("port", "65535", 65535),
        ("protocol", "UDP", 17),
        ("protocol", "58", 58),
        ("action", "reject", "REJECT"),
        ("timestamp", "2022-07-16T08:00:00Z", T0),
        ("timestamp", "2022-07-16", T0 - 8 * 3600),
        ("limit", 5, 5),
        ("address_prefix", "10.32", "10.32"),
        ("day", "2022/07/16", "2022-07-16"),
    ],
)
def test_validators_accept_and_normalise(kind, value, expected):
    assert validate(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("eni_id", "eni-xyz"),
        ("ip", "10.0.0.256"),
        ("cidr", "10.0.0.0/33"),
        ("port", 70000),
        ("port", True),
        ("protocol", "tcpx"),
        ("protocol", 300),
        ("action", "DROP"),
        ("limit", 0),
        ("timestamp", "yesterday"),
        ("string", "a b"),
        ("string", "x'y"),
        ("address_prefix", "10.32%' OR '1"),
    ],
)
def test_validators_refuse(kind, value):
    with pytest.raises(ParameterError):
        validate(kind, value)


def test_render_binds_literals_in_each_dialect():
    athena = render("outbound_admin_traffic", eni="eni-0a1b2c3d", limit=10)
    assert "interface_id = 'eni-0a1b2c3d'" in athena and athena.endswith("LIMIT 10")
    duck = render("rejected_outbound", dialect="duckdb", vpc_cidr="10.32.0.0/16")
    assert "STARTS_WITH(srcaddr, '10.32.')" in duck
    with pytest.raises(QueryError, match="no catalogue query"):
        render("rejected_outbond")


def test_parse_params_rejects_bad_headers():
    with pytest.raises(QueryError):
        parse_params("eni eni_id")
    with pytest.raises(QueryError, match="unknown type"):
        parse_params("eni: eni_identifier")
    with pytest.raises(ParameterError):
        parse_params("limit: limit = 0")


# -- the bundled sample: every question, checked against pandas on read_flow_logs and the labels ---------------

SAMPLE_NAT = "eni-0f1e2d3c4b5a69870"
SINCE = "2026-11-02T09:00:00Z"


@pytest.fixture(scope="module")
def sample():
    from flowkit.engines import default_data

    path = default_data()
    if path is None:
        pytest.skip("the bundled sample data/sample is not there")
    with connect(path) as eng:
        yield eng, read_flow_logs(path), pd.read_csv(path / "labels.csv")


def _in_vpc(series: pd.Series) -> pd.Series:
    net = ipaddress.ip_network("10.32.0.0/16")
    return series.map(lambda a: a is not pd.NA and ipaddress.ip_address(a) in net, na_action="ignore").pipe(
        _b
    )


def test_sample_guide_outbound_admin(sample):
    engine, flows, _ = sample
    got = engine.query("guide_outbound_admin")
    mask = _b(flows.interface_id == ENI_A) & _b(flows.srcaddr == "10.100.0.10") & _b(flows.dstport < 1024)
    assert len(got) == min(200, int(mask.sum())) == 200
    assert set(got.dstport) == {22} and set(got.dstaddr) == {"10.32.0.10"}
    assert set(got.day) == {"2026/11/02"} and set(got.date.astype(str)) == {"2026-11-02"}
    assert list(got.columns) == [*flows.columns, "day", "date"]  # the format's order, then the partitions


def test_sample_guide_top_external_destinations(sample):
    engine, flows, _ = sample
    got = engine.query("guide_top_external_destinations")
    sub = flows[_b(flows.interface_id == ENI_A) & ~_b(flows.dstaddr.str.startswith("10.32"))]
    want = sub.groupby(["dstport", "dstaddr"]).size()
    assert dict(zip(zip(got.dstport, got.dstaddr, strict=True), got["count"], strict=True)) == want.to_dict()
    assert got.iloc[0].tolist() == [443, "52.46.145.233", want.max()]
    assert {"11.22.33.44", "52.46.141.158"} <= set(
        got.dstaddr
    )  # Systems Manager and 11.22.33.44, as the README says
    # the parameterised copy with real CIDR matching gives the same answer here
    cidr = engine.query("top_external_destinations")
    assert sorted(map(tuple, cidr.values.tolist())) == sorted(map(tuple, got.values.tolist()))


def test_sample_guide_rejected_outbound(sample):
    engine, flows, _ = sample
    got = engine.query("guide_rejected_outbound")
    want = flows[_b(flows.srcaddr.str.startswith("10.32")) & _b(flows.action == "REJECT")]
    assert len(got) == len(want) == len(engine.query("rejected_outbound"))
    assert set(zip(got.srcaddr, got.dstport, strict=True)) == {("10.32.20.5", 123), ("10.32.10.11", 25)}


def test_sample_top_talkers_and_bytes(sample):
    engine, flows, _ = sample
    ok = flows[_b(flows.log_status == "OK")]
    want = ok.groupby(["srcaddr", "dstaddr"]).bytes.sum().nlargest(5)
    got = engine.query("top_talkers", limit=5)
    assert got.bytes.tolist() == want.tolist()
    hours = engine.query("bytes_over_time")
    assert len(hours) == 24 and hours.bytes.sum() == ok.bytes.sum() and hours.flows.sum() == len(ok)
    assert hours.set_index(hours.hour_start.dt.hour).bytes.idxmax() in (2, 3)  # the backup and the upload


def test_sample_egress_and_non_https(sample):
    engine, flows, _ = sample
    out = flows[_in_vpc(flows.srcaddr) & ~_in_vpc(flows.dstaddr) & _b(flows.action == "ACCEPT")]
    want = out.groupby(["protocol", "dstport"]).bytes.sum()
    got = engine.query("egress_by_port", limit=10_000)
    assert dict(zip(zip(got.protocol, got.dstport, strict=True), got.bytes, strict=True)) == want.to_dict()
    non_https = engine.query("outbound_non_https", limit=10_000)
    assert ("10.32.11.12", "198.51.100.77", 3333) in set(
        zip(non_https.srcaddr, non_https.dstaddr, non_https.dstport, strict=True)
    )
    assert 443 not in set(non_https.dstport)


def test_sample_scans_and_inbound_rejections(sample):
    engine, flows, labels = sample
    scanner = labels[labels.label == "anomaly:port-scan"].srcaddr.unique().tolist()
    assert engine.query("connection_attempt_scans").srcaddr.tolist() == scanner == ["141.98.11.27"]
    assert scanner[0] in set(engine.query("port_scans").srcaddr)
    inbound = engine.query("rejected_inbound_by_source")
    want = flows[_b(flows.srcaddr == scanner[0]) & _b(flows.action == "REJECT")]
    assert inbound.iloc[0].tolist()[:2] == [scanner[0], len(want)]
    ssh = engine.query("ssh_rdp_from_internet", limit=10_000)
    public = engine.query("ssh_rdp_from_public_internet", limit=10_000)
    assert "10.100.0.10" in set(ssh.srcaddr) and "10.100.0.10" not in set(public.srcaddr)
    assert set(public.srcaddr) < set(ssh.srcaddr) and (public.action == "REJECT").all()


def test_sample_new_destinations_are_the_anomalies_after_nine(sample):
    engine, flows, _ = sample
    got = engine.query("new_destinations", since=SINCE, limit=10_000)
    since = 1793610000  # 2026-11-02T09:00:00Z
    out = flows[_in_vpc(flows.srcaddr) & ~_in_vpc(flows.dstaddr) & _b(flows.action == "ACCEPT")]
    want = set(out[out.start >= since].dstaddr) - set(out[out.start < since].dstaddr)
    assert set(got.dstaddr) == want
    assert {"198.51.100.77", "8.8.8.8", "8.8.4.4", "198.51.100.23"} <= want  # mining pool, DNS, SSH
    assert "203.0.113.200" not in want  # the 03:10 upload is before the split


def test_sample_nat_gateway_and_aws_services(sample):
    engine, flows, _ = sample
    nat = engine.query("nat_gateway_traffic", nat_eni=SAMPLE_NAT, limit=10_000)
    top = nat.iloc[0]
    assert (top.pkt_srcaddr, top.pkt_dstaddr) == ("10.32.10.11", "203.0.113.200")  # the large upload
    assert top.bytes > 1.5e9
    assert set(nat.pkt_srcaddr) == {"10.32.10.11", "10.32.11.12"}  # the app servers, never the NAT itself
    services = engine.query("aws_service_traffic")
    has = flows[flows.pkt_dst_aws_service.notna() | flows.pkt_src_aws_service.notna()]
    assert services.flows.sum() == len(has)
    assert set(services.aws_service) == {"S3", "AMAZON"}


def test_sample_tcp_and_logging(sample):
    engine, flows, _ = sample
    syn = engine.query("syn_without_ack")
    assert syn.iloc[0][["srcaddr", "dstaddr", "dstport"]].tolist() == ["10.32.10.11", "192.0.2.25", 25]
    gaps = engine.query("logging_gaps").groupby("log_status").records.sum()
    assert gaps.to_dict() == flows.log_status.value_counts()[["NODATA", "SKIPDATA"]].to_dict()
    assert gaps.to_dict() == {"NODATA": 1034, "SKIPDATA": 4}  # as the sample's README says
    weekday = engine.query("daily_rejected_by_weekday")
    rejected_tcp = _b(flows.action == "REJECT") & _b(flows.protocol == 6)
    assert weekday.values.tolist()[0][1:] == [1, int(rejected_tcp.sum())]  # 2026-11-02 is a Monday


def test_sample_rejected_on_interface(sample):
    engine, flows, _ = sample
    eni = flows[_b(flows.action == "REJECT")].interface_id.value_counts().index[0]  # the most rejected
    got = engine.query("rejected_on_interface", eni=eni, limit=5)
    rejected = flows[_b(flows.interface_id == eni) & _b(flows.action == "REJECT")]
    want = rejected.groupby(["dstport", "protocol"]).size().sort_values(ascending=False)
    assert len(got) == min(5, len(want)) and len(got) > 0
    assert got["events"].tolist() == want.head(len(got)).tolist()
    assert got["events"].is_monotonic_decreasing


def test_sample_per_interface_and_address(sample):
    engine, flows, _ = sample
    by_eni = engine.query("traffic_by_interface").set_index("interface_id")
    ok = flows[_b(flows.log_status == "OK")]
    assert (
        by_eni.rejected.to_dict()
        == ok[_b(ok.action == "REJECT")]
        .groupby("interface_id")
        .size()
        .reindex(by_eni.index, fill_value=0)
        .to_dict()
    )
    inst = engine.query("top_talking_instances")
    assert inst.bytes.tolist() == flows.groupby("instance_id").bytes.sum().nlargest(len(inst)).tolist()
    frm = engine.query("traffic_from_address", srcaddr="10.32.0.10", limit=10_000)
    assert frm.flows.sum() == _b(flows.srcaddr == "10.32.0.10").sum()
    to = engine.query("traffic_to_address", dstaddr="10.32.20.5", limit=10_000)
    assert to.flows.sum() == _b(flows.dstaddr == "10.32.20.5").sum()
    assert engine.query("ipv6_traffic").empty and not flows.srcaddr.str.contains(":").fillna(False).any()
    admin = engine.query("outbound_admin_traffic")
    assert len(admin) == 200 and set(admin.srcaddr) == {"10.100.0.10"}


def test_sample_reject_reasons_needs_version_8(sample):
    engine, _, _ = sample
    with pytest.raises(QueryError, match="no column 'reject_reason': it is a version-8 field"):
        engine.query("reject_reasons")


def test_every_question_is_covered_on_the_sample():
    # the bundled sample holds VPC records: the transit gateway questions are covered on TGW records
    text = Path(__file__).read_text(encoding="utf-8")
    sample = text.split("# -- the bundled sample")[1]
    transit = text.split("# -- transit gateway questions")[-1]
    missing = [n for n in NAMES if f'"{n}"' not in (transit if n.startswith("tgw_") else sample)]
    assert missing == []


def test_render_insights_binds_quoted_literals():
    text = render("outbound_admin_traffic", dialect="insights", eni="eni-0a1b2c3d", limit=5)
    assert 'interfaceId = "eni-0a1b2c3d"' in text and "limit 5" in text and ":eni" not in text
    assert not text.lstrip().startswith("#")  # the header is not part of the query
    with pytest.raises(QueryError, match="no Logs Insights version"):
        render("new_destinations", dialect="insights", since=T0)


# -- transit gateway questions, on the documented TGW default format -----------------------------------
# Fields and their meaning: https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html#flow-log-records
# ("tgw-pair-attachment-id: Depending on the flow direction, either the egress or ingress attachment
# ID of the flow"; the packets-lost-* counters). The fixture is described in tests/read/fixtures/README.md.
TGW_FIXTURE = Path(__file__).parents[1] / "read" / "fixtures" / "tgw" / "default-format.log.gz"
VPC_A, VPC_B = "tgw-attach-0a1b2c3d4e5f60718", "tgw-attach-0b2c3d4e5f6071829"
VPN, EGRESS = "tgw-attach-0c3d4e5f607182930", "tgw-attach-0e5f60718293a4b5c"


@pytest.fixture(scope="module")
def tgw():
    with connect(TGW_FIXTURE) as engine:
        yield engine


def test_tgw_traffic_between_attachments_counts_each_flow_where_it_enters(tgw):
    got = tgw.query("tgw_traffic_between_attachments")
    assert got.values.tolist() == [
        [VPC_B, VPC_A, 1, 15, 61440],  # 5 of its 15 packets were then lost (MTU): ingress counts what entered
        [VPC_A, EGRESS, 1, 220, 18500],
        [VPN, VPC_A, 1, 40, 6400],
        [VPC_A, VPC_B, 2, 16, 2496],  # IPv4 and IPv6, not doubled by the egress records
        [VPC_A, "-", 1, 3, 180],  # the blackhole drop has no pair attachment
    ]
    assert len(tgw.query("tgw_traffic_between_attachments", limit=2)) == 2


def test_tgw_packets_lost_by_reason(tgw):
    got = tgw.query("tgw_packets_lost")
    assert got.values.tolist() == [[VPC_B, 1, 0, 0, 5, 0, 5], [VPC_A, 1, 0, 3, 0, 0, 3]]


def test_tgw_questions_on_vpc_records_name_the_missing_column(engine):
    with pytest.raises(QueryError, match="no column 'packets_lost_no_route': it is a version-6 field"):
        engine.query("tgw_packets_lost")
    with pytest.raises(QueryError, match="tgw_attachment_id"):
        engine.query("tgw_traffic_between_attachments")
