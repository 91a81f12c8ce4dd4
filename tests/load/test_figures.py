"""One definition and one rounding of each capacity figure (knee, breakpoint, max achieved, onset)."""

from __future__ import annotations

from tests.load.helpers import book_with
from voipbin_harness.loadgen.figures import DEFINITIONS, capacity_plan, rate_text, thin_ticks
from voipbin_harness.loadgen.plan import geometric_plan
from voipbin_harness.loadgen.results import capacity_outcome
from voipbin_harness.loadgen.thresholds import load_thresholds


def test_rates_are_rounded_for_people() -> None:
    assert [rate_text(v) for v in (4324.667, 6487.2, 17.04, 49.87, 1.234, 200, None)] == [
        "4,325", "6,487", "17.0", "49.9", "1.23", "200", "n/a"]


def test_tick_labels_are_thinned_so_that_they_cannot_overlap() -> None:
    rates = [250 * 1.5 ** k for k in range(14)] + [250 * 1.5 ** 13]  # a long ramp and a repeated rate
    ticks = thin_ticks(rates)
    assert ticks[0] == 250 and ticks[-1] == max(rates) and len(ticks) <= 10
    assert all(b / a >= 1.25 for a, b in zip(ticks, ticks[1:], strict=False))


def test_max_achieved_is_the_most_any_step_answered_and_the_knee_never_exceeds_it() -> None:
    plan = geometric_plan(100, 800, 2, 0, 1, 10)  # 100, 200, 400, 800
    book = book_with({0: {"answers": 100, "latency_ms": 2}, 1: {"answers": 200, "latency_ms": 2},
                      2: {"answers": 400, "latency_ms": 2, "lag_ms": 50}, 3: {"answers": 500, "latency_ms": 2}})
    outcome = capacity_outcome(plan, book, load_thresholds("capacity"))
    block = outcome.summary["capacity"]
    assert block["max_achieved_rps"] == 500 and block["max_achieved_at_offered_rps"] == 800
    assert block["knee_rps"] <= block["max_achieved_rps"]
    assert outcome.marks["max achieved"] == (800, 500)
    assert outcome.summary["definitions"]["max_achieved_rps"] == DEFINITIONS["max_achieved_rps"]
    assert "500 req/s" in outcome.summary["capacity_plan"]["text"]


def test_the_capacity_plan_says_what_one_customer_and_one_ip_can_do() -> None:
    plan = capacity_plan(onset=17.02, uncertainty=0.3, burst=33)
    assert plan["customers_per_ip"] == 11 and plan["per_customer_measured"]
    assert "17.0 ± 0.3 req/s" in plan["text"] and "200 req/s" in plan["text"]
    unmeasured = capacity_plan(knee=6487.2, breakpoint=7000.0)
    assert not unmeasured["per_customer_measured"] and "6,487 req/s on time" in unmeasured["text"]
    assert "381 customers" in unmeasured["text"]
