"""``voipbin-harness scenarios``: the property-based scenarios (``scenarios/``) against a target.

Only builds the pytest command line: ``voipbin-harness scenarios --target T --report-dir DIR
--seed S --rate R --time-budget B`` runs exactly ``pytest scenarios/ --target T --report-dir DIR
--seed S --rate R --time-budget B``, so either way
of starting the suite gives the same results (``DIR/summary.json``, ``DIR/junit.xml``,
``DIR/allure-results/``). Exit 0: every scenario holds; 1: findings; 2: could not run.
"""

from __future__ import annotations

import argparse

from ..options import PYTEST, add_to_argparse, forward
from ..options.scenarios import DEFAULT_REPORT_DIR, SCENARIOS
from ._pytest import run_suite

__all__ = ["DEFAULT_REPORT_DIR", "build_pytest_args", "register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scenarios", help="property-based scenarios: auth, tenancy, pagination, errors, lifecycle",
        description="Hypothesis scenarios over several requests each: authentication, tenant isolation and "
                    "permissions, pagination walks, error envelope and status codes, resource lifecycles as "
                    "state machines. Read-only on a non-loopback target unless --allow-writes. Exit 0 when "
                    "every scenario holds, 1 on findings, 2 when the target cannot be used.")
    add_to_argparse(parser, SCENARIOS)
    parser.set_defaults(func=run)


def build_pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest options equivalent to ``args`` (the report dir made absolute: pytest runs from the repo).
    The values were checked by the command's parser (``voipbin_harness.options.values``)."""
    return forward(args, SCENARIOS, PYTEST)


def run(args: argparse.Namespace) -> int:
    return run_suite("scenarios", build_pytest_args(args))
