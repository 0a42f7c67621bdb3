"""Ground truth: which traffic is expected and which is an injected anomaly.

``labels.csv`` has one row per flow key ``srcaddr,dstaddr,dstport,protocol`` in the *request*
direction (the side that opened the connection), with ``label`` = ``expected:<name>`` or
``anomaly:<name>`` (the scenario entry that made it). ``expected`` is everything the scenario's
``traffic`` makes, which an anomaly-free period has too (rejected background probes included);
``anomaly`` is what its ``anomalies`` inject. A flow through a NAT gateway gets three
keys, one per way it appears in records: client to server (the instance ENI, and the NAT ENI's
pkt-srcaddr/pkt-dstaddr), NAT address to server (the NAT ENI's internet side) and client to NAT
address (the NAT ENI's VPC side, what formats without pkt-* fields show).

To score a record use :func:`label_flows`: it tries the record as a request, then as a response
(ports and addresses swapped), first on pkt-srcaddr/pkt-dstaddr when the format has them, then on
srcaddr/dstaddr. If one key carries both labels (only possible for the client-to-NAT key of two
flows from the same instance to the same port), the anomaly wins.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit.errors import FlowkitError
from flowkit.frames import TEXT, with_flowkit_dtypes

LABEL_COLUMNS = ["srcaddr", "dstaddr", "dstport", "protocol", "label"]


class LabelSet:
    """Collects (src, dst, dport, protocol) keys with the index of their pattern's label.

    Args:
        labels: the label of each pattern index.
        addresses: every address the run can use (each key stores two indices into it).
    """

    def __init__(self, labels: list[str], addresses: np.ndarray) -> None:
        self.labels = labels
        self._addresses = np.unique(np.asarray(addresses, dtype=np.uint32))
        self._keys: set[tuple[int, int]] = set()

    def add(self, src: np.ndarray, dst: np.ndarray, dport: np.ndarray, proto: int, label: int) -> None:
        if not len(src):
            return
        table = self._addresses
        a = np.minimum(np.searchsorted(table, src), len(table) - 1).astype(np.int64)
        b = np.minimum(np.searchsorted(table, dst), len(table) - 1).astype(np.int64)
        if (table[a] != src).any() or (table[b] != dst).any():
            raise ValueError("an address outside the run's address table")
        packed = np.unique((a << 40) | (b << 24) | (dport.astype(np.int64) << 8) | proto)
        self._keys.update(zip(packed.tolist(), [label] * len(packed), strict=True))

    def frame(self) -> pd.DataFrame:
        """The labels as a DataFrame sorted by address, one row per key (anomaly first on a clash)."""
        if not self._keys:
            return with_flowkit_dtypes(pd.DataFrame({c: pd.Series(dtype="object") for c in LABEL_COLUMNS}))
        rows = np.array(sorted(self._keys), dtype=np.int64)
        packed = rows[:, 0]
        frame = pd.DataFrame(
            {
                "_src": self._addresses[packed >> 40],
                "_dst": self._addresses[(packed >> 24) & 0xFFFF],
                "dstport": (packed >> 8) & 0xFFFF,
                "protocol": packed & 255,
                "label": [self.labels[i] for i in rows[:, 1]],
            }
        )
        frame["_rank"] = (~frame["label"].str.startswith("anomaly:")).astype(int)
        frame = frame.sort_values(["_src", "_dst", "dstport", "protocol", "_rank", "label"], kind="stable")
        frame = frame.drop_duplicates(["_src", "_dst", "dstport", "protocol"], keep="first")
        frame.insert(0, "srcaddr", [_dotted(v) for v in frame["_src"].tolist()])
        frame.insert(1, "dstaddr", [_dotted(v) for v in frame["_dst"].tolist()])
        return with_flowkit_dtypes(frame[LABEL_COLUMNS].reset_index(drop=True))


def _dotted(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def read_labels(path) -> pd.DataFrame:
    """Read a ``labels.csv`` written by the simulator.

    Raises:
        FlowkitError: the file cannot be read, or is not CSV with whole-number ports and protocols.
    """
    try:
        frame = pd.read_csv(
            path, dtype={"srcaddr": str, "dstaddr": str, "dstport": "int64", "protocol": "int64"}
        )
    except OSError as exc:
        raise FlowkitError(f"{path}: cannot read the labels ({exc.strerror or exc}).") from None
    except (UnicodeDecodeError, ValueError) as exc:  # pandas' EmptyDataError/ParserError are ValueErrors
        reason = " ".join(str(exc).split())
        raise FlowkitError(
            f"{path}: not a labels.csv as the simulator writes it "
            f"(srcaddr,dstaddr,dstport,protocol,label): {reason}"
        ) from None
    return with_flowkit_dtypes(frame)


def label_flows(flows_df: pd.DataFrame, labels_df: pd.DataFrame) -> pd.Series:
    """The ground-truth label of each flow-log record (``<NA>`` for NODATA/SKIPDATA or unknown).

    Args:
        flows_df: records with Athena column names, as :func:`flowkit.read_flow_logs` returns
            them: needs ``srcaddr``, ``dstaddr``, ``srcport``, ``dstport``, ``protocol``; uses
            ``pkt_srcaddr``/``pkt_dstaddr`` when present.
        labels_df: the simulator's labels (``result.labels`` or :func:`read_labels`).

    Returns:
        A string Series aligned with ``flows_df``: ``expected:<name>``, ``anomaly:<name>`` or NA.

    Examples:
        >>> flows = pd.DataFrame({"srcaddr": ["10.0.0.5", "52.1.1.1"], "dstaddr": ["52.1.1.1", "10.0.0.5"],
        ...                       "srcport": [40000, 443], "dstport": [443, 40000], "protocol": [6, 6]})
        >>> labels = pd.DataFrame({"srcaddr": ["10.0.0.5"], "dstaddr": ["52.1.1.1"], "dstport": [443],
        ...                        "protocol": [6], "label": ["expected:https"]})
        >>> label_flows(flows, labels).tolist()
        ['expected:https', 'expected:https']
    """
    need = {"srcaddr", "dstaddr", "srcport", "dstport", "protocol"} - set(flows_df.columns)
    if need:
        raise FlowkitError(
            f"label_flows needs the columns {', '.join(sorted(need))} (Athena names, as read_flow_logs returns)."
        )
    missing_labels = set(LABEL_COLUMNS) - set(labels_df.columns)
    if missing_labels:
        raise FlowkitError(
            f"the labels have no column {', '.join(sorted(missing_labels))}; expected {LABEL_COLUMNS}."
        )
    keys = labels_df[LABEL_COLUMNS].copy()
    keys["srcaddr"] = keys["srcaddr"].astype(str)
    keys["dstaddr"] = keys["dstaddr"].astype(str)
    keys["dstport"] = keys["dstport"].astype("int64")
    keys["protocol"] = keys["protocol"].astype("int64")
    keys = keys.drop_duplicates(["srcaddr", "dstaddr", "dstport", "protocol"])
    result = pd.Series(pd.NA, index=flows_df.index, dtype=TEXT)
    pairs = [("srcaddr", "dstaddr")]
    if {"pkt_srcaddr", "pkt_dstaddr"} <= set(flows_df.columns):
        pairs.insert(0, ("pkt_srcaddr", "pkt_dstaddr"))
    proto = flows_df["protocol"].astype("Int64").fillna(-1).to_numpy("int64")
    for src_col, dst_col in pairs:
        src = flows_df[src_col].astype("string").fillna("").to_numpy(object)
        dst = flows_df[dst_col].astype("string").fillna("").to_numpy(object)
        for a, b, port_col in ((src, dst, "dstport"), (dst, src, "srcport")):
            missing = result.isna().to_numpy()
            if not missing.any():
                return result
            probe = pd.DataFrame(
                {
                    "srcaddr": a[missing],
                    "dstaddr": b[missing],
                    "dstport": flows_df[port_col].astype("Int64").fillna(-1).to_numpy("int64")[missing],
                    "protocol": proto[missing],
                }
            )
            found = probe.merge(keys, how="left", on=["srcaddr", "dstaddr", "dstport", "protocol"])["label"]
            result.iloc[np.flatnonzero(missing)] = found.to_numpy(object)
    return result
