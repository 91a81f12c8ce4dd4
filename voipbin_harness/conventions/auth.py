"""How a VoIPBIN caller proves who it is: credential placement and order, tokens, access keys.

From ``BEHAVIOUR.md``: the first credential present wins (no fallback when it is bad), JWTs are
HMAC-signed with a custom ``expire`` claim (RFC 3339, microseconds) instead of ``exp``, agent
tokens live 7 days, access keys are ``vb_`` + 32 characters and work only from the query or a
cookie.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from .pagination import parse_timestamp, timestamp

__all__ = [
    "ACCESS_KEY_PREFIX",
    "ANY_AGENT",
    "CALLER_AGENT_PATHS",
    "CREDENTIAL_ORDER",
    "HMAC_ALGORITHMS",
    "LOGIN_FAILURE_STATUS",
    "LOGIN_PATH",
    "TOKEN_LIFETIME",
    "Credential",
    "InvalidToken",
    "Permission",
    "decode_token",
    "find_credential",
    "is_access_key",
    "mint_token",
    "new_access_key",
    "required_permission",
    "unverified_agent",
]

ACCESS_KEY_PREFIX = "vb_"
_ACCESS_KEY = re.compile(r"^vb_[A-Za-z0-9]{32}$")
_KEY_ALPHABET = string.ascii_letters + string.digits
TOKEN_LIFETIME = timedelta(days=7)
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
BEARER_PREFIX = "Bearer "  # literal and case-sensitive in the gateway
#: Login lives outside the base path; wrong credentials or a bad body get this status with an EMPTY
#: body (not 401, not the envelope), in the gateway's code.
LOGIN_PATH = "/auth/login"
LOGIN_FAILURE_STATUS = 400

#: Where the gateway looks, in order; the first one present wins.
CREDENTIAL_ORDER: tuple[tuple[str, str], ...] = (
    ("cookie", "token"),
    ("query", "token"),
    ("header", "authorization"),
    ("cookie", "accesskey"),
    ("query", "accesskey"),
)


class Permission:
    """Agent permission bits."""

    PROJECT_SUPER_ADMIN = 0x1
    CUSTOMER_AGENT = 0x10
    CUSTOMER_ADMIN = 0x20
    CUSTOMER_MANAGER = 0x40
    ADMIN_LEVEL = PROJECT_SUPER_ADMIN | CUSTOMER_ADMIN | CUSTOMER_MANAGER


class Credential:
    """What the caller presented: ``kind`` is "jwt" or "accesskey"; ``value`` the raw string."""

    __slots__ = ("kind", "source", "value")

    def __init__(self, kind: str, source: str, value: str) -> None:
        self.kind = kind
        self.source = source
        self.value = value

    def __repr__(self) -> str:  # never print the secret itself
        return f"Credential(kind={self.kind!r}, source={self.source!r})"


class InvalidToken(ValueError):
    """Malformed, badly signed, non-HMAC, or expired token."""


def find_credential(
    cookies: Mapping[str, str],
    query: Mapping[str, list[str]] | Mapping[str, str],
    headers: Mapping[str, str],
) -> Credential | None:
    """The credential the gateway would use, following ``CREDENTIAL_ORDER``; None if none is sent.

    An ``Authorization`` header that does not start with the literal ``Bearer `` counts as present
    (its value is then an invalid token), as the gateway reads it.
    """
    for source, name in CREDENTIAL_ORDER:
        if source == "cookie":
            value = cookies.get(name)
        elif source == "query":
            raw = query.get(name)
            value = raw[0] if isinstance(raw, list) and raw else (raw if isinstance(raw, str) else None)
        else:
            value = headers.get(name)
            if value is not None:
                value = value[len(BEARER_PREFIX) :] if value.startswith(BEARER_PREFIX) else ""
                return Credential("jwt", "header", value)
        if value is not None:
            kind = "accesskey" if name == "accesskey" else "jwt"
            return Credential(kind, source, value)
    return None


def mint_token(agent: Mapping[str, Any], key: str, *, expire: datetime | None = None,
               algorithm: str = "HS256") -> str:
    """A gateway-style agent JWT: ``{"type": "agent", "agent": {...}, "expire": "<RFC3339 µs>"}``."""
    expire = expire or datetime.now(UTC) + TOKEN_LIFETIME
    claims = {"type": "agent", "agent": dict(agent), "expire": timestamp(expire)}
    return jwt.encode(claims, key, algorithm=algorithm)


def decode_token(token: str, key: str, *, now: datetime | None = None) -> dict[str, Any]:
    """The claims of a valid token; raises ``InvalidToken`` for anything the gateway refuses."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from None
    if header.get("alg") not in HMAC_ALGORITHMS:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not HMAC")
    try:
        claims = jwt.decode(token, key, algorithms=list(HMAC_ALGORITHMS), options={"verify_exp": False})
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"bad token: {exc}") from None
    if not isinstance(claims.get("agent"), dict):
        raise InvalidToken("token carries no agent")
    expire = parse_timestamp(claims.get("expire", "")) if isinstance(claims.get("expire"), str) else None
    if expire is None:
        raise InvalidToken("token carries no valid 'expire'")
    if expire <= (now or datetime.now(UTC)):
        raise InvalidToken("token expired")
    return claims


def unverified_agent(token: str) -> dict[str, Any] | None:
    """The ``agent`` claim of a JWT read WITHOUT verifying it, or None when it is not one.

    For a client that wants to know who it is (its ``customer_id``) from the token it holds; never
    use it to decide whether a token is valid (that is ``decode_token``).
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    agent = claims.get("agent")
    return agent if isinstance(agent, dict) else None


#: Which operations need which agent permission. BEHAVIOUR.md only says that an agent lacking the
#: permission gets 403 PERMISSION_DENIED (the gateway checks per handler); this is the harness's
#: documented model of it, the same one the emulator enforces: project-level resources need a
#: project super-admin, ``/me`` and ``/service_agents/*`` are open to every agent, and everything
#: else needs customer admin or manager.
ANY_AGENT = 0
SUPER_ADMIN_PREFIXES = ("/customers", "/providers", "/providercalls")
SUPER_ADMIN_SUFFIXES = ("/balance_add_force", "/balance_subtract_force")
AGENT_PATHS = ("/me",)
AGENT_PREFIXES = ("/service_agents/",)
#: Operations about the calling agent itself. An access key has no agent behind it, so in the
#: harness's model (the emulator's ``singleton_item`` answers so) it gets 403 PERMISSION_DENIED
#: there; load mixes that authenticate with an access key leave these out.
CALLER_AGENT_PATHS = ("/me",)


def required_permission(path: str) -> int:
    """The permission bits (any one of them) an operation on ``path`` (relative to the base path,
    template or concrete) needs; ``ANY_AGENT`` when every authenticated agent may call it."""
    first = "/" + path.split("/")[1] if path.count("/") >= 1 else path
    if first in SUPER_ADMIN_PREFIXES or path.endswith(SUPER_ADMIN_SUFFIXES):
        return Permission.PROJECT_SUPER_ADMIN
    if path in AGENT_PATHS or path.startswith(AGENT_PREFIXES):
        return ANY_AGENT
    return Permission.ADMIN_LEVEL


def is_access_key(value: str) -> bool:
    return bool(_ACCESS_KEY.match(value))


def new_access_key() -> str:
    return ACCESS_KEY_PREFIX + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(32))
