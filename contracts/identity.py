"""Who sent a request: the credential it carried and the customer that credential acts for.

Checks have Schemathesis's fixed signature ``(ctx, response, case)``, so whatever they need to know
about the caller must be readable from the request itself. A JWT says it (its ``agent`` claim holds
``customer_id``); an access key does not, so the run registers the customer of each access key it
uses here before sending anything, and clears the directory when it ends.
"""

from __future__ import annotations

import functools
import threading
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from voipbin_harness.conventions.auth import Credential, find_credential, unverified_agent

__all__ = ["CallerDirectory", "callers", "request_credential"]


def request_credential(request: Any) -> Credential | None:
    """The credential the gateway would read from ``request`` (a ``requests.PreparedRequest``)."""
    headers = {str(k).lower(): str(v) for k, v in (getattr(request, "headers", None) or {}).items()}
    if "authorization" in headers and "cookie" not in headers and "token=" not in str(request.url):
        return find_credential({}, {}, headers)  # the common case, without parsing the URL
    query = parse_qs(urlsplit(str(getattr(request, "url", "") or "")).query, keep_blank_values=True)
    jar: SimpleCookie = SimpleCookie()
    if "cookie" in headers:
        try:
            jar.load(headers["cookie"])
        except Exception:  # a malformed Cookie header carries no credential we can read
            jar = SimpleCookie()
    cookies = {name: morsel.value for name, morsel in jar.items()}
    return find_credential(cookies, query, headers)


@functools.lru_cache(maxsize=64)
def _customer_in_token(token: str) -> str | None:
    agent = unverified_agent(token)
    customer = agent.get("customer_id") if agent else None
    return customer if isinstance(customer, str) else None


class CallerDirectory:
    """Customer ids of the access keys the run authenticates with (JWTs carry their own)."""

    def __init__(self) -> None:
        self._customers: dict[str, str] = {}
        self._lock = threading.Lock()

    def register(self, accesskey: str, customer_id: str) -> None:
        with self._lock:
            self._customers[accesskey] = customer_id

    def clear(self) -> None:
        with self._lock:
            self._customers.clear()

    def customer_of(self, request: Any) -> str | None:
        """The customer the request acts for, or None when the harness cannot tell."""
        credential = request_credential(request)
        if credential is None or not credential.value:
            return None
        if credential.kind == "jwt":
            return _customer_in_token(credential.value)
        with self._lock:
            return self._customers.get(credential.value)


#: The run's directory; ``contracts.runner`` fills it at start and clears it at the end.
callers = CallerDirectory()
