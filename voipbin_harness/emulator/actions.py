"""Everything that is not collection CRUD: actions on an item, lookups, downloads, WebSockets and
the spec's ``/v1.0/auth/*`` stubs.

- An action whose answer has the target item's schema applies its body to the item and returns
  it (``PUT /agents/{id}/status``, ``POST /flows/{id}/direct-hash-regenerate``).
- An action whose success response declares no body answers 200 with an empty body after finding
  its target (call hold/mute/moh/silence, ``POST /calls/{id}/talk``).
- Other actions answer a body generated from their schema, reflecting the request's fields.
- ``GET /contacts/lookup`` finds the caller's contact whose fields hold every query value, else 404.
- Downloads (a declared 3xx) answer 307 with ``Location: /downloads/<resource>/<id>`` on the
  emulator itself (a JSON string body with the same URL, as the spec declares); the pcap download
  answers a small valid pcap file.
- WebSocket endpoints answer 400 WEBSOCKET_UPGRADE_REQUIRED once their target is found: the
  emulator does not speak WebSocket.
"""

from __future__ import annotations

import random
import struct
from typing import Any

from ..conventions.auth import CREDENTIAL_ORDER
from ..conventions.envelope import Reason, Status
from .context import AppLike, Ctx
from .errors import ApiError, Reply, dumps
from .handlers import reflect, store_changes
from .lookup import not_found, resolve

__all__ = ["ACTION_HANDLERS", "DOWNLOAD_PREFIX", "PCAP_BYTES"]

DOWNLOAD_PREFIX = "/downloads"
#: A pcap global header (magic, v2.4, Ethernet) and no packets: a valid, empty capture.
PCAP_BYTES = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
_AUTH_QUERY = frozenset(name for place, name in CREDENTIAL_ORDER if place == "query")


def action(app: AppLike, ctx: Ctx) -> Reply:
    route = ctx.route
    assert route is not None
    info = route.info
    found = resolve(app, ctx)
    target = found[-1] if found else None
    media = info.success_media or ""
    if "octet-stream" in media:
        return Reply(info.success_status, PCAP_BYTES, content_type="application/octet-stream", raw=True)
    if info.success_schema is None:
        return Reply(info.success_status, None, content_type=None)
    ref = app.tools.ref(info.success_schema)
    if target is not None and target.coll is not None and ref is not None and ref == app.tools.ref(target.coll.item_schema):
        if ctx.request.method != "GET":
            changes = reflect(app, target.coll.item_schema, ctx.body, route.op.segments[-1])
            store_changes(app, ctx, target, changes)
        return Reply(info.success_status, target.item)
    if ctx.request.method == "GET" and not info.ids and ref is not None:
        match = _lookup(app, ctx, ref)
        if match is not None:
            return Reply(info.success_status, match)
    return Reply(info.success_status, _generated(app, ctx, info.success_schema))


def _generated(app: AppLike, ctx: Ctx, schema: Any) -> Any:
    """A body from the schema, the same for the same request under one seed, echoing the request."""
    route = ctx.route
    assert route is not None and ctx.store is not None
    seed = f"{app.config.seed}:{route.label}:{sorted(ctx.params.items())}:{ctx.request.body[:256]!r}"
    body = app.generator.value(schema, random.Random(seed))
    if isinstance(body, dict):
        body.update(reflect(app, schema, ctx.body))
        props = app.tools.properties(schema)
        if "customer_id" in props:
            body["customer_id"] = ctx.store.customer_id
        if "id" in props:
            body["id"] = app.state.new_id()
    return body


def _lookup(app: AppLike, ctx: Ctx, ref: str) -> dict[str, Any] | None:
    """``GET /contacts/lookup?phone=...``: the caller's item of that schema holding every value of the
    operation's declared query parameters (an unknown parameter such as Schemathesis'
    ``x-schemathesis-unknown-property`` filters nothing)."""
    route = ctx.route
    assert route is not None and ctx.store is not None
    declared = {p.get("name") for p in route.op.parameters if p.get("in") == "query"} - _AUTH_QUERY
    wanted = [v[0] for k, v in ctx.query().items() if k in declared and v and isinstance(v[0], str) and v[0]]
    prefix = route.op.path.rsplit("/", 1)[0]
    coll = app.catalog.collection(prefix)
    if coll is None or app.tools.ref(coll.item_schema) != ref:
        return None
    if not wanted:
        raise not_found(coll.resource, "(no query)")
    for item in app.state.items(ctx.store, (coll.key, ())).newest_first():
        if not isinstance(item, dict) or item.get("tm_delete"):
            continue
        text = dumps(item).decode("utf-8", "replace")  # items hold whatever clients sent
        if all(value in text for value in wanted):
            return item
    raise not_found(coll.resource, ", ".join(wanted))


def download(app: AppLike, ctx: Ctx) -> Reply:
    route = ctx.route
    assert route is not None
    found = resolve(app, ctx)
    resource = found[-1].coll.resource if found and found[-1].coll else route.op.collection
    item_id = found[-1].item.get("id") if found else "file"
    url = f"{DOWNLOAD_PREFIX}/{resource}/{item_id}"
    return Reply(route.info.success_status, dumps(url), raw=True, headers=[("Location", url)])


def websocket(app: AppLike, ctx: Ctx) -> Reply:
    resolve(app, ctx)
    upgrade = ctx.request.headers.get("upgrade", "").lower() == "websocket"
    message = ("the emulator does not serve WebSocket connections" if upgrade
               else "this endpoint only accepts a WebSocket upgrade (Upgrade: websocket)")
    raise ApiError(Status.INVALID_ARGUMENT, Reason.WEBSOCKET_UPGRADE_REQUIRED, message)


def auth_stub(app: AppLike, ctx: Ctx) -> Reply:
    """Gateway: the spec's ``/v1.0/auth/*`` are not served there (404 pointing to ``/auth/...``).

    Conformant: they keep the spec's promise and answer a generated body (an HTML page for
    ``GET /auth/password-reset``); no account is actually created, verified or removed.
    """
    route = ctx.route
    assert route is not None
    if not app.conformant:
        raise ApiError(Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND,
                       f"{route.op.method} {ctx.request.path} is not served; the auth routes live outside "
                       f"the API base path: {route.op.method} {route.op.path}")
    info = route.info
    if info.success_media and "html" in info.success_media:
        page = b"<!doctype html><title>Reset your password</title><p>VoIPBIN emulator: password reset.</p>"
        return Reply(info.success_status, page, content_type="text/html; charset=utf-8", raw=True)
    if ctx.store is None:  # a public stub: answer as the spec says, reflecting the request
        seed = f"{app.config.seed}:{route.label}:{ctx.request.body[:256]!r}"
        body = app.generator.value(info.success_schema, random.Random(seed)) if info.success_schema else None
        if isinstance(body, dict):
            body.update(reflect(app, info.success_schema, ctx.body))
        return Reply(info.success_status, body)
    return Reply(info.success_status, _generated(app, ctx, info.success_schema) if info.success_schema else None)


ACTION_HANDLERS = {
    "action": action,
    "download": download,
    "websocket": websocket,
    "auth_stub": auth_stub,
}
