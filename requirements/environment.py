"""Write the lock's versions of the runtime dependencies into environment.yml (run by `make lock`).

conda installs the same versions as a fresh clone's venv: each runtime dependency of pyproject.toml,
under its conda-forge name, pinned with ``==`` to the version in requirements/lock.txt.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pyproject name -> conda-forge name, where the two differ
CONDA_NAMES = {"duckdb": "python-duckdb", "isal": "python-isal"}


def requirement_name(requirement: str) -> str:
    """The distribution name of a requirement string, lower-case (``"moto[s3]>=5"`` -> ``"moto"``)."""
    return re.split(r"[<>=!\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def locked_versions(lock: Path = ROOT / "requirements" / "lock.txt") -> dict[str, str]:
    """Every ``name==version`` line of the lock (the first one where markers fork a package)."""
    versions: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", line)
        if match:
            versions.setdefault(match[1].lower(), match[2])
    return versions


def runtime_pins() -> list[str]:
    """``conda-name==version`` for every runtime dependency, in pyproject's order."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    versions = locked_versions()
    names = [requirement_name(r) for r in project["dependencies"]]
    return [f"{CONDA_NAMES.get(n, n)}=={versions[n]}" for n in names]


def main() -> None:
    path = ROOT / "environment.yml"
    text = path.read_text()
    head, _, _ = text.partition("dependencies:\n")
    pins = "".join(f"  - {pin}\n" for pin in runtime_pins())
    path.write_text(f"{head}dependencies:\n  - python>=3.11\n  - pip\n{pins}  - pip:\n      - -e .\n")


if __name__ == "__main__":
    main()
