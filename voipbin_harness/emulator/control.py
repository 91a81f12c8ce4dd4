"""Control endpoints for tests, under ``/__emulator__`` (a prefix no API path can have), loopback only.

- ``POST /__emulator__/reset``: seeded state back, rate-limit buckets refilled, token cache emptied.
- ``PUT /__emulator__/customers/{customer_id}/balance`` ``{"balance": number}``.
- ``PUT /__emulator__/customers/{customer_id}/frozen`` ``{"frozen": bool}``.
- ``PUT /__emulator__/rate-limits`` ``{"customer": "RPS:BURST"|null, "ip": ..., "auth_ip": ...}``
  (null switches that tier off; keys left out stay as they are).
- ``PUT /__emulator__/latency`` ``{"latency": "MS[:JITTER]"|MS|null}``: added to every answer from
  the next request on (null or 0: none).
- ``GET /__emulator__/config``: profile, limits, latency, tenants (no passwords, no access keys), faults.

Answers are JSON; errors use the envelope. A client that is not on loopback gets 404
ROUTE_NOT_FOUND, as if the prefix did not exist.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import orjson

from ..conventions.envelope import CONTENT_TYPE, Reason, Status
from ..conventions.ratelimit import Limit
from ..conventions.resources import CONTROL_PREFIX
from .errors import ApiError, dumps
from .latency import Latency
from .server import Response

if TYPE_CHECKING:
    from .context import ControlApp, Ctx

__all__ = ["CONTROL_PREFIX", "control", "is_loopback"]

_TIERS = {"customer": "customer", "ip": "ip", "auth_ip": "auth_ip"}


def is_loopback(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip.split("%")[0]).is_loopback
    except ValueError:
        return False


def control(app: ControlApp, ctx: Ctx) -> Response:
    request = ctx.request
    if not is_loopback(request.client_ip):
        raise route_not_found(request.method, request.path)
    parts = request.path[len(CONTROL_PREFIX):].strip("/").split("/")
    method = request.method
    if method == "POST" and parts == ["reset"]:
        app.reset()
        return _ok({"reset": True})
    if method == "GET" and parts == ["config"]:
        return _ok(app.describe())
    if method == "PUT" and parts == ["rate-limits"]:
        body = _object(request.body)
        changes: dict[str, Limit | None] = {}
        for key in _TIERS:
            if key in body:
                changes[key] = _limit(body[key], key)
        app.set_limits(**changes)
        return _ok(app.describe()["limits"])
    if method == "PUT" and parts == ["latency"]:
        body = _object(request.body)
        if "latency" not in body:
            raise _bad('the body must be {"latency": "MS[:JITTER]" or null}')
        app.set_latency(_latency(body["latency"]))
        return _ok({"latency": app.describe()["latency"]})
    if method == "PUT" and len(parts) == 3 and parts[0] == "customers" and parts[2] in ("balance", "frozen"):
        customer_id, what = parts[1], parts[2]
        body = _object(request.body)
        value = body.get(what)
        if what == "balance" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise _bad('"balance" must be a number')
        if what == "frozen" and not isinstance(value, bool):
            raise _bad('"frozen" must be true or false')
        with app.state.lock:
            store = app.state.stores.get(customer_id)
            if store is None:
                raise ApiError(Status.NOT_FOUND, Reason.NOT_FOUND, f"customer {customer_id!r} not found")
            if what == "balance":
                store.balance = float(value)
            else:
                store.frozen = bool(value)
            return _ok({"customer_id": customer_id, "balance": store.balance, "frozen": store.frozen})
    raise route_not_found(method, request.path)


def route_not_found(method: str, path: str) -> ApiError:
    return ApiError(Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND, f"no route for {method} {path[:200]}")


def _ok(body: Any) -> Response:
    return Response(200, dumps(body), [("Content-Type", CONTENT_TYPE)])


def _object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


def _limit(value: Any, key: str) -> Limit | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f'"{key}" must be "RPS:BURST" or null')
    try:
        return Limit.parse(value)
    except ValueError as exc:
        raise _bad(f'"{key}": {exc}') from None


def _latency(value: Any) -> Latency | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _bad('"latency" must be "MS[:JITTER]", a number of milliseconds or null')
    try:
        return Latency.parse(str(value))
    except ValueError as exc:
        raise _bad(f'"latency": {exc}') from None


def _bad(message: str) -> ApiError:
    return ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER, message)
