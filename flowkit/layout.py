"""Where AWS puts flow-log files in S3: key prefixes and file names, built and parsed in one place.

A flow log that delivers to ``s3://bucket/optional-prefix/`` writes each file under one of four
prefixes, chosen by its ``DestinationOptions`` (VPC User Guide, "Flow log files"; see
``reference/flow-log-format.md`` §2.1). flowkit names the four layouts as the simulator does:

=================  ===========================================================================================
layout             key prefix under ``bucket/optional-prefix/``
=================  ===========================================================================================
``default``        ``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/``
``hourly``         ``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/HH/`` (``PerHourPartition``)
``hive``           ``AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=YYYY/``
                   ``month=MM/day=DD/`` (``HiveCompatiblePartitions``)
``hive-hourly``    the Hive prefix + ``hour=HH/``
=================  ===========================================================================================

Each file is named ``<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz``
(gzip text with a header line) or ``.log.parquet``; the time is the start of the 5-minute window
of the records' end times, the hash 8 hex digits.

Transit gateway flow logs go through the same delivery service and use the same ``vpcflowlogs``
layout and file names ("Log file S3 bucket structure",
https://docs.aws.amazon.com/vpc/latest/tgw/flow-logs-s3.html): a key cannot tell them from VPC
files, only the header can. That page spells the Hive service folder ``service=vpcflowlogs`` where
the VPC guide and the third-party transit gateway tables (partitioned by ``aws-service``) write
``aws-service=vpcflowlogs``: flowkit builds ``aws-service=`` for both and reads either spelling.

Firehose writes CloudWatch Logs subscription data as objects named ``<stream>-<version>-YYYY-MM-DD-
HH-MM-SS-<uuid>``, without an extension (Amazon Data Firehose guide, "Configure Amazon S3 object
name format", https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html): a directory
search takes those names too (:func:`is_flow_log_name`); the reader tells what they hold by content.

Everything here is pure (strings in, strings out): the simulator, the sandbox, the plan, the bucket
policy, the reader, the local engine and the DDL ask this module instead of spelling keys
themselves.

Examples:
    >>> from datetime import datetime, UTC
    >>> when = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)
    >>> delivery_prefix("111122223333", "us-east-1", when, "hourly")
    'AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/02/14'
    >>> file_name("111122223333", "us-east-1", "fl-1234abcd", when, "fe123456")
    '111122223333_vpcflowlogs_us-east-1_fl-1234abcd_20261102T1405Z_fe123456.log.gz'
    >>> key = parse_key("bucket/AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/02/14/"
    ...                 "111122223333_vpcflowlogs_us-east-1_fl-1234abcd_20261102T1405Z_fe123456.log.gz")
    >>> key.layout, key.hour, key.flow_log_id, key.timestamp.isoformat()
    ('hourly', '14', 'fl-1234abcd', '2026-11-02T14:05:00+00:00')
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from flowkit.errors import FlowkitError

__all__ = [
    "CLOUDWATCH_SUFFIXES",
    "FILE_KINDS",
    "FIREHOSE_NAME_PATTERN",
    "FLOW_LOG_SUFFIXES",
    "HIVE_KEYS",
    "HIVE_KEY_PATTERN",
    "KEY_GROUPS",
    "LAYOUTS",
    "PARQUET_SUFFIX",
    "PARQUET_SUFFIXES",
    "PLAIN_KEY_PATTERN",
    "ROOT",
    "SERVICE",
    "TEXT_SUFFIX",
    "TEXT_SUFFIXES",
    "DeliveryKey",
    "build_prefix",
    "delivery_prefix",
    "delivery_suffix",
    "file_glob",
    "file_kind",
    "file_name",
    "hive_partition_keys",
    "hive_value_pattern",
    "is_flow_log_name",
    "layout_name",
    "layout_options",
    "parse_key",
    "policy_folder",
    "service_prefix",
]

#: The top folder AWS writes under (reserved: a destination prefix may not contain it).
ROOT = "AWSLogs"

#: The service folder of VPC (and transit gateway) flow logs.
SERVICE = "vpcflowlogs"

#: The four S3 layouts, by the simulator's names: (Hive-compatible?, per hour?) for each.
_LAYOUT_OPTIONS: dict[str, tuple[bool, bool]] = {
    "default": (False, False),
    "hourly": (False, True),
    "hive": (True, False),
    "hive-hourly": (True, True),
}
LAYOUTS: tuple[str, ...] = tuple(_LAYOUT_OPTIONS)

#: The folder keys of the Hive-compatible layout, in order (``hour`` only per hour); the Athena
#: table over that layout has them as its partition columns.
HIVE_KEYS = ("aws-account-id", "aws-service", "aws-region", "year", "month", "day", "hour")

#: The suffix of a delivered text file (gzip) and of a delivered Parquet file.
TEXT_SUFFIX = ".log.gz"
PARQUET_SUFFIX = ".log.parquet"

#: File names flowkit reads as flow logs when it searches a directory or an S3 prefix (other
#: names are read when named explicitly), by kind. Delivered files end in ``.log.gz`` or
#: ``.log.parquet``; ``.log``, ``.parquet``/``.parq`` and CloudWatch event exports are what people
#: and tools (``flowkit convert``, the simulator) write.
TEXT_SUFFIXES: tuple[str, ...] = (".log", TEXT_SUFFIX)
PARQUET_SUFFIXES: tuple[str, ...] = (".parquet", ".parq")
CLOUDWATCH_SUFFIXES: tuple[str, ...] = (".jsonl", ".jsonl.gz", ".ndjson", ".json", ".json.gz")
FLOW_LOG_SUFFIXES: tuple[str, ...] = TEXT_SUFFIXES + PARQUET_SUFFIXES + CLOUDWATCH_SUFFIXES

#: A Firehose object's name (``<stream name>-<stream version>-YYYY-MM-DD-HH-MM-SS-<uuid>``, then an
#: optional extension), as Firehose names what it delivers to S3.
FIREHOSE_NAME_PATTERN = (
    r"[A-Za-z0-9_.-]+-\d+-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:\.[A-Za-z0-9]+)*"
)
_FIREHOSE = re.compile(FIREHOSE_NAME_PATTERN)

#: The kinds of flow-log file, as :func:`file_kind` names them.
FILE_KINDS = ("text", "parquet", "cloudwatch")

#: The groups of :data:`PLAIN_KEY_PATTERN` and :data:`HIVE_KEY_PATTERN`, in group-number order.
KEY_GROUPS = ("account_id", "region", "year", "month", "day", "hour")

# The patterns are written for Python's re and for RE2 (DuckDB's regexp_extract) alike: the local
# engine puts them in SQL to read partition values from each row's file path. The account part is
# optional (a copied subtree such as ``vpcflowlogs/us-east-1/...`` still has its dates).
#: A plain (optionally per-hour) prefix in a ``/``-separated path.
PLAIN_KEY_PATTERN = (
    rf"(?:{ROOT}/(?P<account_id>[^/]+)/|^|/){SERVICE}/(?P<region>[^/]+)/"
    r"(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/(?:(?P<hour>\d{2})/)?"
)
#: A Hive-compatible (optionally per-hour) prefix in a ``/``-separated path.
HIVE_KEY_PATTERN = (
    rf"(?:{ROOT}/aws-account-id=(?P<account_id>[^/]+)/(?:aws-)?service={SERVICE}/|^|/)aws-region=(?P<region>[^/]+)/"
    r"year=(?P<year>\d{4})/month=(?P<month>\d{2})/day=(?P<day>\d{2})/(?:hour=(?P<hour>\d{2})/)?"
)
_PLAIN = re.compile(PLAIN_KEY_PATTERN)
_HIVE = re.compile(HIVE_KEY_PATTERN)

_STAMP = "%Y%m%dT%H%MZ"
_NAME = re.compile(
    rf"(?P<account_id>[^_/]+)_{SERVICE}_(?P<region>[a-z0-9-]+)_(?P<flow_log_id>fl-[0-9a-zA-Z]+)_"
    r"(?P<stamp>\d{8}T\d{4}Z)_(?P<digest>[0-9a-zA-Z]+)(?P<suffix>\.log\.gz|\.log\.parquet|\.log)"
)


def layout_name(*, hive: bool = False, per_hour: bool = False) -> str:
    """The layout a flow log's ``DestinationOptions`` choose.

    Examples:
        >>> layout_name(hive=True, per_hour=True)
        'hive-hourly'
    """
    return next(name for name, options in _LAYOUT_OPTIONS.items() if options == (bool(hive), bool(per_hour)))


def layout_options(layout: str) -> tuple[bool, bool]:
    """``(hive_compatible, per_hour)`` of a layout name.

    Raises:
        FlowkitError: on an unknown layout name, with the closest one.

    Examples:
        >>> layout_options("hourly")
        (False, True)
    """
    if layout not in _LAYOUT_OPTIONS:
        close = difflib.get_close_matches(str(layout), LAYOUTS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FlowkitError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}{hint}.")
    return _LAYOUT_OPTIONS[layout]


def build_prefix(
    account_id: str,
    region: str,
    year: str,
    month: str,
    day: str,
    hour: str | None = None,
    *,
    hive: bool = False,
    service: str = SERVICE,
) -> str:
    """The key prefix (no trailing ``/``) from its parts, given as text: values or placeholders.

    Examples:
        >>> build_prefix("${aws-account-id}", "${aws-region}", "${year}", "${month}", "${day}",
        ...              hive=True, service="${aws-service}")
        'AWSLogs/aws-account-id=${aws-account-id}/aws-service=${aws-service}/aws-region=${aws-region}/year=${year}/month=${month}/day=${day}'
    """
    if hive:
        keys = HIVE_KEYS
        values = [account_id, service, region, year, month, day, hour]
        parts = [f"{key}={value}" for key, value in zip(keys, values, strict=True) if value is not None]
    else:
        parts = [v for v in (account_id, service, region, year, month, day, hour) if v is not None]
    return "/".join([ROOT, *parts])


def delivery_prefix(
    account_id: str, region: str, when: datetime | None = None, layout: str = "default"
) -> str:
    """The key prefix (no trailing ``/``) AWS delivers a file under, for each layout.

    Args:
        account_id: the account (``AWSLogs/<account>/``).
        region: the Region.
        when: the file's time (UTC); ``None`` writes the placeholders ``YYYY/MM/DD/HH`` of AWS's docs.
        layout: ``"default"``, ``"hourly"``, ``"hive"`` or ``"hive-hourly"``.

    Examples:
        >>> delivery_prefix("111122223333", "us-east-1", datetime(2026, 11, 2, 14, tzinfo=UTC), "hive-hourly")
        'AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=02/hour=14'
        >>> delivery_prefix("<account-id>", "<region>")
        'AWSLogs/<account-id>/vpcflowlogs/<region>/YYYY/MM/DD'
    """
    hive, per_hour = layout_options(layout)
    if when is None:
        year, month, day, hour = "YYYY", "MM", "DD", "HH"
    else:
        year, month, day, hour = f"{when:%Y}", f"{when:%m}", f"{when:%d}", f"{when:%H}"
    return build_prefix(account_id, region, year, month, day, hour if per_hour else None, hive=hive)


def service_prefix(account_id: str, *, hive: bool = False) -> str:
    """The folders down to the service, with a trailing ``/``: where a flow log's Regions begin.

    Examples:
        >>> service_prefix("111122223333")
        'AWSLogs/111122223333/vpcflowlogs/'
        >>> service_prefix("111122223333", hive=True)
        'AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/'
    """
    if hive:
        return f"{ROOT}/aws-account-id={account_id}/aws-service={SERVICE}/"
    return f"{ROOT}/{account_id}/{SERVICE}/"


def policy_folder(account_id: str, *, hive: bool = False, prefix: str = "") -> str:
    """The object pattern a bucket policy lets the log delivery service write (VPC User Guide, S3 permissions).

    Args:
        account_id: the account whose flow logs are delivered.
        hive: Hive-compatible prefixes (``AWSLogs/aws-account-id=<account>/*``).
        prefix: the destination's optional prefix, with its trailing ``/`` (``""`` for none).

    Examples:
        >>> policy_folder("111122223333", prefix="team-a/")
        'team-a/AWSLogs/111122223333/*'
        >>> policy_folder("111122223333", hive=True)
        'AWSLogs/aws-account-id=111122223333/*'
    """
    account = f"aws-account-id={account_id}" if hive else account_id
    return f"{prefix}{ROOT}/{account}/*"


def delivery_suffix(file_format: str) -> str:
    """The suffix of a delivered file: ``.log.gz`` for text (``"text"``, ``"plain-text"``), ``.log.parquet``.

    Raises:
        FlowkitError: on another file format.

    Examples:
        >>> delivery_suffix("plain-text"), delivery_suffix("parquet")
        ('.log.gz', '.log.parquet')
    """
    if file_format in ("text", "plain-text"):
        return TEXT_SUFFIX
    if file_format == "parquet":
        return PARQUET_SUFFIX
    raise FlowkitError(f"S3 delivers 'plain-text' or 'parquet' files, not {file_format!r}.")


def file_name(
    account_id: str,
    region: str,
    flow_log_id: str = "<flow-log-id>",
    when: datetime | None = None,
    digest: str = "<hash>",
    *,
    suffix: str = TEXT_SUFFIX,
) -> str:
    """A delivered file's name: ``<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash><suffix>``.

    Args:
        account_id: the account.
        region: the Region.
        flow_log_id: the flow log (``fl-...``).
        when: the start of the file's 5-minute window (UTC); ``None`` writes ``<YYYYMMDDTHHmmZ>``.
        digest: the name's hash (8 hex digits in AWS's files).
        suffix: ``.log.gz`` (text, the default) or ``.log.parquet`` (see :func:`delivery_suffix`).

    Examples:
        >>> file_name("111122223333", "eu-west-1", suffix=".log.parquet")
        '111122223333_vpcflowlogs_eu-west-1_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.parquet'
    """
    stamp = "<YYYYMMDDTHHmmZ>" if when is None else f"{when:{_STAMP}}"
    return f"{account_id}_{SERVICE}_{region}_{flow_log_id}_{stamp}_{digest}{suffix}"


def file_glob(account_id: str = "*", region: str = "*", flow_log_id: str = "*") -> str:
    """A glob pattern for the delivered files of one flow log (or, with the defaults, of any).

    Examples:
        >>> file_glob("111122223333", "us-east-1", "fl-1234abcd")
        '111122223333_vpcflowlogs_us-east-1_fl-1234abcd_*'
    """
    return f"{account_id}_{SERVICE}_{region}_{flow_log_id}_*"


def hive_partition_keys(per_hour: bool = False) -> list[str]:
    """The Hive layout's folder keys, in order: the partition columns of a table over that layout.

    Examples:
        >>> hive_partition_keys(per_hour=True)[-2:]
        ['day', 'hour']
    """
    return list(HIVE_KEYS if per_hour else HIVE_KEYS[:-1])


def hive_value_pattern(key: str) -> str:
    """A regular expression (Python and RE2) whose group 1 is the value of one Hive folder key.

    Examples:
        >>> re.search(hive_value_pattern("aws-region"), "AWSLogs/aws-account-id=1/aws-region=eu-west-1/x").group(1)
        'eu-west-1'
    """
    return f"{re.escape(key)}=([^/]+)/"


@dataclass(frozen=True)
class DeliveryKey:
    """What an S3 key or a local path in a delivery layout says, each part ``None`` where absent.

    Attributes:
        account_id: the account, from the prefix, else from the file name.
        region: the Region, from the prefix, else from the file name.
        year, month, day: the date folders (text, ``2026``, ``11``, ``02``).
        hour: the hour folder (per-hour layouts).
        layout: ``"default"``, ``"hourly"``, ``"hive"`` or ``"hive-hourly"`` when the path holds a
            delivery prefix (an account folder is not needed: a copied ``vpcflowlogs/...`` subtree counts).
        flow_log_id: the flow log, from the file name.
        timestamp: the file name's time (UTC).
        digest: the file name's hash.
        suffix: the file name's suffix (``.log.gz``, ``.log.parquet``, ``.log``).
    """

    account_id: str | None = None
    region: str | None = None
    year: str | None = None
    month: str | None = None
    day: str | None = None
    hour: str | None = None
    layout: str | None = None
    flow_log_id: str | None = None
    timestamp: datetime | None = None
    digest: str | None = None
    suffix: str | None = None

    @property
    def hive(self) -> bool:
        """Whether the prefix is Hive-compatible."""
        return self.layout is not None and self.layout.startswith("hive")

    @property
    def partitions(self) -> dict[str, str]:
        """The prefix's values (account_id, region, year, month, day, hour), those present; ``{}`` outside a layout."""
        if self.layout is None:
            return {}
        values = {name: getattr(self, name) for name in KEY_GROUPS}
        return {name: value for name, value in values.items() if value is not None}


def parse_key(path: str | os.PathLike) -> DeliveryKey:
    """Read an S3 key, ``s3://`` URL or local path back into its parts.

    Handles the four layouts and delivered file names; any part not found is ``None``.

    Examples:
        >>> k = parse_key("AWSLogs/aws-account-id=1/aws-service=vpcflowlogs/aws-region=eu-west-1/"
        ...               "year=2024/month=05/day=04/hour=07/f.log.gz")
        >>> k.layout, k.account_id, k.region, k.hour, k.flow_log_id
        ('hive-hourly', '1', 'eu-west-1', '07', None)
        >>> parse_key("notes/readme.txt")
        DeliveryKey(account_id=None, region=None, year=None, month=None, day=None, hour=None, layout=None, flow_log_id=None, timestamp=None, digest=None, suffix=None)
    """
    text = os.fspath(path).replace(os.sep, "/").replace("\\", "/")
    values: dict[str, object] = {}
    name = _NAME.fullmatch(text.rsplit("/", 1)[-1])
    stamp = _stamp(name["stamp"]) if name else None
    if name and stamp is not None:
        values.update(
            account_id=name["account_id"],
            region=name["region"],
            flow_log_id=name["flow_log_id"],
            timestamp=stamp,
            digest=name["digest"],
            suffix=name["suffix"],
        )
    for hive, pattern in ((True, _HIVE), (False, _PLAIN)):
        match = pattern.search(text)
        if match:
            found = {k: v for k, v in match.groupdict().items() if v is not None}
            values.update(found)
            values["layout"] = layout_name(hive=hive, per_hour="hour" in found)
            break
    return DeliveryKey(**values)  # type: ignore[arg-type]


def _stamp(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)
    except ValueError:  # digits that are no time, e.g. 20261399T9999Z
        return None


def file_kind(name: str) -> Literal["text", "parquet", "cloudwatch"] | None:
    """The kind of flow-log file a name says, by its suffix (``None``: not a flow-log name).

    Examples:
        >>> file_kind("x.log.parquet"), file_kind("x.log.gz"), file_kind("eni-1-all.jsonl"), file_kind("x.csv")
        ('parquet', 'text', 'cloudwatch', None)
    """
    for kind, suffixes in (
        ("parquet", PARQUET_SUFFIXES),
        ("text", TEXT_SUFFIXES),
        ("cloudwatch", CLOUDWATCH_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind  # type: ignore[return-value]
    if _FIREHOSE.fullmatch(name.rsplit("/", 1)[-1]):
        return "cloudwatch"
    return None


def is_flow_log_name(name: str) -> bool:
    """Whether a file name is one flowkit reads when searching a directory or prefix (hidden files are not):
    a flow-log suffix, or a Firehose object's name.

    Examples:
        >>> is_flow_log_name("a.log.gz"), is_flow_log_name(".a.log.gz"), is_flow_log_name("README.md")
        (True, False, False)
        >>> is_flow_log_name("flows-1-2024-05-04-10-15-01-2f6c1a9e-3b7d-4e0a-9c55-0d8e4b6a7f21")
        True
    """
    if name.startswith("."):
        return False
    return name.endswith(FLOW_LOG_SUFFIXES) or _FIREHOSE.fullmatch(name) is not None
