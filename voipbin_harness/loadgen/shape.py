"""The load shape of every profile: the open-model plan, not a user count, drives the run.

Locust's users here are a pool of senders (``users``); how many requests go out, and when, is the
plan's business (``load/profiles.toml``, ``--vb-*`` options). The shape keeps the pool alive
while the plan runs and ends the run once the schedule is over, the answers in flight have
arrived and every worker has reported, or the profile stopped early. A locustfile subclasses it
(Locust runs the one non-abstract shape class it finds in the file).
"""

from __future__ import annotations

from locust import LoadTestShape

from .session import session_of

__all__ = ["PlanShape"]


class PlanShape(LoadTestShape):
    """(users, spawn rate) while the plan runs; None (quit) when it is over."""

    abstract = True

    def tick(self) -> tuple[int, float] | None:
        session = session_of(self.runner.environment)
        if session.finished():
            return None
        return session.users_total(), session.spawn_rate()
