"""How many users a generator process keeps: enough for the rate, and no more.

Every user is a greenlet and a connection that this process and the target keep serving. A pool
sized for 250 ms of latency (``options.pool_size``, right for a remote target) at thousands of
req/s on loopback holds a thousand idle connections and cost a third of the generator's
throughput (issue 13). So once a step has shown the target's service time, the pool follows it
(Little's law, with room for bursts). Pure functions over ``Plan`` and ``StepBook``.
"""

from __future__ import annotations

import math

from .plan import Plan
from .stats import StepBook, values_at

__all__ = ["POOL_HEADROOM", "POOL_KEPT_UP", "POOL_MIN_SECONDS", "POOL_SAMPLES", "recent_service_s", "service_pool"]

POOL_HEADROOM = 3.0  # users for this many times the rate x the recent p99 service time ...
POOL_MIN_SECONDS = 0.01  # ... and never for less than this many seconds of the rate
POOL_SAMPLES = 50  # answers a step needs before its service time sizes the pool
POOL_KEPT_UP = 0.9  # ... and the share of its scheduled answers it must have had


def service_pool(rate_per_process: float, service_s: float, *, low: int, high: int) -> int:
    """Users one process needs for ``rate_per_process`` when answers take ``service_s`` (p99)."""
    seconds = max(POOL_MIN_SECONDS, POOL_HEADROOM * service_s)
    return max(low, min(high, math.ceil(rate_per_process * seconds)))


def recent_service_s(plan: Plan, book: StepBook, now: float) -> float | None:
    """p99 service time (s) of the latest step finished by ``now`` (seconds from t0) that kept up.

    A step the target fell behind in is left out: its service time is queueing at the target,
    which more users would only lengthen (and they would grow the pool again)."""
    for step in reversed(plan.steps):
        stats = book.steps.get(step.index)
        if step.end > now or stats is None or step.hold <= 0:
            continue
        histogram = stats.histograms["service"]
        kept_up = stats.counts["done"] >= POOL_KEPT_UP * step.rate * step.hold
        if histogram.get_total_count() >= POOL_SAMPLES and kept_up:
            return values_at(histogram, [99])[99] / 1_000_000
    return None
