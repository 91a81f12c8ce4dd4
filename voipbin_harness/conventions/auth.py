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
    "CREDENTIAL_ORDER",
    "HMAC_ALGORITHMS",
    "TOKEN_LIFETIME",
    "Credential",
    "InvalidToken",
    "Permission",
    "decode_token",
    "find_credential",
    "is_access_key",
    "mint_token",
    "new_access_key",
]

ACCESS_KEY_PREFIX = "vb_"
_ACCESS_KEY = re.compile(r"^vb_[A-Za-z0-9]{32}$")
_KEY_ALPHABET = string.ascii_letters + string.digits
TOKEN_LIFETIME = timedelta(days=7)
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
BEARER_PREFIX = "Bearer "  # literal and case-sensitive in the gateway

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


def is_access_key(value: str) -> bool:
    return bool(_ACCESS_KEY.match(value))


def new_access_key() -> str:
    return ACCESS_KEY_PREFIX + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(32))
