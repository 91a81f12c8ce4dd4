"""The ratelimit profile's measurements on canned answers and a simulated token bucket."""

from __future__ import annotations

import pytest

from tests.load.helpers import fill
from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER, Reason, Status, envelope
from voipbin_harness.conventions.ratelimit import LIMITED_BY_CUSTOMER
from voipbin_harness.loadgen.analysis import GeneratorLimits, step_result
from voipbin_harness.loadgen.plan import geometric_plan
from voipbin_harness.loadgen.ratelimit import (
    bins_of,
    classify_429,
    estimate_limit,
    normalise_problem,
    ratelimit_outcome,
    recovery_seconds,
)
from voipbin_harness.loadgen.stats import RUN, StepBook, StepStats
from voipbin_harness.loadgen.thresholds import load_thresholds


def limited_answer(*, retry_after: str | None = "1", message: str | None = "slow down") -> tuple[dict, dict]:
    body = envelope(Status.RESOURCE_EXHAUSTED, Reason.RATE_LIMIT_EXCEEDED, message or "", "req_abc",
                    [{"limited_by": LIMITED_BY_CUSTOMER}])
    if message is None:
        del body["error"]["message"]
    headers = {REQUEST_ID_HEADER: "req_abc"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return headers, body


def test_a_conforming_429() -> None:
    verdict = classify_429(*limited_answer())
    assert verdict.problems == () and verdict.retry_after == 1 and verdict.limited_by == "customer"
    assert {"rl:429", "rl:retry_after_valid", "rl:envelope_ok", "rl:limited_by:customer"} <= set(verdict.counter_keys())


def test_a_429_without_retry_after_keeps_its_envelope_but_is_a_problem() -> None:
    verdict = classify_429(*limited_answer(retry_after=None))
    assert verdict.retry_after is None
    assert verdict.problems == ("429 without a Retry-After header",)
    assert "rl:envelope_ok" in verdict.counter_keys() and "rl:retry_after_valid" not in verdict.counter_keys()


@pytest.mark.parametrize("retry_after", ["soon", "1.5", "-1"])
def test_retry_after_must_be_whole_seconds(retry_after: str) -> None:
    verdict = classify_429(*limited_answer(retry_after=retry_after))
    assert verdict.retry_after is None
    assert verdict.problems == ("Retry-After '…' is not a whole number of seconds",)


def test_a_broken_envelope_is_not_envelope_ok() -> None:
    verdict = classify_429(*limited_answer(message=None))
    assert verdict.problems and "rl:envelope_ok" not in verdict.counter_keys()
    assert normalise_problem("x 'a' and \"b\"") == "x '…' and '…'"


def simulate_bucket(rate: float, burst: int, offered: list[float], hold: float) -> list:
    """Answers of a token bucket (``rate``/s, ``burst``) to evenly spaced requests, per step."""
    tokens, clock, results = float(burst), 0.0, []
    for index, r in enumerate(offered):
        stats, accepted, limited = StepStats(), 0, 0
        for k in range(int(r * hold)):
            now = index * hold + k / r
            tokens = min(burst, tokens + (now - clock) * rate)
            clock = now
            if tokens >= 1:
                tokens -= 1
                accepted += 1
            else:
                limited += 1
        fill(stats, answers=accepted + limited, latency_ms=2, r429=limited)
        results.append(step_result(index, f"{r:g}", r, hold, stats, GeneratorLimits()))
    return results


@pytest.mark.parametrize("rate, burst", [(50, 50), (17, 33), (200, 400)])
def test_onset_is_the_bucket_rate_whatever_the_burst_and_steps(rate: float, burst: int) -> None:
    plan = geometric_plan(rate / 4, rate * 2.5, 1.3, 0, 2, 60)
    steps = simulate_bucket(rate, burst, [s.rate for s in plan.steps], hold=2)
    onset = estimate_limit(bins_of(plan, steps))
    assert onset["onset_rps"] == pytest.approx(rate, rel=0.05)
    low, high = onset["onset_bracket_rps"]
    assert low < high and high > rate


def test_no_onset_without_429s() -> None:
    plan = geometric_plan(10, 20, 2, 0, 2, 4)
    assert estimate_limit(bins_of(plan, simulate_bucket(50, 50, [10, 20], hold=2)))["onset_rps"] is None


def test_recovery_seconds() -> None:
    windows = simulate_bucket(1000, 1000, [10, 10, 10], hold=1)
    assert recovery_seconds(windows, 1.0) == 0.0
    windows[0].r429 = 3
    assert recovery_seconds(windows, 1.0) == 1.0
    windows[2].r429 = 1
    assert recovery_seconds(windows, 1.0) is None


def outcome_for(run_counts: dict[str, int], *, r429: int = 40, errors: int = 0) -> object:
    plan = geometric_plan(20, 80, 2, 0, 1, 10)  # steps 20, 40, 80
    book = StepBook()
    fill(book.at(0), answers=20, latency_ms=2)
    fill(book.at(1), answers=40, latency_ms=2)
    fill(book.at(2), answers=80, latency_ms=2, r429=r429, errors=errors)
    book.at(RUN).counts.update(run_counts)
    return ratelimit_outcome(plan, book, load_thresholds("ratelimit"), ramp=[0, 1, 2], compliant=[], recovery=[],
                             demand_rps=None, recovery_rps=None, operation="GET /flows")


def test_outcome_of_a_conforming_limit_has_no_finding() -> None:
    outcome = outcome_for({"rl:429": 40, "rl:retry_after_valid": 40, "rl:envelope_ok": 40})
    block = outcome.summary["ratelimit"]
    assert block["onset_rps"] == 40 and block["retry_after_present_ratio"] == 1.0 and block["early_retries"] == 0
    assert not outcome.findings and not outcome.breaches


def test_outcome_finds_429s_without_retry_after() -> None:
    outcome = outcome_for({"rl:429": 40, "rl:envelope_ok": 40, "rl:problem:429 without a Retry-After header": 40})
    assert [f.message for f in outcome.findings] == ["429 without a Retry-After header"]
    assert outcome.findings[0].occurrences == 40 and outcome.findings[0].check == "rate_limit_answer"
    assert any(b.name == "ratelimit.retry_after_present_ratio" for b in outcome.breaches)


def test_outcome_finds_5xx_instead_of_429() -> None:
    outcome = outcome_for({"status:500": 40}, r429=0, errors=40)
    assert [f.check for f in outcome.findings] == ["rate_limit_status"]
    assert "500" in outcome.findings[0].got
    names = {b.name for b in outcome.breaches}
    assert {"ratelimit.require_limit", "ratelimit.max_5xx"} <= names


def test_no_429_below_the_ramp_top_is_inconclusive_not_a_finding() -> None:
    plan = geometric_plan(10, 40, 2, 0, 1, 10)  # its top stays under 3 x the documented 17 req/s
    book = StepBook()
    for index, answers in enumerate((10, 20, 40)):
        fill(book.at(index), answers=answers, latency_ms=2)
    outcome = ratelimit_outcome(plan, book, load_thresholds("ratelimit"), ramp=[0, 1, 2], compliant=[], recovery=[],
                                demand_rps=None, recovery_rps=None, operation="GET /flows", max_rate=200)
    assert outcome.invalid and "inconclusive" in outcome.invalid[0] and "200" in outcome.invalid[0]
    assert not any(b.name == "ratelimit.require_limit" for b in outcome.breaches)
    assert outcome.summary["ratelimit"]["conclusive"] is False


def test_outcome_counts_early_retries() -> None:
    outcome = outcome_for({"rl:429": 40, "rl:retry_after_valid": 40, "rl:envelope_ok": 40, "rl:early_retries": 2})
    assert outcome.summary["ratelimit"]["early_retries"] == 2
    assert any(b.name == "ratelimit.max_early_retries" for b in outcome.breaches)
