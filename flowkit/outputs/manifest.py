"""The manifest of an output folder, and what readers may read of a folder flowkit wrote."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowkit.errors import IncompleteOutputError, OutputError
from flowkit.outputs.files import MANIFEST, is_bookkeeping, write_text

FORMAT_VERSION = 1


@dataclass
class Manifest:
    """An output folder's record of what a flowkit command wrote there (``.flowkit-manifest.json``).

    Attributes:
        command: the command that owns the folder.
        state: ``"complete"``, or ``"incomplete"`` while a run that marks it is in progress (or was killed).
        files: relative POSIX path -> facts about the file (``bytes``, and per command e.g. ``rows``).
        pending: files moved in but not committed: not part of the output.
        obsolete: files replaced and about to be deleted: not part of the output.
        extra: the command-specific keys (``sources``, ``run``, ``staging``, ...).
    """

    command: str
    state: str = "complete"
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def hidden(self) -> set[str]:
        """The files readers skip: pending and obsolete."""
        return set(self.pending) | set(self.obsolete)

    def to_json(self) -> str:
        """The manifest as JSON text (files sorted, so equal manifests give equal bytes)."""
        document = {
            "flowkit_manifest": FORMAT_VERSION,
            "command": self.command,
            "state": self.state,
            "files": {name: self.files[name] for name in sorted(self.files)},
            "pending": sorted(self.pending),
            "obsolete": sorted(self.obsolete),
            **{k: v for k, v in self.extra.items() if v is not None},
        }
        lines = []  # one line per key, and per file or source under a mapping: readable, diffable
        for key, value in document.items():
            if isinstance(value, dict) and value:
                inner = ",\n".join(f"  {_dumps(k)}: {_dumps(v)}" for k, v in value.items())
                lines.append(f" {_dumps(key)}: {{\n{inner}\n }}")
            else:
                lines.append(f" {_dumps(key)}: {_dumps(value)}")
        return "{\n" + ",\n".join(lines) + "\n}\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        """Parse a manifest's text; ``where`` names it in errors.

        Raises:
            OutputError: not a manifest this flowkit can read.
        """
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise _bad_manifest(where, f"not valid JSON: {exc}") from exc
        if not isinstance(document, dict) or "flowkit_manifest" not in document:
            raise _bad_manifest(where, "not a flowkit manifest")
        version = document.pop("flowkit_manifest")
        if version != FORMAT_VERSION:
            raise _bad_manifest(where, f"format {version!r}; this flowkit reads format {FORMAT_VERSION}")
        files = document.pop("files", {})
        pending, obsolete = document.pop("pending", []), document.pop("obsolete", [])
        if not (
            isinstance(document.get("command"), str)
            and isinstance(files, dict)
            and all(isinstance(v, dict) for v in files.values())
            and all(isinstance(x, list) and all(isinstance(n, str) for n in x) for x in (pending, obsolete))
        ):
            raise _bad_manifest(where, "a key is missing or has the wrong type")
        manifest = cls(
            command=document.pop("command"),
            state=str(document.pop("state", "complete")),
            files=files,
            pending=pending,
            obsolete=obsolete,
            extra=document,
        )
        if manifest.state not in ("complete", "incomplete"):
            raise _bad_manifest(where, f"unknown state {manifest.state!r}")
        return manifest

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Manifest | None:
        """The manifest of ``folder``, or ``None`` when it has none.

        Raises:
            OutputError: the manifest cannot be read.
        """
        path = Path(folder) / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise _bad_manifest(str(path), f"cannot be read: {exc}") from exc
        return cls.from_json(text, str(path))

    def save(self, folder: str | os.PathLike[str]) -> None:
        """Write the manifest into ``folder`` atomically."""
        write_text(Path(folder) / MANIFEST, self.to_json())

    def copy(self) -> Manifest:
        """A deep copy (through JSON)."""
        return Manifest.from_json(self.to_json(), "<copy>")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _bad_manifest(where: str, reason: str) -> OutputError:
    return OutputError(
        f"{where}: {reason}. This file records what flowkit wrote in its folder; restore it, or delete it "
        "to treat the folder as plain files (flowkit then deletes nothing there)."
    )


def readable(files: Sequence[Path]) -> list[Path]:
    """The files of ``files`` a reader may read, in order.

    Skipped: flowkit's bookkeeping (names starting with ``.flowkit-``, and anything inside such a
    folder) and the files the governing manifest lists as ``pending`` or ``obsolete`` (written by a run
    that has not committed them, or replaced by one). The governing manifest of a file is the nearest
    one in its folder or a folder above.

    Raises:
        IncompleteOutputError: a file lies in a folder marked incomplete (an interrupted ``simulate``).
        OutputError: a governing manifest cannot be read.
    """
    governing: dict[Path, tuple[Path, Manifest, set[str]] | None] = {}

    def nearest(folder: Path) -> tuple[Path, Manifest, set[str]] | None:
        chain = []
        here = folder
        while True:
            if here in governing:
                found = governing[here]
                break
            chain.append(here)
            manifest = Manifest.load(here) if (here / MANIFEST).is_file() else None
            if manifest is not None:
                found = (here, manifest, manifest.hidden())
                break
            if here.parent == here:
                found = None
                break
            here = here.parent
        for visited in chain:
            governing[visited] = found
        return found

    kept = []
    in_bookkeeping: dict[Path, bool] = {}  # per folder: a month of files lies in 30 of them
    for path in files:
        absolute = path.absolute()
        hidden_folder = in_bookkeeping.get(absolute.parent)
        if hidden_folder is None:
            hidden_folder = any(is_bookkeeping(part) for part in absolute.parent.parts)
            in_bookkeeping[absolute.parent] = hidden_folder
        if hidden_folder or is_bookkeeping(absolute.name):
            continue
        found = nearest(absolute.parent)
        if found is None:
            kept.append(path)
            continue
        folder, manifest, hidden = found
        if manifest.state != "complete":
            raise IncompleteOutputError(
                f"{folder}: an interrupted `flowkit {manifest.command}` left this folder incomplete, so its "
                f"files are not a whole dataset; run the same `flowkit {manifest.command}` again (it replaces "
                "what it wrote) or delete the folder.",
                folder=str(folder),
                command=manifest.command,
            )
        if hidden and absolute.relative_to(folder).as_posix() in hidden:
            continue
        kept.append(path)
    return kept
