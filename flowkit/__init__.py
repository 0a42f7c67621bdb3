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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what editors and type checkers see; at run time __getattr__ imports on first use
    from flowkit import aws as aws
    from flowkit import baseline as baseline
    from flowkit import ddl as ddl
    from flowkit import engines as engines
    from flowkit import enrich as enrich
    from flowkit import layout as layout
    from flowkit import plots as plots
    from flowkit import queries as queries
    from flowkit import read as read
    from flowkit import rules as rules
    from flowkit import schema as schema
    from flowkit import simulate as simulate  # the package; also callable: simulate(...)
    from flowkit import sql as sql
    from flowkit.baseline import compare_periods as compare_periods
    from flowkit.baseline import explain as explain
    from flowkit.baseline import find_unexpected as find_unexpected
    from flowkit.baseline import load_allowlist as load_allowlist
    from flowkit.baseline import propose_allowlist as propose_allowlist
    from flowkit.ddl import athena_ddl as athena_ddl
    from flowkit.engines import Engine as Engine
    from flowkit.engines import connect as connect
    from flowkit.engines.insights import compile_insights as compile_insights
    from flowkit.engines.insights import parse_insights as parse_insights
    from flowkit.enrich import load_ip_ranges as load_ip_ranges
    from flowkit.errors import FlowkitError as FlowkitError
    from flowkit.queries import get_query as get_query
    from flowkit.queries import list_queries as list_queries
    from flowkit.queries import render as render
    from flowkit.read import convert as convert
    from flowkit.read import read_flow_logs as read_flow_logs
    from flowkit.rules import network_acl_entries as network_acl_entries
    from flowkit.rules import network_firewall_rules as network_firewall_rules
    from flowkit.rules import security_group_egress as security_group_egress
    from flowkit.rules import what_would_break as what_would_break
    from flowkit.schema import DEFAULT_FORMAT as DEFAULT_FORMAT
    from flowkit.schema import FIELDS as FIELDS
    from flowkit.schema import parse_log_format as parse_log_format
    from flowkit.schema import resolve_log_format as resolve_log_format
    from flowkit.simulate import label_flows as label_flows

__version__ = "0.1.0"

# public name -> module that defines it. The local Logs Insights runner over a DuckDB connection
# (flowkit.engines.insights.run_insights) is not here: engine.insights(query) is the user API, and
# flowkit.aws.run_insights is the one on CloudWatch.
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
    "Engine": "flowkit.engines",
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
    "sql",
    "engines",
    "queries",
    "ddl",
    "aws",
    "enrich",
    "baseline",
    "rules",
    "plots",
)

__all__ = sorted({*_EXPORTS, *_SUBMODULES, "__version__"})

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"flowkit.{name}")
    raise AttributeError(f"module 'flowkit' has no attribute {name!r}")
