"""``flowkit sql``: run Athena SQL (or a catalogue question) on local flow logs."""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._data import add_data_arguments, open_engine
from flowkit.cli._output import add_output_argument, parse_params, print_frame
from flowkit.errors import FlowkitError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sql`` subcommand."""
    parser = subparsers.add_parser(
        "sql",
        help="run Athena SQL or a catalogue question on local flow logs (DuckDB)",
        description=(
            "Run an Athena (Trino) SQL query on local flow logs. The table is vpc_flow_logs (the AWS guide's "
            '"<vpc_flow_logs_table_name>" works too). Parameters (:name) are validated and bound, '
            "never pasted."
        ),
    )
    parser.add_argument("query", nargs="?", help="the SQL text (or '-' to read it from stdin)")
    parser.add_argument("--query", "-q", dest="name", metavar="NAME", help="run the catalogue question NAME")
    parser.add_argument("--list", action="store_true", help="list the catalogue questions and exit")
    add_data_arguments(parser, skip_bad=False)
    parser.add_argument(
        "--param",
        "-p",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a query parameter; repeatable",
    )
    parser.add_argument("--show-sql", action="store_true", help="print the DuckDB SQL instead of running it")
    add_output_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from flowkit.queries import get_query, list_queries

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
    engine = open_engine(args)
    if args.name:
        query = get_query(args.name)
        values = query.bind_values(params)
        text, kinds = query.sql, query.kinds
    else:
        text = sys.stdin.read() if args.query == "-" else args.query
        values, kinds = dict(params), None
    if args.show_sql:
        print(engine.translate(text, _kinds=kinds, **values).sql)
        return 0
    frame = engine.sql(text, _kinds=kinds, **values)
    print_frame(frame, args.output)
    return 0
