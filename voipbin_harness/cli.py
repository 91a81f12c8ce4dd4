"""``voipbin-harness``: one console command, one subcommand per job.

Each subcommand lives in ``voipbin_harness.commands.<name>`` and exposes ``register(subparsers)``;
this module only dispatches and turns every user-fixable problem into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import ExitCode, HarnessError

__all__ = ["main"]

PROG = "voipbin-harness"
COMMANDS = ("check", "contracts", "scenarios", "load", "emulator", "spec", "replay")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr and exit 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(ExitCode.UNUSABLE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Contract, scenario and load testing for the VoIPBIN REST API.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"{__package__}.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a refused option (one line, exit 2), --help or --version: an exit code too
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return ExitCode.UNUSABLE
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"{PROG}: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return ExitCode.UNUSABLE
    except BrokenPipeError:
        # the reader went away (`voipbin-harness spec diff ... | head`): not an error of ours; point stdout
        # at /dev/null so that the interpreter's own flush at exit does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
