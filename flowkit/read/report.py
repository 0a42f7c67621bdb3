"""What a read took in and what it left out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Errors = Literal["raise", "skip"]


@dataclass
class ReadReport:
    """What a read took in and what it left out.

    Attributes:
        files: files read.
        lines_read: record lines seen (header lines not counted).
        parsed: records kept.
        rejected: lines rejected, by reason (``field-count``, ``bad-number``, ``bad-action``, ...).
        examples: the first few rejected lines as ``(path, line_number, reason, text)``.
        skipped_files: files that could not be read at all, as ``(path, reason)``.
    """

    files: int = 0
    lines_read: int = 0
    parsed: int = 0
    rejected: Counter = field(default_factory=Counter)
    examples: list[tuple[str, int, str, str]] = field(default_factory=list)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rejected_total(self) -> int:
        """All rejected lines."""
        return sum(self.rejected.values())

    def add_reject(self, path: str, line_number: int, reason: str, text: str) -> None:
        """Count one rejected line, keeping the first few as examples."""
        self.rejected[reason] += 1
        if len(self.examples) < 20:
            self.examples.append((path, line_number, reason, text[:200]))

    def __str__(self) -> str:
        text = (
            f"{self.files} file(s), {self.lines_read} line(s) read: "
            f"{self.parsed} parsed, {self.rejected_total} rejected"
        )
        if self.rejected:
            text += " (" + ", ".join(f"{reason}: {n}" for reason, n in self.rejected.most_common()) + ")"
        if self.skipped_files:
            text += f"; {len(self.skipped_files)} file(s) unreadable"
        return text
