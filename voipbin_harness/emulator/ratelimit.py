"""Token buckets for the gateway's three tiers: per IP on ``/v1.0``, per IP on ``/auth``, per customer.

Each tier is a ``Limit`` (``conventions.ratelimit``) or None (off); buckets are created on first
use per key and refilled lazily from the monotonic clock, so an idle emulator costs nothing.
"""

from __future__ import annotations

import math
import time

from ..conventions.ratelimit import Limit

__all__ = ["Tier"]

_MAX_KEYS = 100_000  # a flood of distinct IPs cannot grow memory without bound


class Tier:
    """One rate-limit tier: ``take(key)`` -> 0 when allowed, else the whole seconds to wait."""

    __slots__ = ("_buckets", "limit")

    def __init__(self, limit: Limit | None) -> None:
        self.limit = limit
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill]

    def set(self, limit: Limit | None) -> None:
        self.limit = limit
        self._buckets.clear()

    def refill(self) -> None:
        self._buckets.clear()

    def take(self, key: str) -> int:
        limit = self.limit
        if limit is None:
            return 0
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_KEYS:
                self._buckets.clear()
            bucket = self._buckets[key] = [float(limit.burst), now]
        else:
            bucket[0] = min(float(limit.burst), bucket[0] + (now - bucket[1]) * limit.rate)
            bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket[0]) / limit.rate))
