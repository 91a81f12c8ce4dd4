"""The one pacing and 429 policy (voipbin_harness/pacing.py), on a fake clock: what it sends when,
what it does with a 429, and what it counts."""

from __future__ import annotations

import pytest

from tests.support import FakeClock
from voipbin_harness.conventions.ratelimit import CLIENT_HEADROOM, RETRY_RULE, Limit, limited_by
from voipbin_harness.pacing import Answer, Pacer, answer_of


def _pacer(limit: Limit | None, clock: FakeClock, **kwargs: object) -> Pacer:
    return Pacer(limit, clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def test_an_unpaced_pacer_never_waits() -> None:
    clock = FakeClock(1000.0)
    pacer = _pacer(None, clock)
    for _ in range(1000):
        pacer.acquire("primary")
    assert clock.slept == []
    assert pacer.summary()["requests"] == 1000 and pacer.summary()["rate"] is None


@pytest.mark.parametrize("limit", [Limit(17, 33), Limit(50, 50), Limit(5, 1)])
def test_a_paced_client_stays_under_the_target_rate(limit: Limit) -> None:
    """Whatever the burst, N requests take at least the time the client-side bucket needs."""
    clock = FakeClock(1000.0)
    pacer = _pacer(limit, clock)
    start = clock.now
    sent = 400
    for _ in range(sent):
        pacer.acquire("primary")
    elapsed = clock.now - start
    client_rate = limit.rate * CLIENT_HEADROOM
    client_burst = max(1, int(limit.burst / 2))
    assert elapsed == pytest.approx((sent - client_burst) / client_rate, rel=0.01)
    assert sent / elapsed < limit.rate


def test_customers_have_their_own_buckets_and_the_ip_bucket_is_shared() -> None:
    clock = FakeClock(1000.0)
    pacer = _pacer(Limit(10, 2), clock, ip=Limit(1000, 1000))
    for _ in range(50):
        pacer.acquire("alpha")
        pacer.acquire("bravo")
    # two customers, each at 9 req/s: 100 requests take ~50/9 s, not 100/9 s
    assert clock.now - 1000.0 == pytest.approx(49 / 9, rel=0.02)


def test_share_divides_the_rate_between_processes() -> None:
    clock = FakeClock(1000.0)
    pacer = _pacer(Limit(20, 2), clock, share=2)
    assert pacer.rate == pytest.approx(20 * CLIENT_HEADROOM / 2)


def test_a_429_is_waited_out_as_retry_after_says_and_the_request_sent_again() -> None:
    clock = FakeClock(1000.0)
    pacer = _pacer(Limit(17, 33), clock)
    answers = iter([429, 429, 200])
    seen: list[int] = []

    def send() -> int:
        return next(answers)

    outcome = pacer.call(send, lambda s: Answer(s, "2" if s == 429 else None, "customer"), key="primary",
                         on_limited=seen.append)
    assert outcome.response == 200 and outcome.retries == 2 and not outcome.gave_up
    assert seen == [429, 429]  # every 429 is handed to the caller, to check the rate-limit promises
    assert clock.slept.count(2.0) == 2
    summary = pacer.summary()
    assert summary["rate_limited"] == 2 and summary["retry_waits"] == 2 and summary["retry_wait_seconds"] == 4.0
    assert summary["slowed_to"] == pytest.approx(17 * CLIENT_HEADROOM * RETRY_RULE.slowdown ** 2)


def test_without_retry_after_the_client_backs_off_exponentially() -> None:
    assert [RETRY_RULE.wait_for(None, attempt) for attempt in range(3)] == [1.0, 2.0, 4.0]
    assert RETRY_RULE.wait_for("0", 0) == 1.0  # "now" is not a reason to hammer the target
    assert RETRY_RULE.wait_for("3600", 0) == RETRY_RULE.max_wait


def test_a_request_that_stays_limited_is_given_up_after_the_bounded_retries() -> None:
    clock = FakeClock(1000.0)
    pacer = _pacer(Limit(17, 33), clock)
    sent = []
    outcome = pacer.call(lambda: sent.append(1) or 429, lambda s: Answer(s, "1"), key="primary")
    assert outcome.gave_up and outcome.response == 429
    assert len(sent) == RETRY_RULE.max_retries + 1
    assert pacer.summary()["gave_up"] == 1


def test_requests_meant_to_meet_the_limit_are_neither_paced_nor_retried() -> None:
    clock = FakeClock(1000.0)
    pacer = _pacer(Limit(1, 1), clock)
    outcomes = [pacer.call(lambda: 429, lambda s: Answer(s, "1"), key="primary", retry=False) for _ in range(5)]
    assert all(o.response == 429 and o.retries == 0 for o in outcomes)
    assert clock.slept == []


def test_after_a_429_the_bucket_that_ran_dry_pauses() -> None:
    clock = FakeClock(1000.0)
    pacer = _pacer(Limit(100, 100), clock, ip=Limit(1000, 1000))
    pacer.limited("alpha", Answer(429, "3", "customer"), 0)
    assert pacer.acquire("alpha") == pytest.approx(3.0, abs=0.05)
    before = clock.now
    pacer.acquire("bravo")  # another customer's bucket did not run dry
    assert clock.now == before


def test_answer_of_reads_the_rate_limit_answer() -> None:
    body = {"error": {"status": "RESOURCE_EXHAUSTED", "details": [{"limited_by": "ip"}]}}
    assert answer_of(429, {"Retry-After": "1"}, body) == Answer(429, "1", "ip")
    assert answer_of(200, {}, None) == Answer(200)
    assert limited_by({"error": {}}) is None


def test_rate_option_forms() -> None:
    assert Limit.parse("17", burst_optional=True) == Limit(17, 17)
    assert Limit.parse("17:33", burst_optional=True) == Limit(17, 33)
    with pytest.raises(ValueError, match="RPS or RPS:BURST"):
        Limit.parse("fast", burst_optional=True)


# -- which limit a target is paced by (target.rate_limit_of) -------------------------------------
def _emulator(*args: str):  # noqa: ANN202 - a Target
    from dataclasses import replace

    from voipbin_harness.target import resolve

    return replace(resolve("emulator", env={}), emulator_args=list(args))


@pytest.mark.parametrize(("args", "expected"), [
    (["--no-rate-limit"], None),
    (["--rate-limit", "50:50"], Limit(50, 50)),
    ([], Limit(17, 33)),  # the emulator's own default is the gateway's
])
def test_the_embedded_emulator_is_paced_by_the_limit_it_was_started_with(args: list[str], expected: Limit | None) -> None:
    from voipbin_harness.target import rate_limit_of

    assert rate_limit_of(_emulator(*args), env={})[0] == expected


def test_a_url_target_is_paced_by_the_documented_limit_unless_told() -> None:
    from voipbin_harness.target import rate_limit_of, resolve

    target = resolve("http://127.0.0.1:9", env={})
    assert rate_limit_of(target, env={})[0] == Limit(17, 33)
    assert rate_limit_of(target, "off", env={})[0] is None
    assert rate_limit_of(target, env={"VOIPBIN_RATE": "5:5"})[0] == Limit(5, 5)
    assert rate_limit_of(target, "40", env={"VOIPBIN_RATE": "5:5"})[0] == Limit(40, 40)


def test_a_bad_rate_is_a_one_line_error() -> None:
    from voipbin_harness.errors import HarnessError
    from voipbin_harness.target import rate_limit_of, resolve

    with pytest.raises(HarnessError, match="--rate"):
        rate_limit_of(resolve("live", env={}), "fast", env={})
