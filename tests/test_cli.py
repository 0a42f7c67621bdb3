"""The command line's contract for user mistakes: exit 2 and one line on stderr, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowkit.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a directory\n")
    return path


def test_an_output_directory_that_is_a_file_is_a_one_line_error(capsys, tmp_path, a_file):
    flow_log = next(SAMPLE.rglob("*.log.gz"))
    err = _one_line_error(capsys, ["convert", str(flow_log), str(a_file)])
    assert "Not a directory" in err and "check the path" in err
    err = _one_line_error(capsys, ["simulate", "--records", "500", "--out", str(a_file)])
    assert "Not a directory" in err
    err = _one_line_error(capsys, ["report", "--data", str(flow_log), "--out", str(a_file)])
    assert str(a_file) in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--data", str(SAMPLE), "--out", "{tmp}", "--dpi", "0"], "--dpi must be at least 1"),
        (["unexpected", "--data", str(SAMPLE), "--allowlist", "{tmp}/a.yaml", "--limit", "-3"], "--limit"),
    ],
)
def test_nonsense_numbers_are_refused_before_any_work(capsys, tmp_path, argv, message):
    err = _one_line_error(capsys, [a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert message in err
