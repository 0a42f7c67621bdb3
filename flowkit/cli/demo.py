"""``flowkit demo``: the main job of ``make demo`` on the bundled data, offline."""

from __future__ import annotations

import argparse

from flowkit.cli._output import default_data, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="run the kit on the bundled sample, offline, and print what it finds",
        description="Run the kit on the bundled sample data (no AWS account, no network).",
    )
    parser.add_argument("--data", default=None, help="data to use (default: the bundled sample)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Summarise the bundled sample."""
    from flowkit.read import read_flow_logs
    from flowkit.summary import summarize

    data = args.data or default_data()
    flows = read_flow_logs(data)
    print(f"flowkit demo: {data}")
    print_frame(summarize(flows))
    return 0
