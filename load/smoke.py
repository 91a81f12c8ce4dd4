"""smoke: a short, realistic VoIPBIN mix at a constant rate; does the API hold its SLOs at all?

Plan: one constant rate (10 req/s, 8 s by default; ``profiles.toml`` [smoke]) of lists, gets,
creates and deletes of flows; lists of calls, agents and numbers; ``/me`` and ``/customer``
(weights in [smoke.weights]). The rate stays under the gateway's per-customer limit (17 req/s):
a 429 here is counted apart from errors and judged by ``share_429`` (the limit is lower than
promised, or another client spends the same customer's budget). Set-up requests are paced.

Judged on the whole run: p95, p99, error rate, share of 429s (``thresholds.toml`` [smoke]);
every 429 met is checked against the rate-limit promise.
"""

from typing import Any

from locust import events

from voipbin_harness.loadgen.behaviour import ProfileBehaviour
from voipbin_harness.loadgen.outcome import Outcome
from voipbin_harness.loadgen.results import steady_outcome
from voipbin_harness.loadgen.session import Session
from voipbin_harness.loadgen.shape import PlanShape
from voipbin_harness.loadgen.users import VoipbinUser, mix
from voipbin_harness.loadgen.wiring import install, judge

PROFILE = "smoke"


class SmokeUser(VoipbinUser):
    """Sends the smoke mix on the open-model schedule."""

    tasks = mix(PROFILE)


class SmokeShape(PlanShape):
    """One constant rate for the run's duration."""


class Smoke(ProfileBehaviour):
    """No early stop, no later phase: the whole run against the SLOs."""

    def outcome(self, session: Session) -> Outcome:
        return steady_outcome(PROFILE, session.plan, session.merged, session.options.thresholds,
                              operation=self.operation(session), reproduce=self.reproduce(session))


install(events, Smoke(PROFILE), SmokeUser)


@events.quitting.add_listener
def _verdict(environment: Any, **_kwargs: Any) -> None:
    """summary.json, chart and exit code (0 pass, 1 finding or breach, 2 invalid run)."""
    judge(environment)
