"""The flow-log database and table: from flowkit's DDL, created by Athena or registered in Glue.

- :func:`create_database` makes the Glue database.
- :func:`create_table` writes the table's DDL with :func:`flowkit.ddl.athena_ddl` (partition
  projection by default) and creates it; :func:`table_for_plan` does so for a flow-log plan
  (location, format, Parquet, Hive, per-hour, account and Region taken from the plan).
- :func:`register_partitions` registers, in Glue, the partitions of a table over Hive-compatible
  prefixes without partition projection (``partitioning="hive"``), which Athena otherwise cannot
  see: :func:`create_table` calls it for such tables, and it can be re-run to add new days.
- :func:`create_table_from_ddl` runs a DDL in Athena (``method="athena"``) or registers the same
  table in Glue through ``wr.catalog.create_csv_table`` / ``create_parquet_table``
  (``method="glue"``), keeping columns, partition keys, SerDe and every table property exactly as
  the DDL has them. ``"auto"`` uses Glue in the sandbox (moto's Athena does not register DDL
  tables in Glue) and Athena otherwise.

These are re-exported by :mod:`flowkit.aws.athena` and :mod:`flowkit.aws`.

Example (notebook 01, in the sandbox)::

    with flowkit.aws.sandbox() as sb:
        plan = flowkit.aws.plan_flow_logs([sb.vpc_id], f"s3://{sb.bucket}/flowlogs/", boto3_session=sb.session)
        flowkit.aws.apply(plan, boto3_session=sb.session)
        flowkit.aws.create_database("flowkit", boto3_session=sb.session)
        table = flowkit.aws.table_for_plan(plan, database="flowkit", boto3_session=sb.session)
        print(table["ddl"])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flowkit import sessions
from flowkit.errors import AWSError, PlanError, QueryError

if TYPE_CHECKING:
    import boto3

    from flowkit.aws.plan_types import FlowLogPlan
    from flowkit.schema import LogFormatSpec

__all__ = [
    "create_database",
    "create_table",
    "create_table_from_ddl",
    "get_table",
    "projection_settings",
    "register_partitions",
    "table_for_plan",
    "table_from_ddl",
]


def table_from_ddl(ddl: str) -> dict[str, Any]:
    """Read a ``CREATE EXTERNAL TABLE`` statement into what Glue needs.

    Returns:
        ``{"database", "table", "columns": {name: type}, "partitions": {name: type}, "location",
        "file_format": "text"|"parquet", "sep", "parameters": {TBLPROPERTIES}}``.

    Raises:
        QueryError: if the text is not a CREATE TABLE statement with columns.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(ddl, read="athena")
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"the table DDL does not parse: {exc}") from None
    if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
        raise QueryError("the table DDL is not a CREATE TABLE statement with a column list.")
    table = tree.this.this
    columns = {c.name: c.args["kind"].sql(dialect="hive").lower() for c in tree.this.expressions}
    info: dict[str, Any] = {
        "database": table.db or None,
        "table": table.name,
        "columns": columns,
        "partitions": {},
        "location": None,
        "file_format": "text",
        "sep": None,
        "parameters": {},
    }
    for prop in tree.args["properties"].expressions if tree.args.get("properties") else []:
        if isinstance(prop, exp.PartitionedByProperty):
            info["partitions"] = {
                c.name: c.args["kind"].sql(dialect="hive").lower() for c in prop.this.expressions
            }
        elif isinstance(prop, exp.LocationProperty):
            info["location"] = prop.this.name
        elif isinstance(prop, exp.RowFormatDelimitedProperty) and prop.args.get("fields"):
            info["sep"] = prop.args["fields"].name
        elif isinstance(prop, exp.FileFormatProperty) and "PARQUET" in prop.sql().upper():
            info["file_format"] = "parquet"
        elif type(prop) is exp.Property:
            info["parameters"][prop.this.name] = prop.args["value"].name
    return info


_PROJECTION_KEYS = {
    "type": "projection_types",
    "range": "projection_ranges",
    "values": "projection_values",
    "interval": "projection_intervals",
    "digits": "projection_digits",
    "format": "projection_formats",
}


def projection_settings(parameters: dict[str, str]) -> dict[str, Any]:
    """awswrangler's ``athena_partition_projection_settings`` from ``projection.*`` table properties.

    Examples:
        >>> projection_settings({"projection.enabled": "true", "projection.day.type": "date"})
        {'projection_types': {'day': 'date'}}
    """
    if parameters.get("projection.enabled", "false").lower() != "true":
        return {}
    settings: dict[str, Any] = {}
    for key, value in parameters.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "projection" and parts[2] in _PROJECTION_KEYS:
            settings.setdefault(_PROJECTION_KEYS[parts[2]], {})[parts[1]] = value
    if "storage.location.template" in parameters:
        settings["projection_storage_location_template"] = parameters["storage.location.template"]
    return settings


def _reconcile_parameters(database: str, table: str, wanted: dict[str, str], session: boto3.Session) -> None:
    """Make the Glue table's projection properties exactly the DDL's.

    awswrangler rewrites some (it adds sanitised copies of ``projection.<key>.*`` for keys such as
    ``aws-account-id``, and its own date formats); only the DDL's own are kept.
    """
    glue = sessions.client("glue", session)
    current = glue.get_table(DatabaseName=database, Name=table)["Table"]
    have = dict(current.get("Parameters", {}))
    ours = ("projection.", "storage.location.template")
    params = {k: v for k, v in have.items() if not k.startswith(ours) or k in wanted} | wanted
    if params == have:
        return
    keep = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType")
    table_input = {k: current[k] for k in keep if k in current} | {"Parameters": params}
    glue.update_table(DatabaseName=database, TableInput=table_input)


def create_database(
    database: str,
    *,
    description: str = "VPC flow logs (flowkit)",
    exist_ok: bool = True,
    boto3_session: boto3.Session | None = None,
) -> None:
    """Create the Glue database (kept as is when it exists and ``exist_ok``)."""
    wr = sessions.wrangler()
    try:
        wr.catalog.create_database(
            database, description=description, exist_ok=exist_ok, boto3_session=boto3_session
        )
    except Exception as exc:
        raise AWSError(f"could not create Glue database {database!r}: {sessions.aws_reason(exc)}") from exc


def create_table(
    location: str,
    *,
    database: str,
    table: str = "vpc_flow_logs",
    log_format: LogFormatSpec | None = None,
    file_format: str = "text",
    partitioning: str = "projection",
    layout: str = "plain",
    per_hour: bool = False,
    account_id: str | None = None,
    regions: Sequence[str] | None = None,
    method: str = "auto",
    ddl_options: dict[str, Any] | None = None,
    workgroup: str = "primary",
    s3_output: str | None = None,
    timeout: float = 300.0,
    boto3_session: boto3.Session | None = None,
) -> dict[str, Any]:
    """Create the flow-log table from flowkit's DDL (:func:`flowkit.ddl.athena_ddl`).

    Args:
        location: the S3 prefix the flow log delivers to (``s3://bucket/prefix/``).
        database: the Glue database (see :func:`create_database`).
        table: the table name.
        log_format: the flow log's format in any spelling of :func:`~flowkit.schema.resolve_log_format`
            (``None``: AWS's default); columns follow its order.
        file_format: ``"text"`` or ``"parquet"``.
        partitioning: ``"projection"`` (default: Athena computes the partitions, nothing to
            register), ``"hive"`` (Hive-compatible prefixes as Glue partitions: the ones already
            delivered are registered with :func:`register_partitions`; re-run it for new days)
            or ``"none"``.
        layout: ``"plain"`` or ``"hive"`` (Hive-compatible S3 prefixes).
        per_hour: whether the flow log writes per-hour prefixes.
        account_id: the account in the S3 path; looked up with STS when ``None``.
        regions: the Regions to project; default the session's Region.
        method: ``"athena"`` runs the DDL; ``"glue"`` registers the same definition through
            awswrangler's catalog functions; ``"auto"`` picks Glue in the sandbox, Athena otherwise.
        ddl_options: further keyword arguments for :func:`flowkit.ddl.athena_ddl` (e.g. ``start_day``).
        workgroup: Athena workgroup (``method="athena"``).
        s3_output: Athena results location (``method="athena"``).
        timeout: seconds to wait for the DDL query.
        boto3_session: the session (default: the boto3 credential chain).

    Returns:
        The definition (:func:`table_from_ddl`: columns, partitions, location, properties) plus
        ``"ddl"``, ``"method"``, with Athena ``"query"`` (the query statistics), and with
        ``partitioning="hive"`` ``"registered"`` (what :func:`register_partitions` did).

    Raises:
        AWSError: when AWS refuses or the DDL query fails (with Athena's reason).
    """
    from flowkit.ddl import athena_ddl

    session = sessions.session(boto3_session)
    if account_id is None and partitioning != "none":
        account_id, _ = sessions.account_and_region(session)
    if regions is None and session.region_name:
        regions = [session.region_name]
    ddl = athena_ddl(
        log_format=log_format,
        location=location,
        file_format=file_format,
        partitioning=partitioning,
        table=table,
        database=database,
        account_id=account_id,
        regions=regions,
        layout=layout,
        per_hour=per_hour,
        **(ddl_options or {}),
    )
    info = create_table_from_ddl(
        ddl,
        database=database,
        method=method,
        workgroup=workgroup,
        s3_output=s3_output,
        timeout=timeout,
        boto3_session=session,
    )
    if partitioning == "hive":
        info["registered"] = register_partitions(database, table, boto3_session=session)
    return info


def table_for_plan(
    plan: FlowLogPlan,
    *,
    database: str,
    table: str = "vpc_flow_logs",
    partitioning: str = "projection",
    method: str = "auto",
    workgroup: str = "primary",
    s3_output: str | None = None,
    boto3_session: boto3.Session | None = None,
) -> dict[str, Any]:
    """Create the table that reads what an S3 flow-log plan delivers (same format, file type and layout).

    Raises:
        PlanError: if the plan is not for an S3 destination.
        AWSError: as :func:`create_table`.
    """
    if plan.destination_type != "s3":
        raise PlanError("an Athena table reads S3 deliveries: this plan sends flow logs to CloudWatch Logs.")
    options = plan.options
    return create_table(
        f"s3://{options['bucket']}/{options['prefix']}",
        database=database,
        table=table,
        log_format=plan.log_format if plan.custom_format else None,
        file_format="parquet" if options["file_format"] == "parquet" else "text",
        partitioning=partitioning,
        layout="hive" if options["hive_compatible"] else "plain",
        per_hour=options["per_hour"],
        account_id=plan.account_id,
        regions=[plan.region] if plan.region else None,
        method=method,
        workgroup=workgroup,
        s3_output=s3_output,
        boto3_session=boto3_session,
    )


def create_table_from_ddl(
    ddl: str,
    *,
    database: str,
    method: str = "auto",
    workgroup: str = "primary",
    s3_output: str | None = None,
    timeout: float = 300.0,
    boto3_session: boto3.Session | None = None,
) -> dict[str, Any]:
    """Create a table from a ``CREATE EXTERNAL TABLE`` statement, in Athena or straight in Glue.

    See :func:`create_table` for the arguments and the result.
    """
    from flowkit.aws.sandbox import is_sandbox

    if method not in ("auto", "athena", "glue"):
        raise QueryError(f"method must be 'auto', 'athena' or 'glue', not {method!r}.")
    session = sessions.session(boto3_session)
    if method == "auto":
        method = "glue" if is_sandbox(session) else "athena"
    info = table_from_ddl(ddl) | {"ddl": ddl, "method": method}
    table = info["table"]
    location = info["location"]
    if method == "athena":
        from flowkit.aws.athena import execute

        stats = execute(
            ddl.strip().rstrip(";"),
            [],
            database=database,
            workgroup=workgroup,
            s3_output=s3_output,
            timeout=timeout,
            boto3_session=session,
        )
        info["query"] = stats
        return info
    wr = sessions.wrangler()
    params = dict(info["parameters"])
    skip = params.pop("skip.header.line.count", None)
    projection = projection_settings(params)
    common = {
        "database": database,
        "table": info["table"],
        "path": location,
        "columns_types": info["columns"],
        "partitions_types": info["partitions"],
        "parameters": {
            k: v for k, v in params.items() if not k.startswith(("projection.", "storage.location"))
        },
        "athena_partition_projection_settings": projection or None,
        "mode": "overwrite",
        "boto3_session": session,
    }
    if not location:
        raise QueryError("the table DDL has no LOCATION.")
    try:
        if info["file_format"] == "parquet":
            wr.catalog.create_parquet_table(**common)
        else:
            sep = info["sep"] or " "
            null = params.get(
                "serialization.null.format"
            )  # also a SerDe parameter, where Hive reads it first
            wr.catalog.create_csv_table(
                **common,
                sep=sep,
                compression="gzip",
                skip_header_line_count=int(skip) if skip else None,
                serde_parameters={"field.delim": sep, "escape.delim": "\\"}
                | ({"serialization.null.format": null} if null is not None else {}),
            )
        _reconcile_parameters(database, table, info["parameters"], session)
    except Exception as exc:
        raise AWSError(f"could not create Glue table {database}.{table}: {sessions.aws_reason(exc)}") from exc
    return info


def get_table(
    database: str, table: str = "vpc_flow_logs", *, boto3_session: boto3.Session | None = None
) -> dict[str, Any]:
    """The table as Glue stores it (``glue.get_table(...)["Table"]``): columns, partition keys, properties.

    Raises:
        AWSError: when the table cannot be read (with AWS's reason).
    """
    glue = sessions.client("glue", boto3_session)
    try:
        return glue.get_table(DatabaseName=database, Name=table)["Table"]
    except Exception as exc:
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(f"cannot read table {database}.{table} from Glue: {sessions.aws_reason(exc)}") from exc


#: Partitions one BatchCreatePartition call takes (the Glue model's ``PartitionInputList`` max).
_PARTITION_BATCH = 100
_DATE_KEYS = ("year", "month", "day")


def register_partitions(
    database: str,
    table: str = "vpc_flow_logs",
    *,
    start: str | date | datetime | None = None,
    end: str | date | datetime | None = None,
    boto3_session: boto3.Session | None = None,
) -> dict[str, Any]:
    """Register in Glue the Hive-compatible partitions found under a table's S3 location.

    A table with ``PARTITIONED BY`` keys and no partition projection reads only the partitions
    its catalog lists: a Hive-layout flow-log table (``aws-account-id=.../aws-service=vpcflowlogs/
    aws-region=.../year=.../month=.../day=.../``) returns nothing until they are added. AWS's
    VPC guide says to run ``MSCK REPAIR TABLE``; this does the same work through the Glue API
    (the IAM action is ``glue:BatchCreatePartition`` either way): it lists the ``key=value``
    prefixes level by level (``s3:ListBucket``), reads the partitions already registered
    (``glue:GetPartitions``) and adds the missing ones, 100 per call, each with the table's
    storage descriptor and its own location. It is incremental (re-run it as new days arrive),
    bounded by ``start``/``end`` when given, and works in the moto sandbox too (where Athena's
    ``MSCK REPAIR TABLE`` succeeds but registers nothing). Partition projection
    (``partitioning="projection"``, flowkit's default) needs none of this.

    Args:
        database: the Glue database.
        table: the table (its partition keys name the ``key=value`` folders).
        start: register only days from this one (a day, date or datetime; needs ``year``/
            ``month``/``day`` keys).
        end: ... up to and including this day.
        boto3_session: the session (default: the boto3 credential chain).

    Returns:
        ``{"table", "location", "keys", "found", "registered", "existing", "prefixes_listed"}``:
        the partitions found under the location, those added now, those already registered.

    Raises:
        AWSError: when AWS refuses a call, the table uses partition projection or has no
            partition keys, or Glue rejects a partition (with its reason).
    """
    session = sessions.session(boto3_session)
    found_table = get_table(database, table, boto3_session=session)
    keys = [k["Name"] for k in found_table.get("PartitionKeys", [])]
    params = found_table.get("Parameters", {})
    if not keys:
        raise AWSError(f"table {database}.{table} has no partition keys: there is nothing to register.")
    if params.get("projection.enabled", "false").lower() == "true":
        raise AWSError(
            f"table {database}.{table} uses partition projection: Athena computes its partitions and ignores "
            "registered ones, so there is nothing to register."
        )
    storage = found_table["StorageDescriptor"]
    location = storage.get("Location", "")
    if not location.startswith("s3://"):
        raise AWSError(f"table {database}.{table} has no s3:// location ({location!r}).")
    bucket, _, root = location[5:].partition("/")
    root = root if not root or root.endswith("/") else root + "/"
    days = _day_window(start, end)
    s3 = sessions.client("s3", session)
    glue = sessions.client("glue", session)
    try:
        found, listed = _hive_prefixes(s3, bucket, root, keys, days)
        existing = _registered(glue, database, table)
    except Exception as exc:
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(
            f"could not read the partitions of {database}.{table}: {sessions.aws_reason(exc)}"
        ) from exc
    missing = [(values, prefix) for values, prefix in found if tuple(values) not in existing]
    registered = 0
    already = len(found) - len(missing)
    for i in range(0, len(missing), _PARTITION_BATCH):
        batch = missing[i : i + _PARTITION_BATCH]
        entries = [
            {"Values": values, "StorageDescriptor": storage | {"Location": f"s3://{bucket}/{prefix}"}}
            for values, prefix in batch
        ]
        try:
            response = glue.batch_create_partition(
                DatabaseName=database, TableName=table, PartitionInputList=entries
            )
        except Exception as exc:
            if not sessions.is_aws_error(exc):
                raise
            raise AWSError(
                f"could not register partitions of {database}.{table} ({registered} were registered): "
                f"{sessions.aws_reason(exc)}"
            ) from exc
        errors = response.get("Errors", [])
        taken = [e for e in errors if e.get("ErrorDetail", {}).get("ErrorCode") == "AlreadyExistsException"]
        failed = [e for e in errors if e not in taken]
        registered += len(batch) - len(errors)
        already += len(taken)
        if failed:
            detail = "; ".join(
                f"{'/'.join(e.get('PartitionValues', []))}: {e.get('ErrorDetail', {}).get('ErrorCode')} "
                f"{e.get('ErrorDetail', {}).get('ErrorMessage', '')}".strip()
                for e in failed[:5]
            )
            raise AWSError(
                f"Glue refused {len(failed)} partition(s) of {database}.{table} ({registered} registered): {detail}"
            )
    return {
        "table": f"{database}.{table}",
        "location": location,
        "keys": keys,
        "found": len(found),
        "registered": registered,
        "existing": already,
        "prefixes_listed": listed,
    }


def _day_window(
    start: str | date | datetime | None, end: str | date | datetime | None
) -> tuple[date, date] | None:
    if start is None and end is None:
        return None

    def day(value: str | date | datetime | None, name: str, default: date) -> date:
        if value is None:
            return default
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value)[:10].replace("/", "-"))
        except ValueError:
            raise QueryError(f"{name}={value!r} is not a day (YYYY-MM-DD).") from None

    return day(start, "start", date.min), day(end, "end", date.max)


def _in_window(keys: list[str], values: list[str], days: tuple[date, date] | None) -> bool:
    """Whether a partial partition (values of the first keys) can hold a day of the window."""
    if days is None:
        return True
    known = dict(zip(keys, values, strict=False))
    if "year" not in known:
        return True
    try:
        year = int(known["year"])
        month = int(known["month"]) if "month" in known else None
        day = int(known["day"]) if "day" in known else None
        lo = date(year, month or 1, day or 1)
        if day is not None:
            hi = lo
        elif month is not None:
            hi = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        else:
            hi = date(year, 12, 31)
    except ValueError:
        return False  # not a date folder: not a flow-log partition
    return lo <= days[1] and hi >= days[0]


def _hive_prefixes(
    s3: Any, bucket: str, root: str, keys: list[str], days: tuple[date, date] | None
) -> tuple[list[tuple[list[str], str]], int]:
    """Every ``key=value/`` path under ``root`` that names all partition keys in order."""
    if days is not None and not set(_DATE_KEYS) <= set(keys):
        raise QueryError("start/end need year, month and day partition keys.")
    paginator = s3.get_paginator("list_objects_v2")
    level: list[tuple[list[str], str]] = [([], root)]
    listed = 0
    for key in keys:
        below: list[tuple[list[str], str]] = []
        for values, prefix in level:
            listed += 1
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
                for common in page.get("CommonPrefixes", []):
                    folder = common["Prefix"][len(prefix) :].rstrip("/")
                    name, sep, value = folder.partition("=")
                    if sep and name == key and value and _in_window(keys, [*values, value], days):
                        below.append(([*values, value], common["Prefix"]))
        level = below
    return level, listed


def _registered(glue: Any, database: str, table: str) -> set[tuple[str, ...]]:
    paginator = glue.get_paginator("get_partitions")
    return {
        tuple(partition["Values"])
        for page in paginator.paginate(DatabaseName=database, TableName=table, ExcludeColumnSchema=True)
        for partition in page.get("Partitions", [])
    }
