"""The ratelimit profile's onset estimator on synthetic token-bucket traces.

The climb, the decision and the refine phase are replayed as the profile runs them (``load/
ratelimit.py``), against an exact token bucket: several rates, bursts and ramp durations. The
estimate must be within 10% of the bucket's rate, whatever the burst and however short the run.
"""

from __future__ import annotations

import pytest

from voipbin_harness.loadgen.plan import Step
from voipbin_harness.loadgen.ratelimit import (
    REFINE_MIN_S,
    Bin,
    climb_over,
    climb_plan,
    conclusive_without_limit,
    estimate_limit,
    refine_rate,
    refine_windows,
)

MONITOR_LAG_S = 0.4  # a step is judged this long after it ends (answers in, then the monitor's tick)
DECISION_LEAD_S = 0.5


class Bucket:
    """A token bucket of ``rate`` per second holding at most ``burst`` tokens, full at t=0."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.clock = rate, burst, float(burst), 0.0

    def allow(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.clock) * self.rate)
        self.clock = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def send(bucket: Bucket, step: Step, until: float | None = None) -> Bin:
    """Evenly spaced requests at ``step.rate`` from its start (to ``until`` when the step is cut)."""
    end = step.end if until is None else min(step.end, until)
    accepted = limited = 0
    m = 0
    while step.start + m / step.rate < end:
        if bucket.allow(step.start + m / step.rate):
            accepted += 1
        else:
            limited += 1
        m += 1
    return Bin(step.start, end, step.rate, accepted, limited)


def replay(rate: float, burst: float, ramp_s: float, *, start: float = 10, top: float = 200,
           factor: float = 2, hold: float = 1) -> list[Bin]:
    """The bins the profile would record against this bucket."""
    bucket, bins = Bucket(rate, burst), []
    climb = climb_plan(start, top, factor, hold, ramp_s + REFINE_MIN_S).steps
    cut = None
    for step in climb:
        if cut is not None and step.start >= cut:
            break
        bins.append(send(bucket, step, until=cut))
        last = bins[-1]
        if cut is None and climb_over(last.share_limited, last.limited, last.offered, top):
            cut = step.end + MONITOR_LAG_S + DECISION_LEAD_S
    if cut is None:
        return bins
    offered = refine_rate(bins, top)
    assert offered is not None and offered > rate, "the refine phase offers more than the limit"
    for window in refine_windows(len(climb), offered, cut, max(ramp_s, cut + REFINE_MIN_S)):
        bins.append(send(bucket, window))
    return bins


@pytest.mark.parametrize("ramp_s", [8, 11, 20, 36])
@pytest.mark.parametrize("rate, burst", [(17, 33), (50, 50), (50, 5), (9, 100), (120, 240), (30, 400)])
def test_onset_within_10_percent_whatever_the_burst_and_duration(rate: float, burst: float, ramp_s: float) -> None:
    estimate = estimate_limit(replay(rate, burst, ramp_s))
    assert estimate["onset_rps"] == pytest.approx(rate, rel=0.10), estimate
    assert estimate["onset_uncertainty_rps"] is not None and estimate["onset_uncertainty_rps"] < 0.10 * rate + 2


@pytest.mark.parametrize("rate, burst", [(17, 33), (50, 50), (120, 240)])
def test_the_burst_is_told_apart_from_the_rate(rate: float, burst: float) -> None:
    estimate = estimate_limit(replay(rate, burst, 20))
    assert estimate["burst_estimate"] == pytest.approx(burst, rel=0.15, abs=3), estimate


@pytest.mark.parametrize("start, factor, hold", [(20, 1.3, 1), (5, 1.5, 1), (5, 3, 0.5), (30, 1.2, 2)])
def test_the_steps_of_the_climb_do_not_bias_the_onset(start: float, factor: float, hold: float) -> None:
    estimate = estimate_limit(replay(50, 50, 20, start=start, factor=factor, hold=hold))
    assert estimate["onset_rps"] == pytest.approx(50, rel=0.10), estimate


def test_no_onset_when_the_bucket_is_never_emptied() -> None:
    bins = replay(500, 1000, 10)
    estimate = estimate_limit(bins)
    assert estimate["onset_rps"] is None and estimate["sustained_windows"] == 0
    assert max(b.offered for b in bins) == 200  # the climb reached its top: "no limit" is conclusive there


def test_the_climb_holds_its_top_rate_until_its_budget_ends() -> None:
    plan = climb_plan(10, 50, 2, 1, 8)
    assert [s.rate for s in plan.steps] == [10, 20, 40, 50, 50, 50, 50, 50]
    with pytest.raises(ValueError):
        climb_plan(10, 50, 2, 1, 0.5)


def test_no_limit_is_conclusive_only_at_the_top_or_far_above_the_limit() -> None:
    assert conclusive_without_limit(200, 200, None)
    assert conclusive_without_limit(160, 200, 50)  # 3x the expected 50 req/s
    assert not conclusive_without_limit(40, 200, 50)
    assert not conclusive_without_limit(40, 200, None)  # the documented 17 req/s x 3 = 51
