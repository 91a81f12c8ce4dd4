"""How a run fits its time budget at the rate the target allows (``--time-budget SECONDS``).

At 17 req/s (the gateway's per-customer limit) a run cannot send every case Schemathesis generates
for 410 operations in a few minutes; sent first come, first served, the early operations would take
the whole budget and the late ones none. So the run plans before it starts: from the budget left,
the pace (``Target.pacer``, shared between the pytest-xdist workers) and what must fit besides
(the CRUD workflows, deleting what the cases create), a **quota of authenticated requests per
operation** that lets every selected operation get its unauthenticated probe and at least one
positive case. ``--max-examples`` is lowered to the quota, so Hypothesis does not generate cases the
run will not send. Two deadlines back the quota up: past the first no new operation starts (it is
listed not exercised, with the reason), past the second no workflow starts; the rest is kept for
the cleanup.

Unpaced (``--rate off``, the embedded emulator without limits) there is no quota; the deadlines
still hold when a budget is given. Without ``--time-budget`` there is no plan at all.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STARTED_ENV", "WORKFLOW_STEPS", "Plan", "make_plan", "run_started"]

#: Set by the ``contracts`` command (and by the first pytest process) to when the run started, so
#: that every worker counts the budget from the same moment.
STARTED_ENV = "VOIPBIN_CONTRACTS_STARTED"
#: Requests one CRUD workflow sends at most: create, read, list, update, delete, read again.
WORKFLOW_STEPS = 6
#: The fraction of the pace a run really achieves (generation, latency and checks take time too).
EFFICIENCY = 0.8
#: Kept at the end of the budget for writing the reports and stopping the processes.
CLOSING_S = 5.0
CLOSING_FRACTION = 0.05


def run_started(env: dict[str, str] | None = None) -> float:
    """When the run started (epoch seconds): ``$VOIPBIN_CONTRACTS_STARTED``, else now (and set it, so
    that pytest-xdist workers started later inherit it)."""
    env = os.environ if env is None else env
    try:
        return float(env[STARTED_ENV])
    except (KeyError, ValueError):
        now = time.time()
        env[STARTED_ENV] = repr(now)
        return now


@dataclass
class Plan:
    time_budget_s: float
    rate: float | None  # requests per second every process together may send for the customer
    workers: int
    operations: int  # selected and sendable
    create_operations: int
    workflows: int
    quota_per_operation: int | None  # authenticated requests per operation; None: unpaced, no quota
    max_examples: int  # the fuzzing examples per operation the run asks Hypothesis for
    requested_max_examples: int
    started: float  # epoch seconds
    operations_deadline: float  # epoch seconds: no operation starts after it
    workflows_deadline: float  # epoch seconds: no workflow starts after it
    fits: bool  # whether every operation gets its quota of one at least
    counts: dict[str, int] = field(default_factory=lambda: {"cases_over_quota": 0, "operations_at_quota": 0,
                                                            "operations_past_deadline": 0,
                                                            "workflows_past_deadline": 0})

    def operations_over(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.operations_deadline

    def workflows_over(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.workflows_deadline

    def block(self) -> dict[str, Any]:
        """For ``summary.json``: what was planned, and what the plan left out."""
        return {"time_budget_s": self.time_budget_s, "rate": round(self.rate, 3) if self.rate else None,
                "workers": self.workers, "quota_per_operation": self.quota_per_operation,
                "max_examples": self.max_examples, "requested_max_examples": self.requested_max_examples,
                "operations": self.operations, "workflows": self.workflows, "fits": self.fits,
                "operations_deadline_s": round(self.operations_deadline - self.started, 1),
                "workflows_deadline_s": round(self.workflows_deadline - self.started, 1), **self.counts}


def make_plan(*, time_budget: float, rate: float | None, workers: int, operations: int, create_operations: int,
              workflows: int, max_examples: int, started: float, now: float | None = None,
              request_budget: int | None = None) -> Plan:
    """The plan for ``operations`` (and ``workflows``) in what is left of ``time_budget`` at ``rate``.

    Requests the quota has to pay for: per operation its cases, per create operation as many deletes
    (of what its cases create), per workflow ``WORKFLOW_STEPS``. The unauthenticated probes are
    metered per client IP (a far larger bucket), so they are not counted against the customer's; they
    do count against ``request_budget`` (``--request-budget``, per process), which caps the quota too."""
    now = time.time() if now is None else now
    end = started + time_budget - max(CLOSING_S, CLOSING_FRACTION * time_budget)
    left = max(0.0, end - now)
    workers = max(1, workers)
    if rate is None:
        workflows_s = min(0.1 * left, 2.0 * workflows)
        return Plan(time_budget, None, workers, operations, create_operations, workflows, None, max_examples,
                    max_examples, started, end - workflows_s, end, True)
    sendable = rate * left * EFFICIENCY
    per_op = (sendable - WORKFLOW_STEPS * workflows) / max(1, operations + create_operations)
    if request_budget is not None:
        allowed = request_budget * workers - WORKFLOW_STEPS * workflows - operations  # the probes too
        per_op = min(per_op, allowed / max(1, operations + create_operations))
    quota = max(1, math.floor(per_op))
    reserve_s = (WORKFLOW_STEPS * workflows + create_operations * quota) / (rate * EFFICIENCY)
    cleanup_s = create_operations * quota / (rate * EFFICIENCY) / 2
    return Plan(time_budget, rate, workers, operations, create_operations, workflows, quota,
                max(1, min(max_examples, quota)), max_examples, started,
                end - min(reserve_s, 0.5 * left), end - min(cleanup_s, 0.25 * left), per_op >= 1)
