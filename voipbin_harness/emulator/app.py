"""``create_app(spec, config)``: the emulator as a plain ``Request -> Response`` callable.

Everything spec-derived is compiled here, once: the catalog of collections, the route table
(fails fast on an operation it cannot compile), route permissions; validators and seeded items
are made on first use so that start-up stays well under a second on the full spec.
"""

from __future__ import annotations

import warnings
from typing import Any

import jwt

from ..conventions.auth import Permission
from ..conventions.ratelimit import Limit
from ..spec import Spec, load_spec
from .auth import Authenticator, Principal, required_permission
from .binding import Binder
from .catalog import Catalog
from .config import EmulatorConfig
from .conform import Repairer
from .errors import dumps
from .faults import FAULTS
from .generate import Generator
from .latency import Delay, Latency
from .pipeline import build_pipeline
from .public import public_routes
from .ratelimit import Tier
from .routes import Route, Router, compile_routes
from .schemas import SchemaTools
from .seed import Seeder
from .server import Request, Response
from .state import State

__all__ = ["EmulatorApp", "create_app"]

# The documented test key ("emulator-jwt-key") is shorter than RFC 7518 asks; that is the point of it.
_SHORT_KEY_WARNING = getattr(getattr(jwt, "warnings", None), "InsecureKeyLengthWarning", None)
if _SHORT_KEY_WARNING is not None:
    warnings.filterwarnings("ignore", category=_SHORT_KEY_WARNING)


class EmulatorApp:
    """The emulator application; ``app(request) -> response``, state in ``app.state``."""

    def __init__(self, spec: Spec, config: EmulatorConfig) -> None:
        self.spec = spec
        self.config = config
        self.conformant = config.conformant
        self.faults = config.fault_flags
        self.base_path = spec.base_path
        self.base_prefix = self.base_path + "/"
        self.tools = SchemaTools(spec)
        self.generator = Generator(self.tools)
        self.repairer = Repairer(self.tools, self.generator, config.seed)
        self.catalog = Catalog(spec, self.tools)
        self.routes: list[Route] = compile_routes(spec, self.catalog)
        for route in self.routes:
            route.permission = required_permission(route.op.path)
        self.router = Router(self.routes, strict=self.conformant)
        self.public_routes = frozenset(r for r in self.routes if self.conformant and r.kind == "auth_stub"
                                       and "401" not in r.op.responses)
        self.binder = Binder(self.tools, conformant=self.conformant)
        self.seeder = Seeder(self.catalog, self.generator, config.tenants, config.seed)
        self.state = State(config.seed, self.seeder.populate, self.seeder.collection)
        self.authenticator = Authenticator(self.state, config.jwt_key, accept_expired=self.faults.expired_token_accepted)
        self.ip_tier = Tier(config.ip_limit)
        self.auth_ip_tier = Tier(config.auth_ip_limit)
        self.customer_tier = Tier(config.customer_limit)
        self.delay = Delay(config.latency, config.seed)  # the server holds each answer this long
        self.public = public_routes(self.state, config.jwt_key, spec.document)
        first = config.tenants[0] if config.tenants else None
        self.bypass_principal = Principal(first.customer_id if first else "", Permission.CUSTOMER_ADMIN,
                                          None, "accesskey")
        self._populate()
        self._handler = build_pipeline(self)

    def __call__(self, request: Request) -> Response:
        return self._handler(request)

    # -- used by handlers and control endpoints -------------------------------------------------
    def encode(self, body: Any, schema: Any) -> bytes:
        if self.conformant and schema is not None:
            body = self.repairer.repair(body, schema)
        return dumps(body)

    def reset(self) -> None:
        """Seeded state back, every bucket refilled, the token cache emptied."""
        with self.state.lock:
            self.state.reset()
            self._populate()
        self.authenticator.clear()
        for tier in (self.ip_tier, self.auth_ip_tier, self.customer_tier):
            tier.refill()

    def set_limits(self, **limits: Limit | None) -> None:
        tiers = {"customer": self.customer_tier, "ip": self.ip_tier, "auth_ip": self.auth_ip_tier}
        for name, limit in limits.items():
            tiers[name].set(limit)

    def set_latency(self, latency: Latency | None) -> None:
        """Added latency from now on (None: none); answers already waiting keep theirs."""
        self.delay.latency = latency

    def describe(self) -> dict[str, Any]:
        """The configuration, without secrets (no passwords, no access keys, no signing key)."""
        def text(limit: Limit | None) -> str | None:
            return str(limit) if limit is not None else None

        return {
            "profile": self.config.profile,
            "seed": self.config.seed,
            "base_path": self.base_path,
            "limits": {"customer": text(self.customer_tier.limit), "ip": text(self.ip_tier.limit),
                       "auth_ip": text(self.auth_ip_tier.limit)},
            "latency": None if self.delay.latency.off else str(self.delay.latency),
            "tenants": [{"name": t.name, "customer_id": t.customer_id,
                         "agents": [{"username": a.username, "id": a.id, "permission": a.permission}
                                    for a in t.agents]}
                        for t in self.config.tenants],
            "faults": self.faults.names,
            "known_faults": FAULTS,
            "operations": len(self.spec.operations),
            "routes": self.router.path_count,
        }

    def summary(self) -> str:
        """stripe-mock's start-up line: what was compiled."""
        collections = len(self.catalog.collections)
        return (f"{len(self.spec.operations)} operations, {self.router.path_count} routes, {collections} collections, "
                f"profile {self.config.profile}, validators compiled on first use")

    def _populate(self) -> None:
        with self.state.lock:
            for tenant in self.config.tenants:
                self.state.store(tenant.customer_id)


def create_app(spec: Spec | None = None, config: EmulatorConfig | None = None) -> EmulatorApp:
    """The emulator for ``spec`` (default: the configured spec) and ``config`` (default: gateway)."""
    return EmulatorApp(spec if spec is not None else load_spec(), config or EmulatorConfig())
