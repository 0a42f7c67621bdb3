"""The records of the AWS guide's own sample output, to run its queries on what it printed.

The guide ("Determining your VPC's security requirements", AWS Prescriptive Guidance) prints an example
output under each Athena query. Its first query selects ``srcaddr LIKE '10.100.0.10'`` (the interface's own
address, as its text says), but the record it shows for that query has ``srcaddr`` 10.32.0.10 and interface
``eni-123456789000000`` (one digit shorter than the query's ``eni-1234567890000000``): the printed output
cannot come from the printed query. :func:`guide_output` gives those records as a frame (the account is
AWS's documentation example, 123456789012, where the guide writes ``<account-id>``), so the query can be
run on them: it returns nothing.
"""

from __future__ import annotations

import pandas as pd

from flowkit.frames import with_flowkit_dtypes
from flowkit.schema import resolve_log_format

#: The guide's example output records, in the default (version 2) format, by the catalogue's query name.
GUIDE_OUTPUT = {
    "guide_outbound_admin": [
        "2 123456789012 eni-123456789000000 10.32.0.10 11.22.33.44 36952 443 6 25 5445 1659310200 1659310225 "
        "ACCEPT OK"
    ],
    "guide_rejected_outbound": [
        "2 123456789012 eni-123456789000000 10.32.0.10 11.22.33.44 36952 443 6 25 5445 1659310200 1659310225 "
        "REJECT OK"
    ],
}


def guide_output(name: str) -> pd.DataFrame:
    """The records the guide prints as the output of its query ``name`` (a ``guide_*`` catalogue name).

    Examples:
        >>> guide_output("guide_outbound_admin")[["interface_id", "srcaddr", "dstport"]].values.tolist()
        [['eni-123456789000000', '10.32.0.10', 443]]
    """
    if name not in GUIDE_OUTPUT:
        raise KeyError(f"the guide prints no record for {name!r}; choose one of {', '.join(GUIDE_OUTPUT)}")
    fields = resolve_log_format("default")
    rows = [line.split(" ") for line in GUIDE_OUTPUT[name]]
    frame = pd.DataFrame(rows, columns=[f.column for f in fields])
    for f in fields:
        frame[f.column] = frame[f.column].astype(f.pandas_dtype)
    return with_flowkit_dtypes(frame)
