"""flowkit: a notebook analysis kit for Amazon VPC Flow Logs.

Read flow logs (text, Parquet, S3 layouts), simulate a test environment, ask the same question in
Athena SQL or Logs Insights on the embedded DuckDB engine or on AWS, find unexpected traffic and
propose egress rules.

The public functions are re-exported here and imported on first use, so ``import flowkit`` stays
fast and the offline path never imports boto3 or awswrangler.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "FlowkitError": "flowkit.errors",
    "FIELDS": "flowkit.schema",
    "DEFAULT_FORMAT": "flowkit.schema",
    "parse_log_format": "flowkit.schema",
    "resolve_log_format": "flowkit.schema",
    "read_flow_logs": "flowkit.read",
    "convert": "flowkit.read",
    "simulate": "flowkit.simulate",
    "label_flows": "flowkit.simulate",
    "connect": "flowkit.engines",
    "run_insights": "flowkit.engines.insights",
    "parse_insights": "flowkit.engines.insights",
    "compile_insights": "flowkit.engines.insights",
    "athena_ddl": "flowkit.ddl",
    "list_queries": "flowkit.queries",
    "get_query": "flowkit.queries",
    "render": "flowkit.queries",
    "find_unexpected": "flowkit.baseline",
    "propose_allowlist": "flowkit.baseline",
    "compare_periods": "flowkit.baseline",
    "explain": "flowkit.baseline",
    "load_allowlist": "flowkit.baseline",
    "load_ip_ranges": "flowkit.enrich",
    "security_group_egress": "flowkit.rules",
    "network_acl_entries": "flowkit.rules",
    "network_firewall_rules": "flowkit.rules",
    "what_would_break": "flowkit.rules",
}
_SUBMODULES = (
    "schema",
    "layout",
    "read",
    "simulate",
    "engines",
    "queries",
    "ddl",
    "aws",
    "enrich",
    "baseline",
    "rules",
    "plots",
)

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"flowkit.{name}")
    raise AttributeError(f"module 'flowkit' has no attribute {name!r}")
