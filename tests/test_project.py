"""Project-level promises: the conda environment matches pyproject, the CLI lists its commands."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"python-duckdb": "duckdb", "python-isal": "isal"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pyproject = {_name(r) for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {
        CONDA_NAMES.get(_name(d), _name(d))
        for d in env["dependencies"]
        if isinstance(d, str) and _name(d) not in ("python", "pip")
    }
    assert conda == pyproject
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_cli_help_lists_commands():
    out = subprocess.run(
        [sys.executable, "-m", "flowkit.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("convert", "summary", "demo"):
        assert command in out.stdout


def test_cli_bad_usage_exits_2():
    out = subprocess.run(
        [sys.executable, "-m", "flowkit.cli", "no-such-command"], capture_output=True, text=True
    )
    assert out.returncode == 2 and "invalid choice" in out.stderr
