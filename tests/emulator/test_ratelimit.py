"""Token-bucket rate limits: per customer and per IP, the 429 answer, shared buckets, and off.

Buckets here refill at 0.1 token/s, so nothing refills during a test: the counts are exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support import ACCOUNTS, KEYS, PROFILES, Emu, assert_error
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.conventions.ratelimit import Limit

SLOW = Limit(0.1, 3)


def assert_limited(response: httpx.Response, limited_by: str) -> None:
    __tracebackhide__ = True
    error = assert_error(response, 429, Status.RESOURCE_EXHAUSTED, Reason.RATE_LIMIT_EXCEEDED)
    assert error.get("details") and error["details"][0].get("limited_by") == limited_by, error
    retry_after = response.headers.get("retry-after")
    assert retry_after is not None and retry_after.isdigit(), f"Retry-After {retry_after!r}"
    assert not [h for h in response.headers if h.lower().startswith("x-ratelimit")], dict(response.headers)


@pytest.mark.parametrize("profile", PROFILES)
def test_customer_limit(start_emulator: Callable[..., Emu], profile: str) -> None:
    emu = start_emulator(profile=profile, customer_limit=SLOW)
    statuses = [emu.get("/flows", who="alpha").status_code for _ in range(SLOW.burst)]
    assert statuses == [200] * SLOW.burst
    ok = emu.get("/customer", who="bravo")
    assert ok.status_code == 200 and not [h for h in ok.headers if h.lower().startswith("x-ratelimit")]
    limited = emu.get("/flows", who="alpha")
    assert_limited(limited, "customer")
    assert int(limited.headers["retry-after"]) >= 1  # a token takes 10 s at 0.1/s
    assert emu.get("/flows", who="bravo").status_code == 200, "bravo has its own bucket"


@pytest.mark.parametrize("profile", PROFILES)
def test_ip_limit_applies_before_authentication(start_emulator: Callable[..., Emu], profile: str) -> None:
    emu = start_emulator(profile=profile, ip_limit=SLOW)
    statuses = [emu.get("/flows", who=None).status_code for _ in range(SLOW.burst)]
    assert statuses == [401] * SLOW.burst
    assert_limited(emu.get("/flows", who=None), "ip")
    assert_limited(emu.get("/flows", who="bravo"), "ip")


def test_agents_and_access_keys_of_a_customer_share_one_bucket(start_emulator: Callable[..., Emu]) -> None:
    emu = start_emulator(customer_limit=Limit(0.1, 4))
    for who in ("alpha", "alpha-agent"):
        emu.token(who)  # log in first: /auth/login is not a /v1.0 request
    assert [emu.get("/me" if who != "alpha-key" else "/customer", who=who).status_code
            for who in ("alpha", "alpha-agent", "alpha-key", "alpha")] == [200] * 4
    for who in ("alpha-key", "alpha-agent", "alpha"):
        assert_limited(emu.get("/customer", who=who), "customer")
    assert emu.get("/customer", who="bravo-key").status_code == 200


def test_login_has_its_own_ip_tier(start_emulator: Callable[..., Emu]) -> None:
    emu = start_emulator(auth_ip_limit=Limit(0.1, 2))
    statuses = [emu.login(*ACCOUNTS["alpha"]).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert emu.get("/customer", who=None, params={"accesskey": KEYS["alpha-key"]}).status_code == 200


def test_retry_after_is_honest(start_emulator: Callable[..., Emu]) -> None:
    emu = start_emulator(customer_limit=Limit(4, 1))
    assert emu.get("/customer", who="alpha-key").status_code == 200
    limited = emu.get("/customer", who="alpha-key")
    assert_limited(limited, "customer")
    wait = int(limited.headers["retry-after"])
    assert wait == 1, "at 4 tokens/s the next token is due in 0.25 s: rounded up to whole seconds, 1"
    time.sleep(wait)
    assert emu.get("/customer", who="alpha-key").status_code == 200


def test_limits_off_never_429(emu: Emu) -> None:
    """The session emulators run like ``--no-rate-limit``: well past every default burst."""
    def burst(who: str) -> list[int]:
        return [emu.get("/customer", who=who).status_code for _ in range(60)]

    emu.token("alpha")
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = [s for result in pool.map(burst, ["alpha", "alpha-key", "alpha", "bravo-key"]) for s in result]
    logins = [emu.login(*ACCOUNTS["bravo"]).status_code for _ in range(25)]  # past the /auth burst of 20
    assert set(statuses) == {200} and set(logins) == {200}
