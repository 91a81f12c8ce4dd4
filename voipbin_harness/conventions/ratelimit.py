"""The VoIPBIN rate-limit answer and the gateway's default token-bucket tiers.

A limited request gets 429 with a whole-second ``Retry-After``, no ``X-RateLimit-*`` headers, and
a RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED envelope whose ``details[0].limited_by`` says which
bucket ran dry ("ip" or "customer").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .envelope import Reason, Status, envelope_problems

__all__ = [
    "CLIENT_HEADROOM",
    "DEFAULT_AUTH_IP_LIMIT",
    "DEFAULT_CUSTOMER_LIMIT",
    "DEFAULT_IP_LIMIT",
    "LIMITED_BY_CUSTOMER",
    "LIMITED_BY_IP",
    "RETRY_AFTER_HEADER",
    "RETRY_RULE",
    "Limit",
    "RetryRule",
    "limited_by",
    "rate_limit_problems",
    "retry_after_seconds",
]

RETRY_AFTER_HEADER = "Retry-After"
LIMITED_BY_IP = "ip"
LIMITED_BY_CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class Limit:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` stored."""

    rate: float
    burst: int

    @classmethod
    def parse(cls, text: str, *, burst_optional: bool = False) -> Limit:
        """``"RPS:BURST"`` (as on the command line); raises ValueError with a readable message.

        With ``burst_optional`` a bare ``"RPS"`` is accepted too, its burst one second's worth of
        requests (what a client that only knows a rate may assume of the bucket)."""
        try:
            if burst_optional and ":" not in text:
                rate = float(text)
                limit = cls(rate, max(1, int(rate)))
            else:
                rate_text, burst_text = text.split(":")
                limit = cls(float(rate_text), int(burst_text))
        except ValueError:
            form = "RPS or RPS:BURST" if burst_optional else "RPS:BURST"
            raise ValueError(f"a rate limit is {form}, e.g. 50:50, got {text!r}") from None
        if limit.rate <= 0 or limit.burst < 1:
            raise ValueError(f"a rate limit needs RPS > 0 and BURST >= 1, got {text!r}")
        return limit

    def __str__(self) -> str:
        return f"{self.rate:g}:{self.burst}"


DEFAULT_IP_LIMIT = Limit(200, 400)  # /v1.0/*, per client IP, before authentication
DEFAULT_AUTH_IP_LIMIT = Limit(10, 20)  # public /auth/*, per client IP
DEFAULT_CUSTOMER_LIMIT = Limit(17, 33)  # per customer, agents and access keys share it

#: A client sends at this fraction of the target's rate, with half its burst: the bucket it shares
#: with the target is then never the one that runs dry, even when answers arrive out of step.
CLIENT_HEADROOM = 0.9


@dataclass(frozen=True, slots=True)
class RetryRule:
    """How a well-behaved client answers a 429: wait what ``Retry-After`` says (bounded), send the
    same request again at most ``max_retries`` times, and slow down for the rest of the run.

    The docs promise ``Retry-After`` on every 429; without a usable one the client backs off
    exponentially from ``default_wait``."""

    max_retries: int = 5
    max_wait: float = 30.0
    default_wait: float = 1.0
    slowdown: float = 0.8  # the client's rate is multiplied by this after each 429
    min_rate_fraction: float = 0.25  # ... but never below this fraction of the rate it started with

    def wait_for(self, retry_after: str | None, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        seconds = retry_after_seconds(retry_after)
        wait = float(seconds) if seconds else self.default_wait * (2 ** attempt)
        return min(wait, self.max_wait)


RETRY_RULE = RetryRule()


def retry_after_seconds(value: str | None) -> int | None:
    """``Retry-After`` as whole seconds, or None when absent or not a non-negative integer."""
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit():
        return None
    return int(text)


def limited_by(body: Any) -> str | None:
    """Which bucket ran dry (``details[0].limited_by``), or None when the answer does not say."""
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    if isinstance(details, list):
        for item in details:
            if isinstance(item, dict) and item.get("limited_by") in (LIMITED_BY_IP, LIMITED_BY_CUSTOMER):
                return item["limited_by"]
    return None


def rate_limit_problems(http_status: int, headers: Mapping[str, str], body: Any) -> list[str]:
    """Every way a 429 answer breaks the convention; empty when it keeps it (or is not a 429)."""
    if http_status != 429:
        return []
    problems: list[str] = []
    raw = headers.get(RETRY_AFTER_HEADER, headers.get(RETRY_AFTER_HEADER.lower()))
    if raw is None:
        problems.append("429 without a Retry-After header")
    elif retry_after_seconds(raw) is None:
        problems.append(f"Retry-After {raw!r} is not a whole number of seconds")
    problems.extend(envelope_problems(body, http_status, headers))
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        if error.get("status") != Status.RESOURCE_EXHAUSTED:
            problems.append(f"error.status is {error.get('status')!r}, expected {Status.RESOURCE_EXHAUSTED}")
        if error.get("reason") != Reason.RATE_LIMIT_EXCEEDED:
            problems.append(f"error.reason is {error.get('reason')!r}, expected {Reason.RATE_LIMIT_EXCEEDED}")
    return problems
