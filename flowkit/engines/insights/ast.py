"""The syntax tree of a Logs Insights query: what the parser builds and the compiler reads.

Every node keeps ``pos`` (its offset in the query text) so errors can point at it, and ``text``
(its source text, whitespace collapsed), which is how CloudWatch names an unaliased column
(``count(*)``, ``sum(bytes)``, ``bin(5m)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Node:
    """Base class: a position in the query and the node's source text."""

    pos: int = field(default=0, kw_only=True, compare=False)
    text: str = field(default="", kw_only=True, compare=False)


# --- expressions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field(Node):
    """A field reference: ``srcAddr``, ``@timestamp``, ``requestParameters.userName``, a backtick name."""

    name: str


@dataclass(frozen=True)
class Literal(Node):
    """A string, number or boolean (``true``/``false``) literal."""

    value: str | int | float | bool


@dataclass(frozen=True)
class Regex(Node):
    """A ``/regex/`` literal (the pattern between the slashes)."""

    pattern: str


@dataclass(frozen=True)
class Duration(Node):
    """A time period such as ``5m`` or ``1h``: ``amount`` of ``unit`` (a canonical unit name)."""

    amount: int
    unit: str


@dataclass(frozen=True)
class ListLit(Node):
    """A list literal ``[a, b, ...]`` (only as the right side of ``in``)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Star(Node):
    """The ``*`` of ``count(*)``."""


@dataclass(frozen=True)
class Call(Node):
    """A function call; ``name`` is lower-cased (function names are case-insensitive)."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary(Node):
    """``-x`` or ``not x``."""

    op: str
    operand: Expr


@dataclass(frozen=True)
class Binary(Node):
    """A binary operation. ``op`` is one of ``+ - * / ^ %``, ``= != < <= > >=``, ``and``, ``or``,
    ``like``, ``not like``, ``=~``, ``!~``, ``in``, ``not in``."""

    op: str
    left: Expr
    right: Expr


Expr = Field | Literal | Regex | Duration | ListLit | Star | Call | Unary | Binary


@dataclass(frozen=True)
class Item(Node):
    """One ``expr [as alias]`` item of ``fields``, ``display``, ``stats`` or a ``by`` key."""

    expr: Expr
    alias: str | None = None

    @property
    def name(self) -> str:
        """The output column name: the alias, a bare field's name, or the expression's text."""
        if self.alias:
            return self.alias
        if isinstance(self.expr, Field):
            return self.expr.name
        return self.expr.text


# --- commands ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fields(Node):
    """``fields`` (``display=False``) or ``display`` (``display=True``)."""

    items: tuple[Item, ...]
    display: bool = False


@dataclass(frozen=True)
class Filter(Node):
    """``filter`` or ``where``."""

    condition: Expr
    keyword: str = "filter"


@dataclass(frozen=True)
class Stats(Node):
    """``stats agg [as a], ... [by key [as k], ...]``."""

    aggregates: tuple[Item, ...]
    by: tuple[Item, ...] = ()


@dataclass(frozen=True)
class SortKey(Node):
    """One sort key; ``descending`` is None when neither ``asc`` nor ``desc`` was written."""

    expr: Expr
    descending: bool | None = None


@dataclass(frozen=True)
class Sort(Node):
    """``sort`` (or the undocumented ``order by``: ``keyword="order by"``)."""

    keys: tuple[SortKey, ...]
    keyword: str = "sort"


@dataclass(frozen=True)
class Limit(Node):
    """``limit N`` (or the deprecated ``head N``: ``keyword="head"``)."""

    count: int
    keyword: str = "limit"


@dataclass(frozen=True)
class Parse(Node):
    """``parse [field] "glob with *" as a, b`` or ``parse [field] /regex (?<name>...)/``."""

    source: Field
    pattern: str
    is_regex: bool
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Dedup(Node):
    """``dedup f1, f2``."""

    fields: tuple[Field, ...]


Command = Fields | Filter | Stats | Sort | Limit | Parse | Dedup


@dataclass(frozen=True)
class Query(Node):
    """A whole query: its commands, left to right."""

    commands: tuple[Command, ...]
