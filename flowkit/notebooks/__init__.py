"""Notebook support: run the guided notebooks headless, and turn a notebook's parameters into an engine.

- :mod:`flowkit.notebooks.runner`: execute notebooks on fresh kernels, write executed copies and HTML,
  collect errors, warnings and findings (``flowkit demo``).
- :mod:`flowkit.notebooks.backend`: ``open_engine(BACKEND, DATA, ...)`` and ``aws_target(BACKEND, ...)``, the one
  call that switches a notebook between the bundled data (or the offline sandbox) and a real account.
"""

from __future__ import annotations

from flowkit.notebooks.backend import AwsTarget, aws_target, open_engine
from flowkit.notebooks.runner import (
    KERNEL_NAME,
    NotebookRun,
    check_kernel,
    execute,
    findings,
    kernel_env,
    list_notebooks,
    load_notebook,
    notebook_dir,
    parameterize,
    problems,
    run_notebooks,
    summary_markdown,
)

__all__ = [
    "KERNEL_NAME",
    "AwsTarget",
    "NotebookRun",
    "aws_target",
    "check_kernel",
    "execute",
    "findings",
    "kernel_env",
    "list_notebooks",
    "load_notebook",
    "notebook_dir",
    "open_engine",
    "parameterize",
    "problems",
    "run_notebooks",
    "summary_markdown",
]
