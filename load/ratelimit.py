"""ratelimit: drive one customer over its rate limit and measure how the limit behaves.

Plan (``profiles.toml`` [ratelimit]; the ramp gets ``duration - compliant_s - recovery_s``):
1. climb: geometric steps (``start_rate`` x ``step_factor`` per ``hold`` s) up to ``rate``, then
   that rate again, never backing off, until a step's answers are mostly rejected (429 or 5xx);
2. refine: what is left of the ramp (at least ``REFINE_MIN_S``) at a rate safely above the limit,
   in short windows: the slope of the accepted count over them is the bucket's rate, apart from
   its burst (``loadgen.ratelimit.estimate_limit``: the onset and its uncertainty);
3. compliant clients, which honour ``Retry-After``, ask for twice the onset for ``compliant_s``;
4. then half the onset, in one-second windows for ``recovery_s``: the 429s must stop.
No 429: no later phase; that is a finding only when the climb reached ``rate`` (else the run is
inconclusive, exit 2).

Judged on: every 429's ``Retry-After`` and RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED envelope
(a finding otherwise), 5xx instead of 429 (a finding), early retries, recovery, and the onset
against the expected limit (``thresholds.toml`` [ratelimit]).
"""

import time
from collections.abc import Sequence
from typing import Any

from locust import events

from voipbin_harness.loadgen.behaviour import ProfileBehaviour
from voipbin_harness.loadgen.figures import rate_text
from voipbin_harness.loadgen.outcome import Outcome
from voipbin_harness.loadgen.plan import Plan, Step
from voipbin_harness.loadgen.ratelimit import (
    REFINE_MIN_S,
    SUSTAINED_SHARE,
    bins_of,
    climb_over,
    climb_plan,
    estimate_limit,
    ratelimit_outcome,
    refine_rate,
    refine_windows,
)
from voipbin_harness.loadgen.session import Session
from voipbin_harness.loadgen.shape import PlanShape
from voipbin_harness.loadgen.users import VoipbinUser, mix
from voipbin_harness.loadgen.wiring import install, judge

PROFILE = "ratelimit"
DECISION_LEAD = 0.5  # seconds between deciding a phase and its start


class RateLimitUser(VoipbinUser):
    """One customer's requests: a ramp past the limit, then a client that honours Retry-After."""

    tasks = mix(PROFILE)


class RateLimitShape(PlanShape):
    """The climb, then (once decided) the refine, compliant and recovery phases."""


class RateLimit(ProfileBehaviour):
    """Ends the climb once the 429s are sustained, refines, then decides the compliant phases."""

    compliant = True

    def setup(self, session: Session) -> None:
        o = session.options
        self.ramp_s = o.duration - o.compliant_s - o.recovery_s
        climb = climb_plan(o.start_rate, o.rate, o.step_factor, o.hold, self.ramp_s + REFINE_MIN_S,
                           drain=session.base_plan.drain)
        session.base_plan = session.plan = climb
        self.climb = [s.index for s in climb.steps]

    def waiting_for_decision(self, session: Session) -> bool:
        return not session.phase_decided.is_set()

    def ramp_indexes(self, session: Session) -> list[int]:
        """The climb's steps and the refine windows (every step the open-model ramp sent)."""
        return [s.index for s in session.plan.steps if s.index in self.climb or s.label.startswith("refine")]

    def monitor(self, session: Session, settled: Sequence[Step]) -> None:
        if session.phase_decided.is_set():
            return
        now = time.time() - session.t0
        if session.phase is None:
            self._climbing(session, settled, now)
            return
        refine = [s for s in session.plan.steps if s.label.startswith("refine")]
        if refine and all(s.index in {x.index for x in settled} for s in refine):
            self._decide_compliant(session, settled, now)

    def _climbing(self, session: Session, settled: Sequence[Step], now: float) -> None:
        results = self.settled_results(session, [s for s in settled if s.index in self.climb])
        last = results[-1] if results else None
        rejected = ((last.r429 + sum(n for c, n in last.statuses.items() if c.startswith("5"))) / max(last.answers, 1)
                    if last else 0.0)
        over = last is not None and climb_over(rejected, last.r429, last.offered_rps, session.options.rate)
        if not over and len(results) < len(self.climb):
            return
        rate = refine_rate(bins_of(session.plan, results), session.options.rate)
        if rate is None:  # no sustained 429s: the climb is over (or only 5xx came back)
            session.stop_reason = ("climb ended: answers rejected without 429s" if rejected >= SUSTAINED_SHARE
                                   else "climb ended: no sustained 429s up to its last step")
            session.decide_phase(None)
            return
        cut = now + DECISION_LEAD
        session.stop_reason = f"climb ended at {rate_text(last.offered_rps)} req/s offered: 429s sustained"
        end = max(self.ramp_s, cut + REFINE_MIN_S)
        session.decide_phase({"final": False, "ramp_from": cut, "cut": end, "refine_end": end, "refine_rate": rate})

    def _decide_compliant(self, session: Session, settled: Sequence[Step], now: float) -> None:
        ramp = self.settled_results(session, [s for s in settled if s.index in self.ramp_indexes(session)])
        onset = estimate_limit(bins_of(session.plan, ramp))["onset_rps"]
        if not onset:
            session.stop_reason = (session.stop_reason or "ramp ended") + "; no onset: no compliant phase"
            session.decide_phase(None)
            return
        o = session.options
        session.decide_phase({**session.phase, "final": True, "cut": max(now + DECISION_LEAD, session.phase["cut"]),
                              "demand": round(2 * onset, 3), "recovery": round(0.5 * onset, 3),
                              "compliant_s": o.compliant_s, "recovery_s": o.recovery_s})

    def phase_plan(self, session: Session, phase: dict[str, Any]) -> Plan:
        base = session.base_plan
        n = len(base.steps)
        steps = list(base.until(phase["ramp_from"]).steps)
        refine = refine_windows(n, phase["refine_rate"], phase["ramp_from"], phase["refine_end"])
        steps += refine
        if "demand" in phase:
            cut, m = phase["cut"], n + len(refine)
            settle = min(1.0, phase["compliant_s"] / 2)
            steps.append(Step(m, phase["demand"], cut, settle, phase["compliant_s"] - settle, "compliant at 2x onset"))
            start = cut + phase["compliant_s"]
            for k in range(max(1, int(phase["recovery_s"]))):
                steps.append(Step(m + 1 + k, phase["recovery"], start + k, 0.0, 1.0, f"recovery {k + 1} s"))
        return Plan(tuple(steps), base.drain)

    def outcome(self, session: Session) -> Outcome:
        phase = session.phase if session.phase and "demand" in session.phase else None
        compliant = [s.index for s in session.plan.steps if s.label.startswith("compliant")] if phase else []
        recovery = [s.index for s in session.plan.steps if s.label.startswith("recovery")] if phase else []
        plan = session.plan if session.phase else session.plan.until(session.cut_at or session.plan.duration)
        return ratelimit_outcome(plan, session.merged, session.options.thresholds,
                                 ramp=self.ramp_indexes(session), compliant=compliant, recovery=recovery,
                                 demand_rps=phase["demand"] if phase else None,
                                 recovery_rps=phase["recovery"] if phase else None,
                                 operation=self.operation(session), reproduce=self.reproduce(session),
                                 max_rate=session.options.rate)

    def figures(self, outcome: Outcome) -> str:
        r = outcome.summary["ratelimit"]
        onset = (f"onset {rate_text(r['onset_rps'])} ± {rate_text(r['onset_uncertainty_rps'])} req/s"
                 if r["onset_rps"] is not None else "no onset")
        burst = f", burst ~{r['burst_estimate']:.0f}" if r.get("burst_estimate") is not None else ""
        bracket = r["onset_bracket_rps"]
        first = (f" (first 429s between {rate_text(bracket[0])} and {rate_text(bracket[1])} req/s offered)"
                 if bracket else "")
        return (f"{onset}{burst}{first}, share of 429s {r['share_429']}, Retry-After on "
                f"{r['retry_after_present_ratio']} of 429s, early retries {r['early_retries']}, recovered "
                f"{r['recovered']} after {r['recovery_s']} s")


install(events, RateLimit(PROFILE), RateLimitUser)


@events.quitting.add_listener
def _verdict(environment: Any, **_kwargs: Any) -> None:
    """summary.json, chart and exit code (0 pass, 1 finding or breach, 2 invalid run)."""
    judge(environment)
