"""Old spellings of commands and flags, kept working for one release.

An old spelling does exactly what it did, and says on stderr, in one line, what to write
instead. Remove them in the release after the one that renamed them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def warn_deprecated(old: str, new: str) -> None:
    print(f"synapt: warning: {old} is deprecated, use {new} (the old spelling goes in the next release)",
          file=sys.stderr)


def deprecated_command(func: Callable[[argparse.Namespace], int | None], *, old: str, new: str):
    """``func`` behind a warning that the command ``old`` is now spelled ``new``."""

    def run(args: argparse.Namespace) -> int | None:
        warn_deprecated(f"`{old}`", f"`{new}`")
        return func(args)

    return run


class _DeprecatedFlag(argparse.Action):
    """Stores like the flag it stands for, after a warning naming that flag."""

    def __init__(self, option_strings, dest, *, new: str, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        warn_deprecated(option_string, self.new)
        setattr(namespace, self.dest, values)


def add_deprecated_flag(parser: argparse.ArgumentParser, old: str, *, new: str, dest: str, type: Callable) -> None:
    """Accept ``old`` as the former spelling of ``new`` (already on ``parser`` with ``dest``).

    The old flag writes the same ``dest`` (it has no default of its own, so ``new``'s default holds
    when neither is given), converts with the same ``type``, and its help names ``new``.
    """
    parser.add_argument(old, dest=dest, type=type, default=argparse.SUPPRESS, metavar="N", action=_DeprecatedFlag,
                        new=new, help=f"deprecated spelling of {new}")
