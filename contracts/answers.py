"""Reading an answer and the spec the way the checks need it: parsed body, headers, the request that
was sent, the harness's model of the operation (roles, declared statuses) and the spec's
``ErrorResponse`` validator, each built once per loaded document."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs
from schemathesis import Case, Response

from voipbin_harness.spec import Operation, Spec

__all__ = [
    "ERROR_SCHEMA_NAME",
    "NOT_JSON",
    "describe",
    "error_of",
    "error_schema_validator",
    "header",
    "json_body",
    "operation_of",
    "problem_key",
    "request_header",
    "request_query",
    "spec_of",
]

NOT_JSON = object()
ERROR_SCHEMA_NAME = "ErrorResponse"


def json_body(response: Response) -> Any:
    """The parsed body, or ``NOT_JSON`` (empty or unparsable)."""
    if not response.content:
        return NOT_JSON
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return NOT_JSON


def header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def request_header(response: Response, name: str) -> str | None:
    headers = getattr(response.request, "headers", None) or {}
    for key, value in headers.items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


def request_query(response: Response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(response.request.url or "")).query, keep_blank_values=True)


def error_of(body: Any) -> dict[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def describe(response: Response) -> str:
    content_type = header(response, "content-type") or "no Content-Type"
    if not response.content:
        return f"HTTP {response.status_code} with an empty body ({content_type})"
    snippet = response.content[:120].decode("utf-8", "replace")
    return f"HTTP {response.status_code} {content_type}: {snippet!r}"


def problem_key(problem: str) -> str:
    """A problem text without the values it quotes, so that the same defect keys the same."""
    return re.sub(r"'[^']*'|\"[^\"]*\"", "…", problem)


# -- the spec, as the harness models it (roles, declared statuses) ------------------------------
_SPECS: dict[int, tuple[Any, Spec]] = {}


def spec_of(case: Case) -> Spec:
    """The harness model of the case's document (roles, declared statuses), built once per document."""
    raw = case.operation.schema.raw_schema
    cached = _SPECS.get(id(raw))
    if cached is None or cached[0] is not raw:
        if len(_SPECS) > 8:
            _SPECS.clear()
        cached = (raw, Spec(raw))
        _SPECS[id(raw)] = cached
    return cached[1]


def operation_of(case: Case) -> Operation | None:
    try:
        return spec_of(case).operation(case.operation.label)
    except KeyError:
        return None


_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def error_schema_validator(case: Case) -> Any:
    """A (compiled, jsonschema_rs) validator for the spec's ``ErrorResponse``; None when there is none."""
    raw = case.operation.schema.raw_schema
    cached = _VALIDATORS.get(id(raw))
    if cached is None or cached[0] is not raw:
        components = raw.get("components") or {}
        validator = None
        if ERROR_SCHEMA_NAME in (components.get("schemas") or {}):
            root = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}", "components": components}
            validator = jsonschema_rs.validator_for(root)
        cached = (raw, validator)
        _VALIDATORS[id(raw)] = cached
    return cached[1]
