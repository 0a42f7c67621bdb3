"""Run a scenario: generate records chunk by chunk and write them with their labels."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from flowkit.errors import ArgumentError, FlowkitError, ScenarioError
from flowkit.frames import from_arrow
from flowkit.layout import LAYOUTS, is_flow_log_name
from flowkit.limits import MAX_RECORDS_PER_SECOND
from flowkit.outputs import OutputFolder, is_bookkeeping
from flowkit.schema import LogFormatSpec, format_string, resolve_log_format
from flowkit.simulate import records as rec
from flowkit.simulate.labels import LabelSet
from flowkit.simulate.output import FILE_FORMATS, FILE_SECONDS, Columns, Writer
from flowkit.simulate.result import SimulationResult
from flowkit.simulate.scenario import Scenario, load_scenario
from flowkit.simulate.traffic import Pools, connections
from flowkit.simulate.transit import TransitResult, is_transit, simulate_transit
from flowkit.timeutil import parse_utc

_logger = logging.getLogger(__name__)
KEEP_FLOWS_LIMIT = 2_000_000  # keep .flows in memory up to this many records
_TARGET_CHUNK_RECORDS = 400_000
_CODECS = ("snappy", "gzip", "zstd", "brotli", "lz4", "none")


def simulate(
    scenario: str | Path | Scenario = "workshop",
    *,
    seed: int = 7,
    days: float = 1,
    start: str | datetime | None = None,
    records: int | None = None,
    out: str | Path | None = None,
    file_format: str = "text",
    log_format: LogFormatSpec | None = None,
    anomalies: bool = True,
    drift: bool = True,
    aggregation_interval: int | None = None,
    keep_flows: bool | None = None,
    compression: str = "snappy",
    layout: str = "default",
    progress: bool = False,
    overwrite: bool = False,
) -> SimulationResult | TransitResult:
    """Simulate a scenario's flow logs and write them as AWS delivers them, with labels.

    Args:
        scenario: a built-in scenario name (``"workshop"``, ``"containers"``, ``"transit"``), a YAML
            path, or a loaded :class:`Scenario`. A ``kind: transit`` scenario (``"transit"``: two VPCs
            and an on-premises VPN on a transit gateway) writes transit gateway flow logs instead and
            returns a :class:`~flowkit.simulate.transit.TransitResult`
            (:func:`~flowkit.simulate.transit.simulate_transit`: text or Parquet, 60-second windows,
            no ``records`` scaling, no labels; ``drift`` does not apply).
        seed: the random seed; the same scenario, seed and arguments give byte-identical files.
        days: how long to simulate (fractions allowed).
        start: when to start: an ISO date-time, a datetime, or an offset from the scenario's start
            such as ``"+1d"`` or ``"+6h"`` (a later period). Default: the scenario's ``start``.
        records: about how many records to make: the scenario's traffic rates are scaled to reach
            it (injected anomalies keep their size, and NODATA records for idle windows come on
            top, which shows for small numbers).
        out: the output directory; None keeps the records in memory only (``result.flows``). The
            files are written in a staging folder inside it and moved into place when the run is
            complete; meanwhile the folder is marked incomplete, and readers refuse it (an
            interrupted run leaves it so until it is run again). It must be new, empty, or an
            earlier simulation's output (whose files this run replaces: nothing else is deleted).
            The manifest ``.flowkit-manifest.json`` records what was written (:mod:`flowkit.outputs`).
        file_format: ``"text"`` (.log.gz), ``"parquet"`` (.log.parquet) or ``"cloudwatch"`` (JSON lines).
        log_format: the record format, in any spelling of
            :func:`~flowkit.schema.resolve_log_format`: ``"default"``, ``"v2"`` ... ``"v11"`` (every
            field up to that version), a named set (``"security"``, ``"athena-v5"``, ``"ecs"``), a
            ``${field} ...`` string or a list of fields. Fields flowkit does not know are written
            as ``-``. Default: the scenario's ``log_format``.
        anomalies: False leaves out the scenario's anomalies (a clean baseline period).
        drift: False keeps the environment as it is on day 1 for every day: no seasonal volume, no
            rotating or moved addresses, no traffic added later (the scenario's ``drift`` section,
            :mod:`flowkit.simulate.drift`; nothing drifts on day 1 either way).
        aggregation_interval: 60 or 600 seconds, overriding the scenario's.
        keep_flows: keep every record in ``result.flows`` (default: when at most 2 million).
        compression: the Parquet codec, optionally with a level: ``"snappy"`` (the default, fast),
            ``"gzip"`` (what AWS delivers; about 10 times slower to write), ``"gzip-1"``, ``"zstd"``,
            ``"zstd-1"``, ``"none"``.
        layout: the S3 key layout: ``"default"`` (``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/``),
            ``"hourly"`` (per-hour folders), ``"hive"`` (``aws-account-id=.../year=.../``) or
            ``"hive-hourly"``, as the flow log's ``DestinationOptions`` choose.
        progress: show a progress bar on stderr.
        overwrite: write into a non-empty folder that ``simulate`` did not create; its files of the
            same names are replaced, the others left (and read with the new ones).

    Returns:
        A :class:`SimulationResult` (a :class:`~flowkit.simulate.transit.TransitResult` for a transit scenario).

    Raises:
        ScenarioError: a bad scenario file, naming the file, the key and what is allowed.
        ArgumentError: a bad argument.
        OutputError: ``out`` is not empty and not an earlier simulation's (without ``overwrite``), or
            it contains the scenario file.
    """
    if is_transit(scenario):
        return _transit(
            scenario, seed=seed, days=days, start=start, records=records, out=out, file_format=file_format,
            log_format=log_format, anomalies=anomalies, aggregation_interval=aggregation_interval,
            keep_flows=keep_flows, compression=compression, layout=layout, overwrite=overwrite,
        )  # fmt: skip
    sc = load_scenario(scenario)
    if aggregation_interval is not None:
        if aggregation_interval not in (60, 600):
            raise FlowkitError(f"aggregation_interval must be 60 or 600 seconds, not {aggregation_interval}.")
        sc = _replace(sc, aggregation_interval=aggregation_interval)
    if file_format not in FILE_FORMATS:
        raise FlowkitError(f"file_format must be one of {', '.join(FILE_FORMATS)}, not {file_format!r}.")
    codec, _, level = str(compression).partition("-")
    if codec not in _CODECS or (level and not level.isdigit()):
        raise FlowkitError(
            f"compression {compression!r} is not a Parquet codec: use {', '.join(_CODECS)}, optionally with a "
            "level such as gzip-1 or zstd-3."
        )
    if layout not in LAYOUTS:
        raise FlowkitError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}.")
    if isinstance(days, bool) or not isinstance(days, int | float | np.number) or not 0 < days <= 366:
        raise ArgumentError(f"days must be more than 0 and at most 366, not {days!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise FlowkitError(f"seed must be a whole number 0 or more, not {seed!r}.")
    fields = resolve_log_format(log_format or sc.log_format, unknown="keep")
    interval = sc.aggregation_interval
    step = math.lcm(interval, FILE_SECONDS)
    t_start = _start_time(start, sc) // step * step
    t_end = t_start + max(step, round(days * 86400 / step) * step)
    if t_start < 0 or t_end > _LAST_END:
        raise FlowkitError(
            f"start {start or sc.start.isoformat()!r} puts the simulated days outside 1970 to 9999 (UTC), "
            "the times flow-log records (Unix seconds) and dates can hold: choose a start in that range."
        )
    patterns = [
        i for i, p in enumerate(sc.patterns) if (anomalies or not p.anomaly) and (drift or p.starts is None)
    ]
    networks = {**sc.networks, **(sc.drift.networks if drift else {})}
    services = sorted({n.aws_service for n in networks.values() if n.aws_service})
    service_index = {name: i for i, name in enumerate(services)}
    last_day = int(sc.drift.day(np.array([t_end - 1]))[0])
    pools = Pools(sc, seed, sc.drift if drift else None, last_day)

    scale, chunk = 1.0, 3600
    if records is not None:
        if isinstance(records, bool) or not isinstance(records, int | np.integer) or records < 1:
            raise ArgumentError(f"records must be a positive whole number, not {records!r}.")
        most = MAX_RECORDS_PER_SECOND * (t_end - t_start)
        if records > most:
            raise ArgumentError(
                f"records {records:,} is over the limit of {most:,} for {(t_end - t_start) / 86400:g} day(s): "
                f"{MAX_RECORDS_PER_SECOND:,} a simulated second (flowkit.limits.MAX_RECORDS_PER_SECOND), as "
                "one chunk of records is held in memory; simulate more days, or several runs."
            )
        scale, per_second = _scale_for(sc, records, t_start, t_end, seed, pools, service_index, patterns)
        # big chunks keep the per-call overhead low; bounded so memory stays flat
        # (the daily rhythm's peak is about twice the day's mean rate)
        chunk = int(np.clip(_TARGET_CHUNK_RECORDS / max(2 * per_second, 1e-9) // step * step, step, 86400))
    if keep_flows is None:
        keep_flows = out is None or records is None or records <= KEEP_FLOWS_LIMIT
    if out is None and not keep_flows:
        raise FlowkitError("pass out= (a directory) for runs too large to keep in memory.")

    known = pools.known()
    known.append(np.array([0, *(int(e.address) for e in sc.enis)], dtype=np.uint32))
    columns = Columns(sc, fields, services, np.concatenate(known))
    needed = rec.needed_columns(fields)
    label_set = LabelSet([p.label for p in sc.patterns], columns.addresses)
    folder = None
    if out is not None:
        out = Path(out)
        source = (
            Path(scenario) if isinstance(scenario, str | os.PathLike) and Path(scenario).is_file() else None
        )
        folder = OutputFolder(
            out, "simulate", inputs=[source], fresh=True, overwrite=overwrite, durable=False
        )
    with folder if folder is not None else contextlib.nullcontext():
        writer = None
        if folder is not None:
            folder.begin(incomplete=True)
            writer = Writer(folder.staging, sc, columns, file_format, seed, compression, layout)
        bar = _progress(progress, t_end - t_start)
        tables: list[pa.Table] = []
        counts: dict[str, int] = {}
        pending = rec.empty()
        for t0 in range(t_start, t_end, chunk):
            t1 = min(t0 + chunk, t_end)
            batches = [pending]
            for i in patterns:
                batches.extend(_pattern_records(sc, i, pools, t0, t1, seed, scale, service_index, label_set))
            allrec = rec.concat(batches)
            done = allrec["window"] * interval < t1
            if done.all():
                pending, batch = rec.empty(), allrec
            else:
                pending, batch = rec.take(allrec, ~done), rec.take(allrec, done)
            batch = rec.idle_and_skipped(
                sc, batch, t0 // interval, t1 // interval, np.random.default_rng([seed, 31, t0])
            )
            # one stable sort on a packed key: (5-minute file,) start, ENI
            key = (batch["start"] - t0) << 16 | batch["eni"].astype(np.int64)
            if file_format != "cloudwatch":
                key |= (batch["end"] // FILE_SECONDS - t0 // FILE_SECONDS) << 48
            order = np.argsort(key, kind="stable")
            batch = rec.take(batch, order, needed)
            table = columns.table(batch)
            _count(counts, batch)
            if writer is not None:
                writer.write(batch, table)
            if keep_flows:
                tables.append(table)
            if bar is not None:
                bar.update(t1 - t0)
        if bar is not None:
            bar.close()
        labels = label_set.frame()
        files: list[Path] = []
        if folder is not None and writer is not None:
            run = {
                "scenario": sc.name,
                "seed": int(seed),
                "start": f"{datetime.fromtimestamp(t_start, UTC):%Y-%m-%dT%H:%M:%SZ}",
                "end": f"{datetime.fromtimestamp(t_end, UTC):%Y-%m-%dT%H:%M:%SZ}",
                "file_format": file_format,
                "log_format": format_string(fields),
                "layout": layout,
                "anomalies": bool(anomalies),
                "records": counts.get("records", 0),
            }
            files = _commit(folder, writer, labels, run)
    result = SimulationResult(
        scenario=sc,
        seed=seed,
        start=datetime.fromtimestamp(t_start, UTC),
        end=datetime.fromtimestamp(t_end, UTC),
        log_format=format_string(fields),
        file_format=file_format,
        out=out,
        files=files,
        labels=labels,
        records=counts.get("records", 0),
        counts=counts,
    )
    if keep_flows:
        result.flows = _frame(tables, columns)
    _logger.info("simulated %s", result)
    return result


def _pattern_records(
    sc: Scenario,
    index: int,
    pools: Pools,
    t0: int,
    t1: int,
    seed: int,
    scale: float,
    services: dict[str, int],
    label_set: LabelSet | None,
) -> list[dict[str, np.ndarray]]:
    pattern = sc.patterns[index]
    rng = np.random.default_rng([seed, index, t0, 1])
    out = []
    for conns in connections(sc, index, pools, t0, t1, seed=seed, scale=1.0 if pattern.anomaly else scale):
        if not len(conns):
            continue
        batch, _ = rec.expand(sc, conns, pattern.protocol, pattern.close, services, rng)
        out.append(batch)
        if label_set is not None:
            for src, dst, port in rec.request_keys(sc, conns, pattern.protocol):
                label_set.add(src, dst, port, pattern.protocol, index)
    return out


def _transit(
    scenario: str | os.PathLike[str],
    *,
    records: int | None,
    aggregation_interval: int | None,
    keep_flows: bool | None,
    compression: str,
    **arguments,
) -> TransitResult:
    """Run a transit scenario, refusing by name what it cannot do."""
    if records is not None:
        raise ArgumentError(
            "records= is not supported for a transit scenario: its rates are the scenario file's "
            "(traffic[].rate); simulate more or fewer days instead."
        )
    if aggregation_interval not in (None, 60):
        raise ArgumentError(
            f"aggregation_interval {aggregation_interval}: transit gateway flow logs aggregate over 60 seconds, "
            "the only value AWS accepts for them (https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-api-cli.html)."
        )
    if keep_flows is None:  # about 130,000 records a day: keep up to about KEEP_FLOWS_LIMIT of them
        keep_flows = arguments.get("out") is None or arguments.get("days", 1) <= 15
    return simulate_transit(scenario, keep_flows=keep_flows, compression=compression, **arguments)


def _scale_for(
    sc: Scenario,
    target: int,
    t_start: int,
    t_end: int,
    seed: int,
    pools: Pools,
    services: dict,
    patterns: list,
) -> tuple[float, float]:
    """The rate multiplier that makes about ``target`` records (from a one-day trial at rate 1),
    and the records per second it gives."""
    probe_end = t_start + min(86400, t_end - t_start)
    scaled = fixed = 0
    for i in patterns:
        batches = _pattern_records(sc, i, pools, t_start, probe_end, seed, 1.0, services, None)
        n = sum(len(b["eni"]) for b in batches)
        if sc.patterns[i].anomaly:
            fixed += n
        else:
            scaled += n
    factor = (t_end - t_start) / (probe_end - t_start)
    if scaled == 0:
        raise ScenarioError(f"{sc.source}: the scenario makes no traffic to scale up to {target} records.")
    scale = max(1e-3, (target - fixed * factor) / (scaled * factor))
    return scale, (scaled * scale + fixed) / (probe_end - t_start)


_LAST_END = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())


def _start_time(start: str | datetime | None, sc: Scenario) -> int:
    base = int(sc.start.timestamp())
    if start is None:
        return base
    if isinstance(start, datetime):
        return int(parse_utc(start).timestamp())
    text = str(start).strip()
    match = re.fullmatch(r"\+(\d+(?:\.\d+)?)([dhm])", text)
    if match:
        unit = {"d": 86400, "h": 3600, "m": 60}[match.group(2)]
        return base + int(float(match.group(1)) * unit)
    try:
        return int(parse_utc(text).timestamp())
    except ValueError:
        raise FlowkitError(
            f"start {text!r} is not a date-time or offset; use ISO 8601 (2026-11-02T00:00:00Z) or +1d / +6h."
        ) from None


def _commit(folder: OutputFolder, writer: Writer, labels: pd.DataFrame, run: dict) -> list[Path]:
    """Stage the labels, move every file of the run into place and record them; the run's files in order."""
    labels.to_csv(folder.stage("labels.csv"), index=False, lineterminator="\n")
    names = [path.relative_to(folder.staging).as_posix() for path in writer.files]
    for name in names:
        folder.stage(name)  # written there by the writer
    folder.commit(replace_all=True, run=run)
    if folder.foreign:  # a folder simulate did not create (overwrite=True): say what else is there
        others = [
            p
            for p in folder.path.rglob("*")
            if p.is_file()
            and is_flow_log_name(p.name)
            and not is_bookkeeping(p.name)
            and not folder.owns(p.relative_to(folder.path).as_posix())
        ]
        if others:
            warnings.warn(
                f"{folder.path} also holds {len(others)} flow-log file(s) simulate did not write (e.g. "
                f"{others[0].relative_to(folder.path)}): they were left, and readers read them with the new ones.",
                stacklevel=3,
            )
    return [folder.path / name for name in names]


def _count(counts: dict[str, int], b: dict[str, np.ndarray]) -> None:
    counts["records"] = counts.get("records", 0) + len(b["eni"])
    for code, name in ((0, "OK"), (1, "NODATA"), (2, "SKIPDATA")):
        counts[name] = counts.get(name, 0) + int((b["status"] == code).sum())
    ok = b["status"] == 0
    counts["ACCEPT"] = counts.get("ACCEPT", 0) + int((ok & (b["action"] == 0)).sum())
    counts["REJECT"] = counts.get("REJECT", 0) + int((ok & (b["action"] == 1)).sum())


def _frame(tables: list[pa.Table], columns: Columns) -> pd.DataFrame:
    table = pa.concat_tables(tables) if tables else columns.table(rec.empty())
    table = Columns.plain(table).rename_columns([f.column for f in columns.fields])
    table = table.cast(pa.schema([(f.column, f.arrow_type) for f in columns.fields]))
    return from_arrow(table)


def _replace(sc: Scenario, **changes) -> Scenario:
    from dataclasses import replace

    return replace(sc, **changes)


def _progress(enabled: bool, total: int):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="s", unit_scale=True, desc="simulating", leave=False)
