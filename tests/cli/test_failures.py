"""The red-team cases of issue 15: every failure is one line on stderr and exit 2 (130 on Ctrl-C), and
nothing a command did not write is lost, whatever the parameters, the input or the disk."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowkit.cli import main
from flowkit.read import read_flow_logs

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
ONE_FILE = sorted(SAMPLE.rglob("*.log.gz"))[0]


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "flowkit bug" not in err, err  # an expected failure, said as such
    return err


# -- AWS credentials and profiles ------------------------------------------------------------------------


@pytest.fixture
def missing_profile(tmp_path, monkeypatch):
    """A profile that is in no AWS config file (both files pointed at empty ones: nothing real is read)."""
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_PROFILE", "nonexistent")


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "--data", "s3://flowkit-test-bucket/p/"],
        ["report", "--data", "s3://flowkit-test-bucket/p/", "--out", "{tmp}/report"],
        ["convert", "s3://flowkit-test-bucket/p/", "{tmp}/out"],
        ["enable", "--vpc", "vpc-0123456789abcdef0", "--s3", "s3://flowkit-test-bucket/", "--apply"],
    ],
)
def test_a_missing_aws_profile_is_one_line_naming_it(capsys, tmp_path, missing_profile, argv):
    err = _one_line_error(capsys, [a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert "'nonexistent'" in err and "AWS_PROFILE" in err
    assert not (tmp_path / "report").exists() and not (tmp_path / "out").exists()


# -- input that is not what it claims ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "--data", ""],
        ["insights", "--data", "", "fields @message"],
        ["sql", "--data", "", "SELECT 1"],
        ["unexpected", "--data", "", "--allowlist", "{tmp}/a.yaml"],
        ["report", "--data", "", "--out", "{tmp}/r"],
    ],
)
def test_an_empty_data_path_is_refused_not_read_as_the_sample(capsys, tmp_path, argv):
    (tmp_path / "a.yaml").write_text("rules: []\n")
    err = _one_line_error(capsys, [a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert "--data is empty" in err


@pytest.mark.parametrize("message", ["5", "null", "[1, 2]", '{"a": 1}', "true"])
@pytest.mark.parametrize("command", [["summary"], ["insights", "fields @message"]])
def test_a_cloudwatch_event_whose_message_is_not_text_names_the_line(capsys, tmp_path, message, command):
    # CloudWatch Logs events: {"timestamp": ms, "message": "..."}; the message is the log line as text
    # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_OutputLogEvent.html
    events = tmp_path / "eni-0a1b2c3d4e5f60718-all.jsonl"
    good = '{"timestamp": 1762041600000, "message": "2 111122223333 eni-0a1b2c3d4e5f60718 10.0.0.1 10.0.0.2 443 49152 6 10 840 1762041600 1762041660 ACCEPT OK"}'
    events.write_text(f'{good}\n{{"timestamp": 1762041600000, "message": {message}}}\n')
    err = _one_line_error(capsys, [command[0], "--data", str(events), *command[1:]])
    assert "line 2" in err and "not a flow-log record line" in err


@pytest.mark.parametrize("kind", ["list", "mapping"])
def test_a_deeply_nested_allowlist_or_scenario_names_the_limit(capsys, tmp_path, kind):
    deep = "[" * 500 + "]" * 500 if kind == "list" else "{a: " * 500 + "1" + "}" * 500
    allowlist = tmp_path / "allow.yaml"
    allowlist.write_text(f"rules:\n  - {deep}\n")
    err = _one_line_error(capsys, ["unexpected", "--data", str(ONE_FILE), "--allowlist", str(allowlist)])
    assert "allow.yaml" in err and "MAX_YAML_DEPTH" in err
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(f"name: deep\nhosts: {deep}\n")
    err = _one_line_error(capsys, ["simulate", "--scenario", str(scenario), "--out", str(tmp_path / "o")])
    assert "scenario.yaml" in err and "MAX_YAML_DEPTH" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("argv", "limit"),
    [
        (["report", "--data", str(ONE_FILE), "--out", "{tmp}/r", "--dpi", "20000"], "MAX_DPI"),
        (["report", "--data", str(ONE_FILE), "--out", "{tmp}/r", "--top", "100000"], "MAX_CATEGORIES"),
        (["demo", "--out", "{tmp}/r", "--jobs", "1000"], "MAX_JOBS"),
    ],
)
def test_sizes_over_their_bound_name_the_limit_and_write_nothing(capsys, tmp_path, argv, limit):
    err = _one_line_error(capsys, [a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert limit in err
    assert not (tmp_path / "r").exists()


# -- Ctrl-C and a full disk, in a real process -------------------------------------------------------------


def _flowkit(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "flowkit.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


def test_ctrl_c_during_simulate_exits_130_and_leaves_no_dataset_that_looks_whole(tmp_path):
    out = tmp_path / "sim"
    process = _flowkit("simulate", "--out", str(out), "--records", "400000", "--days", "2")
    deadline = time.monotonic() + 60
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # well inside the run (several seconds on any machine)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    # either nothing under a final name, or a folder every reader refuses by name
    finals = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".flowkit")]
    finals = [p for p in finals if ".flowkit-staging" not in str(p)]
    if finals:
        with pytest.raises(Exception, match="interrupted"):
            read_flow_logs(out)
    assert not (out / "labels.csv").exists() or finals


def _limit_file_size(limit: int):
    def apply() -> None:  # in the child: files may not grow past `limit` bytes (EFBIG, like a full disk)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_during_convert_is_one_line_and_keeps_the_dataset(tmp_path):
    day_one = tmp_path / "in1"
    day_one.mkdir()
    sources = sorted(SAMPLE.rglob("*.log.gz"))
    for source in sources[:3]:
        (day_one / source.name).write_bytes(source.read_bytes())
    out = tmp_path / "parquet"
    assert main(["convert", str(day_one), str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    rows = len(read_flow_logs(out))

    process = _flowkit("convert", str(SAMPLE), str(out), preexec_fn=_limit_file_size(20_000))
    _, err = process.communicate(timeout=300)
    assert process.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "File too large" in err and "flowkit bug" not in err, err
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {p: b for p, b in after.items() if p in before} == before  # nothing earlier touched
    assert len(read_flow_logs(out)) == rows  # nothing half-written counted
    assert not list(out.rglob(".flowkit-staging*"))


# -- fuzz: hostile parameters on every command --------------------------------------------------------------

_HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1e309",
            "-1e309",
            "nan",
            "inf",
            "99999999999999999999999",
            "0x10",
            "１２",  # full-width digits
            "s3://",
            "s3://b/../../etc",
            "/dev/null",
            "/",
            ".",
            "..",
            "\udcff\udcfe",  # a file name that is not UTF-8, as the OS passes it (surrogateescape)
            "${srcaddr} ${nope}",
            "a" * 5000,
            "--",
            "-",
            "2026-13-45T99:00Z",
            "+99999999d",
            "NAME=",
            "=x",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

_OPTIONS = {
    "summary": ["--data", "--log-format", "--output"],
    "sql": ["--data", "--log-format", "--param", "--query", "--output"],
    "insights": ["--data", "--log-format", "--start", "--end", "--param", "--name"],
    "unexpected": ["--data", "--log-format", "--limit", "--vpc-cidr", "--ip-ranges"],
    "report": ["--data", "--log-format", "--top", "--dpi", "--vpc-cidr"],
    "convert": ["--log-format"],
    "simulate": ["--seed", "--days", "--start", "--records", "--log-format", "--compression", "--scenario"],
    "ddl": [
        "--location",
        "--log-format",
        "--table",
        "--database",
        "--account-id",
        "--regions",
        "--start-day",
    ],
    "enable": ["--vpc", "--s3", "--log-group", "--format-version", "--log-format", "--interval"],
    "demo": ["--jobs", "--data"],
}


@st.composite
def _hostile_argv(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(_OPTIONS)))
    chosen = draw(st.lists(st.sampled_from(_OPTIONS[command]), min_size=1, max_size=3, unique=True))
    argv = [command]
    for option in chosen:
        argv += [option, draw(_HOSTILE)]
    return argv


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=_hostile_argv())
def test_fuzz_hostile_parameters_give_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    command = argv[0]
    # keep every run small, offline and inside tmp_path: required arguments get safe values
    fixed = {
        "summary": ["--data", str(ONE_FILE)],
        "sql": ["--data", str(ONE_FILE)],
        "insights": ["--data", str(ONE_FILE)],
        "unexpected": ["--data", str(ONE_FILE), "--allowlist", str(tmp_path / "allow.yaml")],
        "report": ["--data", str(ONE_FILE), "--out", str(tmp_path / "report"), "--overwrite"],
        "convert": [],
        "simulate": ["--out", str(tmp_path / "sim"), "--overwrite", "--records", "50"],
        "ddl": ["--location", "s3://flowkit-test-bucket/AWSLogs/"],
        "enable": ["--sandbox"],
        "demo": ["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "demo")],
    }[command]
    (tmp_path / "allow.yaml").write_text("rules: []\n")
    tail = [str(ONE_FILE), str(tmp_path / "converted")] if command == "convert" else []
    if command in ("sql", "insights"):
        tail = ["SELECT 1" if command == "sql" else "stats count(*)"]
    full = [command, *fixed, *argv[1:], *tail]
    status = main(full)
    err = capsys.readouterr().err
    assert status in (0, 2), (full, status, err)
    assert "Traceback" not in err and "flowkit bug" not in err, (full, err)
    if status == 2:
        assert len(err.strip().splitlines()) == 1, (full, err)


def _yaml_documents() -> st.SearchStrategy[str]:
    import yaml

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(),
        st.text(max_size=12),
        st.sampled_from(["tcp", "udp", "443", "0-65535", "10.0.0.0/8", "::/0", "eni-1", "all", "*", "!x"]),
    )
    keys = st.sampled_from(
        ["rules", "vpc_cidrs", "name", "protocol", "ports", "src", "dst", "port", "hosts", "services",
         "traffic", "anomalies", "start", "days", "seed", "cidr", "tags", "direction", "x"]
    )  # fmt: skip
    tree = st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
        max_leaves=25,
    )
    documents = st.dictionaries(keys, tree, max_size=5).map(lambda d: yaml.safe_dump(d))
    raw = st.text(max_size=200)  # anything at all, YAML or not
    return st.one_of(documents, raw, st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


@settings(max_examples=200, deadline=None)
@given(text=_yaml_documents())
def test_fuzz_allowlist_and_scenario_loaders_raise_only_flowkit_errors(text):
    import tempfile

    from flowkit.baseline import load_allowlist
    from flowkit.errors import FlowkitError
    from flowkit.simulate.scenario import load_scenario

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        for load in (load_allowlist, load_scenario):
            try:
                load(path)
            except FlowkitError as exc:
                assert str(exc).strip(), exc
                assert "hostile.yaml" in str(exc), str(exc)
