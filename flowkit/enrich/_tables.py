"""The shipped reference tables in ``flowkit/data`` (read once, cached)."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd


def data_path(name: str) -> str:
    """Filesystem path of a file shipped in ``flowkit/data``."""
    return str(resources.files("flowkit.data").joinpath(name))


@functools.cache
def protocol_table() -> pd.DataFrame:
    """IANA "Assigned Internet Protocol Numbers": number, keyword, description."""
    table = pd.read_csv(
        data_path("protocol-numbers.csv"), dtype={"keyword": "string", "description": "string"}
    )
    return table


@functools.cache
def service_table() -> pd.DataFrame:
    """A subset of the IANA "Service Name and Transport Protocol Port Number Registry" (common services)."""
    return pd.read_csv(data_path("service-names.csv"), dtype={"protocol": "string", "service": "string"})
