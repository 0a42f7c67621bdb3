"""Small hand-built flow-log frames in the reader's shape, for the enrich/baseline/rules/plots tests.

A three-tier VPC (10.0.0.0/16): a web ENI serving HTTPS to internet clients, an app ENI calling S3,
DynamoDB and the database, a database ENI, all using the VPC DNS resolver. ``anomalies=True`` adds
labelled unexpected traffic.
"""

from __future__ import annotations

import random

import pandas as pd

from flowkit.schema import BY_COLUMN

START = 1_795_000_000  # 2026-11-17T...Z
WEB = ("eni-0aaaaaaaaaaaaaaa1", "10.0.1.10", "subnet-0public000000001", "i-0web000000000001")
APP = ("eni-0bbbbbbbbbbbbbbb2", "10.0.2.20", "subnet-0private00000002", "i-0app000000000002")
DB = ("eni-0ccccccccccccccc3", "10.0.3.30", "subnet-0private00000003", "i-0db0000000000003")
DNS = "10.0.0.2"
S3 = ["52.216.8.11", "52.217.44.2", "3.5.1.9"]
DDB = ["52.94.0.17"]
COLUMNS = [
    "version",
    "account_id",
    "interface_id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log_status",
    "vpc_id",
    "subnet_id",
    "instance_id",
    "tcp_flags",
    "flow_direction",
]


def _pair(rows, eni, src, dst, sport, dport, proto, t, *, nbytes=2000, action="ACCEPT", reply=True):
    """A request record (client -> server) and its response, as the client's ENI logs them."""
    interface, own, subnet, instance = eni
    base = {
        "interface_id": interface,
        "subnet_id": subnet,
        "instance_id": instance,
        "protocol": proto,
        "start": t,
        "end": t + 60,
        "action": action,
    }
    outbound = src == own
    rows.append(
        {
            **base,
            "srcaddr": src,
            "dstaddr": dst,
            "srcport": sport,
            "dstport": dport,
            "packets": 10,
            "bytes": nbytes,
            "tcp_flags": 2 if action == "REJECT" else 19,
            "flow_direction": "egress" if outbound else "ingress",
        }
    )
    if reply and action == "ACCEPT":
        rows.append(
            {
                **base,
                "srcaddr": dst,
                "dstaddr": src,
                "srcport": dport,
                "dstport": sport,
                "packets": 8,
                "bytes": nbytes * 3,
                "tcp_flags": 19 if proto == 6 else 0,
                "flow_direction": "ingress" if outbound else "egress",
            }
        )


def make_flows(*, seed: int = 1, hours: int = 6, anomalies: bool = False, start: int = START) -> pd.DataFrame:
    """Flow records of the three-tier VPC; with ``anomalies``, also a labelled set of unexpected ones."""
    rnd = random.Random(seed)
    rows: list[dict] = []
    for minute in range(0, hours * 60, 5):
        t = start + minute * 60
        eph = lambda: rnd.randint(32768, 60999)  # noqa: E731
        client = (
            f"198.51.100.{rnd.randint(1, 254)}" if rnd.random() < 0.5 else f"203.0.113.{rnd.randint(1, 254)}"
        )
        _pair(rows, WEB, client, WEB[1], eph(), 443, 6, t)
        _pair(rows, WEB, WEB[1], APP[1], eph(), 8080, 6, t)
        _pair(rows, APP, WEB[1], APP[1], eph(), 8080, 6, t)
        _pair(rows, APP, APP[1], DB[1], eph(), 5432, 6, t)
        _pair(rows, DB, APP[1], DB[1], eph(), 5432, 6, t)
        _pair(rows, APP, APP[1], rnd.choice(S3), eph(), 443, 6, t, nbytes=50_000)
        _pair(rows, APP, APP[1], DDB[0], eph(), 443, 6, t)
        for eni in (WEB, APP, DB):
            _pair(rows, eni, eni[1], DNS, eph(), 53, 17, t, nbytes=80)
        # the internet's background noise: scanners probing SSH and RDP, rejected (expected)
        scanner = f"185.220.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        _pair(rows, WEB, scanner, WEB[1], eph(), rnd.choice([22, 3389]), 6, t, nbytes=40, action="REJECT")
    if anomalies:
        t = start + 3600
        # a C2 / exfiltration channel from the app server
        for k in range(6):
            _pair(rows, APP, APP[1], "45.77.12.34", 40000 + k, 4444, 6, t + k * 300, nbytes=5_000_000)
        # the database reaching the internet
        _pair(rows, DB, DB[1], "185.199.108.133", 51515, 443, 6, t + 120, nbytes=300_000)
        # a port scan of the web server from the internet, rejected
        for port in range(20, 60):
            _pair(rows, WEB, "192.0.2.200", WEB[1], 61000, port, 6, t + 200, nbytes=40, action="REJECT")
        _pair(rows, WEB, "192.0.2.200", WEB[1], 61000, 443, 6, t + 200, nbytes=40)  # ... finds 443 open
        # lateral movement: web server to the database
        _pair(rows, WEB, WEB[1], DB[1], 45678, 5432, 6, t + 500)
        _pair(rows, DB, WEB[1], DB[1], 45678, 5432, 6, t + 500)
        # SSH from the internet to the app server
        _pair(rows, APP, "198.18.7.7", APP[1], 50022, 22, 6, t + 900)
    frame = pd.DataFrame(rows)
    frame["version"] = 5
    frame["account_id"] = "012345678901"
    frame["log_status"] = "OK"
    frame["vpc_id"] = "vpc-0123456789abcdef0"
    frame = frame[COLUMNS]
    return frame.astype({c: BY_COLUMN[c].pandas_dtype for c in COLUMNS}).reset_index(drop=True)


ANOMALY_KEYS = {
    ("10.0.2.20", "45.77.12.34", 4444),
    ("10.0.3.30", "185.199.108.133", 443),
    ("10.0.1.10", "10.0.3.30", 5432),
    ("198.18.7.7", "10.0.2.20", 22),
    *{("192.0.2.200", "10.0.1.10", p) for p in [*range(20, 60), 443]},
}


def is_anomaly(flows: pd.DataFrame) -> pd.Series:
    """Ground truth for :func:`make_flows`: whether each record belongs to an injected anomaly."""
    forward = list(zip(flows["srcaddr"], flows["dstaddr"], flows["dstport"], strict=True))
    backward = list(zip(flows["dstaddr"], flows["srcaddr"], flows["srcport"], strict=True))
    return pd.Series(
        [f in ANOMALY_KEYS or b in ANOMALY_KEYS for f, b in zip(forward, backward, strict=True)],
        index=flows.index,
    )
