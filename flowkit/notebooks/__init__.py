"""Notebook support: run the guided notebooks headless, and turn a notebook's parameters into an engine.

- :mod:`flowkit.notebooks.runner`: execute notebooks on fresh kernels, write executed copies and HTML,
  collect errors, warnings and findings (``flowkit demo``).
- :mod:`flowkit.notebooks.backend`: ``open_engine(BACKEND, DATA, ...)`` and ``aws_target(BACKEND, ...)``, the one
  call that switches a notebook between the bundled data (or the offline sandbox) and a real account.

Names are imported on first use, so a notebook's ``from flowkit.notebooks import open_engine`` does not load
the runner's Jupyter libraries (nbformat and jsonschema take seconds to import).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "AwsTarget": "backend",
    "aws_target": "backend",
    "check_account": "backend",
    "open_engine": "backend",
    "KERNEL_NAME": "runner",
    "NotebookRun": "runner",
    "check_kernel": "runner",
    "execute": "runner",
    "findings": "runner",
    "kernel_env": "runner",
    "list_notebooks": "runner",
    "load_notebook": "runner",
    "notebook_dir": "runner",
    "parameterize": "runner",
    "problems": "runner",
    "run_notebooks": "runner",
    "summary_html": "runner",
    "summary_markdown": "runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
