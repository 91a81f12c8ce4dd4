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

from voipbin_harness.conventions.rules import R, Rule

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
    #: the broken rule (``conventions.rules``): its id is the check name, its quote the promise
    rule: ClassVar[Rule | None] = None
    checks: ClassVar[tuple[str, ...]] = ()
    kind_title: ClassVar[str] = "VoIPBIN convention broken"
    #: where the broken promise is written (spec, docs, BEHAVIOUR.md), quoted in findings
    promise: ClassVar[str] = ""
    default_severity: ClassVar[Severity] = Severity.MEDIUM

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A subclass names its rule once; its check name and promise quote are read from it."""
        super().__init_subclass__(**kwargs)
        if cls.rule is not None:
            cls.checks = (cls.rule.id,)
            cls.promise = cls.rule.quote()

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
    rule = R.ERROR_ENVELOPE
    kind_title = "Error answer breaks the VoIPBIN error envelope"


class RequestIdMismatch(ConventionFailure):
    code = "VB102"
    rule = R.REQUEST_ID_ECHO
    kind_title = "Request id not carried through"


class ListAnswerViolation(ConventionFailure):
    code = "VB103"
    rule = R.LIST_ANSWER_SHAPE
    kind_title = "List answer breaks the pagination convention"


class CreatedResourceViolation(ConventionFailure):
    code = "VB104"
    rule = R.CREATED_RESOURCE_IDENTITY
    kind_title = "Created resource lacks its server-set identity"
    default_severity = Severity.HIGH


class JsonContentTypeViolation(ConventionFailure):
    code = "VB105"
    rule = R.JSON_CONTENT_TYPE
    kind_title = "JSON answer without application/json"


class AuthenticationNotEnforced(ConventionFailure):
    code = "VB106"
    rule = R.AUTHENTICATION
    kind_title = "Request without credentials not refused with 401"
    default_severity = Severity.CRITICAL


class RateLimitAnswerViolation(ConventionFailure):
    code = "VB107"
    rule = R.RATE_LIMIT_ANSWER
    kind_title = "429 answer breaks the rate-limit convention"


class UndeclaredRateLimit(ConventionFailure):
    code = "VB108"
    rule = R.RATE_LIMIT_DECLARED
    kind_title = "Operation answers 429 but the spec does not declare it"
    default_severity = Severity.LOW


class CreatedResourceUnavailable(ConventionFailure):
    code = "VB301"
    rule = R.CREATED_RESOURCE_READABLE
    kind_title = "Created resource cannot be read back"
    default_severity = Severity.HIGH


class CreatedResourceNotListed(ConventionFailure):
    code = "VB302"
    rule = R.CREATED_RESOURCE_LISTED
    kind_title = "Created resource missing from the first page of its list"


class DeletedResourceServed(ConventionFailure):
    code = "VB303"
    rule = R.DELETED_RESOURCE_GONE
    kind_title = "Deleted resource still served as live"
    default_severity = Severity.HIGH
