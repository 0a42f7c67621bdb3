"""The rules against their AWS quotas, in one table: what fits, and what to do when it does not.

See :mod:`flowkit.rules.security_groups` and :mod:`flowkit.rules.nacl` for the quotas and where AWS
documents them (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from flowkit.frames import with_flowkit_dtypes
from flowkit.rules.nacl import NaclPlan
from flowkit.rules.security_groups import SG_PER_INTERFACE, SG_RULES_QUOTA, rule_count


def quota_report(
    security_groups: Mapping[str, list[dict[str, Any]]] | None = None,
    nacls: list[NaclPlan] | None = None,
    *,
    sg_quota: int = SG_RULES_QUOTA,
    sg_per_interface: int = SG_PER_INTERFACE,
) -> pd.DataFrame:
    """Each resource's rules against its quota.

    Args:
        security_groups: resource (an ENI, say) -> its egress permissions
            (:func:`~flowkit.rules.security_group_egress`).
        nacls: :func:`~flowkit.rules.network_acls`' plans.
        sg_quota: rules per security group (default quota 60, per direction and IP version).
        sg_per_interface: security groups per network interface (default quota 5).

    Returns:
        One row per resource and kind: ``resource``, ``kind``, ``rules``, ``quota``, ``fits`` and ``what_to_do``.
    """
    rows = []
    for resource, permissions in (security_groups or {}).items():
        for version in (4, 6):
            count = rule_count(permissions, version)
            if not count and version == 6:
                continue
            groups = -(-count // sg_quota) if count else 0
            fits = groups <= sg_per_interface
            if groups <= 1:
                todo = "one security group"
            elif fits:
                todo = f"{groups} security groups of at most {sg_quota} rules (flowkit.rules.fit_security_groups)"
            else:
                todo = "too many even for the groups an interface can have: narrow after review, or use Network Firewall"
            rows.append(
                {
                    "resource": resource,
                    "kind": f"security group egress (IPv{version})",
                    "rules": count,
                    "quota": f"{sg_quota} per group, {sg_per_interface} groups per interface",
                    "fits": fits,
                    "what_to_do": todo,
                }
            )
    for plan in nacls or []:
        for egress in (True, False):
            rows.append(
                {
                    "resource": plan.subnet_id,
                    "kind": f"network ACL {'outbound' if egress else 'inbound'}",
                    "rules": plan.count(egress) + 1,  # the final deny rule counts too
                    "quota": f"{plan.quota} per direction (the final deny included)",
                    "fits": plan.fits,
                    "what_to_do": plan.level if plan.level == "exact" else f"{plan.level}: {plan.note}",
                }
            )
    columns = ["resource", "kind", "rules", "quota", "fits", "what_to_do"]
    return with_flowkit_dtypes(pd.DataFrame(rows, columns=columns))
