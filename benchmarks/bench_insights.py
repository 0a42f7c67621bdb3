"""Logs Insights engine speed, as ratios against hand-written DuckDB SQL measured in the same run.

Generates a 10-million-record default-format Parquet file (cached in benchmarks/.data/, gitignored),
then times the AWS guide's three Logs Insights queries through ``run_insights`` against
hand-written DuckDB SQL that computes the same result (same rows, same columns, into a pandas
DataFrame), on the same view. The guide's second and third queries filter ``@logstream`` on a bare
ENI id, which matches nothing (as on AWS); they are timed verbatim and also with the intended stream
name (``...-all``), which does the real work. Runs alternate between the two sides and the median
is kept. Also times parsing + compiling each query.

Targets (issue 5): engine <= 1.2x the hand-written SQL; parse + compile < 5 ms.

Run: ``python benchmarks/bench_insights.py [--records N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flowkit.engines.insights import run_insights
from flowkit.engines.insights.run import compile_query
from flowkit.schema import DEFAULT_FIELDS, FIELDS

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
ENI1, ENI3 = "eni-1234567890000000", "eni-0123456789000000"
FIELD_LIST = [FIELDS[name] for name in DEFAULT_FIELDS]

GUIDE = {
    "guide 1 (admin traffic)": (
        "fields @timestamp, @message | filter interfaceId = 'eni-1234567890000000' | filter srcAddr = "
        "'10.100.0.10' | filter dstPort < 1024 | limit 200"
    ),
    "guide 2 verbatim (empty, as on AWS)": (
        "filter @logstream = 'eni-1234567890000000' | stats count(*) as count by dstAddr, dstPort | filter dstAddr "
        "not like '10.32' | order by count desc | limit 200"
    ),
    "guide 2 with stream -all": (
        "filter @logstream = 'eni-1234567890000000-all' | stats count(*) as count by dstAddr, dstPort | filter "
        "dstAddr not like '10.32' | order by count desc | limit 200"
    ),
    "guide 3 verbatim (empty, as on AWS)": (
        "filter @logstream = 'eni-0123456789000000' | fields @timestamp, @message | filter action='REJECT'"
    ),
    "guide 3 with stream -all": (
        "filter @logstream = 'eni-0123456789000000-all' | fields @timestamp, @message | filter action='REJECT'"
    ),
}

_MESSAGE = " || ' ' || ".join(
    f"coalesce(CAST(\"{f.column}\" AS VARCHAR), '-')" if f.is_numeric else f"coalesce(\"{f.column}\", '-')"
    for f in FIELD_LIST
)
HAND = {
    "guide 1 (admin traffic)": (
        f"SELECT epoch_ms(start * 1000) AS ts, {_MESSAGE} AS message FROM vpc_flow_logs "
        f"WHERE interface_id = '{ENI1}' AND srcaddr = '10.100.0.10' AND dstport < 1024 ORDER BY start DESC LIMIT 200"
    ),
    "guide 2 verbatim (empty, as on AWS)": (
        "SELECT dstaddr, dstport, count(*) AS count FROM vpc_flow_logs "
        f"WHERE interface_id || '-all' = '{ENI1}' GROUP BY dstaddr, dstport "
        "HAVING NOT contains(dstaddr, '10.32') ORDER BY count DESC LIMIT 200"
    ),
    "guide 2 with stream -all": (
        "SELECT dstaddr, dstport, count(*) AS count FROM vpc_flow_logs "
        f"WHERE interface_id = '{ENI1}' GROUP BY dstaddr, dstport "
        "HAVING NOT contains(dstaddr, '10.32') ORDER BY count DESC LIMIT 200"
    ),
    "guide 3 verbatim (empty, as on AWS)": (
        f"SELECT epoch_ms(start * 1000) AS ts, {_MESSAGE} AS message FROM vpc_flow_logs "
        f"WHERE interface_id || '-all' = '{ENI3}' AND action = 'REJECT' ORDER BY start DESC LIMIT 10000"
    ),
    "guide 3 with stream -all": (
        f"SELECT epoch_ms(start * 1000) AS ts, {_MESSAGE} AS message FROM vpc_flow_logs "
        f"WHERE interface_id = '{ENI3}' AND action = 'REJECT' ORDER BY start DESC LIMIT 10000"
    ),
}


def make_parquet(records: int, path: Path, seed: int = 11) -> Path:
    """Write a default-format flow-log Parquet file: 60 interfaces (the guide's two among them),
    a pool of internal and external addresses, a day of records sorted by start."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    n = records
    enis = pa.array([ENI1, ENI3] + [f"eni-{i:017x}" for i in rng.integers(0, 2**62, 58)])
    inside = pa.array(["10.100.0.10"] + [f"10.32.{a}.{b}" for a, b in rng.integers(1, 255, (400, 2))])
    outside = pa.array(
        [f"{a}.{b}.{c}.{d}" for a, b, c, d in rng.integers(1, 255, (4000, 4))] + ["110.32.1.1"]
    )
    outbound = rng.random(n) < 0.7
    inner = inside.take(pa.array(rng.integers(0, len(inside), n)))
    outer = outside.take(pa.array(rng.integers(0, len(outside), n)))
    mask = pa.array(outbound)
    start = 1_700_000_000 + np.sort(rng.integers(0, 86_400, n))
    table = pa.table(
        {
            "version": pa.array(np.full(n, 2, np.int32)),
            "account_id": pa.array(np.full(n, "012345678901")),
            "interface_id": enis.take(pa.array(rng.integers(0, len(enis), n))),
            "srcaddr": pa.compute.if_else(mask, inner, outer),
            "dstaddr": pa.compute.if_else(mask, outer, inner),
            "srcport": pa.array(rng.integers(1024, 65535, n).astype(np.int32)),
            "dstport": pa.array(rng.choice(np.array([443, 80, 22, 53, 123, 3389, 8080], np.int32), n)),
            "protocol": pa.array(rng.choice(np.array([6, 17], np.int32), n)),
            "packets": pa.array(rng.integers(1, 500, n)),
            "bytes": pa.array(rng.integers(40, 500_000, n)),
            "start": pa.array(start),
            "end": pa.array(start + 60),
            "action": pa.array(rng.choice(np.array(["ACCEPT", "REJECT"]), n, p=[0.9, 0.1])),
            "log_status": pa.array(np.full(n, "OK")),
        }
    )
    DATA.mkdir(exist_ok=True)
    pq.write_table(table, path, row_group_size=1_000_000)
    return path


def timed(function) -> float:
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    path = make_parquet(args.records, DATA / f"insights_{args.records}.parquet")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW vpc_flow_logs AS SELECT * FROM read_parquet('{path.as_posix()}')")
    print(f"{args.records:,} records in {path.name}; median of {args.repeat} alternating runs\n")

    worst = 0.0
    print(f"{'query':40} {'engine s':>9} {'hand SQL s':>11} {'ratio':>6} {'rows':>6}")
    for name, query in GUIDE.items():
        engine_times, hand_times = [], []
        rows = 0
        for _ in range(args.repeat):
            engine_times.append(timed(lambda q=query: run_insights(con, q, fields=FIELD_LIST)))
            hand_times.append(timed(lambda s=HAND[name]: con.sql(s).to_arrow_table().to_pandas()))
        rows = len(run_insights(con, query, fields=FIELD_LIST))
        hand_rows = len(con.sql(HAND[name]).fetchall())
        assert rows == hand_rows, (name, rows, hand_rows)
        engine_s, hand_s = statistics.median(engine_times), statistics.median(hand_times)
        ratio = engine_s / hand_s
        worst = max(worst, ratio)
        print(f"{name:40} {engine_s:9.4f} {hand_s:11.4f} {ratio:6.2f} {rows:6d}")

    print(f"\nworst ratio engine / hand-written SQL: {worst:.2f} (target <= 1.2)")
    print("\nparse + compile, mean of 200:")
    slowest = 0.0
    for name, query in GUIDE.items():
        began = time.perf_counter()
        for _ in range(200):
            compile_query(query, FIELD_LIST)
        ms = (time.perf_counter() - began) / 200 * 1000
        slowest = max(slowest, ms)
        print(f"  {name:40} {ms:6.2f} ms")
    print(f"slowest parse + compile: {slowest:.2f} ms (target < 5 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
