"""What a simulation made: the result both the VPC scenarios and the ``transit`` scenario return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from flowkit.simulate.scenario import Scenario


@dataclass
class SimulationResult:
    """What a simulation made.

    Attributes:
        scenario: the scenario that ran.
        seed: the random seed.
        start, end: the simulated period (UTC, end exclusive).
        log_format: the ``${field} ...`` format of the records.
        file_format: ``text``, ``parquet`` or ``cloudwatch``.
        out: the output directory (None when nothing was written).
        files: the flow-log files written, in order.
        labels: the ground truth (``srcaddr, dstaddr, dstport, protocol, label``).
        flows: every record in the reader's shape (Athena column names, nullable dtypes), or None
            when the run was too large to keep in memory.
        records: the number of records made.
        counts: records by log status and by action.
    """

    scenario: Scenario
    seed: int
    start: datetime
    end: datetime
    log_format: str
    file_format: str
    out: Path | None
    files: list[Path] = field(default_factory=list)
    labels: pd.DataFrame = field(default_factory=pd.DataFrame)
    flows: pd.DataFrame | None = None
    records: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        where = f" in {self.out} ({len(self.files)} files)" if self.out else ""
        return (
            f"<SimulationResult {self.scenario.name} seed={self.seed} {self.start:%Y-%m-%dT%H:%MZ}.."
            f"{self.end:%Y-%m-%dT%H:%MZ}: {self.records} records, {len(self.labels)} labelled keys{where}>"
        )
