"""Reader speed and memory, as ratios against baselines measured in the same run.

Generates a 2-million-record default-format ``.log.gz`` (cached in benchmarks/.data/), then times:
- ``gzip -dc FILE > /dev/null`` (the decompression floor),
- ``flowkit.read_flow_logs`` into a typed DataFrame,
- ``pandas.read_csv(sep=" ")`` (the naive way),
- the fastest peer readers of the same file: ``pyarrow.csv.read_csv`` and ``polars.read_csv``
  (untyped by the schema, unchecked: the floor of what a checked reader can do),
- the frame's dtypes: flowkit's Arrow-backed frame (no copy) against the masked ``Int32`` /
  ``StringDtype`` frame of flowkit 0.1, converted from the same Arrow table,
and measures the reader's peak memory (RSS growth in a fresh process) against the DataFrame's size.

Targets (issue 2): flowkit <= 1.5x gzip -dc; >= 3x faster than pandas; peak memory <= 3x the frame.

Run: ``python benchmarks/bench_read.py [--records N]``.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def make_file(records: int, path: Path, seed: int = 1) -> Path:
    """Write a realistic default-format flow-log file (vectorised, deterministic)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    n = records
    enis = np.array([f"eni-{i:017x}" for i in rng.integers(0, 2**64 - 1, 50, dtype=np.uint64)])
    src = np.char.add("10.32.", np.char.add(rng.integers(0, 255, n).astype(str), "."))
    src = np.char.add(src, rng.integers(1, 255, n).astype(str))
    dst = np.char.add(rng.integers(1, 223, n).astype(str), ".")
    dst = np.char.add(dst, np.char.add(rng.integers(0, 255, n).astype(str), ".0.1"))
    start = 1_700_000_000 + np.sort(rng.integers(0, 86_400, n))
    cols = [
        np.full(n, "2"),
        np.full(n, "012345678901"),
        enis[rng.integers(0, len(enis), n)],
        src,
        dst,
        rng.integers(1024, 65535, n).astype(str),
        rng.choice(["443", "80", "22", "53", "123"], n),
        rng.choice(["6", "17"], n),
        rng.integers(1, 500, n).astype(str),
        rng.integers(40, 500_000, n).astype(str),
        start.astype(str),
        (start + 60).astype(str),
        rng.choice(["ACCEPT", "REJECT"], n, p=[0.9, 0.1]),
        np.full(n, "OK"),
    ]
    lines = cols[0]
    for col in cols[1:]:
        lines = np.char.add(np.char.add(lines, " "), col)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", compresslevel=6) as fh:
        fh.write(HEADER + "\n")
        fh.write("\n".join(lines.tolist()))
        fh.write("\n")
    return path


def best_of(fn, repeat: int = 3) -> float:
    """The fastest of a few runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


_MEMORY_PROBE = """
import resource, sys
import flowkit.read as r, pandas, pyarrow, isal.igzip
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
df = r.read_flow_logs(sys.argv[1])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((peak - before) * 1024, int(df.memory_usage(deep=True).sum()))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    args = parser.parse_args()

    path = make_file(args.records, DATA / f"default-{args.records}.log.gz")
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.1f} MB compressed, {args.records:,} records")

    # First, while this process is small: Linux carries the peak RSS across fork+exec into the child.
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path)], capture_output=True, text=True, check=True
    )
    peak, frame = map(int, out.stdout.split())

    import pandas as pd
    import polars as pl
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from flowkit import read_flow_logs
    from flowkit.frames import from_arrow
    from flowkit.read import read_arrow

    t_gzip = best_of(lambda: subprocess.run(f"gzip -dc {path} > /dev/null", shell=True, check=True))
    t_flowkit = best_of(lambda: read_flow_logs(path))
    t_pandas = best_of(lambda: pd.read_csv(path, sep=" "), repeat=1)
    t_pyarrow = best_of(lambda: pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=" ")))
    t_polars = best_of(lambda: pl.read_csv(path, separator=" "))
    table = read_arrow(path)
    t_arrow_frame = best_of(lambda: from_arrow(table))
    masked = {
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.string(): pd.StringDtype("pyarrow"),
    }
    t_masked_frame = best_of(lambda: table.to_pandas(types_mapper=masked.get))

    print(f"gzip -dc          {t_gzip:7.3f} s")
    print(
        f"flowkit read      {t_flowkit:7.3f} s   ratio to gzip -dc: {t_flowkit / t_gzip:.2f}x (target <= 1.5x)"
    )
    print(
        f"pandas.read_csv   {t_pandas:7.3f} s   flowkit is {t_pandas / t_flowkit:.1f}x faster (target >= 3x)"
    )
    print(
        f"pyarrow.csv       {t_pyarrow:7.3f} s   flowkit / pyarrow: {t_flowkit / t_pyarrow:.2f}x "
        f"(pyarrow does no schema typing or checks)"
    )
    print(f"polars.read_csv   {t_polars:7.3f} s   flowkit / polars: {t_flowkit / t_polars:.2f}x")
    print(
        f"Arrow -> frame    {t_arrow_frame:7.3f} s   flowkit's Arrow dtypes; 0.1's masked dtypes "
        f"{t_masked_frame:.3f} s: {t_masked_frame / max(t_arrow_frame, 1e-9):.0f}x slower"
    )
    print(
        f"peak memory       {peak / 1e6:7.0f} MB  DataFrame {frame / 1e6:.0f} MB  "
        f"ratio: {peak / frame:.2f}x (target <= 3x)"
    )


if __name__ == "__main__":
    main()
