"""The registries of Logs Insights functions: handlers by name, for scalar functions and aggregates.

A handler takes the compiler and the call node and returns a :class:`Typed` expression. Each
function module registers its handlers with the :func:`function` or :func:`aggregate` decorator;
:mod:`flowkit.engines.insights.functions` imports every such module, so importing it (as the
compiler does) fills both registries.

Examples:
    >>> demo = Registry("function")
    >>> @demo.register("twice", "double")
    ... def _twice(c, node): ...
    >>> sorted(demo)
    ['double', 'twice']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flowkit.engines.insights import ast
from flowkit.engines.insights.values import Typed

if TYPE_CHECKING:  # annotations only: at run time the compiler imports this module, not back
    from flowkit.engines.insights.compiler import Compiler

#: Compiles one call: ``handler(compiler, node) -> Typed``.
Handler = Callable[["Compiler", ast.Call], Typed]


class Registry(dict[str, Handler]):
    """Handlers by lower-case Logs Insights name: one entry per name, aliases share a handler.

    Args:
        kind: what the registry holds (``"function"``, ``"aggregate"``), for error messages.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def register(self, *names: str) -> Callable[[Handler], Handler]:
        """Register a handler under one or more names (a decorator).

        Args:
            *names: the lower-case names the handler compiles (the parser lower-cases calls).

        Returns:
            A decorator that registers the handler and returns it unchanged.

        Raises:
            ValueError: a name is not lower-case or is registered already.
        """

        def decorate(handler: Handler) -> Handler:
            for name in names:
                if name != name.lower():
                    raise ValueError(f"{self.kind} names are registered in lower case, not {name!r}")
                if name in self:
                    raise ValueError(f"the {self.kind} {name}() is registered twice")
                self[name] = handler
            return handler

        return decorate


#: Scalar functions (spec section 4.1 to 4.5): usable anywhere an expression is.
FUNCTIONS = Registry("function")
#: Stats aggregates and the non-aggregating stats functions (spec section 4.7): only inside stats.
AGGREGATES = Registry("aggregate")
#: Register a scalar function: ``@function("name", "alias")``.
function = FUNCTIONS.register
#: Register a stats aggregate: ``@aggregate("name")``.
aggregate = AGGREGATES.register

#: Documented functions the local engine refuses (priority P2 in the spec).
UNSUPPORTED_FUNCTIONS = (
    "jsonparse",
    "jsonstringify",
    "jsonarraysize",
    "jsonarraycontains",
    "split",
    "urlencode",
    "urldecode",
    "base64encode",
    "base64decode",
    "hextoascii",
    "hextodec",
    "dectohex",
    "haversine",
    "parsedate",
    "formatdate",
    "strftime",
    "unmask",
    "querystarttime",
    "queryendtime",
    "querytimerange",
    "messagesize",
)

__all__ = [
    "AGGREGATES",
    "FUNCTIONS",
    "UNSUPPORTED_FUNCTIONS",
    "Handler",
    "Registry",
    "aggregate",
    "function",
]
