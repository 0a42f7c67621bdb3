"""The ``flowkit`` command.

Each subcommand lives in its own module in this package and defines ``register(subparsers)``,
which adds its parser and sets ``func`` (called with the parsed arguments, returns an exit
code). Modules are found automatically: to add a command, add a module.

One exit path: :func:`main` turns every failure into one line on stderr, ``flowkit COMMAND: error: ...``
saying what to do, and exit status 2: bad usage, bad input (:class:`~flowkit.errors.FlowkitError`),
files that cannot be read or written, AWS credential and profile errors, input nested too deeply,
running out of memory, text in the wrong encoding, and (as an internal error to report) anything
else. Ctrl-C exits with 130 and says what was kept and what was not (the notes the output folder
adds, :mod:`flowkit.outputs`). ``FLOWKIT_TRACEBACK=1`` also prints the traceback.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import pkgutil
import sys
import traceback
import typing
import warnings

from flowkit import __version__
from flowkit.errors import FlowkitError


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (``flowkit convert: error: ...; see flowkit convert --help``)."""

    def error(self, message: str) -> typing.NoReturn:
        _say(f"{self.prog}: error: {message}; see {self.prog} --help")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand module in this package."""
    parser = _Parser(
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
    _say(f"flowkit {command}: warning: {message}")


def main(argv: list[str] | None = None) -> int:
    """Run the ``flowkit`` command line; returns the exit status (0, 1 for a demo with problems, 2, 130)."""
    command = "flowkit"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = f"flowkit {args.command}" if getattr(args, "command", None) else command
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_warning_line, args.command)
            _python_handles_ctrl_c()
            return int(args.func(args) or 0)
    except SystemExit as exc:  # --help and --version (0), a usage error (2, already said)
        return exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt as exc:
        _say(f"{command}: interrupted; {_notes(exc) or 'nothing was written'}")
        return 130
    except BrokenPipeError:  # e.g. `flowkit sql ... | head`
        _quiet_stdout()
        return 0
    except Exception as exc:
        notes = _notes(exc)
        _say(f"{command}: error: {describe(exc)}" + (f" ({notes})" if notes else ""))
        if os.environ.get("FLOWKIT_TRACEBACK"):
            traceback.print_exc()
        return 2


def _python_handles_ctrl_c() -> None:
    """Let Python, not Arrow, receive Ctrl-C, so that it always ends the command.

    Arrow installs its own SIGINT handler while it reads and hands the signal back afterwards; on a loaded
    machine that hand-back was lost in about one run of ten (``convert`` of 600 small files, interrupted
    at random moments, finished and exited 0). Without Arrow's handler the interrupt is raised as soon as
    the current read returns.
    """
    import pyarrow

    pyarrow.enable_signal_handlers(False)


def describe(exc: BaseException) -> str:
    """What went wrong and what to do, for any exception, as the CLI says it."""
    if isinstance(exc, FlowkitError):
        return str(exc)
    if "botocore" in sys.modules:
        from flowkit import sessions

        if sessions.is_aws_error(exc):
            return f"AWS: {sessions.aws_reason(exc)}. {sessions.CREDENTIALS_HINT}"
    if isinstance(exc, MemoryError):
        return (
            "ran out of memory; give it less at once (fewer files or days, a smaller --records, --dpi or "
            "--top), or convert text to Parquet first (flowkit convert), which queries read in place"
        )
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to process (Python's recursion limit); simplify it"
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"text that is not valid {exc.encoding} ({exc.reason} at byte {exc.start}): give a UTF-8 text "
            "file, or a .log.gz / .parquet flow-log file"
        )
    if isinstance(exc, UnicodeEncodeError):
        return (
            f"the output cannot be written as {exc.encoding} ({exc.reason}): set PYTHONIOENCODING=utf-8 "
            "(or a UTF-8 locale such as LANG=C.UTF-8)"
        )
    if isinstance(
        exc, OSError
    ):  # a path the user gave cannot be read or written (missing, a file, no rights)
        detail = exc.strerror or str(exc)
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{detail}; check the path and its permissions"
    return (
        f"unexpected {type(exc).__name__}: {exc}. This is a flowkit bug: please report it with the command "
        "and the traceback FLOWKIT_TRACEBACK=1 prints"
    )


_MAX_LINE = 2000  # characters of an error line (a message may quote input)


def _say(text: str) -> None:
    """Print one line on stderr (whitespace runs, newlines included, become one space)."""
    line = " ".join(str(text).split())
    if len(line) > _MAX_LINE:
        line = line[: _MAX_LINE - 3] + "..."
    print(line, file=sys.stderr)


def _notes(exc: BaseException) -> str:
    return "; ".join(str(note) for note in getattr(exc, "__notes__", ()))


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so Python's exit flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
