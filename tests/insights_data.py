"""A small, hand-made flow-log table for the Logs Insights tests, in the reader's shape.

Ten default-format records over three interfaces and three hours (T0 = 2023-11-14 22:00:00 UTC):
HTTPS and SSH egress, a DNS query, rejected RDP/SSH probes, an IPv6 flow and a NODATA record.

:func:`connection` puts them behind a ``vpc_flow_logs`` view; ``tests/engines/insights/conftest.py``
gives each test module its own as the ``con`` fixture.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from flowkit.engines.insights import run_insights
from flowkit.schema import DEFAULT_FIELDS, FIELDS

T0 = 1_699_999_200  # 2023-11-14 22:00:00 UTC, on an hour boundary
ACCOUNT = "012345678901"

# version account interface srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
ROWS = [
    (
        2,
        ACCOUNT,
        "eni-aaa",
        "10.0.1.5",
        "52.94.1.10",
        40001,
        443,
        6,
        10,
        1000,
        T0 + 0,
        T0 + 50,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        "eni-aaa",
        "10.0.1.5",
        "52.94.1.10",
        40002,
        443,
        6,
        20,
        3000,
        T0 + 60,
        T0 + 110,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        "eni-aaa",
        "10.0.1.5",
        "10.32.0.7",
        40003,
        22,
        6,
        5,
        400,
        T0 + 120,
        T0 + 170,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        "eni-aaa",
        "10.0.1.5",
        "8.8.8.8",
        40004,
        53,
        17,
        2,
        150,
        T0 + 3600,
        T0 + 3650,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        "eni-bbb",
        "203.0.113.9",
        "10.0.2.7",
        50001,
        3389,
        6,
        1,
        60,
        T0 + 3700,
        T0 + 3750,
        "REJECT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        "eni-bbb",
        "198.51.100.4",
        "10.0.2.7",
        50002,
        22,
        6,
        3,
        180,
        T0 + 3800,
        T0 + 3850,
        "REJECT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        "eni-bbb",
        "10.0.2.7",
        "110.32.1.1",
        50003,
        8080,
        6,
        4,
        800,
        T0 + 7200,
        T0 + 7250,
        "ACCEPT",
        "OK",
    ),
    (
        2,
        ACCOUNT,
        "eni-ccc",
        "2001:db8::1",
        "2001:db8::2",
        50004,
        443,
        6,
        6,
        900,
        T0 + 7300,
        T0 + 7350,
        "ACCEPT",
        "OK",
    ),
    (2, ACCOUNT, "eni-ccc", None, None, None, None, None, None, None, T0 + 7400, T0 + 7450, None, "NODATA"),
    (
        2,
        ACCOUNT,
        "eni-bbb",
        "10.0.2.7",
        "52.94.1.10",
        50005,
        443,
        6,
        7,
        2100,
        T0 + 7500,
        T0 + 7550,
        "ACCEPT",
        "OK",
    ),
]


def frame(rows: list[tuple] | None = None) -> pd.DataFrame:
    """The records as the reader returns them (Athena column names, nullable dtypes)."""
    columns = [FIELDS[name].column for name in DEFAULT_FIELDS]
    data = pd.DataFrame(ROWS if rows is None else rows, columns=columns)
    for name in DEFAULT_FIELDS:
        data[FIELDS[name].column] = data[FIELDS[name].column].astype(FIELDS[name].pandas_dtype)
    return data


def connection(rows: list[tuple] | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the view ``vpc_flow_logs`` over the records."""
    con = duckdb.connect()
    con.register("flow_records", frame(rows))
    con.execute("CREATE VIEW vpc_flow_logs AS SELECT * FROM flow_records")
    return con


def run(con: duckdb.DuckDBPyConnection, query: str, **kwargs) -> pd.DataFrame:
    """Run a query on the default-format view."""
    fields = [FIELDS[name] for name in DEFAULT_FIELDS]
    return run_insights(con, query, fields=fields, **kwargs)


def records(result: pd.DataFrame) -> list[tuple]:
    """The rows as plain tuples (pandas NA as None), for readable assertions."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in result.itertuples(index=False)]


SYNTHETIC_FORMAT = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr pkt-src-aws-service "
    "pkt-dst-aws-service flow-direction reject-reason"
)


def synthetic_frame(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """A seeded random table with a custom (v8) format: VPC 10.32.0.0/16 talking to the internet,
    AWS services and itself, probes from outside, IPv6, NODATA records, and the guide's ENI."""
    import numpy as np

    from flowkit.schema import parse_log_format

    rng = np.random.default_rng(seed)
    fields = parse_log_format(SYNTHETIC_FORMAT)
    enis = np.array(
        ["eni-1234567890000000", "eni-0a1b2c3d4e5f60718", "eni-0fedcba9876543210", "eni-0123456789000000"]
    )
    inside = np.array(["10.32.0.10", "10.32.1.20", "10.32.2.30", "10.100.0.10", "10.32.3.40"])
    outside = np.array(["52.94.5.1", "54.239.0.7", "203.0.113.9", "198.51.100.4", "110.32.1.1", "8.8.8.8"])
    six = np.array(["2001:db8::1", "2001:db8::2"])
    ports = np.array([443, 443, 443, 80, 22, 53, 3389, 8080, 123, 5432])
    eni = rng.choice(enis, n)
    outbound = rng.random(n) < 0.6
    a, b = rng.choice(inside, n), rng.choice(outside, n)
    src, dst = np.where(outbound, a, b), np.where(outbound, b, a)
    v6 = rng.random(n) < 0.05
    src, dst = np.where(v6, rng.choice(six, n), src), np.where(v6, rng.choice(six, n), dst)
    start = T0 + rng.integers(0, 3 * 86_400, n)
    action = np.where(rng.random(n) < 0.2, "REJECT", "ACCEPT")
    frame = pd.DataFrame(
        {
            "version": 8,
            "account_id": ACCOUNT,
            "interface_id": eni,
            "srcaddr": src,
            "dstaddr": dst,
            "srcport": rng.integers(1024, 65535, n),
            "dstport": rng.choice(ports, n),
            "protocol": rng.choice([6, 6, 6, 17], n),
            "packets": rng.integers(1, 50, n),
            "bytes": rng.integers(40, 90_000, n),
            "start": start,
            "end": start + rng.integers(1, 60, n),
            "action": action,
            "log_status": "OK",
            "vpc_id": "vpc-0a1b2c3d",
            "subnet_id": "subnet-0a1b2c3d",
            "instance_id": np.where(rng.random(n) < 0.7, rng.choice(["i-0aaa", "i-0bbb", "i-0ccc"], n), None),
            "tcp_flags": rng.choice([2, 18, 3, 19], n),
            "type": np.where(v6, "IPv6", "IPv4"),
            "pkt_srcaddr": src,
            "pkt_dstaddr": dst,
            "pkt_src_aws_service": np.where(np.isin(src, ["52.94.5.1"]), "S3", None),
            "pkt_dst_aws_service": np.where(np.isin(dst, ["52.94.5.1", "54.239.0.7"]), "AMAZON", None),
            "flow_direction": np.where(outbound, "egress", "ingress"),
            "reject_reason": np.where((action == "REJECT") & (rng.random(n) < 0.3), "BPA", None),
        }
    )
    nodata = rng.random(n) < 0.03
    for column in (
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "packets",
        "bytes",
        "action",
        "pkt_srcaddr",
        "pkt_dstaddr",
        "tcp_flags",
    ):
        frame[column] = frame[column].where(~nodata, None)
    frame.loc[nodata, "log_status"] = "NODATA"
    for field in fields:
        frame[field.column] = frame[field.column].astype(field.pandas_dtype)
    return frame[[f.column for f in fields]]


def write_log(frame: pd.DataFrame, path, log_format: str) -> None:
    """Write records as an S3-style text flow-log file (a header line, then one record a line)."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(log_format + "\n")
        for row in frame.astype(object).itertuples(index=False):
            out.write(" ".join("-" if pd.isna(v) else str(v) for v in row) + "\n")
