"""``flowkit insights``: a Logs Insights query on local files from the command line."""

from __future__ import annotations

import json

import pytest
from insights_data import SYNTHETIC_FORMAT, synthetic_frame, write_log

from flowkit.cli import main


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("insights") / "flows.log"
    frame = synthetic_frame(400)
    write_log(frame, path, SYNTHETIC_FORMAT)
    return str(path), frame


def test_csv_output_with_expected_counts(data, capsys):
    path, frame = data
    assert main(["insights", "stats count(*) as n by action | sort action", "--data", path, "-o", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = frame["action"].value_counts()
    assert lines[:3] == ["action,n", f"ACCEPT,{expected['ACCEPT']}", f"REJECT,{expected['REJECT']}"]


def test_notes_go_to_stderr(data, capsys):
    path, _ = data
    query = "filter @logstream = 'eni-1234567890000000' | stats count(*) as count by dstAddr | order by count desc"
    assert main(["insights", query, "--data", path]) == 0
    captured = capsys.readouterr()
    assert "no rows" in captured.out
    assert "note: " in captured.err and "eni-1234567890000000-all" in captured.err


def test_time_range_and_json(data, capsys):
    path, frame = data
    start, end = "2023-11-15T00:00:00Z", "2023-11-15T23:59:59Z"
    assert (
        main(
            ["insights", "stats count(*) as n", "--data", path, "--start", start, "--end", end, "-o", "json"]
        )
        == 0
    )
    low, high = 1_700_006_400, 1_700_092_799
    assert json.loads(capsys.readouterr().out) == {"n": int(frame["start"].between(low, high).sum())}


def test_catalogue_twin_by_name(data, capsys):
    path, _ = data
    assert main(["insights", "--name", "top_talkers", "--param", "limit=2", "--data", path, "-o", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "srcAddr,dstAddr,bytes,packets,flows"


def test_bad_query_exits_2_with_one_line(data, capsys):
    path, _ = data
    assert main(["insights", "filter | x", "--data", path]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "syntax error at line 1, column 8" in err
