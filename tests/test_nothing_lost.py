"""Issue 15, beyond convert: simulate and report never delete or overwrite what they did not write, an
interrupted simulate never looks like a whole dataset, and the library's engines and readers fail with
FlowkitError (shared between threads, they stay correct)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flowkit.cli import main
from flowkit.engines import connect
from flowkit.errors import ArgumentError, FlowkitError, IncompleteOutputError, OutputError
from flowkit.read import read_flow_logs
from flowkit.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
ONE_FILE = sorted((ROOT / "data" / "sample").rglob("*.log.gz"))[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _foreign_files(out: Path) -> dict[str, bytes]:
    """What the issue's red team put in the folder: notes, a CloudWatch export and an older delivery."""
    files = {
        "NOTES.txt": b"my notes\n",
        "labels.csv": b"my own labels\n",
        "cloudwatch/eni-0123456789abcdef0-all.jsonl": b'{"timestamp": 1, "message": "x"}\n',
        "AWSLogs/111122223333/vpcflowlogs/us-east-1/2020/01/01/"
        "111122223333_vpcflowlogs_us-east-1_fl-0000000000000000a_20200101T0000Z_00000000.log.gz": b"old",
    }
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return files


def test_simulate_refuses_a_folder_it_did_not_create_and_touches_nothing(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    before = _foreign_files(out)
    with pytest.raises(OutputError, match=r"did not create it.*--overwrite"):
        simulate(records=300, out=out)
    assert _snapshot(out) == before


def test_simulate_overwrite_replaces_same_names_only_and_its_next_run_deletes_only_its_own(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    before = _foreign_files(out)
    with pytest.warns(UserWarning, match=r"2 flow-log file.*simulate did not write.*they were left"):
        simulate(records=300, out=out, overwrite=True)
    after = _snapshot(out)
    kept = {name: data for name, data in before.items() if name != "labels.csv"}
    assert {name: after[name] for name in kept} == kept  # unrelated files intact
    assert after["labels.csv"] != before["labels.csv"]  # the one name it writes: replaced, as documented
    first = set(after) - set(before)
    assert any(name.endswith(".log.gz") for name in first)

    # a second run over another day: its own earlier files go, nobody else's do
    simulate(records=300, out=out, start="+1d")
    again = _snapshot(out)
    assert {name: again[name] for name in kept} == kept
    assert not (first - {".flowkit-manifest.json"}) & set(again)  # the first run's files were its own


def test_simulate_into_its_own_earlier_folder_needs_no_overwrite(tmp_path):
    out = tmp_path / "sim"
    simulate(records=300, out=out)
    (out / "NOTES.txt").write_text("added by the user\n")
    simulate(records=300, out=out, seed=8)
    assert (out / "NOTES.txt").read_text() == "added by the user\n"
    assert len(read_flow_logs(out)) > 0


def _kill_after(argv: list[str], delay: float) -> int:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    return process.wait(timeout=60)


def test_simulate_killed_at_any_moment_never_leaves_a_dataset_that_looks_whole(tmp_path):
    """SIGKILL a real ``flowkit simulate`` at several moments. Into a new folder: afterwards it holds no
    flow logs, or the reader refuses it as incomplete. Over its own finished run: the reader sees
    that run byte for byte, the new run whole, or refuses the folder as incomplete; never a mix it reads
    as whole. Running the command again finishes and cleans up."""
    out = tmp_path / "sim"
    argv = [sys.executable, "-m", "flowkit.cli", "simulate", "--out", str(out), "--records", "60000"]
    outcomes = set()
    for delay in (1.0, 3.0):
        if _kill_after(argv, delay) == 0:  # finished before the kill (a fast machine): a whole dataset
            outcomes.add("finished")
            break
        if not out.exists():  # killed while starting up
            outcomes.add("nothing")
            continue
        try:
            frame = read_flow_logs(out)
        except IncompleteOutputError as exc:
            assert "interrupted `flowkit simulate`" in str(exc)
            outcomes.add("refused")
        else:  # killed after its commit, before it exited: it must be the whole run (checked below)
            outcomes.add(f"whole:{len(frame)}")
            break
    assert outcomes
    assert subprocess.run(argv, capture_output=True, timeout=300).returncode == 0  # cleans up, finishes
    whole = _snapshot(out)
    records = len(read_flow_logs(out))
    assert records > 50_000 and not list(out.glob(".flowkit-staging*"))
    # a folder a killed run left readable held the whole run (same seed, same records), never part of it
    assert all(outcome == f"whole:{records}" for outcome in outcomes if outcome.startswith("whole:"))

    changed = [*argv, "--seed", "8"]  # another dataset of the same names
    other = [*changed[:5], str(tmp_path / "other"), *changed[6:]]
    assert subprocess.run(other, capture_output=True, timeout=300).returncode == 0
    new_records = len(read_flow_logs(tmp_path / "other"))
    assert new_records != records
    for delay in (2.0, 4.5):
        if _kill_after(changed, delay) == 0:
            break
        try:
            seen = len(read_flow_logs(out))
        except IncompleteOutputError:  # killed while it ran: refused until run again, files kept (below)
            seen = None
        if seen == new_records:  # killed after its commit, before it exited: the new run, whole
            break  # (its emptied staging folder may remain: readers skip it, the next run removes it)
        assert seen in (None, records)  # refused as incomplete (killed while it ran), or ...
        if seen == records:  # ... killed before it began: the finished run, as it was, byte for byte
            assert {name: _snapshot(out)[name] for name in whole if ".flowkit" not in name} == {
                name: data for name, data in whole.items() if ".flowkit" not in name
            }
    assert subprocess.run(changed, capture_output=True, timeout=300).returncode == 0  # run again: it finishes
    assert len(read_flow_logs(out)) == new_records and not list(out.glob(".flowkit-staging*"))


def test_report_refuses_files_of_its_names_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "report"
    argv = ["report", "--data", str(ONE_FILE), "--out", str(out)]
    assert main(argv) == 0
    written = _snapshot(out)
    figure = next(name for name in written if name.endswith(".png"))

    other = tmp_path / "other"
    other.mkdir()
    (other / figure).write_bytes(b"the user's own figure")
    (other / "NOTES.txt").write_text("notes\n")
    capsys.readouterr()
    assert main(["report", "--data", str(ONE_FILE), "--out", str(other)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and figure in err and "--overwrite" in err, err
    assert (other / figure).read_bytes() == b"the user's own figure"
    assert sorted(p.name for p in other.iterdir()) == sorted([figure, "NOTES.txt"])

    # its own earlier report is replaced without --overwrite, and only its own files change
    (out / "NOTES.txt").write_text("notes\n")
    assert main([*argv, "--top", "5"]) == 0
    assert (out / "NOTES.txt").read_text() == "notes\n"


# -- the library: FlowkitError for bad arguments, engines shared between threads ----------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda engine: engine.sql(123),
        lambda engine: engine.insights("stats count(*)", start=math.nan, end=1),
        lambda engine: engine.insights("stats count(*)", start=0, end=math.inf),
    ],
    ids=["sql-not-text", "insights-start-nan", "insights-end-inf"],
)
def test_bad_arguments_to_an_engine_are_flowkit_errors(call):
    with connect(ONE_FILE) as engine, pytest.raises(FlowkitError):
        call(engine)


def test_bad_arguments_to_the_reader_are_flowkit_errors():
    with pytest.raises(ArgumentError):
        read_flow_logs(123)


def test_threads_sharing_one_engine_get_each_their_own_right_answer():
    queries = {
        "SELECT count(*) AS n FROM vpc_flow_logs": None,
        "SELECT count(*) AS n FROM vpc_flow_logs WHERE action = 'ACCEPT'": None,
        "SELECT count(*) AS n FROM vpc_flow_logs WHERE action = 'REJECT'": None,
        "SELECT count(DISTINCT srcaddr) AS n FROM vpc_flow_logs": None,
    }
    with connect(ONE_FILE) as engine:
        expected = {q: int(engine.sql(q).n[0]) for q in queries}
        assert len(set(expected.values())) > 1  # different answers, so a mix-up would show
        jobs = list(expected) * 25
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(lambda q: (q, int(engine.sql(q).n[0])), jobs))
        with ThreadPoolExecutor(max_workers=4) as pool:
            counts = list(pool.map(lambda _: len(engine.insights("stats count(*) as n")), range(12)))
    assert all(expected[q] == n for q, n in got)
    assert set(counts) == {1}


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_folder_without_write_permission_is_one_line(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["convert", str(ONE_FILE), str(locked / "out")]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Permission denied" in err, err
    finally:
        locked.chmod(0o700)
