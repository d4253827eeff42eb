"""The `rai-widget` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _demo(args) -> int:
    from rai_widget._demo import run_demo

    run_demo(Path(args.out))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rai-widget",
        description="Explain machine-learning models: global and local feature attributions, cohorts.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="explain a mortgage-approval model on bundled data and print the result")
    demo.add_argument("--out", default="rai-widget-demo", help="folder for the outputs (default: %(default)s)")
    demo.set_defaults(func=_demo)

    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except ImportError as err:
        print(f"rai-widget: {err}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
