"""The package's shape: imports flow one way, lazy exports resolve, ``import flowkit`` stays offline and light."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import flowkit

PACKAGE = Path(flowkit.__file__).resolve().parent

#: The floors, bottom first (docs/architecture.md, DESIGN.md "Imports flow one way"). A room may
#: import from its own floor and the floors below, never from above.
FLOORS = [
    {"errors", "frames", "timeutil", "sessions", "data", "outputs", "limits"},
    {"schema", "layout"},
    {"read", "simulate"},
    {"sql"},
    {"queries", "ddl"},
    {"aws"},
    {"engines"},
    {"enrich", "summary"},
    {"baseline"},
    {"rules"},
    {"plots"},
    {"notebooks", "cli"},
    {"exercises"},
]
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}

#: Private names still crossing a room boundary, to be given public names (then removed from here).
KNOWN_PRIVATE: set[tuple[str, str]] = set()


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports() -> list[tuple[str, str, str]]:
    """(file, importing room, imported module) for every flowkit import, inside functions too."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        room = _room(".".join(rel.with_suffix("").parts))
        if room in ("__init__", "__main__", ""):
            continue  # flowkit/__init__.py: the facade re-exports every room
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "flowkit":
                if node.module == "flowkit":
                    found += [(str(rel), room, f"flowkit.{a.name}") for a in node.names]
                else:
                    found.append((str(rel), room, node.module))
            elif isinstance(node, ast.Import):
                found += [(str(rel), room, a.name) for a in node.names if a.name.split(".")[0] == "flowkit"]
    return found


def test_imports_flow_one_way():
    upward = []
    for where, room, module in _imports():
        target = _room(module)
        if target.startswith("__") or target == room:
            continue
        assert room in FLOOR and target in FLOOR, (
            f"{where}: room {room!r} or {target!r} is on no floor: add it to FLOORS and docs/architecture.md"
        )
        if FLOOR[target] > FLOOR[room]:
            upward.append(f"{where} ({room}) imports {module} ({target}, a floor above)")
    assert not upward, "\n".join(upward)


def test_the_architecture_map_names_every_room_on_its_floor():
    """docs/architecture.md is the map a newcomer reads: every room of the package, on the floor the
    test enforces, and no room that no longer exists."""
    rooms = {
        path.stem if path.is_file() else path.name
        for path in PACKAGE.iterdir()
        if not path.name.startswith(("_", ".")) and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert rooms == set(FLOOR), f"rooms and FLOORS differ: {rooms ^ set(FLOOR)}"
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    mapped = {
        room: int(floor) for floor, room in re.findall(r"^\| (\d+) \| `([a-z]+)` \|", text, re.MULTILINE)
    }
    expected = {room: level + 1 for room, level in FLOOR.items()}  # the map counts floors from 1
    assert mapped == expected, f"docs/architecture.md's floor table and FLOORS differ: {mapped} != {expected}"


def test_what_crosses_a_room_boundary_is_public():
    private = []
    for where, room, module in _imports():
        target = _room(module)
        if target == room or target.startswith("__"):
            continue
        if (
            any(part.startswith("_") for part in module.split(".")[1:])
            and (room, module) not in KNOWN_PRIVATE
        ):
            private.append(f"{where} imports the private {module}")
    assert not private, "\n".join(private)


@pytest.mark.parametrize("package", ["flowkit", "flowkit.sql"])
def test_lazy_exports_resolve_and_type_checkers_see_them(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    )
    seen = {alias.asname or alias.name for node in block.body for alias in node.names}
    lazy = set(module._EXPORTS) | set(getattr(module, "_SUBMODULES", ()))
    assert seen == lazy, f"the TYPE_CHECKING block of {package} and its lazy names differ: {seen ^ lazy}"


def test_import_flowkit_and_the_local_path_load_no_aws_library():
    code = (
        "import sys, flowkit, flowkit.sql, flowkit.queries, flowkit.read, flowkit.sessions\n"
        "engine = flowkit.connect()\n"
        "engine.sql('SELECT count(*) FROM vpc_flow_logs')\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'awswrangler') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_from_flowkit_sql_import_validate_loads_neither_sqlglot_nor_duckdb():
    code = (
        "import sys\nfrom flowkit.sql import validate\nassert validate('port', '443') == 443\n"
        "print(sorted(m for m in ('sqlglot', 'duckdb') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
