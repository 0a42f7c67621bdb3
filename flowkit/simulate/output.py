"""Turn record batches into flow-log columns (any format) and write them as AWS delivers them.

- text: ``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/<account>_vpcflowlogs_<region>_<fl-id>_
  <YYYYMMDDTHHmmZ>_<hash>.log.gz`` (or another layout of :mod:`flowkit.layout`, which builds the
  keys), one file per 5 minutes (records by end time), gzip with mtime 0, a header line of
  hyphenated field names, ``-`` for nulls;
- parquet: the same layout, ``.log.parquet``, hyphenated column names typed per :class:`Field`;
- cloudwatch: ``cloudwatch/<eni>-all.jsonl``, one JSON event per line
  (``timestamp`` = start in ms, ``logStream``, ``message`` = the record line, no header).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from flowkit.layout import FILE_KINDS, delivery_prefix, delivery_suffix, file_name
from flowkit.schema import Field, record_version
from flowkit.simulate.records import FIELD_COLUMNS
from flowkit.simulate.scenario import Scenario

FILE_SECONDS = 300
FILE_FORMATS = FILE_KINDS  # text and parquet in an S3 layout (flowkit.layout.LAYOUTS), or CloudWatch events
_OCTETS = pa.array([str(i) for i in range(256)])
_INTERFACE_TYPES = {
    "instance": "interface",
    "ecs-task": "interface",
    "rds": "interface",
    "nat-gateway": "nat_gateway",
    "load-balancer": "load_balancer",
    "vpc-endpoint": "vpc_endpoint",
}


class Columns:
    """Builds Arrow columns for a scenario's records in one log format."""

    def __init__(
        self,
        scenario: Scenario,
        fields: list[Field],
        services: list[str],
        addresses: np.ndarray | None = None,
    ) -> None:
        self.fields = fields
        self.version = record_version(fields)
        enis = scenario.enis
        region = scenario.region
        self._eni = {
            "account-id": [e.account or scenario.account for e in enis],
            "interface-id": [e.id for e in enis],
            "vpc-id": [scenario.vpc_id for _ in enis],
            "subnet-id": [e.subnet.id for e in enis],
            "instance-id": [e.instance_id for e in enis],
            "region": [region for _ in enis],
            "az-id": [e.subnet.az_id for e in enis],
            "interface-type": [_INTERFACE_TYPES[e.kind] for e in enis],
        }
        for name, values in _ecs_columns(scenario).items():
            self._eni[name] = values
        self._eni_arrays = {k: pa.array(v, pa.string()) for k, v in self._eni.items()}
        self._eni_codes = {k: _dictionary(v) for k, v in self._eni.items()}
        self._services = pa.array(services or [""], pa.string())
        known = np.unique(np.asarray(addresses if addresses is not None else [], dtype=np.uint32))
        self._known = known
        self.addresses = known
        self._known_index = pd.Index(known)
        self._known_text = _ip_strings(known, np.ones(len(known), bool))

    def table(self, b: dict[str, np.ndarray]) -> pa.Table:
        """The records as an Arrow table with hyphenated field names, typed per Field.type."""
        return pa.table({f.name: self.column(f, b) for f in self.fields})

    def column(self, f: Field, b: dict[str, np.ndarray]) -> pa.Array:
        n = len(b["eni"])
        ok = b["status"] == 0
        name = f.name
        if name == "version":
            return pa.array(np.full(n, self.version, np.int32))
        if name in self._eni_codes:
            dictionary, codes = self._eni_codes[name]
            picked = codes[b["eni"]]
            return _dict_array(picked, picked < 0, dictionary)
        if name in ("srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"):
            return self._addresses(b[FIELD_COLUMNS[name][0]], ok)
        if name in ("srcport", "dstport", "protocol", "tcp-flags"):
            return pa.array(b[FIELD_COLUMNS[name][0]].astype(np.int32), mask=~ok)
        if name in ("packets", "bytes"):
            return pa.array(b[name], mask=~ok)
        if name in ("start", "end"):
            return pa.array(b[name])
        if name == "action":
            return _dict_array(b["action"], ~ok, _ACTIONS)
        if name == "log-status":
            return _dict_array(b["status"], None, _STATUSES)
        if name == "flow-direction":
            return _dict_array(b["egress"], ~ok, _DIRECTIONS)
        if name == "type":
            return _dict_array(np.zeros(n, np.int8), ~ok, _TYPES)
        if name == "traffic-path":
            return pa.array(b["path"].astype(np.int32), mask=~ok | (b["path"] < 0))
        if name in ("pkt-src-aws-service", "pkt-dst-aws-service"):
            codes = b["svc_src" if name == "pkt-src-aws-service" else "svc_dst"]
            return _dict_array(codes, ~ok | (codes < 0), self._services)
        return pa.nulls(
            n, pa.int32() if f.type == "int32" else pa.int64() if f.type == "int64" else pa.string()
        )

    def _addresses(self, values: np.ndarray, valid: np.ndarray) -> pa.Array:
        if len(self._known):
            index = self._known_index.get_indexer(values)  # hash lookup: O(n)
            if (index >= 0).all():
                return _dict_array(index, ~valid, self._known_text)
        unique, inverse = np.unique(values, return_inverse=True)
        return _dict_array(inverse, ~valid, _ip_strings(unique, np.ones(len(unique), bool)))

    def lines(self, table: pa.Table) -> pa.Array:
        """Each record as its text line (fields separated by spaces, ``-`` for null)."""
        texts = []
        for column in table.columns:
            if not pa.types.is_string(column.type):
                column = pc.cast(column, pa.string())
            texts.append(pc.fill_null(column, "-"))
        return pc.binary_join_element_wise(*texts, " ").combine_chunks()

    @staticmethod
    def plain(table: pa.Table) -> pa.Table:
        """The table with dictionary-encoded text columns decoded to plain strings."""
        return pa.table(
            {
                name: pc.cast(column, pa.string()) if pa.types.is_dictionary(column.type) else column
                for name, column in zip(table.column_names, table.columns, strict=True)
            }
        )

    def interface_ids(self, eni: np.ndarray) -> pa.Array:
        """The interface-id of each record (plain strings)."""
        return self._eni_arrays["interface-id"].take(pa.array(eni.astype(np.int32)))

    def header(self) -> str:
        return " ".join(f.name for f in self.fields)


def _ip_strings(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    octets = [_OCTETS.take(pa.array(((values >> shift) & 255).astype(np.int32))) for shift in (24, 16, 8, 0)]
    text = pc.binary_join_element_wise(*octets, ".")
    if valid.all():
        return text
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


_ACTIONS = pa.array(["ACCEPT", "REJECT"])
_STATUSES = pa.array(["OK", "NODATA", "SKIPDATA"])
_DIRECTIONS = pa.array(["ingress", "egress"])
_TYPES = pa.array(["IPv4"])


def _dictionary(values: list[str | None]) -> tuple[pa.Array, np.ndarray]:
    """A per-ENI text attribute as (dictionary of distinct values, code per ENI with -1 for null)."""
    distinct = sorted({v for v in values if v is not None}) or [""]
    position = {v: i for i, v in enumerate(distinct)}
    codes = np.array([position[v] if v is not None else -1 for v in values], dtype=np.int32)
    return pa.array(distinct, pa.string()), codes


def _dict_array(codes: np.ndarray, mask: np.ndarray | None, dictionary: pa.Array) -> pa.DictionaryArray:
    """Text as dictionary indices: cheap to build and written by Parquet without re-encoding."""
    indices = np.where(codes < 0, 0, codes).astype(np.int32) if mask is not None else codes.astype(np.int32)
    if mask is not None and not mask.any():
        mask = None
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=mask), dictionary)


def _ecs_columns(scenario: Scenario) -> dict[str, list[str | None]]:
    prefix = f"arn:aws:ecs:{scenario.region}:{scenario.account}"
    cols: dict[str, list[str | None]] = {}
    names = (
        "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
        "ecs-container-id", "ecs-second-container-id", "ecs-service-name", "ecs-task-definition-arn",
        "ecs-task-arn", "ecs-task-id",
    )  # fmt: skip
    for name in names:
        cols[name] = []
    for eni in scenario.enis:
        e = eni.ecs
        if e is None:
            for name in names:
                cols[name].append(None)
            continue
        ids = [hashlib.sha256(f"{e['task_id']}/{k}".encode()).hexdigest() for k in range(2)]
        on_ec2 = e["launch_type"] == "ec2" and e["container_instance_id"]
        cols["ecs-cluster-arn"].append(f"{prefix}:cluster/{e['cluster']}")
        cols["ecs-cluster-name"].append(e["cluster"])
        cols["ecs-container-instance-arn"].append(
            f"{prefix}:container-instance/{e['cluster']}/{e['container_instance_id']}" if on_ec2 else None
        )
        cols["ecs-container-instance-id"].append(e["container_instance_id"] if on_ec2 else None)
        cols["ecs-container-id"].append(ids[0])
        cols["ecs-second-container-id"].append(ids[1] if e["containers"] > 1 else None)
        cols["ecs-service-name"].append(e["service"])
        cols["ecs-task-definition-arn"].append(f"{prefix}:task-definition/{e['task_definition']}")
        cols["ecs-task-arn"].append(f"{prefix}:task/{e['cluster']}/{e['task_id']}")
        cols["ecs-task-id"].append(e["task_id"])
    return cols


class Writer:
    """Writes sorted record batches into the delivery layout of one file format."""

    def __init__(
        self,
        out: Path,
        scenario: Scenario,
        columns: Columns,
        file_format: str,
        seed: int,
        compression: str = "snappy",
        layout: str = "default",
    ) -> None:
        self.layout = layout
        codec, _, level = compression.partition("-")
        self.compression = codec
        self.compression_level = int(level) if level else None
        self.out = out
        self.scenario = scenario
        self.columns = columns
        self.file_format = file_format
        self.seed = seed
        self.files: list[Path] = []
        self._streams: dict[int, Path] = {}

    def write(self, b: dict[str, np.ndarray], table: pa.Table) -> None:
        """Write one flushed batch (sorted by file window, start, ENI) and its Arrow table."""
        if not len(table):
            return
        if self.file_format == "cloudwatch":
            self._write_cloudwatch(b, table)
            return
        slot = b["end"] // FILE_SECONDS
        cuts = np.flatnonzero(np.diff(slot)) + 1
        bounds = [0, *cuts.tolist(), len(slot)]
        lines = None
        text = self._dictionary_columns(table)
        numbers = [name for name in table.column_names if name not in text]
        if self.file_format == "text":
            lines = pc.binary_join_element_wise(self.columns.lines(table), "", "\n")
        for lo, hi in itertools.pairwise(bounds):
            path = self._path(int(slot[lo]) * FILE_SECONDS)
            path.parent.mkdir(parents=True, exist_ok=True)
            if lines is None:
                with path.open("wb") as handle:
                    pq.write_table(
                        table.slice(lo, hi - lo),
                        handle,
                        compression=self.compression,
                        compression_level=self.compression_level,
                        store_schema=False,  # readers see plain string columns, as in AWS's files
                        use_dictionary=text,
                        write_statistics=numbers,  # min/max on text columns would double the cost
                    )
            else:
                body = _joined(lines.slice(lo, hi - lo))
                data = (self.columns.header() + "\n").encode() + body
                path.write_bytes(_gzip(data))
            self.files.append(path)

    @staticmethod
    def _dictionary_columns(table: pa.Table) -> list[str]:
        """Dictionary-encode the text columns (few distinct values); numbers are written plain."""
        return [
            name
            for name, t in zip(table.column_names, table.schema.types, strict=True)
            if not pa.types.is_integer(t)
        ]

    def _path(self, stamp: int) -> Path:
        s = self.scenario
        when = datetime.fromtimestamp(stamp, UTC)
        digest = hashlib.sha256(f"{s.name}/{self.seed}/{s.flow_log_id}/{stamp}".encode()).hexdigest()[:8]
        suffix = delivery_suffix(self.file_format)
        name = file_name(s.account, s.region, s.flow_log_id, when, digest, suffix=suffix)
        return self.out / delivery_prefix(s.account, s.region, when, self.layout) / name

    def _write_cloudwatch(self, b: dict[str, np.ndarray], table: pa.Table) -> None:
        lines = self.columns.lines(table)
        ids = self.columns.interface_ids(b["eni"])
        events = pc.binary_join_element_wise(
            '{"timestamp": ',
            pc.cast(pa.array(b["start"] * 1000), pa.string()),
            ', "logStream": "',
            ids,
            '-all", "message": "',
            lines,
            '"}\n',
            "",
        )
        order = np.argsort(b["eni"], kind="stable")
        enis = b["eni"][order]
        cuts = np.flatnonzero(np.diff(enis)) + 1
        bounds = [0, *cuts.tolist(), len(enis)]
        folder = self.out / "cloudwatch"
        folder.mkdir(parents=True, exist_ok=True)
        for lo, hi in itertools.pairwise(bounds):
            eni = int(enis[lo])
            path = self._streams.get(eni)
            if path is None:
                path = folder / f"{self.scenario.enis[eni].id}-all.jsonl"
                path.write_bytes(b"")
                self._streams[eni] = path
                self.files.append(path)
            with path.open("ab") as handle:
                handle.write(_joined(events.take(pa.array(order[lo:hi]))))


def _joined(lines: pa.Array) -> bytes:
    """The text of a string array's values, back to back, without copying the whole buffer."""
    if not len(lines):
        return b""
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    offsets = np.frombuffer(lines.buffers()[1], dtype=width)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


def _gzip(data: bytes) -> bytes:
    """gzip with fixed header bytes (mtime 0, OS byte 3 = Unix), so the same records give the same file
    on every Python (3.13 writes OS 255 where earlier versions wrote 3)."""
    compressed = bytearray(gzip.compress(data, compresslevel=6, mtime=0))
    compressed[9] = 3
    return bytes(compressed)
