"""The per-request context the pipeline layers fill in, and the app surface handlers use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .server import Request

if TYPE_CHECKING:
    from .auth import Principal
    from .catalog import Catalog
    from .config import EmulatorConfig
    from .conform import Repairer
    from .faults import Faults
    from .generate import Generator
    from .routes import Route
    from .schemas import SchemaTools
    from .state import CustomerStore, State

__all__ = ["AppLike", "Ctx", "query_of"]


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


_EMPTY: dict[str, list[str]] = {}
_QUERIES: dict[str, dict[str, list[str]]] = {}  # query string -> parsed; read-only, bounded
_QUERIES_MAX = 4096


def query_of(request: Request) -> dict[str, list[str]]:
    """The parsed query, shared between requests with the same query string (the hot path repeats it)."""
    text = request.query
    if not text:
        return _EMPTY
    parsed = _QUERIES.get(text)
    if parsed is None:
        if len(_QUERIES) >= _QUERIES_MAX:
            _QUERIES.clear()
        parsed = _QUERIES[text] = request.query_params()
    return parsed


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
