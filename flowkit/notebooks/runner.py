"""Run the guided notebooks headless: executed copies and HTML in ``build/``, problems and findings collected.

Each notebook runs top to bottom on a fresh Jupyter kernel (nbclient), with its working directory set to the
notebook's folder, exactly as a person opening it in JupyterLab would run it. Parameters (papermill style) are
injected after the cell tagged ``parameters``. A run records:

- the first error, if a cell raised;
- every warning: any text a cell wrote to stderr, and any ``...Warning:`` line in its output;
- the findings: the output of every cell tagged ``finding`` (the handful of results each notebook is about),
  which ``flowkit demo`` prints as its summary.

The kernel is the ``python3`` kernelspec (``make`` installs one into the virtual environment); it is started
with this checkout first on ``PYTHONPATH`` so the notebooks import the same ``flowkit`` as the caller.

Examples:
    >>> [p.name for p in list_notebooks()][:1]  # doctest: +SKIP
    ['00-start-here.ipynb']
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from flowkit.errors import NotebookError

_logger = logging.getLogger(__name__)

KERNEL_NAME = "python3"
CELL_TIMEOUT = 300  # seconds, per cell
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_NOTEBOOK_NAME = re.compile(r"^\d\d-[\w-]+\.ipynb$")
_WARNING_TEXT = re.compile(r"\b\w*Warning: ")
_NOTEBOOK_LINK = re.compile(r'href="(\d\d-[\w-]+)\.ipynb')
_MAX_FINDING_LINES = 12


@dataclass
class NotebookRun:
    """The outcome of running one notebook.

    Attributes:
        name: the notebook's file name.
        source: the notebook that was run.
        executed: the executed copy (with outputs), if one was written.
        html: the HTML rendering of the executed copy, if one was written.
        seconds: wall-clock time of the run (kernel start included).
        error: the first error (``"cell N: Name: message"``), or ``None``.
        warnings: warning texts found in the outputs (stderr streams, ``...Warning:`` lines).
        findings: the text output of every cell tagged ``finding``.
    """

    name: str
    source: Path
    executed: Path | None = None
    html: Path | None = None
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the notebook ran with no error and no warning."""
        return self.error is None and not self.warnings


def notebook_dir() -> Path:
    """The guided notebooks' folder: ``notebooks/`` in this checkout.

    Raises:
        NotebookError: when there is no such folder (an installed package without the checkout).
    """
    for candidate in (Path.cwd() / "notebooks", _PACKAGE_ROOT / "notebooks"):
        if candidate.is_dir() and any(candidate.glob("[0-9][0-9]-*.ipynb")):
            return candidate
    raise NotebookError("no notebooks/ folder found; run from a flowkit checkout or pass the notebook paths.")


def list_notebooks(directory: str | os.PathLike | None = None) -> list[Path]:
    """The numbered notebooks (``NN-topic.ipynb``) in ``directory``, in order.

    Args:
        directory: where to look (default: :func:`notebook_dir`).

    Returns:
        Paths sorted by name; the solutions folder and checkpoints are not included.
    """
    folder = Path(directory) if directory is not None else notebook_dir()
    return sorted(p for p in folder.iterdir() if _NOTEBOOK_NAME.match(p.name))


def load_notebook(path: str | os.PathLike) -> nbformat.NotebookNode:
    """Read a notebook file (nbformat 4), raising :class:`NotebookError` naming the file if it is not one."""
    try:
        return nbformat.read(os.fspath(path), as_version=4)
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        raise NotebookError(f"{path}: not a readable Jupyter notebook ({exc}).") from exc


def check_kernel(kernel_name: str = KERNEL_NAME) -> str:
    """Check that the Jupyter kernel exists; return the Python executable it will run.

    Raises:
        NotebookError: when the kernelspec is missing, saying how to install it.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel as exc:
        raise NotebookError(
            f"no Jupyter kernel named {kernel_name!r}; run `make` (or "
            f"`python -m ipykernel install --sys-prefix --name {kernel_name}`) in the project's environment."
        ) from exc
    executable = spec.argv[0]
    # jupyter_client runs a bare 'python'/'python3' as the caller's own interpreter
    return sys.executable if executable in ("python", "python3") else executable


def kernel_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment the notebook kernels start with: this one, this checkout first on ``PYTHONPATH``."""
    env = dict(os.environ)
    paths = [str(_PACKAGE_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    # figures inline (an Agg backend set for tests would hide them from the executed copies)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env.update(extra or {})
    return env


def parameterize(nb: nbformat.NotebookNode, parameters: Mapping[str, Any] | None) -> nbformat.NotebookNode:
    """Return ``nb`` with papermill's ``injected-parameters`` cell after the ``parameters`` cell.

    Raises:
        NotebookError: when the notebook has no cell tagged ``parameters`` to override.
    """
    if not parameters:
        return nb
    from papermill.parameterize import parameterize_notebook

    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])  # papermill expects these keys
    nb.metadata.setdefault("papermill", {})
    if not any("parameters" in cell.metadata.tags for cell in nb.cells):
        raise NotebookError("the notebook has no cell tagged `parameters`; its values cannot be overridden.")
    return parameterize_notebook(nb, dict(parameters), kernel_name=KERNEL_NAME, language="python")


def problems(nb: nbformat.NotebookNode) -> tuple[str | None, list[str]]:
    """The first error and all warnings in an executed notebook's outputs.

    An error in a cell tagged ``raises-exception`` is a deliberate demonstration and is not reported.

    Returns:
        ``(error, warnings)``: error as ``"cell N: Name: message"`` or ``None``; warnings as texts, each
        prefixed with its cell number (code cells counted from 1).
    """
    error: str | None = None
    warnings: list[str] = []
    for number, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        # a cell tagged `raises-exception` shows an error on purpose (nbclient runs on past it)
        expected = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error" and expected:
                continue
            if kind == "error" and error is None:
                error = f"cell {number}: {output.get('ename')}: {output.get('evalue')}"
            elif kind == "stream" and output.get("name") == "stderr":
                warnings.append(f"cell {number}: {output.get('text', '').strip()}")
            elif kind == "stream" or kind in ("execute_result", "display_data"):
                text = output.get("text") or output.get("data", {}).get("text/plain", "")
                warnings += [f"cell {number}: {line.strip()}" for line in _warning_lines(text)]
    return error, warnings


def findings(nb: nbformat.NotebookNode) -> list[str]:
    """The text output of each code cell tagged ``finding`` (plain text, at most a dozen lines each)."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "finding" not in cell.get("metadata", {}).get("tags", []):
            continue
        texts = [
            output.get("text") or output.get("data", {}).get("text/plain", "")
            for output in cell.get("outputs", [])
            if output.get("output_type") in ("stream", "execute_result", "display_data")
        ]
        # strip only blank lines at the ends: a table's first line is indented to line up its columns
        lines = "\n".join(t.strip("\n") for t in texts if t.strip()).splitlines()
        if lines:
            if len(lines) > _MAX_FINDING_LINES:
                lines = [*lines[:_MAX_FINDING_LINES], "..."]
            found.append("\n".join(lines))
    return found


def execute(
    nb: nbformat.NotebookNode,
    cwd: str | os.PathLike,
    *,
    kernel_name: str = KERNEL_NAME,
    timeout: int = CELL_TIMEOUT,
) -> nbformat.NotebookNode:
    """Execute a notebook in place on a fresh kernel; a cell error stops the run but is kept in the outputs.

    Args:
        nb: the notebook (modified: outputs are filled in).
        cwd: the kernel's working directory (the notebook's folder, for its relative data paths).
        kernel_name: the kernelspec to start.
        timeout: seconds allowed per cell.

    Returns:
        The same notebook, executed as far as it got.
    """
    [(_, failure)] = asyncio.run(
        _execute_all([(nb, Path(cwd))], kernel_name=kernel_name, timeout=timeout, jobs=1)
    )
    if failure:
        raise NotebookError(f"notebook stopped: {failure}")
    return nb


async def _execute_all(
    items: Sequence[tuple[nbformat.NotebookNode, Path]], *, kernel_name: str, timeout: int, jobs: int
) -> list[tuple[float, str | None]]:
    """Execute notebooks (``jobs`` at a time, each on its own kernel).

    Returns:
        For each notebook, the seconds it took and the reason it was stopped (time-out, dead kernel) or ``None``.
    """
    import zmq
    from jupyter_client import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    env = kernel_env()
    # CurveZMQ keys for the kernel's sockets when the kernelspec supports them (else ipykernel warns on stderr)
    supported = zmq.has("curve") and "transport_encryption" in KernelManager.class_trait_names()
    encryption = {"transport_encryption": "auto"} if supported else {}
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(nb: nbformat.NotebookNode, cwd: Path) -> tuple[float, str | None]:
        async with gate:
            started = time.perf_counter()
            client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=False)
            failure = None
            try:
                await client.async_execute(cwd=str(cwd), env=env, **encryption)
            except CellExecutionError:
                pass  # the error output is kept in its cell; problems() reports it
            except (CellTimeoutError, DeadKernelError) as exc:
                failure = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
            return time.perf_counter() - started, failure

    return list(await asyncio.gather(*(one(nb, cwd) for nb, cwd in items)))


def run_notebooks(
    paths: Iterable[str | os.PathLike] | None = None,
    out_dir: str | os.PathLike | None = "build",
    *,
    parameters: Mapping[str, Any] | None = None,
    html: bool = True,
    jobs: int = 1,
    kernel_name: str = KERNEL_NAME,
    timeout: int = CELL_TIMEOUT,
    overwrite: bool = False,
) -> list[NotebookRun]:
    """Run notebooks headless; write executed copies (and HTML, and a summary) under ``out_dir``.

    The files are written through :class:`flowkit.outputs.OutputFolder`: they appear together when every
    notebook has run, files of the same names that ``demo`` did not write are not replaced (unless
    ``overwrite``), and ``out_dir`` may not be or contain a notebook it runs.

    Args:
        paths: the notebooks to run (default: every numbered notebook, :func:`list_notebooks`).
        out_dir: where to write ``notebooks/<name>.ipynb``, ``html/<name>.html``, ``summary.md`` and
            ``index.html``; ``None`` writes nothing.
        parameters: values injected after each notebook's ``parameters`` cell (e.g. ``{"DATA": "/path"}``).
        html: also render each executed notebook to HTML.
        jobs: how many notebooks to run at once.
        kernel_name: the Jupyter kernel to use.
        timeout: seconds allowed per cell.
        overwrite: replace files of the same names in ``out_dir`` that ``demo`` did not write.

    Returns:
        One :class:`NotebookRun` per notebook, in the order given.

    Raises:
        NotebookError: when a notebook cannot be read or the kernel is not installed.
        OutputError: ``out_dir`` is or contains a notebook, or holds files of the same names that ``demo``
            did not write.
    """
    sources = [Path(p) for p in (paths if paths is not None else list_notebooks())]
    check_kernel(kernel_name)
    books = [parameterize(load_notebook(p), parameters) for p in sources]
    if out_dir is None:
        return _run(sources, books, None, html=html, jobs=jobs, kernel_name=kernel_name, timeout=timeout)
    from flowkit.outputs import OutputFolder

    with OutputFolder(out_dir, "demo", inputs=sources, overwrite=overwrite) as folder:
        names = [f"notebooks/{p.stem}.ipynb" for p in sources] + ["summary.md"]
        if html:
            names += [f"html/{p.stem}.html" for p in sources] + ["index.html"]
        folder.claim(names)  # before the work
        runs = _run(sources, books, folder, html=html, jobs=jobs, kernel_name=kernel_name, timeout=timeout)
        summary = summary_markdown(runs)
        folder.stage("summary.md").write_text(summary, encoding="utf-8")
        if html:
            folder.stage("index.html").write_text(summary_html(summary), encoding="utf-8")
        folder.commit(replace_all=True)
    return runs


def _run(
    sources: list[Path],
    books: list[nbformat.NotebookNode],
    folder: Any,
    *,
    html: bool,
    jobs: int,
    kernel_name: str,
    timeout: int,
) -> list[NotebookRun]:
    items = [(nb, p.resolve().parent) for nb, p in zip(books, sources, strict=True)]
    outcomes = asyncio.run(_execute_all(items, kernel_name=kernel_name, timeout=timeout, jobs=jobs))
    runs = []
    for source, nb, (took, failure) in zip(sources, books, outcomes, strict=True):
        error, warnings = problems(nb)
        error = error or failure
        run = NotebookRun(source.name, source, seconds=took, error=error, warnings=warnings)
        run.findings = findings(nb)
        if folder is not None:  # staged now, in place when every notebook has run
            _write(nb, source.stem, folder, html=html)
            run.executed = folder.path / "notebooks" / f"{source.stem}.ipynb"
            run.html = folder.path / "html" / f"{source.stem}.html" if html else None
        _logger.info("%s: %.1f s, %s", source.name, took, "ok" if run.ok else "problems")
        runs.append(run)
    return runs


def _write(nb: nbformat.NotebookNode, stem: str, folder: Any, *, html: bool) -> None:
    """Stage the executed copy (and its HTML rendering) in the demo's output folder."""
    nbformat.write(nb, folder.stage(f"notebooks/{stem}.ipynb"))
    if not html:
        return
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    # links between notebooks point at their HTML renderings, which sit side by side
    body = _NOTEBOOK_LINK.sub(r'href="\1.html', body)
    folder.stage(f"html/{stem}.html").write_text(body, encoding="utf-8")


def summary_markdown(runs: Sequence[NotebookRun]) -> str:
    """A short Markdown report of a run: one line per notebook (HTML links relative to the output folder), then
    each notebook's problems and findings."""
    lines = ["# flowkit demo", "", "| notebook | status | seconds | HTML |", "|---|---|---|---|"]
    for run in runs:
        status = "ok" if run.ok else ("error" if run.error else f"{len(run.warnings)} warning(s)")
        page = f"[{run.html.name}](html/{run.html.name})" if run.html else ""
        lines.append(f"| {run.name} | {status} | {run.seconds:.1f} | {page} |")
    for run in runs:
        if run.error or run.warnings:
            lines += [
                "",
                f"## {run.name}: problems",
                "",
                *(f"- {t}" for t in [run.error, *run.warnings] if t),
            ]
        if run.findings:
            lines += ["", f"## {run.name}", ""]
            for text in run.findings:
                lines += ["```", text, "```"]
    return "\n".join(lines) + "\n"


def summary_html(markdown: str) -> str:
    """The Markdown summary as a standalone HTML page (``build/index.html``)."""
    from nbconvert.filters.markdown import markdown2html

    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>flowkit demo</title>'
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:0 .6em}"
        "pre{background:#f6f6f6;padding:.5em}</style></head><body>\n"
        f"{markdown2html(markdown)}\n</body></html>\n"
    )


def _warning_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if _WARNING_TEXT.search(line)]
