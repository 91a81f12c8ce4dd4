"""Knee, breakpoint and the generator-or-target verdict on canned steps."""

from __future__ import annotations

from tests.load.helpers import result
from voipbin_harness.loadgen.analysis import KneeRule, Slo, find_breakpoint, find_knee, limited_by, slope


def test_no_knee_while_the_target_keeps_up() -> None:
    steps = [result(r, r, 2.0, index=i) for i, r in enumerate([100, 200, 400])]
    assert find_knee(steps) is None
    assert limited_by(steps) == (None, None)


def test_knee_when_achieved_falls_behind_offered() -> None:
    steps = [result(100, 100, 2, index=0), result(200, 200, 2, index=1), result(400, 300, 2, index=2)]
    knee = find_knee(steps)
    assert knee is not None and knee.index == 2
    assert knee.knee_rps == 200 and knee.first_degraded_rps == 400
    assert "achieved" in knee.reason


def test_knee_when_latency_climbs_but_not_for_sub_millisecond_noise() -> None:
    noisy = [result(100, 100, 0.3, index=0), result(200, 200, 1.2, index=1)]  # x4, but only +0.9 ms
    assert find_knee(noisy) is None
    climbing = [result(100, 100, 2, index=0), result(200, 200, 2.2, index=1), result(400, 400, 40, index=2)]
    knee = find_knee(climbing, KneeRule(latency_factor=3, latency_floor_ms=10))
    assert knee is not None and knee.index == 2 and "p95" in knee.reason


def test_a_p99_spike_alone_is_not_a_knee() -> None:
    steps = [result(100, 100, 2, index=0), result(200, 200, 2, index=1), result(400, 400, 2, index=2)]
    steps[2].p99 = 80.0  # one stall of the machine: a handful of slow requests, p95 unmoved
    assert find_knee(steps) is None


def test_a_knee_on_a_generator_bound_step_is_the_generators() -> None:
    steps = [result(100, 100, 2, index=0), result(200, 200, 2, index=1, lag_ms=40),
             result(400, 250, 80, index=2, lag_ms=90)]
    assert steps[1].generator_bound and "generator lag" in steps[1].generator_reasons[0]
    who, knee = limited_by(steps)
    assert who == "generator", "a lagging step that kept up proves the target; the knee's step lagged"
    assert knee.knee_rps == 200 and knee.first_degraded_rps == 400 and knee.reason.startswith("generator")


def test_cpu_bound_generator_counts_too() -> None:
    step = result(100, 100, 2, cpu=97)
    assert step.generator_bound and "CPU" in step.generator_reasons[0]


def test_the_target_is_the_limit_when_it_degrades_first() -> None:
    steps = [result(100, 100, 2, index=0), result(200, 150, 50, index=1), result(400, 160, 300, index=2, lag_ms=50)]
    who, knee = limited_by(steps)
    assert who == "target" and knee.index == 1


def test_breakpoint_is_the_first_step_that_breaks_the_slo() -> None:
    slo = Slo(p95_ms=100, p99_ms=250, error_rate=0.01, share_429=0.0)
    steps = [result(100, 100, 5, index=0), result(200, 200, 20, index=1, errors=10), result(400, 400, 500, index=2)]
    breakpoint = find_breakpoint(steps, slo)
    assert breakpoint is not None and breakpoint.index == 1 and "error rate" in breakpoint.reason
    assert find_breakpoint(steps[:1], slo) is None
    limited = [result(100, 100, 5, index=0, r429=3)]
    assert "429" in find_breakpoint(limited, slo).reason


def test_slope() -> None:
    assert slope([(0, 1), (1, 3), (2, 5)]) == 2
    assert slope([(0, 1)]) is None and slope([(1, 1), (1, 2)]) is None
