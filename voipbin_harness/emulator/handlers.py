"""Collection handlers: parse -> state -> serialise, one small function per route kind.

Reflection: a create or update copies the request's fields that the item's schema knows (server
fields excepted) onto the item; the rest of a new item is generated from the schema. In the
conformant profile the result is repaired against the schema before it is stored.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ..conventions.auth import CREDENTIAL_ORDER
from ..conventions.envelope import Reason, Status
from ..conventions.pagination import (
    PAGE_SIZE_PARAM,
    PAGE_TOKEN_PARAM,
    InvalidPageSize,
    list_body,
    page_size_limits,
    page_token_for,
    parse_page_size,
)
from ..conventions.resources import SERVER_SET_FIELDS, create_status
from .accounts import after_create, before_create, on_changes
from .catalog import CollectionSpec
from .context import AppLike, Ctx
from .errors import ApiError, Reply
from .lookup import Found, parents_of, resolve
from .types import Item

__all__ = ["HANDLERS", "reflect", "shape"]

_SKIP_FILTERS = frozenset({PAGE_SIZE_PARAM, PAGE_TOKEN_PARAM} | {name for _, name in CREDENTIAL_ORDER})
_SCALARS = frozenset({"string", "integer", "number", "boolean"})
_SERVER_SET = frozenset(SERVER_SET_FIELDS)
_PAGE_CACHE_MAX = 256  # serialised pages kept per collection (until its next write)


# -- helpers shared with actions --------------------------------------------------------------
def reflect(app: AppLike, schema: Any, body: Any, segment: str | None = None) -> dict[str, Any]:
    """The request fields an item keeps: those its schema names, server-set ones excepted.

    ``PUT /x/{id}/metadata`` with a body that names no field of the item sets field ``metadata``.
    """
    if not isinstance(body, dict):
        return {}
    props = app.tools.properties(schema) if schema is not None else {}
    # a JSON null leaves a field as it was (Go's unmarshal), unless the schema makes null a value
    # writeOnly fields (secrets, tokens) are taken in but never kept for answers, in both profiles
    changes = {k: v for k, v in body.items() if k in props and k not in _SERVER_SET
               and not app.tools.write_only(props[k]) and (v is not None or app.tools.nullable(props[k]))}
    if not changes and segment and segment in props and body:
        changes = {segment: body}
    return changes


def shape(app: AppLike, schema: Any, item: Item, item_schema: Any) -> Any:
    """``item`` as the operation's response schema wants it: as is, wrapped, or projected."""
    if schema is None:
        return item
    tools = app.tools
    ref = tools.ref(schema)
    item_ref = tools.ref(item_schema)
    if ref is not None and ref == item_ref:
        return item
    props = tools.properties(schema)
    arrays = {n: s for n, s in props.items() if tools.kind(s) == "array"}
    wrapper = next((n for n, s in arrays.items() if tools.ref(tools.flat(s).get("items")) == item_ref), None)
    if wrapper is not None and item_ref is not None:
        return {n: ([item] if n == wrapper else []) for n in arrays}
    if tools.kind(schema) == "array":
        return [item]
    projected = app.generator.value(schema, random.Random(f"{app.config.seed}:{item.get('id')}"))
    if isinstance(projected, dict):
        for name in projected:
            if name in item:
                projected[name] = item[name]
    return projected


def store_changes(app: AppLike, ctx: Ctx, found: Found, changes: dict[str, Any]) -> Item:
    """Apply ``changes`` to a stored item (repaired first in the conformant profile)."""
    item = found.item
    on_changes(app, ctx, found, changes)
    if app.conformant and found.coll is not None and found.coll.item_schema is not None:
        fixed = app.repairer.repair({**item, **changes}, found.coll.item_schema)
        item.clear()
        item.update(fixed)
        changes = {}
    if found.key is not None:
        app.state.update(ctx.store, found.key, item, changes)  # type: ignore[arg-type]
    else:
        item.update(changes)
    return item


def _rng(app: AppLike) -> random.Random:
    return random.Random(app.state.new_id())


def _body(ctx: Ctx) -> Any:
    return ctx.body if ctx.body is not None else (ctx.form or {})


# -- handlers ---------------------------------------------------------------------------------
def list_items(app: AppLike, ctx: Ctx) -> Reply:
    route = ctx.route
    coll = route.info.collection  # type: ignore[union-attr]
    resolve(app, ctx)
    items = app.state.items(ctx.store, (coll.key, parents_of(ctx, None)))  # type: ignore[arg-type]
    query = ctx.query()
    default, cap = page_size_limits(coll.resource)
    size_arg = query.get(PAGE_SIZE_PARAM)
    try:
        size = parse_page_size(size_arg[0] if size_arg else None, default=default, cap=cap)
    except InvalidPageSize as exc:
        raise ApiError(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER, str(exc)) from None
    token_arg = query.get(PAGE_TOKEN_PARAM)
    token = token_arg[0] if token_arg else ""
    filters = _filters(app, coll, query) if len(query) > (1 if size_arg else 0) + (1 if token_arg else 0) else ()
    faults = app.faults
    cacheable = not (faults.leak_list or faults.drop_page_item)
    cache_key = (size, token, filters)
    if cacheable:
        hit = items.pages.get(cache_key)
        if hit is not None:
            return Reply(200, hit, raw=True)
    keep = _matcher(filters) if filters else None
    page, more = items.page(size, token, keep, skip=1 if faults.drop_page_item and token else 0)
    if faults.leak_list and not token:
        page = [*page, *_foreign_items(app, ctx, coll)[:1]]
    next_token = page_token_for(page[-1]) if page and (more or not app.conformant) else ""
    body = list_body(page, next_token) if coll.list_shape == "wrapped" else page
    data = app.encode(body, route.info.success_schema)  # type: ignore[union-attr]
    if cacheable:
        if len(items.pages) >= _PAGE_CACHE_MAX:
            items.pages.clear()
        items.pages[cache_key] = data
    return Reply(200, data, raw=True)


def create(app: AppLike, ctx: Ctx) -> Reply:
    route = ctx.route
    coll: CollectionSpec = route.info.collection  # type: ignore[union-attr,assignment]
    resolve(app, ctx)
    parents = parents_of(ctx, None)
    body = _body(ctx)
    item = app.generator.value(coll.item_schema, _rng(app)) if coll.item_schema is not None else {}
    item = item if isinstance(item, dict) else {}
    item.update(reflect(app, coll.item_schema, body))
    link = _parent_field(coll)
    if link and parents and link in item:
        item[link] = parents[-1]
    extra = before_create(app, ctx, coll, item, body)
    if app.conformant and coll.item_schema is not None:
        item = app.repairer.repair(item, coll.item_schema)
    item.pop("id", None)
    app.state.insert(ctx.store, (coll.key, parents), item)  # type: ignore[arg-type]
    after_create(app, ctx, coll, item, body, extra)
    answer = {**item, **extra} if extra else item
    return Reply(create_status(coll.resource), shape(app, route.info.success_schema, answer, coll.item_schema))  # type: ignore[union-attr]


def read(app: AppLike, ctx: Ctx) -> Reply:
    found = resolve(app, ctx)[-1]
    info = ctx.route.info  # type: ignore[union-attr]
    body = shape(app, info.success_schema, found.item, found.coll.item_schema if found.coll else None)
    if app.faults.undeclared_status and 200 in info.declared:
        return Reply(418, body, verbatim=True)
    if app.faults.schema_violation and isinstance(body, dict):
        return Reply(200, {**body, "id": 12345}, verbatim=True)
    return Reply(200, body)


def update(app: AppLike, ctx: Ctx) -> Reply:
    found = resolve(app, ctx)[-1]
    schema = found.coll.item_schema if found.coll else None
    item = store_changes(app, ctx, found, reflect(app, schema, _body(ctx)))
    return Reply(200, shape(app, ctx.route.info.success_schema, item, schema))  # type: ignore[union-attr]


def delete(app: AppLike, ctx: Ctx) -> Reply:
    found = resolve(app, ctx)[-1]
    if found.key is not None:
        app.state.soft_delete(ctx.store, found.key, found.item)  # type: ignore[arg-type]
    schema = found.coll.item_schema if found.coll else None
    return Reply(200, shape(app, ctx.route.info.success_schema, found.item, schema))  # type: ignore[union-attr]


def sub_create(app: AppLike, ctx: Ctx) -> Reply:
    coll: CollectionSpec = ctx.route.info.collection  # type: ignore[union-attr,assignment]
    parent = resolve(app, ctx)[-1]
    members = list(parent.item.get(coll.embedded_field) or [])  # type: ignore[arg-type]
    body = _body(ctx)
    if coll.embedded_ids:
        value = body.get(coll.embedded_field[:-1]) if isinstance(body, dict) else None  # type: ignore[index]
        if isinstance(value, str) and value not in members:
            members.append(value)
    else:
        sub = app.generator.value(coll.item_schema, _rng(app))
        sub = sub if isinstance(sub, dict) else {}
        sub.update(reflect(app, coll.item_schema, body))
        sub["id"] = app.state.new_id()
        if "tm_create" in sub:
            sub["tm_create"] = app.state.now()
        members.append(sub)
    item = store_changes(app, ctx, parent, {coll.embedded_field: members})  # type: ignore[dict-item]
    return Reply(200, shape(app, ctx.route.info.success_schema, item, parent.coll.item_schema if parent.coll else None))  # type: ignore[union-attr]


def sub_update(app: AppLike, ctx: Ctx) -> Reply:
    coll: CollectionSpec = ctx.route.info.collection  # type: ignore[union-attr,assignment]
    *_, parent, sub = resolve(app, ctx)
    sub.item.update(reflect(app, coll.item_schema, _body(ctx)))
    members = list(parent.item.get(coll.embedded_field) or [])  # type: ignore[arg-type]
    item = store_changes(app, ctx, parent, {coll.embedded_field: members})  # type: ignore[dict-item]
    return Reply(200, shape(app, ctx.route.info.success_schema, item, parent.coll.item_schema if parent.coll else None))  # type: ignore[union-attr]


def sub_delete(app: AppLike, ctx: Ctx) -> Reply:
    coll: CollectionSpec = ctx.route.info.collection  # type: ignore[union-attr,assignment]
    *_, parent, sub = resolve(app, ctx)
    members = parent.item.get(coll.embedded_field) or []  # type: ignore[arg-type]
    target = sub.item["id"] if coll.embedded_ids else sub.item
    kept = [m for m in members if m is not target and m != target]
    item = store_changes(app, ctx, parent, {coll.embedded_field: kept})  # type: ignore[dict-item]
    return Reply(200, shape(app, ctx.route.info.success_schema, item, parent.coll.item_schema if parent.coll else None))  # type: ignore[union-attr]


def singleton(app: AppLike, ctx: Ctx) -> Reply:
    info = ctx.route.info  # type: ignore[union-attr]
    found = singleton_item(app, ctx, info.singleton or "")
    if ctx.request.method == "PUT":
        segment = ctx.route.op.segments[-1]  # type: ignore[union-attr]
        store_changes(app, ctx, found, reflect(app, found.coll.item_schema if found.coll else None, _body(ctx), segment))
    return Reply(200, shape(app, info.success_schema, found.item, found.coll.item_schema if found.coll else None))


def singleton_item(app: AppLike, ctx: Ctx, name: str) -> Found:
    """The object behind ``/customer``, ``/billing_account``... or ``/me`` (the calling agent)."""
    store, principal = ctx.store, ctx.principal
    assert store is not None and principal is not None
    if name == "me":
        if principal.agent is None:
            raise ApiError(Status.PERMISSION_DENIED, Reason.PERMISSION_DENIED, "an access key is not an agent: use a JWT")
        key = ("/agents", ())
        item = app.state.items(store, key).by_id.get(str(principal.agent.get("id")))
        if item is None:  # a minted token for an agent the emulator never stored
            return Found(dict(principal.agent), None, app.catalog.collection("/agents"))
        return Found(item, key, app.catalog.collection("/agents"))
    key, item_id = store.singletons[name]
    item = app.state.items(store, key).by_id[item_id]
    return Found(item, key, app.catalog.collection(key[0]))


def _parent_field(coll: CollectionSpec) -> str | None:
    if coll.parent is None:
        return None
    name = coll.parent.resource
    return (name[:-1] if name.endswith("s") else name) + "_id"


def _filters(app: AppLike, coll: CollectionSpec, query: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    """Query parameters naming a scalar field of the items: lists keep only the items that match."""
    props = app.tools.properties(coll.item_schema) if coll.item_schema is not None else {}
    out = []
    for name, values in query.items():
        if name in _SKIP_FILTERS or name not in props or not values:
            continue
        if app.tools.kind(props[name]) in _SCALARS:
            out.append((name, values[0]))
    return tuple(sorted(out))


def _matcher(filters: tuple[tuple[str, str], ...]) -> Callable[[Item], bool]:
    def keep(item: Item) -> bool:
        for name, wanted in filters:
            value = item.get(name)
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            if text != wanted:
                return False
        return True

    return keep


def _foreign_items(app: AppLike, ctx: Ctx, coll: CollectionSpec) -> list[Item]:
    """For the leak-list fault: live items of the same collection of another customer."""
    for cfg in app.config.tenants:
        if cfg.customer_id != ctx.store.customer_id:  # type: ignore[union-attr]
            other = app.state.store(cfg.customer_id)
            items = app.state.items(other, (coll.key, ()))
            return [i for i in items.newest_first() if not i.get("tm_delete")][:1]
    return []


HANDLERS: dict[str, Callable[[AppLike, Ctx], Reply]] = {
    "list": list_items,
    "create": create,
    "read": read,
    "update": update,
    "delete": delete,
    "sub_create": sub_create,
    "sub_update": sub_update,
    "sub_delete": sub_delete,
    "singleton": singleton,
}
