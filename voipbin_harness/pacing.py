"""The one pacing and 429 policy of every client the harness runs (contracts, scenarios, the load
suites' set-up steps, logins).

A VoIPBIN gateway meters each customer and each client IP with token buckets
(``conventions.ratelimit``). A client that sends faster than its bucket refills meets 429s, and a
429 met in the middle of a check says nothing about the operation under test. So every request
first takes a token from client-side buckets that mirror the target's tiers, at
``CLIENT_HEADROOM`` of their rate; a 429 that comes anyway is waited out as ``Retry-After`` says and
the same request is sent again (``RETRY_RULE``), and the bucket that ran dry is slowed down for the
rest of the run. The caller still sees every 429 (``on_limited``), so the rate-limit promises
themselves stay checked, but never as a finding of the check that met it.

Buckets are keyed: one per customer (agents and access keys of a customer share one bucket at the
gateway), one for the client IP in front of them, and one for the public ``/auth/*`` routes. A
request without credentials only takes from the IP bucket, as at the gateway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .conventions.ratelimit import (
    CLIENT_HEADROOM,
    DEFAULT_AUTH_IP_LIMIT,
    DEFAULT_IP_LIMIT,
    LIMITED_BY_IP,
    RETRY_AFTER_HEADER,
    RETRY_RULE,
    Limit,
    RetryRule,
    limited_by,
)

__all__ = ["AUTH_TIER", "Answer", "Bucket", "Pacer", "Paced", "answer_of", "merge_summaries"]

R = TypeVar("R")
AUTH_TIER = "auth"  # the public /auth/* routes (login), metered per IP apart from /v1.0


@dataclass(frozen=True, slots=True)
class Answer:
    """What the pacer needs to know of one answer, whatever HTTP client produced it."""

    status: int
    retry_after: str | None = None
    limited_by: str | None = None  # "ip" | "customer" | None (unknown)


class Bucket:
    """A client-side token bucket; ``reserve`` says how long to sleep before sending (not thread-safe:
    the ``Pacer`` holds the lock)."""

    def __init__(self, limit: Limit, now: float) -> None:
        self.start_rate = limit.rate
        self.rate = limit.rate
        self.burst = float(limit.burst)
        self.tokens = float(limit.burst)
        self.stamp = now

    def reserve(self, now: float) -> float:
        """Take one token (possibly borrowed from the future); seconds until it is really there."""
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        self.tokens -= 1.0
        paused = max(0.0, self.stamp - now)  # a 429 told us to wait until ``stamp``
        return paused + (-self.tokens / self.rate if self.tokens < 0 else 0.0)

    def pause(self, now: float, seconds: float, rule: RetryRule) -> None:
        """The target said wait ``seconds``: nothing leaves this bucket before then, and it slows down."""
        self.rate = max(self.rate * rule.slowdown, self.start_rate * rule.min_rate_fraction)
        self.tokens = min(self.tokens, 0.0)
        self.stamp = max(self.stamp, now + seconds)


@dataclass
class Paced(Generic[R]):
    """The last answer of one paced request: ``gave_up`` when it stayed rate limited."""

    response: R
    retries: int
    gave_up: bool


class Pacer:
    """Client-side buckets for one target, shared by every client of one process.

    ``customer`` is the target's per-customer limit (None: not paced, as for the embedded emulator
    started without limits). ``share`` divides every rate between processes that send at once
    (pytest-xdist workers)."""

    def __init__(self, customer: Limit | None, *, source: str = "", share: int = 1,
                 ip: Limit | None = DEFAULT_IP_LIMIT, auth: Limit | None = DEFAULT_AUTH_IP_LIMIT,
                 rule: RetryRule = RETRY_RULE, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = customer
        self.source = source
        self.rule = rule
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        share = max(1, share)
        self._tiers = {name: _client_side(limit, share) for name, limit in
                       (("customer", customer), ("ip", ip if customer else None), (AUTH_TIER, auth if customer else None))}
        self._buckets: dict[str, Bucket] = {}
        self.counts = {"requests": 0, "paced_waits": 0, "paced_seconds": 0.0, "rate_limited": 0,
                       "retry_waits": 0, "retry_wait_seconds": 0.0, "gave_up": 0}

    @property
    def enabled(self) -> bool:
        return self.limit is not None

    @property
    def rate(self) -> float | None:
        """Requests per second this process sends at most per customer (None: unpaced)."""
        tier = self._tiers["customer"]
        return tier.rate if tier else None

    # -- before a request ----------------------------------------------------------------------
    def acquire(self, key: str | None, *, tier: str = "customer") -> float:
        """Wait until a request for customer ``key`` (None: no credentials) may leave; the seconds waited."""
        with self._lock:
            self.counts["requests"] += 1
            now = self._clock()
            wait = 0.0
            for bucket in self._path(key, tier, now):
                wait = max(wait, bucket.reserve(now))
            if wait > 0:
                self.counts["paced_waits"] += 1
                self.counts["paced_seconds"] += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    def _path(self, key: str | None, tier: str, now: float) -> list[Bucket]:
        """The buckets one request goes through: the IP's (or the auth routes'), then the customer's."""
        names = [AUTH_TIER] if tier == AUTH_TIER else ["ip"] + ([f"customer:{key}"] if key is not None else [])
        buckets = []
        for name in names:
            bucket = self._buckets.get(name)
            if bucket is None:
                limit = self._tiers[name.partition(":")[0]]
                if limit is None:
                    continue
                bucket = self._buckets[name] = Bucket(limit, now)
            buckets.append(bucket)
        return buckets

    # -- after a 429 -----------------------------------------------------------------------------
    def limited(self, key: str | None, answer: Answer, attempt: int, *, tier: str = "customer") -> float | None:
        """A 429 came: how long to wait before retry ``attempt`` (0-based), None to give up. The bucket
        that ran dry (all of them when the answer does not say) is paused and slowed."""
        with self._lock:
            self.counts["rate_limited"] += 1
            if attempt >= self.rule.max_retries:
                self.counts["gave_up"] += 1
                return None
            wait = self.rule.wait_for(answer.retry_after, attempt)
            now = self._clock()
            self._path(key, tier, now)  # the buckets exist even when the request was sent unpaced
            for name, bucket in self._buckets.items():
                if _ran_dry(name, key, tier, answer.limited_by):
                    bucket.pause(now, wait, self.rule)
            self.counts["retry_waits"] += 1
            self.counts["retry_wait_seconds"] += wait
        return wait

    def call(self, send: Callable[[], R], view: Callable[[R], Answer], *, key: str | None,
             tier: str = "customer", on_limited: Callable[[R], None] | None = None, retry: bool = True) -> Paced[R]:
        """Send (paced), and while the answer is a 429: report it to ``on_limited``, wait, send again.

        ``retry=False`` is for the requests that mean to meet the limit (the rate-limit scenarios):
        paced neither before nor after, their 429 handed back as it is."""
        attempt = 0
        while True:
            if retry:
                self.acquire(key, tier=tier)
            response = send()
            answer = view(response)
            if answer.status != 429 or not retry:
                return Paced(response, attempt, False)
            if on_limited is not None:
                on_limited(response)
            wait = self.limited(key, answer, attempt, tier=tier)
            if wait is None:
                return Paced(response, attempt, True)
            self._sleep(wait)
            attempt += 1

    # -- reporting -------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """For a suite's ``summary.json``: the rate used, where it came from, and every wait."""
        with self._lock:
            counts = dict(self.counts)
            slowest = min((b.rate for n, b in self._buckets.items() if n.startswith("customer:")), default=None)
        counts["paced_seconds"] = round(counts["paced_seconds"], 3)
        counts["retry_wait_seconds"] = round(counts["retry_wait_seconds"], 3)
        return {"limit": str(self.limit) if self.limit else None, "source": self.source,
                "rate": round(self.rate, 3) if self.rate else None,
                "slowed_to": round(slowest, 3) if slowest is not None and self.rate and slowest < self.rate else None,
                **counts}


def _client_side(limit: Limit | None, share: int) -> Limit | None:
    """The bucket a client keeps for ``limit``: ``CLIENT_HEADROOM`` of its rate, half its burst."""
    if limit is None:
        return None
    return Limit(limit.rate * CLIENT_HEADROOM / share, max(1, int(limit.burst / 2 / share)))


def _ran_dry(bucket: str, key: str | None, tier: str, limited_by: str | None) -> bool:
    if tier == AUTH_TIER:
        return bucket == AUTH_TIER
    if limited_by == LIMITED_BY_IP:
        return bucket == "ip"
    if limited_by is None:
        return bucket != AUTH_TIER
    return bucket == f"customer:{key}"


def answer_of(status: int, headers: Mapping[str, str], body: Any = None) -> Answer:
    """An ``Answer`` from any client's status, headers (case-insensitive mapping) and decoded body."""
    if status != 429:
        return Answer(status)
    return Answer(status, headers.get(RETRY_AFTER_HEADER), limited_by(body))


#: Figures of ``Pacer.summary()`` that add up over processes sending at once (each paced at its share).
_ADDITIVE = ("rate", "slowed_to", "requests", "paced_waits", "paced_seconds", "rate_limited", "retry_waits",
             "retry_wait_seconds", "gave_up")


def merge_summaries(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``summary()`` of several processes (pytest-xdist workers, Locust workers) as one: what they
    sent and waited together; limit and source as the first says."""
    blocks = [b for b in blocks if b]
    if not blocks:
        return {}
    merged = dict(blocks[0])
    for key in _ADDITIVE:
        values = [b[key] for b in blocks if isinstance(b.get(key), (int, float)) and not isinstance(b.get(key), bool)]
        if values:
            total = sum(values)
            merged[key] = round(total, 3) if isinstance(total, float) else total
    merged["processes"] = sum(int(b.get("processes", 1)) for b in blocks)
    return merged
