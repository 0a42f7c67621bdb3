"""Proposed egress rules from a reviewed allowlist, within AWS's quotas, and what they would break.

Three forms, from the same allowlist:

- :func:`security_group_egress`: security-group egress permissions, the ``IpPermissions`` structure of
  ``ec2.authorize_security_group_egress`` (stateful: responses are allowed automatically);
  :func:`fit_security_groups` spreads them over groups within the rules-per-group quota
  (:mod:`~flowkit.rules.security_groups`);
- :func:`network_acls`: network ACL entries **per subnet**, keyword arguments of
  ``ec2.create_network_acl_entry``, CIDRs and ports merged, each subnet within the NACL quota, or a
  coarser plan (ports only), or the advice to rely on security groups when even that does not fit
  (:mod:`~flowkit.rules.nacl`). NACLs are stateless: every allowed request comes with an entry for its
  response to the client's ephemeral ports 1024-65535
  (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html);
- :func:`network_firewall_rules`: AWS Network Firewall stateful rules in Suricata syntax (``pass`` rules
  then default ``drop`` rules; use a rule group with strict rule order).

:func:`quota_report` puts every resource's rules beside its quota; :func:`what_would_break` applies an
allowlist (or security-group permissions) to a later period and lists the accepted records the rules would
deny. Quotas: https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
"""

from __future__ import annotations

from flowkit.rules.breaks import what_would_break
from flowkit.rules.firewall import network_firewall_rules
from flowkit.rules.nacl import NACL_RULES_QUOTA, NaclPlan, nacl_summary, network_acl_entries, network_acls
from flowkit.rules.quotas import quota_report
from flowkit.rules.security_groups import (
    SG_PER_INTERFACE,
    SG_RULES_QUOTA,
    fit_security_groups,
    rule_count,
    security_group_egress,
)
from flowkit.rules.targets import EPHEMERAL

__all__ = [
    "EPHEMERAL",
    "NACL_RULES_QUOTA",
    "SG_PER_INTERFACE",
    "SG_RULES_QUOTA",
    "NaclPlan",
    "fit_security_groups",
    "nacl_summary",
    "network_acl_entries",
    "network_acls",
    "network_firewall_rules",
    "quota_report",
    "rule_count",
    "security_group_egress",
    "what_would_break",
]
