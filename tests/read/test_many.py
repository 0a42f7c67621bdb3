"""Many files at once (:mod:`flowkit.read.many`): small local files are inflated on a thread pool
and parsed as one, and the result must be exactly that of reading them one by one: the same table,
the same :class:`ReadReport` counts, the same error naming the same file and line.

The per-file path is the reference: with ``MAX_COMPRESSED = 0`` no file is small enough to join,
so every file goes through ``read_fast`` / ``read_exact`` on its own as before issue 16.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flowkit.errors import RecordParseError
from flowkit.read import list_files, many, read_arrow
from flowkit.read.report import ReadReport
from flowkit.schema import DEFAULT_FIELDS

FIXTURES = Path(__file__).with_name("fixtures")
HEADER = " ".join(DEFAULT_FIELDS)
CUSTOM = "version srcaddr dstaddr srcport dstport protocol action log-status flow-direction"


def _record(i: int) -> str:
    return (
        f"2 123456789012 eni-0a1b2c3d4e5f{i % 100000:05d} 10.0.{i % 250}.{i % 200 + 1} 52.217.12.34 "
        f"{1024 + i % 60000} 443 6 {i % 90 + 1} {40 * (i % 90 + 1)} {1714817100 + i} {1714817160 + i} "
        f"{'ACCEPT' if i % 7 else 'REJECT'} OK"
    )


def _custom(i: int) -> str:
    return (
        f"5 10.0.0.{i % 250} 10.0.1.{i % 250} {i % 65536} 443 6 ACCEPT OK {'ingress' if i % 2 else 'egress'}"
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    return path


def _day(root: Path, files: int = 40, rows: int = 25) -> list[Path]:
    """Good delivered files, ``rows`` records each (row numbers go on across files)."""
    paths = []
    for k in range(files):
        lines = [HEADER] + [_record(k * rows + j) for j in range(rows)]
        paths.append(_write(root / f"f{k:04d}.log.gz", "\n".join(lines) + "\n"))
    return paths


def _per_file_calls(paths, monkeypatch, errors: str = "skip") -> list[str]:
    """The files the new path hands to the per-file path (``reader._read_one``)."""
    from flowkit.read import reader

    calls: list[str] = []
    real = reader._read_one
    monkeypatch.setattr(reader, "_read_one", lambda name, *a: calls.append(name) or real(name, *a))
    with contextlib.suppress(RecordParseError):
        read_arrow([str(p) for p in paths], errors=errors)
    monkeypatch.setattr(reader, "_read_one", real)
    return calls


def _read(paths, errors: str, monkeypatch, per_file: bool, **kwargs):
    """(table, report) or (the error, report)."""
    with monkeypatch.context() as m:
        if per_file:
            m.setattr(many, "MAX_COMPRESSED", 0)
        report = ReadReport()
        try:
            return read_arrow([str(p) for p in paths], errors=errors, report=report, **kwargs), report
        except RecordParseError as exc:
            return exc, report


def _same_as_per_file(paths, monkeypatch, **kwargs) -> dict:
    """Read ``paths`` both ways in both modes; assert the outcomes are identical; the skip report."""
    reports = {}
    for errors in ("raise", "skip"):
        new, new_report = _read(paths, errors, monkeypatch, per_file=False, **kwargs)
        old, old_report = _read(paths, errors, monkeypatch, per_file=True, **kwargs)
        if isinstance(old, Exception):
            assert isinstance(new, RecordParseError), (errors, new)
            assert str(new) == str(old)
            assert (new.path, new.line_number, new.reason) == (old.path, old.line_number, old.reason)
        else:
            assert isinstance(new, pa.Table), (errors, new)
            assert new.schema == old.schema
            assert new.equals(old), errors
        assert dict(new_report) == dict(old_report), errors
        reports[errors] = (new, new_report)
    return reports


@pytest.fixture(autouse=True)
def _small_runs(monkeypatch):
    """Runs of 16 files, so that a few dozen files make several runs and failed runs are split."""
    monkeypatch.setattr(many, "RUN_FILES", 16)


def test_a_day_of_good_files_reads_as_one_table_in_file_order(tmp_path, monkeypatch):
    paths = _day(tmp_path, files=50)
    table, report = _same_as_per_file(paths, monkeypatch)["skip"]
    assert table.num_rows == 50 * 25
    assert table["start"].to_pylist() == [1714817100 + i for i in range(50 * 25)]  # file order kept
    assert (report.files, report.headers, report.lines_read, report.parsed) == (50, 50, 1250, 1250)
    assert _per_file_calls(paths, monkeypatch) == []  # every file joined, none read on its own


def test_mixed_headers_plain_and_gzip_keep_order_and_columns(tmp_path, monkeypatch):
    paths = _day(tmp_path / "a", files=10)
    paths += [_write(tmp_path / "b" / f"c{k}.log", CUSTOM + "\n" + _custom(k) + "\n") for k in range(5)]
    paths += _day(tmp_path / "c", files=7)
    paths += [_write(tmp_path / "d" / f"c{k}.log.gz", CUSTOM + "\n" + _custom(k) + "\n") for k in range(20)]
    table, report = _same_as_per_file(paths, monkeypatch)["skip"]
    assert table.num_rows == 17 * 25 + 25
    assert table.column_names[-1] == "flow_direction"
    assert report.headers == 42


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1714817100", "field-count"),
        (_record(3).replace(" 443 ", " 0x1bb "), "bad-number"),
        (_record(3).replace(" 443 ", " 70000 "), "out-of-range"),
        (_record(3).replace(" 443 ", " -4 "), "bad-number"),
        (_record(3).replace("ACCEPT", "ALLOW").replace("REJECT", "ALLOW"), "bad-action"),
        ("\xe9" + _record(3)[1:], "bad-number"),
    ],
)
def test_a_bad_line_in_one_file_of_many_is_named_and_counted_as_per_file(tmp_path, monkeypatch, bad, reason):
    paths = _day(tmp_path, files=40)
    lines = [HEADER] + [_record(j) for j in range(10)]
    lines[6] = bad
    _write(paths[29], "\n".join(lines) + "\n")
    outcomes = _same_as_per_file(paths, monkeypatch)
    error, _ = outcomes["raise"]
    assert isinstance(error, RecordParseError)
    assert error.path == str(paths[29]) and error.line_number == 7
    table, report = outcomes["skip"]
    assert table.num_rows == 39 * 25 + 9
    assert report.rejected_total == 1 and report.rejected[reason] == 1
    # the failed run is split in halves down to a few files: only those are read on their own
    calls = _per_file_calls(paths, monkeypatch)
    assert str(paths[29]) in calls and len(calls) < many._SPLIT_BELOW


def test_blank_lines_header_only_and_unterminated_files_count_as_per_file(tmp_path, monkeypatch):
    paths = _day(tmp_path, files=30)
    _write(paths[3], HEADER + "\n" + _record(1) + "\n\n" + _record(2) + "\n   \n")
    _write(paths[8], HEADER + "\n")
    _write(paths[9], HEADER + "\n" + _record(1))  # no final newline
    _write(paths[12], HEADER + "\r\n" + _record(1) + "\r\n" + _record(2) + "\r\n")
    _write(paths[20], "\n" + HEADER + "\n" + _record(1) + "\n")
    table, report = _same_as_per_file(paths, monkeypatch)["skip"]
    assert report.blank_lines == 3 and report.rejected_total == 0
    assert table.num_rows == 25 * 25 + 2 + 0 + 1 + 2 + 1


def test_a_truncated_gzip_and_an_empty_file_among_good_ones(tmp_path, monkeypatch):
    paths = _day(tmp_path, files=30)
    whole = paths[11].read_bytes()
    paths[11].write_bytes(whole[: len(whole) // 2])
    paths[17].write_bytes(b"")
    outcomes = _same_as_per_file(paths, monkeypatch)
    assert outcomes["raise"][0].path == str(paths[11])
    _, report = outcomes["skip"]
    assert [p for p, _ in report.skipped_files] == [str(paths[11]), str(paths[17])]


def test_concatenated_gzip_members_and_a_header_mid_file(tmp_path, monkeypatch):
    paths = _day(tmp_path, files=20)
    two = gzip.compress((HEADER + "\n" + _record(1) + "\n").encode(), mtime=0)
    paths[4].write_bytes(two + two + b"\x00" * 64)  # cat of two objects, zero padding after
    _write(paths[5], HEADER + "\n" + _record(1) + "\n" + CUSTOM + "\n" + _custom(1) + "\n")
    paths[6].write_bytes(two + b"not gzip")  # trailing garbage
    paths[7].write_bytes(two * (many._MAX_MEMBERS + 1))  # so many members that the file streams
    assert many.load(str(paths[7])) is None and many.load(str(paths[4])) is not None
    table, report = _same_as_per_file(paths, monkeypatch)["skip"]
    members = many._MAX_MEMBERS + 1
    assert report.headers == 16 + 2 + 2 + 1 + members
    assert table.num_rows == 16 * 25 + 2 + 2 + 1 + members
    assert [p for p, _ in report.skipped_files] == [str(paths[6])]  # its record kept, its end reported


def test_cloudwatch_parquet_and_headerless_files_in_the_list(tmp_path, monkeypatch):
    paths = _day(tmp_path, files=24)
    parquet = tmp_path / "x.parquet"
    pq.write_table(read_arrow(str(paths[0])), parquet)
    cloudwatch = tmp_path / "events.json"
    shutil.copy(FIXTURES / "cloudwatch" / "get-log-events.json", cloudwatch)
    headerless = _write(tmp_path / "headerless.log.gz", _record(5) + "\n" + _record(6) + "\n")
    mixed = [*paths[:10], parquet, cloudwatch, *paths[10:], headerless]
    outcomes = _same_as_per_file(mixed, monkeypatch, log_format="v2")
    table, report = outcomes["skip"]
    assert report.files == 27 and not report.skipped_files
    events = read_arrow(str(cloudwatch), log_format="v2").num_rows
    assert events > 0 and table.num_rows == 24 * 25 + 25 + events + 2  # files, Parquet, events, headerless
    without = _same_as_per_file(mixed, monkeypatch)["raise"][0]
    assert isinstance(without, RecordParseError) and without.path == str(headerless)


def test_a_line_that_is_not_utf8_in_one_file_of_many(tmp_path, monkeypatch):
    paths = _day(tmp_path, files=20)
    paths[9].write_bytes(
        gzip.compress(f"{HEADER}\n{_record(1)}\n".encode() + b"2 \xe9\xff" + b" x" * 12 + b"\n")
    )
    outcomes = _same_as_per_file(paths, monkeypatch)
    assert outcomes["raise"][0].path == str(paths[9]) and outcomes["raise"][0].line_number == 3
    assert outcomes["skip"][1].rejected == {"bad-encoding": 1}


def test_unknown_fields_are_refused_or_kept_as_per_file(tmp_path, monkeypatch):
    paths = _day(tmp_path, files=20)
    _write(paths[7], HEADER + " my-tag\n" + _record(1) + " blue\n")
    assert isinstance(_same_as_per_file(paths, monkeypatch)["raise"][0], RecordParseError)
    table, _ = _same_as_per_file(paths, monkeypatch, unknown_fields="keep")["skip"]
    assert table["my_tag"].drop_null().to_pylist() == ["blue"]


def test_large_and_bomb_like_files_go_the_streaming_way(tmp_path, monkeypatch):
    """A file whose text passes MAX_TEXT is streamed on its own, as is one past MAX_COMPRESSED."""
    paths = _day(tmp_path, files=20)
    monkeypatch.setattr(many, "MAX_TEXT", 10_000)
    _write(paths[2], HEADER + "\n" + "\n".join(_record(j) for j in range(200)) + "\n")
    assert many.load(str(paths[2])) is None and many.load(str(paths[3])) is not None
    table, _ = _same_as_per_file(paths, monkeypatch)["skip"]
    assert table.num_rows == 19 * 25 + 200
    monkeypatch.setattr(many, "MAX_COMPRESSED", 100)
    assert many.load(str(paths[3])) is None


def test_a_progress_bar_shows_on_a_terminal_for_many_files(tmp_path, monkeypatch, capsys):
    paths = [str(p) for p in _day(tmp_path, files=12, rows=2)]
    monkeypatch.setattr(many, "PROGRESS_DELAY", 0)
    monkeypatch.setattr(many, "PROGRESS_FILES", 10)
    read_arrow(paths)  # not a terminal (pytest captures stderr): no bar
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    read_arrow(paths)
    assert "reading" in capsys.readouterr().err  # counts files; leave=False clears it at the end
    monkeypatch.setattr(many, "PROGRESS_FILES", 200)
    read_arrow(paths)  # few files: no bar
    assert capsys.readouterr().err == ""


def test_many_gzip_bombs_among_good_files_stay_under_300_mb(tmp_path):
    """Issue 14's gauge over many files: ten 1 GiB gzip bombs of NULs (about 1 MB each) among good
    files; each is inflated whole only up to MAX_TEXT, then refused as binary by the per-file path."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("measures peak memory with Linux's /proc/self/status")
    from test_hostile import _PEAK, _gzip_of

    paths = _day(tmp_path, files=30)
    bomb = tmp_path / "bomb.bin"
    _gzip_of(bomb, f"{HEADER}\n".encode(), b"\x00", 1 << 30)
    for k in range(0, 30, 3):
        shutil.copy(bomb, paths[k])
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(paths[0].parent), "skip"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split(maxsplit=1)
    assert int(out[0]) < 300 and out[1].strip() == "read", out


def test_a_file_named_through_links_dots_and_relative_paths_is_read_once(tmp_path, monkeypatch):
    """list_files resolves each folder once (not each file): a file reached by a link to it, a link
    to its folder, a ``..`` or a relative path is still one file."""
    paths = _day(tmp_path / "day", files=3, rows=2)
    (tmp_path / "link.log.gz").symlink_to(paths[0])
    (tmp_path / "folder").symlink_to(tmp_path / "day", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    names = [
        tmp_path / "day",
        tmp_path / "link.log.gz",
        tmp_path / "folder" / paths[1].name,
        tmp_path / "folder" / ".." / "day" / paths[2].name,
        f"day/{paths[0].name}",
    ]
    table = read_arrow([str(n) for n in names])
    assert table.num_rows == 3 * 2
    assert len(list_files([str(tmp_path / "link.log.gz"), str(tmp_path / "folder")])) == 3
