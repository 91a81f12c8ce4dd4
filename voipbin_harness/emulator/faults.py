"""Promises the emulator can break on purpose, so the harness's own tests prove each check bites.

Every fault is off by default and switched on by name (``--fault NAME``, ``EmulatorConfig.faults``).
The app reads the flags below at the few places each one acts; nothing else knows about them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FAULTS", "Faults", "UnknownFault"]

#: name -> the promise it breaks (shown by ``--help`` and ``GET /__emulator__/config``).
FAULTS: dict[str, str] = {
    "auth-bypass": "a request without credentials is served as the first tenant's admin",
    "leak-list": "list answers include another customer's item",
    "drop-page-item": "every page after the first skips one item, so a walk over pages loses items",
    "cross-tenant-read": "GET of another customer's resource answers 200 with it",
    "no-retry-after": "429 answers carry no Retry-After header",
    "ratelimit-500": "rate-limited requests answer 500 instead of 429",
    "bad-envelope": "error bodies lose error.message",
    "request-id-mismatch": "error.request_id differs from the X-Request-Id header",
    "expired-token-accepted": "JWTs past their 'expire' claim are accepted",
    "undeclared-status": "reads declared 200 answer 418",
    "schema-violation": "reads return the item with a number as its id",
    "slow": "every request takes 20 ms more",
}

SLOW_SECONDS = 0.020


class UnknownFault(ValueError):
    """A fault name that is not in ``FAULTS``."""


@dataclass(frozen=True, slots=True)
class Faults:
    """One boolean per fault; ``Faults.parse(["slow"])`` or ``Faults()`` for none."""

    auth_bypass: bool = False
    leak_list: bool = False
    drop_page_item: bool = False
    cross_tenant_read: bool = False
    no_retry_after: bool = False
    ratelimit_500: bool = False
    bad_envelope: bool = False
    request_id_mismatch: bool = False
    expired_token_accepted: bool = False
    undeclared_status: bool = False
    schema_violation: bool = False
    slow: bool = False

    @classmethod
    def parse(cls, names: Iterable[str]) -> Faults:
        flags: dict[str, bool] = {}
        for name in names:
            if name not in FAULTS:
                raise UnknownFault(f"unknown fault {name!r} (known: {', '.join(FAULTS)})")
            flags[name.replace("-", "_")] = True
        return cls(**flags)

    @property
    def names(self) -> list[str]:
        return [name for name in FAULTS if getattr(self, name.replace("-", "_"))]

    @property
    def any(self) -> bool:
        return bool(self.names)
