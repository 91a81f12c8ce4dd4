"""Which HTTP statuses the real gateway sends for an operation, and why.

Derived from ``BEHAVIOUR.md`` for any operation of the spec, from its shape alone (method, path,
body, pagination), so that the spec linter can list the statuses the API sends but the spec does
not declare, and reports can explain an undeclared status with its documented cause.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .resources import (
    INSUFFICIENT_BALANCE_OPERATIONS,
    NOT_FOUND_FOR_OTHER_CUSTOMER,
    create_status,
    deleted_get_status,
    resource_of,
)

if TYPE_CHECKING:
    from ..spec.model import Operation

__all__ = ["AUTH_STUB_PREFIX", "gateway_statuses", "spec_fallback_status"]

#: The spec's ``/auth/*`` operations are stubs under ``/v1.0``: 404 ROUTE_NOT_FOUND after auth.
AUTH_STUB_PREFIX = "/auth/"


def gateway_statuses(op: Operation) -> dict[str, str]:
    """``{status: cause}`` for every status the gateway is known to send for ``op``."""
    statuses: dict[str, str] = {}

    def add(status: int | str, cause: str) -> None:
        key = str(status)
        statuses[key] = f"{statuses[key]}; {cause}" if key in statuses else cause

    add(401, "missing, invalid or expired credentials (every /v1.0 operation)")
    add(429, "rate limit, per IP or per customer (any /v1.0 operation)")
    if op.path.startswith(AUTH_STUB_PREFIX):
        add(404, "the /v1.0/auth/* operations are stubs answering ROUTE_NOT_FOUND")
        return statuses
    if op.path_params:
        add(400, "malformed or nil UUID in the path")
        resource = resource_of(op.path)
        if resource in NOT_FOUND_FOR_OTHER_CUSTOMER:
            add(404, "missing resource, or another customer's")
        else:
            add(403, "another customer's resource")
            add(404, "missing resource")
    if op.method in ("POST", "PUT") and op.request_schema is not None:
        add(400, "malformed JSON body")
    if op.is_paginated:
        add(400, "page_size is not an integer")
    if op.role == "create":
        add(create_status(resource_of(op.path)), "create answers with this status")
    if op.role == "read":
        after_delete = deleted_get_status(resource_of(op.path))
        if after_delete not in (200, 404):
            add(after_delete, "GET of a deleted resource")
    if (op.method, op.path) in INSUFFICIENT_BALANCE_OPERATIONS:
        add(500, "insufficient balance (the docs promise 402)")
    return statuses


#: When the spec does not declare the natural status of an error for an operation, a server that
#: keeps to declared statuses answers the first of these that the operation declares. A refusal
#: about a resource or a permission (403, 404, 409) never becomes a 400, which would call valid
#: input invalid (Schemathesis' positive_data_acceptance rejects that); 400 comes last for them.
#: 401, 405 and 429 are never replaced: authentication, routing and rate limiting come before the
#: operation. The conformant emulator answers this way; the scenarios accept it beside the
#: documented status.
_FALLBACKS: dict[int, tuple[int, ...]] = {
    400: (404, 403, 401),
    402: (400,),
    403: (404, 401, 400),
    404: (403, 401, 400),
    409: (404, 403, 401, 400),
}
_NEVER_REPLACED = frozenset({401, 405, 429})


def spec_fallback_status(natural: int, declared: Iterable[int]) -> int:
    """The status a declared-statuses-only server answers for ``natural`` on an operation that
    declares ``declared`` (``natural`` itself when declared, or when no fallback applies)."""
    codes = tuple(declared)
    if not codes or natural in codes or natural in _NEVER_REPLACED:
        return natural
    if natural < 400:
        same = [code for code in codes if code // 100 == natural // 100]
        lower = [code for code in codes if code < 400]
        return (same or lower or [natural])[0]
    return next((code for code in _FALLBACKS.get(natural, (400, 404, 403, 401)) if code in codes), natural)
