"""What differs between the profiles on the judging side (master, or the single local process).

``monitor`` sees each step once it has settled (its answers and worker reports are in) and may
stop the run early (capacity past its breakpoint, a generator-bound run) or, for ratelimit,
decide the compliant phases; ``outcome`` builds the verdict. Imports no Locust.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..target import is_loopback_url
from .analysis import StepResult, find_breakpoint, limited_by, step_results
from .plan import Plan, Step
from .procmem import listening_pid, rss_mb
from .ratelimit import estimate_onset, ratelimit_outcome
from .report import Outcome, capacity_outcome, steady_outcome

if TYPE_CHECKING:
    from .session import Session

__all__ = ["CapacityHooks", "ProfileHooks", "RateLimitHooks", "SteadyHooks", "hooks_for"]

REJECTED_SHARE = 0.4  # ratelimit: two ramp steps with this share rejected end the ramp
DECISION_LEAD = 0.5  # seconds between deciding the ratelimit phases and their start


class ProfileHooks:
    compliant = False  # users honour Retry-After once the phases are decided (ratelimit only)

    def __init__(self, profile: str) -> None:
        self.profile = profile

    def settled_results(self, session: Session, settled: Sequence[Step]) -> list[StepResult]:
        """Results of settled steps, each computed once (its numbers no longer change)."""
        cache: dict[int, StepResult] = self.__dict__.setdefault("_settled", {})
        fresh = [s for s in settled if s.index not in cache]
        for result in step_results(Plan(tuple(fresh)), session.merged, session.options.thresholds.generator):
            cache[result.index] = result
        return [cache[s.index] for s in settled if s.index in cache]

    def reproduce(self, session: Session) -> str:
        """The command that runs this profile again against this target (no secret in it)."""
        o = session.options
        if o.reproduce:
            return o.reproduce
        target = o.target_name if o.target_name in ("emulator", "live") else o.host
        return f"voipbin-harness load --profile {self.profile} --target {target}"

    def operation(self, session: Session) -> str:
        ops = session.options.config.ops
        return ops[0].label if len(ops) == 1 else "*"

    def setup(self, session: Session) -> None:
        """Every process, once the session exists."""

    def monitor(self, session: Session, settled: Sequence[Step]) -> None:
        """master/local: called when more steps have settled."""

    def sample(self, session: Session, now: float) -> None:
        """master/local: after each settled step (soak: target memory)."""

    def waiting_for_decision(self, session: Session) -> bool:
        return False

    def phase_plan(self, session: Session, phase: dict[str, Any]) -> Plan:
        raise NotImplementedError

    def outcome(self, session: Session) -> Outcome:
        return steady_outcome(self.profile, session.plan, session.merged, session.options.thresholds,
                              operation=self.operation(session), memory=session.memory,
                              reproduce=self.reproduce(session))

    def headline(self, session: Session, outcome: Outcome, code: int) -> str:
        overall = outcome.summary.get("overall") or {}
        verdict = {0: "pass", 1: "FAIL", 2: "INVALID"}[code]
        return (f"voipbin-harness load {self.profile}: {verdict} - {overall.get('rps', 0):g} req/s achieved "
                f"of {overall.get('offered_rps', 0):g} offered, p50 {overall.get('p50')} ms, "
                f"p95 {overall.get('p95')} ms, p99 {overall.get('p99')} ms, errors {overall.get('error_rate', 0):.2%}"
                + _tail(outcome))


def _tail(outcome: Outcome) -> str:
    parts = [b.message for b in outcome.breaches] + [f"finding: {f.message}" for f in outcome.findings]
    parts += [f"invalid: {reason}" for reason in outcome.invalid]
    return ("\n  " + "\n  ".join(parts)) if parts else ""


class SteadyHooks(ProfileHooks):
    """smoke and soak."""

    def setup(self, session: Session) -> None:
        self._pid = None
        if self.profile == "soak" and session.role != "worker":
            o = session.options
            self._pid = o.server_pid or (listening_pid(o.host) if is_loopback_url(o.host) else None)

    def sample(self, session: Session, now: float) -> None:
        if self._pid:
            mb = rss_mb(self._pid)
            if mb is not None:
                session.memory.append((now, mb))


class CapacityHooks(ProfileHooks):
    def monitor(self, session: Session, settled: Sequence[Step]) -> None:
        th = session.options.thresholds
        results = self.settled_results(session, settled)
        if not results:
            return
        breakpoint = find_breakpoint(results, th.slo)
        past = int(th.get("steps_past_breakpoint", 1) or 0)
        who, knee = limited_by(results, th.knee_rule)
        if breakpoint is not None and results[-1].index >= breakpoint.index + past:
            session.cut(f"past the breakpoint at {breakpoint.rps:g} req/s ({breakpoint.reason})")
        elif who == "generator":
            session.cut(f"the generator is the limit at {knee.first_degraded_rps:g} req/s offered")

    def outcome(self, session: Session) -> Outcome:
        plan = session.plan if session.cut_at is None else session.plan.completed(session.cut_at)
        return capacity_outcome(plan, session.merged, session.options.thresholds,
                                stopped_early=session.stop_reason, operation=self.operation(session),
                                reproduce=self.reproduce(session))

    def headline(self, session: Session, outcome: Outcome, code: int) -> str:
        c = outcome.summary["capacity"]
        verdict = {0: "pass", 1: "FAIL", 2: "INVALID"}[code]
        return (f"voipbin-harness load capacity: {verdict} - knee {c['knee_rps']} req/s "
                f"(first degraded {c['first_degraded_rps']}), breakpoint {c['breakpoint_rps']} req/s, "
                f"max achieved {c['max_achieved_rps']} req/s, limited by {c['limited_by'] or 'nothing up to the max rate'}"
                + _tail(outcome))


class RateLimitHooks(ProfileHooks):
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

    def headline(self, session: Session, outcome: Outcome, code: int) -> str:
        r = outcome.summary["ratelimit"]
        verdict = {0: "pass", 1: "FAIL", 2: "INVALID"}[code]
        return (f"voipbin-harness load ratelimit: {verdict} - onset {r['onset_rps']} req/s "
                f"(bracket {r['onset_bracket_rps']}), share of 429s {r['share_429']}, "
                f"Retry-After on {r['retry_after_present_ratio']} of 429s, early retries {r['early_retries']}, "
                f"recovered {r['recovered']} after {r['recovery_s']} s" + _tail(outcome))


def hooks_for(profile: str) -> ProfileHooks:
    if profile == "capacity":
        return CapacityHooks(profile)
    if profile == "ratelimit":
        return RateLimitHooks(profile)
    return SteadyHooks(profile)
