"""soak: a long constant rate; do latency, errors or the target's memory drift over time?

Plan: one constant rate bounded by ``--duration``, cut into windows of ``window`` seconds
(``profiles.toml`` [soak]). After each window the target's memory is sampled, when the target is
a process on this machine (``--vb-server-pid``, or the process listening on a loopback origin).

Judged on the whole run's SLOs and on its trends: each window's rate and percentiles, the p99
slope, the error-rate growth from the first to the last third, the memory slope in MB/min
(``thresholds.toml`` [soak]).
"""

from typing import Any

from locust import events

from voipbin_harness.loadgen.behaviour import ProfileBehaviour
from voipbin_harness.loadgen.outcome import Outcome
from voipbin_harness.loadgen.procmem import listening_pid, rss_mb
from voipbin_harness.loadgen.results import steady_outcome
from voipbin_harness.loadgen.session import Session
from voipbin_harness.loadgen.shape import PlanShape
from voipbin_harness.loadgen.users import VoipbinUser, mix
from voipbin_harness.loadgen.wiring import install, judge
from voipbin_harness.target import is_loopback_url

PROFILE = "soak"


class SoakUser(VoipbinUser):
    """Sends the soak mix on the open-model schedule."""

    tasks = mix(PROFILE)


class SoakShape(PlanShape):
    """One constant rate, in windows, until ``--duration``."""


class Soak(ProfileBehaviour):
    """Samples the target's memory after every window; judged on the SLOs and the trends."""

    pid: int | None = None

    def setup(self, session: Session) -> None:
        o = session.options
        if session.role != "worker":
            self.pid = o.server_pid or (listening_pid(o.host) if is_loopback_url(o.host) else None)

    def sample(self, session: Session, now: float) -> None:
        mb = rss_mb(self.pid) if self.pid else None
        if mb is not None:
            session.memory.append((now, mb))

    def outcome(self, session: Session) -> Outcome:
        return steady_outcome(PROFILE, session.plan, session.merged, session.options.thresholds,
                              operation=self.operation(session), memory=session.memory,
                              reproduce=self.reproduce(session))


install(events, Soak(PROFILE), SoakUser)


@events.quitting.add_listener
def _verdict(environment: Any, **_kwargs: Any) -> None:
    """summary.json, chart and exit code (0 pass, 1 finding or breach, 2 invalid run)."""
    judge(environment)
