"""Options every command shares, for commands without a table of their own (``emulator``, ``spec``,
``replay``): each is declared from its one statement in ``voipbin_harness.options.common``."""

from __future__ import annotations

import argparse
from dataclasses import replace

from ..options import add_to_argparse
from ..options import common as options

__all__ = ["add_emulator_profile", "add_rate", "add_report_dir", "add_spec", "add_target"]


def add_target(parser: argparse.ArgumentParser) -> None:
    add_to_argparse(parser, (options.TARGET,))


def add_spec(parser: argparse.ArgumentParser) -> None:
    add_to_argparse(parser, (options.SPEC,))


def add_report_dir(parser: argparse.ArgumentParser, default: str) -> None:
    add_to_argparse(parser, (options.report_dir(default),))


def add_rate(parser: argparse.ArgumentParser, flag: str = "--rate") -> None:
    """The target's per-customer limit that every request of the command is paced under (pacing.py)."""
    add_to_argparse(parser, (replace(options.RATE, flag=flag),))


def add_emulator_profile(parser: argparse.ArgumentParser) -> None:
    """``--emulator-profile`` (``emulator.config.PROFILES``, env ``VOIPBIN_EMULATOR_PROFILE``)."""
    add_to_argparse(parser, (options.EMULATOR_PROFILE,))
