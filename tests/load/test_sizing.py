"""The generator's pool follows the target's service time, not a fixed 250 ms (issue 13)."""

from __future__ import annotations

from tests.load.helpers import fill
from voipbin_harness.loadgen.plan import geometric_plan
from voipbin_harness.loadgen.sizing import recent_service_s, service_pool
from voipbin_harness.loadgen.stats import StepBook


def test_the_pool_is_the_rate_times_the_service_time_with_headroom() -> None:
    assert service_pool(5000, 0.004, low=20, high=1000) == 60  # 5000 x 3 x 4 ms
    assert service_pool(5000, 0.0001, low=20, high=1000) == 50  # never under 10 ms of the rate
    assert service_pool(100, 0.001, low=20, high=1000) == 20
    assert service_pool(5000, 2.0, low=20, high=1000) == 1000


def test_the_service_time_comes_from_the_latest_finished_step_that_kept_up() -> None:
    plan = geometric_plan(100, 400, 2, 0, 1, 10)  # 100, 200, 400 req/s, 1 s each
    book = StepBook()
    fill(book.at(0), answers=100, latency_ms=2)
    fill(book.at(1), answers=200, latency_ms=4)
    fill(book.at(2), answers=150, latency_ms=400)  # fell behind: its service time is queueing
    assert recent_service_s(plan, book, now=0.5) is None  # nothing finished yet
    assert 0.0014 <= recent_service_s(plan, book, now=1.5) <= 0.0021  # fill: service 0.7-1.0 x latency
    assert 0.0028 <= recent_service_s(plan, book, now=3.5) <= 0.0041  # step 2 is left out
