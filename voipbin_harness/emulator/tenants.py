"""The emulator's seeded tenants: fixed by default so that docs, tests and CI can name them.

Overridable (``EmulatorConfig.tenants``) and printed at start, minus passwords.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..conventions.auth import Permission

__all__ = ["ALPHA", "BRAVO", "DEFAULT_BALANCE", "DEFAULT_JWT_KEY", "DEFAULT_TENANTS", "SeedAgent", "Tenant"]

DEFAULT_JWT_KEY = "emulator-jwt-key"
DEFAULT_BALANCE = 1000.0  # every customer starts with it; PUT /__emulator__/customers/{id}/balance changes it


@dataclass(frozen=True, slots=True)
class SeedAgent:
    username: str
    password: str
    permission: int
    id: str


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    customer_id: str
    accesskey: str
    agents: tuple[SeedAgent, ...] = field(default_factory=tuple)
    balance: float = DEFAULT_BALANCE

    @property
    def admin(self) -> SeedAgent:
        return next(a for a in self.agents if a.permission & Permission.CUSTOMER_ADMIN)


ALPHA = Tenant(
    name="alpha",
    customer_id="a1a1a1a1-0000-4000-8000-000000000001",
    accesskey="vb_alpha000000000000000000000000000",
    agents=(
        SeedAgent("admin@alpha.test", "alpha-secret", Permission.CUSTOMER_ADMIN,
                  "a1a1a1a1-0000-4000-8000-0000000000a1"),
        SeedAgent("agent@alpha.test", "alpha-agent-secret", Permission.CUSTOMER_AGENT,
                  "a1a1a1a1-0000-4000-8000-0000000000a2"),
    ),
)
BRAVO = Tenant(
    name="bravo",
    customer_id="b2b2b2b2-0000-4000-8000-000000000002",
    accesskey="vb_bravo000000000000000000000000000",
    agents=(
        SeedAgent("admin@bravo.test", "bravo-secret", Permission.CUSTOMER_ADMIN,
                  "b2b2b2b2-0000-4000-8000-0000000000b1"),
    ),
)
DEFAULT_TENANTS: tuple[Tenant, ...] = (ALPHA, BRAVO)
