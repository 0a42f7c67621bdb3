"""What a read took in and what it left out."""

from __future__ import annotations

from collections import Counter
from typing import Literal

Errors = Literal["raise", "skip"]

#: The most characters of a line an error message or a report example quotes (rule 9 of
#: :mod:`flowkit.read.checks`).
QUOTE_CHARS = 200


def _item(key: str) -> property:
    return property(lambda self: self[key], lambda self, value: self.__setitem__(key, value))


class ReadReport(dict):
    """What a read took in and what it left out.

    A dict with attribute access: a frame carries it in ``df.attrs["report"]``, and pandas writes a
    frame's attrs as JSON (``to_parquet``), which a dict allows.

    Attributes:
        files: files read.
        lines_read: records seen (record lines, CloudWatch events and rejected JSON values; not
            header or blank lines): ``parsed + rejected_total == lines_read``.
        parsed: records kept.
        rejected: lines rejected, by reason (``field-count``, ``bad-number``, ``bad-action``, ...).
        examples: the first few rejected lines as ``(path, line_number, reason, text)``.
        skipped_files: files (and folders) that could not be read at all, as ``(path, reason)``.
        blank_lines: blank lines seen (not records, not errors).
        headers: header lines seen (the first line of a text file, and any later one of a file
            concatenated from several objects).
        control_messages: CloudWatch Logs ``CONTROL_MESSAGE`` envelopes skipped (they carry no records).
    """

    files = _item("files")
    lines_read = _item("lines_read")
    parsed = _item("parsed")
    rejected = _item("rejected")
    examples = _item("examples")
    skipped_files = _item("skipped_files")
    blank_lines = _item("blank_lines")
    headers = _item("headers")
    control_messages = _item("control_messages")

    def __init__(self) -> None:
        super().__init__(
            files=0,
            lines_read=0,
            parsed=0,
            rejected=Counter(),
            examples=[],
            skipped_files=[],
            blank_lines=0,
            headers=0,
            control_messages=0,
        )

    @property
    def rejected_total(self) -> int:
        """All rejected lines."""
        return sum(self.rejected.values())

    def add_reject(self, path: str, line_number: int, reason: str, text: str) -> None:
        """Count one rejected line, keeping the first few as examples."""
        self.rejected[reason] += 1
        if len(self.examples) < 20:
            self.examples.append((path, line_number, reason, text[:QUOTE_CHARS]))

    def skip_file(self, path: str, reason: str) -> None:
        """Count a file or folder that could not be read at all."""
        self.skipped_files.append((path, reason))

    def __str__(self) -> str:
        text = (
            f"{self.files} file(s), {self.lines_read} line(s) read: "
            f"{self.parsed} parsed, {self.rejected_total} rejected"
        )
        if self.rejected:
            text += " (" + ", ".join(f"{reason}: {n}" for reason, n in self.rejected.most_common()) + ")"
        if self.skipped_files:
            text += f"; {len(self.skipped_files)} file(s) unreadable"
        if self.blank_lines:
            text += f"; {self.blank_lines} blank line(s)"
        if self.control_messages:
            text += f"; {self.control_messages} CloudWatch control message(s) skipped"
        return text

    def __repr__(self) -> str:
        return f"ReadReport({self})"
