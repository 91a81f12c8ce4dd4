"""Canned answers for the contract checks' own tests: a real ``schemathesis.Response`` built from
an ``httpx.MockTransport`` exchange, so checks see exactly what they see in a run (the request that
was sent, headers as the transport normalises them) without any server."""

from __future__ import annotations

import json
from typing import Any

import httpx
import schemathesis
from schemathesis import Case, Response

from voipbin_harness.conventions.auth import mint_token
from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER

ALPHA = "9d8c7b6a-5f4e-4d3c-9b2a-1f0e9d8c7b6a"
OTHER = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
BEARER = "Bearer " + mint_token({"id": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "customer_id": ALPHA,
                                 "permission": 0x20}, "unit-test-signing-key-of-32-bytes!")
ORIGIN = "http://127.0.0.1:9"


def answer(case: Case, status: int, body: Any = None, *, content: bytes | None = None,
           headers: dict[str, str] | None = None, authenticated: bool = True,
           request_headers: dict[str, str] | None = None) -> Response:
    """The answer ``status``/``body`` to ``case`` as sent by the harness (Bearer auth unless told)."""

    def handler(request: httpx.Request) -> httpx.Response:
        data = content if content is not None else b"" if body is None else json.dumps(body).encode()
        sent_headers = dict(headers or {})
        if content is None and body is not None:
            sent_headers.setdefault("Content-Type", "application/json")
        # a stream (not ready content) so that httpx times the exchange, as on a real connection
        return httpx.Response(status, stream=httpx.ByteStream(data), headers=sent_headers)

    sent = dict(request_headers or {})
    if authenticated:
        sent.setdefault("Authorization", BEARER)
    with httpx.Client(transport=httpx.MockTransport(handler), base_url=ORIGIN + "/v1.0") as client:
        raw = client.request(case.method, case.formatted_path, params=case.query or None, headers=sent)
        raw.read()
    return Response.from_httpx(raw, verify=True)


def error_body(status: str, reason: str, message: str = "something went wrong",
               request_id: str = "req_0123456789abcdef") -> dict[str, Any]:
    return {"error": {"status": status, "reason": reason, "message": message, "request_id": request_id}}


def error_headers(request_id: str = "req_0123456789abcdef") -> dict[str, str]:
    return {REQUEST_ID_HEADER: request_id}


def run_check(check: Any, response: Response, case: Case) -> bool | None:
    """Call a registered check the way Schemathesis does (ctx is unused by ours)."""
    return check(None, response, case)


def load(spec_document: dict[str, Any]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(spec_document)
