"""Which suites ``check`` runs, in which order, with which options, at which depth, in how much time.

Order: spec lint, contracts, scenarios, load ``smoke``, load ``ratelimit`` (cheap and
target-independent first, the ones that stress the target last). Each suite is handed only the
options its command's table (``voipbin_harness.options``) says it takes (and a suite without a
table is planned as "could not run", with the reason).

Time: the run has a budget (``--time-budget``, else the depth's default). Spec lint and the load
suites take about the same time whatever the target (their own durations); what is left is split
between contracts and scenarios, which plan their examples from their share and the rate they may
send (``--time-budget`` of their own). A suite's timeout is its share plus a margin: a timeout is
for hangs, the budget is what keeps the run short. Against a rate-limited target the suites cannot
go faster than the limit, so without the budget a full run at 17 req/s would take hours.

Depth: ``--quick`` fits a run in 10 minutes against a gateway limited to 17 req/s, 25 ms away
(against the embedded emulator without limits it takes about 2); without it, the depth a release
gate deserves.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..conventions.ratelimit import CLIENT_HEADROOM, DEFAULT_CUSTOMER_LIMIT, Limit
from ..options import accepted
from ..target import is_loopback_url
from .runner import SuitePlan

__all__ = ["BUDGETED", "DEPTH", "SUITES", "Depth", "budget_block", "build_plan",
           "ratelimit_ramp", "split_budget", "suite_timeout"]

SUITES = ("spec-lint", "contracts", "scenarios", "load-smoke", "load-ratelimit")
BUDGETED = ("contracts", "scenarios")  # the suites that plan their work from a time budget
_TITLES = {"spec-lint": "Spec lint", "contracts": "Contracts", "scenarios": "Scenarios",
           "load-smoke": "Load: smoke", "load-ratelimit": "Load: ratelimit"}


@dataclass(frozen=True)
class Depth:
    contracts_examples: int | None  # --max-examples; None = the suite's default
    hypothesis_profile: str  # scenarios' examples per property (root conftest profiles)
    smoke_s: int  # load --duration
    ratelimit_s: int | None  # None: the profile's own (its ramp has to pass the limit to measure anything)
    budget_s: float  # the whole run's default --time-budget
    fixed_s: dict[str, float]  # what the suites outside BUDGETED take (start-up included), set aside first
    weights: dict[str, float]  # how the rest is shared between the BUDGETED suites
    timeout_s: dict[str, float]  # per fixed suite, for hangs only: a slow suite is better than an incomplete run
    ramp: tuple[float, float, float, float] = (0.4, 1.5, 2.4, 1.5)  # ratelimit: start x, step x, last x, hold s
    margin: tuple[float, float] = field(default=(120.0, 0.25))  # a budgeted suite's timeout: share + max(s, x share)


DEPTH = {
    # 480 s of budget + the margins still end within 10 minutes against a 17 req/s gateway
    "quick": Depth(contracts_examples=3, hypothesis_profile="live", smoke_s=8, ratelimit_s=None, budget_s=480,
                   fixed_s={"spec-lint": 20, "load-smoke": 30, "load-ratelimit": 75},
                   weights={"contracts": 0.6, "scenarios": 0.4},
                   timeout_s={"spec-lint": 60, "load-smoke": 120, "load-ratelimit": 120}),
    "full": Depth(contracts_examples=None, hypothesis_profile="ci", smoke_s=60, ratelimit_s=None, budget_s=3600,
                  fixed_s={"spec-lint": 30, "load-smoke": 90, "load-ratelimit": 150},
                  weights={"contracts": 0.6, "scenarios": 0.4},
                  timeout_s={"spec-lint": 120, "load-smoke": 300, "load-ratelimit": 300},
                  ramp=(0.4, 1.3, 2.4, 2.5)),  # 7 steps, within the profile's 45 s with its compliant phases
}
SEED = 1  # contracts' data generation seed, fixed so that two runs of one target find the same things
# The embedded emulator runs the ratelimit profile with this per-customer limit (RPS:BURST)
DEFAULT_EMULATOR_RATE_LIMIT = "50:50"
MIN_SHARE_S = 30.0  # a budgeted suite gets at least this much, whatever the budget


#: Which options ``voipbin-harness <path...>`` takes: ``options.accepted`` (its option table).
Accepts = Callable[[Sequence[str]], Collection[str] | None]


def split_budget(total: float, depth: Depth, running: list[str]) -> dict[str, float]:
    """Seconds for each suite in ``running``: the fixed suites their usual time, the budgeted ones
    the rest by their weights (at least ``MIN_SHARE_S`` each)."""
    shares = {name: float(depth.fixed_s.get(name, 0.0)) for name in running if name not in BUDGETED}
    budgeted = [name for name in running if name in BUDGETED]
    rest = total - sum(shares.values())
    weight = sum(depth.weights.get(name, 1.0) for name in budgeted) or 1.0
    for name in budgeted:
        shares[name] = round(max(MIN_SHARE_S, rest * depth.weights.get(name, 1.0) / weight), 1)
    return shares


def suite_timeout(name: str, share: float, depth: Depth) -> float:
    """A budgeted suite's share plus a margin (start-up, cleanup, writing); a fixed suite's usual timeout."""
    if name not in BUDGETED:
        return float(depth.timeout_s.get(name, 300.0))
    seconds, fraction = depth.margin
    return round(share + max(seconds, fraction * share), 1)


def ratelimit_ramp(limit: Limit, depth: Depth) -> dict[str, str]:
    """The ratelimit profile's ramp around a known per-customer limit: a few steps under it, a few
    over, from ``start x`` to ``last x`` (the profile climbs until 429s are sustained, then measures
    the onset as the slope of accepted requests once the burst is spent: ``loadgen.ratelimit``)."""
    start, factor, last, hold = depth.ramp
    return {"--start-rate": f"{start * limit.rate:g}", "--step-factor": f"{factor:g}",
            "--rate": f"{last * limit.rate:g}", "--hold": f"{hold:g}"}


def build_plan(args: argparse.Namespace, report_dir: str, *, unreachable: str = "", limit: Limit | None = None,
               accepts: Accepts = accepted) -> list[SuitePlan]:
    """One ``SuitePlan`` per suite in ``SUITES`` order (skipped ones included, with the reason).

    ``accepts``: which options each suite's command takes (its option table); ``limit``: the
    per-customer limit the run paces itself by against a URL target (None: unpaced); it also sets
    the ratelimit profile's ramp there."""
    depth = DEPTH["quick" if args.quick else "full"]
    emulator = args.target == "emulator"
    rate = getattr(args, "target_rate", None)
    budget = float(getattr(args, "time_budget", None) or depth.budget_s)
    plans: list[SuitePlan] = []
    offered: dict[str, set[str]] = {}
    for name in SUITES:
        kind = "lint" if name == "spec-lint" else ("load" if name.startswith("load-") else "pytest")
        path = ["spec", "lint"] if kind == "lint" else (["load"] if kind == "load" else [name])
        options = offered[name] = set(accepts(path) or ())
        argv = [*path]
        env: dict[str, str] = {}
        plan = SuitePlan(name=name, title=_TITLES[name], kind=kind, argv=argv, env=env)
        plans.append(plan)
        if (args.only and name not in args.only) or name in (args.skip or []):
            plan.skipped = "left out (--only/--skip)"
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
        if kind == "pytest":  # what the user allowed the suites to send (Live safety)
            if getattr(args, "allow_writes", False):
                add("--allow-writes")
            for operation in getattr(args, "allow_operation", None) or []:
                add("--allow-operation", operation)
        if rate:  # load's --rate is its offered rate: its set-up steps' pacing limit is --target-rate
            add("--rate" if kind == "pytest" else "--target-rate", rate)
        if name == "contracts":
            if depth.contracts_examples is not None:
                add("--max-examples", str(depth.contracts_examples))
            add("--seed", str(SEED))  # the same run finds the same findings: a baseline stays meaningful
            if getattr(args, "previous_spec", None):
                add("--previous-spec", args.previous_spec)  # the operations changed since it run first
        if name == "scenarios":
            env["HYPOTHESIS_PROFILE"] = depth.hypothesis_profile
        duration = depth.smoke_s if name == "load-smoke" else depth.ratelimit_s if name == "load-ratelimit" else None
        if duration is not None:
            add("--duration", str(duration))
        if name == "load-ratelimit":
            _plan_ratelimit(plan, args, depth, add, limit)
    _budget(plans, budget, depth, getattr(args, "suite_timeout", None), offered)
    return plans


def _plan_ratelimit(plan: SuitePlan, args: argparse.Namespace, depth: Depth, add: Any, limit: Limit | None) -> None:
    """The ramp: around the embedded emulator's configured limit (quick runs), or around the URL
    target's limit (the rate the run paces by; the documented 17:33 when pacing is off)."""
    if args.target == "emulator":
        if not add("--emulator-rate-limit", args.emulator_rate_limit):
            plan.skipped = "the load command cannot start the emulator with a rate limit (--emulator-rate-limit)"
            return
        if not args.quick:
            return  # the profile's own long ramp
        around = Limit.parse(args.emulator_rate_limit)
    else:
        around = limit or DEFAULT_CUSTOMER_LIMIT
    for option, value in ratelimit_ramp(around, depth).items():
        add(option, value)
    add("--expected-onset", f"{around.rate:g}")  # only when the load command offers it


def _budget(plans: list[SuitePlan], total: float, depth: Depth, suite_timeout_s: float | None,
            offered: dict[str, set[str]]) -> None:
    """Give each runnable suite its share of ``total``, its timeout and, for the budgeted ones
    whose command offers it, ``--time-budget``."""
    running = [p.name for p in plans if not p.skipped and not p.unavailable]
    shares = split_budget(total, depth, running)
    for plan in plans:
        share = shares.get(plan.name)
        if share is None:
            plan.timeout = suite_timeout_s or float(depth.timeout_s.get(plan.name, 300.0))
            continue
        plan.budget_s = share
        plan.timeout = suite_timeout_s or suite_timeout(plan.name, share, depth)
        if plan.name in BUDGETED and "--time-budget" in offered.get(plan.name, set()):
            plan.argv.extend(["--time-budget", f"{share:g}"])


def budget_block(plans: list[SuitePlan], total: float, quick: bool, limit: Limit | None, source: str) -> dict[str, Any]:
    """What the run document says about time and rate (``summary.json`` ``"budget"``)."""
    return {"time_budget_s": total, "depth": "quick" if quick else "full",
            "rate": str(limit) if limit else None, "rate_source": source, "headroom": CLIENT_HEADROOM,
            "suites": {p.name: {"budget_s": p.budget_s, "timeout_s": p.timeout,
                                "passes_budget": "--time-budget" in p.argv}
                       for p in plans if not p.skipped and not p.unavailable}}
