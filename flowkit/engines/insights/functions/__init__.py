"""Logs Insights functions, one module per family of the spec's section 4, and how a call compiles.

Importing this package imports every function module, and each module registers its handlers in
:data:`FUNCTIONS` or :data:`AGGREGATES` (see :mod:`~flowkit.engines.insights.functions.registry`).
The compiler imports only this package, so it always sees every function, whatever else has or
has not been imported.

- :mod:`~.numeric`, :mod:`~.general`, :mod:`~.strings`, :mod:`~.dates`, :mod:`~.ip`: scalar
  functions (sections 4.1 to 4.5);
- :mod:`~.aggregates`: the stats functions (section 4.7).

Examples:
    >>> "isipv4insubnet" in FUNCTIONS and "pct" in AGGREGATES
    True
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from flowkit.engines.insights import ast
from flowkit.engines.insights.errors import InsightsQueryError, UnsupportedError

# Every function module, imported here and only here (importing one registers its functions).
from flowkit.engines.insights.functions import aggregates, dates, general, ip, numeric, strings
from flowkit.engines.insights.functions.aggregates import compile_aggregate
from flowkit.engines.insights.functions.registry import (
    AGGREGATES,
    FUNCTIONS,
    UNSUPPORTED_FUNCTIONS,
    Handler,
)
from flowkit.engines.insights.values import Typed

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler

#: The function modules, in the order of the spec's section 4.
MODULES = (numeric, general, strings, dates, ip, aggregates)


def compile_call(c: Compiler, node: ast.Call) -> Typed:
    """Compile a function call: an aggregate (only valid in ``stats``) or a scalar function.

    Args:
        c: the compiler.
        node: the call (its name lower-cased by the parser).

    Returns:
        The compiled expression.

    Raises:
        UnsupportedError: a documented function the local engine does not run.
        InsightsQueryError: an unknown function (with the closest known name) or bad arguments.
    """
    if node.name in AGGREGATES:
        return compile_aggregate(c, node)
    return scalar_handler(c, node)(c, node)


def scalar_handler(c: Compiler, node: ast.Call) -> Handler:
    """Find the handler of a scalar function, or raise a clear error for other names.

    Args:
        c: the compiler (for the query text in error messages).
        node: the call.

    Returns:
        The registered handler.

    Raises:
        UnsupportedError: a documented function the local engine does not run.
        InsightsQueryError: a name that is not a Logs Insights function.
    """
    if node.name in FUNCTIONS:
        return FUNCTIONS[node.name]
    if node.name in UNSUPPORTED_FUNCTIONS:
        raise UnsupportedError(
            f"the Logs Insights function {node.name}() is not supported locally", c.text, node.pos
        )
    close = difflib.get_close_matches(node.name, list(FUNCTIONS), n=1)
    hint = f"; did you mean {close[0]}()?" if close else ""
    raise InsightsQueryError(f"unknown function {node.name}(){hint}", c.text, node.pos)


__all__ = [
    "AGGREGATES",
    "FUNCTIONS",
    "MODULES",
    "UNSUPPORTED_FUNCTIONS",
    "compile_call",
    "scalar_handler",
]
