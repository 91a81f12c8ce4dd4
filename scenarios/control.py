"""The embedded emulator's control endpoints (``/__emulator__``), for the causes a client cannot
produce on its own: an empty balance (402), a frozen account (403), a tight rate limit (429).

Only used when the target answers ``GET /__emulator__/config`` on a loopback address; every
change is undone by the scenario that made it (``with control.balance(...)``), so later
scenarios meet the target as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx

from voipbin_harness.conventions.resources import CONTROL_PREFIX

__all__ = ["CONTROL_PREFIX", "Control"]



class Control:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self._client = httpx.Client(base_url=origin + CONTROL_PREFIX, timeout=10)

    @classmethod
    def probe(cls, origin: str) -> tuple[Control | None, str]:
        """A ``Control`` when the target has the endpoints, else None and the reason why not."""
        try:
            response = httpx.get(origin + CONTROL_PREFIX + "/config", timeout=5)
        except httpx.HTTPError as exc:
            return None, f"GET {CONTROL_PREFIX}/config failed: {type(exc).__name__}"
        if response.status_code != 200:
            return None, f"the target has no emulator control endpoint (GET {CONTROL_PREFIX}/config -> " \
                         f"{response.status_code})"
        return cls(origin), ""

    def close(self) -> None:
        self._client.close()

    def config(self) -> dict[str, Any]:
        response = self._client.get("/config")
        response.raise_for_status()
        return response.json()

    def _put(self, path: str, body: dict[str, Any]) -> None:
        response = self._client.put(path, json=body)
        if response.status_code >= 300:
            raise RuntimeError(f"PUT {CONTROL_PREFIX}{path} answered {response.status_code}: {response.text[:200]}")

    @contextmanager
    def _during(self, path: str, inside: dict[str, Any], after: dict[str, Any]) -> Iterator[None]:
        """``PUT path inside`` for the block, ``PUT path after`` when it ends, whatever happens."""
        self._put(path, inside)
        try:
            yield
        finally:
            self._put(path, after)

    def balance(self, customer_id: str, value: float, restore: float) -> AbstractContextManager[None]:
        """The customer's balance is ``value`` inside the block, ``restore`` after it."""
        return self._during(f"/customers/{customer_id}/balance", {"balance": value}, {"balance": restore})

    def frozen(self, customer_id: str) -> AbstractContextManager[None]:
        """The customer's account is frozen inside the block, thawed after it."""
        return self._during(f"/customers/{customer_id}/frozen", {"frozen": True}, {"frozen": False})

    def rate_limits(self, **limits: str | None) -> AbstractContextManager[None]:
        """Set tiers (``customer="1:2"``...) inside the block; the previous ones after it."""
        current = self.config().get("limits") or self.config()
        before = {tier: _limit_text(current.get(tier)) for tier in limits}
        return self._during("/rate-limits", dict(limits), before)


def _limit_text(value: Any) -> str | None:
    """A tier as the config reports it ("RPS:BURST", {"rate":..,"burst":..} or null) -> "RPS:BURST"|None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and "rate" in value and "burst" in value:
        return f"{value['rate']:g}:{value['burst']}"
    return None
