"""Trino's semantics where DuckDB's differ: the rewrites that make the local engine answer as Athena.

Each rewrite works on the parsed query (sqlglot) before it is printed as DuckDB SQL; the DuckDB
macros they call are in :mod:`flowkit.sql.functions`. What Athena does is cited in
``tests/sql/conformance.yaml``; ``docs/athena-semantics.md`` lists what flowkit does differently.

* **Division**: ``/`` is DuckDB's ``//``, which truncates two integers toward zero (``7 / 2`` is 3,
  ``-7 / 2`` is -3) and divides anything else exactly, as Trino's ``/`` does; ``%`` already keeps the
  dividend's sign in both.
* **Column names**: an output column that is not a bare column reference and has no alias gets a
  placeholder name (:data:`UNNAMED_PREFIX`); the engine renames it ``_col<position>`` as Athena does.
* **typeof** names Trino's types (``integer``, ``varchar(3)``, ``timestamp(3) with time zone``...).
* **IPADDRESS** values are 128-bit numbers (DuckDB ``UUID``, IPv4 mapped into ``::ffff:0:0/96`` as in
  Trino), so they compare and sort as addresses; a text that is not an address fails the ``CAST`` as
  in Athena (``TRY_CAST`` gives NULL); ``CAST(ip AS VARCHAR)`` and results print Trino's text.
* **Times**: ``AT TIME ZONE``, ``at_timezone``, ``with_timezone`` and ``from_unixtime(t, zone)`` keep
  their zone: in the result the engine shows the instant in that zone; inside an expression the
  value is the zone's wall time, so ``hour()`` and ``date_format()`` read the zone's fields.
  ``date_diff`` counts whole units, ``date_add`` and ``date_trunc`` keep a ``date`` a ``date``.
* **NULL ordering**: ``ORDER BY`` without ``NULLS FIRST/LAST`` puts NULLs last in both directions.
* Functions whose DuckDB namesake differs: ``split_part`` and ``regexp_extract`` give NULL where
  Trino does, ``regexp_replace`` takes ``$1`` references, ``millisecond`` is the millisecond field...
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from flowkit.errors import QueryError
from flowkit.sql.functions import call, rewrite_functions

__all__ = ["UNNAMED_PREFIX", "athena_semantics", "bottom_up", "name_columns", "output_zones"]

#: Prefix of the names given to unnamed output columns (the engine renames them ``_col<n>``).
UNNAMED_PREFIX = "_fk_unnamed_"
_ZONED = "fk_zone"  # meta key: this node's value is an instant to show in this zone
_WALL = "fk_wall_zone"  # meta key: this node is the wall time, in this zone, of its instant (.this)


def bottom_up(root: exp.Expression, fun: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """Apply ``fun`` to every node, children first (a node sees its rewritten children)."""
    for node in reversed(list(root.dfs())):
        parent, key, index = node.parent, node.arg_key, node.index
        new = fun(node)  # may wrap node, which moves it under the new node
        if new is node:
            continue
        if parent is None:
            root = new
        else:
            parent.set(key, new, index)
    return root


# -- column names --------------------------------------------------------------------------------


def _named(projection: exp.Expression) -> bool:
    while isinstance(projection, exp.Paren):
        projection = projection.this
    return isinstance(projection, exp.Alias | exp.Column | exp.Star | exp.Dot)


def name_columns(expression: exp.Expression) -> exp.Expression:
    """Give each unnamed output column of every SELECT, and the columns of a ``VALUES`` table without
    column names, a placeholder name (see :data:`UNNAMED_PREFIX`)."""
    count = 0
    for values in list(expression.find_all(exp.Values)):
        alias = values.args.get("alias")
        if (alias is not None and alias.columns) or not isinstance(values.parent, exp.From | exp.Join):
            continue
        first = values.expressions[0] if values.expressions else None
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        names = [exp.to_identifier(f"{UNNAMED_PREFIX}{count + i}", quoted=True) for i in range(width)]
        count += width
        values.set(
            "alias",
            exp.TableAlias(this=exp.to_identifier(alias.name if alias else "_fk_values"), columns=names),
        )
    for select in list(expression.find_all(exp.Select)):
        projections = select.expressions
        for i, projection in enumerate(projections):
            if _named(projection):
                continue
            projections[i] = exp.alias_(projection, f"{UNNAMED_PREFIX}{count}", quoted=True)
            projections[i].parent = select
            count += 1
    return expression


# -- time zones ------------------------------------------------------------------------------------


def _zone_literal(node: exp.Expression | None) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    return None


def _iso_offset(text: str) -> str | None:
    match = re.search(r"([+-]\d\d:?\d\d|Z)$", text.strip())
    if not match or match.group(1) == "Z":
        return None
    value = match.group(1)
    return value if ":" in value else f"{value[:3]}:{value[3:]}"


def _zone_of(node: exp.Expression) -> tuple[exp.Expression, str] | None:
    """``(instant, zone)`` when ``node`` makes a timestamp with time zone in a literal zone."""
    if isinstance(node, exp.AtTimeZone) and (zone := _zone_literal(node.args.get("zone"))):
        return _as_instant(node.this), zone
    if isinstance(node, exp.Anonymous) and len(node.expressions) == 2:
        name = node.name.lower()
        zone = _zone_literal(node.expressions[1])
        if zone and name == "at_timezone":
            return _as_instant(node.expressions[0]), zone
        if zone and name == "with_timezone":
            return call("timezone", exp.Literal.string(zone), node.expressions[0].copy()), zone
    if isinstance(node, exp.UnixToTime) and (zone := _zone_literal(node.args.get("zone"))):
        return call("to_timestamp", node.this.copy()), zone
    if isinstance(node, exp.FromISO8601Timestamp):
        literal = node.this
        if isinstance(literal, exp.Literal) and literal.is_string and (offset := _iso_offset(literal.this)):
            return node, offset
    return None


def _as_instant(node: exp.Expression) -> exp.Expression:
    return exp.cast(node.copy(), exp.DataType.build("TIMESTAMPTZ"))


def output_zones(expression: exp.Expression) -> dict[str, str]:
    """Mark the output columns that are timestamps in a named zone; returns ``{column: zone}``.

    Those columns stay instants in the SQL (the engine converts them to the zone); the same
    constructs elsewhere become the zone's wall time (see :func:`athena_semantics`).
    """
    select = expression
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select):
        return {}
    zones: dict[str, str] = {}
    for projection in select.expressions:
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        found = _zone_of(inner)
        if found is None:
            continue
        instant, zone = found
        instant.meta[_ZONED] = zone
        if inner is projection:
            continue  # a bare column cannot be zoned
        inner.replace(instant)
        zones[projection.alias_or_name] = zone
    return zones


def _wall_time(node: exp.Expression) -> exp.Expression:
    """A zone-producing construct inside an expression: the wall time of the instant in the zone."""
    if node.meta.get(_ZONED):
        return node
    found = _zone_of(node)
    if found is None:
        return node
    instant, zone = found
    if zone.startswith(("+", "-")):
        return node  # a fixed offset from an ISO 8601 text: kept as the instant
    wall = exp.AtTimeZone(this=instant, zone=exp.Literal.string(zone))
    wall.meta[_WALL] = zone
    return wall


# -- IPADDRESS ------------------------------------------------------------------------------------


def _is_type(node: exp.DataType, *kinds: exp.DataType.Type) -> bool:
    return node.this in kinds


def _ip_cast(node: exp.Cast) -> exp.Expression:
    macro = "fk_try_ipaddress" if isinstance(node, exp.TryCast) else "fk_ipaddress"
    return call(macro, node.this)


def _text_cast(node: exp.Cast) -> exp.Expression:
    """``CAST(x AS VARCHAR)``: an address (a DuckDB UUID here) prints as Trino prints it."""
    return call("fk_varchar", node.this)


# -- typeof ---------------------------------------------------------------------------------------


def _typeof(node: exp.Typeof) -> exp.Expression:
    argument = node.this
    if isinstance(argument, exp.Literal) and argument.is_string:
        return exp.Literal.string(f"varchar({len(argument.this)})")  # a literal's type has its length
    if isinstance(argument, exp.Cast) and argument.to.this == exp.DataType.Type.TIMESTAMP:
        precision = argument.to.expressions
        if precision:  # TIMESTAMP '...' literals: the number of fraction digits
            return exp.Literal.string(f"timestamp({precision[0].name})")
    return call("fk_trino_type", call("typeof", argument))


# -- dates ----------------------------------------------------------------------------------------


def _is_date(node: exp.Expression) -> bool:
    """Statically a DATE: a date literal or cast, ``date(...)``, ``current_date``, a date function."""
    if isinstance(node, exp.Paren):
        return _is_date(node.this)
    if isinstance(node, exp.Cast):
        return node.to.this == exp.DataType.Type.DATE
    if isinstance(node, exp.CurrentDate | exp.TsOrDsToDate | exp.StrToDate | exp.LastDay):
        return True
    if isinstance(node, exp.Date | exp.DateFromParts):
        return True
    return isinstance(node, exp.Column) and node.name.lower() == "date"


def _unit(node: exp.Expression) -> str:
    unit = node.args.get("unit")
    return (unit.name if isinstance(unit, exp.Expression) else str(unit or "day")).lower()


_DATE_UNITS = {"day", "week", "month", "quarter", "year"}


def _as_date(node: exp.Expression) -> exp.Expression:
    return exp.cast(node, exp.DataType.build("DATE"))


# -- the rewrite ---------------------------------------------------------------------------------


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ArrayContains):
        return rewrite_functions(node)
    if isinstance(node, exp.Div):
        if isinstance(node.this, exp.Interval) or isinstance(node.expression, exp.Interval):
            return node
        return exp.IntDiv(this=node.this, expression=node.expression)
    if isinstance(node, exp.Cast):
        to = node.to
        if _is_type(to, exp.DataType.Type.IPADDRESS):
            return _ip_cast(node)
        if _is_type(to, exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT, exp.DataType.Type.CHAR) and (
            not to.expressions and not isinstance(node, exp.TryCast)
        ):
            return _text_cast(node)
        return node
    if isinstance(node, exp.Typeof):
        return _typeof(node)
    if isinstance(node, exp.Ordered) and node.args.get("nulls_first") is None:
        node.set("nulls_first", False)
        return node
    if isinstance(node, exp.AtTimeZone | exp.Anonymous | exp.UnixToTime):
        wall = _wall_time(node)
        if wall is not node:
            return wall
    return _rewrite_function(node)


def _rewrite_function(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DateDiff):
        # Trino counts whole units between the two (date_diff('minute', 00:00:59, 00:01:00) = 0);
        # DuckDB's date_diff counts boundaries crossed, its date_sub whole units
        return call("date_sub", exp.Literal.string(_unit(node)), node.expression, node.this)
    if isinstance(node, exp.DateAdd | exp.DateSub | exp.TsOrDsAdd) and _is_date(node.this):
        if _unit(node) in _DATE_UNITS:
            return _as_date(node)
        return node
    if (
        isinstance(node, exp.Add | exp.Sub)
        and isinstance(node.expression, exp.Interval)
        and _is_date(node.this)
    ):
        if _unit(node.expression) in _DATE_UNITS:
            return _as_date(exp.paren(node))
        return node
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc) and _is_date(node.this):
        return _as_date(node)
    if (
        isinstance(node, exp.Bracket)
        and isinstance(node.this, exp.Array | exp.Split)
        and len(node.expressions) == 1
    ):
        # Trino fails past the end (DuckDB: NULL); element_at() is the NULL-giving form
        return call("fk_array_subscript", node.this, _trino_index(node.expressions[0]))
    if isinstance(node, exp.SplitPart):
        # Trino: NULL when the index is past the last field (DuckDB: '')
        fields = call("len", call("string_split", node.this.copy(), node.args["delimiter"].copy()))
        index = node.args["part_index"]
        return exp.Case(ifs=[exp.If(this=exp.LTE(this=index.copy(), expression=fields), true=node)])
    if isinstance(node, exp.RegexpExtract):
        # Trino: NULL when the pattern does not match (DuckDB: '')
        test = call("regexp_matches", node.this.copy(), node.expression.copy())
        return exp.Case(ifs=[exp.If(this=test, true=node)])
    if isinstance(node, exp.RegexpReplace):
        replacement = node.args.get("replacement")
        if replacement is None:
            node.set("replacement", exp.Literal.string(""))
        elif isinstance(replacement, exp.Literal) and replacement.is_string:
            node.set("replacement", exp.Literal.string(java_replacement(replacement.this)))
        else:
            raise QueryError(
                "regexp_replace with a computed replacement is not supported here: use a literal."
            )
        return node
    if isinstance(node, exp.Anonymous):
        return _rewrite_anonymous(node)
    return _rewrite_named(node)


def _trino_index(index: exp.Expression) -> exp.Expression:
    """sqlglot stores a Trino subscript 0-based (``x[5]`` as 4, ``x[i]`` as ``i - 1``): undo it."""
    if isinstance(index, exp.Literal) and index.is_int:
        return exp.Literal.number(int(index.this) + 1)
    if (
        isinstance(index, exp.Sub)
        and isinstance(index.expression, exp.Literal)
        and index.expression.this == "1"
    ):
        return index.this
    return exp.Add(this=index, expression=exp.Literal.number(1))


def java_replacement(text: str) -> str:
    """A Java/Trino regex replacement (``$1``, ``${name}``, ``\\$``) as RE2's (``\\1``).

    Examples:
        >>> java_replacement("3c$2 ")
        '3c\\\\2 '
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\\\\" if nxt == "\\" else nxt)
            i += 2
        elif char == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            j = i + 1
            while j < len(text) and text[j].isdigit():
                j += 1
            out.append("\\" + text[i + 1 : j])
            i = j
        elif char == "$":
            raise QueryError(
                f"regexp_replace replacement {text!r}: named groups (${{name}}) are not supported here."
            )
        else:
            out.append(char)
            i += 1
    return "".join(out)


_SIMPLE = {  # Trino name -> DuckDB name, same arguments and semantics
    "codepoint": "unicode",
    "hamming_distance": "hamming",
    "is_finite": "isfinite",
    "is_infinite": "isinf",
    "is_nan": "isnan",
    "every": "bool_and",
    "yow": "isoyear",
}


def _rewrite_anonymous(node: exp.Anonymous) -> exp.Expression:
    name = node.name.lower()
    args = [a.copy() for a in node.expressions]
    if name in _SIMPLE:
        return call(_SIMPLE[name], *args)
    if name == "e" and not args:
        return exp.func("exp", exp.Literal.number(1))
    if name in ("nan", "infinity") and not args:
        return exp.cast(
            exp.Literal.string("NaN" if name == "nan" else "Infinity"), exp.DataType.build("DOUBLE")
        )
    if name == "to_iso8601" and len(args) == 1 and isinstance(node.expressions[0], exp.AtTimeZone):
        wall = node.expressions[0]
        if wall.meta.get(_WALL):  # Trino prints the zone's offset: ...T18:00:00.000-07:00, or Z for UTC
            return call("fk_iso8601_zoned", wall.this.copy(), wall.copy())
    if name == "at_timezone" and len(args) == 2:
        return exp.AtTimeZone(this=_as_instant(args[0]), zone=args[1])
    if name == "with_timezone" and len(args) == 2:
        return call("timezone", args[1], args[0])
    return rewrite_functions(node)


def _rewrite_named(node: exp.Expression) -> exp.Expression:
    name = (node.meta.get("fk_name") or "").lower() if node.meta else ""
    if name == "millisecond":  # DuckDB's millisecond() includes the seconds (3123 for 03.123)
        return exp.Mod(this=exp.paren(node, copy=False), expression=exp.Literal.number(1000))
    return node


def athena_semantics(expression: exp.Expression) -> exp.Expression:
    """Rewrite a parsed (checked, bound, resolved) query so DuckDB answers what Athena answers."""
    return bottom_up(expression, _rewrite)
