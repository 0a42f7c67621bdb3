"""Glue tables from Athena DDL: read a ``CREATE EXTERNAL TABLE`` and register the same table in Glue.

Used by :func:`flowkit.aws.athena.create_table` with ``method="glue"`` (and in the sandbox, where
moto's Athena does not register DDL tables in Glue). Columns, partition keys, SerDe and every
table property (partition projection included) are kept exactly as the DDL has them.
"""

from __future__ import annotations

from typing import Any

from flowkit.aws import _clients
from flowkit.errors import QueryError

__all__ = ["projection_settings", "table_from_ddl"]


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


def _reconcile_parameters(database: str, table: str, wanted: dict[str, str], session: Any) -> None:
    """Make the Glue table's properties exactly the DDL's (awswrangler rewrites a few, e.g. formats)."""
    glue = _clients.client("glue", session)
    current = glue.get_table(DatabaseName=database, Name=table)["Table"]
    params = dict(current.get("Parameters", {}))
    if all(params.get(k) == v for k, v in wanted.items()):
        return
    params.update(wanted)
    keep = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType")
    table_input = {k: current[k] for k in keep if k in current} | {"Parameters": params}
    glue.update_table(DatabaseName=database, TableInput=table_input)
