"""The Athena-SQL layer: one query text, read as Athena (Trino) SQL, made ready for either engine.

- :mod:`flowkit.sql.params`: the typed parameter validators (``validate("port", "443") -> 443``);
  every value is checked before it is bound into any query, SQL or Logs Insights.
- :mod:`flowkit.sql.translate`: Athena SQL -> DuckDB SQL for the local engine (parse, resolve the
  flow-log table to the ``vpc_flow_logs`` view, bind ``:name`` placeholders as literals, rewrite).
- :mod:`flowkit.sql.functions`: the Trino functions DuckDB lacks (CIDR ``contains``,
  ``to_iso8601``, ``format_datetime`` ...), as DuckDB macros and sqlglot rewrites.
- :mod:`flowkit.sql.athena`: Athena SQL as Athena's API takes it: ``:name`` placeholders to ``?``
  with ``ExecutionParameters``, and time bounds that prune partitions.

Nothing here runs a query or talks to AWS: the engines (:mod:`flowkit.engines`) do. The names
below are imported on first use, so ``from flowkit.sql import validate`` loads neither sqlglot
nor DuckDB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what editors and type checkers see; at run time __getattr__ imports on first use
    from flowkit.sql.athena import bound_by_time as bound_by_time
    from flowkit.sql.athena import partition_filter as partition_filter
    from flowkit.sql.athena import sql_literal as sql_literal
    from flowkit.sql.athena import time_bounds as time_bounds
    from flowkit.sql.athena import to_qmark as to_qmark
    from flowkit.sql.functions import install_functions as install_functions
    from flowkit.sql.functions import joda_to_strftime as joda_to_strftime
    from flowkit.sql.functions import rewrite_functions as rewrite_functions
    from flowkit.sql.params import PROTOCOL_NUMBERS as PROTOCOL_NUMBERS
    from flowkit.sql.params import VALIDATORS as VALIDATORS
    from flowkit.sql.params import timestamp as timestamp
    from flowkit.sql.params import validate as validate
    from flowkit.sql.translate import PLACEHOLDER as PLACEHOLDER
    from flowkit.sql.translate import VIEW as VIEW
    from flowkit.sql.translate import bind as bind
    from flowkit.sql.translate import caret_message as caret_message
    from flowkit.sql.translate import parse_athena as parse_athena
    from flowkit.sql.translate import placeholders as placeholders
    from flowkit.sql.translate import resolve_tables as resolve_tables
    from flowkit.sql.translate import to_duckdb as to_duckdb

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PROTOCOL_NUMBERS": "flowkit.sql.params",
    "VALIDATORS": "flowkit.sql.params",
    "timestamp": "flowkit.sql.params",
    "validate": "flowkit.sql.params",
    "PLACEHOLDER": "flowkit.sql.translate",
    "VIEW": "flowkit.sql.translate",
    "bind": "flowkit.sql.translate",
    "caret_message": "flowkit.sql.translate",
    "parse_athena": "flowkit.sql.translate",
    "placeholders": "flowkit.sql.translate",
    "resolve_tables": "flowkit.sql.translate",
    "to_duckdb": "flowkit.sql.translate",
    "install_functions": "flowkit.sql.functions",
    "joda_to_strftime": "flowkit.sql.functions",
    "rewrite_functions": "flowkit.sql.functions",
    "bound_by_time": "flowkit.sql.athena",
    "partition_filter": "flowkit.sql.athena",
    "sql_literal": "flowkit.sql.athena",
    "time_bounds": "flowkit.sql.athena",
    "to_qmark": "flowkit.sql.athena",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'flowkit.sql' has no attribute {name!r}")
