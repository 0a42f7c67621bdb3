"""``--keep-unknown-fields``: the CLI reads header fields flowkit does not know, as the Python API's
``unknown_fields="keep"`` does; without it, the one-line error names the field and the option."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flowkit.cli import main

LINES = [
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status team-tag",
    "2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.25 52.217.12.34 49200 443 6 25 5200 1714817100 1714817158 "
    "ACCEPT OK payments",
    "2 123456789012 eni-0a1b2c3d4e5f67890 198.51.100.7 10.0.1.25 51514 22 6 1 40 1714817105 1714817130 "
    "REJECT OK payments",
]


@pytest.fixture
def with_extra(tmp_path: Path) -> Path:
    path = tmp_path / "extra-field.log"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_sql_refuses_an_unknown_field_and_says_how_to_keep_it(capsys, with_extra):
    status = main(["sql", "--data", str(with_extra), "SELECT count(*) AS n FROM vpc_flow_logs"])
    err = capsys.readouterr().err
    assert status == 2 and "team-tag" in err and "Traceback" not in err
    assert "--keep-unknown-fields" in err and len(err.strip().splitlines()) == 1


def test_sql_keeps_an_unknown_field_as_a_text_column(capsys, with_extra):
    status = main(
        [
            "sql",
            "--data",
            str(with_extra),
            "--keep-unknown-fields",
            "--output",
            "json",
            "SELECT team_tag, sum(bytes) AS bytes FROM vpc_flow_logs GROUP BY team_tag",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert [json.loads(line) for line in out.splitlines()] == [{"team_tag": "payments", "bytes": 5240}]


def test_convert_keeps_an_unknown_field(capsys, with_extra, tmp_path):
    out = tmp_path / "parquet"
    assert main(["convert", str(with_extra), str(out), "--keep-unknown-fields"]) == 0
    table = pq.read_table(next(out.rglob("*.parquet")))
    assert table.column("team_tag").to_pylist() == ["payments", "payments"]
