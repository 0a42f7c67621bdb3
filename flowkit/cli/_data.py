"""The data arguments the query and analysis commands share: where the flow logs are and how to read them.

``--data`` (repeatable; default: the bundled sample), ``--log-format``, ``--keep-unknown-fields`` and
``--skip-bad`` mean the same in
``summary``, ``sql``, ``insights``, ``unexpected`` and ``report``; each command adds them with
:func:`add_data_arguments` and reads with :func:`read_data` or :func:`open_engine`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from flowkit.errors import FlowkitError

if TYPE_CHECKING:
    import pandas as pd

    from flowkit.engines import Engine


def log_format_help(what: str, *, max_version: int | None = None) -> str:
    """The help of a ``--log-format`` option: what it is for, then the spellings every one takes
    (those of :func:`flowkit.schema.resolve_log_format`)."""
    from flowkit.schema import LATEST_VERSION, NAMED_SETS

    sets = ", ".join(name for name in NAMED_SETS if name != "default")
    return (
        f"{what}: default, v2 ... v{max_version or LATEST_VERSION} (all fields up to that version), a named "
        f"set ({sets}), a '${{field}} ...' string or field names"
    )


def add_keep_unknown_fields(parser: argparse.ArgumentParser) -> None:
    """Add ``--keep-unknown-fields`` (the reader's ``unknown_fields="keep"``)."""
    parser.add_argument(
        "--keep-unknown-fields",
        action="store_true",
        help="read header fields flowkit does not know as text columns instead of stopping",
    )


def unknown_fields(args: argparse.Namespace) -> str:
    """The reader's ``unknown_fields`` for ``--keep-unknown-fields``."""
    return "keep" if getattr(args, "keep_unknown_fields", False) else "raise"


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--data`` (repeatable), ``--log-format``, ``--keep-unknown-fields`` and ``--skip-bad``."""
    parser.add_argument(
        "--data",
        "-d",
        metavar="PATH",
        action="append",
        help="flow logs: a file (.log, .log.gz, .parquet, CloudWatch .jsonl), a directory (an S3 layout) "
        "or an s3:// prefix; repeatable; default: the bundled sample",
    )
    parser.add_argument(
        "--log-format", help=log_format_help("format of headerless lines and CloudWatch events")
    )
    add_keep_unknown_fields(parser)
    parser.add_argument(
        "--skip-bad", action="store_true", help="skip bad lines and report them instead of stopping"
    )


def default_data() -> str:
    """The bundled sample (data/sample), the default ``--data``: the one ``connect()`` uses."""
    from flowkit.engines import default_data as bundled_sample

    path = bundled_sample()
    if path is None:
        raise FlowkitError("no --data given and no bundled sample (data/sample) found; pass --data PATH.")
    return str(path)


def data_sources(args: argparse.Namespace) -> list[str]:
    """The ``--data`` values, or the bundled sample when none is given; an empty value is an error."""
    if not args.data:
        return [default_data()]
    for value in args.data:
        if not value.strip():
            raise FlowkitError("--data is empty: give a file, a directory or an s3:// prefix.")
    return list(args.data)


def _errors(args: argparse.Namespace) -> str:
    return "skip" if getattr(args, "skip_bad", False) else "raise"


def read_data(args: argparse.Namespace) -> pd.DataFrame:
    """Read the ``--data`` flow logs into a frame (``--skip-bad`` counts bad lines instead of stopping)."""
    from flowkit.read import read_flow_logs

    sources = data_sources(args)
    start, end = _bounds(args)
    if (start is not None or end is not None) and not any(str(s).startswith("s3://") for s in sources):
        # only the files of --start..--end (by S3 folder date and file-name time); rows are cut after
        from flowkit.engines.text_files import prune_paths
        from flowkit.read import list_files

        sources = prune_paths([str(f) for f in list_files(sources)], start, end)
        if not sources:
            return read_flow_logs([], log_format=args.log_format)
    return read_flow_logs(
        sources if len(sources) > 1 else sources[0],
        log_format=args.log_format,
        errors=_errors(args),
        unknown_fields=unknown_fields(args),
    )


def open_engine(args: argparse.Namespace, *, end_inclusive: bool = False) -> Engine:
    """The local engine over the ``--data`` flow logs of ``--start``..``--end`` (``--skip-bad`` counts bad
    lines instead of stopping)."""
    from flowkit.engines import connect

    sources = data_sources(args)
    start, end = _bounds(args)
    if end is not None and end_inclusive:  # Logs Insights' end is inclusive
        end += 1
    return connect(
        sources if len(sources) > 1 else sources[0],
        log_format=args.log_format,
        unknown_fields=unknown_fields(args),
        errors=_errors(args),  # type: ignore[arg-type]
        start=start,  # only the files of --start..--end are read and checked
        end=end,
    )


def say_scanned(args: argparse.Namespace, frame: pd.DataFrame) -> None:
    """After a local result: one line on stderr with the files the query may have read once its time range
    is applied (a ``WHERE`` on ``day`` or ``date`` lets DuckDB open fewer), as Athena's line says what it
    scanned; not with ``--quiet``."""
    scan = frame.attrs.get("scan")
    if getattr(args, "quiet", False) or not scan:
        return
    print(f"read at most {scan['files']:,} file(s), {scan['bytes'] / 1e6:,.1f} MB on disk", file=sys.stderr)


def _bounds(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """``--start``/``--end`` as whole Unix seconds, widened to whole seconds (the exact bounds are applied to
    the rows afterwards); None where not given, or where the command has neither."""
    import math

    from flowkit.cli._aws import time_range

    if not hasattr(args, "start"):
        return None, None
    start, end = time_range(args, aws=False)
    return (
        None if start is None else math.floor(start.timestamp()),
        None if end is None else math.ceil(end.timestamp()),
    )


def say_skipped(args: argparse.Namespace, engine: Engine) -> None:
    """After a local result read with ``--skip-bad``: one line on stderr with what was skipped, by reason."""
    report = getattr(engine, "report", None)
    if report is not None and (report.rejected_total or report.skipped_files):
        print(f"read {', '.join(map(str, args.data or ['the bundled sample']))}: {report}", file=sys.stderr)
