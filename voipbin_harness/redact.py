"""Remove secrets from anything the harness writes: reports, logs, attachments, curl lines.

One place, used by every writer. It masks secrets, not words: the values the run knows
(registered as soon as they are read or minted: the target's credentials, every token a login
returns, every key a create returns) and anything shaped like a credential of the gateway (a JWT,
a ``vb_`` access key). Text that only names a credential (``Authorization: Bearer <jwt>``,
``Set-Cookie: token=...; HttpOnly``, ``?accesskey=``) is left as it is: the promises the suites
quote say exactly that, and masking the words around them raised a false alarm every night
while mangling the quote (issue 12).

Structured data (``redact`` on a dict) also masks the value of a key that can only hold a
credential (``password``, ``token``, ``Authorization``...), because there the key says what the
value is; a placeholder value (``<jwt>``, ``...``, ``$VOIPBIN_TOKEN``) is kept.
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["MASK", "SECRET_SHAPES", "contains_secret", "redact", "redact_text", "register_secret"]

MASK = "***"
_MIN_LENGTH = 4  # shorter values would shred ordinary text
_known: set[str] = set()
_lock = threading.Lock()
_known_pattern: re.Pattern[str] | None = None

#: What a credential of the gateway looks like (conventions/auth.py): a JWT (three base64url parts,
#: the first a JSON header, ``eyJ``; the signature may be empty) and an access key (``vb_`` + 32).
SECRET_SHAPES: tuple[re.Pattern[str], ...] = (
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?<![A-Za-z0-9])vb_[A-Za-z0-9]{24,}"),
)
_PLACEHOLDER = re.compile(r"^(?:\*+|\.+|<[^<>]*>|\{[^{}]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$")
_SECRET_KEYS = frozenset({"token", "accesskey", "access_key", "password", "authorization", "cookie", "set-cookie",
                          "jwt", "secret", "jwt_key", "other_password", "other_accesskey", "agent_password"})


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked wherever it appears later."""
    global _known_pattern
    if not value or len(value) < _MIN_LENGTH:
        return
    with _lock:
        if value not in _known:
            _known.add(value)
            _known_pattern = None


def _pattern() -> re.Pattern[str] | None:
    """One alternation of every known value, longest first (so that a value containing another
    is masked whole); rebuilt only when a value was registered since."""
    global _known_pattern
    with _lock:
        if _known_pattern is None and _known:
            _known_pattern = re.compile("|".join(re.escape(v) for v in sorted(_known, key=len, reverse=True)))
        return _known_pattern


def redact_text(text: str) -> str:
    """``text`` with every known secret value and every credential-shaped string masked."""
    if not text:
        return text
    known = _pattern()
    if known is not None:
        text = known.sub(MASK, text)
    for shape in SECRET_SHAPES:
        text = shape.sub(MASK, text)
    return text


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds a known secret value or a credential-shaped string."""
    if not text:
        return False
    known = _pattern()
    return bool((known is not None and known.search(text)) or any(s.search(text) for s in SECRET_SHAPES))


def _masked_field(key: Any, value: Any) -> bool:
    return (isinstance(key, str) and key.lower() in _SECRET_KEYS and isinstance(value, str) and bool(value)
            and not _PLACEHOLDER.match(value))


def redact(value: Any, *, fields: bool = True) -> Any:
    """A copy of ``value`` (str, bytes, dict, list...) with every secret masked.

    ``fields=False`` masks values only (known and credential-shaped), as ``redact_text`` does:
    for data a suite wrote, where a ``"password"`` key may hold a generated wrong password
    that a reproduction needs.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace")).encode()
    if isinstance(value, dict):
        return {k: (MASK if fields and _masked_field(k, v) else redact(v, fields=fields)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, fields=fields) for v in value]
    return value
