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

from ..conventions.resources import BASE_PATH
from ..options import PYTEST, add_to_argparse, forward
from ..options.contracts import CONTRACTS, DEFAULT_REPORT_DIR, DEFAULT_WORKERS
from ..spec import load_spec
from ..target import Target, is_loopback_url, open_target, rate_limit_of, resolve
from ._pytest import run_suite

__all__ = ["DEFAULT_REPORT_DIR", "build_pytest_args", "register", "run"]


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
    add_to_argparse(parser, CONTRACTS)
    parser.set_defaults(func=run)


def build_pytest_args(args: argparse.Namespace, target: Target | None = None) -> list[str]:
    """The pytest options equivalent to ``args`` (paths made absolute: pytest runs from the repo root),
    and the pytest-xdist workers (``-n``). ``target``: ``args.target`` resolved already."""
    argv = forward(args, CONTRACTS, PYTEST)
    workers = args.workers if args.workers is not None else _default_workers(target or resolve(args.target))
    if workers > 1:
        argv += ["-n", str(workers)]
    return argv


def _default_workers(target: Target) -> int:
    return DEFAULT_WORKERS if target.is_emulator or is_loopback_url(target.origin) else 1


def preflight(args: argparse.Namespace) -> Target:
    """One-line errors before pytest starts: spec, target name, and a non-emulator target's reachability
    and credentials (the embedded emulator is started by the suite itself). The target, resolved once.

    The option values were checked by their parsers; ``$VOIPBIN_RATE`` is read only here."""
    spec = load_spec(args.spec)
    if getattr(args, "previous_spec", None):
        load_spec(args.previous_spec)  # an unreadable older spec: one line, before pytest
    target = resolve(args.target)
    rate_limit_of(target, args.target_rate)  # a bad $VOIPBIN_RATE: one line, before pytest
    if target.is_emulator:
        return target
    with open_target(args.target, spec_source=spec.source, base_path=spec.base_path or BASE_PATH,
                     rate=args.target_rate) as opened:
        opened.auth(args.auth)
    return target


def run(args: argparse.Namespace) -> int:
    target = preflight(args)
    # -q --tb=no: one line per failing operation, the details are in the reports; --assert=plain: the suite
    # asserts nothing with `assert`, and rewriting every plugin module costs seconds when bytecode is not cached
    return run_suite("contracts", [*build_pytest_args(args, target), "-q", "--tb=no", "--assert=plain"])

