"""The VoIPBIN convention checks: one function per rule, in Schemathesis 4's check shape.

Each function is named by its rule's id (``conventions.rules``), the check name every suite uses.

Each registered check is ``check(ctx, response, case) -> bool | None``: ``None`` when the answer
keeps the rule, a raised ``contracts.failures`` class when it breaks it, and ``True`` (Schemathesis's
"skipped") when the rule does not apply to this answer; "does it apply?" is a guard decorator, not
an if-ladder, and the run counts each outcome (``contracts.tally``). Registered with ``@schemathesis.check``, they run beside the built-in checks on every
answer ``case.validate_response`` sees. Every expectation is read from
``voipbin_harness.conventions`` or the spec, never written here; where the gateway's code and the
public docs disagree (BEHAVIOUR.md), the docstring says which reading is enforced.

The three workflow rules at the end need two answers (a create and a later read), so they are
plain functions the CRUD workflows call, not registered checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

from voipbin_harness.conventions.envelope import (
    CONTENT_TYPE,
    HTTP_FOR_STATUS,
    REQUEST_ID_HEADER,
    Status,
    envelope_problems,
    inbound_request_id,
)
from voipbin_harness.conventions.pagination import (
    PAGE_SIZE_PARAM,
    InvalidPageSize,
    list_problems,
    page_size_limits,
    parse_page_size,
)
from voipbin_harness.conventions.ratelimit import rate_limit_problems
from voipbin_harness.conventions.resources import deleted_get_status, is_uuid, resource_of
from voipbin_harness.conventions.rules import R

from .answers import ERROR_SCHEMA_NAME as _ERROR_SCHEMA_NAME
from .answers import NOT_JSON as _NOT_JSON
from .answers import describe as _describe
from .answers import error_of as _error_of
from .answers import error_schema_validator as _error_schema_validator
from .answers import header as _header
from .answers import json_body as _json
from .answers import operation_of as _operation
from .answers import problem_key as _key
from .answers import request_header as _request_header
from .answers import request_query as _request_query
from .answers import spec_of as _spec
from .failures import (
    AuthenticationNotEnforced,
    CreatedResourceNotListed,
    CreatedResourceUnavailable,
    CreatedResourceViolation,
    DeletedResourceServed,
    ErrorEnvelopeViolation,
    JsonContentTypeViolation,
    ListAnswerViolation,
    RateLimitAnswerViolation,
    RequestIdMismatch,
    UndeclaredRateLimit,
)
from .identity import callers, request_credential
from .tally import applies_when as _applies_when

__all__ = [
    "CONVENTION_CHECKS",
    "PROBE_CHECKS",
    "WORKFLOW_RULES",
    "authentication",
    "created_resource_identity",
    "created_resource_listed",
    "created_resource_readable",
    "declares_rate_limit",
    "deleted_resource_gone",
    "error_envelope",
    "json_content_type",
    "list_answer_shape",
    "rate_limit_answer",
    "rate_limit_declared",
    "request_id_echo",
]

CheckFn = Callable[[CheckContext, Response, Case], "bool | None"]
_JSON_MEDIA_TYPE = CONTENT_TYPE.split(";")[0].strip()
_UNAUTHENTICATED_HTTP = HTTP_FOR_STATUS[Status.UNAUTHENTICATED]
_RATE_LIMITED_HTTP = HTTP_FOR_STATUS[Status.RESOURCE_EXHAUSTED]
_NOT_FOUND_HTTP = HTTP_FOR_STATUS[Status.NOT_FOUND]


# -- guards: when a rule applies (a skip is counted, contracts.tally) ---------------------------
def _is_error(response: Response, case: Case) -> bool:
    return response.status_code >= 400


def _is_success(response: Response, case: Case) -> bool:
    return 200 <= response.status_code < 300


def _declares_list_object(response: Response, case: Case) -> bool:
    """The spec's answer for this list is an object (the paged envelope), not a bare array: where the
    spec itself declares an array (``GET /speakings``), conformance to it is the schema check's job."""
    operation = _operation(case)
    schema = _spec(case).resolve(operation.responses.get(str(response.status_code))) if operation else None
    return not (isinstance(schema, dict) and schema.get("type") == "array")


def _role_is(role: str) -> Callable[[Response, Case], bool]:
    def predicate(response: Response, case: Case) -> bool:
        operation = _operation(case)
        return (_is_success(response, case) and operation is not None and operation.role == role
                and case.method.upper() == operation.method)

    return predicate


def _is_rate_limited(response: Response, case: Case) -> bool:
    return response.status_code == _RATE_LIMITED_HTTP


def _without_credentials(response: Response, case: Case) -> bool:
    return request_credential(response.request) is None


def _has_json_body(response: Response, case: Case) -> bool:
    return isinstance(_json(response), (dict, list))


def _declares_401(response: Response, case: Case) -> bool:
    """The spec makes the operation private: it declares 401 (it states no security scheme, so an
    operation whose responses omit 401 is public)."""
    operation = _operation(case)
    return operation is not None and str(_UNAUTHENTICATED_HTTP) in operation.declared_statuses


def _in_spec(response: Response, case: Case) -> bool:
    return _operation(case) is not None


def _describes_a_resource(response: Response, case: Case) -> bool:
    """The create answer holds a resource (the spec describes one: an ``id`` or items with one)."""
    return bool(_created_objects(_json(response), _declared_properties(case, response.status_code)))


# -- the registered checks ----------------------------------------------------------------------
@schemathesis.check
@_applies_when(_is_error)
def error_envelope(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every error answer is the spec's ErrorResponse: {error: {status, reason, message, request_id}},
    error.status maps 1:1 to the HTTP code, message non-empty (code and spec agree; the docs' flat
    {"error": code, "message"} shape is not accepted)."""
    body = _json(response)
    problems: dict[str, str] = {}
    if body is _NOT_JSON:
        problems["not-json"] = f"not a JSON body: {_describe(response)}"
    else:
        validator = _error_schema_validator(case)
        for error in (validator.iter_errors(body) if validator else ()):
            path = "/".join(str(p) for p in error.schema_path)
            problems[f"schema:{path}"] = f"{_ERROR_SCHEMA_NAME}: {error.message}"[:200]
        for text in envelope_problems(body, response.status_code):
            problems.setdefault(_key(text), text)
    if not problems:
        return None
    statuses = sorted(s for s, code in HTTP_FOR_STATUS.items() if code == response.status_code)
    raise ErrorEnvelopeViolation(
        operation=case.operation.label,
        expected=(f"an {_ERROR_SCHEMA_NAME} {{error: {{status, reason, message, request_id}}}} whose error.status "
                  f"is {' or '.join(statuses) or 'a status mapped to this HTTP code'} (HTTP {response.status_code})"),
        actual="; ".join(problems.values()),
        key=" | ".join(sorted(problems)),
        request_id=_header(response, REQUEST_ID_HEADER),
    )


@schemathesis.check
@_applies_when(_is_error)
def request_id_echo(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """An error answer carries an X-Request-Id header equal to error.request_id, and echoes a valid
    inbound X-Request-Id (<=64 of [A-Za-z0-9_-])."""
    header = _header(response, REQUEST_ID_HEADER)
    in_body = _error_of(_json(response)).get("request_id")
    sent = inbound_request_id(_request_header(response, REQUEST_ID_HEADER))
    expected = f"an {REQUEST_ID_HEADER} header equal to error.request_id"
    if header is None:
        raise RequestIdMismatch(operation=case.operation.label, expected=expected,
                                actual=f"no {REQUEST_ID_HEADER} header", key="header-missing")
    if isinstance(in_body, str) and in_body != header:
        raise RequestIdMismatch(operation=case.operation.label, expected=expected,
                                actual=f"error.request_id {in_body!r}, header {header!r}", key="body-differs",
                                request_id=header)
    if sent is not None and header != sent:
        raise RequestIdMismatch(operation=case.operation.label,
                                expected=f"the inbound {REQUEST_ID_HEADER} {sent!r} echoed",
                                actual=f"{REQUEST_ID_HEADER} {header!r}", key="inbound-not-echoed", request_id=header)
    return None


@schemathesis.check
@_applies_when(_role_is("list"))
@_applies_when(_declares_list_object)
def list_answer_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A successful list answer is {result: [...], next_page_token: string} with at most the effective
    page_size items (default and cap from conventions.pagination; whether the last page carries a
    token is where gateway and docs disagree, so it is not judged here)."""
    operation = _operation(case)
    assert operation is not None  # the guard saw it
    default, cap = page_size_limits(resource_of(operation.path))
    raw = (_request_query(response).get(PAGE_SIZE_PARAM) or [None])[0]
    try:
        page_size: int | None = parse_page_size(raw, default=default, cap=cap)
    except InvalidPageSize:
        page_size = None
    body = _json(response)
    problems = list_problems(None if body is _NOT_JSON else body, page_size=page_size)
    if not problems:
        return None
    raise ListAnswerViolation(
        operation=case.operation.label,
        expected=f"{{result: [at most {page_size if page_size is not None else 'page_size'} items], "
                 f"next_page_token: string}}",
        actual="; ".join(problems),
        key=" | ".join(sorted(_key(re.sub(r"\d+", "N", p)) for p in problems)),
        request_id=_header(response, REQUEST_ID_HEADER),
    )


def _declared_properties(case: Case, status: int) -> set[str]:
    operation = _operation(case)
    if operation is None:
        return set()
    schema = _spec(case).resolve(operation.responses.get(str(status)))
    return set((schema or {}).get("properties") or {}) if isinstance(schema, dict) else set()


def _created_objects(body: Any, declared: set[str]) -> list[dict[str, Any]]:
    """The resources a create answer holds: the body itself, or the items of its top-level arrays
    (``POST /calls`` answers ``{"calls": [...], "groupcalls": [...]}``)."""
    if not isinstance(body, dict):
        return []
    if "id" in body or "id" in declared:
        return [body]
    return [item for value in body.values() if isinstance(value, list)
            for item in value if isinstance(item, dict) and "id" in item]


@schemathesis.check
@_applies_when(_role_is("create"))
@_applies_when(_describes_a_resource)
def created_resource_identity(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A created resource has a server-set UUID ``id`` and, where it has one, the caller's ``customer_id``."""
    declared = _declared_properties(case, response.status_code)
    objects = _created_objects(_json(response), declared)
    caller = callers.customer_of(response.request)
    problems: dict[str, str] = {}
    for item in objects:
        if not is_uuid(item.get("id")):
            problems["id-not-uuid" if "id" in item else "id-missing"] = f"id {item.get('id')!r}"
        if "customer_id" in item or "customer_id" in declared:
            owner = item.get("customer_id")
            if not isinstance(owner, str) or not owner:
                problems["customer_id-missing"] = f"customer_id {owner!r}"
            elif caller is not None and owner != caller:
                problems["customer_id-not-caller"] = f"customer_id {owner!r}, caller's {caller!r}"
    if not problems:
        return None
    raise CreatedResourceViolation(
        operation=case.operation.label,
        expected="id: a UUID set by the server; customer_id: the caller's customer"
                 + (f" ({caller})" if caller else ""),
        actual="; ".join(problems.values()),
        key=" | ".join(sorted(problems)),
        request_id=_header(response, REQUEST_ID_HEADER),
    )


@schemathesis.check
@_applies_when(_has_json_body)
def json_content_type(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A JSON answer says so: its Content-Type media type is application/json (charset optional)."""
    content_type = _header(response, "content-type")
    media = (content_type or "").split(";")[0].strip().lower()
    if media == _JSON_MEDIA_TYPE:
        return None
    raise JsonContentTypeViolation(
        operation=case.operation.label,
        expected=f"Content-Type {CONTENT_TYPE} (media type {_JSON_MEDIA_TYPE})",
        actual=f"Content-Type {content_type!r} on a JSON body" if content_type else "no Content-Type on a JSON body",
        key=media or "missing",
        request_id=_header(response, REQUEST_ID_HEADER),
    )


@schemathesis.check
@_applies_when(_without_credentials)
@_applies_when(_declares_401)
def authentication(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A request without credentials is refused with 401 UNAUTHENTICATED. Operations whose responses
    omit 401 are public in the spec (its only way to say so: it declares no security scheme) and are
    not judged."""
    status_field = _error_of(_json(response)).get("status")
    expected = f"HTTP {_UNAUTHENTICATED_HTTP} {Status.UNAUTHENTICATED} for a request without credentials"
    if response.status_code != _UNAUTHENTICATED_HTTP:
        raise AuthenticationNotEnforced(operation=case.operation.label, expected=expected,
                                        actual=_describe(response), key=f"HTTP {response.status_code}",
                                        request_id=_header(response, REQUEST_ID_HEADER))
    if status_field is not None and status_field != Status.UNAUTHENTICATED:
        raise AuthenticationNotEnforced(operation=case.operation.label, expected=expected,
                                        actual=f"HTTP {response.status_code} with error.status {status_field!r}",
                                        key=f"status {status_field}", request_id=_header(response, REQUEST_ID_HEADER))
    return None


@schemathesis.check
@_applies_when(_is_rate_limited)
def rate_limit_answer(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 429 carries a whole-second Retry-After and a RESOURCE_EXHAUSTED / RATE_LIMIT_EXCEEDED
    envelope (the envelope's shape itself is ``error_envelope``'s rule)."""
    headers = {name: values[0] for name, values in response.headers.items() if values}
    body = _json(response)
    body = None if body is _NOT_JSON else body
    shape = set(envelope_problems(body, response.status_code, headers))
    problems = [p for p in rate_limit_problems(response.status_code, headers, body) if p not in shape]
    if not problems:
        return None
    raise RateLimitAnswerViolation(
        operation=case.operation.label,
        expected=f"Retry-After: <whole seconds>; error.status {Status.RESOURCE_EXHAUSTED}",
        actual="; ".join(problems),
        key=" | ".join(sorted(_key(p) for p in problems)),
        request_id=_header(response, REQUEST_ID_HEADER),
    )


def declares_rate_limit(operation: Any) -> bool:
    """Whether the spec lets ``operation`` answer 429 (declared, or covered by ``4XX``/``default``)."""
    declared = {s.upper() for s in operation.declared_statuses}
    return bool({str(_RATE_LIMITED_HTTP), "4XX", "DEFAULT"} & declared)


@schemathesis.check
@_applies_when(_is_rate_limited)
@_applies_when(_in_spec)
def rate_limit_declared(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """An operation that can answer 429 declares it (any /v1.0 operation can be rate limited)."""
    operation = _operation(case)
    assert operation is not None  # the guard saw it
    if declares_rate_limit(operation):
        return None
    declared = {s.upper() for s in operation.declared_statuses}
    raise UndeclaredRateLimit(
        operation=case.operation.label,
        expected=f"{_RATE_LIMITED_HTTP} among the declared statuses ({', '.join(sorted(declared))})",
        actual=f"HTTP {_RATE_LIMITED_HTTP}, which the spec does not declare for this operation",
        key=str(_RATE_LIMITED_HTTP),
        request_id=_header(response, REQUEST_ID_HEADER),
    )


#: Every registered VoIPBIN check, in the order reports list them.
CONVENTION_CHECKS: tuple[CheckFn, ...] = (
    error_envelope, request_id_echo, list_answer_shape, created_resource_identity,
    json_content_type, authentication, rate_limit_answer, rate_limit_declared,
)
#: What an unauthenticated probe's answer is held to (the built-in checks would judge the 401
#: against the authenticated contract, e.g. as an undeclared status, which is not the probe's point).
PROBE_CHECKS: tuple[CheckFn, ...] = (authentication, error_envelope, request_id_echo,
                                     json_content_type)
#: The rules a CRUD workflow holds its answers to (two answers each, so not registered checks).
WORKFLOW_RULES: tuple[str, ...] = (R.CREATED_RESOURCE_READABLE.id, R.CREATED_RESOURCE_LISTED.id,
                                   R.DELETED_RESOURCE_GONE.id)


# -- workflow rules (two answers each; called by contracts.workflows) ---------------------------
def created_resource_readable(response: Response, case: Case, *, created_id: str) -> bool | None:
    """GET of a resource just created answers 2xx with that resource (same id)."""
    body = _json(response)
    got_id = body.get("id") if isinstance(body, dict) else None
    if 200 <= response.status_code < 300 and got_id == created_id:
        return None
    raise CreatedResourceUnavailable(
        operation=case.operation.label, expected=f"2xx with id {created_id}",
        actual=_describe(response) if got_id is None else f"HTTP {response.status_code} with id {got_id!r}",
        key=f"HTTP {response.status_code}" if not 200 <= response.status_code < 300 else "other-id",
        request_id=_header(response, REQUEST_ID_HEADER))


@_applies_when(_is_success)
def created_resource_listed(response: Response, case: Case, *, created_id: str) -> bool | None:
    """A successful list answer right after a create holds the new resource on its first page (newest
    first); a refused list is the other checks' business."""
    body = _json(response)
    result = body if isinstance(body, list) else body.get("result") if isinstance(body, dict) else None
    ids = [item.get("id") for item in result if isinstance(item, dict)] if isinstance(result, list) else []
    if created_id in ids:
        return None
    raise CreatedResourceNotListed(
        operation=case.operation.label, expected=f"id {created_id} among the first page's result",
        actual=f"HTTP {response.status_code}, {len(ids)} items without it", key="missing",
        request_id=_header(response, REQUEST_ID_HEADER))


def deleted_resource_gone(response: Response, case: Case) -> bool | None:
    """After a successful DELETE, GET of the resource answers 404 (docs, spec) or the gateway's
    per-resource status (conventions.resources.DELETED_GET_STATUS); a 2xx is accepted only where
    the gateway keeps serving deleted items and it shows them deleted (tm_delete set)."""
    operation = _operation(case)
    resource = resource_of(operation.path if operation else case.operation.path)
    allowed = {_NOT_FOUND_HTTP, deleted_get_status(resource)}
    status = response.status_code
    body = _json(response)
    if status in allowed and not (200 <= status < 300 and not (isinstance(body, dict) and body.get("tm_delete"))):
        return None
    raise DeletedResourceServed(
        operation=case.operation.label,
        expected=" or ".join(f"HTTP {s}" + (" with tm_delete set" if 200 <= s < 300 else "") for s in sorted(allowed)),
        actual=_describe(response), key=f"HTTP {status}", request_id=_header(response, REQUEST_ID_HEADER))
