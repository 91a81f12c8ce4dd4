"""Options every suite command shares, spelled once."""

from __future__ import annotations

import argparse
import os

__all__ = ["add_rate", "add_report_dir", "add_spec", "add_target"]


def add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default=os.environ.get("VOIPBIN_TARGET", "emulator"), metavar="T",
                        help="emulator (default; started for the run), live, or an origin URL such as "
                             "http://127.0.0.1:8080 (env VOIPBIN_TARGET)")


def add_spec(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", default=None, metavar="PATH|URL",
                        help="OpenAPI document: a bundled YAML/JSON file, a split directory, a URL, 'pinned' or 'live' "
                             "(env VOIPBIN_SPEC; default: the copy pinned in the package; 'live': the live spec)")


def add_report_dir(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--report-dir", default=default, metavar="DIR",
                        help=f"where results are written (default {default})")


def add_rate(parser: argparse.ArgumentParser, flag: str = "--rate") -> None:
    """The target's per-customer limit that every request of the suite is paced under (pacing.py)."""
    parser.add_argument(flag, dest="target_rate", default=None, metavar="RPS[:BURST]|off",
                        help="the target's per-customer rate limit; every request is paced under it and 429s are "
                             "waited out (env VOIPBIN_RATE; default: the embedded emulator's limit, else the "
                             "gateway's documented 17:33; off: no pacing)")
