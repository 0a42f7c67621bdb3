"""Enrichment: pure functions that take flow records and return a new DataFrame with added columns.

- :mod:`~flowkit.enrich.protocols`: protocol numbers and TCP flags to names;
- :mod:`~flowkit.enrich.ports`: ports to IANA service names and the names investigators use;
- :mod:`~flowkit.enrich.addresses`: address scope and the well-known AWS addresses;
- :mod:`~flowkit.enrich.direction`: inbound/outbound/internal and client/server role;
- :mod:`~flowkit.enrich.aws_ranges`: AWS service and region from ``ip-ranges.json`` (what the shipped
  extract covers, and refreshing it).

:func:`enrich` applies all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flowkit.enrich.addresses import add_address_scope, vpc_dns_resolvers
from flowkit.enrich.aws_ranges import (
    IP_RANGES_URL,
    IpRanges,
    add_aws_service,
    ip_ranges_coverage,
    load_ip_ranges,
    lookup_aws_service,
    parse_ip_ranges,
    update_ip_ranges,
)
from flowkit.enrich.cidr import PrefixIndex
from flowkit.enrich.direction import add_direction
from flowkit.enrich.ports import COMMON_NAMES, add_service_names, port_label, service_name
from flowkit.enrich.protocols import (
    add_protocol_names,
    add_tcp_flag_names,
    protocol_name,
    protocol_number,
    tcp_flag_names,
)

__all__ = [
    "COMMON_NAMES",
    "IP_RANGES_URL",
    "IpRanges",
    "PrefixIndex",
    "add_address_scope",
    "add_aws_service",
    "add_direction",
    "add_protocol_names",
    "add_service_names",
    "add_tcp_flag_names",
    "enrich",
    "ip_ranges_coverage",
    "load_ip_ranges",
    "lookup_aws_service",
    "parse_ip_ranges",
    "port_label",
    "protocol_name",
    "protocol_number",
    "service_name",
    "tcp_flag_names",
    "update_ip_ranges",
    "vpc_dns_resolvers",
]


def enrich(
    flows: pd.DataFrame, *, vpc_cidrs: Sequence[str] | None = None, ip_ranges: IpRanges | None = None
) -> pd.DataFrame:
    """Apply every enrichment: protocol, service and TCP flag names, scope, direction, AWS service.

    Returns a new DataFrame. Columns a step needs but the data lacks (e.g. ``tcp_flags`` before format
    version 3) are skipped.
    """
    out = add_protocol_names(flows)
    out = add_service_names(out)
    if "tcp_flags" in out:
        out = add_tcp_flag_names(out)
    out = add_address_scope(out, vpc_cidrs=vpc_cidrs)
    out = add_direction(out, vpc_cidrs=vpc_cidrs)
    return add_aws_service(out, ip_ranges)
