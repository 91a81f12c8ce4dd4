"""Broken targets for the contract checks the emulator's ``--fault`` list does not break.

Each wrapper takes the conformant emulator's handler and breaks exactly one promise, in a way only
one check judges, so that all of them can share one server (and one suite run): the test then
asserts each finding by its check *and* its key, which names what the wrapper broke.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from voipbin_harness.conventions.pagination import NEXT_TOKEN_FIELD, RESULT_FIELD
from voipbin_harness.emulator.server import Request, Response

__all__ = ["WRAPPERS", "all_wrapped"]

Handler = Callable[[Request], Response]
OTHER_CUSTOMER = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _json(response: Response) -> Any:
    try:
        return json.loads(response.body) if response.body.startswith((b"{", b"[")) else None
    except ValueError:
        return None


def _with_body(response: Response, body: Any) -> Response:
    return replace(response, body=json.dumps(body).encode())


def errors_as_text(app: Handler) -> Handler:
    """Error answers keep their JSON envelope but say ``Content-Type: text/plain``."""
    def handler(request: Request) -> Response:
        response = app(request)
        if response.status < 400:
            return response
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-type"]
        return replace(response, headers=[*headers, ("Content-Type", "text/plain")])
    return handler


def lists_lose_their_newest_item(app: Handler) -> Handler:
    """A list page drops its first (newest) item, and its ``next_page_token`` turns into a number."""
    def handler(request: Request) -> Response:
        response = app(request)
        body = _json(response) if request.method == "GET" and response.status == 200 else None
        if isinstance(body, dict) and isinstance(body.get(RESULT_FIELD), list):
            body[NEXT_TOKEN_FIELD] = 17
            body[RESULT_FIELD] = body[RESULT_FIELD][1:]
            return _with_body(response, body)
        return response
    return handler


def creates_answer_another_customer(app: Handler) -> Handler:
    """A create answers the new resource with another customer's ``customer_id`` (it stores the right one)."""
    def handler(request: Request) -> Response:
        response = app(request)
        body = _json(response) if request.method == "POST" and 200 <= response.status < 300 else None
        if isinstance(body, dict) and "customer_id" in body:
            return _with_body(response, {**body, "customer_id": OTHER_CUSTOMER})
        return response
    return handler


def deletes_keep_the_item(app: Handler) -> Handler:
    """``DELETE /{collection}/{id}`` answers the item as a delete would, but deletes nothing."""
    def handler(request: Request) -> Response:
        if request.method == "DELETE" and request.path.count("/") == 3:
            return app(replace(request, method="GET"))
        return app(request)
    return handler


#: check -> (wrapper, the finding's key it must produce)
WRAPPERS: dict[str, tuple[Callable[[Handler], Handler], str]] = {
    "json_content_type": (errors_as_text, "text/plain"),
    "list_answer_shape": (lists_lose_their_newest_item, "must be a string"),
    "created_resource_listed": (lists_lose_their_newest_item, "missing"),
    "created_resource_identity": (creates_answer_another_customer, "customer_id-not-caller"),
    "deleted_resource_gone": (deletes_keep_the_item, "HTTP 200"),
}


def all_wrapped(app: Handler) -> Handler:
    """``app`` behind every wrapper above (each once)."""
    for wrapper in dict.fromkeys(wrapper for wrapper, _key in WRAPPERS.values()):
        app = wrapper(app)
    return app
