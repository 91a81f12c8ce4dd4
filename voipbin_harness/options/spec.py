"""``voipbin-harness spec lint``: its options (``check`` runs it as a suite), stated once."""

from __future__ import annotations

from dataclasses import replace

from . import common
from .core import CLI, Option

__all__ = ["LINT"]

_CLI = frozenset({CLI})

LINT: tuple[Option, ...] = (
    replace(common.SPEC, hops=_CLI),
    Option("--json", action="store_true", default=False, hops=_CLI,
           help="print the defects as JSON instead of a list"),
    Option("--strict", action="store_true", default=False, hops=_CLI, help="exit 1 when the spec has any defect"),
    Option("--report-dir", metavar="DIR", hops=_CLI,
           help="also write DIR/summary.json (suite 'spec', findings in the shared shape)"),
)
