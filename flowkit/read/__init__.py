"""Read flow logs: text (.log, .log.gz), Parquet, CloudWatch events; local paths, S3 layouts, s3:// prefixes.

Text files are parsed by Arrow's multi-threaded CSV reader (gzip is inflated with ISA-L first), so
reading is vectorised. A file the fast path cannot take as it is (a malformed line, a double space,
a bad value) is read again line by line, which finds every problem with its line number: with
``errors="raise"`` the first one raises :class:`~flowkit.errors.RecordParseError`; with
``errors="skip"`` the good records are kept and every rejected line is counted by reason in a
:class:`ReadReport`, so that parsed + rejected = lines read.

Examples:
    >>> import io, gzip, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text("version srcaddr dstport action log-status\\n2 10.0.0.1 443 ACCEPT OK\\n")
    >>> read_flow_logs(d / "a.log")[["srcaddr", "dstport"]]
        srcaddr  dstport
    0  10.0.0.1      443
"""

from flowkit.read.checks import arrow_type
from flowkit.read.reader import read_arrow, read_flow_logs, to_pandas
from flowkit.read.report import ReadReport
from flowkit.read.sources import (
    CLOUDWATCH_SUFFIXES,
    PARQUET_SUFFIXES,
    TEXT_SUFFIXES,
    delivery_partitions,
    list_files,
)
from flowkit.read.to_parquet import convert

__all__ = [
    "CLOUDWATCH_SUFFIXES",
    "PARQUET_SUFFIXES",
    "TEXT_SUFFIXES",
    "ReadReport",
    "arrow_type",
    "convert",
    "delivery_partitions",
    "list_files",
    "read_arrow",
    "read_flow_logs",
    "to_pandas",
]
