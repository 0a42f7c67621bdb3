"""DuckDB's own walls around the local engine's connection: the second line of its sandbox.

The first line is :func:`flowkit.sql.checks.check_tree`, which refuses anything but Athena SQL over
the flow-log table before DuckDB sees a query. Behind it, :func:`lock_down` makes the connection
itself unable to reach past the flow logs, whatever SQL reaches it:

* ``enable_external_access = false``: no file or URL is read or written (``read_text``, ``COPY``,
  ``ATTACH``, ``INSTALL``, ``LOAD``, ``CREATE SECRET`` ... fail with a permission error), except the
  files in ``allowed_paths`` (the Parquet files the ``vpc_flow_logs`` view reads) and spilling to
  the engine's private temporary directory. It cannot be switched back on.
* ``autoinstall_known_extensions`` / ``autoload_known_extensions = false``: nothing is downloaded
  or loaded on demand (DuckDB otherwise tries to fetch ``httpfs`` for a URL, ``inet`` for INET).
* ``python_enable_replacements = false``: a Python variable's name is not a table.
* ``lock_configuration = true``, last: no ``SET``/``RESET``/``PRAGMA`` can change any of it.

Measured on DuckDB 2.0.1 (the experiments behind this order are summarised in
``docs/athena-semantics.md``): ``allowed_paths`` can only be set at run time, before external access
is switched off, and a view over ``read_parquet`` stops working after the switch unless its files
are listed there; registered Arrow tables, macros, Python UDFs and temporary views keep working.

Examples:
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> lock_down(con)
    >>> try:
    ...     con.execute("SET enable_external_access = true")
    ... except duckdb.InvalidInputException as exc:
    ...     print(str(exc).split(" - ")[-1])
    the configuration has been locked
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable
from pathlib import Path

import duckdb

__all__ = ["LOCKED_SETTINGS", "PrivateDirectory", "lock_down"]

#: The settings :func:`lock_down` leaves, in the order it sets them (``allowed_paths`` first).
LOCKED_SETTINGS = {
    "default_null_order": "nulls_last",
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
    "enable_external_access": False,
    "lock_configuration": True,
}


def _literal(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + value.replace("'", "''") + "'"


def lock_down(con: duckdb.DuckDBPyConnection, *, allowed_paths: Iterable[str | Path] = ()) -> None:
    """Lock a DuckDB connection so it reads only ``allowed_paths`` and cannot be reconfigured.

    Call it once, after every view is built and every setting (time zone, memory limit, temporary
    directory, macros) is made: afterwards no setting can change. Frames can still be registered,
    Python UDFs created and temporary views made.

    Args:
        con: the connection (the lock holds for it and its cursors, not other connections).
        allowed_paths: the files the connection's views read (e.g. the Parquet files behind
            ``vpc_flow_logs``), exactly as the views name them; each is also allowed under its
            resolved path. Directories are not accepted: a query could list or write them.

    Raises:
        ValueError: when a path is a directory.
    """
    from flowkit.read.sources import resolve_paths

    items = list(allowed_paths)
    paths: set[str] = set()
    for item, real in zip(items, resolve_paths(items), strict=True):
        if os.path.isdir(item):
            raise ValueError(f"{item}: allowed_paths takes the files a view reads, not a directory.")
        paths |= {str(item), str(real)}
    if paths:
        con.execute(
            "SET allowed_paths = ?", [sorted(paths)]
        )  # a parameter: DuckDB parses a long literal slowly
    for name, value in LOCKED_SETTINGS.items():
        con.execute(f"SET {name} = {_literal(value)}")


class PrivateDirectory:
    """A temporary directory only this user can enter (mode 0700), removed on :meth:`cleanup`.

    For DuckDB's ``temp_directory`` (spilling): a fixed shared path such as ``/tmp/flowkit-duckdb``
    would let other users read spilled flow logs, or plant files there first.

    Attributes:
        path: the directory.
    """

    def __init__(self, prefix: str = "flowkit-duckdb-") -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)

    def cleanup(self) -> None:
        """Remove the directory and what DuckDB spilled into it."""
        self._finalizer()
