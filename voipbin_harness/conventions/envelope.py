"""The VoIPBIN error envelope: what every ``/v1.0`` error answer looks like.

Source: ``BEHAVIOUR.md`` (gateway code) and the spec's ``ErrorResponse``. The public docs
describe a flat ``{"error": "code", "message": "..."}`` that no gateway emits; the harness
enforces the nested shape (code and spec agree on it) and says so in its findings.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONTENT_TYPE",
    "HTTP_FOR_STATUS",
    "REQUEST_ID_HEADER",
    "Reason",
    "Status",
    "envelope",
    "envelope_problems",
    "inbound_request_id",
    "new_request_id",
    "status_for_http",
]

CONTENT_TYPE = "application/json; charset=utf-8"
REQUEST_ID_HEADER = "X-Request-Id"


class Status:
    """``error.status`` values (gRPC-style codes)."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    INTERNAL = "INTERNAL"
    UNAVAILABLE = "UNAVAILABLE"


class Reason:
    """``error.reason`` values the gateway is known to send."""

    AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    ACCOUNT_FROZEN = "ACCOUNT_FROZEN"
    INVALID_JSON_BODY = "INVALID_JSON_BODY"
    INVALID_ID = "INVALID_ID"
    INVALID_REQUEST_PARAMETER = "INVALID_REQUEST_PARAMETER"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"  # conformant emulator only: the gateway never sends 405
    INVALID_REQUEST_BODY = "INVALID_REQUEST_BODY"  # conformant emulator only: a JSON body the spec's schema refuses
    WEBSOCKET_UPGRADE_REQUIRED = "WEBSOCKET_UPGRADE_REQUIRED"  # a WebSocket endpoint asked over plain HTTP
    NOT_FOUND = "NOT_FOUND"
    RESOURCE_DELETED = "RESOURCE_DELETED"
    ALREADY_EXISTS = "ALREADY_EXISTS"  # a unique field (an agent username) is taken
    RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


#: ``error.status`` maps 1:1 to the HTTP status (two statuses share 409).
HTTP_FOR_STATUS: dict[str, int] = {
    Status.INVALID_ARGUMENT: 400,
    Status.UNAUTHENTICATED: 401,
    Status.PAYMENT_REQUIRED: 402,
    Status.PERMISSION_DENIED: 403,
    Status.NOT_FOUND: 404,
    Status.ALREADY_EXISTS: 409,
    Status.FAILED_PRECONDITION: 409,
    Status.RESOURCE_EXHAUSTED: 429,
    Status.INTERNAL: 500,
    Status.UNAVAILABLE: 503,
}

_DEFAULT_STATUS_FOR_HTTP: dict[int, str] = {
    400: Status.INVALID_ARGUMENT,
    401: Status.UNAUTHENTICATED,
    402: Status.PAYMENT_REQUIRED,
    403: Status.PERMISSION_DENIED,
    404: Status.NOT_FOUND,
    405: Status.NOT_FOUND,  # nothing in the map fits 405; the conformant emulator uses NOT_FOUND's family
    409: Status.FAILED_PRECONDITION,
    429: Status.RESOURCE_EXHAUSTED,
    500: Status.INTERNAL,
    503: Status.UNAVAILABLE,
}

_INBOUND_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def status_for_http(http_status: int) -> str:
    """The ``error.status`` that goes with an HTTP status (the canonical one where two share it)."""
    return _DEFAULT_STATUS_FOR_HTTP.get(http_status, Status.INTERNAL)


def new_request_id() -> str:
    """A fresh ``req_...`` id, as the gateway mints when the client sends none."""
    return "req_" + secrets.token_hex(12)


def inbound_request_id(value: str | None) -> str | None:
    """The client's ``X-Request-Id`` when the gateway would echo it (<=64 of ``[A-Za-z0-9_-]``)."""
    if value and _INBOUND_ID.match(value):
        return value
    return None


def envelope(
    status: str,
    reason: str,
    message: str,
    request_id: str,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The error body; ``details`` appears only when non-empty, as in the gateway."""
    error: dict[str, Any] = {"status": status, "reason": reason, "message": message, "request_id": request_id}
    if details:
        error["details"] = details
    return {"error": error}


def envelope_problems(
    body: Any,
    http_status: int,
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Every way ``body`` breaks the envelope convention for an answer with ``http_status``.

    Empty means the answer keeps it. ``headers`` (case-insensitive mapping expected) adds the
    ``request_id`` == ``X-Request-Id`` rule.
    """
    problems: list[str] = []
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return ['body is not an error envelope {"error": {...}}']
    error = body["error"]
    status = error.get("status")
    if not isinstance(status, str) or status not in HTTP_FOR_STATUS:
        problems.append(f"error.status {status!r} is not a known status")
    elif HTTP_FOR_STATUS[status] != http_status and not _stands_in_for(status, http_status):
        problems.append(
            f"error.status {status} means HTTP {HTTP_FOR_STATUS[status]}, but the answer is HTTP {http_status}"
        )
    reason = error.get("reason")
    if not isinstance(reason, str) or not reason:
        problems.append("error.reason is missing or empty")
    message = error.get("message")
    if not isinstance(message, str) or not message.strip():
        problems.append("error.message is missing or empty (the docs promise a human-readable message)")
    request_id = error.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        problems.append("error.request_id is missing or empty")
    elif headers is not None:
        header = _header(headers, REQUEST_ID_HEADER)
        if header is None:
            problems.append(f"the {REQUEST_ID_HEADER} header is missing")
        elif header != request_id:
            problems.append(f"error.request_id {request_id!r} differs from {REQUEST_ID_HEADER} {header!r}")
    if "details" in error and not isinstance(error["details"], list):
        problems.append("error.details is not an array")
    return problems


def _stands_in_for(status: str, http_status: int) -> bool:
    """Whether ``status`` is the one named for an HTTP code the 1:1 map has no status for (405: the
    spec's status enum has none, so ``status_for_http`` names the nearest one)."""
    return http_status not in HTTP_FOR_STATUS.values() and status == status_for_http(http_status)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value
