"""The question catalogue: one file per question an investigator asks of VPC flow logs.

Each question is Athena SQL in ``<name>.sql`` (and, where written, a Logs Insights twin in
``<name>.cwli``) with a small header::

    -- name: rejected_outbound
    -- question: Which outbound connections from the VPC were rejected?
    -- params: vpc_cidr: cidr = 10.32.0.0/16, limit: limit = 200

``params`` lists ``name: type [= default]`` items; the types are the validators of
:mod:`flowkit.sql.params`. The query refers to them as ``:name`` placeholders, which are bound
as literals after validation, never pasted in. The ``guide_*`` files are the three Athena queries
of the AWS guide, verbatim.

Examples:
    >>> "rejected_outbound" in set(list_queries().name)
    True
    >>> render("outbound_admin_traffic", limit=10).splitlines()[-1]
    'LIMIT 10'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from flowkit.errors import ParameterError, QueryError
from flowkit.frames import with_flowkit_dtypes
from flowkit.queries.guide import guide_output
from flowkit.sql import VALIDATORS, validate

__all__ = ["Param", "Query", "get_query", "guide_output", "list_queries", "render", "strip_header"]

QUERY_DIR = Path(__file__).parent
_HEADER = re.compile(r"^\s*(?:--|#)\s*(name|question|params|source)\s*:\s*(.*?)\s*$")
_PARAM = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*:\s*([a-z_0-9]+)\s*(?:=\s*(.*?))?\s*$")


@dataclass(frozen=True)
class Param:
    """A typed query parameter (``kind`` is a :data:`~flowkit.sql.params.VALIDATORS` key)."""

    name: str
    kind: str
    default: str | None = None


@dataclass(frozen=True)
class Query:
    """One catalogue question.

    Attributes:
        name: snake_case name, the file's stem.
        question: the question in plain words.
        params: the typed parameters, in header order.
        sql: the Athena SQL text (header included; it is made of comments).
        path: the ``.sql`` file.
        insights: the Logs Insights twin's text, if a ``.cwli`` file exists.
        source: where the query comes from (e.g. the AWS guide), if stated.
    """

    name: str
    question: str
    params: tuple[Param, ...]
    sql: str
    path: Path
    insights: str | None = None
    source: str | None = None
    kinds: dict[str, str] = field(default_factory=dict, compare=False)

    def bind_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """Defaults merged with ``values``, each validated by its type.

        Raises:
            ParameterError: on an unknown name, a missing value with no default, or a bad value.
        """
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            have = ", ".join(known) or "none"
            raise ParameterError(
                f"query {self.name!r} has no parameter(s) {', '.join(unknown)}; it takes: {have}."
            )
        bound: dict[str, Any] = {}
        for p in self.params:
            if p.name in values and values[p.name] is not None:
                bound[p.name] = validate(p.kind, values[p.name], name=p.name)
            elif p.default is not None:
                bound[p.name] = validate(p.kind, p.default, name=p.name)
            else:
                raise ParameterError(
                    f"query {self.name!r} needs a value for {p.name!r} ({p.kind}): pass --param {p.name}=..."
                )
        return bound


def _parse_header(text: str, path: Path) -> dict[str, str]:
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _HEADER.match(line)
        if not match:
            if line.lstrip().startswith(("--", "#")):
                continue
            break
        header[match.group(1)] = match.group(2)
    for key in ("name", "question"):
        if not header.get(key):
            raise QueryError(f"{path}: the header has no '-- {key}: ...' line.")
    if header["name"] != path.stem:
        raise QueryError(f"{path}: header name {header['name']!r} differs from the file name {path.stem!r}.")
    return header


def parse_params(spec: str, *, where: str = "<params>") -> tuple[Param, ...]:
    """Parse a header's ``name: type = default, ...`` list.

    Examples:
        >>> parse_params("eni: eni_id = eni-1234567890000000, limit: limit = 200")[1]
        Param(name='limit', kind='limit', default='200')
    """
    params: list[Param] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        match = _PARAM.match(item)
        if not match:
            raise QueryError(f"{where}: bad parameter {item!r}; write 'name: type = default'.")
        name, kind, default = match.groups()
        if kind not in VALIDATORS:
            raise QueryError(f"{where}: parameter {name!r} has unknown type {kind!r}.")
        if default is not None:
            validate(kind, default, name=name)
        params.append(Param(name, kind, default))
    return tuple(params)


def load_query(path: Path) -> Query:
    """Read one catalogue file (and its ``.cwli`` twin, if any)."""
    text = path.read_text(encoding="utf-8")
    header = _parse_header(text, path)
    params = parse_params(header.get("params", ""), where=str(path))
    twin = path.with_suffix(".cwli")
    return Query(
        name=header["name"],
        question=header["question"],
        params=params,
        sql=text,
        path=path,
        insights=twin.read_text(encoding="utf-8") if twin.exists() else None,
        source=header.get("source"),
        kinds={p.name: p.kind for p in params},
    )


@cache
def _catalogue() -> dict[str, Query]:
    return {path.stem: load_query(path) for path in sorted(QUERY_DIR.glob("*.sql"))}


def get_query(name: str) -> Query:
    """The catalogue question called ``name``.

    Raises:
        QueryError: if there is none (the message suggests the closest name).
    """
    catalogue = _catalogue()
    if not isinstance(name, str):
        raise QueryError(
            f"a catalogue query is named by text (str), not {type(name).__name__}: {name!r:.80}."
        )
    if name in catalogue:
        return catalogue[name]
    close = difflib.get_close_matches(name, list(catalogue), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else " Run `flowkit sql --list` to see them."
    raise QueryError(f"no catalogue query named {name!r}.{hint}")


def list_queries() -> pd.DataFrame:
    """The catalogue as a DataFrame: name, question, params, and whether an Insights twin exists."""
    rows = [
        {
            "name": q.name,
            "question": q.question,
            "params": ", ".join(
                f"{p.name}: {p.kind}" + (f" = {p.default}" if p.default else "") for p in q.params
            ),
            "insights": q.insights is not None,
        }
        for q in _catalogue().values()
    ]
    return with_flowkit_dtypes(pd.DataFrame(rows, columns=["name", "question", "params", "insights"]))


def strip_header(text: str) -> str:
    """A catalogue file's text without its header: the query as an engine runs it."""
    lines = text.splitlines()
    while lines and (not lines[0].strip() or _HEADER.match(lines[0]) or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    return "\n".join(lines).strip()


def render(name: str, dialect: Literal["athena", "duckdb", "insights"] = "athena", **params: Any) -> str:
    """A catalogue query's text with its parameters bound (defaults for those not given).

    Args:
        name: the catalogue name.
        dialect: ``"athena"`` (Trino SQL, as sent to Athena), ``"duckdb"`` (as the local engine
            runs it) or ``"insights"`` (the ``.cwli`` twin).
        **params: parameter values.

    Raises:
        QueryError: unknown query, or no Insights twin.
        ParameterError: on a bad parameter.
    """
    from flowkit.sql import bind, parse_athena, to_duckdb  # sqlglot and DuckDB load only when needed

    query = get_query(name)
    values = query.bind_values(params)
    if dialect == "athena":
        return bind(parse_athena(strip_header(query.sql)), values, query.kinds).sql(
            dialect="athena", pretty=True
        )
    if dialect == "duckdb":
        return to_duckdb(strip_header(query.sql), params=values, kinds=query.kinds)
    if dialect == "insights":
        if query.insights is None:
            raise QueryError(
                f"query {name!r} has no Logs Insights version ({query.path.with_suffix('.cwli')})."
            )
        return bind_insights(strip_header(query.insights), values)
    raise QueryError(f"unknown dialect {dialect!r}: use athena, duckdb or insights.")


def bind_insights(text: str, values: dict[str, Any]) -> str:
    """Bind validated values into Logs Insights text: ``:name`` outside quotes becomes a literal.

    Numbers go in bare, text in double quotes (validated values hold no quotes or backslashes).
    """
    out: list[str] = []
    pattern = re.compile(r"'[^']*'|\"[^\"]*\"|:([A-Za-z_][A-Za-z0-9_]*)")

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        if name not in values:
            raise ParameterError(f"the Insights query uses :{name}, which is not a declared parameter.")
        value = values[name]
        if isinstance(value, int):
            return str(value)
        if '"' in str(value) or "\\" in str(value):
            raise ParameterError(f"parameter {name!r}: quotes and backslashes are not allowed.")
        return f'"{value}"'

    out.append(pattern.sub(swap, text))
    return "".join(out)
