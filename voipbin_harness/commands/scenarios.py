"""``voipbin-harness scenarios``: the property-based scenarios (``scenarios/``) against a target.

Only builds the pytest command line: ``voipbin-harness scenarios --target T --report-dir DIR
--seed S --rate R --time-budget B`` runs exactly ``pytest scenarios/ --target T --report-dir DIR
--seed S --rate R --time-budget B``, so either way
of starting the suite gives the same results (``DIR/summary.json``, ``DIR/junit.xml``,
``DIR/allure-results/``). Exit 0: every scenario holds; 1: findings; 2: could not run.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..conventions.ratelimit import Limit
from ..errors import HarnessError
from ._common import add_rate, add_report_dir, add_spec, add_target
from ._pytest import run_suite

__all__ = ["DEFAULT_REPORT_DIR", "build_pytest_args", "register", "run"]


def rate_limit_text(text: str) -> None:
    """``--rate`` is ``off`` or ``RPS[:BURST]``; ValueError with a readable message otherwise."""
    if text.strip().lower() != "off":
        Limit.parse(text.strip(), burst_optional=True)

DEFAULT_REPORT_DIR = "reports/scenarios"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scenarios", help="property-based scenarios: auth, tenancy, pagination, errors, lifecycle",
        description="Hypothesis scenarios over several requests each: authentication, tenant isolation and "
                    "permissions, pagination walks, error envelope and status codes, resource lifecycles as "
                    "state machines. Read-only on a non-loopback target unless --allow-writes. Exit 0 when "
                    "every scenario holds, 1 on findings, 2 when the target cannot be used.")
    add_target(parser)
    add_spec(parser)
    add_report_dir(parser, DEFAULT_REPORT_DIR)
    parser.add_argument("--seed", type=int, default=None, metavar="S",
                        help="Hypothesis seed (the derandomized 'ci' profile, chosen when $CI is set, ignores it)")
    parser.add_argument("--emulator-profile", choices=["gateway", "conformant"],
                        default=os.environ.get("VOIPBIN_EMULATOR_PROFILE", "gateway"),
                        help="profile of the embedded emulator with --target emulator (default gateway)")
    parser.add_argument("--emulator-rate-limit", default=None, metavar="RPS:BURST",
                        help="per-customer rate limit of the embedded emulator (default: off)")
    add_rate(parser)
    parser.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                        help="plan every scenario's examples so that the suite fits in SECONDS at the rate it is "
                             "paced at (at least 2 examples each; default: no budget, the Hypothesis profile decides)")
    parser.add_argument("--allow-writes", action="store_true",
                        help="run the scenarios that create, change and delete data on a non-loopback target")
    parser.add_argument("-k", dest="keyword", default=None, metavar="EXPR",
                        help="only the scenarios whose names match this pytest -k expression")
    parser.set_defaults(func=run)


def build_pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest options equivalent to ``args`` (the report dir made absolute: pytest runs from the repo)."""
    if args.emulator_rate_limit:
        try:
            Limit.parse(args.emulator_rate_limit)
        except ValueError as exc:
            raise HarnessError(f"--emulator-rate-limit: {exc}") from None
    rate = getattr(args, "target_rate", None)
    if rate:
        try:
            rate_limit_text(rate)
        except ValueError as exc:
            raise HarnessError(f"--rate: {exc}") from None
    budget = getattr(args, "time_budget", None)
    if budget is not None and budget <= 0:
        raise HarnessError(f"--time-budget must be a positive number of seconds, got {budget:g}")
    argv = ["--target", args.target, "--report-dir", str(Path(args.report_dir).resolve()),
            "--emulator-profile", args.emulator_profile]
    if args.spec:
        argv += ["--spec", str(Path(args.spec).resolve()) if Path(args.spec).exists() else args.spec]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.emulator_rate_limit:
        argv += ["--emulator-rate-limit", args.emulator_rate_limit]
    if rate:
        argv += ["--rate", rate]
    if budget is not None:
        argv += ["--time-budget", f"{budget:g}"]
    if args.allow_writes:
        argv.append("--allow-writes")
    if args.keyword:
        argv += ["-k", args.keyword]
    return argv


def run(args: argparse.Namespace) -> int:
    return run_suite("scenarios", build_pytest_args(args))
