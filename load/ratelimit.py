"""ratelimit: drive one customer over its rate limit and measure how the limit behaves.

Plan (``profiles.toml`` [ratelimit]):
1. a ramp of geometric steps that never backs off, until two steps in a row have at least
   ``REJECTED_SHARE`` of their answers rejected (429 or 5xx), or the ramp is over; the 429 onset
   is estimated from it (``loadgen.ratelimit.estimate_onset``);
2. compliant clients, which honour ``Retry-After``, ask for twice the onset for ``compliant_s``;
3. then for half of it, in one-second windows for ``recovery_s``: the 429s must stop.
No onset: no compliant phase.

Judged on: every 429's ``Retry-After`` and RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED envelope
(a finding otherwise), 5xx instead of 429 (a finding), early retries, recovery, and the onset
against the expected limit (``thresholds.toml`` [ratelimit]).
"""

import time
from collections.abc import Sequence
from typing import Any

from locust import events

from voipbin_harness.loadgen.behaviour import ProfileBehaviour
from voipbin_harness.loadgen.outcome import Outcome
from voipbin_harness.loadgen.plan import Plan, Step
from voipbin_harness.loadgen.ratelimit import estimate_onset, ratelimit_outcome
from voipbin_harness.loadgen.session import Session
from voipbin_harness.loadgen.shape import PlanShape
from voipbin_harness.loadgen.users import VoipbinUser, mix
from voipbin_harness.loadgen.wiring import install, judge

PROFILE = "ratelimit"
REJECTED_SHARE = 0.4  # two ramp steps with this share of answers rejected end the ramp
DECISION_LEAD = 0.5  # seconds between deciding the compliant phases and their start


class RateLimitUser(VoipbinUser):
    """One customer's requests: a ramp past the limit, then a client that honours Retry-After."""

    tasks = mix(PROFILE)


class RateLimitShape(PlanShape):
    """The ramp, then (once decided) the compliant and recovery phases."""


class RateLimit(ProfileBehaviour):
    """Ends the ramp once overloaded, decides the compliant phases from the onset."""

    compliant = True

    def setup(self, session: Session) -> None:
        self.ramp = [s.index for s in session.base_plan.steps]

    def waiting_for_decision(self, session: Session) -> bool:
        return not session.phase_decided.is_set()

    def monitor(self, session: Session, settled: Sequence[Step]) -> None:
        if session.phase_decided.is_set():
            return
        ramp = [s for s in settled if s.index in self.ramp]
        results = self.settled_results(session, ramp)
        rejected = [(r.r429 + sum(n for c, n in r.statuses.items() if c.startswith("5"))) / max(r.answers, 1)
                    for r in results]
        overloaded = len(rejected) >= 2 and min(rejected[-2:]) >= REJECTED_SHARE
        if not overloaded and len(ramp) < len(self.ramp):
            return
        onset = estimate_onset(results)["onset_rps"]
        now = time.time() - session.t0
        if overloaded:
            session.stop_reason = f"ramp ended: two steps with >= {REJECTED_SHARE:.0%} of answers rejected"
        if onset:
            o = session.options
            session.decide_phase({"cut": now + DECISION_LEAD, "demand": round(2 * onset, 3),
                                  "recovery": round(0.5 * onset, 3), "compliant_s": o.compliant_s,
                                  "recovery_s": o.recovery_s})
        else:
            session.stop_reason = (session.stop_reason or "ramp ended") + "; no 429 onset: no compliant phase"
            session.decide_phase(None)

    def phase_plan(self, session: Session, phase: dict[str, Any]) -> Plan:
        base = session.base_plan
        cut, n = phase["cut"], len(base.steps)
        settle = min(1.0, phase["compliant_s"] / 2)
        steps = list(base.until(cut).steps)
        steps.append(Step(n, phase["demand"], cut, settle, phase["compliant_s"] - settle, "compliant at 2x onset"))
        start = cut + phase["compliant_s"]
        for k in range(max(1, int(phase["recovery_s"]))):
            steps.append(Step(n + 1 + k, phase["recovery"], start + k, 0.0, 1.0, f"recovery {k + 1} s"))
        return Plan(tuple(steps), base.drain)

    def outcome(self, session: Session) -> Outcome:
        phase = session.phase
        n = len(session.base_plan.steps)
        compliant = [n] if phase else []
        recovery = [s.index for s in session.plan.steps if s.index > n] if phase else []
        return ratelimit_outcome(session.plan, session.merged, session.options.thresholds, ramp=self.ramp,
                                 compliant=compliant, recovery=recovery,
                                 demand_rps=phase["demand"] if phase else None,
                                 recovery_rps=phase["recovery"] if phase else None,
                                 operation=self.operation(session), reproduce=self.reproduce(session))

    def figures(self, outcome: Outcome) -> str:
        r = outcome.summary["ratelimit"]
        return (f"onset {r['onset_rps']} req/s (bracket {r['onset_bracket_rps']}), share of 429s "
                f"{r['share_429']}, Retry-After on {r['retry_after_present_ratio']} of 429s, early retries "
                f"{r['early_retries']}, recovered {r['recovered']} after {r['recovery_s']} s")


install(events, RateLimit(PROFILE), RateLimitUser)


@events.quitting.add_listener
def _verdict(environment: Any, **_kwargs: Any) -> None:
    """summary.json, chart and exit code (0 pass, 1 finding or breach, 2 invalid run)."""
    judge(environment)
