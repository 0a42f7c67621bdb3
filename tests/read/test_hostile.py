"""Hostile and odd inputs: gzip bombs, over-long lines, numbers Arrow reads but the rules refuse,
unreadable files and folders. Inputs are made here, in ``tmp_path`` (too big or too odd to commit).

The rules are those of :mod:`flowkit.read.checks`; each test names the one it holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib

import pandas as pd
import pytest
from nodac import can_drop_dac, without_dac_override

from flowkit import read_flow_logs
from flowkit.errors import RecordParseError
from flowkit.read import list_files
from flowkit.read.checks import MAX_LINE_BYTES, check_line, values_ok
from flowkit.schema import DEFAULT_FIELDS, resolve_log_format

HEADER = " ".join(DEFAULT_FIELDS)
GOOD = [
    "2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.25 52.217.12.34 49200 443 6 25 5200 1714817100 1714817158 ACCEPT OK",
    "2 123456789012 eni-0a1b2c3d4e5f67890 52.217.12.34 10.0.1.25 443 49200 6 30 38400 1714817100 1714817158 ACCEPT OK",
    "2 123456789012 eni-0a1b2c3d4e5f67890 198.51.100.7 10.0.1.25 51514 22 6 1 40 1714817105 1714817130 REJECT OK",
]
POSITION = {name: i for i, name in enumerate(DEFAULT_FIELDS)}


def _gzip_of(path, head: bytes, fill: bytes, size: int) -> None:
    """head + ``size`` bytes of ``fill`` as one gzip member, written without holding it in memory."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = fill * ((1 << 24) // len(fill))
    with path.open("wb") as out:
        out.write(deflate.compress(head))
        left = size
        while left > 0:
            piece = block[: min(left, len(block))]
            out.write(deflate.compress(piece))
            left -= len(piece)
        out.write(deflate.flush())


def _with(record: str, field: str, value: str) -> str:
    tokens = record.split()
    tokens[POSITION[field]] = value
    return " ".join(tokens)


# -- bounded memory ----------------------------------------------------------------------------------

# VmHWM is the peak resident set of this process's own memory (ru_maxrss would carry the parent's
# peak over fork+exec, the pytest process's own hundreds of MB)
_PEAK = """
import re, sys
import flowkit
try:
    flowkit.read_flow_logs(sys.argv[1], errors=sys.argv[2])
    outcome = "read"
except flowkit.FlowkitError as exc:
    outcome = str(exc).splitlines()[0]
with open("/proc/self/status") as status:
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
print(peak_kb // 1024, outcome)
"""


def test_a_gigabyte_of_zeros_in_gzip_stays_under_300_mb(tmp_path):
    """Issue 14's gauge: a 1 GiB gzip bomb of NULs (about 1 MB compressed) is refused as binary
    after inflating its first 64 KiB; peak memory of the whole process (Python, pandas, pyarrow
    included, about 140 MB) stays under 300 MB."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("measures peak memory with Linux's /proc/self/status")
    bomb = tmp_path / "bomb-zeros.log.gz"
    _gzip_of(bomb, f"{HEADER}\n".encode(), b"\x00", 1 << 30)
    assert bomb.stat().st_size < 2 << 20
    for errors in ("raise", "skip"):
        out = subprocess.run(
            [sys.executable, "-c", _PEAK, str(bomb), errors], capture_output=True, text=True, check=True
        ).stdout.split(maxsplit=1)
        peak_mb, outcome = int(out[0]), out[1]
        assert peak_mb < 300, (errors, peak_mb)
        assert ("binary file" in outcome) if errors == "raise" else outcome.strip() == "read"


def test_a_text_bomb_of_blank_lines_is_counted_in_bulk(tmp_path):
    bomb = tmp_path / "bomb-blank-lines.log.gz"
    _gzip_of(bomb, f"{HEADER}\n{GOOD[0]}\n".encode(), b"\n", 64 << 20)
    df = read_flow_logs(bomb)  # blank lines are no error, even 67 million of them
    report = df.attrs["report"]
    assert len(df) == 1 and report.blank_lines == 64 << 20 and report.rejected_total == 0


def test_a_line_past_the_limit_is_rejected_without_being_kept_or_echoed(tmp_path):
    junk = "x" * (3 * MAX_LINE_BYTES)
    path = tmp_path / "junk-line.log"
    path.write_text(f"{HEADER}\n{GOOD[0]}\n{junk}\n{GOOD[1]}\n")
    with pytest.raises(
        RecordParseError, match=r"junk-line.log, line 3: the line is longer than 1,048,576"
    ) as info:
        read_flow_logs(path)
    assert len(str(info.value)) < 1000 and info.value.reason == "line-too-long"
    df = read_flow_logs(path, errors="skip")
    report = df.attrs["report"]
    assert values_list(df, "bytes") == [5200, 38400] and report.rejected == {"line-too-long": 1}
    assert len(report.examples[0][3]) <= 200


def test_an_error_quotes_a_few_hundred_characters_at_most(tmp_path):
    long_token = "9" * 500_000  # a number of half a million digits, inside the line limit
    path = tmp_path / "long.log"
    path.write_text(f"{HEADER}\n{_with(GOOD[0], 'bytes', long_token)}\n")
    with pytest.raises(RecordParseError, match=r"field 'bytes' must be 0-9223372036854775807") as info:
        read_flow_logs(path)
    assert len(str(info.value)) < 600
    spaced = tmp_path / "words.log"
    spaced.write_text(f"{HEADER}\n" + " ".join(["word"] * 100_000) + "\n")
    with pytest.raises(RecordParseError, match="expected 14 fields") as info:
        read_flow_logs(spaced)
    assert len(str(info.value)) < 600


def values_list(df: pd.DataFrame, column: str) -> list:
    return [None if pd.isna(v) else v for v in df[column]]


# -- one rule for numbers on both paths (rule 3) -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bytes", "-10"),
        ("packets", "-3"),
        ("dstport", "0x1bb"),
        ("srcport", "+443"),
        ("packets", "1e3"),
        ("dstport", "443.0"),
        ("bytes", "1_000"),
        ("protocol", "-1"),
    ],
)
@pytest.mark.parametrize("gz", [False, True], ids=["log", "gz"])
def test_a_number_is_ascii_digits_on_every_path(tmp_path, field, value, gz):
    lines = [HEADER, GOOD[0], _with(GOOD[1], field, value), GOOD[2]]
    path = tmp_path / ("n.log.gz" if gz else "n.log")
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(zlib.compress(data, wbits=31) if gz else data)
    with pytest.raises(RecordParseError, match=rf"line 3: field '{field}' must be a whole number") as info:
        read_flow_logs(path)
    assert info.value.reason == "bad-number"
    df = read_flow_logs(path, errors="skip")
    assert values_list(df, "bytes") == [5200, 40] and df.attrs["report"].rejected == {"bad-number": 1}


def test_the_column_check_and_the_line_check_agree():
    fields = resolve_log_format("default")
    for field in ("packets", "bytes", "srcport", "protocol", "start"):
        line = _with(GOOD[0], field, "-5")
        assert check_line(line, fields, len(fields))[0] == "bad-number"
        import pyarrow as pa

        table = pa.table({f.column: pa.array([-5 if f.name == field else 1], f.arrow_type) for f in fields
                          if f.is_numeric})  # fmt: skip
        assert not values_ok(table), field


def test_the_fast_and_the_exact_path_give_the_same_frame(tmp_path):
    clean = tmp_path / "clean.log"
    clean.write_text("\n".join([HEADER, *GOOD]) + "\n")
    exact = tmp_path / "exact.log"
    exact.write_text("\n".join([HEADER, *GOOD]) + "\n\n")  # a blank line sends it down the exact path
    fast_df, exact_df = read_flow_logs(clean), read_flow_logs(exact)
    pd.testing.assert_frame_equal(fast_df, exact_df)
    assert exact_df.attrs["report"].blank_lines == 1 and fast_df.attrs["report"].blank_lines == 0


# -- unreadable files and folders (rule 10) -----------------------------------------------------------


def _no_read_access():
    """A context in which ``chmod 000`` holds for this process (root ignores it unless it drops
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH)."""
    if os.geteuid() != 0:
        import contextlib

        return contextlib.nullcontext()
    if not can_drop_dac():
        pytest.skip("runs as root without the capabilities to drop (needs Linux, CAP_DAC_OVERRIDE)")
    return without_dac_override()


@pytest.fixture
def locked_tree(tmp_path):
    root = tmp_path / "unreadable"
    for rel, record in (("a.log", GOOD[0]), ("sub/b.log", GOOD[1]), ("locked/c.log", GOOD[2])):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{HEADER}\n{record}\n")
    (root / "locked").chmod(0o000)
    yield root
    (root / "locked").chmod(0o755)


def test_an_unreadable_folder_is_an_error_or_a_counted_skip(locked_tree):
    with _no_read_access():
        with pytest.raises(
            RecordParseError, match=r"locked: cannot read this folder \(permission denied\)"
        ) as info:
            read_flow_logs(locked_tree)
        assert info.value.reason == "unreadable"
        df = read_flow_logs(locked_tree, errors="skip")
    report = df.attrs["report"]
    assert values_list(df, "bytes") == [5200, 38400] and report.files == 2
    assert [(p.rsplit("/", 1)[-1], "permission denied" in why) for p, why in report.skipped_files] == [
        ("locked", True)
    ]


def test_an_unreadable_file_is_an_error_or_a_counted_skip(tmp_path):
    folder = tmp_path / "unreadable-file"
    folder.mkdir()
    (folder / "a.log").write_text(f"{HEADER}\n{GOOD[0]}\n")
    locked = folder / "b.log"
    locked.write_text(f"{HEADER}\n{GOOD[1]}\n")
    locked.chmod(0o000)
    try:
        with _no_read_access():
            with pytest.raises(RecordParseError, match=r"b.log: cannot read this file \(permission denied\)"):
                read_flow_logs(folder)
            df = read_flow_logs(folder, errors="skip")
            named = read_flow_logs([folder / "a.log", locked], errors="skip")
    finally:
        locked.chmod(0o644)
    assert values_list(df, "bytes") == [5200] and df.attrs["report"].skipped_files[0][0] == str(locked)
    assert len(named) == 1 and len(named.attrs["report"].skipped_files) == 1


def test_a_file_in_a_folder_that_cannot_be_searched(locked_tree):
    with _no_read_access():
        with pytest.raises(RecordParseError, match=r"c\.log: cannot read this path"):
            list_files(locked_tree / "locked" / "c.log")
        assert list_files([locked_tree / "locked" / "c.log", locked_tree / "a.log"], errors="skip") == [
            locked_tree / "a.log"
        ]
