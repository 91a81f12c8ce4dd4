"""Which suites ``check`` runs, in which order, with which options, at which depth.

Order: spec lint, contracts, scenarios, load ``smoke``, load ``ratelimit`` (cheap and
target-independent first, the ones that stress the target last). Each suite's options are taken
from its own command's parser, so a suite that does not offer an option is not handed it (and a
suite whose command is not in this checkout is planned as "could not run", with the reason).

Depth: ``--quick`` keeps the whole run within 3 minutes on a 2-core machine (few examples per
operation, short load runs); without it, the depth a release gate deserves.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ..conventions.ratelimit import Limit
from ..target import is_loopback_url
from .runner import SuitePlan

__all__ = ["DEPTH", "SUITES", "Depth", "build_plan", "command_options"]

SUITES = ("spec-lint", "contracts", "scenarios", "load-smoke", "load-ratelimit")
_TITLES = {"spec-lint": "Spec lint", "contracts": "Contracts", "scenarios": "Scenarios",
           "load-smoke": "Load: smoke", "load-ratelimit": "Load: ratelimit"}


@dataclass(frozen=True)
class Depth:
    contracts_examples: int | None  # --max-examples; None = the suite's default
    hypothesis_profile: str  # scenarios' examples per property (root conftest profiles)
    smoke_s: int  # load --duration
    ratelimit_s: int | None  # None: the profile's own (its ramp has to pass the limit to measure anything)
    timeout_s: dict[str, float]  # per suite, for hangs only: a slow suite is better than an incomplete run


DEPTH = {
    "quick": Depth(contracts_examples=3, hypothesis_profile="live", smoke_s=8, ratelimit_s=None,
                   timeout_s={"spec-lint": 60, "contracts": 300, "scenarios": 300, "load-smoke": 120,
                              "load-ratelimit": 120}),
    "full": Depth(contracts_examples=None, hypothesis_profile="ci", smoke_s=60, ratelimit_s=None,
                  timeout_s={"spec-lint": 120, "contracts": 1800, "scenarios": 1200, "load-smoke": 300,
                             "load-ratelimit": 300}),
}
SEED = 1  # contracts' data generation seed, fixed so that two runs of one target find the same things
# The embedded emulator runs the ratelimit profile with this per-customer limit (RPS:BURST)
DEFAULT_EMULATOR_RATE_LIMIT = "50:50"


def command_options(parser: argparse.ArgumentParser, path: list[str]) -> set[str] | None:
    """The option strings of ``voipbin-harness <path...>``, or None when that command does not exist."""
    current = parser
    for name in path:
        sub = next((a for a in current._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or name not in sub.choices:
            return None
        current = sub.choices[name]
    return {option for action in current._actions for option in action.option_strings}


def build_plan(args: argparse.Namespace, parser: argparse.ArgumentParser, report_dir: str,
               *, unreachable: str = "") -> list[SuitePlan]:
    """One ``SuitePlan`` per suite in ``SUITES`` order (skipped ones included, with the reason)."""
    depth = DEPTH["quick" if args.quick else "full"]
    emulator = args.target == "emulator"
    plans: list[SuitePlan] = []
    for name in SUITES:
        kind = "lint" if name == "spec-lint" else ("load" if name.startswith("load-") else "pytest")
        path = ["spec", "lint"] if kind == "lint" else (["load"] if kind == "load" else [name])
        options = command_options(parser, path)
        argv = [*path]
        env: dict[str, str] = {}
        plan = SuitePlan(name=name, title=_TITLES[name], kind=kind, argv=argv, env=env,
                         timeout=args.suite_timeout or depth.timeout_s[name])
        plans.append(plan)
        if (args.only and name not in args.only) or name in (args.skip or []):
            plan.skipped = "left out (--only/--skip)"
            continue
        if options is None:
            plan.unavailable = f"the '{' '.join(path)}' command is not in this checkout"
            continue

        def add(option: str, *values: str, _options: set[str] = options, _argv: list[str] = argv) -> bool:
            if option in _options:
                _argv.extend([option, *values])
                return True
            return False

        if kind == "load":
            add("--profile", name.removeprefix("load-"))
        add("--report-dir", f"{report_dir}/{name}")
        if args.spec:
            add("--spec", args.spec)
        if kind == "lint":
            continue
        if unreachable:
            plan.unavailable = unreachable
            continue
        if kind == "load" and not emulator and not is_loopback_url(args.target):
            plan.skipped = ("not sent to a non-loopback target by check: run 'voipbin-harness load' yourself "
                            "with the flags that name the target and its maximum rate")
            continue
        add("--target", args.target)
        if emulator:
            add("--emulator-profile", args.emulator_profile)
        if name == "contracts":
            if depth.contracts_examples is not None:
                add("--max-examples", str(depth.contracts_examples))
            add("--seed", str(SEED))  # the same run finds the same findings: a baseline stays meaningful
        if name == "scenarios":
            env["HYPOTHESIS_PROFILE"] = depth.hypothesis_profile
        duration = depth.smoke_s if name == "load-smoke" else depth.ratelimit_s if name == "load-ratelimit" else None
        if duration is not None:
            add("--duration", str(duration))
        if name == "load-ratelimit" and emulator:
            if not add("--emulator-rate-limit", args.emulator_rate_limit):
                plan.skipped = "the load command cannot start the emulator with a rate limit (--emulator-rate-limit)"
            elif args.quick:
                # a short ramp around the known limit: from 0.4x to 2.4x in steps of 1.5x
                limit = Limit.parse(args.emulator_rate_limit).rate
                add("--start-rate", f"{0.4 * limit:g}")
                add("--step-factor", "1.5")
                add("--rate", f"{2.4 * limit:g}")
                add("--hold", "1.5")
    return plans
