"""The Trino functions flow-log queries use, for DuckDB: macros, one UDF and sqlglot rewrites.

sqlglot (``read="athena"``, ``write="duckdb"``) already maps most of Athena's functions to DuckDB:
``from_unixtime`` -> ``TO_TIMESTAMP``, ``date_parse`` -> ``STRPTIME``, ``approx_distinct`` ->
``APPROX_COUNT_DISTINCT``, ``regexp_like`` -> ``REGEXP_MATCHES`` (both search, not full match),
``day_of_week`` -> ``ISODOW``, ``date_format`` -> ``STRFTIME``, ``bitwise_and`` -> ``&``. What DuckDB
lacks is added here, without the ``inet`` extension (which DuckDB would download at run time):

* ``contains(cidr, CAST(addr AS IPADDRESS))``: CIDR containment for IPv4 and IPv6. With a literal
  CIDR (the usual case, and every bound parameter) it becomes string tests on the octets (IPv4:
  ``starts_with(addr, '10.32.')``) or a range test on the address as 32 hex digits (IPv6, a SQL
  macro), so DuckDB vectorises it. With a
  CIDR that is itself a column, a Python UDF ``fk_cidr_contains`` does the test.
* ``is_subnet_of(IPPREFIX 'cidr', IPADDRESS 'addr' | addr)``: the same test.
* ``to_iso8601(x)``: a macro (``2022-07-31T23:30:25.000Z`` for a timestamp with time zone, as Trino).
* ``format_datetime(ts, 'yyyy-MM-dd HH')``: Joda patterns translated to ``strftime``.

The session time zone is UTC, so ``from_unixtime`` and ``current_date`` agree with Athena.
"""

from __future__ import annotations

import ipaddress
import re

import duckdb
import sqlglot
from sqlglot import exp

_MACROS = (
    # IPv6 text -> its 8 groups, with '::' expanded
    """CREATE OR REPLACE MACRO fk_ipv6_groups(a) AS CASE WHEN NOT contains(a, '::') THEN string_split(a, ':')
        ELSE list_concat(
          CASE WHEN split_part(a, '::', 1) = '' THEN []::VARCHAR[]
               ELSE string_split(split_part(a, '::', 1), ':') END,
          list_transform(range(9 - len(string_split(a, ':'))
            + CASE WHEN starts_with(a, '::') THEN 1 ELSE 0 END
            + CASE WHEN ends_with(a, '::') THEN 1 ELSE 0 END),
            lambda x: '0'),
          CASE WHEN split_part(a, '::', 2) = '' THEN []::VARCHAR[]
               ELSE string_split(split_part(a, '::', 2), ':') END)
        END""",
    # IPv6 text -> 32 lowercase hex digits (NULL when not an IPv6 address)
    """CREATE OR REPLACE MACRO fk_ipv6_hex(a) AS
        CASE WHEN contains(a, ':') AND regexp_full_match(a, '([0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}')
             AND len(fk_ipv6_groups(lower(a))) = 8
        THEN array_to_string(list_transform(fk_ipv6_groups(lower(a)), lambda g: lpad(g, 4, '0')), '') END""",
    """CREATE OR REPLACE MACRO to_iso8601(x) AS CASE
        WHEN typeof(x) = 'DATE' THEN strftime(CAST(x AS DATE), '%Y-%m-%d')
        WHEN typeof(x) LIKE 'TIMESTAMP WITH TIME ZONE' THEN
            strftime(CAST(x AS TIMESTAMPTZ) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%g') || 'Z'
        ELSE strftime(CAST(x AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g') END""",
)


def _cidr_contains(network: str | None, address: str | None) -> bool | None:
    if network is None or address is None:
        return None
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return None


def install_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Set the session to UTC and create flowkit's macros and UDFs on a DuckDB connection."""
    con.execute("SET TimeZone = 'UTC'")
    for macro in _MACROS:
        con.execute(macro)
    con.create_function(
        "fk_cidr_contains",
        _cidr_contains,
        ["VARCHAR", "VARCHAR"],
        "BOOLEAN",
        null_handling="special",
        side_effects=False,
    )


def _as_text(node: exp.Expression) -> exp.Expression:
    """Strip a ``CAST(x AS IPADDRESS/IPPREFIX)``: flowkit keeps addresses as text."""
    if isinstance(node, exp.Cast) and node.to.this in (
        exp.DataType.Type.IPADDRESS,
        exp.DataType.Type.IPPREFIX,
    ):
        return node.this
    return node


def _is_ip_cast(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and node.to.this in (
        exp.DataType.Type.IPADDRESS,
        exp.DataType.Type.IPPREFIX,
    )


def _ipv4_test(net: ipaddress.IPv4Network, address: exp.Expression) -> exp.Expression:
    """IPv4 containment as string tests, which DuckDB runs far faster than parsing every address.

    Whole octets of the prefix become ``starts_with(addr, '10.32.')``; a partial octet becomes a
    range test on that octet (``10.32.0.0/20``: the third octet in 0-15). Like the rest of flowkit
    this takes addresses as the flow log writes them (valid IPv4/IPv6 text, ``-`` read as NULL):
    malformed text that starts with the prefix is not rejected the way Trino's CAST would.
    """
    octets = str(net.network_address).split(".")
    full, rest = divmod(net.prefixlen, 8)
    if full == 4:
        sql = f"__a__ = '{net.network_address}'"
    else:
        tests = [f"starts_with(__a__, '{'.'.join(octets[:full])}.')"] if full else []
        if rest:
            low = int(octets[full])
            high = low + 2 ** (8 - rest) - 1
            tests.append(f"TRY_CAST(split_part(__a__, '.', {full + 1}) AS INTEGER) BETWEEN {low} AND {high}")
        if not full:  # nothing pins the family: ask for four dotted numbers
            tests.append(r"regexp_full_match(__a__, '\d{1,3}(\.\d{1,3}){3}')")
        sql = " AND ".join(tests)
    template = sqlglot.parse_one(sql, read="duckdb")

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name == "__a__":
            return address.copy()
        return node

    return exp.paren(template.transform(swap))


def cidr_test(network: exp.Expression, address: exp.Expression) -> exp.Expression:
    """The DuckDB expression for "``address`` is inside ``network``" (both SQL expressions)."""
    if isinstance(network, exp.Literal) and network.is_string:
        try:
            net = ipaddress.ip_network(network.this, strict=False)
        except ValueError:
            from flowkit.errors import QueryError

            raise QueryError(f"{network.this!r} is not a CIDR block, e.g. '10.32.0.0/16'.") from None
        if net.version == 4:
            inside = _ipv4_test(net, address)
        else:
            value = exp.func("fk_ipv6_hex", address.copy())
            low = exp.Literal.string(net.network_address.exploded.replace(":", ""))
            high = exp.Literal.string(net.broadcast_address.exploded.replace(":", ""))
            inside = exp.Between(this=value, low=low, high=high)
        # an address of the other family is not inside (FALSE), a NULL address stays NULL
        other = exp.If(
            this=exp.Not(this=exp.Is(this=address.copy(), expression=exp.Null())), true=exp.false()
        )
        return exp.func("coalesce", inside, exp.Case(ifs=[other]))
    return exp.func("fk_cidr_contains", network.copy(), address.copy())


_JODA = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("dd", "%d"),
    ("HH", "%H"),
    ("hh", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "%g"),
    ("EEEE", "%A"),
    ("EEE", "%a"),
    ("a", "%p"),
    ("ZZ", "%z"),
    ("Z", "%z"),
    ("M", "%-m"),
    ("d", "%-d"),
    ("H", "%-H"),
]
_JODA_TOKEN = re.compile("|".join(re.escape(joda) for joda, _ in _JODA) + "|'[^']*'")


def joda_to_strftime(pattern: str) -> str:
    """Translate a Joda-Time pattern (Trino's ``format_datetime``) to ``strftime``.

    Examples:
        >>> joda_to_strftime("yyyy-MM-dd HH:mm")
        '%Y-%m-%d %H:%M'
    """
    table = dict(_JODA)

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'"):
            return token[1:-1].replace("%", "%%")
        return table[token]

    return _JODA_TOKEN.sub(swap, pattern)


def rewrite_functions(node: exp.Expression) -> exp.Expression:
    """sqlglot transform: replace the Trino constructs DuckDB lacks (use with ``Expression.transform``)."""
    if isinstance(node, exp.ArrayContains) and (
        _is_ip_cast(node.expression)
        or (isinstance(node.this, exp.Literal) and node.this.is_string and "/" in node.this.this)
    ):
        return cidr_test(_as_text(node.this), _as_text(node.expression))
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        args = node.expressions
        if name == "is_subnet_of" and len(args) == 2:
            return cidr_test(_as_text(args[0]), _as_text(args[1]))
        if name == "format_datetime" and len(args) == 2 and isinstance(args[1], exp.Literal):
            return exp.func("strftime", args[0].copy(), exp.Literal.string(joda_to_strftime(args[1].this)))
    return node
