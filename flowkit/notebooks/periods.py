"""Periods for notebooks 06 and 07: a baseline to learn from and later periods to check, from any source.

The guide's method learns what an application needs from a test run, then checks later traffic against it.
:func:`open_periods` names the periods (``{"baseline": (start, end), "investigate": (start, end), ...}``) and
where their records come from:

- ``BACKEND = "local"`` with ``DATA = None``: the simulator (:func:`flowkit.simulate.simulate`), which *is*
  the test environment: the periods listed in ``clean`` are a test run without anomalies, the others the
  scenario with its anomalies, and the environment drifts over the days (:mod:`flowkit.simulate.drift`).
  The simulator's labels are the ground truth, so findings can be scored;
- ``BACKEND = "local"`` with ``DATA``: flow-log files covering the periods (scored when ``labels.csv`` is
  beside them);
- ``BACKEND = "aws"``: the records of each period from Athena, bounded in time (no ground truth).

Every period is read the same way, :func:`~flowkit.notebooks.backend.read_records` through the engine,
so the cells after it do not change with the source.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from flowkit.errors import NotebookError
from flowkit.frames import with_flowkit_dtypes
from flowkit.notebooks.backend import check_period, open_engine, read_records


@dataclass
class Periods:
    """Named periods and the engine that reads them.

    Attributes:
        engine: the query engine over the periods' records.
        periods: name -> (start, end), ISO 8601 text or datetimes.
        source: ``"simulated"``, ``"files"`` or ``"aws"``.
        labels: the ground truth (``labels.csv`` rows) when there is one, else ``None``.
        description: where the records come from, in words.
        scenario: the simulated scenario (simulated periods only).
    """

    engine: Any
    periods: dict[str, tuple[Any, Any]]
    source: str
    labels: pd.DataFrame | None = None
    description: str = ""
    scenario: Any = None
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def read(self, name: str) -> pd.DataFrame:
        """The records of period ``name`` (read once, then kept)."""
        if name not in self.periods:
            raise NotebookError(f"no period {name!r}: the periods are {', '.join(self.periods)}.")
        if name not in self._cache:
            self._cache[name] = read_records(self.engine, *self.periods[name])
        return self._cache[name]

    def truth(self, flows: pd.DataFrame) -> pd.Series:
        """Per record, its ground-truth label (``anomaly:...``/``expected:...``); all <NA> without labels."""
        if self.labels is None:
            return pd.Series(pd.NA, index=flows.index, dtype="string", name="label")
        from flowkit.simulate import label_flows

        return label_flows(flows, self.labels)

    def change_log(self) -> pd.DataFrame:
        """The changes the environment documents as expected (a simulated scenario's drift notes).

        On a real account this is your own change log (release notes, providers' notices): flowkit cannot
        read it, so the frame is empty there.
        """
        from flowkit.simulate import change_log

        rows = change_log(self.scenario) if self.scenario is not None else []
        frame = pd.DataFrame(rows, columns=["day", "change", "destinations", "why"])
        frame["destinations"] = frame["destinations"].map(", ".join)
        return with_flowkit_dtypes(frame)

    def decisions(self, accepted: Mapping[str, str] | None = None) -> dict[str, str]:
        """The review decisions: ``accepted`` (destination CIDR -> why) if given, else the change log's.

        On a real account with ``accepted=None`` there are none: write your own, after checking each finding.
        """
        if accepted is not None:
            return dict(accepted)
        if self.scenario is None:
            return {}
        from flowkit.simulate import change_log

        return {cidr: entry["why"] for entry in change_log(self.scenario) for cidr in entry["destinations"]}

    def score(self, explained: pd.DataFrame) -> pd.DataFrame:
        """Precision and recall of ``explained``'s flagged records (:func:`flowkit.baseline.score_findings`).

        Without ground truth (a real account) the frame has one row saying so: each finding is then judged by
        the people who know the application.
        """
        from flowkit.baseline.review import score_findings

        if self.labels is None:
            return pd.DataFrame(
                {
                    "level": ["records"],
                    "note": ["no ground truth for these records: review each finding by hand"],
                }
            ).set_index("level")
        return score_findings(explained, self.truth(explained))

    def __repr__(self) -> str:
        spans = ", ".join(f"{name} {start} to {end}" for name, (start, end) in self.periods.items())
        return f"<Periods from {self.description}: {spans}>"

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {name} | {start} | {end} |" for name, (start, end) in self.periods.items())
        truth = "with ground truth (labels)" if self.labels is not None else "no ground truth"
        return f"**Periods** from {self.description} ({truth}):\n\n| period | start | end |\n|---|---|---|\n{rows}\n"


def open_periods(
    backend: str = "local",
    data: str | os.PathLike | None = None,
    *,
    periods: Mapping[str, Sequence[Any]],
    clean: Sequence[str] = ("baseline",),
    scenario: str = "workshop",
    seed: int = 7,
    aws_profile: str | None = None,
    aws_region: str | None = None,
    athena_database: str | None = None,
    log_group: str | None = None,
) -> Periods:
    """Name a notebook's periods and open what reads them (see the module docstring for the sources).

    Args:
        backend: ``"local"`` or ``"aws"``.
        data: local flow-log files covering the periods; ``None`` (local) simulates ``scenario``.
        periods: name -> ``(start, end)``, e.g. ``{"baseline": ("2026-11-02", "2026-11-05")}``.
        clean: the periods simulated without anomalies (the test run), when simulating.
        scenario: the simulated environment (a built-in name or a YAML file).
        seed: the simulation's random seed.
        aws_profile, aws_region, athena_database, log_group: the AWS parameters (``open_engine``'s).

    Raises:
        NotebookError: a period's times are bad or overlap another's (simulated), or the AWS parameters are
            missing (the notebook needs Athena: Logs Insights returns too few rows to read a period).
    """
    spans = {str(name): tuple(span) for name, span in periods.items()}
    for name, span in spans.items():
        if len(span) != 2:
            raise NotebookError(f"period {name!r} must be (start, end), not {span!r}.")
        check_period(span, required=True, names=f"the {name} period's start and its end")
    if backend == "aws" or data is not None:
        engine = open_engine(
            backend,
            data,
            aws_profile=aws_profile,
            aws_region=aws_region,
            athena_database=athena_database,
            log_group=log_group,
            needs=("athena",),
            period=next(iter(spans.values()), None),  # each span was checked above
        )
        labels = _labels_beside(data) if backend == "local" else None
        where = f"Athena ({athena_database})" if backend == "aws" else f"the files in {data}"
        return Periods(engine, spans, "aws" if backend == "aws" else "files", labels, where)
    return _simulated(spans, set(clean), scenario, seed)


def _simulated(spans: dict[str, tuple[Any, Any]], clean: set[str], scenario: str, seed: int) -> Periods:
    from flowkit.engines import connect
    from flowkit.simulate import load_scenario, simulate
    from flowkit.sql.params import timestamp

    loaded = load_scenario(scenario)

    bounds = sorted((timestamp(s), timestamp(e), name) for name, (s, e) in spans.items())
    for (_, end, first), (start, _, second) in itertools.pairwise(bounds):
        if start < end:
            raise NotebookError(
                f"periods {first!r} and {second!r} overlap: a simulated period is simulated once."
            )
    frames, labels = [], []
    for lo, hi, name in bounds:
        result = simulate(
            loaded, seed=seed, start=pd.Timestamp(lo, unit="s", tz="UTC").isoformat(), days=(hi - lo) / 86400,
            anomalies=name not in clean,
        )  # fmt: skip
        frames.append(result.flows)
        labels.append(result.labels)
    flows = pd.concat(frames, ignore_index=True)
    truth = pd.concat(labels, ignore_index=True)
    truth = truth.assign(_rank=~truth["label"].str.startswith("anomaly:"))
    truth = truth.sort_values("_rank", kind="stable").drop_duplicates(
        ["srcaddr", "dstaddr", "dstport", "protocol"]
    )
    description = (
        f"the simulated `{scenario}` environment (seed {seed}; "
        f"{', '.join(sorted(clean & set(spans))) or 'no period'} without anomalies)"
    )
    labels = truth.drop(columns="_rank").reset_index(drop=True)
    return Periods(connect(flows), spans, "simulated", labels, description, loaded)


def _labels_beside(data: str | os.PathLike | None) -> pd.DataFrame | None:
    if data is None:
        return None
    from pathlib import Path

    from flowkit.simulate import read_labels

    root = Path(data)
    path = root / "labels.csv" if root.is_dir() else root.parent / "labels.csv"
    return read_labels(path) if path.is_file() else None
