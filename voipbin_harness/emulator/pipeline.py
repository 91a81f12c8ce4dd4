"""The request pipeline: one function builds it, in a fixed order (Starlette's middleware stack).

    guard (envelope on exception; pinned outermost)
      -> request id -> IP rate limit -> route match -> auth -> customer rate limit -> dispatch

Routing is matched before auth because the gateway's NoRoute handler runs without it: an unknown
path (or, at the gateway, a wrong method) is 404 ROUTE_NOT_FOUND with or without credentials.
Dispatch then binds (auth runs before binding), checks permission and balance, calls the handler
for the route's kind and serialises; the conformant profile maps the status to a declared one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from time import sleep

from ..conventions.auth import LOGIN_PATH
from ..conventions.envelope import REQUEST_ID_HEADER, Reason, Status, inbound_request_id, new_request_id
from ..conventions.ratelimit import LIMITED_BY_CUSTOMER, LIMITED_BY_IP, RETRY_AFTER_HEADER
from .actions import ACTION_HANDLERS, DOWNLOAD_PREFIX
from .conform import declared_status, error_schema, fit_error
from .context import Ctx, PipelineApp
from .control import CONTROL_PREFIX, control, route_not_found
from .errors import ApiError, Reply, error_response
from .faults import SLOW_SECONDS
from .handlers import HANDLERS
from .public import download_file
from .routes import Match
from .server import Request, Response

__all__ = ["build_pipeline"]

log = logging.getLogger(__name__)
Next = Callable[[Ctx], Response]
Layer = Callable[[PipelineApp, Ctx, Next], Response]
_KINDS = {**HANDLERS, **ACTION_HANDLERS}
_AUTH_PREFIX = LOGIN_PATH.rsplit("/", 1)[0] + "/"  # the public /auth/* routes, rate-limited per IP apart


def build_pipeline(app: PipelineApp) -> Callable[[Request], Response]:
    layers: list[Layer] = [guard, request_id, ip_rate_limit, route, authenticate, customer_rate_limit]
    call: Next = lambda ctx: dispatch(app, ctx)  # noqa: E731
    for layer in reversed(layers):
        call = _wrap(app, layer, call)
    return lambda request: call(Ctx(request))


def _wrap(app: PipelineApp, layer: Layer, nxt: Next) -> Next:
    return lambda ctx: layer(app, ctx, nxt)


# -- layers, outermost first ------------------------------------------------------------------
def guard(app: PipelineApp, ctx: Ctx, nxt: Next) -> Response:
    """Every ApiError becomes the envelope; anything else is logged and answered 500 INTERNAL."""
    if app.faults.slow:
        sleep(SLOW_SECONDS)
    try:
        response = nxt(ctx)
    except ApiError as error:
        http = error.http_status
        route = ctx.route
        fit = None
        if app.conformant and route is not None:
            http = declared_status(http, route.info.declared)
            schema = error_schema(route.op.responses, http)
            fit = None if schema is None else partial(fit_error, schema=schema, repairer=app.repairer)
        return error_response(error, ctx.request_id or new_request_id(), app.faults, http, fit)
    except Exception:
        log.exception("emulator: unexpected error on %s %s", ctx.request.method, ctx.request.path)
        error = ApiError(Status.INTERNAL, Reason.INTERNAL_ERROR, "the emulator failed on this request")
        return error_response(error, ctx.request_id or new_request_id(), app.faults)
    response.headers.append((REQUEST_ID_HEADER, ctx.request_id))
    return response


def request_id(app: PipelineApp, ctx: Ctx, nxt: Next) -> Response:
    ctx.request_id = inbound_request_id(ctx.request.headers.get("x-request-id")) or new_request_id()
    return nxt(ctx)


def ip_rate_limit(app: PipelineApp, ctx: Ctx, nxt: Next) -> Response:
    path = ctx.request.path
    tier = app.ip_tier if path.startswith(app.base_prefix) else app.auth_ip_tier if path.startswith(_AUTH_PREFIX) else None
    if tier is not None:
        wait = tier.take(ctx.request.client_ip)
        if wait:
            raise _limited(app, LIMITED_BY_IP, wait)
    return nxt(ctx)


def route(app: PipelineApp, ctx: Ctx, nxt: Next) -> Response:
    request = ctx.request
    path = request.path
    if not path.startswith(app.base_prefix):
        return _outside(app, ctx)
    method = "GET" if request.method == "HEAD" and app.conformant else request.method
    match, found, params, allowed = app.router.match(method, path[len(app.base_path):])
    if match is Match.FULL:
        ctx.route, ctx.params = found, params
        return nxt(ctx)
    if match is Match.PARTIAL and app.conformant:
        raise ApiError(Status.NOT_FOUND, Reason.METHOD_NOT_ALLOWED, f"{request.method} is not allowed on {path[:200]}",
                       http_status=405, headers=[("Allow", ", ".join(sorted(allowed)))])
    raise route_not_found(request.method, path)


def authenticate(app: PipelineApp, ctx: Ctx, nxt: Next) -> Response:
    if ctx.route is not None and ctx.route in app.public_routes:
        return nxt(ctx)  # conformant /auth/* stubs: public (their ?token= is a reset token, not a JWT)
    principal = app.authenticator.authenticate(ctx.request)
    if principal is None:
        if not app.faults.auth_bypass:
            raise ApiError(Status.UNAUTHENTICATED, Reason.AUTHENTICATION_REQUIRED, "no credentials were sent")
        principal = app.bypass_principal
    ctx.principal = principal
    with app.state.lock:
        store = ctx.store = app.state.store(principal.customer_id)
        if store.frozen:
            raise ApiError(Status.PERMISSION_DENIED, Reason.ACCOUNT_FROZEN, "the customer's account is frozen")
    return nxt(ctx)


def customer_rate_limit(app: PipelineApp, ctx: Ctx, nxt: Next) -> Response:
    if ctx.principal is not None:
        wait = app.customer_tier.take(ctx.principal.customer_id)
        if wait:
            raise _limited(app, LIMITED_BY_CUSTOMER, wait)
    return nxt(ctx)


# -- the endpoint -----------------------------------------------------------------------------
def dispatch(app: PipelineApp, ctx: Ctx) -> Response:
    route_ = ctx.route
    assert route_ is not None
    request = ctx.request
    with app.state.lock:
        bound = app.binder.bind(route_, ctx.params, ctx.query(), request.headers, request.body)
        ctx.body, ctx.form = bound.body, bound.form
        principal = ctx.principal
        if principal is not None and not principal.allowed(route_.permission):
            raise ApiError(Status.PERMISSION_DENIED, Reason.PERMISSION_DENIED,
                           f"this agent's permission does not allow {route_.label}")
        if route_.spends and ctx.store is not None and ctx.store.balance <= 0:
            raise _no_balance(app)
        reply = _KINDS[route_.kind](app, ctx)
        return _finish(app, ctx, reply)


def _finish(app: PipelineApp, ctx: Ctx, reply: Reply) -> Response:
    info = ctx.route.info  # type: ignore[union-attr]
    status = reply.status
    if app.conformant and not reply.verbatim:
        status = declared_status(status, info.declared)
    headers = list(reply.headers)
    if status == 204 or reply.body is None:
        return Response(status, b"", headers)
    if reply.raw:
        data = reply.body
    elif reply.verbatim or not app.conformant:
        data = app.encode(reply.body, None)
    else:
        data = app.encode(reply.body, ctx.route.op.responses.get(str(status)))  # type: ignore[union-attr]
    if reply.content_type:
        headers.append(("Content-Type", reply.content_type))
    return Response(status, data, headers)


def _outside(app: PipelineApp, ctx: Ctx) -> Response:
    """Routes outside the base path: login, ping, the spec, control and download endpoints."""
    request = ctx.request
    handler = app.public.get((request.method, request.path))
    if handler is not None:
        return handler(ctx)
    if request.path.startswith(CONTROL_PREFIX + "/"):
        with app.state.lock:
            return control(app, ctx)
    if request.method == "GET" and request.path.startswith(DOWNLOAD_PREFIX + "/"):
        return download_file(ctx)
    raise route_not_found(request.method, request.path)


def _limited(app: PipelineApp, by: str, wait: int) -> ApiError:
    if app.faults.ratelimit_500:
        return ApiError(Status.INTERNAL, Reason.INTERNAL_ERROR, "rate limited")
    headers = [] if app.faults.no_retry_after else [(RETRY_AFTER_HEADER, str(wait))]
    return ApiError(Status.RESOURCE_EXHAUSTED, Reason.RATE_LIMIT_EXCEEDED,
                    f"too many requests (limited by {by}); retry in {wait} s",
                    details=[{"limited_by": by}], headers=headers)


def _no_balance(app: PipelineApp) -> ApiError:
    """Insufficient balance: 500 INTERNAL at the gateway, 402 PAYMENT_REQUIRED per the docs."""
    if app.conformant:
        return ApiError(Status.PAYMENT_REQUIRED, Reason.INSUFFICIENT_BALANCE, "the customer's balance is insufficient")
    return ApiError(Status.INTERNAL, Reason.INTERNAL_ERROR, "insufficient balance")

