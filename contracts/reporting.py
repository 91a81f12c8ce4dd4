"""From a Schemathesis ``Failure`` (ours or a built-in one) to the harness's ``Finding``, and the
evidence that goes with it: a curl line without secrets and the redacted exchange for allure.

The finding's key is what the defect *is* (the undeclared status, the schema keyword broken, the
envelope problem), so the same defect has the same id in every run, whatever data met it.
"""

from __future__ import annotations

import json
from collections.abc import Container
from typing import Any
from urllib.parse import parse_qs, urlsplit

from schemathesis import Case, Response
from schemathesis.core.failures import AcceptedNegativeData, CustomFailure, Failure, ServerError
from schemathesis.core.jsonschema.bundler import unbundle_path
from schemathesis.openapi.checks import (
    JsonSchemaError,
    MissingContentType,
    RejectedPositiveData,
    UndefinedContentType,
    UndefinedStatusCode,
    UnsupportedMethodResponse,
)

from voipbin_harness.findings import Finding, finding_id
from voipbin_harness.redact import redact_text
from voipbin_harness.replay import request_form

from .failures import ConventionFailure, UndeclaredRateLimit

__all__ = ["SPEC_OPERATION", "UNDECLARED_429_KEY", "attach_exchange", "check_name", "finding_from_failure",
           "reproduce", "request_of", "undeclared_rate_limit_finding"]

SUITE = "contracts"
_TOKEN_VAR = "$VOIPBIN_TOKEN"
_ACCESSKEY_VAR = "$VOIPBIN_ACCESSKEY"
_MAX_TEXT = 4000
#: The operation of a finding that is a defect of the spec as a whole, not of one operation.
SPEC_OPERATION = "(spec)"
UNDECLARED_429_KEY = "undeclared-429"


def check_name(failure: Failure) -> str:
    """The check that raised ``failure`` (Schemathesis's own name for built-ins)."""
    if isinstance(failure, ConventionFailure):
        return failure.check_name
    if isinstance(failure, CustomFailure):
        return failure.title
    return failure.checks[0] if failure.checks else type(failure).__name__


def _first_line(text: str, limit: int = 300) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:limit]


def _facts(failure: Failure, response: Response) -> tuple[str, str, str, str]:
    """(key, expected, got, promise) for a failure."""
    status = response.status_code
    if isinstance(failure, ConventionFailure):
        return failure.key, failure.expected, failure.actual, failure.promise
    if isinstance(failure, UndefinedStatusCode):
        return (str(failure.status_code), f"one of the declared statuses {', '.join(failure.defined_status_codes)}",
                f"HTTP {failure.status_code}", "spec: the operation's declared responses")
    if isinstance(failure, JsonSchemaError):
        path = "/".join(str(p) for p in _readable_schema_path(failure))
        return (f"{status}:{path}", f"the HTTP {status} body matches the response schema at {path or '/'}",
                _first_line(failure.validation_message or failure.message), "spec: the response schema")
    if isinstance(failure, ServerError):
        return (str(failure.status_code), "no 5xx answer to any input",
                f"HTTP {failure.status_code}", "issue 2 / spec: no input produces a 5xx")
    if isinstance(failure, AcceptedNegativeData):
        return (str(failure.status_code), f"a refusal ({', '.join(failure.expected_statuses)}) of schema-violating input",
                f"HTTP {failure.status_code}: {_first_line(failure.message)}",
                "spec: the request schema (input it forbids is refused)")
    if isinstance(failure, RejectedPositiveData):
        return (str(failure.status_code), f"schema-valid input accepted ({', '.join(failure.allowed_statuses)})",
                f"HTTP {failure.status_code}: {_first_line(failure.message)}",
                "spec: the request schema (input it allows is accepted)")
    if isinstance(failure, UnsupportedMethodResponse):
        return (f"{failure.failure_reason} HTTP {failure.status_code}",
                "405 Method Not Allowed with an Allow header for a method the path does not declare",
                f"HTTP {failure.status_code} to {failure.method}", "RFC 9110 15.5.6; spec: the path's declared methods")
    if isinstance(failure, UndefinedContentType):
        return (failure.content_type, f"a declared media type ({', '.join(failure.defined_content_types)})",
                f"Content-Type {failure.content_type}", "spec: the response's declared media types")
    if isinstance(failure, MissingContentType):
        return ("missing", f"a Content-Type header ({', '.join(failure.media_types)})", "no Content-Type",
                "spec: the response's declared media types")
    key = failure._unique_key or failure.title
    return key, failure.title, _first_line(failure.message) or failure.title, "spec"


def _readable_schema_path(failure: JsonSchemaError) -> list[Any]:
    """The schema path with Schemathesis's bundled names mapped back to the spec's ``$ref``s."""
    mapping = getattr(failure, "_name_to_uri", None)
    if not mapping:
        return list(failure.schema_path)
    return list(unbundle_path(list(failure.schema_path), mapping))


def reproduce(case: Case, base_url: str, auth_kind: str | None) -> str:
    """A curl line for ``case`` with the credential as an environment variable, never its value."""
    command = case.as_curl_command(base_url=base_url).split("\n\n")[0]
    if auth_kind == "bearer":
        command += f' -H "Authorization: Bearer {_TOKEN_VAR}"'
    elif auth_kind == "accesskey":
        command += f' --url-query "accesskey={_ACCESSKEY_VAR}"'
    return redact_text(command)


def finding_from_failure(failure: Failure, case: Case, response: Response, *, base_url: str,
                         auth_kind: str | None, known: Container[str] = ()) -> Finding:
    """The harness finding for ``failure``, met by ``case`` with ``response``. When its id is in
    ``known`` (a repeat), the curl line is not rendered: only the occurrence counts."""
    key, expected, got, promise = _facts(failure, response)
    check, operation = check_name(failure), failure.operation or case.operation.label
    repeat = finding_id(check, operation, key) in known
    return Finding(
        check=check,
        operation=operation,
        message=failure.title,
        expected=expected,
        got=got,
        suite=SUITE,
        key=key,
        reproduce="" if repeat else reproduce(case, base_url, auth_kind),
        severity=str(failure.severity.value),
        promise=promise,
        request=None if repeat else request_of(case, base_url, auth_kind, response),
    )


def request_of(case: Case, base_url: str, auth_kind: str | None, response: Response | None = None) -> dict[str, Any]:
    """``Finding.request`` for ``case``: what was sent (the answer's request, or the case when none came back),
    the run's credential as its role (the primary customer's, by ``auth_kind``), the case's path parameters
    and whether it was generated to break the schema, so that ``voipbin-harness replay`` rebuilds the case."""
    base_path = urlsplit(base_url).path.rstrip("/")
    if response is not None:
        sent = urlsplit(response.request.url or "")
        path = sent.path
        query: dict[str, Any] = {k: v[0] if len(v) == 1 else v
                                 for k, v in parse_qs(sent.query, keep_blank_values=True).items()}
        headers = dict(response.request.headers or {})
        body = response.request.body
    else:
        path, query = base_path + case.formatted_path, dict(case.query or {})
        headers = {k: str(v) for k, v in (case.headers or {}).items()}
        raw = getattr(case, "body", None)
        body = json.dumps(raw) if isinstance(raw, (dict, list, str, int, float, bool)) else None
    by_key = auth_kind == "accesskey"
    credentials = [] if auth_kind is None else [{"in": "query" if by_key else "header", "role": "primary",
                                                 "name": "accesskey" if by_key else "Authorization",
                                                 "kind": "accesskey" if by_key else "jwt"}]
    query.pop("accesskey", None)
    headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    meta = case.meta
    negative = meta is not None and (meta.generation.mode.is_negative
                                     or any(c.mode.is_negative for c in meta.components.values()))
    return request_form(method=case.method, path=path, base_path=base_path, operation=case.operation.label,
                        status=response.status_code if response is not None else 0, query=query, headers=headers,
                        body=body, credentials=credentials, path_parameters=dict(case.path_parameters or {}),
                        case="negative" if negative else "positive")


def _request_text(response: Response) -> str:
    request = response.request
    lines = [f"{request.method} {request.url}"]
    lines += [f"{name}: {value}" for name, value in (request.headers or {}).items()]
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return "\n".join(lines) + ("\n\n" + str(body)[:_MAX_TEXT] if body else "")


def _response_text(response: Response) -> str:
    lines = [f"HTTP {response.status_code}"]
    lines += [f"{name}: {', '.join(values)}" for name, values in response.headers.items()]
    try:
        body: Any = json.dumps(json.loads(response.content), indent=2) if response.content else ""
    except ValueError:
        body = response.content[:_MAX_TEXT].decode("utf-8", "replace")
    return "\n".join(lines) + ("\n\n" + body[:_MAX_TEXT] if body else "")


def attach_exchange(finding: Finding, response: Response) -> None:
    """Attach the failing request and response (redacted) to the current allure test."""
    import allure

    title = f"{finding.check} [{finding.id}]"
    try:
        allure.attach(redact_text(_request_text(response)), name=f"{title} request",
                      attachment_type=allure.attachment_type.TEXT)
        allure.attach(redact_text(_response_text(response)), name=f"{title} response",
                      attachment_type=allure.attachment_type.TEXT)
    except Exception:  # outside a test (the final cleanup) allure has nothing to attach to
        return


def undeclared_rate_limit_finding(operations: list[str], total: int) -> Finding:
    """The gateway meters every /v1.0 operation, but most spec entries do not declare 429: one defect
    of the spec, reported once per run with a stable id whatever the count (not one per operation)."""
    shown = ", ".join(operations[:5]) + (f" and {len(operations) - 5} more" if len(operations) > 5 else "")
    return Finding(check=UndeclaredRateLimit.checks[0], operation=SPEC_OPERATION, suite=SUITE, key=UNDECLARED_429_KEY,
                   message=f"{len(operations)} of {total} operations answered HTTP 429, which their spec entry "
                           "does not declare",
                   expected="429 among the declared statuses of every rate-limited operation (or a 4XX/default)",
                   got=f"HTTP 429 from {shown}", reproduce="", severity=UndeclaredRateLimit.default_severity.value,
                   promise=UndeclaredRateLimit.promise)
