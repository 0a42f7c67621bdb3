"""The errors flowkit raises: one hierarchy under :class:`FlowkitError`."""

from __future__ import annotations


class FlowkitError(Exception):
    """Base class of every error flowkit raises on purpose."""


class FormatError(FlowkitError):
    """A log-format string, header line or field name is not valid."""


class RecordParseError(FlowkitError):
    """An input file or line could not be read as flow-log records.

    Attributes:
        path: the file the problem is in (or ``None`` for in-memory input).
        line_number: 1-based line number in that file, when one applies.
        line: the offending line's text (shortened), when one applies.
        reason: a short machine-friendly reason, e.g. ``"field-count"``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line_number: int | None = None,
        line: str | None = None,
        reason: str = "invalid",
    ) -> None:
        where = path or "<input>"
        if line_number is not None:
            where = f"{where}, line {line_number}"
        full = f"{where}: {message}"
        if line is not None:
            full += f"\n    {line[:200]!r}"
            if len(line) > 200:
                full += f" ... ({len(line)} characters)"
        super().__init__(full)
        self.path = path
        self.line_number = line_number
        self.line = None if line is None else line[:200]
        self.reason = reason


class ScenarioError(FlowkitError):
    """A simulator scenario file is not valid."""


class QueryError(FlowkitError):
    """A query is not valid, or failed to run."""


class ParameterError(QueryError):
    """A query parameter is missing, unknown, or fails its type check."""


class AWSError(FlowkitError):
    """An AWS call failed or returned an unsuccessful result."""


class AllowlistError(FlowkitError):
    """An allowlist file or rule is not valid."""


class PlanError(FlowkitError):
    """A flow-log plan cannot be made from the given input (IDs, destination, options)."""


class ApplyError(AWSError):
    """Applying a flow-log plan failed part-way.

    Attributes:
        created: what was created before the failure (``{"kind": ..., "id": ...}`` dicts), so nothing
            half-made goes unreported.
        failures: the failed items as AWS reported them (``{"resource_id", "code", "message"}``).
    """

    def __init__(
        self, message: str, *, created: list[dict] | None = None, failures: list[dict] | None = None
    ):
        self.created = list(created or [])
        self.failures = list(failures or [])
        if self.created:
            made = ", ".join(f"{c['kind']} {c['id']}" for c in self.created)
            message = f"{message} Created before the failure (still in place): {made}."
        super().__init__(message)


class IpRangesError(FlowkitError):
    """An AWS ``ip-ranges.json`` document does not parse or does not have the published shape."""


class IpRangesUnreachable(IpRangesError):
    """AWS's published ip-ranges file could not be fetched (offline, or the address is unreachable)."""


class NotebookError(FlowkitError):
    """A notebook could not be read or run (missing file, kernel not installed)."""


class ExerciseError(FlowkitError):
    """An exercise id is unknown, or its data is missing."""


class ArgumentError(FlowkitError, ValueError, TypeError):
    """A function was given an argument of the wrong type or value (the message names it).

    It is also a ``ValueError`` and a ``TypeError``, so code that caught those before keeps working.
    """


class OutputError(FlowkitError):
    """An output cannot be written safely: it is or contains the input, it holds files flowkit did not
    write, or another flowkit command is writing it."""


class IncompleteOutputError(OutputError):
    """A folder is marked incomplete by an interrupted flowkit command: its files are not a dataset.

    Attributes:
        folder: the folder marked incomplete.
        command: the flowkit command that was interrupted (``"simulate"``, ...).
    """

    def __init__(self, message: str, *, folder: str, command: str) -> None:
        super().__init__(message)
        self.folder = folder
        self.command = command
