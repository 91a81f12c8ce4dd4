"""One Schemathesis ``Failure`` per VoIPBIN rule the contracts suite checks.

Each carries the structured facts (``expected``, ``actual``, the ``X-Request-Id`` of the answer)
and a ``_unique_key`` that names *what* the defect is (a missing field, an undeclared status),
never a generated value, so Schemathesis de-duplicates repeats and the finding built from it keeps
one stable id from run to run. Messages are the two-line ``Expected: / Received:`` diff; reports
read the fields, never parse the message.
"""

from __future__ import annotations

from typing import ClassVar

from schemathesis.core.failures import Failure, Severity

__all__ = [
    "AuthenticationNotEnforced",
    "ConventionFailure",
    "CreatedResourceNotListed",
    "CreatedResourceUnavailable",
    "CreatedResourceViolation",
    "DeletedResourceServed",
    "ErrorEnvelopeViolation",
    "JsonContentTypeViolation",
    "ListAnswerViolation",
    "RateLimitAnswerViolation",
    "RequestIdMismatch",
    "UndeclaredRateLimit",
]


class ConventionFailure(Failure):
    """Base of every VoIPBIN rule failure: expected vs. actual, plus where the promise is written."""

    code: ClassVar[str] = "VB100"
    checks: ClassVar[tuple[str, ...]] = ()
    kind_title: ClassVar[str] = "VoIPBIN convention broken"
    #: where the broken promise is written (spec, docs, BEHAVIOUR.md), quoted in findings
    promise: ClassVar[str] = ""
    default_severity: ClassVar[Severity] = Severity.MEDIUM

    __slots__ = ("expected", "actual", "key", "request_id")

    def __init__(
        self,
        *,
        operation: str | None,
        expected: str,
        actual: str,
        key: str,
        request_id: str | None = None,
        title: str | None = None,
        case_id: str | None = None,
    ) -> None:
        message = f"Expected: {expected}\nReceived: {actual}"
        if request_id:
            message += f"\nX-Request-Id: {request_id}"
        super().__init__(operation=operation, title=title, message=message, case_id=case_id,
                         severity=self.default_severity)
        self.expected = expected
        self.actual = actual
        self.key = key
        self.request_id = request_id

    @property
    def check_name(self) -> str:
        return self.checks[0] if self.checks else type(self).__name__

    @property
    def _unique_key(self) -> str:
        return self.key


class ErrorEnvelopeViolation(ConventionFailure):
    code = "VB101"
    checks = ("error_envelope_shape",)
    kind_title = "Error answer breaks the VoIPBIN error envelope"
    promise = ("spec components.schemas.ErrorResponse; BEHAVIOUR.md 'Error envelope': error.status maps 1:1 "
               "to HTTP, message is human-readable")


class RequestIdMismatch(ConventionFailure):
    code = "VB102"
    checks = ("request_id_echo",)
    kind_title = "Request id not carried through"
    promise = ("BEHAVIOUR.md 'Error envelope': error.request_id equals the X-Request-Id header; a valid "
               "inbound X-Request-Id is echoed")


class ListAnswerViolation(ConventionFailure):
    code = "VB103"
    checks = ("list_answer_shape",)
    kind_title = "List answer breaks the pagination convention"
    promise = "BEHAVIOUR.md 'Pagination': {result: [...], next_page_token: string}, at most page_size items"


class CreatedResourceViolation(ConventionFailure):
    code = "VB104"
    checks = ("created_resource_identity",)
    kind_title = "Created resource lacks its server-set identity"
    promise = "BEHAVIOUR.md 'Resources': on create the server sets id (UUID) and customer_id (the caller's)"
    default_severity = Severity.HIGH


class JsonContentTypeViolation(ConventionFailure):
    code = "VB105"
    checks = ("json_content_type",)
    kind_title = "JSON answer without application/json"
    promise = "BEHAVIOUR.md 'Error envelope': Content-Type: application/json; charset=utf-8"


class AuthenticationNotEnforced(ConventionFailure):
    code = "VB106"
    checks = ("authentication_required",)
    kind_title = "Request without credentials not refused with 401"
    promise = ("spec: the operation declares 401; BEHAVIOUR.md 'Authentication': no credentials -> 401 "
               "UNAUTHENTICATED")
    default_severity = Severity.CRITICAL


class RateLimitAnswerViolation(ConventionFailure):
    code = "VB107"
    checks = ("rate_limit_answer",)
    kind_title = "429 answer breaks the rate-limit convention"
    promise = ("BEHAVIOUR.md 'Rate limiting': 429 with a whole-second Retry-After and a "
               "RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED envelope")


class UndeclaredRateLimit(ConventionFailure):
    code = "VB108"
    checks = ("rate_limit_declared",)
    kind_title = "Operation answers 429 but the spec does not declare it"
    promise = "BEHAVIOUR.md 'Rate limiting': any /v1.0 operation can be answered 429"
    default_severity = Severity.LOW


class CreatedResourceUnavailable(ConventionFailure):
    code = "VB301"
    checks = ("created_resource_readable",)
    kind_title = "Created resource cannot be read back"
    promise = "BEHAVIOUR.md 'Resources': collections keep what is created; GET /{collection}/{id} returns it"
    default_severity = Severity.HIGH


class CreatedResourceNotListed(ConventionFailure):
    code = "VB302"
    checks = ("created_resource_listed",)
    kind_title = "Created resource missing from the first page of its list"
    promise = "BEHAVIOUR.md 'Pagination': lists are newest first, so a fresh item is on the first page"


class DeletedResourceServed(ConventionFailure):
    code = "VB303"
    checks = ("deleted_resource_gone",)
    kind_title = "Deleted resource still served as live"
    promise = ("BEHAVIOUR.md 'Resources': a later GET gives 404 (409 for accesskeys, calls, outbound_configs; "
               "200 with tm_delete set for agents)")
    default_severity = Severity.HIGH
