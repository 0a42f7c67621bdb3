"""``flowkit ip-ranges``: what the AWS ip-ranges extract covers, and refreshing it from AWS's published file.

``flowkit ip-ranges show`` prints where the extract comes from, when AWS published it, and its Regions and
services. ``flowkit ip-ranges update`` fetches https://ip-ranges.amazonaws.com/ip-ranges.json and rewrites the
extract (the same Regions and services by default; ``--all`` keeps every prefix), atomically: offline it says
so in one line, exits 1 and leaves the extract as it was.
"""

from __future__ import annotations

import argparse
import sys

from flowkit.cli._output import add_output_argument, print_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ip-ranges`` command with its ``show`` and ``update`` actions."""
    parser = subparsers.add_parser(
        "ip-ranges",
        help="show what the AWS ip-ranges extract covers, or refresh it from AWS (online)",
        description=(
            "flowkit names AWS services and Regions of addresses from an extract of AWS's ip-ranges.json "
            "(flowkit/data/ip-ranges-extract.json). `show` says what it covers; `update` refreshes it."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print the source, publication date, Regions and services")
    show.add_argument("--file", default=None, help="an ip-ranges.json file (default: the extract)")
    add_output_argument(show)
    show.set_defaults(func=run_show)
    update = actions.add_parser("update", help="fetch AWS's current file and rewrite the extract (online)")
    update.add_argument("--url", default=None, help="where to fetch it (default: AWS's published URL)")
    update.add_argument("--out", default=None, help="the file to write (default: the shipped extract)")
    update.add_argument(
        "--region", action="append", help="keep this Region (repeatable; default: the extract's)"
    )
    update.add_argument(
        "--service", action="append", help="keep this service (repeatable; default: the extract's)"
    )
    update.add_argument("--all", action="store_true", help="keep every prefix (the full file, about 1.5 MB)")
    update.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the download")
    update.set_defaults(func=run_update)


def run_show(args: argparse.Namespace) -> int:
    """Print the coverage table."""
    from flowkit.enrich.aws_ranges import ip_ranges_coverage, load_ip_ranges

    print_frame(ip_ranges_coverage(load_ip_ranges(args.file) if args.file else None), args.output)
    return 0


def run_update(args: argparse.Namespace) -> int:
    """Fetch, filter, write; one line on how it went."""
    from flowkit.enrich.aws_ranges import IP_RANGES_URL, update_ip_ranges
    from flowkit.errors import IpRangesUnreachable

    try:
        ranges = update_ip_ranges(
            args.url or IP_RANGES_URL,
            args.out,
            regions=args.region,
            services=args.service,
            everything=args.all,
            timeout=args.timeout,
        )
    except IpRangesUnreachable as exc:
        print(f"flowkit ip-ranges: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    published = ranges.create_date.strftime("%Y-%m-%d %H:%M UTC") if ranges.create_date else "unknown"
    print(f"wrote {ranges.source}: {len(ranges.prefixes)} prefixes, published {published}")
    return 0
