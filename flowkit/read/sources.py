"""Where flow-log files are: local paths, directories in the S3 delivery layouts, ``s3://`` prefixes."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd

from flowkit import layout
from flowkit.errors import RecordParseError
from flowkit.outputs import readable

if TYPE_CHECKING:
    import boto3

Source = str | os.PathLike | Sequence[str | os.PathLike] | pd.DataFrame

# the file names read from a directory or prefix: one truth, in flowkit.layout
TEXT_SUFFIXES = layout.TEXT_SUFFIXES

PARQUET_SUFFIXES = layout.PARQUET_SUFFIXES

CLOUDWATCH_SUFFIXES = layout.CLOUDWATCH_SUFFIXES

Opener = Callable[[], BinaryIO]


def list_files(source: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """The flow-log files a local source names, sorted (directories are searched recursively).

    A file named twice (e.g. a directory and a file inside it) is listed once.

    Files flowkit has not finished writing are left out, and a folder an interrupted command marked
    incomplete is refused (:func:`flowkit.outputs.readable`).

    Raises:
        RecordParseError: if a named path does not exist, or a directory holds no flow-log file.
        IncompleteOutputError: a file lies in a folder an interrupted ``flowkit simulate`` left incomplete.
    """
    if isinstance(source, str | os.PathLike):
        source = [source]
    files: list[Path] = []
    for item in source:
        if isinstance(item, str) and not item.strip():  # Path("") is the working directory
            raise RecordParseError("an empty path names no file: give a file or directory.", reason="missing")
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and _is_flow_log_name(p.name))
            if not found:
                readable([path / "_"])  # a folder an interrupted run left: say that, not "no files"
                raise RecordParseError(
                    "no flow-log files (.log, .log.gz, .parquet, .jsonl) under this directory.",
                    path=str(path),
                    reason="no-files",
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise RecordParseError("no such file or directory.", path=str(path), reason="missing")
    seen: set[Path] = set()
    unique = []
    for path in files:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return readable(unique)  # flowkit's own unfinished outputs: skipped, or refused when incomplete


_is_flow_log_name = layout.is_flow_log_name


def iter_inputs(source: Source, boto3_session: boto3.Session | None) -> Iterable[tuple[str, Opener]]:
    """(name, opener) pairs; an opener returns a fresh binary stream of the file's raw bytes."""
    if isinstance(source, pd.DataFrame):
        raise TypeError(
            "read_flow_logs reads files; a DataFrame is already read (pass it to flowkit.connect)."
        )
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    local = [item for item in items if not str(item).startswith("s3://")]
    for item in items:
        if str(item).startswith("s3://"):
            yield from _iter_s3(str(item), boto3_session)
    for path in list_files(local) if local else []:
        yield str(path), functools.partial(open, path, "rb")


def _iter_s3(url: str, boto3_session: boto3.Session | None) -> Iterable[tuple[str, Opener]]:
    from flowkit import sessions  # only the s3:// path needs AWS libraries
    from flowkit.errors import AWSError

    session = sessions.session(boto3_session)
    where = url
    try:
        wr = sessions.wrangler()
        client = sessions.client("s3", session)
        keys = [
            k
            for k in wr.s3.list_objects(url, boto3_session=session)
            if _is_flow_log_name(k.rsplit("/", 1)[-1])
        ]
        if not keys:
            raise RecordParseError("no flow-log objects under this prefix.", path=url, reason="no-files")
        for key in keys:
            where = key
            bucket, _, name = key[len("s3://") :].partition("/")
            data = client.get_object(Bucket=bucket, Key=name)["Body"].read()
            yield key, functools.partial(io.BytesIO, data)
    except Exception as exc:  # NoCredentialsError, ClientError, EndpointConnectionError, bad bucket names
        if not sessions.is_aws_error(exc):
            raise
        raise AWSError(
            f"{where}: cannot read it from S3 ({sessions.aws_reason(exc)}). {sessions.CREDENTIALS_HINT}"
        ) from exc


def delivery_partitions(path: str | os.PathLike) -> dict[str, str]:
    """Partition values in an S3 delivery key: account, Region, year, month, day and (per-hour) hour.

    Handles the plain layout, the Hive-compatible one and their per-hour variants (see
    :func:`flowkit.layout.parse_key`). Returns an empty dict for a path outside these layouts.

    Examples:
        >>> delivery_partitions("b/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/04/x.log.gz")
        {'account_id': '123456789012', 'region': 'us-east-1', 'year': '2024', 'month': '05', 'day': '04'}
        >>> p = "AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=05/day=04/hour=07/f"
        >>> delivery_partitions(p)["hour"]
        '07'
    """
    return layout.parse_key(path).partitions
