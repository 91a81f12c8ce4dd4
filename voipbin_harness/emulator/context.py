"""The per-request context the pipeline layers fill in, and the app surfaces its parts may use.

The app (``app.EmulatorApp``) builds the pipeline and holds everything; the pipeline, the
control endpoints and the handlers see it only through the protocols here (``AppLike`` for
handlers, ``PipelineApp`` for the layers, ``ControlApp`` for ``/__emulator__``), so none of them
imports the app and the app can import them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .server import Request, Response, query_of

if TYPE_CHECKING:
    from ..conventions.ratelimit import Limit
    from .auth import Authenticator, Principal
    from .binding import Binder
    from .catalog import Catalog
    from .config import EmulatorConfig
    from .conform import Repairer
    from .faults import Faults
    from .generate import Generator
    from .latency import Latency
    from .ratelimit import Tier
    from .routes import Route, Router
    from .schemas import SchemaTools
    from .state import CustomerStore, State

__all__ = ["AppLike", "ControlApp", "Ctx", "PipelineApp"]


class Ctx:
    """One request on its way through the pipeline."""

    __slots__ = ("body", "form", "params", "principal", "request", "request_id", "route", "store")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.request_id = ""
        self.route: Route | None = None
        self.params: dict[str, str] = {}
        self.principal: Principal | None = None
        self.store: CustomerStore | None = None
        self.body: Any = None
        self.form: dict[str, Any] | None = None

    def query(self) -> dict[str, list[str]]:
        return query_of(self.request)

    def arg(self, name: str) -> str | None:
        values = query_of(self.request).get(name)
        return values[0] if values else None


class AppLike(Protocol):
    """What handlers may use of the app (kept narrow so handlers stay plain functions)."""

    config: EmulatorConfig
    conformant: bool
    faults: Faults
    state: State
    catalog: Catalog
    tools: SchemaTools
    generator: Generator
    repairer: Repairer

    def encode(self, body: Any, schema: Any) -> bytes: ...


class ControlApp(Protocol):
    """What the control endpoints change or show."""

    state: State

    def reset(self) -> None: ...
    def describe(self) -> dict[str, Any]: ...
    def set_limits(self, **limits: Limit | None) -> None: ...
    def set_latency(self, latency: Latency | None) -> None: ...


class PipelineApp(AppLike, ControlApp, Protocol):
    """What the pipeline's layers use: routing, credentials, the rate-limit tiers (and control)."""

    base_path: str
    base_prefix: str
    router: Router
    binder: Binder
    authenticator: Authenticator
    bypass_principal: Principal
    public: Mapping[tuple[str, str], Callable[[Ctx], Response]]
    public_routes: frozenset[Route]
    ip_tier: Tier
    auth_ip_tier: Tier
    customer_tier: Tier
