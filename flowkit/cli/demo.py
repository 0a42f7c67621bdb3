"""``flowkit demo``: run every guided notebook headless on the bundled data, offline (``make demo``).

Executed copies go to ``build/notebooks/``, HTML renderings to ``build/html/`` and a summary to
``build/summary.md`` and ``build/index.html``, all together when every notebook has run (a Ctrl-C leaves
``build/`` as it was); the command prints where they are, how each notebook went and what it found.
Exit status 0 when every notebook ran without an error or a warning, 1 otherwise.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flowkit.errors import FlowkitError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    parser = subparsers.add_parser(
        "demo",
        help="run every notebook headless on the bundled sample (offline); outputs and HTML in build/",
        description=(
            "Run the guided notebooks top to bottom on fresh kernels with the bundled sample data "
            "(no AWS account, no network). Writes executed copies, HTML and a summary to --out and "
            "prints a short summary of the findings."
        ),
    )
    parser.add_argument(
        "notebooks", nargs="*", help="notebooks to run (default: every numbered notebook in notebooks/)"
    )
    parser.add_argument(
        "--data", default=None, help="flow logs the notebooks read (default: their own, the bundled sample)"
    )
    parser.add_argument("--out", default="build", help="output folder (default: build)")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="notebooks run at once (default: 2)")
    parser.add_argument("--no-html", action="store_true", help="skip the HTML renderings")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace files of the same names in --out that demo did not write",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the notebooks, write the outputs, print the summary."""
    from flowkit.limits import MAX_JOBS, check_range
    from flowkit.notebooks import list_notebooks, run_notebooks
    from flowkit.outputs import check_separate

    check_range(args.jobs, "--jobs", 1, MAX_JOBS, limit="MAX_JOBS")
    paths = [Path(p) for p in args.notebooks] or list_notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FlowkitError(f"no such notebook: {', '.join(missing)}; see notebooks/README.md for the list.")
    parameters = {"DATA": str(Path(args.data).resolve())} if args.data else None
    if args.data and not Path(args.data).exists():
        raise FlowkitError(f"--data {args.data}: no such file or folder.")
    out = Path(args.out)
    check_separate(out, [args.data])  # the notebooks themselves are checked by run_notebooks
    if args.data:  # unreadable data is one line now, not eight failed notebooks later; checked text
        from flowkit.engines import connect  # files are remembered, so the notebooks skip the check

        connect(args.data).close()
    started = time.perf_counter()
    runs = run_notebooks(
        paths, out, parameters=parameters, html=not args.no_html, jobs=args.jobs, overwrite=args.overwrite
    )
    elapsed = time.perf_counter() - started

    failed = [r for r in runs if not r.ok]
    print(f"flowkit demo: {len(runs)} notebooks in {elapsed:.0f} s, {len(failed)} with problems")
    for r in runs:
        state = "ok" if r.ok else ("ERROR " + (r.error or "")) if r.error else f"{len(r.warnings)} warning(s)"
        print(f"  {r.name:<42} {r.seconds:5.1f} s  {state}")
        for text in r.warnings[:3]:
            print(f"      {text.splitlines()[0][:150]}")
    print(f"\nexecuted notebooks: {out / 'notebooks'}/")
    if not args.no_html:
        print(f"HTML:               {out / 'html'}/")
    print(f"summary:            {out / 'summary.md'}" + ("" if args.no_html else f", {out / 'index.html'}"))
    print("\nfindings:")
    for r in runs:
        for text in r.findings:
            print(f"\n[{r.name}]")
            print("  " + text.replace("\n", "\n  "))
    return 1 if failed else 0
