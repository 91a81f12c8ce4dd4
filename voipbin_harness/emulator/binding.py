"""Reading a request's path ids, query and body, as each profile does (auth has already run).

Gateway: a malformed or nil UUID in an id path parameter is 400 (INVALID_ID, or
INVALID_REQUEST_PARAMETER where the spec says ``format: uuid``); a body that is not JSON, or whose
top-level fields have the wrong JSON type (Go's unmarshal), is 400 INVALID_JSON_BODY; required
fields and enums are not checked. Conformant: everything the spec states is checked (required
query parameters, types, enums, patterns, formats, the body's schema, and the phone numbers the
spec describes as E.164, see ``phones``) and refused with a 400 envelope; plain-string ids are
valid values there, so an unknown one is a 404, not a 400. A body that is sent must be JSON on
every operation that takes one: a blank (whitespace-only) or malformed body is 400
INVALID_JSON_BODY whether the spec marks the body required or not; only a body of zero bytes
counts as "no body" (refused where the body is required).
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import orjson

from ..conventions.envelope import Reason, Status
from ..conventions.resources import is_uuid
from ..spec.phones import PhoneRules
from .errors import ApiError
from .routes import Route
from .schemas import SchemaTools

__all__ = ["Binder", "Bound"]

_JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
_NO_BODY = object()
_MAX_DEPTH = 100  # deeper JSON is refused, so that no later encoder or walker can run out of stack
_BLANK_BODY = "the request body is not valid JSON: it is blank (whitespace only)"


class Bound:
    """What binding produced: the decoded body (JSON value, form fields, or None)."""

    __slots__ = ("body", "form")

    def __init__(self, body: Any = None, form: dict[str, Any] | None = None) -> None:
        self.body = body
        self.form = form


class Binder:
    """Per-profile binding; validators compile on first use of an operation."""

    def __init__(self, tools: SchemaTools, *, conformant: bool) -> None:
        self.tools = tools
        self.conformant = conformant
        self._bodies: dict[Route, tuple[str, Any, bool] | None] = {}
        self.phones = PhoneRules(tools.spec, tools) if conformant else None

    def bind(self, route: Route, params: dict[str, str], query: dict[str, list[str]], headers: dict[str, str],
             raw_body: bytes) -> Bound:
        self._path(route, params)
        if self.conformant:
            self._query(route, query)
        return self._body(route, headers, raw_body)

    # -- path ---------------------------------------------------------------------------------
    def _path(self, route: Route, params: dict[str, str]) -> None:
        for name, reason in route.id_reasons.items():
            value = params.get(name, "")
            if is_uuid(value):
                continue
            if self.conformant and reason != Reason.INVALID_REQUEST_PARAMETER:
                continue  # any string is a valid plain-string id: the lookup answers 404
            raise ApiError(Status.INVALID_ARGUMENT, reason, f"path parameter {name!r} must be a UUID, got {value[:64]!r}")
        if self.conformant:
            for name, schema in route.param_schemas.items():
                if name not in route.id_reasons and not self.tools.is_valid(schema, params.get(name, "")):
                    raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER,
                                   f"path parameter {name!r} is not valid: {params.get(name, '')[:64]!r}")

    # -- query (conformant) -------------------------------------------------------------------
    def _query(self, route: Route, query: dict[str, list[str]]) -> None:
        for param in route.op.parameters:
            if param.get("in") != "query":
                continue
            name = param.get("name", "")
            values = query.get(name)
            if not values:
                if param.get("required"):
                    raise _bad_param(f"query parameter {name!r} is required")
                continue
            schema = param.get("schema") or {}
            value = _coerce(values[0], self.tools.kind(schema))
            if value is _NO_BODY:
                raise _bad_param(f"query parameter {name!r} must be of type {self.tools.kind(schema)}")
            flat = self.tools.flat(schema)
            if not self.tools.is_valid(schema, value) or (flat.get("format") == "uuid" and not is_uuid(value)):
                raise _bad_param(f"query parameter {name!r} is not valid: {values[0][:64]!r}")
        problem = self.phones.query_problem(route.label, query) if self.phones is not None else None
        if problem:
            raise _bad_param(problem)

    # -- body ---------------------------------------------------------------------------------
    def _declared_body(self, route: Route) -> tuple[str, Any, bool] | None:
        """(media type, schema, required) of the operation's request body, looked up once."""
        if route not in self._bodies:
            request_body = self.tools.resolve(route.op.raw.get("requestBody"))
            content = request_body.get("content") or {}
            media = next(iter(content), None)
            self._bodies[route] = None if media is None else (
                media, (content.get(media) or {}).get("schema"), bool(request_body.get("required")))
        return self._bodies[route]

    def _body(self, route: Route, headers: dict[str, str], raw_body: bytes) -> Bound:
        declared = self._declared_body(route)
        if declared is None:
            return Bound()
        media, schema, required = declared
        if media.startswith("multipart/"):
            if not raw_body and not required:
                return Bound(form={})
            return self._form(headers, raw_body, schema)
        if not raw_body.strip():
            if raw_body and self.conformant:  # sent, but blank: not JSON, whether the body is required or not
                raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY, _BLANK_BODY)
            if required and route.op.method != "GET":
                raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY, "the request body is empty")
            return Bound()
        try:
            body = _strict_json(raw_body) if self.conformant else orjson.loads(raw_body)
        except (ValueError, RecursionError) as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
            raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY,
                           f"the request body is not valid JSON: {first}") from None
        if _depth(body) > _MAX_DEPTH:
            raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY,
                           f"the request body nests deeper than {_MAX_DEPTH} levels")
        if schema is None:
            return Bound(body)
        if self.conformant:
            problem = self.tools.first_error(schema, body)
            if problem is None and self.phones is not None:
                problem = self.phones.body_problem(route.label, body)
            if problem:
                raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_BODY, f"invalid request body: {problem}")
        else:
            self._unmarshal(schema, body)
        return Bound(body)

    def _unmarshal(self, schema: Any, body: Any) -> None:
        """What Go's ``json.Unmarshal`` into the handler's struct refuses: wrong top-level JSON types."""
        kind = self.tools.kind(schema)
        if kind == "object" and not isinstance(body, dict):
            raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY, "the request body must be a JSON object")
        if not isinstance(body, dict):
            return
        for name, sub in self.tools.properties(schema).items():
            value = body.get(name)
            expected = _JSON_TYPES.get(self.tools.kind(sub) or "")
            if value is None or expected is None:
                continue
            wrong = not isinstance(value, expected) or (expected is not bool and isinstance(value, bool))
            if wrong or (self.tools.kind(sub) == "integer" and isinstance(value, float) and not value.is_integer()):
                raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY,
                               f"field {name!r} must be of type {self.tools.kind(sub)}")

    def _form(self, headers: dict[str, str], raw_body: bytes, schema: Any) -> Bound:
        form = parse_multipart(headers.get("content-type", ""), raw_body)
        if self.conformant and schema is not None:
            if form is None:
                raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_BODY, "expected a multipart/form-data body")
            problem = self.tools.first_error(schema, form)
            if problem:
                raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_BODY, f"invalid form: {problem}")
        return Bound(form=form or {})


def parse_multipart(content_type: str, raw_body: bytes) -> dict[str, Any] | None:
    """``multipart/form-data`` fields as {name: text or file name}; None when it is not one."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    try:
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw_body)
        if not message.is_multipart():
            return None
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str) or name in fields:
                continue
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            fields[name] = filename if filename is not None else payload.decode("utf-8", "replace")
        return fields
    except (ValueError, LookupError, UnicodeError):
        return None


def _depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            if level <= _MAX_DEPTH:
                stack.extend((child, level + 1) for child in node if isinstance(child, (dict, list)))
    return deepest


def _strict_json(raw: bytes) -> Any:
    """Standard JSON with integers of any size (orjson turns those beyond 64 bits into floats)."""
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(raw, parse_constant=refuse)


def _coerce(text: str, kind: str | None) -> Any:
    """A query string as the type its schema states, or ``_NO_BODY`` when it cannot be one."""
    try:
        if kind == "integer":
            return int(text.strip())
        if kind == "number":
            return float(text)
    except ValueError:
        return _NO_BODY
    if kind == "boolean":
        lowered = text.lower()
        return True if lowered == "true" else False if lowered == "false" else _NO_BODY
    return text


def _bad_param(message: str) -> ApiError:
    return ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER, message)
