"""The test-environment simulator: scenarios in, flow-log files and ground-truth labels out.

The guide's method is to run the application through usage scenarios in a test environment and
analyse the flow logs. :func:`simulate` *is* that test environment: it turns a described VPC and
application (a YAML scenario, see ``scenarios/``) into the records AWS would deliver, in any log
format, as ``.log.gz`` text, Parquet or CloudWatch Logs events, and writes ``labels.csv`` saying
which traffic is expected and which is an injected anomaly. Score records with
:func:`label_flows`.

The ``transit`` scenario is a transit gateway instead (two VPCs and an on-premises VPN): it writes
Transit Gateway flow logs (:mod:`flowkit.simulate.transit`, :func:`simulate_transit`).

Examples:
    >>> result = simulate("workshop", days=0.05, seed=1)
    >>> sorted(result.flows["log_status"].unique())
    ['NODATA', 'OK']
"""

from __future__ import annotations

import sys
import types

from flowkit.simulate.drift import change_log
from flowkit.simulate.labels import label_flows, read_labels
from flowkit.simulate.policy import explain_rejects
from flowkit.simulate.run import SimulationResult, simulate
from flowkit.simulate.scenario import Scenario, list_scenarios, load_scenario
from flowkit.simulate.transit import TransitResult, simulate_transit

__all__ = [
    "Scenario",
    "SimulationResult",
    "TransitResult",
    "change_log",
    "explain_rejects",
    "label_flows",
    "list_scenarios",
    "load_scenario",
    "read_labels",
    "simulate",
    "simulate_transit",
]


class _CallableModule(types.ModuleType):
    """Lets ``flowkit.simulate(...)`` work although ``flowkit.simulate`` is also this package."""

    def __call__(self, *args, **kwargs) -> SimulationResult | TransitResult:
        return simulate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
