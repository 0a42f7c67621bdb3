"""Project-level promises: the lock, pyproject and environment.yml agree; the CLI lists its commands."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "requirements"))
import environment  # noqa: E402  (requirements/environment.py: the lock -> environment.yml pins)


def test_environment_yml_pins_the_locked_runtime_dependencies():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [
        d for d in env["dependencies"] if isinstance(d, str) and d != "pip" and not d.startswith("python>")
    ]
    assert sorted(conda) == sorted(environment.runtime_pins()), "run `make lock` to rewrite environment.yml"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_lock_satisfies_every_range_of_pyproject():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = environment.locked_versions()
    for line in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        requirement = Requirement(line)
        name = requirement.name.lower()
        assert name in locked, f"{name} is in pyproject.toml but not in the lock: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"the lock has {name}=={locked[name]}, outside pyproject's {requirement}: run `make lock`"
        )


def test_installed_versions_are_the_locked_ones():
    from importlib.metadata import version

    locked = environment.locked_versions()
    for name in ("pandas", "pyarrow", "duckdb", "sqlglot", "botocore", "boto3", "moto", "awswrangler"):
        assert version(name) == locked[name], (
            f"{name} {version(name)} is installed, the lock says {locked[name]}"
        )


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
