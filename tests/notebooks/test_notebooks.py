"""The guided notebooks: their conventions (checked statically) and a headless run of each on a fresh kernel.

The executed tests are marked ``notebooks`` (``pytest -m "not notebooks"`` skips them); ``make test`` runs
them. A run fails on any error output and on any warning (stderr text or a ``...Warning:`` line).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from flowkit import exercises
from flowkit.errors import NotebookError
from flowkit.notebooks import (
    aws_target,
    check_account,
    check_kernel,
    execute,
    findings,
    list_notebooks,
    load_notebook,
    open_engine,
    parameterize,
    problems,
    run_notebooks,
)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
GUIDED = list_notebooks(NOTEBOOKS) if NOTEBOOKS.is_dir() else []
SOLUTIONS = list_notebooks(NOTEBOOKS / "solutions") if (NOTEBOOKS / "solutions").is_dir() else []
ALL = GUIDED + SOLUTIONS
MAX_CODE_LINES = 12
# AWS's documented example values are fine in a notebook; anything else that looks like an account, a key or a
# bucket is not
EXAMPLE_ACCOUNTS = "(?!111122223333|123456789012|444455556666)"
SECRETS = [
    (re.compile(rf"(?<![\d.]){EXAMPLE_ACCOUNTS}\d{{12}}(?![\d.])"), "a 12-digit account ID"),
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), "an access key ID"),
    (re.compile(r"aws_secret_access_key|aws_session_token", re.I), "a secret key setting"),
    (re.compile(r"s3://(?!amzn-s3-demo-bucket)[a-z0-9][a-z0-9.-]{2,}", re.I), "a bucket name"),
    (re.compile(rf"arn:aws:[a-z0-9-]+:[a-z0-9-]*:{EXAMPLE_ACCOUNTS}\d{{12}}"), "an ARN with an account ID"),
]


def _ids(paths):
    return [str(p.relative_to(NOTEBOOKS)) for p in paths]


def _committed(path: Path) -> nbformat.NotebookNode:
    """The notebook as git stores it (the index, after the nbstripout filter), else the file on disk."""
    relative = path.relative_to(ROOT)
    blob = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "blob", f":{relative}"], capture_output=True, check=False
    )
    if blob.returncode == 0:
        return nbformat.reads(blob.stdout.decode(), as_version=4)
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_curriculum_is_numbered_00_to_07():
    numbers = [int(p.name[:2]) for p in GUIDED]
    assert numbers == list(range(8)), [p.name for p in GUIDED]
    assert (NOTEBOOKS / "README.md").is_file()
    index = (NOTEBOOKS / "README.md").read_text()
    assert all(p.name in index for p in GUIDED), "notebooks/README.md must link every notebook"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_committed_notebook_has_no_outputs(path):
    nb = _committed(path)
    dirty = [i for i, c in enumerate(_code(nb), 1) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs; run `nbstripout {path}`"


def _parameters(path):
    code = _code(nbformat.read(path, as_version=4))
    values = {}
    for node in ast.parse(code[1].source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, ast.unparse(node)
        values[node.targets[0].id] = ast.literal_eval(node.value)  # only literals
    return values


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_parameters_cell_is_the_second_code_cell_with_literal_offline_defaults(path):
    code = _code(nbformat.read(path, as_version=4))
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [1], f"{path.name}: the second code cell (only) must be tagged `parameters`"
    values = _parameters(path)
    if path in GUIDED:  # the solutions are written for the sample: they have no backend to switch
        assert values.get("BACKEND") == "local"
    # relative to the notebook's folder: the bundled sample; or None where the periods are simulated (06, 07)
    if values["DATA"] is None:
        assert path.name[:2] in ("06", "07") and values["SCENARIO"] == "workshop"
    else:
        assert (path.parent / values["DATA"]).resolve() == (ROOT / "data" / "sample").resolve()
    aws = ("AWS_PROFILE", "AWS_REGION", "ATHENA_DATABASE", "LOG_GROUP", "ACCEPTED")
    assert all(values[k] is None for k in aws if k in values)


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_every_parameter_is_used(path):
    """A parameter no cell reads does nothing: a user who sets it would be misled (issue 17)."""
    code = _code(nbformat.read(path, as_version=4))
    read = {
        node.id
        for cell in code[2:]
        for node in ast.walk(ast.parse(cell.source))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    unused = sorted(set(_parameters(path)) - read)
    assert not unused, f"{path.name}: parameters no cell reads: {unused}"


@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_guided_notebooks_show_tables_whole_and_bound_aws_queries_in_time(path):
    code = _code(nbformat.read(path, as_version=4))
    assert "setup_display()" in code[0].source, f"{path.name}: call setup_display() in the first code cell"
    values = _parameters(path)
    if path.name[:2] in ("00", "02", "03", "04", "05"):
        assert {"START", "END"} <= set(values), f"{path.name}: bound the queries with START and END"
        checked = code[2].source
        assert "period=(START, END)" in checked and "needs=" in checked, (
            f"{path.name}: the cell after the parameters must check them (open_engine(..., needs=, period=))"
        )
    if path.name[:2] in ("06", "07"):
        assert "open_periods(" in code[2].source


@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_notebook_follows_the_teaching_conventions(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    for heading in ("Goal", "You will learn", "Prerequisites"):
        assert heading in first.source, f"{path.name}: the first cell needs '{heading}'"
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any(re.search(r"^#+ .*Recap", m, re.M) for m in markdown), f"{path.name}: no Recap section"
    assert any(re.search(r"^#+ .*Exercises", m, re.M) for m in markdown), f"{path.name}: no Exercises"
    assert any(re.search(r"\bNotice\b", m) for m in markdown), f"{path.name}: no 'Notice that...' cell"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert i > 0 and nb.cells[i - 1].cell_type == "markdown", (
                f"{path.name}: code cell {i} needs a markdown cell before it saying what and why"
            )


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_code_cells_are_short_call_flowkit_and_define_nothing(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(_code(nb), 1):
        lines = [line for line in cell.source.splitlines() if line.strip()]
        assert len(lines) <= MAX_CODE_LINES, f"{path.name}: code cell {i} has {len(lines)} lines"
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda), (
                f"{path.name}: code cell {i} defines a function or class; put it in flowkit"
            )
    assert "kernelspec" not in nb.metadata or nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_no_credentials_account_ids_or_bucket_names(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    for pattern, what in SECRETS:
        found = pattern.search(text)
        assert not found, f"{path.name}: {what} ({found.group(0)!r}); use a parameter or a profile"


def test_every_exercise_is_asked_in_its_notebook_and_solved_in_solutions():
    asked = _checked_ids(GUIDED)
    solved = _checked_ids(SOLUTIONS)
    listed = set(exercises.list_exercises()["id"])
    assert asked <= listed, f"notebooks check unknown exercises: {sorted(asked - listed)}"
    assert listed <= asked, f"exercises no notebook asks: {sorted(listed - asked)}"
    assert solved == asked, f"exercises without a worked solution: {sorted(asked - solved)}"


@pytest.mark.parametrize("path", [*ALL, NOTEBOOKS / "README.md"], ids=[*_ids(ALL), "README.md"])
def test_links_to_notebooks_and_files_resolve(path):
    text = (
        path.read_text()
        if path.suffix == ".md"
        else "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    )
    targets = re.findall(r"\]\(([^)#:]+?)\)", text)
    missing = [t for t in targets if not (path.parent / t).exists()]
    assert targets and not missing, f"{path.name}: broken links {missing}"


def _checked_ids(paths):
    ids = set()
    for path in paths:
        for cell in _code(nbformat.read(path, as_version=4)):
            ids |= set(re.findall(r"""check\(\s*["'](\d\d\.\d+)["']""", cell.source))
    return ids


# --- the runner --------------------------------------------------------------------------------------------


def _tiny(tmp_path, *sources, tags=None):
    cells = [nbformat.v4.new_markdown_cell("# tiny\n\n[next](01-next.ipynb)")]
    for i, source in enumerate(sources):
        cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": (tags or {}).get(i, [])}))
    path = tmp_path / "00-tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.mark.notebooks
def test_the_kernel_is_this_environment_s_python(tmp_path):
    assert Path(check_kernel()).resolve() == Path(sys.executable).resolve()
    nb = nbformat.read(_tiny(tmp_path, "import sys, flowkit\nprint(sys.prefix, flowkit.__file__)"), 4)
    execute(nb, tmp_path)
    prefix, package = nb.cells[1].outputs[0].text.split()
    assert prefix == sys.prefix
    assert Path(package).resolve() == (ROOT / "flowkit" / "__init__.py").resolve()


@pytest.mark.notebooks
def test_the_runner_reports_errors_warnings_findings_and_writes_html(tmp_path):
    path = _tiny(
        tmp_path,
        "import os\nN = 1",
        "N = 2",
        "import warnings\nwarnings.warn('deprecated thing')",
        "print(os.getcwd())\nN * 21",
        "int('x')",
        "1 / 0",
        tags={1: ["parameters"], 3: ["finding"], 4: ["raises-exception"]},
    )
    [run] = run_notebooks([path], tmp_path / "build", parameters={"N": 2})
    assert run.error == "cell 7: ZeroDivisionError: division by zero"  # the injected cell counts
    assert len(run.warnings) == 1 and "UserWarning: deprecated thing" in run.warnings[0]
    assert run.findings == [f"{tmp_path}\n42"]  # ran in the notebook's folder, with N injected
    assert not run.ok
    html = (tmp_path / "build" / "html" / "00-tiny.html").read_text()
    assert "ZeroDivisionError" in html and "deprecated thing" in html
    assert 'href="01-next.html"' in html  # links between notebooks follow them to HTML
    assert problems(nbformat.read(run.executed, 4)) == (run.error, run.warnings)


@pytest.mark.notebooks
def test_demo_command_runs_notebooks_and_says_where_the_outputs_are(tmp_path):
    good = _tiny(
        tmp_path, "import pandas as pd", "X = 3", "int(pd.Series([1, 2, 3]).sum() * 2)", tags={2: ["finding"]}
    )
    out = subprocess.run(
        [sys.executable, "-m", "flowkit.cli", "demo", str(good), "--out", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{tmp_path / 'b' / 'html'}/" in out.stdout and "[00-tiny.ipynb]" in out.stdout
    assert "  12" in out.stdout  # the finding
    summary = (tmp_path / "b" / "summary.md").read_text()
    assert "| 00-tiny.ipynb | ok |" in summary
    index = (tmp_path / "b" / "index.html").read_text()
    assert '<a href="html/00-tiny.html">' in index and "<td>ok</td>" in index
    assert not out.stderr


def test_demo_command_rejects_missing_notebooks_and_data(tmp_path):
    for args in (
        ["demo", str(tmp_path / "99-nope.ipynb")],
        ["demo", "--data", str(tmp_path / "none")],
        ["demo", "--jobs", "0"],
    ):
        out = subprocess.run([sys.executable, "-m", "flowkit.cli", *args], capture_output=True, text=True)
        assert out.returncode == 2 and "error:" in out.stderr and "Traceback" not in out.stderr


# --- every notebook, headless, on a fresh kernel -------------------------------------------------------------


@pytest.mark.notebooks
@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_runs_top_to_bottom_without_errors_or_warnings(path):
    nb = execute(load_notebook(path), path.parent)
    error, warnings = problems(nb)
    assert error is None, f"{path.name}: {error}"
    assert not warnings, f"{path.name} wrote warnings:\n" + "\n".join(warnings)
    # tables show their text whole: pandas ends a cut cell with "..."
    cut = [
        (i, html[max(0, html.index("...</td>") - 60) : html.index("...</td>") + 8])
        for i, c in enumerate(_code(nb), 1)
        for o in c.outputs
        if (html := "".join(o.get("data", {}).get("text/html", ""))) and "...</td>" in html
    ]
    assert not cut, f"{path.name}: tables cut their text: {cut}"
    if path in SOLUTIONS:
        outputs = [json.dumps(o.get("data", {})) for c in _code(nb) for o in c.outputs]
        assert not [o for o in outputs if "not yet" in o], f"{path.name}: a worked solution is not right"
        assert sum("right" in o for o in outputs) >= len(_checked_ids([path]))


def test_findings_reads_the_cells_tagged_finding():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x", metadata={"tags": ["finding"]}),
            nbformat.v4.new_code_cell("y"),
        ]
    )
    nb.cells[0].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "\n".join(map(str, range(20)))})
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="not a finding")]
    [text] = findings(nb)
    assert text.splitlines()[:2] == ["0", "1"] and text.endswith("...") and "not a finding" not in text


@pytest.mark.notebooks
@pytest.mark.parametrize("path", GUIDED, ids=_ids(GUIDED))
def test_backend_aws_without_its_settings_stops_at_the_parameters(path, tmp_path):
    """`-p BACKEND aws` with nothing else must not quietly analyse the sample: the cell after the parameters stops
    with an error naming what to set (issue 17)."""
    nb = parameterize(load_notebook(path), {"BACKEND": "aws"})
    code = _code(nb)
    injected = next(i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", []))
    execute(nb, path.parent)  # a cell error stops the run and stays in the outputs
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.outputs)]
    assert failed == [injected + 1], (
        f"{path.name}: stopped at code cell {failed}, not right after the parameters"
    )
    error = next(o for o in code[injected + 1].outputs if o.get("output_type") == "error")
    assert error["ename"] == "NotebookError"
    assert re.search(r"ATHENA_DATABASE|LOG_GROUP|VPC_ID", error["evalue"]), error["evalue"]
    ran = [c for c in code[injected + 2 :] if c.get("execution_count")]
    assert not ran, f"{path.name}: cells ran after the failed check"


# --- the parameters-to-engine switch ----------------------------------------------------------------------------


def test_open_engine_local_runs_athena_sql_on_the_data(tmp_path):
    log = tmp_path / "a.log"
    log.write_text(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
        "action log-status\n"
        "2 111122223333 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 60 1700000000 1700000060 ACCEPT OK\n"
    )
    engine = open_engine("local", log)
    assert engine.sql("SELECT dstport FROM vpc_flow_logs WHERE srcaddr = :a", a="10.0.0.1")[
        "dstport"
    ].tolist() == [443]


def test_open_engine_aws_uses_the_named_database_and_table():
    engine = open_engine(
        "aws", aws_region="us-east-1", athena_database="flowkit.my_flow_logs", log_group="/vpc/fl"
    )
    assert (engine.athena.database, engine.athena.table) == ("flowkit", "my_flow_logs")
    assert engine.log_groups == ["/vpc/fl"] and engine.session.region_name == "us-east-1"
    assert (
        open_engine("aws", aws_region="us-east-1", athena_database="flowkit").athena.table == "vpc_flow_logs"
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: open_engine("athena"), "BACKEND must be 'local' or 'aws'", id="unknown-backend"),
        pytest.param(lambda: open_engine("aws"), "ATHENA_DATABASE", id="aws-without-target"),
        pytest.param(
            lambda: open_engine("aws", aws_profile="no-such-profile", athena_database="flowkit"),
            "AWS_PROFILE 'no-such-profile'",
            id="unknown-profile",
        ),
        pytest.param(lambda: aws_target("aws", aws_region="us-east-1"), "VPC_ID", id="target-without-vpc"),
        pytest.param(lambda: check_account("aws"), "ATHENA_DATABASE", id="check-without-target"),
        pytest.param(lambda: check_account("athena"), "BACKEND must be", id="check-unknown-backend"),
    ],
)
def test_backend_switch_errors_say_which_parameter_to_set(call, message):
    with pytest.raises(NotebookError, match=re.escape(message)):
        call()


def test_aws_target_local_is_a_sandbox_that_closes():
    target = aws_target("local")
    try:
        assert target.is_sandbox and target.vpc_id.startswith("vpc-") and target.bucket
        vpcs = target.session.client("ec2").describe_vpcs()["Vpcs"]
        assert target.vpc_id in {v["VpcId"] for v in vpcs}
        assert "SANDBOX" in target._repr_markdown_()
    finally:
        target.close()
    target.close()  # twice is harmless


def test_check_account_local_says_there_is_no_account_and_calls_nothing():
    report = check_account("local")
    assert [(c.name, c.status) for c in report.checks] == [("aws account", "skip")]
    assert report.ok and "flowkit doctor --sandbox" in report.checks[0].detail


def test_check_account_aws_runs_the_doctor_on_the_named_table_and_log_group():
    """The notebook's parameters reach ``flowkit doctor``: a missing database fails with its fix, the log group
    is found, and a log group no flow log delivers to is said (moto, through the default credential chain as on
    a real account)."""
    from flowkit.aws.sandbox import sandbox

    with sandbox() as sb:
        report = check_account(
            "aws", aws_region=sb.region, athena_database="no_such_db", log_group=sb.log_group
        )
    checks = {c.name: c for c in report.checks}
    assert checks["credentials"].status == "ok" and "123456789012" in checks["credentials"].detail
    assert checks["glue database"].status == "fail" and not report.ok
    assert "create_database('no_such_db')" in checks["glue database"].fix
    assert checks["glue table"].status == "skip"
    assert "class STANDARD" in checks["log group"].detail
    assert checks["flow logs"].status == "warn" and "no flow log" in checks["flow logs"].detail
    assert "| glue database | **fail** |" in report._repr_markdown_()
