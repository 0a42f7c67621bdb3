"""``flowkit insights``: run a CloudWatch Logs Insights query on local flow logs, or on CloudWatch Logs.

Offline (the default) the query runs on DuckDB over ``--data`` with Logs Insights' semantics; with
``--log-group NAME`` (repeatable) it runs on CloudWatch Logs Insights over ``--start``/``--end`` (default:
the last day), and the data it scanned and its cost follow the result on stderr. ``--show-sql`` on AWS
prints the StartQuery request (query text, log groups, time range in seconds) as JSON, without running it.
"""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._aws import (
    add_query_target_arguments,
    aws_failures,
    on_aws,
    open_aws_engine,
    say_cost,
    time_range,
)
from flowkit.cli._data import add_data_arguments, open_engine, say_skipped
from flowkit.cli._output import add_output_argument, parse_params, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``insights`` command."""
    parser = subparsers.add_parser(
        "insights",
        help="run a CloudWatch Logs Insights query on local flow logs or on CloudWatch Logs",
        description=(
            "Run a Logs Insights query offline, with CloudWatch's semantics (columns, order, 10,000-row cap), "
            "or on CloudWatch Logs with --log-group NAME. "
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
    add_data_arguments(parser)
    parser.add_argument(
        "--show-sql",
        action="store_true",
        help="offline, also print the DuckDB SQL the query compiles to (stderr); on AWS, print the StartQuery "
        "request as JSON instead of running it",
    )
    add_query_target_arguments(parser, what="the time range (inclusive)")
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
    if on_aws(args, needs="logs"):
        return _run_aws(args, query)
    engine = open_engine(args, end_inclusive=True)
    if args.show_sql:
        events = table_events(engine.con, "vpc_flow_logs")
        compiled = compile_query(query, engine.fields, start=args.start, end=args.end, events=events)
        print(compiled.sql, file=sys.stderr)
    result = engine.insights(query, start=args.start, end=args.end)
    print_frame(result, args.output)
    for note in result.attrs.get("notes", []):
        print(f"note: {note}", file=sys.stderr)
    say_skipped(args, engine)
    return 0


def _run_aws(args: argparse.Namespace, query: str) -> int:
    """Run on CloudWatch Logs Insights (or, with ``--show-sql``, print the request it would send)."""
    import json

    start, end = time_range(args, aws=True)
    with aws_failures():
        if args.show_sql:
            from flowkit.aws.logs import start_query_request
            from flowkit.cli._aws import aws_session, log_groups

            request = start_query_request(
                query, log_groups(args), start=start, end=end, boto3_session=aws_session(args)
            )
            print(json.dumps(request, indent=2))
            return 0
        result = open_aws_engine(args).insights(query, start=start, end=end)
    print_frame(result, args.output)
    say_cost(args, result, start, end)
    return 0
