"""Bounds on the sizes a user controls, each with a name, and a YAML loader that keeps to them.

A number a user types (a figure's resolution, how many bars a chart draws, how many notebooks run at
once, how many records to simulate) or a file a user writes (a scenario, an allowlist) can ask for more
memory or time than a laptop has. Each such size has a limit here, and a value past it is refused
before any work with a message that names the limit, instead of a crash half-way (a 20,000 dpi figure
needs tens of gigabytes; a YAML list nested 500 deep exhausts Python's recursion).

Examples:
    >>> check_range(300, "--dpi", 1, MAX_DPI, limit="MAX_DPI")
    300
    >>> check_range(20_000, "--dpi", 1, MAX_DPI, limit="MAX_DPI")
    Traceback (most recent call last):
    flowkit.errors.ArgumentError: --dpi 20000 is over the limit of 600 (flowkit.limits.MAX_DPI).
"""

from __future__ import annotations

import math
from typing import Any

from flowkit.errors import ArgumentError, FlowkitError

#: Resolution of a saved figure, in dots per inch (print quality is 300).
MAX_DPI = 600
#: Pixels of a saved figure (width times height): 50 million is about 200 MB of RGBA while drawing.
MAX_FIGURE_PIXELS = 50_000_000
#: Categories one chart draws (``n=`` of the plots, ``--top`` of ``flowkit report``).
MAX_CATEGORIES = 500
#: Notebooks ``flowkit demo`` runs at once (each is a Python process).
MAX_JOBS = 16
#: Records the simulator makes per simulated second, on average (one chunk of records is in memory).
MAX_RECORDS_PER_SECOND = 2_000
#: Size of a scenario or allowlist YAML file.
MAX_YAML_BYTES = 10 * 2**20
#: Nesting depth of a scenario or allowlist YAML document (mappings and lists inside each other).
MAX_YAML_DEPTH = 50
#: Values in a YAML document once aliases are expanded (a "billion laughs" file is refused).
MAX_YAML_NODES = 1_000_000


def check_range(
    value: Any, name: str, low: float, high: float, *, limit: str | None = None, error: type = ArgumentError
) -> Any:
    """Return ``value`` if it is a real number in ``[low, high]``; else raise naming ``name`` and the limit.

    Args:
        value: the number to check (``bool`` and NaN are refused).
        name: how the user wrote it (``"--dpi"``, ``"dpi"``).
        low, high: the inclusive bounds.
        limit: the name of the upper bound in this module, to name it in the message.
        error: the :class:`~flowkit.errors.FlowkitError` subclass to raise.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise error(f"{name} must be a number, not {value!r}.")
    if value < low:
        raise error(f"{name} must be at least {low:g}, not {value}.")
    if value > high:
        named = f" (flowkit.limits.{limit})" if limit else ""
        raise error(f"{name} {value} is over the limit of {high:,}{named}.")
    return value


def check_figure(figure: Any, dpi: float, *, name: str = "the figure") -> None:
    """Refuse to save ``figure`` at ``dpi`` when it would pass :data:`MAX_DPI` or :data:`MAX_FIGURE_PIXELS`.

    Raises:
        ArgumentError: naming the size and the limit.
    """
    check_range(dpi, "dpi", 1, MAX_DPI, limit="MAX_DPI")
    width, height = figure.get_size_inches()
    pixels = width * dpi * height * dpi
    if pixels > MAX_FIGURE_PIXELS:
        raise ArgumentError(
            f"{name} would be {width * dpi:.0f} x {height * dpi:.0f} pixels, over the limit of "
            f"{MAX_FIGURE_PIXELS:,} (flowkit.limits.MAX_FIGURE_PIXELS): lower the dpi or the figure size."
        )


def load_yaml(text: str, *, where: str, error: type[FlowkitError], loader: Any = None) -> Any:
    """Parse a YAML document after checking it against :data:`MAX_YAML_BYTES`, :data:`MAX_YAML_DEPTH`
    and :data:`MAX_YAML_NODES`.

    The depth and the expanded size are measured on the parser's event stream, which needs no
    recursion, so no document can exhaust Python's stack or memory before it is refused.

    Args:
        text: the document.
        where: the file name, for messages.
        error: the error to raise for a document past a limit.
        loader: the PyYAML loader class (default: the C safe loader when available).

    Raises:
        error: the document is past a limit (the message names it).
        yaml.YAMLError: the document is not valid YAML (the caller says where).

    Examples:
        >>> load_yaml("rules: [{name: a}]", where="a.yaml", error=FlowkitError)
        {'rules': [{'name': 'a'}]}
        >>> load_yaml("[" * 60 + "]" * 60, where="deep.yaml", error=FlowkitError)
        Traceback (most recent call last):
        flowkit.errors.FlowkitError: deep.yaml, line 1: nested deeper than 50 levels (flowkit.limits.MAX_YAML_DEPTH); ...
    """
    import yaml

    loader = loader or getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if len(text) > MAX_YAML_BYTES:
        raise error(
            f"{where}: {len(text):,} characters, over the limit of {MAX_YAML_BYTES:,} for a YAML file "
            "(flowkit.limits.MAX_YAML_BYTES)."
        )
    depth = nodes = 0
    starts: list[tuple[str | None, int]] = []
    anchored: dict[str, int] = {}
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            nodes += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise error(
                    f"{where}, line {line}: nested deeper than {MAX_YAML_DEPTH} levels "
                    "(flowkit.limits.MAX_YAML_DEPTH); a scenario or allowlist needs a few."
                )
            starts.append((event.anchor, nodes))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, first = starts.pop()
            if anchor:
                anchored[anchor] = nodes - first + 1
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor:
                anchored[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            nodes += anchored.get(event.anchor, 1)
        if nodes > MAX_YAML_NODES:
            raise error(
                f"{where}: more than {MAX_YAML_NODES:,} values once its aliases (*name) are expanded "
                "(flowkit.limits.MAX_YAML_NODES)."
            )
    return yaml.load(text, Loader=loader)  # a safe loader: plain data only
