"""A month of S3-delivered flow logs in place (issue 16): many small files against DuckDB and ``gzip -dc``.

Data: ``flowkit simulate --scenario workshop --seed 16 --days 30 --records 3000000 --log-format default``
(the S3 layout: one ``.log.gz`` per 5 minutes, 288 files a day, 8,640 for the month, ~350 records a file,
~3.2M records with the scenario's anomalies; the 14-field default format, as in the issue's month).
Cached in ``benchmarks/.data/month-<generator args>/`` (gitignored; written to a temporary folder and
renamed, so a killed run leaves no half-made month under the final name).

Cases (each in a fresh process; wall and CPU = user+sys of that process and its children; peak = the
process's own peak RSS (VmHWM), or its children's ``ru_maxrss`` for the command-line cases; the in-process
cases import duckdb, pandas, pyarrow, sqlglot and flowkit before the clock starts):

* month, per-day totals: ``gzip_month`` (``xargs -0 -P2 gzip -dc``, the floor), ``duckdb_month``
  (DuckDB's own ``read_csv`` over the glob, typed, hand-written), ``flowkit_month``
  (``flowkit.connect(DIR).sql(per-day)``). Target: flowkit <= 1.2x DuckDB, peak < 600 MB.
* ``flowkit_month_query``: the same query on an engine opened before the clock starts (a notebook's
  second query): the query's own cost, without listing and opening the month.
* ``flowkit_month_first``: the same query the first time flowkit sees the files. A flowkit that remembers
  the files it has checked (``$FLOWKIT_CACHE_DIR``) is given a folder of the benchmark's own: empty for each
  run of this case, warmed by one untimed query for the others (so ``flowkit_month`` is a later query).
  Run only when a probe on ``data/sample`` shows that the flowkit under test remembers anything.
* one hour mid-month (10:00-11:00 UTC): ``flowkit_hour`` (``sql(..., start=, end=)``; prints
  ``df.attrs["scan"]`` files/bytes when the engine reports them) and ``duckdb_hour`` (hand-written
  DuckDB over the whole glob with ``WHERE start``: the check). Target: reads only that hour's files
  (<= 36: its 12 files plus up to 2 hours of delivery margin).
* ``flowkit_hour_first``: the same hour as the first question ever asked of the month (empty
  ``$FLOWKIT_CACHE_DIR``), bounded at ``connect(DIR, start=, end=)`` so only the hour's files are checked.
* one day (288 files, mid-month): ``gzip_day``, ``duckdb_day`` (``read_csv`` -> Arrow),
  ``flowkit_day`` (``flowkit.read_flow_logs(day folder)``). Target: flowkit <= 1.5x DuckDB.
  ``duckdb_day_sum`` (the same files, count and sum only: no table made) shows what reading alone costs.
* the CLI: ``cli_count`` (``flowkit sql "SELECT count(*) FROM vpc_flow_logs" --data data/sample``,
  target < 0.8 s) against ``duckdb_cli`` (``python -c`` importing duckdb and counting the same files),
  and ``import_cli``: the total import time (``python -X importtime``) of ``import flowkit.cli`` and of the
  whole ``cli_count`` command. Where ``PYTHONDONTWRITEBYTECODE`` is set (these machines), these depend on the
  bytecode having been compiled at install (``python -m compileall``); the run says so.

The cases run interleaved, round by round (month and hour cases for ``--rounds`` rounds, the others
for ``--small-rounds``), and the table gives medians. Every answer is checked against the
hand-written DuckDB one; a wrong answer or a crash makes the run fail, a missed target does not.

Options (``python benchmarks/bench_month.py --help``):

* ``--days N`` (or env ``FLOWKIT_BENCH_DAYS``): days to simulate (default 30; ``--days 3`` for a quick run),
* ``--records-per-day N`` (default 100,000), ``--seed N`` (default 16),
* ``--rounds N`` (default 3) and ``--small-rounds N`` (default 5),
* ``--only REGEX``: run only the matching cases.

Against another checkout's flowkit: ``PYTHONPATH=/path/to/checkout python benchmarks/bench_month.py``
(the children inherit the environment; the table's header shows which flowkit was imported).
The full month takes 3 to 6 minutes on a shared 2-core machine with today's engine, 3 to 8 with one that
remembers checked files (the warm-up and ``flowkit_month_first`` are added).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
SAMPLE = REPO / "data" / "sample"
START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
PER_DAY = "SELECT day, count(*) AS records, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY day ORDER BY day"
HOUR_QUERY = "SELECT count(*) AS records, sum(bytes) AS bytes FROM vpc_flow_logs"
GLOB = "AWSLogs/*/vpcflowlogs/*/*/*/*/*.log.gz"
# The default format's columns, typed as flowkit's schema and AWS's Parquet delivery type them.
COLUMNS = {
    "version": "INTEGER", "account_id": "VARCHAR", "interface_id": "VARCHAR", "srcaddr": "VARCHAR",
    "dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER", "protocol": "INTEGER",
    "packets": "BIGINT", "bytes": "BIGINT", "start": "BIGINT", "end": "BIGINT", "action": "VARCHAR",
    "log_status": "VARCHAR",
}  # fmt: skip
HOUR_FILES_MAX = 36


def read_csv_sql(files: str) -> str:
    """DuckDB's own reader over ``files`` (a glob or a list literal), typed, no sniffing."""
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items()) + "}"
    return (
        f"read_csv({files}, columns={columns}, delim=' ', header=true, nullstr='-', "
        "auto_detect=false, filename=true)"
    )


def month_dir(days: int, records_per_day: int, seed: int) -> Path:
    """The cached simulated month (made once per set of generator arguments)."""
    records = days * records_per_day
    args = [
        "--scenario", "workshop", "--seed", str(seed), "--days", str(days), "--records", str(records),
        "--log-format", "default", "--start", START.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]  # fmt: skip
    out = DATA / f"month-workshop-seed{seed}-days{days}-records{records}-default"
    if out.is_dir():
        return out
    remove_stale(DATA)
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    print(f"simulating {days} days ({records:,} records) into {out} ...", flush=True)
    t0 = time.perf_counter()
    subprocess.run([*flowkit_command(), "simulate", *args, "--out", str(tmp)], check=True)
    tmp.rename(out)
    print(f"simulated in {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def remove_stale(folder: Path) -> None:
    """Remove what a killed run of this benchmark left in ``folder``: its ``*.tmp-PID`` months and
    ``flowkit-cache-PID-*`` folders whose process is gone."""
    for path in [*folder.glob("month-*.tmp-*"), *folder.glob("flowkit-cache-*-*")]:
        found = re.search(r"(?:\.tmp-|flowkit-cache-)(\d+)", path.name)
        if found is None or not path.is_dir():
            continue
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            continue


def flowkit_command() -> list[str]:
    """The ``flowkit`` console script next to this interpreter, else ``python -m flowkit.cli``."""
    script = Path(sys.executable).with_name("flowkit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flowkit.cli"]


def log_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*.log.gz"))


def gzip_dc(root: Path) -> dict:
    """``gzip -dc`` of every file under ``root``, 2 processes (8 batches so both stay busy)."""
    files = log_files(root)
    batch = str(max(1, math.ceil(len(files) / 8)))
    subprocess.run(
        ["xargs", "-0", "-n", batch, "-P", "2", "gzip", "-dc"],
        input="\0".join(files).encode(),
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return {"files": len(files)}


def _hour_bounds(hour_start: str) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.fromisoformat(hour_start)
    return lo, lo + dt.timedelta(hours=1)


def _count_from_cli(stdout: str) -> int:
    last = [line for line in stdout.splitlines() if line.strip()][-1]
    return int(last.split()[-1].replace(",", ""))


# -- the cases (run in the child) ------------------------------------------------------------------


def case_gzip_month(a: argparse.Namespace) -> dict:
    return gzip_dc(Path(a.data))


def case_duckdb_month(a: argparse.Namespace) -> dict:
    import duckdb

    glob = Path(a.data) / GLOB
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT regexp_extract(filename, '/(\\d{{4}}/\\d{{2}}/\\d{{2}})/', 1) AS day, count(*), sum(bytes) "
            f"FROM {read_csv_sql(repr(str(glob)))} GROUP BY 1 ORDER BY 1"
        )
        .fetchall()
    )
    return {"answer": [[d, int(n), int(b)] for d, n, b in rows]}


def case_flowkit_month(a: argparse.Namespace) -> dict:
    import flowkit

    df = flowkit.connect(a.data).sql(PER_DAY)
    return {"answer": [[str(d), int(n), int(b)] for d, n, b in df.itertuples(index=False)]}


def open_engine(a: argparse.Namespace) -> object:
    """Set-up outside the timing: an engine over the month, as a notebook holds one between queries."""
    import flowkit

    return flowkit.connect(a.data)


def case_flowkit_month_query(a: argparse.Namespace) -> dict:
    df = a.state.sql(PER_DAY)
    return {"answer": [[str(d), int(n), int(b)] for d, n, b in df.itertuples(index=False)]}


def case_flowkit_month_first(a: argparse.Namespace) -> dict:
    return case_flowkit_month(a)  # the driver gives this case an empty FLOWKIT_CACHE_DIR each time


def case_duckdb_hour(a: argparse.Namespace) -> dict:
    import duckdb

    lo, hi = (int(t.timestamp()) for t in _hour_bounds(a.hour))
    glob = Path(a.data) / GLOB
    n, b = (
        duckdb.connect()
        .execute(
            f"SELECT count(*), sum(bytes) FROM {read_csv_sql(repr(str(glob)))} WHERE start >= {lo} AND start < {hi}"
        )
        .fetchone()
    )
    return {"answer": [int(n), int(b)]}


def case_flowkit_hour(a: argparse.Namespace, *, bounded: bool = False) -> dict:
    """One hour of the month, ``sql(..., start=, end=)``; ``bounded``: the engine too is opened on the hour."""
    import flowkit

    lo, hi = _hour_bounds(a.hour)
    try:
        engine = flowkit.connect(a.data, start=lo, end=hi) if bounded else flowkit.connect(a.data)
    except TypeError:  # a flowkit whose connect takes no time bounds
        engine = flowkit.connect(a.data)
    df = engine.sql(HOUR_QUERY, start=lo, end=hi)
    scan = df.attrs.get("scan") or {}
    return {
        "answer": [int(df["records"].iloc[0]), int(df["bytes"].iloc[0])],
        "files": scan.get("files"),
        "bytes": scan.get("bytes"),
    }


def case_flowkit_hour_first(a: argparse.Namespace) -> dict:
    """The hour as the first question ever asked of the month: ``connect(DIR, start=, end=)`` checks and reads
    only the files that can hold it (with a fresh FLOWKIT_CACHE_DIR, as ``flowkit_month_first``)."""
    return case_flowkit_hour(a, bounded=True)


def case_gzip_day(a: argparse.Namespace) -> dict:
    return gzip_dc(Path(a.day_dir))


def case_duckdb_day(a: argparse.Namespace) -> dict:
    import duckdb
    import pyarrow.compute as pc

    glob = Path(a.day_dir) / "*.log.gz"
    table = duckdb.sql(f"SELECT * EXCLUDE (filename) FROM {read_csv_sql(repr(str(glob)))}").to_arrow_table()
    return {"answer": [table.num_rows, pc.sum(table["bytes"]).as_py()]}


def case_duckdb_day_sum(a: argparse.Namespace) -> dict:
    import duckdb

    glob = Path(a.day_dir) / "*.log.gz"
    n, b = (
        duckdb.connect()
        .execute(f"SELECT count(*), sum(bytes) FROM {read_csv_sql(repr(str(glob)))}")
        .fetchone()
    )
    return {"answer": [int(n), int(b)]}


def case_flowkit_day(a: argparse.Namespace) -> dict:
    import flowkit

    df = flowkit.read_flow_logs(a.day_dir)
    return {"answer": [len(df), int(df["bytes"].sum())]}


def case_cli_count(a: argparse.Namespace) -> dict:
    cmd = [*flowkit_command(), "sql", "SELECT count(*) FROM vpc_flow_logs", "--data", str(SAMPLE)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout
    return {"answer": _count_from_cli(out)}


_DUCKDB_CLI = """
import sys, duckdb
sql = f"SELECT count(*) FROM read_csv('{sys.argv[1]}', delim=' ', header=true, all_varchar=true)"
print(duckdb.connect().execute(sql).fetchone()[0])
"""


def case_duckdb_cli(a: argparse.Namespace) -> dict:
    glob = str(SAMPLE / GLOB)
    out = subprocess.run(
        [sys.executable, "-c", _DUCKDB_CLI, glob], check=True, capture_output=True, text=True
    )
    return {"answer": _count_from_cli(out.stdout)}


def import_seconds(args: list[str]) -> float:
    """Total import time of ``python -X importtime ARGS``: the sum of the top-level imports' cumulative times."""
    cmd = [sys.executable, "-X", "importtime", *args]
    # run outside the checkout: `-c` and `-m` put the working folder first on sys.path, before PYTHONPATH
    err = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=DATA).stderr
    # a top-level import has one space before its name; nested ones are indented further
    found = re.finditer(r"^import time:\s+\d+ \|\s+(\d+) \| \S", err, flags=re.MULTILINE)
    return sum(int(m.group(1)) for m in found) / 1e6


def case_import_cli(a: argparse.Namespace) -> dict:
    count = ["-m", "flowkit.cli", "sql", "SELECT count(*) FROM vpc_flow_logs", "--data", str(SAMPLE)]
    return {
        "import_s": import_seconds(["-c", "import flowkit.cli"]),
        "command_import_s": import_seconds(count),
    }


# name: (function, rounds kind, baseline, target, what)
CASES = {
    "gzip_month": (case_gzip_month, "month", None, None, "gzip -dc, all files (xargs -P2)"),
    "duckdb_month": (case_duckdb_month, "month", "gzip_month", None, "DuckDB read_csv(glob), per-day"),
    "flowkit_month": (case_flowkit_month, "month", "duckdb_month", "<=1.2x, <600 MB", "flowkit connect().sql per-day"),
    "flowkit_month_query": (case_flowkit_month_query, "month", "duckdb_month", "<=1.2x", "the query alone, engine open"),
    "flowkit_month_first": (case_flowkit_month_first, "month", "duckdb_month", None, "the same, files never seen before"),
    "duckdb_hour": (case_duckdb_hour, "month", None, None, "DuckDB glob WHERE start in hour"),
    "flowkit_hour": (case_flowkit_hour, "month", "duckdb_hour", f"<={HOUR_FILES_MAX} files", "flowkit sql(start=, end=) 1 h"),
    "flowkit_hour_first": (case_flowkit_hour_first, "month", "duckdb_hour", f"<={HOUR_FILES_MAX} files", "connect(start=, end=) 1 h, first"),
    "gzip_day": (case_gzip_day, "small", None, None, "gzip -dc, one day (xargs -P2)"),
    "duckdb_day": (case_duckdb_day, "small", "gzip_day", None, "DuckDB read_csv(day) -> Arrow"),
    "duckdb_day_sum": (case_duckdb_day_sum, "small", "gzip_day", None, "DuckDB read_csv(day) count, sum"),
    "flowkit_day": (case_flowkit_day, "small", "duckdb_day", "<=1.5x", "flowkit read_flow_logs(day)"),
    "duckdb_cli": (case_duckdb_cli, "small", None, None, "python -c duckdb count, sample"),
    "cli_count": (case_cli_count, "small", "duckdb_cli", "<0.8 s", "flowkit sql count(*) --data sample"),
    "import_cli": (case_import_cli, "small", None, None, "python -X importtime (2 commands)"),
}  # fmt: skip
# Cases given an empty FLOWKIT_CACHE_DIR each time: the first question asked of the files.
FRESH_CACHE = {"flowkit_month_first", "flowkit_hour_first"}
# Set-up run in the child before the clock starts; the case gets its result as ``a.state``.
SETUPS = {"flowkit_month_query": open_engine}
# Cases that run commands: their child stays small (no heavy imports), since a process started by
# fork+exec inherits its parent's peak RSS in ru_maxrss.
COMMAND_CASES = {"gzip_month", "gzip_day", "cli_count", "duckdb_cli", "import_cli"}
# The answers that must agree: (case, the hand-written DuckDB case it is checked against).
CHECKS = [
    ("flowkit_month", "duckdb_month"),
    ("flowkit_month_query", "duckdb_month"),
    ("flowkit_month_first", "duckdb_month"),
    ("flowkit_hour", "duckdb_hour"),
    ("flowkit_hour_first", "duckdb_hour"),
    ("flowkit_day", "duckdb_day"),
    ("duckdb_day_sum", "duckdb_day"),
    ("cli_count", "duckdb_cli"),
]


def _vm_hwm() -> int:
    """This process's own peak RSS in bytes (``VmHWM``, unlike ``ru_maxrss`` not inherited over exec)."""
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) * 1024


def child(a: argparse.Namespace) -> None:
    """Run one case in this (fresh) process and print one JSON line: wall, CPU, peak, its result."""
    fn = CASES[a.child][0]
    where = None
    if a.child not in COMMAND_CASES:
        # imports first, outside the timing: every in-process case pays them alike
        import duckdb  # noqa: F401
        import pandas  # noqa: F401
        import pyarrow
        import pyarrow.compute  # noqa: F401
        import sqlglot  # noqa: F401

        import flowkit
        import flowkit.engines.local
        import flowkit.read

        where = str(Path(flowkit.__file__).parent)
    a.state = SETUPS[a.child](a) if a.child in SETUPS else None
    s0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    result = fn(a)
    wall = time.perf_counter() - t0
    s1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        getattr(e, f) - getattr(b, f) for b, e in ((s0, s1), (c0, c1)) for f in ("ru_utime", "ru_stime")
    )
    peak = c1.ru_maxrss * 1024 if a.child in COMMAND_CASES else _vm_hwm()
    print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak, "flowkit": where, **result}))


# -- the driver ------------------------------------------------------------------------------------


def run_case(name: str, a: argparse.Namespace, cache: Path) -> dict:
    """Run one case in a fresh process, with ``cache`` as flowkit's checked-files folder."""
    where = ["--data", a.data, "--day-dir", a.day_dir, "--hour", a.hour]
    cmd = [sys.executable, __file__, "--child", name, *where]
    env = dict(os.environ, FLOWKIT_CACHE_DIR=str(cache))
    p = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {p.returncode}: {tail[:300]}"}
    return json.loads(lines[-1])


def _med(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def verdict(name: str, runs: dict[str, list[dict]]) -> tuple[str, str, str]:
    """(wall ratio, CPU ratio, PASS/MISS) of a case against its baseline and the issue's target."""
    _, _, base, target, _ = CASES[name]
    runs = {n: [r for r in rs if "error" not in r] for n, rs in runs.items()}
    mine = runs.get(name, [])
    ratio = cpu_ratio = None
    if base and runs.get(base) and mine:
        ratio = _med(mine, "wall") / _med(runs[base], "wall")
        cpu_ratio = _med(mine, "cpu") / _med(runs[base], "cpu")
    ok = ""
    limit = {"flowkit_month": 1.2, "flowkit_month_query": 1.2, "flowkit_day": 1.5}.get(name)
    if target and mine:
        if limit is not None and ratio is not None:
            memory_ok = not name.startswith("flowkit_month") or _med(mine, "peak") < 600e6
            ok = "PASS" if ratio <= limit and memory_ok else "MISS"
            if ratio > limit and cpu_ratio <= limit and memory_ok:
                ok += " (its CPU ratio meets the target: the machine was busy?)"
        elif name == "cli_count":
            ok = "PASS" if _med(mine, "wall") < 0.8 else "MISS"
        elif name in ("flowkit_hour", "flowkit_hour_first"):
            files = _med(mine, "files")
            ok = "PASS" if files is not None and files <= HOUR_FILES_MAX else "MISS"
    return _times(ratio), _times(cpu_ratio), ok


def _times(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}x"


def print_table(runs: dict[str, list[dict]]) -> None:
    print(f"\n{'case':<19} {'what':<36} {'n':>2} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} "
          f"{'vs':<13} {'wall x':>7} {'CPU x':>7}  {'target':<16} result / notes")  # fmt: skip
    for name, (_, _, base, target, what) in CASES.items():
        rs = [r for r in runs.get(name, []) if "error" not in r]
        if name not in runs:
            continue
        if not rs:
            print(f"{name:<19} {what:<36} CRASHED: {runs[name][0]['error']}")
            continue
        wall, cpu = _med(rs, "wall"), _med(rs, "cpu")
        peak = "-" if name in ("gzip_month", "gzip_day", "import_cli") else f"{_med(rs, 'peak') / 1e6:.0f}"
        ratio, cpu_ratio, ok = verdict(name, runs)
        notes = []
        if name in ("flowkit_hour", "flowkit_hour_first"):
            files, nbytes = rs[-1].get("files"), rs[-1].get("bytes")
            notes.append("no scan report" if files is None else f"read {files} files, {nbytes:,} bytes")
        if "import_s" in rs[-1]:
            notes.append(f"import flowkit.cli {_med(rs, 'import_s'):.2f} s; all imports of cli_count's command "
                         f"{_med(rs, 'command_import_s'):.2f} s")  # fmt: skip
        if "_month" in name and "answer" in rs[-1]:
            notes.append(f"{sum(d[1] for d in rs[-1]['answer']):,} records")
        if name.endswith(("_day", "_day_sum", "_hour")) and "answer" in rs[-1]:
            notes.append(f"{rs[-1]['answer'][0]:,} records")
        if name in ("duckdb_cli", "cli_count") and "answer" in rs[-1]:
            notes.append(f"count {rs[-1]['answer']:,}")
        print(
            f"{name:<19} {what:<36} {len(rs):>2} {wall:>7.2f} {cpu:>7.2f} {peak:>8} {base or '':<13} "
            f"{ratio:>7} {cpu_ratio:>7}  {target or '':<16} {' '.join([ok, *notes]).strip()}"
        )


def check_answers(runs: dict[str, list[dict]]) -> list[str]:
    """Every run of a case gives the same answer, and flowkit's equals hand-written DuckDB's."""
    problems = []
    for name, rs in runs.items():
        answers = [json.dumps(r["answer"]) for r in rs if "answer" in r]
        if len(set(answers)) > 1:
            problems.append(f"{name}: the answer differs between rounds")
    for mine, ref in CHECKS:
        a = next((r["answer"] for r in runs.get(mine, []) if "answer" in r), None)
        b = next((r["answer"] for r in runs.get(ref, []) if "answer" in r), None)
        if a is not None and b is not None and a != b:
            problems.append(f"{mine} answers {str(a)[:200]}, {ref} answers {str(b)[:200]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=int(os.environ.get("FLOWKIT_BENCH_DAYS", "30")))
    parser.add_argument("--records-per-day", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the month and hour cases")
    parser.add_argument("--small-rounds", type=int, default=5, help="rounds of the day and CLI cases")
    parser.add_argument("--only", default=None, help="regular expression of the case names to run")
    parser.add_argument("--child", choices=list(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--day-dir", help=argparse.SUPPRESS)
    parser.add_argument("--hour", help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.child:
        child(a)
        return 0

    t_start = time.perf_counter()
    data = month_dir(a.days, a.records_per_day, a.seed)
    middle = START + dt.timedelta(days=a.days // 2)
    day_dirs = list(data.glob(f"AWSLogs/*/vpcflowlogs/*/{middle:%Y/%m/%d}"))
    if len(day_dirs) != 1:
        raise SystemExit(f"expected one folder for {middle:%Y/%m/%d} under {data}, found {day_dirs}")
    a.data, a.day_dir, a.hour = str(data), str(day_dirs[0]), (middle + dt.timedelta(hours=10)).isoformat()
    files = log_files(data)
    size = sum(Path(f).stat().st_size for f in files)
    for f in files:  # warm the page cache: every case reads from memory
        Path(f).read_bytes()
    print(f"data: {data.name}: {len(files):,} files, {size / 1e6:.1f} MB gzip; "
          f"one day = {a.day_dir[len(a.data) + 1:]}, one hour = {a.hour}")  # fmt: skip

    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: modules without compiled bytecode are compiled at every import "
              "(the CLI and import figures depend on `python -m compileall` having run)")  # fmt: skip
    remove_stale(DATA)
    cache = Path(tempfile.mkdtemp(prefix=f"flowkit-cache-{os.getpid()}-", dir=DATA))
    try:
        return run_all(a, cache, t_start)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


_PROBE = "import sys, flowkit; flowkit.connect(sys.argv[1]).sql('SELECT count(*) FROM vpc_flow_logs')"


def run_all(a: argparse.Namespace, cache: Path, t_start: float) -> int:
    """Run the cases round by round, print the table, check the answers; 1 on a crash or a wrong answer."""
    names = [n for n in CASES if a.only is None or re.search(a.only, n)]
    # Does this flowkit remember checked files? (Also warms the cache for the CLI's sample.)
    subprocess.run(
        [sys.executable, "-c", _PROBE, str(SAMPLE)],
        env=dict(os.environ, FLOWKIT_CACHE_DIR=str(cache)),
        check=False,
        cwd=DATA,  # not the checkout: `-c` puts the working folder first on sys.path, before PYTHONPATH
    )
    remembers = any(cache.iterdir())
    if not remembers and "flowkit_month_first" in names:
        names.remove("flowkit_month_first")
        print(
            "flowkit remembers no checked files (FLOWKIT_CACHE_DIR stays empty): flowkit_month_first skipped"
        )
    elif remembers and {"flowkit_month", "flowkit_hour"} & set(names):
        print("flowkit remembers checked files: one untimed month query warms its cache first", flush=True)
        res = run_case("flowkit_month", a, cache)
        took = res.get("error") or f"{res['wall']:.2f} s"
        print(f"  warm-up flowkit_month {took}", flush=True)
    rounds = {n: a.rounds if CASES[n][1] == "month" else a.small_rounds for n in names}
    runs: dict[str, list[dict]] = {n: [] for n in names}
    loads: list[float] = []
    for r in range(max(rounds.values(), default=0)):
        for n in names:
            if r >= rounds[n] or any("error" in x for x in runs[n]):
                continue
            if n in FRESH_CACHE:
                fresh = Path(tempfile.mkdtemp(prefix=f"flowkit-cache-{os.getpid()}-", dir=DATA))
                res = run_case(n, a, fresh)
                shutil.rmtree(fresh, ignore_errors=True)
            else:
                res = run_case(n, a, cache)
            runs[n].append(res)
            status = (
                res.get("error")
                or f"{res['wall']:7.2f} s  CPU {res['cpu']:6.2f} s  peak {res['peak'] / 1e6:5.0f} MB"
            )
            loads.append(os.getloadavg()[0])
            print(f"  round {r + 1}  {n:<19} {status}  (load {loads[-1]:.1f})", flush=True)

    where = next((x["flowkit"] for rs in runs.values() for x in rs if x.get("flowkit")), None)
    print(
        f"\nflowkit imported from {where or 'n/a (no in-process case ran)'}; medians over the rounds (n); ratios of medians; peak = peak RSS"
    )
    if loads:
        print(
            f"1-minute load average after each case: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores"
        )
    print_table(runs)
    problems = check_answers(runs)
    crashed = [n for n, rs in runs.items() if any("error" in x for x in rs)]
    for p in problems:
        print(f"WRONG ANSWER: {p}")
    if not problems:
        print("answers: flowkit's equal hand-written DuckDB's in every case run")
    print(f"bench_month took {time.perf_counter() - t_start:.0f} s")
    return 1 if problems or crashed else 0


if __name__ == "__main__":
    sys.exit(main())
