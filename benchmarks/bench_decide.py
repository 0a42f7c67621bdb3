"""Enrichment and find_unexpected speed, as a ratio against reading the same flows from Parquet.

Generates (cached in benchmarks/.data/) 10 million flow records of 200 network interfaces talking to AWS
services, internal peers, partner networks and a few unknown hosts, as request/response pairs, written
to Parquet; a full-size synthetic ``ip-ranges.json`` (about 10,000 prefixes, shaped like AWS's: IPv4
and IPv6, services in many regions, AMAZON duplicates); and a 200-rule allowlist. Then, in one run:

- reads the Parquet file (``flowkit.read_flow_logs``, and plain ``pandas.read_parquet`` for reference);
- ``flowkit.enrich.enrich`` (names, scope, direction, AWS service against the 10k prefixes);
- ``flowkit.baseline.find_unexpected`` with the 200-rule allowlist.

Target (issue 7): enrichment + find_unexpected < 10x the Parquet read.

Run: ``python benchmarks/bench_decide.py [--records N]``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
SERVICES = [
    "S3",
    "DYNAMODB",
    "EC2",
    "CLOUDFRONT",
    "ROUTE53",
    "API_GATEWAY",
    "KINESIS_VIDEO_STREAMS",
    "CODEBUILD",
    "EBS",
    "GLOBALACCELERATOR",
    "CLOUD9",
    "ROUTE53_HEALTHCHECKS",
    "WORKSPACES_GATEWAYS",
    "CHIME_MEETINGS",
]
REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
    "ap-south-1",
    "eu-north-1",
    "me-south-1",
    "af-south-1",
]
FIRST_OCTETS = [
    3,
    13,
    15,
    16,
    18,
    34,
    35,
    43,
    44,
    46,
    50,
    52,
    54,
    57,
    63,
    64,
    65,
    67,
    69,
    70,
    71,
    72,
    75,
    76,
    79,
    87,
    96,
    99,
    100,
    103,
    107,
    108,
    120,
    130,
    136,
    140,
    143,
    150,
    151,
    157,
    161,
    175,
    176,
    177,
    184,
    185,
    204,
    205,
]


def make_ip_ranges(path: Path, *, v4: int = 8000, v6: int = 2000, seed: int = 1) -> Path:
    """A full-size synthetic ip-ranges.json, non-overlapping within a service like the real file."""
    rng = np.random.default_rng(seed)
    prefixes, seen = [], set()
    while len(prefixes) < v4:
        length = int(rng.choice([11, 12, 13, 14, 15, 16, 18, 20, 21, 22, 23, 24, 24, 24, 25, 26, 27, 28]))
        base = (int(rng.choice(FIRST_OCTETS)) << 24) | int(rng.integers(0, 1 << 24))
        net = str(ipaddress.ip_network((base, length), strict=False))
        if net in seen:
            continue
        seen.add(net)
        service, region = str(rng.choice(SERVICES)), str(rng.choice(REGIONS))
        prefixes.append(
            {"ip_prefix": net, "region": region, "service": service, "network_border_group": region}
        )
        prefixes.append(
            {"ip_prefix": net, "region": region, "service": "AMAZON", "network_border_group": region}
        )
    v6_prefixes = []
    for i in range(v6):
        net = str(ipaddress.ip_network((0x2600_1F00 << 96 | i << 80, 44), strict=False))
        service, region = str(rng.choice(SERVICES)), str(rng.choice(REGIONS))
        v6_prefixes.append(
            {"ipv6_prefix": net, "region": region, "service": service, "network_border_group": region}
        )
    doc = {
        "syncToken": "1795433645",
        "createDate": "2026-11-24-09-34-05",
        "prefixes": prefixes,
        "ipv6_prefixes": v6_prefixes,
    }
    path.write_text(json.dumps(doc))
    return path


def _addresses(values: np.ndarray) -> np.ndarray:
    return np.array([str(ipaddress.IPv4Address(int(v))) for v in values], dtype=object)


def make_flows(path: Path, records: int, ranges_doc: dict, *, seed: int = 1) -> Path:
    """10M-style flow records as request/response pairs, written to Parquet (vectorised)."""
    rng = np.random.default_rng(seed)
    pairs = records // 2
    enis = np.array([f"eni-{i:017x}" for i in range(1, 201)], dtype=object)
    inside = _addresses(np.array([(10 << 24) | (i // 200 + 1) << 8 | (i % 200 + 10) for i in range(200)]))
    s3 = [
        p["ip_prefix"] for p in ranges_doc["prefixes"] if p["service"] == "S3" and p["region"] == "us-east-1"
    ]
    aws_nets = [ipaddress.ip_network(p) for p in s3[:20]]
    aws_pool = _addresses(
        np.array(
            [
                int(n.network_address) + int(rng.integers(1, n.num_addresses - 1))
                for n in aws_nets
                for _ in range(1000)
            ]
        )
    )
    partner_pool = _addresses(
        np.array([(198 << 24 | 51 << 16 | 100 << 8) + int(x) for x in rng.integers(1, 255, 200)])
    )
    unknown_pool = _addresses(rng.integers(1 << 24, 223 << 24, 5000))
    eni = rng.integers(0, 200, pairs)
    kind = rng.choice(4, pairs, p=[0.55, 0.25, 0.195, 0.005])  # aws, internal, partner, unknown
    server = np.empty(pairs, dtype=object)
    aws_pick = (eni * 97 + rng.integers(0, 500, pairs)) % len(aws_pool)
    server[kind == 0] = aws_pool[aws_pick[kind == 0]]
    server[kind == 1] = inside[(eni[kind == 1] + 1) % 200]
    server[kind == 2] = partner_pool[rng.integers(0, len(partner_pool), (kind == 2).sum())]
    server[kind == 3] = unknown_pool[rng.integers(0, len(unknown_pool), (kind == 3).sum())]
    port = np.select([kind == 1, kind == 2], [5432, 8443], default=443)
    port[kind == 3] = rng.choice([443, 4444, 22, 6667], (kind == 3).sum())
    client = inside[eni]
    eph = rng.integers(32768, 61000, pairs)
    start = 1_795_000_000 + np.sort(rng.integers(0, 86_400, pairs))
    nbytes = rng.integers(40, 500_000, pairs)

    def both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b])

    table = pa.table(
        {
            "version": pa.array(np.full(records, 3), pa.int32()),
            "account_id": pa.array(np.full(records, "012345678901", dtype=object), pa.string()),
            "interface_id": pa.array(both(enis[eni], enis[eni]), pa.string()),
            "srcaddr": pa.array(both(client, server), pa.string()),
            "dstaddr": pa.array(both(server, client), pa.string()),
            "srcport": pa.array(both(eph, port), pa.int32()),
            "dstport": pa.array(both(port, eph), pa.int32()),
            "protocol": pa.array(np.full(records, 6), pa.int64()),
            "packets": pa.array(both(nbytes // 500 + 1, nbytes // 300 + 1), pa.int64()),
            "bytes": pa.array(both(nbytes, nbytes * 3), pa.int64()),
            "start": pa.array(both(start, start), pa.int64()),
            "end": pa.array(both(start + 60, start + 60), pa.int64()),
            "action": pa.array(
                np.where(both(kind, kind) == 3, "REJECT", "ACCEPT").astype(object), pa.string()
            ),
            "log_status": pa.array(np.full(records, "OK", dtype=object), pa.string()),
            "tcp_flags": pa.array(both(np.full(pairs, 19), np.full(pairs, 19)), pa.int32()),
        }
    )
    pq.write_table(table, path)
    return path


def make_allowlist(ranges_doc: dict) -> dict:
    """200 rules: each interface's S3 and database traffic, partner networks, other regions' S3."""
    s3_regions = sorted({p["region"] for p in ranges_doc["prefixes"] if p["service"] == "S3"})
    rules = []
    for k in range(100):  # S3 in us-east-1, two interfaces per rule
        enis = [f"eni-{i:017x}" for i in (2 * k + 1, 2 * k + 2)]
        rules.append(
            {
                "name": f"s3-{k}",
                "direction": "outbound",
                "source": {"eni": enis},
                "destination": {"aws_service": "S3", "region": "us-east-1"},
                "protocol": "tcp",
                "ports": [443],
                "why": "uploads",
            }
        )
    for k in range(80):  # the database tier, a few interfaces per rule
        enis = [f"eni-{i:017x}" for i in range(1, 201) if i % 80 == k]
        rules.append(
            {
                "name": f"db-{k}",
                "direction": "internal",
                "source": {"eni": enis},
                "destination": {"cidr": "10.0.0.0/8"},
                "protocol": "tcp",
                "ports": ["5432"],
            }
        )
    for k in range(16):  # a partner's /24, as /28s
        rules.append(
            {
                "name": f"partner-{k}",
                "direction": "outbound",
                "source": {"cidr": "10.0.0.0/8"},
                "destination": {"cidr": f"198.51.100.{k * 16}/28"},
                "protocol": "tcp",
                "ports": [8443],
            }
        )
    for region in s3_regions[:4]:
        rules.append(
            {
                "name": f"s3-{region}",
                "direction": "outbound",
                "source": {"cidr": "10.0.0.0/8"},
                "destination": {"aws_service": "S3", "region": region},
                "protocol": "tcp",
                "ports": [443],
            }
        )
    assert len(rules) == 200
    return {"version": 1, "vpc_cidrs": ["10.0.0.0/8"], "rules": rules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    ranges_path = DATA / "ip-ranges-full-synthetic.json"
    if not ranges_path.exists():
        make_ip_ranges(ranges_path)
    ranges_doc = json.loads(ranges_path.read_text())
    flows_path = DATA / f"decide-{args.records}.parquet"
    if not flows_path.exists():
        print(f"writing {args.records:,} records to {flows_path} ...", flush=True)
        make_flows(flows_path, args.records, ranges_doc)
    allowlist_doc = make_allowlist(ranges_doc)

    from flowkit.baseline import find_unexpected, load_allowlist
    from flowkit.enrich import enrich, load_ip_ranges
    from flowkit.read import read_flow_logs

    t0 = time.perf_counter()
    plain = pd.read_parquet(flows_path)
    t_pandas = time.perf_counter() - t0
    del plain
    t0 = time.perf_counter()
    flows = read_flow_logs(str(flows_path))
    t_read = time.perf_counter() - t0

    t0 = time.perf_counter()
    ranges = load_ip_ranges(ranges_path)
    allowlist = load_allowlist(allowlist_doc)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    enriched = enrich(flows, vpc_cidrs=["10.0.0.0/8"], ip_ranges=ranges)
    t_enrich = time.perf_counter() - t0
    t0 = time.perf_counter()
    patterns = find_unexpected(flows, allowlist, ip_ranges=ranges)
    t_find = time.perf_counter() - t0

    total = t_load + t_enrich + t_find
    n_prefixes = len(ranges.prefixes)
    print(
        f"records: {len(flows):,}; prefixes: {n_prefixes:,}; rules: {len(allowlist.rules)}; "
        f"enriched columns: {len(enriched.columns) - len(flows.columns)}; unexpected patterns: {len(patterns)} "
        f"({int(patterns['flows'].sum()):,} records)"
    )
    print(f"read Parquet (flowkit.read_flow_logs): {t_read:6.2f} s   (pandas.read_parquet: {t_pandas:.2f} s)")
    print(f"load ip-ranges + allowlist:            {t_load:6.2f} s")
    print(f"enrich (all steps):                    {t_enrich:6.2f} s")
    print(f"find_unexpected (200 rules):           {t_find:6.2f} s")
    print(f"ratio (load + enrich + find_unexpected) / read_flow_logs: {total / t_read:.2f}x  (target < 10x)")
    print(f"ratio against pandas.read_parquet:                        {total / t_pandas:.2f}x")


if __name__ == "__main__":
    main()
