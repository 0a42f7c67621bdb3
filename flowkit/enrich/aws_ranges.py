"""AWS service and region of public addresses, from AWS's published ``ip-ranges.json``.

A small pinned extract ships in ``flowkit/data/ip-ranges-extract.json`` for offline use and tests: a few
services in a few Regions, as published on one date (:func:`ip_ranges_coverage` says which). An address
outside it is "not AWS" only as far as the extract knows. Refresh it from AWS's current file with
:func:`update_ip_ranges` (``flowkit ip-ranges update`` when online), or load the full file with
``load_ip_ranges("https://ip-ranges.amazonaws.com/ip-ranges.json")`` or from a saved copy.
See https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flowkit.enrich._tables import data_path
from flowkit.enrich.cidr import PrefixIndex, factorize, parse_network, require_columns, take
from flowkit.errors import IpRangesError, IpRangesUnreachable
from flowkit.frames import with_flowkit_dtypes

_logger = logging.getLogger(__name__)

EXTRACT = "ip-ranges-extract.json"
#: Where AWS publishes the current ranges (https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html).
IP_RANGES_URL = "https://ip-ranges.amazonaws.com/ip-ranges.json"
#: Services whose prefixes cover everything (AMAZON) or anyone's instances (EC2) rank below more specific
#: services when the same prefix is listed under several.
_PRIORITY = {"AMAZON": 0, "EC2": 1}


@dataclass(eq=False)
class IpRanges:
    """A parsed ``ip-ranges.json``.

    Attributes:
        sync_token: the file's ``syncToken`` (publication time in Unix seconds).
        create_date: the file's ``createDate`` as a UTC datetime.
        prefixes: one row per listed prefix: ``prefix``, ``version``, ``service``, ``region``,
            ``network_border_group``.
        source: where it was loaded from.
    """

    sync_token: str
    create_date: datetime | None
    prefixes: pd.DataFrame
    source: str = "<input>"
    _index: PrefixIndex | None = field(default=None, repr=False)

    @property
    def index(self) -> PrefixIndex:
        """The most-specific-prefix index over all prefixes (built on first use)."""
        if self._index is None:
            self._index = PrefixIndex(list(self.prefixes["prefix"]))
        return self._index

    @property
    def services(self) -> list[str]:
        """The service names listed."""
        return sorted(self.prefixes["service"].unique())

    def networks(self, service: str, region: str | None = None) -> list[str]:
        """The prefixes of one service (and region), e.g. ``networks("S3", "us-east-1")``."""
        rows = self.prefixes["service"] == service.upper()
        if region is not None:
            rows &= self.prefixes["region"] == region
        return list(self.prefixes.loc[rows, "prefix"])


def _refuse(source: str, reason: str) -> IpRangesError:
    return IpRangesError(f"{source}: not a usable ip-ranges.json: {reason}")


def parse_ip_ranges(document: str | bytes | dict[str, Any], *, source: str = "<input>") -> IpRanges:
    """Parse and check an ``ip-ranges.json`` document (text or already-decoded JSON).

    Raises:
        IpRangesError: the text is not JSON, or the document lacks ``prefixes`` or has an entry without
            a valid prefix, region or service; the message names the entry.
    """
    if isinstance(document, bytes | str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise _refuse(
                source, f"does not parse as JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        except UnicodeDecodeError:
            raise _refuse(source, "does not parse as JSON (it is not UTF-8 text)") from None
    if not isinstance(document, dict):
        raise _refuse(source, f"expected a JSON object with 'prefixes', got {type(document).__name__}")
    if not isinstance(document.get("prefixes"), list):
        raise _refuse(source, "no 'prefixes' list (is this AWS's ip-ranges.json?)")
    rows = []
    for key, address_key in (("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")):
        entries = document.get(key, [])
        if not isinstance(entries, list):
            raise _refuse(source, f"'{key}' is not a list")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise _refuse(source, f"{key}[{i}] is not an object")
            missing = [k for k in (address_key, "region", "service") if not isinstance(entry.get(k), str)]
            if missing:
                raise _refuse(source, f"{key}[{i}] has no {', '.join(missing)}")
            try:
                parse_network(entry[address_key])
            except ValueError as exc:
                raise _refuse(
                    source, f"{key}[{i}] {address_key} {entry[address_key]!r} is not a CIDR: {exc}"
                ) from None
            network = entry[address_key].strip()
            rows.append(
                (
                    network,
                    6 if ":" in network else 4,
                    entry["service"].upper(),
                    entry["region"],
                    entry.get("network_border_group", entry["region"]),
                )
            )
    prefixes = pd.DataFrame(rows, columns=["prefix", "version", "service", "region", "network_border_group"])
    # lower-priority services first: among identical prefixes the index lets the last one win
    prefixes["_priority"] = prefixes["service"].map(_PRIORITY).fillna(2)
    prefixes = (
        prefixes.sort_values("_priority", kind="stable").drop(columns="_priority").reset_index(drop=True)
    )
    return IpRanges(
        str(document.get("syncToken", "")), _create_date(document.get("createDate")), prefixes, source
    )


def _create_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def load_ip_ranges(source: str | os.PathLike[str] | None = None, *, timeout: float = 30.0) -> IpRanges:
    """Load ``ip-ranges.json`` from a path or an ``https://`` URL; by default the shipped extract.

    The shipped extract (``flowkit/data/ip-ranges-extract.json``) is a small pinned subset (S3, DynamoDB,
    EC2, CloudFront, Route 53, ... in a few regions), enough for the bundled data and tests. For real
    traffic load AWS's full file (about 10,000 prefixes).

    Raises:
        IpRangesError: the file cannot be read, does not parse or has the wrong shape.
    """
    if source is None:
        source = data_path(EXTRACT)
    text_source = os.fspath(source)
    if text_source.startswith(("http://", "https://", "file://")):
        _logger.info("downloading %s", text_source)
        try:
            with urllib.request.urlopen(text_source, timeout=timeout) as response:
                data = response.read()
        except OSError as exc:
            raise _refuse(text_source, f"could not download it ({exc})") from None
    else:
        try:
            with open(text_source, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise _refuse(text_source, f"could not read it ({exc.strerror})") from None
    return parse_ip_ranges(data, source=text_source)


@functools.cache
def default_ip_ranges() -> IpRanges:
    """The shipped extract, loaded once."""
    return load_ip_ranges()


def lookup_aws_service(
    addresses: list[object] | np.ndarray, ip_ranges: IpRanges | None = None
) -> pd.DataFrame:
    """Service, region and matching prefix of each address (most specific prefix; <NA> when not AWS).

    Examples:
        >>> lookup_aws_service(["52.216.8.1", "10.0.0.1"])[["service", "region"]].values.tolist()
        [['S3', 'us-east-1'], [<NA>, <NA>]]
    """
    ranges = ip_ranges or default_ip_ranges()
    hit = ranges.index.lookup(addresses)
    ok = hit >= 0
    columns = {}
    for column in ("service", "region", "prefix"):
        values = np.full(len(hit), None, dtype=object)
        values[ok] = ranges.prefixes[column].to_numpy(dtype=object)[hit[ok]]
        columns[column] = values
    return with_flowkit_dtypes(pd.DataFrame(columns))


def add_aws_service(
    flows: pd.DataFrame,
    ip_ranges: IpRanges | None = None,
    *,
    columns: tuple[str, ...] = ("srcaddr", "dstaddr"),
) -> pd.DataFrame:
    """Add ``<column>_aws_service`` and ``<column>_aws_region`` for addresses in AWS's published ranges.

    The most specific listed prefix wins; when AWS lists the same prefix under several services, a
    specific service (S3, CLOUDFRONT, ...) wins over EC2, which wins over AMAZON. Private addresses are
    never in the file, so only public ones get a service. Returns a new DataFrame with text columns.

    Args:
        flows: flow records.
        ip_ranges: from :func:`load_ip_ranges`; default the shipped extract.
        columns: address columns to look up.
    """
    ranges = ip_ranges or default_ip_ranges()
    require_columns(flows, list(columns), "add_aws_service")
    out = flows.copy(deep=False)
    for column in columns:
        codes, uniques = factorize(flows[column])
        found = lookup_aws_service(uniques, ranges)
        out[f"{column}_aws_service"] = take(found["service"].to_numpy(), codes)
        out[f"{column}_aws_region"] = take(found["region"].to_numpy(), codes)
    return out


def ip_ranges_coverage(ip_ranges: IpRanges | None = None) -> pd.DataFrame:
    """What an ip-ranges file covers: where it comes from, when AWS published it, its Regions and services.

    Read it before trusting "not an AWS address": the shipped extract covers a few services in a few
    Regions only.

    Returns:
        A two-column frame (``field``, ``value``): source, published (``createDate``), sync token, whether it
        is flowkit's extract, Regions, services and prefix counts.

    Examples:
        >>> coverage = ip_ranges_coverage().set_index("field")["value"]
        >>> coverage["regions"]
        'GLOBAL, eu-west-1, us-east-1, us-gov-east-1, us-west-2'
    """
    ranges = ip_ranges or default_ip_ranges()
    prefixes = ranges.prefixes
    published = ranges.create_date.strftime("%Y-%m-%d %H:%M UTC") if ranges.create_date else "unknown"
    extract = Path(ranges.source).name == EXTRACT
    rows = [
        ("source", f"flowkit/data/{EXTRACT}" if extract else ranges.source),
        ("kind", "flowkit's pinned extract (a subset)" if extract else "an ip-ranges.json file"),
        ("published", published),
        ("sync token", ranges.sync_token or "unknown"),
        ("regions", ", ".join(sorted(prefixes["region"].unique()))),
        ("services", ", ".join(ranges.services)),
        (
            "prefixes",
            f"{int((prefixes['version'] == 4).sum())} IPv4, {int((prefixes['version'] == 6).sum())} IPv6",
        ),
    ]
    return with_flowkit_dtypes(pd.DataFrame(rows, columns=["field", "value"]))


def update_ip_ranges(
    url: str = IP_RANGES_URL,
    out: str | os.PathLike[str] | None = None,
    *,
    regions: list[str] | None = None,
    services: list[str] | None = None,
    everything: bool = False,
    timeout: float = 30.0,
) -> IpRanges:
    """Refresh an ip-ranges extract from AWS's published file (online) and write it atomically.

    By default the new extract keeps the Regions and services of the one it replaces, so its size and
    purpose stay the same while its prefixes and date become current.

    Args:
        url: where to fetch ``ip-ranges.json`` (``https://``, or ``file://`` for a saved copy).
        out: the file to write (default: the shipped extract, ``flowkit/data/ip-ranges-extract.json``).
        regions: keep these Regions (``GLOBAL`` included if listed); default those of the current ``out``.
        services: keep these services; default those of the current ``out``.
        everything: keep every prefix (the full file) instead of an extract.
        timeout: seconds to wait for the download.

    Returns:
        The extract as written (:class:`IpRanges`, its ``source`` the written file).

    Raises:
        IpRangesUnreachable: the file cannot be fetched (offline: the message says so; the old file is kept).
        IpRangesError: it does not parse, or the filter leaves no prefix.
    """
    target = Path(out) if out is not None else Path(data_path(EXTRACT))
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        kept = (
            f"{target} is unchanged (published {_published(target)})"
            if target.exists()
            else "nothing written"
        )
        raise IpRangesUnreachable(f"cannot fetch {url} ({reason}): offline? {kept}") from None
    fresh = parse_ip_ranges(data, source=url)  # checks the shape before anything is written
    document = json.loads(data)
    if not everything:
        current = (
            load_ip_ranges(target) if target.exists() and (regions is None or services is None) else None
        )
        keep_regions = set(regions or (current.prefixes["region"].unique() if current is not None else []))
        keep_services = {v.upper() for v in (services or (current.services if current is not None else []))}
        if not keep_regions or not keep_services:
            raise IpRangesError(f"{target}: no current extract to take Regions and services from: pass them")
        for key in ("prefixes", "ipv6_prefixes"):
            document[key] = [
                e
                for e in document.get(key, [])
                if e.get("region") in keep_regions and str(e.get("service", "")).upper() in keep_services
            ]
        if not document["prefixes"] and not document.get("ipv6_prefixes"):
            raise IpRangesError(f"{url}: no prefix of {sorted(keep_services)} in {sorted(keep_regions)}")
        document = {
            "syncToken": document.get("syncToken"),
            "createDate": document.get("createDate"),
            "_flowkit_note": (
                f"EXTRACT, not the full file: the {', '.join(sorted(keep_services))} prefixes in "
                f"{', '.join(sorted(keep_regions))} of {url} as published {document.get('createDate')}, for "
                "offline use and tests. Refresh with `flowkit ip-ranges update`; load the full file with "
                "flowkit.enrich.load_ip_ranges(path_or_url)."
            ),
            "prefixes": document["prefixes"],
            "ipv6_prefixes": document.get("ipv6_prefixes", []),
        }
    text = json.dumps(document, indent=2) + "\n"
    parse_ip_ranges(text, source=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    default_ip_ranges.cache_clear()
    _logger.info(
        "wrote %s (%d prefixes, published %s)", target, len(fresh.prefixes), document.get("createDate")
    )
    return load_ip_ranges(target)


def _published(path: Path) -> str:
    try:
        return load_ip_ranges(path).create_date.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    except (IpRangesError, AttributeError):
        return "unknown"
