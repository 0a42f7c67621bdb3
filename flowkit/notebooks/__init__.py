"""Notebook support: run the guided notebooks headless, and turn a notebook's parameters into an engine.

- :mod:`flowkit.notebooks.runner`: execute notebooks on fresh kernels, write executed copies and HTML,
  collect errors, warnings and findings (``flowkit demo``).
- :mod:`flowkit.notebooks.backend`: ``open_engine(BACKEND, DATA, ...)`` and ``aws_target(BACKEND, ...)``, the one
  call that switches a notebook between the bundled data (or the offline sandbox) and a real account, and
  checks the parameters the notebook needs there; ``read_records`` (a period's records through the engine),
  ``query_cost`` and ``setup_display`` (tables shown whole).
- :mod:`flowkit.notebooks.periods`: ``open_periods``, the baseline and later periods of notebooks 06 and 07,
  simulated (with drift and ground truth), from files, or from Athena.

Names are imported on first use, so a notebook's ``from flowkit.notebooks import open_engine`` does not load
the runner's Jupyter libraries (nbformat and jsonschema take seconds to import).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "AwsTarget": "backend",
    "MAX_RECORDS": "backend",
    "aws_target": "backend",
    "check_account": "backend",
    "check_period": "backend",
    "delivered_files": "backend",
    "file_head": "backend",
    "open_engine": "backend",
    "query_cost": "backend",
    "read_records": "backend",
    "setup_display": "backend",
    "Periods": "periods",
    "open_periods": "periods",
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
