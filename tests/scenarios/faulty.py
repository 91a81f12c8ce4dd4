"""Broken targets of our own, for promises the emulator's ``--fault`` list does not break.

Each is the conformant emulator's handler (a plain ``Request -> Response`` callable) wrapped so
that it breaks exactly one promise, served over real HTTP with ``EmulatorServer``. Kept tiny on
purpose: the point is that the scenarios notice, not that the wrapper is realistic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from voipbin_harness.conventions.auth import BEARER_PREFIX, Permission, mint_token, unverified_agent
from voipbin_harness.conventions.envelope import Reason, Status, envelope, new_request_id
from voipbin_harness.conventions.pagination import (
    NEXT_TOKEN_FIELD,
    PAGE_SIZE_PARAM,
    PAGE_TOKEN_PARAM,
    RESULT_FIELD,
)
from voipbin_harness.conventions.resources import BASE_PATH
from voipbin_harness.emulator import EmulatorConfig, create_app
from voipbin_harness.emulator.server import EmulatorServer, Request, Response
from voipbin_harness.spec import Spec

__all__ = ["WRAPPERS", "serve_wrapped"]

Handler = Callable[[Request], Response]
LOOP_TOKEN = "loop-forever"
JWT_KEY = "emulator-jwt-key"


def _query(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.query, keep_blank_values=True)


def _with_query(request: Request, pairs: list[tuple[str, str]]) -> Request:
    return replace(request, query=urlencode(pairs))


def looping_token(app: Handler) -> Handler:
    """Every list page says there is a next page, always with the same token: a walk never ends."""
    def handler(request: Request) -> Response:
        pairs = [(k, v) for k, v in _query(request) if not (k == PAGE_TOKEN_PARAM and v == LOOP_TOKEN)]
        response = app(_with_query(request, pairs))
        if request.method == "GET" and response.status == 200 and response.body.startswith(b"{"):
            body = json.loads(response.body)
            if isinstance(body, dict) and RESULT_FIELD in body:
                body[NEXT_TOKEN_FIELD] = LOOP_TOKEN
                response = replace(response, body=json.dumps(body).encode())
        return response
    return handler


def page_size_ignored(app: Handler) -> Handler:
    """``page_size`` is dropped, so every page has the default size whatever was asked."""
    def handler(request: Request) -> Response:
        return app(_with_query(request, [(k, v) for k, v in _query(request) if k != PAGE_SIZE_PARAM]))
    return handler


def header_beats_cookie(app: Handler) -> Handler:
    """The Authorization header wins over the ``token`` cookie (the documented order is the reverse)."""
    def handler(request: Request) -> Response:
        if "authorization" in request.headers and "token=" in request.headers.get("cookie", ""):
            headers = {k: v for k, v in request.headers.items() if k != "cookie"}
            request = replace(request, headers=headers)
        return app(request)
    return handler


def deleted_key_still_works(app: Handler) -> Handler:
    """``DELETE /accesskeys/{id}`` answers like a delete but deletes nothing."""
    def handler(request: Request) -> Response:
        if request.method == "DELETE" and request.path.startswith(f"{BASE_PATH}/accesskeys/"):
            return app(replace(request, method="GET"))
        return app(request)
    return handler


def bad_json_is_500(app: Handler) -> Handler:
    """A body that is not JSON gets 500 INTERNAL instead of 400."""
    def handler(request: Request) -> Response:
        if request.method in ("POST", "PUT") and request.body and request.path.startswith(BASE_PATH + "/"):
            try:
                json.loads(request.body)
            except ValueError:
                rid = new_request_id()
                body = envelope(Status.INTERNAL, Reason.INTERNAL_ERROR, "cannot parse", rid)
                return Response(500, json.dumps(body).encode(),
                                [("Content-Type", "application/json; charset=utf-8"), ("X-Request-Id", rid)])
        return app(request)
    return handler


def agent_acts_as_admin(app: Handler) -> Handler:
    """A customer-agent-level agent's token is served as if the agent were customer admin."""
    def handler(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        agent = unverified_agent(auth[len(BEARER_PREFIX):]) if auth.startswith(BEARER_PREFIX) else None
        if agent and int(agent.get("permission") or 0) == Permission.CUSTOMER_AGENT:
            token = mint_token({**agent, "permission": Permission.CUSTOMER_ADMIN}, JWT_KEY)
            request = replace(request, headers={**request.headers, "authorization": BEARER_PREFIX + token})
        return app(request)
    return handler


#: wrapper name -> (wrapper, scenarios to run, check that must report it)
WRAPPERS: dict[str, tuple[Callable[[Handler], Handler], list[str], str]] = {
    "looping-token": (looping_token, ["scenarios/test_pagination.py::test_walk_shows_every_item_once_newest_first"],
                      "pagination_walk"),
    "page-size-ignored": (page_size_ignored,
                          ["scenarios/test_pagination.py::test_walk_shows_every_item_once_newest_first"], "page_size"),
    "header-beats-cookie": (header_beats_cookie, ["scenarios/test_auth.py::test_first_credential_present_wins"],
                            "credential_order"),
    "deleted-key-still-works": (deleted_key_still_works,
                                ["scenarios/test_auth.py::test_deleted_access_key_is_refused"], "authentication"),
    "bad-json-is-500": (bad_json_is_500, ["scenarios/test_errors.py::test_malformed_json_body_is_400"],
                        "server_error"),
    "agent-acts-as-admin": (agent_acts_as_admin, ["scenarios/test_tenancy.py::test_agent_is_refused_admin_reads"],
                            "agent_permission"),
}


@contextmanager
def serve_wrapped(spec: Spec, wrapper: Callable[[Handler], Handler]) -> Iterator[str]:
    """The conformant emulator (rate limits off) behind ``wrapper``, on loopback; yields its origin."""
    app = create_app(spec, EmulatorConfig.without_limits(profile="conformant"))
    with EmulatorServer(wrapper(app), "127.0.0.1", 0) as server:
        yield server.base_url
