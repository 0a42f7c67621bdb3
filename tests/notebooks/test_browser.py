"""The guided notebooks as a person runs them: JupyterLab in headless Chromium, Run > Run All Cells.

Marked ``browser`` (``pytest -m "not browser"`` leaves them out). Each test starts JupyterLab from this environment
on a free localhost port with a token, on a copy of ``notebooks/`` in a temporary folder (``data/`` linked beside
it, so the notebooks' ``../data/sample`` resolves and the committed notebooks stay untouched), opens a notebook in
Chromium driven by Playwright, clicks Run > Run All Cells and waits until every cell has run and the kernel is
idle. It fails on an error output, on stderr output, on a cell left unexecuted or a broken image, and on any
browser console error, uncaught page error or HTTP error that is not in ``BENIGN_CONSOLE``. JupyterLab's own
calls off this machine (news feed, update check) are turned off rather than allowed. A screenshot of the whole
notebook goes to ``build/browser-<notebook>.png`` either way.

Without Chromium (Debian: ``apt-get install chromium``; ``.ci/run`` installs it) or the ``playwright`` package,
the tests are skipped with a warning; ``FLOWKIT_REQUIRE_BROWSER=1`` makes that a failure instead. Playwright
drives the system's Chromium (``FLOWKIT_CHROMIUM`` names another); it never downloads a browser of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flowkit.notebooks.runner import kernel_env

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
NOTEBOOKS = ["00-start-here.ipynb", "05-visualising-traffic.ipynb"]

SERVER_START_TIMEOUT = 120  # s: JupyterLab up and answering /api/status
KERNEL_READY_TIMEOUT = 120  # s: page loaded, notebook open, its kernel idle
RUN_TIMEOUT = 600  # s: Run All Cells to the last cell, whole notebook
CHROMIUM_ARGS = [
    # Playwright adds --headless, --no-sandbox and a fresh --user-data-dir itself
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Console errors that are JupyterLab's noise, not a problem of the notebooks: (pattern, why). A console error or a
# page error matching none of these fails the test. Every message seen on Chromium 156 / JupyterLab 4.6 while
# building this test was a debug or info message, so the list is empty; add to it only with the reason.
BENIGN_CONSOLE: list[tuple[re.Pattern[str], str]] = []

# Under xdist (`make test`: -n 2) the tests may land on both workers, each then starting its own JupyterLab and
# Chromium (some 10 s more). `--dist loadgroup` with an xdist_group mark would keep them on one worker, but it groups
# nothing with pytest 9.2 and pytest-xdist 3.8 (pytest-xdist issue 1386).
pytestmark = pytest.mark.browser


class BrowserTestSkipped(UserWarning):
    """The browser tests did not run: said in pytest's warnings summary as well as in its skip reasons."""


def _unavailable(reason: str) -> None:
    """Skip, loudly; or fail, where ``FLOWKIT_REQUIRE_BROWSER=1`` says the browser must be there."""
    if os.environ.get("FLOWKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (FLOWKIT_REQUIRE_BROWSER=1)")
    warnings.warn(f"browser tests SKIPPED: {reason}", BrowserTestSkipped, stacklevel=2)
    print(f"\nWARNING: browser tests SKIPPED: {reason}", file=sys.stderr)
    pytest.skip(reason)


def _find_chromium() -> str | None:
    named = os.environ.get("FLOWKIT_CHROMIUM")
    if named:
        return shutil.which(named)
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)


# --- JupyterLab ------------------------------------------------------------------------------------------------


@dataclass
class Lab:
    url: str  # ends with "/"
    token: str
    root: Path
    log: Path
    process: subprocess.Popen = field(repr=False)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def _lab_command(root: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",  # the OS picks a free port; the server writes it to its runtime file
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the notebook's model, to wait on
        "--LabApp.news_url=None",  # no news feed (no toast asking for it, no fetch off this machine)
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


def _wait_for_lab(process: subprocess.Popen, runtime: Path, token: str, log: Path) -> str:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        if url is None:
            for info_file in runtime.glob(f"jpserver-{process.pid}.json"):
                with contextlib.suppress(ValueError, KeyError):  # being written
                    url = json.loads(info_file.read_text())["url"]
        if url is not None:
            request = urllib.request.Request(f"{url}api/status", headers={"Authorization": f"token {token}"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return url
            except OSError:
                pass
        time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer in {SERVER_START_TIMEOUT} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on a copy of the notebooks, with settings, runtime files and workspaces of its own."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(
        ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
    env = kernel_env()  # the kernel's environment the headless runs use (this checkout, inline figures)
    for variable, name in [
        ("JUPYTER_CONFIG_DIR", "config"),  # no ~/.jupyter configuration
        ("JUPYTER_DATA_DIR", "data"),  # no ~/.local/share/jupyter kernels: the environment's python3 only
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
    ]:
        (base / name).mkdir()
        env[variable] = str(base / name)
    # every cell in the DOM, whatever the default windowing mode, so that the page shows all outputs
    tracker = base / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    # no toast asking whether to fetch Jupyter news (it would sit over the screenshots)
    notification = (
        base / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    )
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env["JUPYTER_TOKEN"] = token = secrets.token_hex(16)
    log = base / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _lab_command(root),
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = _wait_for_lab(process, base / "runtime", token, log)
        yield Lab(url=url, token=token, root=root, log=log, process=process)
    finally:
        process.terminate()  # JupyterLab shuts its kernels down on SIGTERM
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


# --- the browser -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    chromium = _find_chromium()
    if chromium is None:
        _unavailable(
            "no Chromium found (Debian: `apt-get install chromium`; FLOWKIT_CHROMIUM names another executable)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the `playwright` package is not installed (`make` installs the dev extra)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Console:
    """What the page said: console messages, uncaught errors, HTTP errors and failed requests.

    ``errors`` are the ones that fail a test (unless ``BENIGN_CONSOLE`` matches): console errors and assertions,
    uncaught page errors, responses with an HTTP status of 400 or more. Warnings, info and debug messages and
    requests that failed without a response (aborted when the page closes, say) are kept in ``messages`` only: a
    request that mattered shows as an error anyway (a console error, a broken image).
    """

    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda r: self.messages.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", self._response)

    def _response(self, response) -> None:
        if response.status >= 400:
            text = f"HTTP {response.status} for {response.request.method} {response.url.split('?')[0]}"
            self.messages.append(text)
            self.errors.append(text)

    def _console(self, message) -> None:
        where = message.location.get("url", "")
        text = f"console.{message.type}: {message.text} ({where})"
        self.messages.append(text)
        if message.type in ("error", "assert"):
            self.errors.append(text)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p, _ in BENIGN_CONSOLE)]


# JavaScript run in the page: the open notebook, through the application JupyterLab exposes.
_NOTEBOOK = (
    "(() => { const w = window.jupyterapp?.shell?.currentWidget; return w?.content?.model ? w : null; })()"
)
KERNEL_IDLE = f"""(path) => {{
  const w = {_NOTEBOOK};
  return !!w && w.context.path === path && w.sessionContext.isReady
    && w.sessionContext.session?.kernel?.status === 'idle';
}}"""
# The state of every code cell, from the notebook's model (what JupyterLab would save), not from the DOM
CELLS = f"""() => {{
  const w = {_NOTEBOOK};
  const cells = [];
  for (let i = 0; i < w.content.model.cells.length; i++) {{
    const cell = w.content.model.cells.get(i);
    if (cell.type !== 'code') continue;
    cells.push({{index: i, count: cell.executionCount, state: cell.executionState,
                 outputs: cell.outputs.toJSON()}});
  }}
  return {{panel: w.id, kernel: w.sessionContext.session?.kernel?.status ?? null, cells}};
}}"""


def _run_all_cells(page) -> None:
    """Run > Run All Cells, as a person clicks it."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    item = page.locator(
        ".lm-Menu-item", has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    )
    item.click()


def _finished(state: dict) -> bool:
    """The kernel idle, no cell running or queued, and every cell run, or a cell failed (the rest are skipped)."""
    cells = state["cells"]
    failed = any(o.get("output_type") == "error" for c in cells for o in c["outputs"])
    return (
        state["kernel"] == "idle"
        and all(c["state"] != "running" for c in cells)
        and (failed or all(c["count"] is not None for c in cells))
    )


def _wait_until_finished(page, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    settled = 0
    while time.monotonic() < deadline:
        state = page.evaluate(CELLS)
        settled = settled + 1 if _finished(state) else 0
        if settled >= 3:  # three polls in a row, so a kernel between two cells is not taken for the end
            return state
        page.wait_for_timeout(500)
    pending = [c["index"] for c in state["cells"] if c["count"] is None]
    raise AssertionError(
        f"Run All Cells not finished after {timeout} s: kernel {state['kernel']}, cells {pending}"
    )


def _problems(state: dict) -> list[str]:
    found = []
    for cell in state["cells"]:
        where = f"cell {cell['index'] + 1}"  # as JupyterLab's status bar counts, markdown cells included
        if cell["count"] is None:
            found.append(f"{where}: not executed")
        for output in cell["outputs"]:
            if output.get("output_type") == "error":
                found.append(f"{where}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text")
                found.append(f"{where} wrote to stderr: {''.join(text) if isinstance(text, list) else text}")
    return found


def _dom_problems(page, panel: str) -> list[str]:
    """The same, as the page shows it: error outputs, tracebacks on stderr, cells whose prompt has no number.

    JupyterLab 4 shows an error output as stderr text (``data-mime-type`` ``application/vnd.jupyter.stderr``);
    the ``application/vnd.jupyter.error`` selector is for renderers that keep the error's own type.
    """
    notebook = page.locator(f"#{panel}")  # this notebook's tab only
    errors = notebook.locator(
        ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
    ).all_inner_texts()
    stderr = notebook.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()
    prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    # figures and markdown images that did not load or decode
    broken = notebook.locator("img").evaluate_all(
        "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 100))"
    )
    return (
        [f"page shows an error: {t[:500]}" for t in errors]
        + [f"page shows a traceback on stderr: {t[:500]}" for t in stderr if "Traceback" in t]
        + [f"page shows a broken image: {src}" for src in broken]
        + [
            f"page shows code cell {i} with prompt {p!r}"
            for i, p in enumerate(prompts, 1)
            if not re.fullmatch(r"\[\d+\]:", p)
        ]
    )


def _screenshot(page, path: Path) -> None:
    """The whole notebook, top to bottom: the window made as tall as the notebook's content (at most 16000 px)."""
    extra = page.evaluate(
        """() => {
          const outer = window.jupyterapp?.shell?.currentWidget?.node?.querySelector('.jp-WindowedPanel-outer');
          return outer ? outer.scrollHeight - outer.clientHeight : 0;
        }"""
    )
    if extra > 0:
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": min(size["height"] + extra, 16000)})
        page.wait_for_timeout(300)  # layout at the new size
        page.evaluate(
            "() => { window.jupyterapp.shell.currentWidget.node.querySelector('.jp-WindowedPanel-outer')"
            ".scrollTop = 0; }"
        )
        page.wait_for_timeout(300)  # and paint
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def run_in_browser(browser, lab: Lab, relative: str, screenshot: Path) -> tuple[dict, list[str], Console]:
    """Open ``relative`` (under the lab's root) in JupyterLab, run all cells; the model's state, problems, console.

    The state has the seconds each step took under ``"seconds"``. Anything that goes wrong on the way (a time-out,
    JupyterLab not loading) is raised as an AssertionError with the console and JupyterLab's log, after a
    screenshot.
    """
    console = Console()
    seconds = {}
    start = time.monotonic()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        console.attach(page)
        try:
            # a workspace of its own, reset: only this notebook open, whatever an earlier test left open
            workspace = re.sub(r"[^A-Za-z0-9-]", "-", relative)
            page.goto(
                f"{lab.url}lab/workspaces/{workspace}/tree/{relative}?reset&token={lab.token}",
                timeout=KERNEL_READY_TIMEOUT * 1000,
            )
            page.wait_for_function(
                KERNEL_IDLE, arg=relative, timeout=KERNEL_READY_TIMEOUT * 1000, polling=250
            )
            seconds["open"] = time.monotonic() - start
            before = page.evaluate(CELLS)
            assert before["cells"] and all(c["count"] is None for c in before["cells"]), (
                "the copy has outputs"
            )
            _run_all_cells(page)
            state = _wait_until_finished(page, RUN_TIMEOUT)
            seconds["run"] = time.monotonic() - start - seconds["open"]
            problems = _problems(state) + _dom_problems(page, state["panel"])
        except Exception as exc:
            with contextlib.suppress(Exception):
                _screenshot(page, screenshot)
            raise AssertionError(
                f"{relative} in JupyterLab: {type(exc).__name__}: {exc}\n(screenshot {screenshot})\n\n"
                + "console:\n"
                + "\n".join(console.messages)
                + f"\n\nJupyterLab's log:\n{lab.log_tail()}"
            ) from exc
        _screenshot(page, screenshot)
        page.close()  # the page's last console messages arrive before the context goes
    finally:
        context.close()
    seconds["total"] = time.monotonic() - start
    state["seconds"] = seconds
    print(f"{relative}: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    return state, problems, console


# --- the tests -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab_without_errors(browser, lab, name):
    screenshot = BUILD / f"browser-{Path(name).stem}.png"
    state, problems, console = run_in_browser(browser, lab, f"notebooks/{name}", screenshot)
    assert not problems, f"{name} in JupyterLab (screenshot {screenshot}):\n" + "\n".join(problems)
    assert len(state["cells"]) >= 1
    unexpected = console.unexpected()
    assert not unexpected, (
        f"{name}: browser console errors (not in BENIGN_CONSOLE):\n"
        + "\n".join(unexpected)
        + "\n\nall console messages:\n"
        + "\n".join(console.messages)
        + f"\n\nJupyterLab's log:\n{lab.log_tail()}"
    )


def test_the_browser_test_sees_errors_tracebacks_and_console_errors(browser, lab):
    """The checks above, on a notebook that fails on purpose: they must catch each kind of problem."""
    import nbformat

    cells = [
        "import sys\nprint('Traceback (most recent call last): on purpose', file=sys.stderr)",
        "from IPython.display import Javascript\nJavascript(\"console.error('flowkit: a console error on purpose')\")",
        "from IPython.display import HTML\nHTML('<img src=\"no-such-figure.png\">')",
        "1 / 0",
        "'never runs'",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(nb, lab.root / "broken.ipynb")
    state, problems, console = run_in_browser(browser, lab, "broken.ipynb", BUILD / "browser-selftest.png")
    text = "\n".join(problems)
    assert "cell 1 wrote to stderr: Traceback" in text, text
    assert "page shows a broken image: " in text and "no-such-figure.png" in text, text
    assert "cell 4: ZeroDivisionError: division by zero" in text, text
    assert "cell 5: not executed" in text, text
    # the traceback printed, and the ZeroDivisionError (JupyterLab 4 shows errors as stderr)
    assert text.count("page shows a traceback on stderr:") == 2, text
    assert "page shows code cell 5 with prompt '[ ]:'" in text, text
    errors = "\n".join(console.unexpected())
    assert "a console error on purpose" in errors, console.messages
    assert re.search(r"HTTP 404 for GET \S*no-such-figure\.png", errors), console.messages
    assert [c["count"] is None for c in state["cells"]] == [False, False, False, False, True]
