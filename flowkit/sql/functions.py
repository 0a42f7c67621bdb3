"""The Trino functions and types flow-log queries use, for DuckDB: macros, UDFs and sqlglot rewrites.

sqlglot (``read="athena"``, ``write="duckdb"``) already maps most of Athena's functions to DuckDB:
``from_unixtime`` -> ``TO_TIMESTAMP``, ``date_parse`` -> ``STRPTIME``, ``approx_distinct`` ->
``APPROX_COUNT_DISTINCT``, ``regexp_like`` -> ``REGEXP_MATCHES`` (both search, not full match),
``day_of_week`` -> ``ISODOW``, ``date_format`` -> ``STRFTIME``, ``bitwise_and`` -> ``&``. What DuckDB
lacks is added here, without the ``inet`` extension (which DuckDB would download at run time):

* ``contains(cidr, CAST(addr AS IPADDRESS))``: CIDR containment for IPv4 and IPv6. With a literal
  CIDR (the usual case, and every bound parameter) it becomes string tests on the octets (IPv4:
  ``starts_with(addr, '10.32.')``) or a range test on the address as 32 hex digits (IPv6, a SQL
  macro), so DuckDB vectorises it; a text that cannot be an address (``-``) fails the cast as in
  Athena. With a CIDR that is itself a column, a Python UDF ``fk_cidr_contains`` does the test.
* the ``IPADDRESS`` type: ``fk_ipaddress(text)`` (``CAST``: fails on a text that is not an address),
  ``fk_try_ipaddress(text)`` (``TRY_CAST``), ``fk_ip_text(address)`` (Trino's text: dotted IPv4,
  RFC 5952 IPv6), carried as a DuckDB ``UUID`` (128 bits, IPv4 mapped into ``::ffff:0:0/96``).
* ``fk_varchar(x)``: ``CAST(x AS VARCHAR)``, printing an address as Trino does.
* ``fk_trino_type(duckdb_type)``: ``typeof`` in Trino's type names.
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
    # IPv4 text -> 8 lowercase hex digits (NULL when not four decimal octets 0-255, no leading zeros)
    r"""CREATE OR REPLACE MACRO fk_ipv4_hex(a) AS CASE
        WHEN regexp_full_match(a, '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}')
        THEN array_to_string(list_transform(string_split(a, '.'),
                                            lambda o: lpad(lower(hex(CAST(o AS INTEGER))), 2, '0')), '')
        END""",
    # an address as 32 hex digits, IPv4 mapped into ::ffff:0:0/96 as Trino stores it (NULL: not an address)
    r"""CREATE OR REPLACE MACRO fk_ip_hex(a) AS CASE
        WHEN NOT contains(a, ':') THEN '00000000000000000000ffff' || fk_ipv4_hex(a)
        WHEN contains(a, '.') THEN fk_ipv6_hex(regexp_extract(a, '^(.*:)[^:]*$', 1)
             || substr(fk_ipv4_hex(regexp_extract(a, '([^:]*)$', 1)), 1, 4) || ':'
             || substr(fk_ipv4_hex(regexp_extract(a, '([^:]*)$', 1)), 5, 4))
        ELSE fk_ipv6_hex(a) END""",
    # CAST(a AS IPADDRESS): a text that is not an address fails, as in Athena
    """CREATE OR REPLACE MACRO fk_ipaddress(a) AS
        CAST(COALESCE(fk_ip_hex(a), 'not an IP address: ' || CAST(a AS VARCHAR)) AS UUID)""",
    """CREATE OR REPLACE MACRO fk_try_ipaddress(a) AS TRY_CAST(fk_ip_hex(a) AS UUID)""",
    """CREATE OR REPLACE MACRO fk_ip_text(u) AS fk_ip_hex_text(replace(CAST(u AS VARCHAR), '-', ''))""",
    # CAST(x AS VARCHAR); an address (a UUID here: Trino's UUID type is refused) prints as Trino prints it
    """CREATE OR REPLACE MACRO fk_varchar(x) AS CASE WHEN typeof(x) = 'UUID' THEN fk_ip_text(x)
        ELSE CAST(x AS VARCHAR) END""",
    # to_iso8601 of a timestamp in a zone: the wall time and the zone's offset (Z for UTC), as Trino prints it
    """CREATE OR REPLACE MACRO fk_utc_offset(minutes) AS CASE WHEN minutes = 0 THEN 'Z' ELSE
        (CASE WHEN minutes < 0 THEN '-' ELSE '+' END) || lpad(CAST(abs(minutes) // 60 AS VARCHAR), 2, '0')
        || ':' || lpad(CAST(abs(minutes) % 60 AS VARCHAR), 2, '0') END""",
    """CREATE OR REPLACE MACRO fk_iso8601_zoned(instant, wall) AS strftime(wall, '%Y-%m-%dT%H:%M:%S.%g')
        || fk_utc_offset(date_sub('minute', CAST(CAST(instant AS TIMESTAMPTZ) AS TIMESTAMP), wall))""",
    # ARRAY[...][i] past the end fails in Trino (element_at gives NULL)
    """CREATE OR REPLACE MACRO fk_array_subscript(a, i) AS CASE
        WHEN i > len(a) THEN error('Array subscript must be less than or equal to array length: '
                                   || CAST(i AS VARCHAR) || ' > ' || CAST(len(a) AS VARCHAR))
        WHEN i = 0 THEN error('SQL array indices start at 1')
        WHEN i < 0 THEN error('Array subscript is negative: ' || CAST(i AS VARCHAR))
        ELSE a[i] END""",
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


_SCALARS = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",  # DuckDB sums integers into HUGEINT; Trino's sum(bigint) is bigint
    "FLOAT": "real",
    "DOUBLE": "double",
    "VARCHAR": "varchar",
    "BLOB": "varbinary",
    "DATE": "date",
    "TIME": "time(3)",
    "TIMESTAMP_S": "timestamp(0)",
    "TIMESTAMP_MS": "timestamp(3)",
    "TIMESTAMP": "timestamp(3)",
    "TIMESTAMP_NS": "timestamp(9)",
    "TIMESTAMP WITH TIME ZONE": "timestamp(3) with time zone",
    "INTERVAL": "interval day to second",
    "UUID": "ipaddress",  # flowkit carries IPADDRESS as DuckDB's UUID (Trino's uuid type is refused)
    '"NULL"': "unknown",
    "NULL": "unknown",
}


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def trino_type(duckdb_type: str | None) -> str | None:
    """A DuckDB type name (``typeof``) as Trino names the type.

    Examples:
        >>> trino_type("MAP(VARCHAR, INTEGER[])")
        'map(varchar, array(integer))'
        >>> trino_type("DECIMAL(2,1)"), trino_type("TIMESTAMP WITH TIME ZONE")
        ('decimal(2,1)', 'timestamp(3) with time zone')
    """
    if duckdb_type is None:
        return None
    text = duckdb_type.strip()
    if text.endswith("[]"):
        return f"array({trino_type(text[:-2])})"
    if text in _SCALARS:
        return _SCALARS[text]
    upper = text.upper()
    if upper.startswith("DECIMAL("):
        return "decimal(" + text[8:-1].replace(" ", "") + ")"
    if upper.startswith("MAP("):
        key, value = _split_top(text[4:-1])
        return f"map({trino_type(key)}, {trino_type(value)})"
    if upper.startswith("STRUCT("):
        fields = []
        for item in _split_top(text[7:-1]):
            name, _, kind = item.partition(" ")
            fields.append(f"{name.strip(chr(34))} {trino_type(kind)}")
        return f"row({', '.join(fields)})"
    return text.lower()


def _ip_hex_text(digits: str | None) -> str | None:
    """An address as 32 hex digits (IPv4 mapped into ``::ffff:0:0/96``) as Trino prints it.

    Examples:
        >>> _ip_hex_text("20010db8000000000000ff0000428329"), _ip_hex_text("00000000000000000000ffff0a000001")
        ('2001:db8::ff00:42:8329', '10.0.0.1')
    """
    if digits is None:
        return None
    address = ipaddress.IPv6Address(int(digits, 16))
    return str(address.ipv4_mapped) if address.ipv4_mapped is not None else str(address)


def install_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Set the session to UTC and create flowkit's macros and UDFs on a DuckDB connection."""
    con.execute("SET GLOBAL TimeZone = 'UTC'")  # global: the engine's cursors share it
    # a UDF, not a macro: nested text macros expand exponentially and DuckDB never finishes binding
    con.create_function("fk_ip_hex_text", _ip_hex_text, ["VARCHAR"], "VARCHAR", side_effects=False)
    for macro in _MACROS:
        con.execute(macro)
    con.create_function("fk_trino_type", trino_type, ["VARCHAR"], "VARCHAR", side_effects=False)
    con.create_function(
        "fk_cidr_contains",
        _cidr_contains,
        ["VARCHAR", "VARCHAR"],
        "BOOLEAN",
        null_handling="special",
        side_effects=False,
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


def call(name: str, *args: exp.Expression) -> exp.Expression:
    """A call to DuckDB's function ``name`` as written (sqlglot would map some names to its own)."""
    return exp.Anonymous(this=name, expressions=list(args))


_IP_MACROS = {"fk_ipaddress": "cast", "fk_try_ipaddress": "try_cast"}


def _ip_text_argument(node: exp.Expression) -> tuple[exp.Expression, str] | None:
    """``(text, "cast"|"try_cast")`` when ``node`` is ``CAST/TRY_CAST(text AS IPADDRESS)`` (rewritten)."""
    if isinstance(node, exp.Anonymous) and node.name.lower() in _IP_MACROS and len(node.expressions) == 1:
        return node.expressions[0], _IP_MACROS[node.name.lower()]
    return None


def cidr_test(network: exp.Expression, address: exp.Expression, mode: str = "try_cast") -> exp.Expression:
    """The DuckDB expression for "``address`` (text) is inside ``network``" (both SQL expressions).

    ``mode`` is how the query made the address: ``"cast"`` (a text that cannot be an address, such
    as ``-``, fails as Athena's ``CAST`` does) or ``"try_cast"`` (it gives NULL). A text is taken to
    be an address when it holds a ``.`` or a ``:``: a malformed one (``10.1.2``) is inside no network,
    where Athena would fail the cast or give NULL.
    """
    if isinstance(network, exp.Literal) and network.is_string:
        try:
            net = ipaddress.ip_network(network.this, strict=False)
        except ValueError:
            from flowkit.errors import QueryError

            raise QueryError(f"{network.this!r} is not a CIDR block, e.g. '10.32.0.0/16'.") from None
        if net.version == 4:
            inside = _ipv4_test(net, address)
        else:
            value = call("fk_ipv6_hex", address.copy())
            low = exp.Literal.string(net.network_address.exploded.replace(":", ""))
            high = exp.Literal.string(net.broadcast_address.exploded.replace(":", ""))
            inside = exp.Between(this=value, low=low, high=high)
        # an address of the other family is not inside (FALSE)
        test = exp.func("coalesce", inside, exp.false())
    else:
        test = call("fk_cidr_contains", network.copy(), address.copy())
    looks = exp.or_(
        call("contains", address.copy(), exp.Literal.string(".")),
        call("contains", address.copy(), exp.Literal.string(":")),
    )
    ifs = [exp.If(this=exp.Is(this=address.copy(), expression=exp.Null()), true=exp.Null())]
    ifs.append(exp.If(this=looks, true=test))
    if mode == "cast":  # any other text: evaluate the cast for its error ("Cannot cast value to IPADDRESS")
        failed = exp.Is(this=call("fk_ipaddress", address.copy()), expression=exp.Null())
        return exp.Case(ifs=ifs, default=failed)
    return exp.Case(ifs=ifs)


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
    """Replace one Trino construct DuckDB lacks (called on every node, children first, by
    :func:`flowkit.sql.semantics.athena_semantics`, after ``CAST(x AS IPADDRESS)`` became
    ``fk_ipaddress(x)``)."""
    if isinstance(node, exp.ArrayContains):
        network, address = node.this, node.expression
        text = _ip_text_argument(address)
        if text is not None:
            return cidr_test(network, text[0], text[1])
        if isinstance(network, exp.Literal) and network.is_string and "/" in network.this:
            # an address held as IPADDRESS (e.g. a WITH query's column), or text: test its text form
            return cidr_test(network, call("fk_varchar", address.copy()))
        return node
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        args = node.expressions
        if name == "format_datetime" and len(args) == 2 and isinstance(args[1], exp.Literal):
            return call("strftime", args[0].copy(), exp.Literal.string(joda_to_strftime(args[1].this)))
    return node
