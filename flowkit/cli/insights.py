"""``flowkit insights``: run a CloudWatch Logs Insights query on local flow logs."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._data import add_data_arguments, open_engine
from flowkit.cli._output import add_output_argument, parse_params, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``insights`` command."""
    parser = subparsers.add_parser(
        "insights",
        help="run a CloudWatch Logs Insights query on local flow logs",
        description=(
            "Run a Logs Insights query offline, with CloudWatch's semantics (columns, order, 10,000-row cap). "
            "Compatibility notes (where CloudWatch would answer differently) go to stderr. "
            "Example: flowkit insights \"filter action = 'REJECT' | stats count(*) by srcAddr\""
        ),
    )
    parser.add_argument("query", nargs="?", help="the Logs Insights query (or give --name)")
    parser.add_argument(
        "--name", help="run a catalogue question's Logs Insights twin instead (see flowkit.queries)"
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of --name (repeatable)",
    )
    add_data_arguments(parser, skip_bad=False)
    parser.add_argument(
        "--start", help="start of the time range, ISO 8601 (inclusive), e.g. 2026-05-24T10:00:00Z"
    )
    parser.add_argument("--end", help="end of the time range, ISO 8601 (inclusive)")
    parser.add_argument("--show-sql", action="store_true", help="print the DuckDB SQL the query compiles to")
    add_output_argument(parser)
    parser.set_defaults(func=run)


def _query_text(args: argparse.Namespace) -> str:
    from flowkit.errors import ParameterError

    if args.name and args.query:
        raise ParameterError("give either a query or --name NAME, not both.")
    if args.param and not args.name:
        raise ParameterError(
            "--param goes with --name NAME (a catalogue question); a typed query takes none."
        )
    if args.name:
        from flowkit.queries import render

        return render(args.name, "insights", **parse_params(args.param))
    if not args.query:
        raise ParameterError(
            'give a query, e.g. flowkit insights "stats count(*) by action", or --name NAME.'
        )
    return args.query


def run(args: argparse.Namespace) -> int:
    """Connect to the data, run the query, print the result and the notes."""
    from flowkit.engines.insights.run import compile_query, table_events

    query = _query_text(args)
    engine = open_engine(args)
    if args.show_sql:
        events = table_events(engine.con, "vpc_flow_logs")
        compiled = compile_query(query, engine.fields, start=args.start, end=args.end, events=events)
        print(compiled.sql, file=sys.stderr)
    result = engine.insights(query, start=args.start, end=args.end)
    print_frame(result, args.output)
    for note in result.attrs.get("notes", []):
        print(f"note: {note}", file=sys.stderr)
    return 0
