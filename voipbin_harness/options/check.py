"""``voipbin-harness check``: its options, stated once. ``check.plan`` hands each suite the ones its
table (``voipbin_harness.options.table``) says it takes."""

from __future__ import annotations

from dataclasses import replace

from ..check.plan import DEFAULT_EMULATOR_RATE_LIMIT, DEPTH, SUITES
from . import common, values
from .core import CLI, Option

__all__ = ["CHECK", "DEFAULT_BASELINE", "DEFAULT_REPORT_DIR"]

DEFAULT_REPORT_DIR = "reports/check"
DEFAULT_BASELINE = "reports/baselines/gateway-emulator.json"  # relative to the checkout
_CLI = frozenset({CLI})

CHECK: tuple[Option, ...] = tuple(replace(option, hops=_CLI) for option in (
    common.TARGET,
    common.SPEC,
    common.report_dir(DEFAULT_REPORT_DIR),
    common.EMULATOR_PROFILE,
    replace(common.EMULATOR_RATE_LIMIT, default=DEFAULT_EMULATOR_RATE_LIMIT,
            help=f"per-customer limit of the emulator the ratelimit profile runs against "
                 f"(default {DEFAULT_EMULATOR_RATE_LIMIT})"),
    Option("--quick", action="store_true", default=False,
           help="few examples, short load runs: about 2 minutes against the embedded emulator, at most 10 against "
                "a gateway limited to 17 req/s; default: release-gate depth"),
    common.RATE,
    replace(common.TIME_BUDGET,
            help=f"the whole run's time budget, shared between the suites; contracts and scenarios plan their "
                 f"examples from their share and the rate (default {DEPTH['quick'].budget_s:g} with --quick, "
                 f"{DEPTH['full'].budget_s:g} without)"),
    replace(common.ALLOW_WRITES,
            help="against a non-loopback target, let contracts and scenarios send unsafe methods too "
                 "(default: safe methods only)"),
    replace(common.ALLOW_OPERATION,
            help="send this operation although it costs money, reaches people or changes what the harness runs "
                 "with (repeatable; passed to the suites that take it)"),
    Option("--baseline", metavar="FILE|none",
           help=f"known deviations (YAML or JSON); default {DEFAULT_BASELINE} for the embedded gateway-profile "
                "emulator, none otherwise; 'none' for no baseline"),
    Option("--history", metavar="DIR",
           help="keep this run in DIR and compare it with the earlier runs there (nightly regression)"),
    Option("--tolerance", parse=values.fraction, default=0.2, metavar="FRACTION",
           help="how far a load figure may move from the median of the last 5 runs (default 0.2)"),
    Option("--min-coverage", parse=values.percent, metavar="PCT",
           help="exit 1 when fewer than PCT percent of the spec's operations were exercised by any suite "
                "(coverage.json; default: reported only)"),
    Option("--fail-on-regression", action="store_true", default=False,
           help="exit 1 when a load figure regressed beyond the tolerance (default: reported only)"),
    Option("--only", action="append", choices=SUITES, metavar="SUITE",
           help=f"run only this suite (repeatable): {', '.join(SUITES)}"),
    Option("--skip", action="append", choices=SUITES, metavar="SUITE", help="leave this suite out (repeatable)"),
    Option("--suite-timeout", parse=values.positive, metavar="SECONDS",
           help="stop a suite that runs longer than this (default: its share of the time budget plus a margin)"),
    replace(common.PREVIOUS_SPEC,
            help="the spec version clients were written against: the report lists what changed since it (spec "
                 "diff, breaking or not; also in spec-diff/) and contracts exercise the changed operations first"),
    Option("--write-baseline", metavar="FILE",
           help="also write a baseline accepting every finding of this run (reasons to fill in)"),
    Option("--no-allure-html", action="store_true", default=False,
           help="do not render the Allure HTML report even when the allure npm package is installed"),
))
