"""``voipbin-harness contracts`` and ``pytest contracts/``: the contracts suite's options, stated once."""

from __future__ import annotations

from dataclasses import replace

from . import common, values
from .core import CLI, Option

__all__ = ["AUTH_KINDS", "CONTRACTS", "DEFAULT_MAX_EXAMPLES", "DEFAULT_REPORT_DIR", "DEFAULT_WORKERS"]

DEFAULT_REPORT_DIR = "reports/contracts"
#: Fuzzing examples per operation by default: with the examples and coverage phases this keeps
#: the whole 410-operation run against the embedded emulator under two minutes on 2 cores.
DEFAULT_MAX_EXAMPLES = 3
#: Worker processes against loopback: generation is CPU-bound, and the machine has 2 cores.
DEFAULT_WORKERS = 2
AUTH_KINDS = ("bearer", "accesskey")

CONTRACTS: tuple[Option, ...] = (
    common.TARGET,
    common.report_dir(DEFAULT_REPORT_DIR),
    common.EMULATOR_PROFILE,
    Option("--auth", choices=AUTH_KINDS, default="bearer",
           help="send the JWT as a Bearer header (default) or the access key as ?accesskey="),
    common.SPEC,
    common.PREVIOUS_SPEC,
    Option("--max-examples", parse=values.positive_int, default=DEFAULT_MAX_EXAMPLES, cli_default=None, metavar="N",
           help=f"fuzzing examples per operation (default {DEFAULT_MAX_EXAMPLES}; the examples and coverage phases "
                "come on top)"),
    common.SEED,
    common.RATE,
    replace(common.TIME_BUDGET,
            help="fit the run in SECONDS at the --rate: a planned quota of requests per operation so that every "
                 "operation is exercised (default: no plan, every generated case is sent)"),
    Option("--request-budget", parse=values.integer, metavar="N",
           help="stop after N requests (default: none on loopback, 2000 otherwise; 0 = none)"),
    Option("--phases", parse=values.phases, default=",".join(values.PHASES), cli_default=None, metavar="LIST",
           help=f"comma list of {', '.join(values.PHASES)} (default: all)"),
    common.EMULATOR_RATE_LIMIT,
    Option("--include-tag", action="append", metavar="TAG",
           help="only operations with this tag (repeatable, OR'ed)"),
    Option("--include-path", action="append", parse=values.regex, metavar="REGEX",
           help="only operations whose path matches (repeatable, OR'ed; AND'ed with --include-tag)"),
    common.ALLOW_OPERATION,
    common.ALLOW_WRITES,
    Option("--workers", parse=values.positive_int, metavar="N", hops=frozenset({CLI}),
           help=f"pytest-xdist worker processes (default {DEFAULT_WORKERS} against the embedded emulator or a "
                "loopback URL, 1 otherwise; the workers share the --rate)"),
)
