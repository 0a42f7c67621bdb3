"""One file, complete or absent: temporary names, atomic renames, and outputs kept apart from inputs."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from flowkit.errors import OutputError

MANIFEST = ".flowkit-manifest.json"
LOCK = ".flowkit-lock"
TEMP_SUFFIX = ".flowkit-tmp"
STAGING_PREFIX = ".flowkit-staging-"
BOOKKEEPING_PREFIX = ".flowkit-"


def is_bookkeeping(name: str) -> bool:
    """Whether a file or folder name is flowkit's bookkeeping (manifest, lock, staging, temporary file).

    Examples:
        >>> is_bookkeeping(".flowkit-manifest.json"), is_bookkeeping(".a.png.3f9c.flowkit-tmp")
        (True, True)
        >>> is_bookkeeping("part-0.parquet")
        False
    """
    return name.startswith(BOOKKEEPING_PREFIX) or name.endswith(TEMP_SUFFIX)


def token() -> str:
    """A short random name part (8 hex digits) for staging folders and temporary files."""
    return secrets.token_hex(4)


def fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed to ``path`` when the block ends without error.

    On an error (or Ctrl-C) the temporary file is removed and ``path`` is left as it was.

    Args:
        path: the final file name.
        durable: flush the file to disk before the rename (so a power cut cannot leave it empty).

    Examples:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text("complete")
        >>> target.read_text()
        'complete'
    """
    final = Path(path)
    temporary = final.with_name(f".{final.name}.{token()}{TEMP_SUFFIX}")
    try:
        yield temporary
        if durable:
            fsync(temporary)
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (:func:`atomic_path`)."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_path`)."""
    write_bytes(path, text.encode("utf-8"))


def check_separate(
    out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None], *, what: str = "output"
) -> None:
    """Refuse an output that is, or contains, one of the inputs (``s3://`` inputs are never local).

    An output *inside* an input folder is allowed (the command leaves the output out of what it reads).

    Raises:
        OutputError: naming the output and the input.

    Examples:
        >>> check_separate("out", ["data/in.log"])
        >>> check_separate("data", ["data/in.log"])
        Traceback (most recent call last):
        flowkit.errors.OutputError: the output data contains the input data/in.log: ...
    """
    target = Path(out).resolve()
    for item in inputs:
        if item is None or str(item).startswith("s3://") or not str(item).strip():
            continue
        source = Path(item).resolve()
        if source == target:
            raise OutputError(
                f"the {what} {out} is the input {item}: write to another folder (flowkit never writes over "
                "what it reads)."
            )
        if target in source.parents:
            raise OutputError(
                f"the {what} {out} contains the input {item}: write to a folder outside it (flowkit never "
                "writes where its own input lives)."
            )
