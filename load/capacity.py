"""capacity: how much can the target take? Open model, geometric steps, settle then hold.

Plan: offered rate in steps from ``start_rate`` to ``rate``, each ``step_factor`` times the last,
each settling then holding (``profiles.toml`` [capacity]); requests leave on schedule whatever
the target does, latency is measured from the scheduled send time (HDR, p50/p95/p99/p99.9 per
step). The run stops early ``steps_past_breakpoint`` steps past the breakpoint, or as soon as
the generator, not the target, is the limit.

Judged on: the knee (achieved trails offered, or p99 climbs), the breakpoint (first SLO broken),
who was the limit, and ``min_capacity_rps`` (``thresholds.toml`` [capacity]).
"""

from collections.abc import Sequence
from typing import Any

from locust import events

from voipbin_harness.loadgen.analysis import find_breakpoint, limited_by
from voipbin_harness.loadgen.behaviour import ProfileBehaviour
from voipbin_harness.loadgen.figures import rate_text
from voipbin_harness.loadgen.outcome import Outcome
from voipbin_harness.loadgen.plan import Step
from voipbin_harness.loadgen.results import capacity_outcome
from voipbin_harness.loadgen.session import Session
from voipbin_harness.loadgen.shape import PlanShape
from voipbin_harness.loadgen.users import VoipbinUser, mix
from voipbin_harness.loadgen.wiring import install, judge

PROFILE = "capacity"


class CapacityUser(VoipbinUser):
    """Sends the capacity mix on the open-model schedule; never backs off."""

    tasks = mix(PROFILE)


class CapacityShape(PlanShape):
    """Geometric steps up to ``rate``, or until the profile stops the run."""


class Capacity(ProfileBehaviour):
    """Stops past the breakpoint or at a generator-bound knee; judged on knee and breakpoint."""

    def monitor(self, session: Session, settled: Sequence[Step]) -> None:
        th = session.options.thresholds
        results = self.settled_results(session, settled)
        if not results:
            return
        breakpoint = find_breakpoint(results, th.slo)
        past = int(th.get("steps_past_breakpoint", 1) or 0)
        who, knee = limited_by(results, th.knee_rule)
        if breakpoint is not None and results[-1].index >= breakpoint.index + past:
            session.cut(f"past the breakpoint at {rate_text(breakpoint.rps)} req/s ({breakpoint.reason})")
        elif who == "generator":
            session.cut(f"the generator is the limit at {rate_text(knee.first_degraded_rps)} req/s offered")

    def outcome(self, session: Session) -> Outcome:
        plan = session.plan if session.cut_at is None else session.plan.completed(session.cut_at)
        return capacity_outcome(plan, session.merged, session.options.thresholds,
                                stopped_early=session.stop_reason, operation=self.operation(session),
                                reproduce=self.reproduce(session))

    def figures(self, outcome: Outcome) -> str:
        c = outcome.summary["capacity"]
        def rps(value: float | None) -> str:
            return "none" if value is None else f"{rate_text(value)} req/s"

        return (f"knee {rps(c['knee_rps'])} (first degraded {rps(c['first_degraded_rps'])}), breakpoint "
                f"{rps(c['breakpoint_rps'])}, max achieved {rps(c['max_achieved_rps'])}, limited by "
                f"{c['limited_by'] or 'nothing up to the max rate'}")


install(events, Capacity(PROFILE), CapacityUser)


@events.quitting.add_listener
def _verdict(environment: Any, **_kwargs: Any) -> None:
    """summary.json, chart and exit code (0 pass, 1 finding or breach, 2 invalid run)."""
    judge(environment)
