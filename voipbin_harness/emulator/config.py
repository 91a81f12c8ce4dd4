"""What one emulator instance is: profile, rate limits, added latency, signing key, seed, tenants, faults.

The defaults are the real gateway's (``conventions.ratelimit``), so a ``create_app(spec)`` behaves
like ``voipbin-harness emulator`` with no options; suites switch limits off explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..conventions.ratelimit import DEFAULT_AUTH_IP_LIMIT, DEFAULT_CUSTOMER_LIMIT, DEFAULT_IP_LIMIT, Limit
from .faults import Faults
from .latency import Latency
from .tenants import DEFAULT_JWT_KEY, DEFAULT_TENANTS, Tenant

__all__ = ["CONFORMANT", "GATEWAY", "PROFILES", "EmulatorConfig"]

GATEWAY = "gateway"  # behaves like the real gateway (BEHAVIOUR.md), deviations included
CONFORMANT = "conformant"  # keeps every promise of the spec (and of the docs where they agree)
PROFILES = (GATEWAY, CONFORMANT)


@dataclass(frozen=True)
class EmulatorConfig:
    """Configuration of one emulator; ``None`` switches a rate-limit tier off."""

    profile: str = GATEWAY
    customer_limit: Limit | None = DEFAULT_CUSTOMER_LIMIT
    ip_limit: Limit | None = DEFAULT_IP_LIMIT
    auth_ip_limit: Limit | None = DEFAULT_AUTH_IP_LIMIT
    jwt_key: str = DEFAULT_JWT_KEY
    seed: int = 0
    tenants: tuple[Tenant, ...] = DEFAULT_TENANTS
    faults: tuple[str, ...] = field(default_factory=tuple)
    latency: Latency = field(default_factory=Latency)  # added to every answer (a remote gateway)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        Faults.parse(self.faults)  # fail fast on an unknown name
        self.latency.check()

    @property
    def conformant(self) -> bool:
        return self.profile == CONFORMANT

    @property
    def fault_flags(self) -> Faults:
        return Faults.parse(self.faults)

    @classmethod
    def without_limits(cls, **kwargs: object) -> EmulatorConfig:
        """Every rate-limit tier off (what the shipped suites use, so that they run fast)."""
        return cls(customer_limit=None, ip_limit=None, auth_ip_limit=None, **kwargs)  # type: ignore[arg-type]
