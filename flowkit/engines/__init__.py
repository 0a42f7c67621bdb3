"""Query engines: the embedded DuckDB engine for local data, or Athena / CloudWatch on AWS.

:func:`connect` is the one entry point: local data gives a :class:`~flowkit.engines.local.LocalEngine`,
and ``athena=`` / ``logs=`` give the AWS engine (imported only then, so the offline path never
needs boto3). Both satisfy :class:`~flowkit.engines.base.Engine`: ``.sql(query, **params)``,
``.query(name, **params)``, ``.insights(query, start=None, end=None)`` and ``.translate(query,
**params)`` (a :class:`~flowkit.engines.base.Translation`) answer the same way on both.

The rooms: :mod:`~flowkit.engines.base` (the contract), :mod:`~flowkit.engines.local` (DuckDB),
:mod:`~flowkit.engines.aws` (Athena and CloudWatch Logs), :mod:`~flowkit.engines.insights` (Logs
Insights compiled to SQL for DuckDB). The SQL they run comes from :mod:`flowkit.sql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from flowkit.engines.base import Engine, Translation
from flowkit.errors import FlowkitError

if TYPE_CHECKING:
    import boto3

    from flowkit.engines.aws import AthenaTarget
    from flowkit.engines.local import Source
    from flowkit.schema import LogFormatSpec
    from flowkit.timeutil import TimeLike

__all__ = ["Engine", "Translation", "connect", "default_data"]


def default_data() -> Path | None:
    """The bundled sample (``data/sample``) next to the package or in the working directory, if present."""
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidate = root / "data" / "sample"
        if candidate.is_dir():
            return candidate
    return None


def connect(
    source: Source | None = None,
    *,
    athena: str | dict[str, Any] | AthenaTarget | None = None,
    logs: str | Sequence[str] | None = None,
    memory_limit: str | None = None,
    log_format: LogFormatSpec | None = None,
    unknown_fields: Literal["raise", "keep"] = "raise",
    errors: Literal["raise", "skip"] = "raise",
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    boto3_session: boto3.Session | None = None,
) -> Engine:
    """Open an engine over flow logs.

    Args:
        source: local data: a file (.log, .log.gz, .parquet), a directory (e.g. an S3 delivery
            layout), a list of those, or a DataFrame in the reader's shape. Default: the bundled
            sample ``data/sample``.
        athena: Athena settings (passed to :func:`flowkit.engines.aws.connect_aws`); selects AWS.
        logs: CloudWatch Logs settings (log group(s)); selects AWS.
        memory_limit: DuckDB memory limit for the local engine, e.g. ``"4GB"``.
        log_format: log format of headerless text files, in any spelling of
            :func:`~flowkit.schema.resolve_log_format` (``"v5"``, ``"security"``, ``${field} ...``).
        unknown_fields: ``"keep"`` reads header fields flowkit does not know as text columns
            (as :func:`~flowkit.read.read_flow_logs` does); ``"raise"`` refuses them.
        errors: a bad line in local text files raises an error naming the file and line (``"raise"``),
            or is skipped and counted in the engine's ``report`` (``"skip"``), as in ``read_flow_logs``.
        start, end: the local engine sees only records starting in ``[start, end)`` and reads only the
            files that can hold them (by S3 folder date and file-name time); each query may narrow
            further with its own ``start=``/``end=``.
        boto3_session: the boto3 session for the AWS engine.

    Returns:
        An :class:`~flowkit.engines.base.Engine`: a :class:`~flowkit.engines.local.LocalEngine`, or
        the :class:`~flowkit.engines.aws.AwsEngine`.

    Examples:
        >>> import pandas as pd
        >>> engine = connect(pd.DataFrame({"srcaddr": ["10.32.0.10"], "dstport": [443]}))
        >>> engine.sql("SELECT srcaddr FROM vpc_flow_logs WHERE dstport = :port", port=443).srcaddr.tolist()
        ['10.32.0.10']
    """
    if athena is not None or logs is not None:
        if source is not None:
            raise FlowkitError("give either local data (source) or AWS settings (athena=/logs=), not both.")
        if start is not None or end is not None:
            raise FlowkitError(
                "start=/end= bound local data; on AWS give them to each query (engine.sql(..., start=))."
            )
        from flowkit.engines.aws import connect_aws

        return connect_aws(athena=athena, logs=logs, boto3_session=boto3_session)
    from flowkit.engines.local import LocalEngine

    if source is None:
        source = default_data()
        if source is None:
            raise FlowkitError(
                "no data given and no bundled sample (data/sample) found: pass a file or directory."
            )
    return LocalEngine(
        source,
        memory_limit=memory_limit,
        log_format=log_format,
        unknown_fields=unknown_fields,
        errors=errors,
        start=start,
        end=end,
    )
