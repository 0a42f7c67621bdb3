"""flowkit convert: adds to a dataset, never destroys one, and survives being killed at any moment."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flowkit.cli import main
from flowkit.errors import ArgumentError, OutputError, RecordParseError
from flowkit.outputs import MANIFEST, Manifest
from flowkit.read import convert, read_arrow

ROOT = Path(__file__).resolve().parents[2]
HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
DAY = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp())  # 2026-11-02T00:00:00Z


def flow_log(path: Path, ids, *, day: int = 0, gz: bool = True, header: str = HEADER) -> Path:
    """A flow-log file whose records are told apart by their source port (``ids``), on ``day`` after 2026-11-02."""
    lines = [header]
    for n in ids:
        start = DAY + day * 86400 + (n % 86000)
        lines.append(
            f"2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.{n % 250} 10.0.1.1 {n} 443 6 10 840 {start} {start + 60} ACCEPT OK"
        )
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def ids_in(out: Path) -> list[int]:
    return sorted(read_arrow(out)["srcport"].to_pylist())


def parts(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet") if ".flowkit-" not in str(p))


def _one_line_error(capsys, argv) -> str:
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


# -- the cases of issue 15 -----------------------------------------------------------------------------------


def test_an_output_holding_its_input_is_refused_and_nothing_is_touched(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    day = tmp_path / "h" / "date=2026-11-02"
    source = flow_log(day / "input.log", range(1, 6), gz=False)
    (day / "NOTES.txt").write_text("n\n")
    before = {p: p.read_bytes() for p in day.iterdir()}
    err = _one_line_error(capsys, ["convert", "h/date=2026-11-02/input.log", "h"])
    assert "the output h contains the input h/date=2026-11-02/input.log" in err
    assert {p: p.read_bytes() for p in day.iterdir()} == before and source.exists()
    err = _one_line_error(capsys, ["convert", "h", "h"])
    assert "the output h is the input h" in err
    assert sorted(p.name for p in (tmp_path / "h").rglob("*")) == [
        "NOTES.txt",
        "date=2026-11-02",
        "input.log",
    ]


def test_one_day_converted_in_two_batches_keeps_both(tmp_path):
    first = [flow_log(tmp_path / "in" / f"a{i}.log.gz", range(100 * i, 100 * i + 50)) for i in range(3)]
    second = [
        flow_log(tmp_path / "in" / f"b{i}.log.gz", range(1000 + 100 * i, 1000 + 100 * i + 50))
        for i in range(2)
    ]
    out = tmp_path / "out"
    assert convert(first, out).added == 3
    report = convert(second, out)
    assert (report.added, report.unchanged, report.records_written) == (2, 0, 100)
    expected = sorted(
        [n for i in range(3) for n in range(100 * i, 100 * i + 50)]
        + [n for i in range(2) for n in range(1000 + 100 * i, 1000 + 100 * i + 50)]
    )
    assert ids_in(out) == expected
    assert len(parts(out)) == 2 and all(p.startswith("date=2026-11-02/part-") for p in parts(out))


def test_running_again_reads_only_the_new_files(tmp_path):
    source = tmp_path / "in"
    for i in range(3):
        flow_log(source / f"{i}.log.gz", range(10 * i, 10 * i + 5), day=i)
    out = tmp_path / "out"
    first = convert(source, out)
    assert (first.added, first.files_written, first.records_written) == (3, 3, 15)  # a file per day
    files_before = {p: (out / p).read_bytes() for p in parts(out)}
    flow_log(source / "3.log.gz", range(30, 35), day=1)
    second = convert(source, out)
    assert (second.added, second.unchanged, second.files, second.records_written) == (1, 3, 1, 5)
    assert all((out / p).read_bytes() == data for p, data in files_before.items())  # never rewritten
    third = convert(source, out)
    assert (third.added, third.unchanged, third.files, third.files_written) == (0, 4, 0, 0)
    assert ids_in(out) == sorted([*range(0, 5), *range(10, 15), *range(20, 25), *range(30, 35)])
    assert "0 records from 0 new and 0 changed source file(s)" in str(third)


def test_a_changed_source_file_replaces_only_its_own_records(tmp_path):
    source = tmp_path / "in"
    a = flow_log(source / "a.log.gz", range(0, 40))
    b = flow_log(source / "b.log.gz", range(100, 140))
    flow_log(source / "c.log.gz", range(200, 240))
    out = tmp_path / "out"
    convert(source, out)
    [old_part] = parts(out)
    a_bytes = a.read_bytes()
    flow_log(b, [*range(500, 510), *range(600, 605)])  # b rewritten: other records, and a second day
    flow_log(source / "b2.log.gz", range(700, 703), day=1)
    report = convert(source, out)
    assert (report.replaced, report.added, report.unchanged) == (1, 1, 2)
    assert ids_in(out) == [
        *range(0, 40),
        *range(200, 240),
        *range(500, 510),
        *range(600, 605),
        *range(700, 703),
    ]
    assert old_part not in parts(out) and a.read_bytes() == a_bytes
    # the manifest's row ranges still point at each source's own records
    manifest = Manifest.load(out)
    for key, entry in manifest.extra["sources"].items():
        got = []
        for name, (lo, hi) in entry["parts"].items():
            got += pq.read_table(out / name).slice(lo, hi - lo)["srcport"].to_pylist()
        wanted = sorted(
            pq.read_table(key) if key.endswith(".parquet") else read_arrow(key)["srcport"].to_pylist()
        )
        assert sorted(got) == wanted, key
    assert set(manifest.files) == set(parts(out)) and not manifest.pending and not manifest.obsolete


def test_a_source_read_with_another_log_format_is_converted_again(tmp_path):
    headerless = tmp_path / "in" / "events.log"
    headerless.parent.mkdir()
    headerless.write_text(flow_log(tmp_path / "x.log", range(5), gz=False).read_text().split("\n", 1)[1])
    out = tmp_path / "out"
    assert convert(headerless, out, log_format="default").added == 1
    assert (
        convert(
            headerless,
            out,
            log_format="${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
        ).unchanged
        == 1
    )
    assert convert(headerless, out, log_format="v2").unchanged == 1  # v2 is the default's 14 fields
    assert ids_in(out) == [0, 1, 2, 3, 4]


def test_sources_of_several_formats_share_a_day(tmp_path):
    v5 = HEADER + " vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr"
    flow_log(tmp_path / "in" / "a.log", range(0, 5), gz=False)
    path = tmp_path / "in" / "b.log"
    lines = flow_log(tmp_path / "b0.log", range(10, 15), gz=False).read_text().splitlines()[1:]
    path.write_text(
        "\n".join([v5, *(line + " vpc-1 subnet-1 i-1 2 IPv4 10.0.0.1 10.0.1.1" for line in lines)]) + "\n"
    )
    flow_log(tmp_path / "in" / "c.log", range(20, 25), gz=False)
    out = tmp_path / "out"
    convert(tmp_path / "in", out)
    table = read_arrow(out)
    assert sorted(table["srcport"].to_pylist()) == [*range(0, 5), *range(10, 15), *range(20, 25)]
    assert table.filter(table["srcport"].is_valid())["vpc_id"].null_count == 10  # a and c have no vpc-id


def test_many_one_record_files_become_a_file_per_day_in_bounded_memory(tmp_path):
    """The memory of a conversion does not grow with the number of source files (the red team's 10,000
    one-record files took 1.1 GB): records are written every few thousand files. Measured as the peak of
    Arrow's memory pool in a fresh process, after 200 files and then after 800 more."""
    script = (
        "import sys, pyarrow as pa, flowkit.read.to_parquet as t\n"
        "t._FLUSH_PIECES = 50  # (2,000 in use) so that a few hundred files show the bound\n"
        "for source, out in zip(sys.argv[1::2], sys.argv[2::2]):\n"
        "    r = t.convert(source, out)\n"
        "    print(r.records_written, r.files_written, pa.default_memory_pool().max_memory())\n"
    )
    args = []
    for n in (200, 800):
        for i in range(n):
            flow_log(tmp_path / f"in{n}" / f"{i:05d}.log", [i], day=i % 3, gz=False)
        args += [str(tmp_path / f"in{n}"), str(tmp_path / f"out{n}")]
    run = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    (small, small_files, small_peak), (large, large_files, large_peak) = (
        map(int, line.split()) for line in run.stdout.splitlines()
    )
    assert (small, small_files, large, large_files) == (
        200,
        3,
        800,
        3,
    )  # a Parquet file per day, not per source
    assert large_peak < 1.3 * small_peak, (small_peak, large_peak)


def test_progress_bar(tmp_path, capsys, monkeypatch):
    import flowkit.read.to_parquet as to_parquet

    monkeypatch.setattr(to_parquet, "_PROGRESS_DELAY", 0)
    for i in range(3):
        flow_log(tmp_path / "in" / f"{i}.log", [i], gz=False)
    convert(tmp_path / "in", tmp_path / "out", progress=True)
    assert "converting" in capsys.readouterr().err
    convert(tmp_path / "in", tmp_path / "out2")
    assert capsys.readouterr().err == ""


# -- S3: the everyday use --------------------------------------------------------------------------------


def test_converting_a_growing_s3_layout_again_adds_the_new_objects(tmp_path):
    """Flow logs arrive in S3 every five minutes: each run converts only what is new (and an object
    written again under the same key replaces its records)."""
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    def put(s3, name, ids, day=0):
        key = f"AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/0{2 + day}/{name}.log.gz"
        s3.put_object(
            Bucket="flows", Key=key, Body=flow_log(tmp_path / "body.log.gz", ids, day=day).read_bytes()
        )

    out = tmp_path / "out"
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket="flows")
        for i in range(3):
            put(s3, f"f{i}", range(10 * i, 10 * i + 4))
        first = convert("s3://flows/AWSLogs/", out, boto3_session=session)
        put(s3, "f3", range(30, 34), day=1)
        put(s3, "f1", range(100, 102))  # delivered again, other records
        second = convert("s3://flows/AWSLogs/", out, boto3_session=session)
        third = convert("s3://flows/AWSLogs/", out, boto3_session=session)
    assert (first.added, first.records_written) == (3, 12)
    assert (second.added, second.replaced, second.unchanged, second.files) == (1, 1, 2, 2)
    assert (third.added, third.replaced, third.unchanged, third.files) == (0, 0, 4, 0)
    assert ids_in(out) == [0, 1, 2, 3, 20, 21, 22, 23, 30, 31, 32, 33, 100, 101]
    assert (
        "s3://flows/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/03/f3.log.gz"
        in Manifest.load(out).extra["sources"]
    )


# -- failures keep what was committed ------------------------------------------------------------------------


def test_a_bad_file_stops_the_run_and_keeps_what_was_committed(tmp_path, monkeypatch):
    import flowkit.read.to_parquet as to_parquet

    monkeypatch.setattr(to_parquet, "CHECKPOINT_SECONDS", 0)
    source = tmp_path / "in"
    flow_log(source / "1.log", range(0, 3), gz=False)
    flow_log(source / "2.log", range(10, 13), gz=False)
    (source / "3.log").write_text(
        HEADER + "\n2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 x y ACCEPT OK\n"
    )
    out = tmp_path / "out"
    with pytest.raises(RecordParseError, match=r"3\.log, line 2") as raised:
        convert(source, out)
    assert "kept the 2 source file(s) committed so far (6 records)" in raised.value.__notes__[0]
    assert ids_in(out) == [0, 1, 2, 10, 11, 12]
    report = convert(source, out, errors="skip")  # carries on from there
    assert (report.added, report.unchanged, report.rejected_total) == (1, 2, 1)


def test_bad_arguments(tmp_path):
    import pandas as pd

    with pytest.raises(ArgumentError, match="local folder"):
        convert(tmp_path, "s3://bucket/parquet/")
    with pytest.raises(ArgumentError, match="DataFrame"):
        convert(pd.DataFrame(), tmp_path / "out")
    with pytest.raises(ArgumentError, match="errors"):
        convert(tmp_path, tmp_path / "out", errors="ignore")
    with pytest.raises(OutputError, match="holds the output of `flowkit report`"):
        Manifest("report").save(tmp_path / "figures") if (tmp_path / "figures").mkdir() is None else None
        convert(flow_log(tmp_path / "a.log", [1]), tmp_path / "figures")


# -- killed at any moment ---------------------------------------------------------------------------------

_KILLABLE = (  # flowkit convert, committing after every source file
    "import sys, flowkit.read.to_parquet as t\n"
    "t.CHECKPOINT_SECONDS = 0\n"
    "from flowkit.cli import main\n"
    "sys.exit(main(['convert', *sys.argv[1:]]))\n"
)


def _state(out: Path) -> tuple[list[int], dict[str, bytes]]:
    """What a reader sees, checked against the manifest: every source it records, exactly once."""
    manifest = Manifest.load(out)
    committed = (
        sum(entry["records"] for entry in manifest.extra.get("sources", {}).values()) if manifest else 0
    )
    ids = ids_in(out) if committed else []
    assert len(ids) == committed == len(set(ids)), (len(ids), committed)
    return ids, {name: (out / name).read_bytes() for name in (manifest.files if manifest else {})}


def _committed(out: Path) -> int:
    try:
        return len(json.loads((out / MANIFEST).read_text()).get("sources", {}))
    except (OSError, ValueError):
        return 0


def _convert_committing_often(source: str, out: str) -> None:
    """``flowkit convert SOURCE OUT`` with a commit after every source file: many commits to be killed in."""
    import flowkit.read.to_parquet as to_parquet

    to_parquet.CHECKPOINT_SECONDS = 0
    sys.exit(main(["convert", source, out]))


def test_sigkill_at_random_moments_leaves_every_earlier_output_readable(tmp_path):
    """Each round adds 12 source files and kills the conversion at a random point of its work: after a
    random number of commits, plus a random few milliseconds (inside a commit, a flush, a rename).

    The conversions are processes forked from a server that has imported flowkit once, so a round takes
    a fraction of a second instead of a Python start-up."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["flowkit.cli", "flowkit.read.to_parquet"])
    source, out = tmp_path / "in", tmp_path / "out"
    rng = random.Random(15)
    expected: list[int] = []
    seen: list[int] = []
    kills = 0
    for round_ in range(8):
        for i in range(12):
            ids = range(5000 * round_ + 300 * i, 5000 * round_ + 300 * i + 20)
            flow_log(source / f"{round_}-{i:02d}.log.gz", ids, day=i % 4)
            expected += ids
        target = _committed(out) + rng.randint(0, 11)
        process = context.Process(target=_convert_committing_often, args=(str(source), str(out)))
        process.start()
        while process.is_alive() and _committed(out) < target:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
        if process.is_alive():
            process.kill()  # SIGKILL
            kills += 1
        process.join()
        assert process.exitcode in (0, -signal.SIGKILL), process.exitcode
        ids, _ = _state(out)
        assert set(seen) <= set(ids) <= set(expected)  # nothing committed is lost, nothing doubled
        seen = ids
        manifest = Manifest.load(out)
        for name in manifest.files if manifest else {}:  # every committed file whole (footers intact)
            assert pq.ParquetFile(out / name).metadata.num_rows == manifest.files[name]["rows"]
    assert kills >= 5
    process = context.Process(target=_convert_committing_often, args=(str(source), str(out)))
    process.start()
    process.join()
    assert process.exitcode == 0
    assert _state(out)[0] == sorted(expected)
    assert not list(out.glob(".flowkit-staging-*")) and not (out / ".flowkit-lock").exists()


def test_ctrl_c_keeps_what_was_committed_and_says_so(tmp_path):
    source = tmp_path / "in"
    files = 600  # enough that a loaded machine cannot finish them all before the Ctrl-C arrives
    for i in range(files):
        flow_log(source / f"{i:03d}.log", [i], gz=False)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(source), str(out)],
        stderr=subprocess.PIPE,
        text=True,
        # a test run started in the background inherits an ignored SIGINT; a user's terminal never does
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            manifest = json.loads((out / MANIFEST).read_text())
        except (OSError, ValueError):
            manifest = {}
        if len(manifest.get("sources", {})) >= 5:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("flowkit convert: interrupted;"), err
    assert "source file(s) committed so far" in err and "run the same command again" in err
    ids, _ = _state(out)
    assert 5 <= len(ids) < files
    assert not list(out.glob(".flowkit-staging-*")) and not (out / ".flowkit-lock").exists()


def test_the_progress_of_convert_in_the_cli(tmp_path, capsys):
    flow_log(tmp_path / "in" / "a.log", range(3), gz=False)
    assert main(["convert", str(tmp_path / "in"), str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"wrote {tmp_path / 'out'}: 3 records from 1 new and 0 changed source file(s)")
    assert os.listdir(tmp_path / "out") != []
