"""Benchmark: the guide's three Athena queries through ``engine.sql`` vs hand-written DuckDB vs pandas.

Generates a flow-log Parquet dataset (default 10 million records, AWS's Parquet types) in
``benchmarks/.data/`` once, then times, in the same run and on the same files:

* ``engine``: ``flowkit.connect(dir).sql(<the guide's query, verbatim>)`` -> DataFrame (parse,
  transpile, bind, run, convert);
* ``duckdb``: the same query written by hand in DuckDB SQL over ``read_parquet`` -> DataFrame;
* ``pandas``: ``pd.read_parquet`` of the needed columns, then boolean masks / groupby.

Prints the best of ``--repeat`` runs and the ratios engine/duckdb (target <= 1.2) and
pandas/engine. With ``--memory-limit 2GB`` DuckDB runs under that limit (out of core), and the
peak resident memory of the process is printed at the end.

Run: ``PYTHONPATH=. python benchmarks/bench_engine.py [--records 10000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from flowkit.engines import connect
from flowkit.queries import get_query

DATA = Path(__file__).parent / ".data"

HAND_WRITTEN = {
    "guide_outbound_admin": (
        "SELECT * FROM read_parquet('{files}') WHERE interface_id = 'eni-1234567890000000' "
        "AND srcaddr LIKE '10.100.0.10' AND dstport < 1024 LIMIT 200"
    ),
    "guide_top_external_destinations": (
        "SELECT dstport, dstaddr, count(*) AS count FROM read_parquet('{files}') WHERE dstaddr NOT LIKE '10.32%' "
        "AND interface_id = 'eni-1234567890000000' GROUP BY dstport, dstaddr ORDER BY count DESC LIMIT 200"
    ),
    "guide_rejected_outbound": (
        "SELECT * FROM read_parquet('{files}') WHERE srcaddr LIKE '10.32%' AND action LIKE 'REJECT'"
    ),
}


def generate(records: int, out: Path) -> Path:
    """Write ``records`` synthetic default-format records as Parquet (DuckDB streams it: no big frame)."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"flows_{records}.parquet"
    if target.exists():
        return target
    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT 2::INTEGER AS version, '123456789012' AS account_id,
            CASE WHEN i % 10 = 0 THEN 'eni-1234567890000000'
                 ELSE 'eni-0' || lpad(CAST((h >> 40) % 50 AS VARCHAR), 16, '0') END AS interface_id,
            CASE WHEN i % 10 = 0 THEN '10.100.0.10'
                 ELSE '10.32.' || CAST((h >> 8) % 4 AS VARCHAR) || '.' || CAST(h % 250 AS VARCHAR) END AS srcaddr,
            CASE WHEN (h >> 16) % 3 = 0 THEN '10.32.' || CAST((h >> 18) % 4 AS VARCHAR) || '.'
                                                || CAST((h >> 20) % 250 AS VARCHAR)
                 ELSE CAST(52 + (h >> 22) % 150 AS VARCHAR) || '.' || CAST((h >> 30) % 256 AS VARCHAR) || '.'
                      || CAST((h >> 33) % 8 AS VARCHAR) || '.' || CAST((h >> 36) % 16 AS VARCHAR) END AS dstaddr,
            CAST(32768 + h % 28000 AS INTEGER) AS srcport,
            CAST([443, 443, 443, 443, 80, 22, 53, 3306, 8443, 25][CAST(1 + (h >> 24) % 10 AS BIGINT)] AS INTEGER) AS dstport,
            CAST(CASE WHEN (h >> 24) % 10 = 6 THEN 17 ELSE 6 END AS INTEGER) AS protocol,
            CAST(1 + (h >> 44) % 200 AS BIGINT) AS packets,
            CAST(40 + (h >> 48) % 150000 AS BIGINT) AS bytes,
            CAST(1659310200 + i // 200 AS BIGINT) AS start,
            CAST(1659310200 + i // 200 + 30 AS BIGINT) AS "end",
            CASE WHEN (h >> 52) % 20 = 0 THEN 'REJECT' ELSE 'ACCEPT' END AS action,
            'OK' AS log_status
          FROM (SELECT i, hash(i) AS h FROM range({records}) t(i))
        ) TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)
    """)
    con.close()
    return target


def pandas_versions(files: str) -> dict[str, Callable[[], pd.DataFrame]]:
    """The same three questions in plain pandas (reading the columns each needs)."""

    def outbound_admin() -> pd.DataFrame:
        df = pd.read_parquet(files)
        mask = (df.interface_id == "eni-1234567890000000") & (df.srcaddr == "10.100.0.10") & (df.dstport < 1024)
        return df[mask].head(200)

    def top_external() -> pd.DataFrame:
        df = pd.read_parquet(files, columns=["interface_id", "dstaddr", "dstport"])
        sub = df[(df.interface_id == "eni-1234567890000000") & ~df.dstaddr.str.startswith("10.32")]
        counts = sub.groupby(["dstport", "dstaddr"]).size().rename("count").reset_index()
        return counts.sort_values("count", ascending=False).head(200)

    def rejected_outbound() -> pd.DataFrame:
        df = pd.read_parquet(files)
        return df[df.srcaddr.str.startswith("10.32") & (df.action == "REJECT")]

    return {
        "guide_outbound_admin": outbound_admin,
        "guide_top_external_destinations": top_external,
        "guide_rejected_outbound": rejected_outbound,
    }


def interleaved(a: Callable[[], pd.DataFrame], b: Callable[[], pd.DataFrame], repeat: int) -> tuple[float, float]:
    """Best wall times of ``a`` and ``b``, run alternately so both see the same machine load."""
    a(), b()
    times_a, times_b = [], []
    for _ in range(repeat):
        for fn, times in ((a, times_a), (b, times_b)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return min(times_a), min(times_b)


def best_of(fn: Callable[[], pd.DataFrame], repeat: int) -> tuple[float, int]:
    """Best wall time of ``repeat`` runs after one warm-up, and the result's row count."""
    rows = len(fn())
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit for both DuckDB sides, e.g. 2GB")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline (e.g. for 100M records)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    path = generate(args.records, DATA)
    print(f"dataset: {path} ({args.records:,} records, {path.stat().st_size / 1e6:,.0f} MB, "
          f"ready in {time.perf_counter() - t0:.1f} s)")  # fmt: skip

    engine = connect(path, memory_limit=args.memory_limit)
    raw = duckdb.connect()
    raw.execute("SET TimeZone = 'UTC'")
    if args.memory_limit:
        raw.execute(f"SET memory_limit = '{args.memory_limit}'")
    pandas_fns = pandas_versions(str(path))

    print(f"{'query':34} {'rows':>9} {'engine s':>9} {'duckdb s':>9} {'pandas s':>9} {'eng/duck':>9} {'pd/eng':>8}")
    for name, hand in HAND_WRITTEN.items():
        text = get_query(name).sql
        hand_sql = hand.format(files=path)
        rows, rows_duck = len(engine.sql(text)), len(raw.sql(hand_sql).df())
        assert rows == rows_duck, (name, rows, rows_duck)
        t_engine, t_duck = interleaved(lambda text=text: engine.sql(text), lambda sql=hand_sql: raw.sql(sql).df(),
                                       args.repeat)  # fmt: skip
        if args.no_pandas:
            t_pandas, ratio_pd = float("nan"), float("nan")
        else:
            t_pandas, rows_pd = best_of(pandas_fns[name], args.repeat)
            assert rows == rows_pd, (name, rows, rows_pd)
            ratio_pd = t_pandas / t_engine
        print(f"{name:34} {rows:>9,} {t_engine:>9.3f} {t_duck:>9.3f} {t_pandas:>9.3f} "
              f"{t_engine / t_duck:>9.2f} {ratio_pd:>8.1f}")  # fmt: skip
    print("catalogue questions through engine.query (heavy aggregations: these spill to disk when needed):")
    for name in ("top_talkers", "egress_by_port", "port_scans", "bytes_over_time"):
        t0 = time.perf_counter()
        rows = len(engine.query(name))
        print(f"  {name:32} {rows:>9,} rows {time.perf_counter() - t0:>9.3f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"peak resident memory of this process: {peak:.2f} GB")


if __name__ == "__main__":
    main()
