"""``flowkit sql``: run Athena SQL (or a catalogue question) on local flow logs, or on Athena.

Offline (the default) the query runs on DuckDB over ``--data``; with ``--athena DB[.TABLE]`` it runs on
Athena, bounded by ``--start``/``--end`` (default: the last day) so partitions are pruned, and the data it
scanned and its cost follow the result on stderr. ``--show-sql`` prints what would be run, without running
it: the DuckDB SQL offline; on Athena the query text and its execution parameters, one ``-- ?N = value``
comment line each, in order.
"""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._aws import (
    add_query_target_arguments,
    aws_failures,
    on_aws,
    open_aws_engine,
    print_translation,
    say_cost,
    time_range,
)
from flowkit.cli._data import add_data_arguments, open_engine, say_scanned, say_skipped
from flowkit.cli._output import add_output_argument, parse_params, print_frame
from flowkit.errors import FlowkitError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sql`` subcommand."""
    parser = subparsers.add_parser(
        "sql",
        help="run Athena SQL or a catalogue question on local flow logs (DuckDB) or on Athena",
        description=(
            "Run an Athena (Trino) SQL query on local flow logs, or on Athena with --athena DB[.TABLE]. The "
            "table is vpc_flow_logs (the AWS guide's "
            '"<vpc_flow_logs_table_name>" works too). Parameters (:name) are validated and bound, '
            "never pasted. On Athena every query is bounded by --start/--end (default: the last day) and "
            "the data scanned and its cost are printed on stderr after the result."
        ),
    )
    parser.add_argument("query", nargs="?", help="the SQL text (or '-' to read it from stdin)")
    parser.add_argument("--query", "-q", dest="name", metavar="NAME", help="run the catalogue question NAME")
    parser.add_argument("--list", action="store_true", help="list the catalogue questions and exit")
    add_data_arguments(parser)
    parser.add_argument(
        "--param",
        "-p",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a query parameter; repeatable",
    )
    parser.add_argument(
        "--show-sql",
        action="store_true",
        help="print what would run instead of running it: the DuckDB SQL, or the Athena text and its "
        "execution parameters",
    )
    add_query_target_arguments(parser, what="the records queried")
    add_output_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from flowkit.queries import get_query, list_queries, strip_header

    if args.list:
        print_frame(list_queries()[["name", "question", "params"]], args.output)
        return 0
    params = parse_params(args.param)
    if args.name and args.query:
        raise FlowkitError("give either SQL text or --query NAME, not both.")
    if not args.name and not args.query:
        raise FlowkitError(
            'give SQL text, e.g. flowkit sql "SELECT count(*) FROM vpc_flow_logs", or --query NAME.'
        )
    aws = on_aws(args, needs="athena")
    start, end = time_range(args, aws=aws)
    if args.name:
        query = get_query(args.name)
        values = query.bind_values(params)
        text, kinds = (strip_header(query.sql) if aws else query.sql), query.kinds
    else:
        text = sys.stdin.read() if args.query == "-" else args.query
        values, kinds = dict(params), None
    bounds = {"start": start, "end": end} if start is not None or end is not None else {}
    if not aws:
        engine = open_engine(args)
        if args.show_sql:
            print(engine.translate(text, _kinds=kinds, **bounds, **values).sql)
            return 0
        frame = engine.sql(text, _kinds=kinds, **bounds, **values)
        print_frame(frame, args.output)
        say_scanned(args, frame)
        say_skipped(args, engine)
        return 0
    with aws_failures():
        engine = open_aws_engine(args)
        if args.show_sql:
            print_translation(engine.translate(text, _kinds=kinds, **bounds, **values))
            return 0
        frame = engine.sql(text, _kinds=kinds, **bounds, **values)
    print_frame(frame, args.output)
    say_cost(args, frame, start, end)
    return 0
