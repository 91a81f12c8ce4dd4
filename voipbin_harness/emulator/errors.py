"""Every error the emulator sends goes through ``error_response``, built on ``conventions.envelope``.

Handlers raise ``ApiError(status, reason, message)``; the outermost layer turns it into the
envelope with ``request_id`` equal to the ``X-Request-Id`` header (stripe-mock's single
``createStripeError``), so the envelope cannot drift between code paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..conventions.envelope import CONTENT_TYPE, HTTP_FOR_STATUS, REQUEST_ID_HEADER, envelope, new_request_id
from ..conventions.envelope import status_for_http as _status_for_http
from .faults import Faults
from .server import Response

__all__ = ["JSON_HEADER", "ApiError", "Reply", "dumps", "error_response"]

JSON_HEADER = ("Content-Type", CONTENT_TYPE)


def dumps(value: Any) -> bytes:
    """JSON bytes for anything a client could have sent: orjson, else the stdlib for what orjson
    refuses (integers beyond 64 bits, lone surrogates), escaped to ASCII."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=True, default=str).encode("ascii")


class ApiError(Exception):
    """An answer other than success: ``status`` is an ``error.status`` (``Status.*``)."""

    def __init__(self, status: str, reason: str, message: str, *, details: list[dict[str, Any]] | None = None,
                 headers: Sequence[tuple[str, str]] = (), http_status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = list(headers)
        self.http_status = http_status or HTTP_FOR_STATUS[status]


@dataclass(slots=True)
class Reply:
    """A handler's success answer before serialisation: a JSON value, raw bytes, or no body (None)."""

    status: int
    body: Any = None
    content_type: str | None = CONTENT_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)
    raw: bool = False  # body is already bytes in ``content_type``
    verbatim: bool = False  # a fault answer: the conformant profile must not mend it


def error_response(error: ApiError, request_id: str, faults: Faults, http_status: int | None = None,
                   fit: Callable[[dict[str, Any]], Any] | None = None) -> Response:
    """The envelope for ``error`` answered with ``http_status`` (default: the error's own).

    When a profile answers another HTTP status than the error's (the conformant profile keeps to
    declared statuses), ``error.status`` follows the HTTP status so that the two still map 1:1.
    ``fit`` reshapes the envelope to the error schema the spec declares (conformant profile,
    ``conform.fit_error``); faults apply after it, so that no profile mends a fault.
    """
    http = http_status or error.http_status
    status = error.status if HTTP_FOR_STATUS.get(error.status) == http else _status_for_http(http)
    body = envelope(status, error.reason, error.message, request_id, error.details)
    if fit is not None:
        body = fit(body)
    inner = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    if faults.bad_envelope and isinstance(inner, dict):
        inner.pop("message", None)
    if faults.request_id_mismatch and isinstance(inner, dict):
        inner["request_id"] = new_request_id()
    headers = [JSON_HEADER, (REQUEST_ID_HEADER, request_id), *error.headers]
    return Response(http, dumps(body), headers)
