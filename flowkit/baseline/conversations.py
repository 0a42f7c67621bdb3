"""Flow records folded into conversations, and allowlist rules evaluated over them.

A *conversation* is (client address, server address, server port, protocol): the request and the response
records of a connection, and every repeat of it, fall into one. Rules are evaluated once per conversation
and once per unique address, never per record, which keeps ten million records cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit.baseline.allowlist import Allowlist, Endpoint, Rule
from flowkit.enrich.addresses import inside_index
from flowkit.enrich.aws_ranges import IpRanges, default_ip_ranges
from flowkit.enrich.cidr import ParsedAddresses, PrefixIndex, factorize, parse_addresses, require_columns
from flowkit.enrich.direction import DIRECTIONS, direction_codes, src_is_client
from flowkit.errors import AllowlistError
from flowkit.frames import with_flowkit_dtypes

_STRIDE_PORT, _STRIDE_PROTO = 65537, 257


def _ints(flows: pd.DataFrame, column: str) -> np.ndarray:
    if column not in flows:
        return np.full(len(flows), -1, dtype=np.int64)
    return pd.array(flows[column], dtype="Int64").to_numpy(dtype=np.int64, na_value=-1)


@dataclass
class Conversations:
    """Flow records folded into conversations.

    Attributes:
        row: per record, its conversation number (-1 for records without addresses, e.g. NODATA).
        table: one row per conversation: ``client``, ``server`` (addresses), ``client_code``,
            ``server_code``, ``service_port``, ``protocol``, ``direction`` (of the connection, from the
            client), ``flows``, ``packets``, ``bytes``, ``accepted``, ``rejected``, ``first_start``,
            ``last_end`` (Unix seconds).
        addresses: the unique addresses (``client_code``/``server_code`` index into it).
        parsed: those addresses parsed.
        inside: per unique address, whether it is inside the VPC.
    """

    row: np.ndarray
    table: pd.DataFrame
    addresses: np.ndarray
    parsed: ParsedAddresses
    inside: np.ndarray


def _address_codes(flows: pd.DataFrame, *, packet: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source and destination codes into one array of unique addresses.

    With ``packet`` (and the v3 ``pkt_srcaddr``/``pkt_dstaddr`` fields present), the packet-level addresses
    are used where set: through a NAT gateway they name the real endpoints, not the gateway.
    """
    columns = {}
    for side in ("src", "dst"):
        series = flows[f"{side}addr"]
        if packet and f"pkt_{side}addr" in flows:
            series = flows[f"pkt_{side}addr"].fillna(series)
        columns[side] = factorize(series)
    (src, src_u), (dst, dst_u) = columns["src"], columns["dst"]
    addresses = pd.Index(src_u, dtype=object).append(pd.Index(dst_u, dtype=object)).unique()
    src_map = np.append(addresses.get_indexer(pd.Index(src_u, dtype=object)), -1)
    dst_map = np.append(addresses.get_indexer(pd.Index(dst_u, dtype=object)), -1)
    return src_map[src], dst_map[dst], np.asarray(addresses, dtype=object)


def build_conversations(flows: pd.DataFrame, *, vpc_cidrs: list[str] | None = None) -> Conversations:
    """Fold flow records into conversations (see the module docstring).

    Accepted and rejected records of the same (client, server, port, protocol) are kept apart, so a
    rule can expect traffic to be rejected.
    """
    require_columns(
        flows, ("srcaddr", "dstaddr", "srcport", "dstport", "protocol"), "folding into conversations"
    )
    src, dst, addresses = _address_codes(flows)
    parsed = parse_addresses(addresses)
    inside = inside_index(vpc_cidrs).lookup_parsed(parsed) >= 0
    srcport, dstport, protocol = _ints(flows, "srcport"), _ints(flows, "dstport"), _ints(flows, "protocol")
    src_server = src_is_client(srcport, dstport, _ints(flows, "tcp_flags")) == 0
    client = np.where(src_server, dst, src)
    server = np.where(src_server, src, dst)
    port = np.where(src_server, srcport, dstport)
    valid = (client >= 0) & (server >= 0)
    action_codes, actions = factorize(flows["action"]) if "action" in flows else (np.full(len(flows), -1), [])
    accept_code = list(actions).index("ACCEPT") if "ACCEPT" in list(actions) else -2
    reject_code = list(actions).index("REJECT") if "REJECT" in list(actions) else -2
    rejected = (action_codes == reject_code).astype(np.int64)
    n = len(addresses) + 1
    pair_codes, pairs = pd.factorize((client[valid] + 1) * n + (server[valid] + 1))
    key = (pair_codes.astype(np.int64) * _STRIDE_PORT + (port[valid] + 1)) * _STRIDE_PROTO + (
        protocol[valid] + 1
    )
    conv_valid, keys = pd.factorize(key * 2 + rejected[valid])
    row = np.full(len(flows), -1, dtype=np.int64)
    row[valid] = conv_valid
    keys = np.asarray(keys, dtype=np.int64)
    c_rejected, keys = keys % 2, keys // 2
    pair = np.asarray(pairs, dtype=np.int64)[keys // (_STRIDE_PORT * _STRIDE_PROTO)]
    c_client, c_server = pair // n - 1, pair % n - 1
    c_port = (keys // _STRIDE_PROTO) % _STRIDE_PORT - 1
    c_proto = keys % _STRIDE_PROTO - 1
    count = len(keys)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(conv_valid, weights=values[valid], minlength=count).astype(np.int64)

    starts = pd.Series(_ints(flows, "start")[valid]).replace(-1, np.nan).groupby(conv_valid).min()
    ends = pd.Series(_ints(flows, "end")[valid]).replace(-1, np.nan).groupby(conv_valid).max()
    table = pd.DataFrame(
        {
            "client": addresses[c_client] if count else np.array([], dtype=object),
            "server": addresses[c_server] if count else np.array([], dtype=object),
            "client_code": c_client,
            "server_code": c_server,
            "service_port": c_port,
            "protocol": c_proto,
            "direction": pd.Categorical.from_codes(
                direction_codes(inside[c_client], inside[c_server]), categories=list(DIRECTIONS)
            ),
            "action": pd.Categorical.from_codes(c_rejected, categories=["ACCEPT", "REJECT"]),
            "flows": np.bincount(conv_valid, minlength=count),
            "packets": total(np.maximum(_ints(flows, "packets"), 0)),
            "bytes": total(np.maximum(_ints(flows, "bytes"), 0)),
            "accepted": total((action_codes == accept_code).astype(np.int64)),
            "rejected": total(rejected),
            "first_start": starts.reindex(range(count)).to_numpy(),
            "last_end": ends.reindex(range(count)).to_numpy(),
        }
    )
    return Conversations(row, table, addresses, parsed, inside)


def interface_addresses(flows: pd.DataFrame) -> pd.DataFrame:
    """The addresses each network interface (ENI) owns, inferred from its own records.

    With the ``flow_direction`` field (format version 5+) the ENI's address is the source of ``egress``
    and the destination of ``ingress`` records. Without it, it is the address present in the most of the
    ENI's records (several when they tie, preferring private ones).

    Returns:
        One row per (``interface_id``, ``address``) with the ENI's ``subnet_id``, ``instance_id`` and
        ``vpc_id`` where the data has them.
    """
    if "interface_id" not in flows or flows.empty:
        return with_flowkit_dtypes(
            pd.DataFrame(columns=["interface_id", "address", "subnet_id", "instance_id", "vpc_id"])
        )
    src, dst, addresses = _address_codes(flows, packet=False)
    eni, enis = factorize(flows["interface_id"])
    n = len(addresses) + 1
    if "flow_direction" in flows and flows["flow_direction"].notna().any():
        fd = flows["flow_direction"].astype("string").to_numpy(dtype=object, na_value=None)
        own = np.where(fd == "egress", src, np.where(fd == "ingress", dst, -1))
        keep = (eni >= 0) & (own >= 0)
        pairs = np.unique(eni[keep].astype(np.int64) * n + own[keep])
    else:
        keep = eni >= 0
        both = np.concatenate(
            [eni[keep].astype(np.int64) * n + src[keep], eni[keep].astype(np.int64) * n + dst[keep]]
        )
        values, counts = np.unique(both[both % n != n - 1], return_counts=True)
        frame = pd.DataFrame({"eni": values // n, "count": counts})
        private = inside_index(None).lookup(addresses) >= 0
        frame["private"] = private[values % n]
        frame = frame.sort_values(["eni", "count", "private"], ascending=[True, False, False])
        top = frame.groupby("eni")[["count", "private"]].transform("first")
        pairs = values[frame.index[(frame["count"] == top["count"]) & (frame["private"] == top["private"])]]
    out = pd.DataFrame({"interface_id": enis[pairs // n], "address": addresses[pairs % n]})
    for column in ("subnet_id", "instance_id", "vpc_id"):
        if column in flows:
            first = (
                flows[[column]].assign(_eni=eni).dropna().drop_duplicates("_eni").set_index("_eni")[column]
            )
            out[column] = first.reindex(pairs // n).to_numpy()
        else:
            out[column] = None
    return with_flowkit_dtypes(out.reset_index(drop=True))


class Resolver:
    """Turns rule endpoints into masks over a :class:`Conversations`' unique addresses."""

    def __init__(
        self,
        conv: Conversations,
        inventory: pd.DataFrame,
        *,
        allowlist: Allowlist,
        ip_ranges: IpRanges | None = None,
        tags: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.conv = conv
        self.allowlist = allowlist
        self.ip_ranges = ip_ranges
        self.tags = {key: dict(value) for key, value in (tags or {}).items()}
        codes = pd.Index(conv.addresses, dtype=object).get_indexer(inventory["address"].astype(object))
        self.inventory = inventory.assign(code=codes)
        self._owned: dict[str, dict[str, np.ndarray]] = {}
        for column in ("interface_id", "subnet_id", "instance_id"):
            if column in inventory and inventory[column].notna().any():
                rows = self.inventory[(self.inventory["code"] >= 0) & self.inventory[column].notna()]
                self._owned[column] = {
                    str(key): group.to_numpy() for key, group in rows.groupby(column)["code"]
                }
        table = conv.table
        self._direction = table["direction"].cat.codes.to_numpy()
        self._rejected = table["action"].cat.codes.to_numpy() == 1
        self._protocol = table["protocol"].to_numpy()
        self._port = table["service_port"].to_numpy()
        self._client = table["client_code"].to_numpy()
        self._server = table["server_code"].to_numpy()
        self._cache: dict[Endpoint, np.ndarray | None] = {}

    def _by(self, column: str, values: tuple[str, ...], where: str = "rule") -> np.ndarray:
        if column not in self._owned:
            raise AllowlistError(
                f"{where}: no {column} in the records or inventory to resolve {', '.join(values)} (it is a "
                "format version 3+ field); log it, or pass inventory= with that column"
            )
        mask = np.zeros(len(self.conv.addresses), dtype=bool)
        owned = self._owned[column]
        for value in values:
            if value in owned:
                mask[owned[value]] = True
        return mask

    def _tagged(self, wanted: tuple[str, ...], where: str) -> np.ndarray:
        if not self.tags:
            raise AllowlistError(
                f"{where}: a 'tag' source needs tags: pass tags={{eni-or-instance-id: {{Key: Value}}}}"
            )
        ids = [key for key, tags in self.tags.items() if any(f"{k}={v}" in wanted for k, v in tags.items())]
        columns = [c for c in ("interface_id", "instance_id") if c in self._owned]
        mask = np.zeros(len(self.conv.addresses), dtype=bool)
        for column in columns:
            mask |= self._by(column, tuple(ids), where)
        return mask

    def _prefixes(self, networks: list[str]) -> np.ndarray:
        return (
            PrefixIndex(networks).lookup_parsed(self.conv.parsed) >= 0
            if networks
            else np.zeros(len(self.conv.addresses), dtype=bool)
        )

    def _aws(self, endpoint: Endpoint, where: str) -> np.ndarray:
        ranges = self.ip_ranges or default_ip_ranges()
        networks = []
        for service in endpoint.aws_service:
            if service not in ranges.services:
                raise AllowlistError(
                    f"{where}: aws_service {service!r} is not in {ranges.source} (services: "
                    f"{', '.join(ranges.services)})"
                )
            for region in endpoint.region or (None,):
                networks += ranges.networks(service, region)
        return self._prefixes(networks)

    def mask(self, endpoint: Endpoint, where: str = "rule") -> np.ndarray | None:
        """Per unique address, whether it is this endpoint (``None`` when the endpoint is any)."""
        if endpoint.is_any():
            return None
        if endpoint in self._cache:
            return self._cache[endpoint]
        mask = np.ones(len(self.conv.addresses), dtype=bool)
        if endpoint.eni:
            mask &= self._by("interface_id", endpoint.eni, where)
        if endpoint.subnet:
            mask &= self._by("subnet_id", endpoint.subnet, where)
        if endpoint.instance:
            mask &= self._by("instance_id", endpoint.instance, where)
        if endpoint.tag:
            mask &= self._tagged(endpoint.tag, where)
        if endpoint.cidr:
            mask &= self._prefixes(list(endpoint.cidr))
        if endpoint.aws_service:
            mask &= self._aws(endpoint, where)
        if endpoint.prefix_list:
            mask &= self._prefixes(
                [c for pl in endpoint.prefix_list for c in self.allowlist.prefix_lists[pl]]
            )
        self._cache[endpoint] = mask
        return mask

    def rule_mask(self, rule: Rule, rows: np.ndarray | None = None) -> np.ndarray:
        """Whether ``rule`` explains each conversation (or each of the conversations ``rows``)."""
        where = f"{self.allowlist.source} rule {rule.name!r}"
        pick = (lambda values: values) if rows is None else (lambda values: values[rows])
        hit = np.ones(len(self._port) if rows is None else len(rows), dtype=bool)
        if rule.direction != "any":
            hit &= pick(self._direction) == DIRECTIONS.index(rule.direction)
        if rule.action != "any":
            hit &= pick(self._rejected) == (rule.action == "reject")
        if rule.protocols:
            hit &= np.isin(pick(self._protocol), rule.protocols)
        if rule.ports:
            port = pick(self._port)
            in_range = np.zeros(len(hit), dtype=bool)
            for lo, hi in rule.ports:
                in_range |= (port >= lo) & (port <= hi)
            hit &= in_range
        source = self.mask(rule.source, f"{where} source")
        if source is not None:
            hit &= source[pick(self._client)]
        destination = self.mask(rule.destination, f"{where} destination")
        if destination is not None:
            hit &= destination[pick(self._server)]
        return hit


def match_rules(conv: Conversations, resolver: Resolver, rules: list[Rule]) -> np.ndarray:
    """Per conversation, the index of the first rule that explains it, -1 for none.

    Each rule is only evaluated on the conversations no earlier rule explained.
    """
    matched = np.full(len(conv.table), -1, dtype=np.int32)
    open_rows = np.arange(len(conv.table))
    for i, rule in enumerate(rules):
        if not len(open_rows):
            break
        hit = resolver.rule_mask(rule, open_rows)
        matched[open_rows[hit]] = i
        open_rows = open_rows[~hit]
    return matched
