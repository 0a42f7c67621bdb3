"""A command's output folder: its lock, its manifest, staged writes, commits and roll-back."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import signal
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from flowkit.errors import OutputError
from flowkit.outputs.files import LOCK, MANIFEST, STAGING_PREFIX, check_separate, fsync, is_bookkeeping, token
from flowkit.outputs.manifest import Manifest

_logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block is done (a commit is a handful of renames: it is never cut in half)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: received.append(number))
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, under another user (or the platform cannot tell: assume it runs)
    return True


class OutputFolder:
    """A command's output folder: its lock, its manifest, staged writes, commits and roll-back.

    Use it as a context manager: on leaving the block with an error (or Ctrl-C), everything staged since
    the last :meth:`commit` is removed, the manifest is put back, a folder this run created and left empty
    is removed, and a note saying what was kept is added to the exception (``exc.__notes__``).

    Args:
        path: the output folder (created if missing).
        command: the command writing it (``"convert"``, ``"simulate"``, ``"report"``, ``"demo"``).
        inputs: the command's input paths: an output that is or contains one is refused.
        fresh: refuse a non-empty folder this command did not create (no manifest of its own), unless
            ``overwrite``.
        overwrite: allow replacing files of the same names that this command did not write.
        durable: flush each staged file to disk before it is committed.

    Examples:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "figures"
        >>> with OutputFolder(out, "report") as folder:
        ...     _ = folder.stage("a.txt").write_text("one")
        ...     _ = folder.commit(replace_all=True)
        >>> sorted(Manifest.load(out).files)
        ['a.txt']
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        command: str,
        *,
        inputs: Iterable[str | os.PathLike[str] | None] = (),
        fresh: bool = False,
        overwrite: bool = False,
        durable: bool = True,
    ) -> None:
        self.path = Path(path)
        self.command = command
        self.inputs = list(inputs)
        self.fresh = fresh
        self.overwrite = overwrite
        self.durable = durable
        self.manifest = Manifest(command)
        self.kept: str | None = None  # what a roll-back keeps, when a command committed part of its work
        self.foreign: list[str] = []  # entries of a folder this command did not create (with overwrite)
        self._committed: Manifest | None = None
        self._had_manifest = False
        self._created = False
        self._locked = False
        self._staging: Path | None = None
        self._staged: dict[str, Path] = {}
        self._commits = 0

    # -- opening and closing

    def __enter__(self) -> OutputFolder:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        try:
            if exc is not None:
                note = self.rollback()
                exc.add_note(note)
            elif self._staged:
                self.rollback()
        finally:
            self.close()

    def open(self) -> None:
        """Check the folder, create it, take its lock, read its manifest and clean up after a killed run.

        Raises:
            OutputError: the output is or contains an input, belongs to another command, is not empty
                and was not created by this command (``fresh``), or another command is writing it.
            NotADirectoryError: the path is a file.
        """
        check_separate(self.path, self.inputs)
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(self.path))
        self._created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            manifest = Manifest.load(self.path)
            if manifest is not None and manifest.command != self.command:
                raise OutputError(
                    f"{self.path} holds the output of `flowkit {manifest.command}`; write the "
                    f"{self.command} output into another folder."
                )
            self._had_manifest = manifest is not None
            if manifest is None:
                manifest = Manifest(self.command)
                self.foreign = sorted(p.name for p in self.path.iterdir() if p.name not in (LOCK, MANIFEST))
                if self.fresh and self.foreign and not self.overwrite:
                    raise OutputError(
                        f"{self.path} is not empty ({len(self.foreign)} entries, e.g. {self.foreign[0]}) and "
                        f"`flowkit {self.command}` did not create it: choose a new or empty folder, or pass "
                        f"--overwrite (overwrite=True): the files {self.command} writes then replace those of "
                        "the same names, and nothing else is deleted."
                    )
            self.manifest = manifest
            self._recover()
            self._committed = self.manifest.copy()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Remove the (empty) staging folder and release the lock."""
        if self._staging is not None and self._staging.exists() and not self._staged:
            shutil.rmtree(self._staging, ignore_errors=True)
            if self.manifest.extra.pop("staging", None) is not None:
                self.manifest.save(self.path)
            self._staging = None
        if self._locked:
            with contextlib.suppress(OSError):
                (self.path / LOCK).unlink()
            self._locked = False

    def _lock(self) -> None:
        lock = self.path / LOCK
        me = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command}
        for _ in range(3):
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    holder = json.loads(lock.read_text(encoding="utf-8"))
                    pid, host = int(holder["pid"]), str(holder["host"])
                except FileNotFoundError:
                    continue
                except (OSError, ValueError, KeyError, TypeError):
                    holder, pid, host = {}, -1, me["host"]  # unreadable: left half-written by a killed run
                if host == me["host"] and (pid < 0 or (pid != os.getpid() and not _alive(pid))):
                    _logger.info(
                        "%s: taking over the lock of process %s, which no longer runs", self.path, pid
                    )
                    with contextlib.suppress(FileNotFoundError):
                        lock.unlink()
                    continue
                raise OutputError(
                    f"{self.path}: another flowkit command ({holder.get('command', '?')}, process {pid} on "
                    f"{host}) is writing this folder; wait for it to finish, or delete {lock} if it no "
                    "longer runs."
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(me, handle)
            self._locked = True
            return
        raise OutputError(f"{self.path}: cannot take the lock {lock}; another command keeps taking it.")

    def _recover(self) -> None:
        """Remove what a killed run left: its staging folder, files it moved in but did not commit,
        files a commit replaced but did not delete."""
        m = self.manifest
        changed = False
        staging = m.extra.pop("staging", None)
        if staging:
            shutil.rmtree(self.path / staging, ignore_errors=True)
            changed = True
        for name in [*m.pending, *m.obsolete]:
            (self.path / name).unlink(missing_ok=True)
            changed = True
        if m.pending or m.obsolete:
            _logger.warning(
                "%s: removed %d file(s) an interrupted `flowkit %s` left uncommitted",
                self.path,
                len(m.pending) + len(m.obsolete),
                self.command,
            )
        m.pending, m.obsolete = [], []
        if changed:
            m.save(self.path)

    # -- writing

    def begin(self, *, incomplete: bool = False, **extra: Any) -> None:
        """Start staging: create the staging folder (recorded in the manifest first, so a killed run's is
        found and removed). ``incomplete=True`` marks the folder incomplete until :meth:`commit`, for
        outputs whose parts mean nothing alone (a simulated period): readers refuse it meanwhile."""
        if self._staging is not None:
            return
        name = f"{STAGING_PREFIX}{token()}"
        self.manifest.extra["staging"] = name
        if incomplete:
            self.manifest.state = "incomplete"
        self.manifest.extra.update(extra)
        self.manifest.save(self.path)
        self._staging = self.path / name
        self._staging.mkdir()

    @property
    def staging(self) -> Path:
        """The staging folder (created by :meth:`begin` on first use)."""
        self.begin()
        assert self._staging is not None
        return self._staging

    def stage(self, name: str) -> Path:
        """The path to write ``name`` (a POSIX path relative to the folder) to until it is committed."""
        relative = _relative(name)
        path = self.staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self._staged[relative] = path
        return path

    def owns(self, name: str) -> bool:
        """Whether ``name`` is a file this command wrote here (in the manifest)."""
        return _relative(name) in self.manifest.files

    def claim(self, names: Iterable[str]) -> None:
        """Check before any work that ``names`` may be written: each is absent, or this command's own file.

        Raises:
            OutputError: a file of that name exists that this command did not write (and not
                ``overwrite``), or it is a folder.
        """
        taken = []
        for name in names:
            relative = _relative(name)
            target = self.path / relative
            if target.is_dir():
                raise OutputError(f"{target} is a folder; {self.command} writes a file of that name there.")
            if (target.exists() or target.is_symlink()) and relative not in self.manifest.files:
                taken.append(relative)
        if taken and not self.overwrite:
            which = (
                f"{self.path / taken[0]} exists"
                if len(taken) == 1
                else (f"{self.path / taken[0]} and {len(taken) - 1} more exist")
            )
            raise OutputError(
                f"{which} and `flowkit {self.command}` did not write them: choose another folder, move them "
                "away, or pass --overwrite (overwrite=True) to replace them."
            )

    def commit(
        self,
        files: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        replace_all: bool = False,
        remove: Iterable[str] = (),
        **extra: Any,
    ) -> list[Path]:
        """Move every staged file into place and record it; delete this command's files it replaces.

        Args:
            files: facts to record per staged file beside its size (e.g. ``{"rows": 5}``).
            replace_all: the staged files are the whole output: this command's other files here are
                deleted (an earlier run's figures, files of a longer period).
            remove: this command's files to delete (replaced by the staged ones).
            **extra: command-specific manifest keys to set.

        Returns:
            The final paths of the committed files.

        Raises:
            OutputError: a staged file would replace a file this command did not write (and not
                ``overwrite``).
        """
        staged = dict(self._staged)
        self.claim(staged)
        m = self.manifest
        if self.durable:
            for path in staged.values():
                fsync(path)
        stale = (set(m.files) - set(staged)) if replace_all else {_relative(r) for r in remove}
        stale -= set(staged)
        with _interrupts_deferred():
            if staged:
                m.pending = sorted(staged)  # 1. intent: readers skip these until 3.
                m.save(self.path)
            for relative, path in staged.items():  # 2. into place
                target = self.path / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            for relative in staged:  # 3. commit
                m.files[relative] = {
                    "bytes": (self.path / relative).stat().st_size,
                    **(files or {}).get(relative, {}),
                }
            for relative in sorted(stale):
                m.files.pop(relative, None)
            m.pending = []
            m.obsolete = sorted(stale)
            m.state = "complete"
            m.extra.update(extra)
            self._staged = {}
            m.save(self.path)
            if stale:  # 4. delete what the commit replaced
                for relative in m.obsolete:
                    (self.path / relative).unlink(missing_ok=True)
                    _prune(self.path, (self.path / relative).parent)
                m.obsolete = []
                m.save(self.path)
            self._committed = m.copy()  # before a deferred Ctrl-C is raised: a roll-back keeps this commit
            self._commits += 1
        return [self.path / relative for relative in staged]

    def rollback(self) -> str:
        """Undo everything since the last commit; returns a note saying what the folder keeps."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        self._staged = {}
        m = self.manifest
        for name in m.pending:  # a commit cut short by an error while moving files
            (self.path / name).unlink(missing_ok=True)
        committed = self._committed
        try:
            if committed is not None:
                committed.extra.pop("staging", None)
                if self._had_manifest or self._commits:
                    committed.save(self.path)
                else:
                    (self.path / MANIFEST).unlink(missing_ok=True)
                self.manifest = committed.copy()
        except OSError as exc:
            _logger.warning("%s: could not restore the manifest: %s", self.path, exc)
        if self._created and not self._commits:
            with contextlib.suppress(OSError):
                (self.path / LOCK).unlink()
                self._locked = False
                self.path.rmdir()
                return f"nothing was written ({self.path} was not created)"
        if self.kept:
            return self.kept
        if self._commits:
            return f"{self.path}: kept what this run had committed"
        return f"{self.path}: left as it was; nothing of this run was kept"


def _relative(name: str | os.PathLike[str]) -> str:
    """A normalised relative POSIX path inside the folder (no ``..``, not absolute, not bookkeeping)."""
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts or is_bookkeeping(parts[0]):
        raise OutputError(f"{name!r} is not a file name inside the output folder.")
    return Path(*parts).as_posix()


def _prune(root: Path, folder: Path) -> None:
    """Remove ``folder`` and the folders above it up to ``root`` while they are empty."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
