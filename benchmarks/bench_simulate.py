"""Simulator speed and memory, as ratios against baselines measured in the same run.

Times ``flowkit.simulate`` writing N records of the workshop scenario (v5 format, one day):
- into Parquet (the default snappy codec, and gzip, the codec AWS delivers),
- into ``.log.gz`` text,
and compares them with:
- the Parquet floor: ``pyarrow.parquet.write_table`` of the same records, already in memory, into the same
  288 five-minute files (so the ratio is the cost of generating them),
- a naive generator (one Python loop iteration per record, ``str.format`` of each line), measured on a
  sample and extrapolated.
Memory: the peak RSS of a fresh process simulating N/4 and 2N records into Parquet (flat = ratio near 1).

Target (issue 3): at least 1 million records per second into Parquet. The machine is shared, so the
figures are given per wall-clock second and per CPU second of the process.

Run: ``python benchmarks/bench_simulate.py [--records N] [--no-memory]``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flowkit.simulate import simulate

_PEAK = """
import re, sys
from flowkit.simulate import simulate
r = simulate("workshop", seed=7, records=int(sys.argv[1]), out=sys.argv[2], file_format="parquet", keep_flows=False)
status = open("/proc/self/status").read()  # VmHWM: this process's peak RSS (ru_maxrss survives the fork)
print(r.records, re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
"""


def timed(label: str, fn, records: int | None = None) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = records if records is not None else result.records
    print(
        f"  {label:<44} {n:>10,} records {wall:7.2f} s  {n / wall:>12,.0f} /s wall  {n / cpu:>12,.0f} /s CPU"
    )
    return wall, cpu, result


def naive_rate(sample: int = 50_000) -> float:
    """Records per CPU second of a per-record Python loop writing text lines (the way not to do it)."""
    rng = random.Random(1)
    start = time.process_time()
    lines = []
    for i in range(sample):
        src = f"10.32.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        dst = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
        t = 1_793_577_600 + i
        flags = rng.choice((2, 3, 18, 19, 1, 0))
        lines.append(
            f"5 111122223333 eni-0c0ffee0a0b0c0d01 {src} {dst} {rng.randrange(32768, 61000)} 443 6 "
            f"{rng.randrange(1, 50)} {rng.randrange(40, 90000)} {t} {t + 30} ACCEPT OK vpc-0a32c0ffee1234567 "
            f"subnet-0a32010a3d4e5f607 i-0a99c0ffee0000001 {flags} IPv4 {src} {dst} us-east-1 use1-az1 - - - - "
            "egress 1"
        )
    table = pa.table({"line": lines})
    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(table, Path(tmp) / "x.parquet")
    return sample / (time.process_time() - start)


def peak_rss(records: int) -> tuple[int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", _PEAK, str(records), tmp], check=True, capture_output=True, text=True
        ).stdout.split()
    return int(out[0]), int(out[1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    args = parser.parse_args()
    n = args.records
    print(f"flowkit simulate, workshop scenario, v5 format, ~{n:,} records over one day")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wall, cpu, result = timed(
            "simulate -> Parquet (snappy)",
            lambda: simulate(
                "workshop", seed=7, records=n, out=root / "snappy", file_format="parquet", keep_flows=False
            ),
        )
        files = sorted((root / "snappy").rglob("*.log.parquet"))
        tables = [pq.read_table(f) for f in files]
        floor_dir = root / "floor"
        floor_dir.mkdir()

        def write_floor():
            for i, table in enumerate(tables):
                pq.write_table(table, floor_dir / f"{i}.parquet", compression="snappy")

        _, floor_cpu, _ = timed("floor: write_table of the same records", write_floor, records=result.records)
        small = n // 4  # the slow codecs on a quarter of the records
        _, gz_cpu, gz_result = timed(
            "simulate -> Parquet (gzip, as AWS; N/4)",
            lambda: simulate(
                "workshop",
                seed=7,
                records=small,
                out=root / "gzip",
                file_format="parquet",
                keep_flows=False,
                compression="gzip",
            ),
        )
        _, text_cpu, text_result = timed(
            "simulate -> .log.gz text (N/4)",
            lambda: simulate("workshop", seed=7, records=small, out=root / "text", keep_flows=False),
        )
    naive = naive_rate()
    print(f"  {'naive per-record Python loop (50k sample)':<44} {naive:>71,.0f} /s CPU")
    rate, cpu_rate = result.records / wall, result.records / cpu
    print()
    print(f"Parquet: {rate:,.0f} records/s wall, {cpu_rate:,.0f} records/s CPU (target >= 1,000,000)")
    print("Ratios on CPU time (the machine is shared, wall time depends on the load):")
    print(
        f"  vs the write-only floor: {cpu / floor_cpu:.2f}x its time (generation adds {cpu - floor_cpu:.2f} s)"
    )
    print(f"  vs a per-record Python loop: {cpu_rate / naive:.0f}x faster")
    for label, (run_cpu, run) in {
        "gzip Parquet (AWS's codec)": (gz_cpu, gz_result),
        ".log.gz text": (text_cpu, text_result),
    }.items():
        print(
            f"  {label}: {run.records / run_cpu:,.0f} records/s CPU, {cpu_rate / (run.records / run_cpu):.1f}x slower"
        )
    if not args.no_memory:
        small, small_rss = peak_rss(n // 4)
        large, large_rss = peak_rss(n * 2)
        print(
            f"Memory: peak RSS {small_rss / 2**20:,.0f} MiB for {small:,} records, {large_rss / 2**20:,.0f} MiB for "
            f"{large:,} ({large / small:.0f}x the records, {large_rss / small_rss:.2f}x the memory)"
        )


if __name__ == "__main__":
    main()
