"""Remove secrets from anything the harness writes: reports, logs, attachments, curl lines.

One place, used by every writer. It removes two kinds of secret: the values the run knows
(registered from the target's credentials as soon as they are read) and anything shaped like
one (JWTs, ``vb_`` access keys, ``Authorization``/``Cookie`` header values, ``token``,
``accesskey`` and ``password`` fields or query parameters), so that a secret minted during the
run (a token returned by login, an access key returned by a create) is caught too.
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["MASK", "redact", "redact_text", "register_secret"]

MASK = "***"
_known: set[str] = set()
_lock = threading.Lock()

_PATTERNS = [
    # JWT: three base64url parts, the first one a JSON header ("eyJ")
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\bvb_[A-Za-z0-9]{8,}"),
]
_FIELD_VALUE = re.compile(
    r"""(?ix)
    (?P<pre>
        (?:authorization|cookie|set-cookie)[ \t]*[:=][ \t]*(?:bearer[ \t]+)?   # headers
      | (?<![A-Za-z0-9_])["']?(?:token|accesskey|access_key|password|jwt|secret)["']?[ \t]*[:=][ \t]*["']?   # fields, k=v
      | [?&](?:token|accesskey|password)=                                  # query strings
    )
    (?P<value>[^\s"'&;,}]+)
    """
)
_SHELL_VARIABLE = re.compile(r"^\$\{?[A-Z_][A-Z0-9_]*\}?$")
_SECRET_KEYS = {"token", "accesskey", "access_key", "password", "authorization", "cookie", "set-cookie",
                "jwt", "secret", "jwt_key", "other_password", "other_accesskey"}


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked wherever it appears later."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def redact_text(text: str) -> str:
    if not text:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return _FIELD_VALUE.sub(_mask_value, text)


def _mask_value(match: re.Match[str]) -> str:
    """Mask a field's value, but keep a ``$NAME`` shell variable: curl lines use them as placeholders."""
    value = match.group("value")
    return match.group(0) if _SHELL_VARIABLE.match(value) else match.group("pre") + MASK


def redact(value: Any) -> Any:
    """A copy of ``value`` (str, bytes, dict, list...) with every secret masked."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace")).encode()
    if isinstance(value, dict):
        return {k: (MASK if isinstance(k, str) and k.lower() in _SECRET_KEYS and isinstance(v, str) and v
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value
