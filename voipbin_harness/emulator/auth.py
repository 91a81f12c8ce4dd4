"""Who is calling: the gateway's credential order, JWTs (cached once verified), access keys, and
which operations need which permission.

Credentials follow ``conventions.auth.CREDENTIAL_ORDER`` with no fallback. A verified JWT is
cached (token -> principal, expiry) so the hot path costs one dict lookup, and the ``expire``
claim is still honoured on every request. An access key acts as a customer admin.

Permissions (the emulator's documented choice; the gateway checks them per handler):
- ``/customers*``, ``/providers*``, ``/providercalls*`` and ``/billing_accounts/{id}/balance_*_force``
  need a project super-admin (0x1);
- ``/me`` and everything under ``/service_agents/`` are open to every agent;
- every other operation needs customer admin or manager (``Permission.ADMIN_LEVEL``): a
  customer-agent-level agent (0x10) gets 403 PERMISSION_DENIED there (create agents or access
  keys, delete anything, list flows...).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..conventions.auth import (
    ANY_AGENT,
    InvalidToken,
    Permission,
    decode_token,
    find_credential,
    required_permission,
)
from ..conventions.envelope import Reason, Status
from ..conventions.pagination import parse_timestamp
from .errors import ApiError
from .server import Request, query_of
from .state import State

__all__ = ["ANY_AGENT", "Authenticator", "Principal", "required_permission"]

_CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: an agent (JWT) or an access key (acts as customer admin)."""

    customer_id: str
    permission: int
    agent: dict[str, Any] | None  # the token's agent claims; None for an access key
    kind: str  # "agent" | "accesskey"

    def allowed(self, needed: int) -> bool:
        return needed == ANY_AGENT or bool(self.permission & needed)


class Authenticator:
    """Turns a request's credential into a ``Principal`` or raises the 401 ``ApiError``."""

    def __init__(self, state: State, jwt_key: str, *, accept_expired: bool = False) -> None:
        self.state = state
        self.jwt_key = jwt_key
        self.accept_expired = accept_expired
        self._tokens: dict[str, tuple[Principal, float]] = {}

    def clear(self) -> None:
        self._tokens.clear()

    def authenticate(self, request: Request) -> Principal | None:
        """The caller, None when no credential is present; ``ApiError`` 401 when one is bad."""
        cookies = request.cookies() if "cookie" in request.headers else {}
        credential = find_credential(cookies, query_of(request), request.headers)
        if credential is None:
            return None
        if credential.kind == "accesskey":
            return self._accesskey(credential.value)
        return self._jwt(credential.value)

    def _jwt(self, token: str) -> Principal:
        cached = self._tokens.get(token)
        if cached is not None and (self.accept_expired or cached[1] > time.time()):
            return cached[0]
        try:
            if self.accept_expired:
                from datetime import UTC, datetime

                claims = decode_token(token, self.jwt_key, now=datetime(1970, 1, 2, tzinfo=UTC))
            else:
                claims = decode_token(token, self.jwt_key)
            agent = claims["agent"]
            customer_id = str(agent.get("customer_id") or "")
            permission = int(agent.get("permission") or 0)
        except (InvalidToken, TypeError, ValueError):
            raise _invalid("the token is malformed, badly signed or expired") from None
        if not customer_id:
            raise _invalid("the token's agent has no customer_id")
        expire = parse_timestamp(claims["expire"])
        principal = Principal(customer_id, permission, agent, "agent")
        if len(self._tokens) >= _CACHE_MAX:
            self._tokens.clear()
        self._tokens[token] = (principal, expire.timestamp() if expire else 0.0)
        return principal

    def _accesskey(self, key: str) -> Principal:
        with self.state.lock:
            found = self.state.accesskeys.get(key)
            item = None
            if found is not None:
                item = self.state.get(found[0], ("/accesskeys", ()), found[1])
            if item is None or item.get("tm_delete"):
                raise _invalid("unknown or deleted access key")
            expire = parse_timestamp(item["tm_expire"]) if isinstance(item.get("tm_expire"), str) else None
            if expire is not None and expire.timestamp() <= time.time():
                raise _invalid("the access key has expired")
            return Principal(found[0], Permission.CUSTOMER_ADMIN, None, "accesskey")  # type: ignore[index]


def _invalid(message: str) -> ApiError:
    return ApiError(Status.UNAUTHENTICATED, Reason.INVALID_CREDENTIALS, message)
