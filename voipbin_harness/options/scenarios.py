"""``voipbin-harness scenarios`` and ``pytest scenarios/``: the scenarios suite's options, stated once."""

from __future__ import annotations

from dataclasses import replace

from . import common
from .core import CLI, Option

__all__ = ["DEFAULT_REPORT_DIR", "SCENARIOS"]

DEFAULT_REPORT_DIR = "reports/scenarios"

SCENARIOS: tuple[Option, ...] = (
    common.TARGET,
    common.report_dir(DEFAULT_REPORT_DIR),
    common.EMULATOR_PROFILE,
    common.SPEC,
    replace(common.SEED, help="Hypothesis seed (the derandomized 'ci' profile, chosen when $CI is set, ignores it)"),
    common.EMULATOR_RATE_LIMIT,
    common.RATE,
    replace(common.TIME_BUDGET,
            help="plan every scenario's examples so that the suite fits in SECONDS at the rate it is paced at "
                 "(at least 2 examples each; default: no budget, the Hypothesis profile decides)"),
    replace(common.ALLOW_WRITES,
            help="run the scenarios that create, change and delete data on a non-loopback target"),
    Option("-k", dest="keyword", metavar="EXPR", hops=frozenset({CLI}), native=True,
           help="only the scenarios whose names match this pytest -k expression"),
)
