"""The workshop's exercises, one section per notebook; each solver computes its answer from the data.

To add an exercise: decorate a function of a :class:`~flowkit.exercises.Workbench` with
:func:`~flowkit.exercises.exercise`, give it the next id of its notebook, ask the question exactly as the
notebook does, and add its worked solution to ``notebooks/solutions/``. Solvers use pandas on the reader's
frame (not the query engines), so they are an independent check of what the notebooks compute.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pandas as pd

from flowkit.errors import ExerciseError
from flowkit.exercises import Workbench, exercise
from flowkit.schema import FIELDS


def _column(flows: pd.DataFrame, column: str) -> pd.Series:
    if column not in flows:
        raise ExerciseError(f"this exercise needs the `{column}` field, which this data does not have.")
    return flows[column]


# --- 00 Start here ---------------------------------------------------------------------------------------


def _records_traps(wb: Workbench) -> dict[Any, str]:
    flows = wb.flows
    status = _column(flows, "log_status")
    return {
        int(
            status.eq("OK").sum()
        ): "the records with traffic only: NODATA and SKIPDATA records are records too"
    }


@exercise(
    "00.1",
    "How many flow-log records are in the data?",
    "count",
    "every row of the frame `read_flow_logs` returns is one record; `len()` counts rows.",
    traps=_records_traps,
)
def _records(wb: Workbench) -> int:
    return len(wb.flows)


@exercise(
    "00.2",
    "How many distinct network interfaces (ENIs) do the records come from?",
    "count",
    "the ENI is in the `interface_id` column; `.nunique()` counts distinct values.",
)
def _interfaces(wb: Workbench) -> int:
    return int(_column(wb.flows, "interface_id").nunique())


@exercise(
    "00.3",
    "How many log files does the data folder hold?",
    "count",
    "`flowkit.read.list_files(DATA)` lists the flow-log files the reader finds.",
)
def _files(wb: Workbench) -> int:
    from flowkit.read import list_files

    return len(list_files(wb.data))


# --- 02 Anatomy of a flow record -------------------------------------------------------------------------


def _no_data_traps(wb: Workbench) -> dict[Any, str]:
    status = _column(wb.flows, "log_status")
    return {
        int(
            status.eq("NODATA").sum()
        ): "the NODATA records only: SKIPDATA records carry no traffic data either",
        int(
            status.eq("SKIPDATA").sum()
        ): "the SKIPDATA records only: NODATA records carry no traffic data either",
    }


@exercise(
    "02.1",
    "How many records carry no traffic data at all (log status NODATA or SKIPDATA)?",
    "count",
    "look at the `log_status` column; `.isin([...])` selects several values.",
    traps=_no_data_traps,
)
def _no_data(wb: Workbench) -> int:
    return int(_column(wb.flows, "log_status").isin(["NODATA", "SKIPDATA"]).sum())


@exercise(
    "02.2",
    "In which flow-log version did the `tcp-flags` field appear?",
    "count",
    "`flowkit.schema.field_table()` has a `version` column for every field.",
)
def _tcp_flags_version(wb: Workbench) -> int:
    return FIELDS["tcp-flags"].version


@exercise(
    "02.3",
    "Which network interfaces recorded traffic whose original source (`pkt_srcaddr`) is not the "
    "interface's own source address (`srcaddr`)?",
    "set",
    "compare the two columns row by row (`!=`) and keep the rows where they differ; records without traffic "
    "have neither address, so decide what a comparison with a missing value should give (`.fillna`).",
)
def _forwarding_interfaces(wb: Workbench) -> list[str]:
    flows = wb.flows
    differ = _column(flows, "pkt_srcaddr").ne(_column(flows, "srcaddr")).fillna(False)
    return sorted(flows.loc[differ, "interface_id"].dropna().unique())


@exercise(
    "02.4",
    "How many TCP records carry the SYN flag alone (`tcp_flags` is exactly 2)?",
    "count",
    "TCP is protocol 6; SYN alone is the flag value 2; combine the two conditions with `&`.",
)
def _syn_only(wb: Workbench) -> int:
    flows = wb.flows
    mask = _column(flows, "protocol").eq(6) & _column(flows, "tcp_flags").eq(2)
    return int(mask.fillna(False).sum())


# --- 03 Athena queries -----------------------------------------------------------------------------------

SAMPLE_VPC_CIDR = "10.32.0.0/16"
SAMPLE_BASTION_ENI = "eni-1234567890000000"
SAMPLE_BASTION_ADDRESS = "10.32.0.10"
SAMPLE_NAT_ADDRESS = "10.32.0.100"
SAMPLE_APP_ENI = "eni-0c0ffee0a0b0c0d01"
SAMPLE_APP_ADDRESS = "10.32.10.11"
SAMPLE_APP2_ADDRESS = "10.32.11.12"


def _in_cidr(addresses: pd.Series, cidr: str) -> pd.Series:
    """Whether each address is inside ``cidr`` (``False`` for missing or unparsable values)."""
    network = ipaddress.ip_network(cidr)
    inside = []
    for value in addresses.dropna().unique():
        try:
            if ipaddress.ip_address(value) in network:
                inside.append(value)
        except ValueError:
            continue
    return addresses.isin(inside).astype(bool)


def _rejected_outbound_traps(wb: Workbench) -> dict[Any, str]:
    flows = wb.flows
    text_match = _column(flows, "srcaddr").str.startswith("10.32").fillna(False) & flows["action"].eq(
        "REJECT"
    )
    return {int(text_match.sum()): "what `srcaddr like '10.32%'` counts: it matches text, and 10.32x.y.z too"}


@exercise(
    "03.1",
    "How many rejected records have a source address inside the VPC (10.32.0.0/16)?",
    "count",
    "the guide's third query is close, but `like '10.32%'` matches text; the catalogue's `rejected_outbound` "
    "matches the CIDR (mind its `limit`), or count with `contains(...)` in your own SQL.",
    traps=_rejected_outbound_traps,
)
def _rejected_outbound(wb: Workbench) -> int:
    flows = wb.flows
    return int((_in_cidr(_column(flows, "srcaddr"), SAMPLE_VPC_CIDR) & flows["action"].eq("REJECT")).sum())


@exercise(
    "03.2",
    "To which destination ports below 1024 does the first application server's interface "
    "(eni-0c0ffee0a0b0c0d01) send traffic from the server's own address (10.32.10.11)?",
    "set",
    "the query you ran for the bastion works for any interface: `engine.query('outbound_admin_traffic', "
    "eni=..., srcaddr=...)` returns the records (mind its `limit`); or write the SQL with `SELECT DISTINCT "
    "dstport`.",
)
def _app_admin_ports(wb: Workbench) -> list[int]:
    flows = wb.flows
    mask = (
        _column(flows, "interface_id").eq(SAMPLE_APP_ENI)
        & flows["srcaddr"].eq(SAMPLE_APP_ADDRESS)
        & flows["dstport"].lt(1024)
    )
    return sorted(int(p) for p in flows.loc[mask.fillna(False), "dstport"].unique())


@exercise(
    "03.3",
    "Which address outside the VPC receives the most records from the bastion's interface?",
    "text",
    "the guide's second query counts by port *and* address; count by `dstaddr` alone, outside 10.32.0.0/16.",
)
def _bastion_top_destination(wb: Workbench) -> str:
    flows = wb.flows
    mine = flows[_column(flows, "interface_id").eq(SAMPLE_BASTION_ENI).fillna(False)]
    outside = mine[~_in_cidr(mine["dstaddr"], SAMPLE_VPC_CIDR) & mine["dstaddr"].notna()]
    counts = outside.groupby("dstaddr").size()
    if counts.empty:
        raise ExerciseError("no records leave the VPC from the bastion's interface in this data.")
    return str(counts.sort_index().idxmax())


# --- 04 Logs Insights queries ----------------------------------------------------------------------------

SAMPLE_WEB_ENI = "eni-0123456789000000"


@exercise(
    "04.1",
    "How many rejected records are there on the legacy web server's interface (eni-0123456789000000)?",
    "count",
    "name the log stream as CloudWatch does (`<interface-id>-all`), or filter on `interfaceId`; then "
    "`stats count(*)`.",
)
def _web_rejected(wb: Workbench) -> int:
    flows = wb.flows
    return int((_column(flows, "interface_id").eq(SAMPLE_WEB_ENI) & flows["action"].eq("REJECT")).sum())


@exercise(
    "04.2",
    "In which hour of the day (UTC, 0 to 23) were the most records accepted?",
    "hour",
    "the per-hour count of rejected records above is the pattern: change the `filter`, count by `bin(1h)`, "
    "sort, then read the hour of the top row.",
)
def _busiest_accept_hour(wb: Workbench) -> int:
    flows = wb.flows
    accepted = flows.loc[_column(flows, "action").eq("ACCEPT").fillna(False), "start"].dropna()
    if accepted.empty:
        raise ExerciseError("this data has no accepted records.")
    hours = pd.to_datetime(accepted.astype("int64"), unit="s", utc=True).dt.hour
    counts = hours.value_counts().sort_index()
    return int(counts.idxmax())


@exercise(
    "04.3",
    "How many bytes in total did the bastion's interface (eni-1234567890000000) record going to 11.22.33.44?",
    "count",
    "`filter interfaceId = ... and dstAddr = ... | stats sum(bytes)`.",
)
def _bastion_bytes_to_monitoring(wb: Workbench) -> int:
    flows = wb.flows
    mask = _column(flows, "interface_id").eq(SAMPLE_BASTION_ENI) & flows["dstaddr"].eq("11.22.33.44")
    return int(flows.loc[mask.fillna(False), "bytes"].sum())


# --- 01 Enabling flow logs -------------------------------------------------------------------------------


@exercise(
    "01.1",
    "How many fields does the `security` named format hold?",
    "count",
    "`flowkit.aws.NAMED_SETS` maps each set's name to its fields.",
)
def _security_fields(wb: Workbench) -> int:
    from flowkit.aws import NAMED_SETS

    return len(NAMED_SETS["security"])


@exercise(
    "01.2",
    "How many of the bundled sample's fields are not in the default (version 2) format?",
    "count",
    "the sample's columns are fields; `flowkit.schema.BY_COLUMN[column].version` gives each one's version.",
)
def _fields_after_v2(wb: Workbench) -> int:
    from flowkit.schema import BY_COLUMN

    return sum(1 for column in wb.flows.columns if column in BY_COLUMN and BY_COLUMN[column].version > 2)


@exercise(
    "01.3",
    "Which partition columns does the Athena table with partition projection have for Parquet files in "
    "Hive-compatible S3 prefixes, delivered per hour?",
    "set",
    "write the table with `athena_ddl(..., file_format='parquet')` and its `layout` and `per_hour` options, "
    "then read its `PARTITIONED BY` line (a name in backquotes is still one column).",
)
def _hive_hourly_partitions(wb: Workbench) -> list[str]:
    from flowkit.ddl import athena_ddl

    ddl = athena_ddl(
        location="s3://amzn-s3-demo-bucket/flowlogs/",
        file_format="parquet",
        account_id="111122223333",
        regions=["us-east-1"],
        layout="hive",
        per_hour=True,
    )
    line = next(line for line in ddl.splitlines() if line.startswith("PARTITIONED BY"))
    return [part.split()[0].strip("`") for part in line[line.index("(") + 1 : line.rindex(")")].split(",")]


# --- 05 Visualising traffic ------------------------------------------------------------------------------


@exercise(
    "05.1",
    "In which hour of the day (UTC, 0 to 23) were the most bytes recorded?",
    "hour",
    "`plot_traffic_over_time(flows, metric='bytes')` shows it; to be exact, group the bytes by the hour of "
    "`start`.",
)
def _busiest_hour_by_bytes(wb: Workbench) -> int:
    flows = wb.flows[wb.flows["start"].notna()]
    hours = pd.to_datetime(flows["start"].astype("int64"), unit="s", utc=True).dt.hour
    return int(flows.groupby(hours)["bytes"].sum().sort_index().idxmax())


@exercise(
    "05.2",
    "Which source address sent the most bytes?",
    "text",
    "`plot_top_talkers(flows, metric='bytes')`, or group `bytes` by `srcaddr`.",
)
def _top_talker(wb: Workbench) -> str:
    totals = wb.flows.groupby("srcaddr")["bytes"].sum()
    return str(totals.sort_index().idxmax())


@exercise(
    "05.3",
    "Which source address has the most rejected records?",
    "text",
    "`plot_rejected_by_source(flows)`, or count the REJECT records by `srcaddr`.",
)
def _top_rejected_source(wb: Workbench) -> str:
    flows = wb.flows
    counts = flows.loc[flows["action"].eq("REJECT").fillna(False), "srcaddr"].value_counts()
    if counts.empty:
        raise ExerciseError("this data has no rejected records.")
    return str(counts.sort_index().idxmax())


# --- 06 Finding unexpected traffic -----------------------------------------------------------------------
# Notebooks 06 and 07 pass their periods (`check(..., data=periods)`): the allowlist is learned from the
# `baseline` period, and the questions are about the `later` one.


def _allowlist(wb: Workbench) -> tuple[Any, pd.DataFrame]:
    """The allowlist proposed from the workbench's baseline period, and that period's interface addresses."""
    cached = wb.__dict__.get("_allowlist")
    if cached is None:
        from flowkit.baseline import interface_addresses, propose_allowlist

        baseline = wb.baseline
        cached = wb.__dict__["_allowlist"] = (
            propose_allowlist(baseline, vpc_cidrs=[SAMPLE_VPC_CIDR]),
            interface_addresses(baseline),
        )
    return cached


@exercise(
    "06.1",
    "How many unexpected patterns does `find_unexpected` report for the later period, against the allowlist "
    "proposed from the baseline period?",
    "count",
    "`find_unexpected(later, allowlist)` returns one row per pattern.",
)
def _unexpected_patterns(wb: Workbench) -> int:
    from flowkit.baseline import find_unexpected

    allowlist, inventory = _allowlist(wb)
    return len(find_unexpected(wb.flows, allowlist, inventory=inventory))


@exercise(
    "06.2",
    "Which anomalies did the simulator inject from the second application server (10.32.11.12) in the later "
    "period?",
    "set",
    "the ground truth is in the periods' `labels` (one row per flow key, `anomaly:<name>` or "
    "`expected:<name>`); not every key in it occurs in the later period.",
)
def _app2_anomaly_names(wb: Workbench) -> list[str]:
    from flowkit.simulate import label_flows

    labels = wb.labels
    in_data = set(label_flows(wb.flows, labels).dropna().unique())
    mine = labels.loc[labels["srcaddr"].eq(SAMPLE_APP2_ADDRESS), "label"].dropna()
    return sorted(
        {label.split(":", 1)[1] for label in mine if label.startswith("anomaly:") and label in in_data}
    )


@exercise(
    "06.3",
    "Which address inside the VPC, other than the bastion (10.32.0.10) and the NAT gateway (10.32.0.100), opened "
    "SSH connections to an address outside the VPC?",
    "text",
    "look at TCP records to port 22 between an address inside 10.32.0.0/16 and one outside it. On an instance's "
    "own interface `srcaddr` is the instance; on the NAT gateway's interface only the side facing the VPC keeps "
    "it (in `pkt_srcaddr`), while the internet side names nothing but the NAT gateway (notebook 02).",
)
def _ssh_source(wb: Workbench) -> str:
    flows = wb.flows
    real_src = flows["pkt_srcaddr"].fillna(flows["srcaddr"]) if "pkt_srcaddr" in flows else flows["srcaddr"]
    real_dst = flows["pkt_dstaddr"].fillna(flows["dstaddr"]) if "pkt_dstaddr" in flows else flows["dstaddr"]
    mask = (
        flows["protocol"].eq(6).fillna(False)
        & flows["dstport"].eq(22).fillna(False)
        & _in_cidr(real_src, SAMPLE_VPC_CIDR)
        & ~_in_cidr(real_dst, SAMPLE_VPC_CIDR)
        & real_dst.notna()
        & ~real_src.isin([SAMPLE_BASTION_ADDRESS, SAMPLE_NAT_ADDRESS]).fillna(False)
    )
    sources = sorted(real_src[mask].unique())
    if len(sources) != 1:
        raise ExerciseError(f"this data has {len(sources)} such sources; the exercise expects exactly one.")
    return str(sources[0])


# --- 07 From findings to egress rules --------------------------------------------------------------------


@exercise(
    "07.1",
    "How many security-group egress permissions (entries of `IpPermissions`) does the proposed allowlist give "
    "the application server's interface eni-0c0ffee0a0b0c0d01?",
    "count",
    "`rules.security_group_egress(allowlist, source=..., inventory=...)` returns the list.",
)
def _app_permissions(wb: Workbench) -> int:
    from flowkit.rules import security_group_egress

    allowlist, inventory = _allowlist(wb)
    return len(security_group_egress(allowlist, source=SAMPLE_APP_ENI, inventory=inventory))


@exercise(
    "07.2",
    "Which addresses outside the VPC do the records that the proposed rules would stop in the later period "
    "talk to?",
    "set",
    "`rules.what_would_break(allowlist, later, inventory=...)`; an outside address can be the source or the "
    "destination of a record (responses), so look at both columns.",
)
def _stopped_outside(wb: Workbench) -> list[str]:
    from flowkit.rules import what_would_break

    allowlist, inventory = _allowlist(wb)
    stopped = what_would_break(allowlist, wb.flows, inventory=inventory)
    addresses = pd.concat([stopped["srcaddr"], stopped["dstaddr"]]).dropna()
    return sorted(set(addresses[~_in_cidr(addresses, SAMPLE_VPC_CIDR)]))


@exercise(
    "07.3",
    "How many network ACL entries (both directions) does the plan give the subnet of the application server's "
    "interface eni-0c0ffee0a0b0c0d01?",
    "count",
    "`rules.network_acls(allowlist, baseline, ...)` plans every subnet; the inventory says which subnet the "
    "interface is in, and each plan's `entries` holds both directions.",
)
def _acl_entries(wb: Workbench) -> int:
    from flowkit.rules import network_acls

    allowlist, inventory = _allowlist(wb)
    subnet = inventory.loc[inventory["interface_id"] == SAMPLE_APP_ENI, "subnet_id"].iloc[0]
    plans = network_acls(allowlist, wb.baseline, inventory=inventory, vpc_cidrs=[SAMPLE_VPC_CIDR])
    return len(next(p for p in plans if p.subnet_id == subnet).entries)
