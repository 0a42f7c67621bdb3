"""The command line's contract for user mistakes: exit 2 and one line on stderr, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
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


def test_unexpected_uses_the_vpc_cidr_it_is_given(capsys, tmp_path):
    allowlist = tmp_path / "allow.yaml"
    allowlist.write_text("vpc_cidrs: [10.32.0.0/16]\nrules:\n  - {name: dns, protocol: udp, ports: [53]}\n")
    base = ["unexpected", "--data", str(SAMPLE), "--allowlist", str(allowlist), "-o", "csv", "--limit", "500"]
    assert main(base) == 0
    as_in_file = capsys.readouterr().out
    # 10.32.10.11 is inside 10.32.0.0/16 but outside 10.32.0.0/24: its HTTPS sweep turns external
    assert ",10.32.10.11,46 destinations,443,TCP,outbound," in as_in_file
    assert main([*base, "--vpc-cidr", "10.32.0.0/24"]) == 0
    narrowed = capsys.readouterr().out
    assert ",10.32.10.11,46 destinations,443,TCP,external," in narrowed
    err = _one_line_error(capsys, [*base, "--vpc-cidr", "banana"])
    assert "VPC CIDR 'banana'" in err


def test_query_commands_read_cloudwatch_events_of_any_format(capsys, tmp_path):
    from flowkit.simulate import simulate

    result = simulate("workshop", seed=7, days=0.05, out=tmp_path, file_format="cloudwatch")
    data = ["--data", str(tmp_path), "--log-format", result.log_format, "-o", "csv"]
    assert main(["sql", "SELECT count(*) AS n FROM vpc_flow_logs", *data]) == 0
    assert capsys.readouterr().out.split() == ["n", str(result.records)]
    assert main(["insights", "stats count(*) as n", *data]) == 0
    assert capsys.readouterr().out.split() == ["n", str(result.records)]
    err = _one_line_error(capsys, ["insights", "stats count(*)", "--data", str(tmp_path)])
    assert "pass the flow log's format" in err


@pytest.mark.parametrize(("statement", "word"), [("EXPLAIN SELECT 1", "EXPLAIN"), ("SHOW TABLES", "SHOW")])
def test_a_statement_that_is_not_a_query_is_refused_in_one_line(capsys, statement, word):
    err = _one_line_error(capsys, ["sql", statement])
    assert f"not {word}: the engine is read-only" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["insights", "stats count(*)", "--name", "top_talkers"], "not both"),
        (["insights", "stats count(*)", "--param", "limit=5"], "--param goes with --name"),
    ],
)
def test_insights_refuses_what_it_would_silently_ignore(capsys, argv, message):
    assert message in _one_line_error(capsys, argv)


@pytest.mark.parametrize("command", [["sql", "--query"], ["insights", "--name"]])
def test_a_parameter_given_twice_is_refused(capsys, command):
    params = ["--param", "dstaddr=10.32.0.10", "--param", "dstaddr=10.32.0.50"]
    err = _one_line_error(capsys, [*command, "traffic_to_address", *params])
    assert "--param dstaddr is given twice" in err


def test_a_library_warning_is_one_line_naming_the_command(capsys, tmp_path):
    allowlist = tmp_path / "allow.yaml"
    allowlist.write_text("rules:\n  - {name: everything}\n")
    assert main(["unexpected", "--data", str(SAMPLE), "--allowlist", str(allowlist)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("flowkit unexpected: warning: ") and "matches all traffic" in err
    assert len(err.strip().splitlines()) == 1 and "allowlist.py" not in err
