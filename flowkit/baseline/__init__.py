"""Expected traffic and unexpected traffic: the guide's method as functions.

- :mod:`~flowkit.baseline.allowlist`: the allowlist file format (YAML), load and check it;
- :mod:`~flowkit.baseline.unexpected`: :func:`find_unexpected`, :func:`explain`;
- :mod:`~flowkit.baseline.compare`: :func:`compare_periods`;
- :mod:`~flowkit.baseline.propose`: :func:`propose_allowlist` learns one from a baseline period;
- :mod:`~flowkit.baseline.review`: :func:`review_findings`, :func:`apply_review` (review decisions with their
  reasons) and :func:`score_findings` (precision and recall against ground truth);
- :mod:`~flowkit.baseline.conversations`: records folded into conversations, rules evaluated over them.

Proposed egress rules (security groups, network ACLs, Network Firewall) are in :mod:`flowkit.rules`.
"""

from __future__ import annotations

from flowkit.baseline.allowlist import (
    Allowlist,
    AllowlistWarning,
    Endpoint,
    Rule,
    load_allowlist,
    parse_allowlist,
)
from flowkit.baseline.compare import compare_periods
from flowkit.baseline.conversations import build_conversations, interface_addresses
from flowkit.baseline.propose import propose_allowlist
from flowkit.baseline.review import apply_review, review_findings, score_findings
from flowkit.baseline.unexpected import SENSITIVE_PORTS, explain, find_unexpected

__all__ = [
    "SENSITIVE_PORTS",
    "Allowlist",
    "AllowlistWarning",
    "Endpoint",
    "Rule",
    "apply_review",
    "build_conversations",
    "compare_periods",
    "explain",
    "find_unexpected",
    "interface_addresses",
    "load_allowlist",
    "parse_allowlist",
    "propose_allowlist",
    "review_findings",
    "score_findings",
]
