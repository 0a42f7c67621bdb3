"""Safe writes (flowkit.outputs): complete or absent, only one's own files, never the input, and a known
state after any interruption."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowkit.errors import IncompleteOutputError, OutputError
from flowkit.outputs import (
    LOCK,
    MANIFEST,
    Manifest,
    OutputFolder,
    atomic_path,
    check_separate,
    readable,
    write_text,
)


def _visible(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".flowkit-")
    }


# -- one file -----------------------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "allow.yaml"
    target.write_text("old: 1\n")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("new: half")
        raise RuntimeError("disk full, say")
    assert target.read_text() == "old: 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["allow.yaml"]
    write_text(target, "new: 2\n")
    assert target.read_text() == "new: 2\n" and len(list(tmp_path.iterdir())) == 1


def test_allowlist_save_is_atomic(tmp_path, monkeypatch):
    from flowkit.baseline import load_allowlist

    path = tmp_path / "allow.yaml"
    path.write_text("rules:\n  - {name: dns, protocol: udp, ports: [53]}\n")
    allowlist = load_allowlist(path)
    monkeypatch.setattr(type(allowlist), "to_yaml", lambda self: 1 / 0)  # fails half-way
    with pytest.raises(ZeroDivisionError):
        allowlist.save(path)
    assert load_allowlist(path).rules[0].name == "dns" and len(list(tmp_path.iterdir())) == 1


# -- inputs and outputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "inputs", "message"),
    [
        ("data", ["data"], "is the input"),
        ("data", ["data/day/a.log.gz"], "contains the input"),
        ("data/../data", ["data/a.log"], "contains the input"),
    ],
)
def test_an_output_that_is_or_contains_an_input_is_refused(tmp_path, monkeypatch, out, inputs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match=message):
        check_separate(out, inputs)


def test_an_output_inside_an_input_folder_or_beside_it_is_fine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_separate("data/parquet", ["data"])
    check_separate("data2", ["data", "s3://data/x"])


def test_a_symlink_to_the_input_is_the_input(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "logs")
    with pytest.raises(OutputError, match="is the input"):
        check_separate(tmp_path / "link", [tmp_path / "logs"])


# -- the manifest ----------------------------------------------------------------------------------------


def test_the_manifest_round_trips_and_is_one_line_per_file(tmp_path):
    manifest = Manifest(
        "convert", files={"date=2026-11-02/part-1.parquet": {"bytes": 10, "rows": 2}}, extra={"sources": {}}
    )
    manifest.save(tmp_path)
    text = (tmp_path / MANIFEST).read_text()
    assert '  "date=2026-11-02/part-1.parquet": {"bytes": 10, "rows": 2}' in text.splitlines()
    assert json.loads(text)["flowkit_manifest"] == 1
    assert Manifest.load(tmp_path) == manifest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"files": {}}', "not a flowkit manifest"),
        ('{"flowkit_manifest": 99, "command": "convert"}', "format 99"),
        ('{"flowkit_manifest": 1, "command": "convert", "files": []}', "wrong type"),
        ('{"flowkit_manifest": 1, "command": "convert", "state": "maybe"}', "unknown state"),
    ],
)
def test_a_damaged_manifest_is_a_clear_error(tmp_path, text, message):
    (tmp_path / MANIFEST).write_text(text)
    with pytest.raises(OutputError, match=message) as raised:
        Manifest.load(tmp_path)
    assert str(tmp_path / MANIFEST) in str(raised.value) and "delete it" in str(raised.value)


# -- what readers read ------------------------------------------------------------------------------------


def test_readers_skip_bookkeeping_and_uncommitted_files(tmp_path):
    day = tmp_path / "date=2026-11-02"
    day.mkdir()
    names = ["part-old.parquet", "part-new.parquet", "part-kept.parquet"]
    for name in names:
        (day / name).write_bytes(b"PAR1")
    (tmp_path / ".flowkit-staging-1a2b").mkdir()
    (tmp_path / ".flowkit-staging-1a2b" / "x.parquet").write_bytes(b"PAR1")
    (day / ".part.parquet.1a2b.flowkit-tmp").write_bytes(b"PAR1")
    Manifest(
        "convert",
        files={f"date=2026-11-02/{n}": {"bytes": 4} for n in names},
        pending=["date=2026-11-02/part-new.parquet"],
        obsolete=["date=2026-11-02/part-old.parquet"],
    ).save(tmp_path)
    found = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [p.name for p in readable(found)] == ["part-kept.parquet"]


def test_a_folder_marked_incomplete_is_refused_from_any_depth(tmp_path):
    deep = tmp_path / "AWSLogs" / "1" / "x.log.gz"
    deep.parent.mkdir(parents=True)
    deep.write_bytes(b"")
    Manifest("simulate", state="incomplete").save(tmp_path)
    with pytest.raises(IncompleteOutputError, match="interrupted `flowkit simulate`") as raised:
        readable([deep])
    assert raised.value.folder == str(tmp_path) and "run the same `flowkit simulate` again" in str(
        raised.value
    )


# -- an output folder --------------------------------------------------------------------------------


def test_commit_replaces_only_the_commands_own_files(tmp_path):
    out = tmp_path / "figures"
    with OutputFolder(out, "report") as folder:
        for name in ("a.png", "b.png"):
            folder.stage(name).write_text("first")
        folder.commit(replace_all=True)
    (out / "NOTES.txt").write_text("mine")
    with OutputFolder(out, "report") as folder:
        folder.stage("a.png").write_text("second")
        folder.commit(replace_all=True)  # b.png was this command's: it goes; NOTES.txt was not: it stays
    assert _visible(out) == {"NOTES.txt": "mine", "a.png": "second"}
    assert sorted(Manifest.load(out).files) == ["a.png"]
    assert not (out / LOCK).exists() and not list(out.glob(".flowkit-staging-*"))


def test_a_file_of_the_same_name_it_did_not_write_is_refused_unless_overwrite(tmp_path):
    (tmp_path / "a.png").write_text("someone else's")
    with pytest.raises(OutputError, match="did not write"), OutputFolder(tmp_path, "report") as folder:
        folder.claim(["a.png"])
    assert _visible(tmp_path) == {"a.png": "someone else's"} and not (tmp_path / MANIFEST).exists()
    with OutputFolder(tmp_path, "report", overwrite=True) as folder:
        folder.stage("a.png").write_text("mine")
        folder.commit(replace_all=True)
    assert _visible(tmp_path) == {"a.png": "mine"}


def test_an_error_rolls_back_and_says_so(tmp_path):
    out = tmp_path / "new"
    with pytest.raises(KeyboardInterrupt) as raised, OutputFolder(out, "report") as folder:
        folder.stage("a.png").write_text("half")
        raise KeyboardInterrupt
    assert not out.exists() and raised.value.__notes__ == [f"nothing was written ({out} was not created)"]
    out.mkdir()
    (out / "NOTES.txt").write_text("mine")
    with pytest.raises(ValueError) as raised, OutputFolder(out, "report") as folder:
        folder.stage("a.png").write_text("half")
        raise ValueError("boom")
    assert _visible(out) == {"NOTES.txt": "mine"} and os.listdir(out) == ["NOTES.txt"]
    assert "left as it was" in raised.value.__notes__[0]


def test_a_fresh_folder_refuses_what_it_did_not_create(tmp_path):
    (tmp_path / "NOTES.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"not empty .* did not create it"):
        OutputFolder(tmp_path, "simulate", fresh=True).open()
    assert os.listdir(tmp_path) == ["NOTES.txt"]


def test_one_command_per_folder(tmp_path):
    Manifest("convert").save(tmp_path)
    with pytest.raises(OutputError, match="holds the output of `flowkit convert`"):
        OutputFolder(tmp_path, "report").open()


def test_a_folder_being_written_is_locked_and_a_dead_writers_lock_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK).write_text(
            json.dumps({"pid": holder.pid, "host": os.uname().nodename, "command": "convert"})
        )
        with pytest.raises(OutputError, match=f"another flowkit command \\(convert, process {holder.pid}"):
            OutputFolder(tmp_path, "convert").open()
    finally:
        holder.kill()
        holder.wait()
    with OutputFolder(tmp_path, "convert") as folder:  # the holder is gone: its lock is stale
        assert json.loads((tmp_path / LOCK).read_text())["pid"] == os.getpid()
        folder.stage("x.txt").write_text("1")
        folder.commit()
    assert not (tmp_path / LOCK).exists()


def test_the_next_run_removes_what_a_killed_run_left(tmp_path):
    (tmp_path / ".flowkit-staging-dead").mkdir()
    (tmp_path / ".flowkit-staging-dead" / "half.parquet").write_bytes(b"PA")
    (tmp_path / "moved-in.parquet").write_bytes(b"PAR1")
    (tmp_path / "replaced.parquet").write_bytes(b"PAR1")
    (tmp_path / "someone-elses.parquet").write_bytes(b"PAR1")
    Manifest(
        "convert",
        files={"replaced.parquet": {"bytes": 4}},
        pending=["moved-in.parquet"],
        obsolete=["replaced.parquet"],
        extra={"staging": ".flowkit-staging-dead"},
    ).save(tmp_path)
    with OutputFolder(tmp_path, "convert"):
        pass
    assert sorted(os.listdir(tmp_path)) == [MANIFEST, "someone-elses.parquet"]
    manifest = Manifest.load(tmp_path)
    assert (manifest.pending, manifest.obsolete, manifest.extra) == ([], [], {})


@pytest.mark.parametrize("name", ["../escape.txt", "/abs.txt", ".flowkit-manifest.json", ""])
def test_staged_names_stay_inside_the_folder(tmp_path, name):
    with OutputFolder(tmp_path, "report") as folder, pytest.raises(OutputError, match="not a file name"):
        folder.stage(name)
