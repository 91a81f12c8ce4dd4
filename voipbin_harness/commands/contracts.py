"""``voipbin-harness contracts``: Schemathesis over every operation plus the VoIPBIN convention checks
(``contracts/``) against a target.

Builds the pytest command line only: ``voipbin-harness contracts <options>`` runs exactly
``pytest contracts/ <options>`` (plus ``-q --tb=no``: the findings are in ``DIR/summary.json``,
``DIR/junit.xml`` and ``DIR/allure-results/``). Before that it checks what it can in one line each:
the spec loads, the target name is valid, and a non-emulator target answers and accepts the
credentials. Exit 0: every operation keeps its contract; 1: findings; 2: could not run.

SIGINT or SIGTERM to this command reaches pytest as one SIGINT, and the command waits for it to
write its summary (marked incomplete) instead of killing it: a stopped run keeps its findings.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from ..conventions.ratelimit import Limit
from ..errors import HarnessError
from ..spec import load_spec
from ..target import is_loopback_url, open_target, rate_limit_of, resolve
from ._common import add_rate, add_report_dir, add_spec, add_target
from ._pytest import run_suite

__all__ = ["DEFAULT_REPORT_DIR", "build_pytest_args", "register", "run"]

DEFAULT_REPORT_DIR = "reports/contracts"
#: Worker processes against loopback: generation is CPU-bound, and the machine has 2 cores.
DEFAULT_WORKERS = 2
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a regular expression: {exc}") from None
    return text


def _phases(text: str) -> str:
    phases = {p.strip() for p in text.split(",") if p.strip()}
    if not phases or phases - set(PHASES):
        raise argparse.ArgumentTypeError(f"a comma list of {', '.join(PHASES)}, got {text!r}")
    return ",".join(p for p in PHASES if p in phases)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "contracts", help="every operation against its spec and the VoIPBIN conventions (Schemathesis)",
        description="Schemathesis's examples, coverage and fuzzing phases over every operation, positive and "
                    "negative data, plus the VoIPBIN convention checks (error envelope, request id, lists, "
                    "created resources, 401 without credentials, 429 answers) and CRUD workflows, every request paced "
                    "under the target's rate limit (--rate). Operations that could change what the harness runs "
                    "with (its agents' passwords and permissions, its access keys, its customer) are never sent "
                    "unless named with --allow-operation. Against a non-loopback target only safe methods unless "
                    "--allow-writes, costly operations only when named, with a request budget. Exit 0 when every "
                    "operation keeps its contract, 1 on findings, 2 when the run cannot start.")
    add_target(parser)
    add_spec(parser)
    add_report_dir(parser, DEFAULT_REPORT_DIR)
    parser.add_argument("--max-examples", type=_positive_int, default=None, metavar="N",
                        help="fuzzing examples per operation (default 3)")
    parser.add_argument("--include-tag", action="append", default=[], metavar="TAG",
                        help="only operations with this tag (repeatable)")
    parser.add_argument("--include-path", action="append", type=_regex, default=[], metavar="REGEX",
                        help="only operations whose path matches (repeatable)")
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="seed for generated data")
    parser.add_argument("--auth", choices=["bearer", "accesskey"], default="bearer",
                        help="JWT as a Bearer header (default) or the access key as ?accesskey=")
    parser.add_argument("--allow-writes", action="store_true",
                        help="send non-safe methods to a non-loopback target")
    parser.add_argument("--allow-operation", action="append", default=[], metavar='"METHOD /path"',
                        help="allow one operation that could change the credentials or customer the harness runs "
                             "with (on any target), or that costs money or reaches people (repeatable)")
    add_rate(parser)
    parser.add_argument("--time-budget", type=_seconds, default=None, metavar="SECONDS",
                        help="fit the run in SECONDS at the --rate: a planned quota of requests per operation so "
                             "that every operation is exercised (default: no plan, every generated case is sent)")
    parser.add_argument("--request-budget", type=int, default=None, metavar="N",
                        help="stop after N requests (default: none on loopback, 2000 otherwise; 0 = none)")
    parser.add_argument("--phases", type=_phases, default=None, metavar="LIST",
                        help=f"comma list of {', '.join(PHASES)} (default: all)")
    parser.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                        help=f"pytest-xdist worker processes (default {DEFAULT_WORKERS} against the embedded "
                             "emulator or a loopback URL, 1 otherwise; the workers share the --rate)")
    parser.add_argument("--emulator-profile", choices=["gateway", "conformant"],
                        default=os.environ.get("VOIPBIN_EMULATOR_PROFILE", "gateway"),
                        help="profile of the embedded emulator with --target emulator (default gateway)")
    parser.add_argument("--emulator-rate-limit", default=None, metavar="RPS:BURST",
                        help="per-customer rate limit of the embedded emulator (default: off)")
    parser.add_argument("--previous-spec", default=None, metavar="FILE",
                        help="an older version of the spec: the operations changed or added since it "
                             "(spec diff) are exercised first")
    parser.set_defaults(func=run)


def build_pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest options equivalent to ``args`` (paths made absolute: pytest runs from the repo root)."""
    argv = ["--target", args.target, "--report-dir", str(Path(args.report_dir).resolve()),
            "--emulator-profile", args.emulator_profile, "--auth", args.auth]
    if args.spec:
        argv += ["--spec", str(Path(args.spec).resolve()) if Path(args.spec).exists() else args.spec]
    previous = getattr(args, "previous_spec", None)
    if previous:
        argv += ["--previous-spec", str(Path(previous).resolve()) if Path(previous).exists() else previous]
    for flag, value in (("--max-examples", args.max_examples), ("--seed", args.seed),
                        ("--rate", args.target_rate), ("--time-budget", args.time_budget),
                        ("--request-budget", args.request_budget),
                        ("--phases", args.phases), ("--emulator-rate-limit", args.emulator_rate_limit)):
        if value is not None:
            argv += [flag, str(value)]
    for flag, values in (("--include-tag", args.include_tag), ("--include-path", args.include_path),
                         ("--allow-operation", args.allow_operation)):
        for value in values:
            argv += [flag, value]
    if args.allow_writes:
        argv.append("--allow-writes")
    workers = args.workers if args.workers is not None else _default_workers(args.target)
    if workers > 1:
        argv += ["-n", str(workers)]
    return argv


def _default_workers(target_name: str) -> int:
    target = resolve(target_name)
    return DEFAULT_WORKERS if target.is_emulator or is_loopback_url(target.origin) else 1


def preflight(args: argparse.Namespace) -> None:
    """One-line errors before pytest starts: spec, target name, and a non-emulator target's reachability
    and credentials (the embedded emulator is started by the suite itself)."""
    if args.emulator_rate_limit:
        try:
            Limit.parse(args.emulator_rate_limit)
        except ValueError as exc:
            raise HarnessError(f"--emulator-rate-limit: {exc}") from None
    spec = load_spec(args.spec)
    if getattr(args, "previous_spec", None):
        load_spec(args.previous_spec)  # an unreadable older spec: one line, before pytest
    target = resolve(args.target)
    rate_limit_of(target, args.target_rate)  # a bad --rate / $VOIPBIN_RATE: one line, before pytest
    if target.is_emulator:
        return
    with open_target(args.target, spec_source=spec.source, base_path=spec.base_path or "/v1.0",
                     rate=args.target_rate) as opened:
        opened.auth(args.auth)


def run(args: argparse.Namespace) -> int:
    preflight(args)
    # -q --tb=no: one line per failing operation, the details are in the reports; --assert=plain: the suite
    # asserts nothing with `assert`, and rewriting every plugin module costs seconds when bytecode is not cached
    return run_suite("contracts", [*build_pytest_args(args), "-q", "--tb=no", "--assert=plain"])

