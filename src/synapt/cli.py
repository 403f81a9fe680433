"""The ``synapt`` command.

Each stage owns its subcommands in ``synapt/<stage>/cli.py`` through a ``register(commands)``
function, ``commands`` being the top-level subparser group; the speed benchmarks of every stage
are ``synapt speed <stage>`` (``synapt/speed/cli.py``). Stage modules import their heavy
dependencies (torch, mujoco, av) inside the handlers so that ``synapt --help`` stays instant.
A handler is stored as ``func`` on its parser and returns an exit code (or None for 0).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from synapt import __version__
from synapt.errors import UserError

# Order is the order of `synapt --help`.
STAGE_CLIS = (
    "synapt.sim.cli",
    "synapt.sim.mocap.cli",
    "synapt.data.cli",
    "synapt.models.cli",
    "synapt.train.cli",
    "synapt.bench.cli",
    "synapt.speed.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synapt",
        description="Synthetic-to-real video action recognition: generate, curate, load, train, measure.",
    )
    parser.add_argument("--version", action="version", version=f"synapt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in STAGE_CLIS:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = args.func(args)
    except UserError as err:
        print(f"synapt: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Every long command keeps what it finished: generate, sweep and benchmark pick up where
        # they stopped when rerun as they were; a training run continues with --resume.
        resume = " with --resume" if args.command == "train" else ""
        print(f"synapt: interrupted; finished work is kept: rerun the same command{resume} to continue",
              file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
