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

Then many small files (issue 16): one day of 5-minute files (288 ``.log.gz``, made by
``flowkit simulate`` and cached in benchmarks/.data/, or ``--day DIR``) read into one Arrow table by
``flowkit.read.read_arrow`` (small files inflated on all cores and parsed as one), the per-file path
it replaces, DuckDB's ``read_csv`` over the glob to Arrow (typed columns), pyarrow per file, and
``gzip -dc`` of all files; medians of ``--reps`` interleaved runs, and the new read's peak memory.
Target: within 1.5x of DuckDB's glob reader.

Run: ``python benchmarks/bench_read.py [--records N] [--day DIR] [--reps 7] [--many-only]``.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
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


_MANY_PROBE = """
import re, sys
from flowkit.read import read_arrow

def status(key):  # this process's own memory: ru_maxrss would carry the parent's peak over fork+exec
    with open("/proc/self/status") as fh:
        return int(re.search(key + r":\\s+(\\d+) kB", fh.read()).group(1)) * 1024

before = status("VmRSS")
table = read_arrow(sys.argv[1])
print(status("VmHWM") - before, table.nbytes)
"""


_CLI = "import sys, flowkit.cli; sys.exit(flowkit.cli.main())"  # the `flowkit` command of this Python


def one_day(out: Path) -> Path:
    """One simulated day (288 five-minute ``.log.gz`` files) under ``out``, made once."""
    if not out.exists():
        subprocess.run(
            [sys.executable, "-c", _CLI, "simulate", "--out", str(out), "--days", "1"],
            check=True,
            capture_output=True,
        )
    return out


def many_files(day: Path, reps: int) -> None:
    """Section 2: a day of small files into one Arrow table, against DuckDB's glob reader."""
    import duckdb
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from flowkit.read import many, read_arrow
    from flowkit.read.text import csv_options
    from flowkit.schema import parse_log_format

    files = sorted(str(p) for p in day.rglob("*.log.gz"))
    with gzip.open(files[0], "rt") as fh:
        fields = parse_log_format(fh.readline())
    sql_type = {pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.string(): "VARCHAR"}
    columns = ", ".join(f"'{f.column}': '{sql_type[f.arrow_type]}'" for f in fields)
    glob = f"{day}/**/*.log.gz"
    con = duckdb.connect()
    duck_sql = (
        f"SELECT * FROM read_csv('{glob}', columns={{{columns}}}, delim=' ', header=true, "
        "nullstr='-', quote='', escape='', auto_detect=false)"
    )
    read_options, parse_options, convert_options = csv_options(fields)
    read_options.skip_rows = 1

    def per_file() -> pa.Table:
        saved, many.MAX_COMPRESSED = many.MAX_COMPRESSED, 0  # no file joined: read one by one
        try:
            return read_arrow(files)
        finally:
            many.MAX_COMPRESSED = saved

    def pyarrow_per_file() -> pa.Table:
        return pa.concat_tables(
            pacsv.read_csv(
                f, read_options=read_options, parse_options=parse_options, convert_options=convert_options
            )
            for f in files
        )

    methods = {
        "gzip -dc (all files)": lambda: subprocess.run(
            ["gzip", "-dc", *files], stdout=subprocess.DEVNULL, check=True
        ),
        "flowkit read_arrow": lambda: read_arrow(files),
        "flowkit per-file path (before)": per_file,
        "DuckDB read_csv(glob) -> Arrow": lambda: con.sql(duck_sql).to_arrow_table(),
        "pyarrow read_csv per file": pyarrow_per_file,
    }
    rows = {name: getattr(fn(), "num_rows", None) for name, fn in methods.items()}  # warm-up
    assert len({n for n in rows.values() if n is not None}) == 1, rows
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(reps):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    out = subprocess.run(
        [sys.executable, "-c", _MANY_PROBE, str(day)], capture_output=True, text=True, check=True
    )
    peak, table_bytes = map(int, out.stdout.split())
    median = {name: statistics.median(t) for name, t in times.items()}
    duck, floor = median["DuckDB read_csv(glob) -> Arrow"], median["gzip -dc (all files)"]
    print(
        f"\nmany small files: one day, {len(files)} files under {day}, {rows['flowkit read_arrow']:,} records; "
        f"medians of {reps} interleaved runs"
    )
    for name, t in median.items():
        print(f"{name:32s} {t:7.3f} s   / DuckDB glob: {t / duck:5.2f}x   / gzip -dc: {t / floor:5.2f}x")
    print(
        f"flowkit read_arrow / DuckDB glob reader: {median['flowkit read_arrow'] / duck:.2f}x (target <= 1.5x); "
        f"speed-up over the per-file path: {median['flowkit per-file path (before)'] / median['flowkit read_arrow']:.1f}x"
    )
    print(
        f"peak memory       {peak / 1e6:7.0f} MB  Arrow table {table_bytes / 1e6:.0f} MB  "
        f"ratio: {peak / table_bytes:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--day", type=Path, help="a folder of one day's .log.gz (default: simulated)")
    parser.add_argument("--reps", type=int, default=7, help="interleaved runs of the many-files case")
    parser.add_argument("--many-only", action="store_true", help="only the many-files case")
    args = parser.parse_args()
    if not args.many_only:
        single_file(args.records)
    many_files(args.day or one_day(DATA / "day-workshop"), args.reps)


def single_file(records: int) -> None:
    """Section 1: one large file, against gzip -dc, pandas, pyarrow and polars."""

    path = make_file(records, DATA / f"default-{records}.log.gz")
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.1f} MB compressed, {records:,} records")

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
