"""Athena ``CREATE EXTERNAL TABLE`` statements for flow logs delivered to S3.

:func:`athena_ddl` writes the table for any log format (column order = format order, as text
tables need), for text (space-delimited, gzip, header line skipped) or Parquet, over the S3
delivery layouts (plain or Hive-compatible prefixes, daily or per-hour), with partition projection
(no partitions to load), Hive partitions (``MSCK REPAIR TABLE``) or none.

Partition columns (the local engine's ``vpc_flow_logs`` view has the same, see
:mod:`flowkit.engines.local`):

* plain layout, ``partitioning="projection"`` (the default, as AWS's ``test_table_vpclogs``):
  ``region`` (enum of ``regions``) and ``day`` (``yyyy/MM/dd`` string), plus ``hour`` (``HH``) with
  ``per_hour=True``, and ``accid`` when several ``accounts`` are projected. AWS drops the
  ``region`` column from such tables; flowkit does that for Parquet (read by name) but keeps the
  column for text (read by position) and names the partition ``aws_region`` instead.
* Hive-compatible layout: AWS's keys ``aws-account-id``, ``aws-service``, ``aws-region``,
  ``year``, ``month``, ``day`` (and ``hour``), all strings, projected or loaded with
  ``MSCK REPAIR TABLE``.

Examples:
    >>> print(athena_ddl(location="s3://bucket/logs/", account_id="123456789012").splitlines()[0])
    CREATE EXTERNAL TABLE IF NOT EXISTS `vpc_flow_logs` (
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from flowkit.errors import FlowkitError
from flowkit.layout import ROOT, SERVICE, build_prefix, hive_partition_keys, service_prefix
from flowkit.schema import Field, LogFormatSpec, resolve_log_format

__all__ = ["DEFAULT_REGIONS", "athena_ddl"]

#: Regions projected when none are given (the commercial Regions).
DEFAULT_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
    "ap-south-1", "me-central-1", "af-south-1",
)  # fmt: skip

# Hive DDL reserved words that flow-log columns or partitions could collide with.
_RESERVED = {
    "all", "array", "bigint", "binary", "boolean", "by", "case", "cast", "char", "column", "current", "date",
    "decimal", "double", "end", "exists", "false", "float", "from", "function", "group", "int", "interval",
    "left", "like", "map", "none", "null", "of", "order", "partition", "range", "right", "row", "rows",
    "select", "table", "timestamp", "to", "true", "user", "using", "values", "when", "where", "window",
}  # fmt: skip

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


class DDLError(FlowkitError):
    """The arguments do not describe a table flowkit can write."""


def _name(identifier: str) -> str:
    """Backtick a DDL identifier when it is reserved or not a plain lowercase name."""
    if identifier in _RESERVED or not _IDENTIFIER.fullmatch(identifier):
        return f"`{identifier}`"
    return identifier


def _table_identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise DDLError(f"{what} {name!r} is not a valid Athena name: use lowercase letters, digits and _.")
    return f"`{name}`"


def _base(location: str) -> str:
    if not location.startswith("s3://") or "'" in location or "\\" in location or " " in location:
        raise DDLError(
            f"location {location!r} must be an s3:// URI (no quotes or spaces), e.g. s3://bucket/prefix/."
        )
    base = location if location.endswith("/") else location + "/"
    return base


def _plain_prefix(
    base: str, account_id: str | None, accounts: Sequence[str] | None
) -> tuple[str, str | None]:
    """The ``.../vpcflowlogs/`` prefix and the projected account key, if any."""
    match = re.search(rf"{ROOT}/(\d{{12}})/({SERVICE}/)?$", base)
    if match:
        return base + ("" if match.group(2) else f"{SERVICE}/"), None
    if f"{ROOT}/" in base:
        raise DDLError(
            f"location {base!r}: give the prefix above AWSLogs/, or .../AWSLogs/<account>/vpcflowlogs/."
        )
    if accounts:
        return base + service_prefix("${accid}"), "accid"
    if account_id:
        return base + service_prefix(account_id), None
    raise DDLError(
        "the S3 layout puts the account in the path: give account_id='123456789012' (or accounts=[...]), "
        "or a location ending in AWSLogs/<account>/vpcflowlogs/."
    )


def _is_date(day: str) -> bool:
    """Whether a ``yyyy/MM/dd`` text names a day of the calendar (not 2026/13/45)."""
    try:
        datetime.strptime(day, "%Y/%m/%d")
    except ValueError:
        return False
    return True


def athena_ddl(
    *,
    log_format: LogFormatSpec | None = None,
    location: str,
    file_format: Literal["text", "parquet"] = "text",
    partitioning: Literal["projection", "hive", "none"] = "projection",
    table: str = "vpc_flow_logs",
    database: str | None = None,
    account_id: str | None = None,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    layout: Literal["plain", "hive"] = "plain",
    per_hour: bool = False,
    start_day: str = "2021/01/01",
) -> str:
    """Write the Athena ``CREATE EXTERNAL TABLE`` statement for flow logs in S3.

    Args:
        log_format: the flow log's format, in any spelling of :func:`~flowkit.schema.resolve_log_format`
            (``${version} ${account-id} ...``, ``"v5"``, ``"security"``, a list of fields); default:
            AWS's default.
        location: the S3 prefix the flow log delivers to (``s3://bucket/prefix/``), or
            ``.../AWSLogs/<account>/vpcflowlogs/``; with ``partitioning="none"`` the exact prefix to read.
        file_format: ``"text"`` (gzip, space-delimited, header line) or ``"parquet"``.
        partitioning: ``"projection"`` (partition projection: nothing to load), ``"hive"``
            (Hive-compatible prefixes, loaded with ``MSCK REPAIR TABLE``) or ``"none"``.
        table: table name.
        database: database name, to write ``database.table``.
        account_id: the account in the S3 path (plain layout).
        accounts: several accounts, projected as the ``accid`` partition (plain) or
            ``aws-account-id`` (Hive layout).
        regions: Regions to project (default :data:`DEFAULT_REGIONS`).
        layout: ``"plain"`` (``AWSLogs/<acct>/vpcflowlogs/<region>/YYYY/MM/DD/``) or ``"hive"``
            (``aws-account-id=.../aws-service=vpcflowlogs/aws-region=.../year=.../``).
        per_hour: whether the flow log writes per-hour prefixes (an ``hour`` partition).
        start_day: first day of the projected date range, ``yyyy/MM/dd``.

    Returns:
        The statement, ending with ``;``.

    Raises:
        DDLError: on an invalid name, location, account or Region; FormatError on a bad format.
    """
    fields = resolve_log_format(log_format)
    if file_format not in ("text", "parquet"):
        raise DDLError(f"file_format {file_format!r}: use 'text' or 'parquet'.")
    if partitioning not in ("projection", "hive", "none"):
        raise DDLError(f"partitioning {partitioning!r}: use 'projection', 'hive' or 'none'.")
    if layout not in ("plain", "hive"):
        raise DDLError(f"layout {layout!r}: use 'plain' or 'hive'.")
    if partitioning == "hive":
        layout = "hive"
    for acct in [account_id, *(accounts or [])]:
        if acct is not None and not _ACCOUNT.fullmatch(acct):
            raise DDLError(f"account {acct!r} is not a 12-digit AWS account id.")
    accounts = list(dict.fromkeys(accounts)) if accounts else accounts  # a repeated value would double rows
    region_list = list(dict.fromkeys(regions or DEFAULT_REGIONS))
    for region in region_list:
        if not _REGION.fullmatch(region):
            raise DDLError(f"{region!r} is not a Region name such as 'us-east-1'.")
    if not re.fullmatch(r"\d{4}/\d{2}/\d{2}", start_day) or not _is_date(start_day):
        raise DDLError(f"start_day {start_day!r}: write a real day as yyyy/MM/dd, e.g. 2026/11/02.")

    base = _base(location)
    partitions: list[tuple[str, str]] = []
    props: list[tuple[str, str]] = []
    if partitioning != "none" and layout == "plain":
        prefix, acct_key = _plain_prefix(base, account_id, accounts)
        region_key = (
            "aws_region" if file_format == "text" and "region" in {f.name for f in fields} else "region"
        )
        keys = ([acct_key] if acct_key else []) + [region_key, "day"] + (["hour"] if per_hour else [])
        partitions = [(k, "string") for k in keys]
        template = prefix + "${" + region_key + "}/${day}" + ("/${hour}" if per_hour else "")
        props += [("projection.enabled", "true")]
        if acct_key:
            props += [
                (f"projection.{acct_key}.type", "enum"),
                (f"projection.{acct_key}.values", ",".join(accounts)),
            ]
        props += [
            (f"projection.{region_key}.type", "enum"),
            (f"projection.{region_key}.values", ",".join(region_list)),
            ("projection.day.type", "date"),
            ("projection.day.range", f"{start_day},NOW"),
            ("projection.day.format", "yyyy/MM/dd"),
            ("projection.day.interval", "1"),
            ("projection.day.interval.unit", "DAYS"),
        ]
        if per_hour:
            props += [("projection.hour.type", "integer"), ("projection.hour.range", "0,23"),
                      ("projection.hour.digits", "2")]  # fmt: skip
        props += [("storage.location.template", template)]
        table_location = prefix.split("${")[0]
    elif partitioning != "none":  # Hive-compatible prefixes
        partitions = [(k, "string") for k in hive_partition_keys(per_hour)]
        root = base.removesuffix(f"{ROOT}/")
        table_location = f"{root}{ROOT}/"
        if partitioning == "projection":
            accts = list(accounts or ([account_id] if account_id else []))
            if not accts:
                raise DDLError("a projected Hive layout needs account_id='123456789012' (or accounts=[...]).")
            props += [
                ("projection.enabled", "true"),
                ("projection.aws-account-id.type", "enum"),
                ("projection.aws-account-id.values", ",".join(accts)),
                ("projection.aws-service.type", "enum"),
                ("projection.aws-service.values", "vpcflowlogs"),
                ("projection.aws-region.type", "enum"),
                ("projection.aws-region.values", ",".join(region_list)),
                ("projection.year.type", "integer"),
                ("projection.year.range", f"{start_day[:4]},2099"),
                ("projection.month.type", "integer"),
                ("projection.month.range", "1,12"),
                ("projection.month.digits", "2"),
                ("projection.day.type", "integer"),
                ("projection.day.range", "1,31"),
                ("projection.day.digits", "2"),
            ]
            if per_hour:
                props += [("projection.hour.type", "integer"), ("projection.hour.range", "0,23"),
                          ("projection.hour.digits", "2")]  # fmt: skip
            keys = {k: "${" + k + "}" for k in hive_partition_keys(per_hour)}
            template = root + build_prefix(
                keys["aws-account-id"],
                keys["aws-region"],
                keys["year"],
                keys["month"],
                keys["day"],
                keys.get("hour"),
                hive=True,
                service=keys["aws-service"],
            )
            props += [("storage.location.template", template)]
    else:
        table_location = base

    partition_names = {name for name, _ in partitions}
    columns: list[Field] = [f for f in fields if f.column not in partition_names]
    return _statement(
        table=table,
        database=database,
        columns=columns,
        partitions=partitions,
        file_format=file_format,
        location=table_location,
        props=props,
    )


def _statement(
    *,
    table: str,
    database: str | None,
    columns: list[Field],
    partitions: list[tuple[str, str]],
    file_format: str,
    location: str,
    props: list[tuple[str, str]],
) -> str:
    name = _table_identifier(table, "table")
    if database:
        name = f"{_table_identifier(database, 'database')}.{name}"
    lines = [f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} ("]
    width = max(len(_name(f.column)) for f in columns)
    lines += [
        f"  {_name(f.column).ljust(width)} {f.athena_type}{',' if i < len(columns) - 1 else ''}"
        for i, f in enumerate(columns)
    ]
    lines.append(")")
    if partitions:
        lines.append("PARTITIONED BY (" + ", ".join(f"{_name(k)} {t}" for k, t in partitions) + ")")
    if file_format == "text":
        lines += ["ROW FORMAT DELIMITED", "FIELDS TERMINATED BY ' '"]
        # '-' is NULL in every column, as flowkit's reader reads it: without this, Athena's LazySimpleSerDe
        # keeps '-' in a NODATA record's string fields (only numbers become NULL), and `srcaddr <> 'x'`
        # would count those records on Athena but not locally (docs/athena-semantics.md, "Text tables").
        props = [("skip.header.line.count", "1"), ("serialization.null.format", "-"), *props]
    else:
        lines.append("STORED AS PARQUET")
    lines.append(f"LOCATION '{location}'")
    if props:
        lines.append("TBLPROPERTIES (")
        lines += [f"  '{k}' = '{v}'{',' if i < len(props) - 1 else ''}" for i, (k, v) in enumerate(props)]
        lines.append(")")
    return "\n".join(lines) + ";"
