"""``flowkit doctor``: the report it prints against the moto sandbox, and its exit status."""

from __future__ import annotations

import json

import pytest

from flowkit.cli import main


def test_the_sandbox_report_says_what_works(capsys):
    assert main(["doctor", "--sandbox", "--query", "--window", "30"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowkit doctor (SANDBOX: moto in-process, nothing reached AWS)")
    for name in ("credentials", "region", "athena workgroup", "results bucket", "glue database", "glue table",
                 "partitions", "table data", "log group", "flow logs", "athena query", "insights query"):  # fmt: skip
        assert f"[ok  ] {name}" in out, name
    assert "over the last 30 min" in out and "(CWLI)" in out
    assert "The AWS path works:" in out and "Nothing was created or changed." in out


def test_a_failed_check_exits_1_and_prints_the_fix(capsys):
    assert main(["doctor", "--sandbox", "--athena", "nope.vpc_flow_logs"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] glue database" in out and "fix: create it: flowkit.aws.create_database('nope')" in out
    assert "[skip] guide queries" in out and "The AWS path does not work yet" in out


def test_json_report(capsys):
    assert main(["doctor", "--sandbox", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sandbox"] and report["ok"] and report["account_id"] == "123456789012"
    assert {c["name"] for c in report["checks"]} >= {"credentials", "glue table", "log group"}
    assert all(set(c) == {"name", "status", "detail", "fix", "call", "iam_action"} for c in report["checks"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["doctor", "--sandbox", "--window", "0"], "--window 0: give 1 to 1440 minutes"),
        (["doctor", "--profile", "no-such-profile-flowkit"], "profile 'no-such-profile-flowkit' is not in"),
        (["doctor", "--sandbox", "--athena", ".t"], "--athena '.t': give DB or DB.TABLE"),
        (
            ["doctor", "--sandbox", "--s3-output", "bucket", "--athena", "db"],
            "give an s3://bucket/prefix/ URL",
        ),
        (["doctor", "--sandbox", "--log-group", "/a*"], "no wildcards"),
    ],
)
def test_bad_usage_is_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err
