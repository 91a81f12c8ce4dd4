"""The routes outside the API base path: login, ping, the spec, and download targets.

``POST /auth/login`` answers 200 ``{"username", "token"}`` with ``Set-Cookie: token=...; HttpOnly``,
or 400 with an EMPTY body for wrong credentials or a bad body (the gateway's ``/auth/*`` handlers
do not use the envelope). A frozen customer's agents may still log in; their requests get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..conventions.auth import LOGIN_PATH, mint_token
from ..conventions.envelope import CONTENT_TYPE
from .context import Ctx
from .errors import dumps
from .server import Response
from .state import State

__all__ = ["download_file", "public_routes"]

_PONG = orjson.dumps({"message": "pong"})
_JSON = [("Content-Type", CONTENT_TYPE)]
#: What a download link serves: a 44-byte WAV header with no samples (8 kHz, mono, 16 bit).
_WAV = (b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00"
        b"\x02\x00\x10\x00data\x00\x00\x00\x00")


def public_routes(state: State, jwt_key: str, spec_document: dict[str, Any]) -> dict[tuple[str, str], Callable[[Ctx], Response]]:
    """(method, path) -> handler for the fixed routes outside the base path."""
    spec_bytes = orjson.dumps(spec_document)

    def login(ctx: Ctx) -> Response:
        try:
            body = orjson.loads(ctx.request.body or b"null")
        except orjson.JSONDecodeError:
            return Response(400)
        if not isinstance(body, dict):
            return Response(400)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return Response(400)
        with state.lock:
            found = state.logins.get(username)
            agent = state.get(found.customer_id, ("/agents", ()), found.agent_id) if found else None
            if found is None or found.password != password or agent is None or agent.get("tm_delete"):
                return Response(400)
            token = mint_token(agent, jwt_key)
        headers = [*_JSON, ("Set-Cookie", f"token={token}; Path=/; HttpOnly")]
        return Response(200, dumps({"username": username, "token": token}), headers)

    def ping(ctx: Ctx) -> Response:
        return Response(200, _PONG, list(_JSON))

    def openapi(ctx: Ctx) -> Response:
        return Response(200, spec_bytes, list(_JSON))

    return {("POST", LOGIN_PATH): login, ("GET", "/ping"): ping, ("GET", "/openapi.json"): openapi}


def download_file(ctx: Ctx) -> Response:
    """``GET /downloads/<resource>/<id>``: where a 307 download points (a signed URL, no auth)."""
    return Response(200, _WAV, [("Content-Type", "audio/wav")])
