"""The ``flowkit`` command.

Each subcommand lives in its own module in this package and defines ``register(subparsers)``,
which adds its parser and sets ``func`` (called with the parsed arguments, returns an exit
code). Modules are found automatically: to add a command, add a module.

Exit status: 0 on success, 2 on bad usage or bad input (one line on stderr saying what to do).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import pkgutil
import sys
import warnings

from flowkit import __version__
from flowkit.errors import FlowkitError


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand module in this package."""
    parser = argparse.ArgumentParser(
        prog="flowkit",
        description="Analyse Amazon VPC Flow Logs offline (DuckDB) or on AWS (Athena, Logs Insights).",
    )
    parser.add_argument("--version", action="version", version=f"flowkit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(subparsers)
    return parser


def _warning_line(command: str, message: Warning | str, *_: object, **__: object) -> None:
    """Print a warning the library raised as one line (not Python's file:line and source form)."""
    print(f"flowkit {command}: warning: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``flowkit`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_warning_line, args.command)
            return int(args.func(args) or 0)
    except FlowkitError as exc:
        message = " ".join(str(exc).split())
        print(f"flowkit {args.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `flowkit sql ... | head`
        return 0
    except OSError as exc:  # a path the user gave cannot be read or written (missing, a file, no rights)
        detail = exc.strerror or str(exc)
        where = f"{exc.filename}: " if exc.filename else ""
        message = " ".join(f"{where}{detail}".split())
        print(
            f"flowkit {args.command}: error: {message}; check the path and its permissions.", file=sys.stderr
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
