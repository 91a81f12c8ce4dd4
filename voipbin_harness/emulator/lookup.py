"""Finding the items a route's path ids name, with the gateway's (or the docs') answer when not.

Ids are resolved left to right: ``/outdials/{id}/targets/{target_id}`` first finds the outdial,
then the target inside that outdial's collection. An id under a path that is not a collection
(``/recordingfiles/{id}``, ``/timelines/calls/{call_id}/pcap``) names any item of the caller.
Another customer's item is 403 (404 for accesskeys and contact addresses) at the gateway, 404 in
the conformant profile (the docs); a soft-deleted one is answered per
``conventions.resources.DELETED_GET_STATUS`` for reads, 404 (409 where reads say 409) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..conventions.envelope import Reason, Status
from ..conventions.resources import deleted_get_status, other_customer_status
from .catalog import CollectionSpec
from .context import AppLike, Ctx
from .errors import ApiError
from .state import StoreKey
from .types import Item

__all__ = ["Found", "not_found", "parents_of", "resolve"]


@dataclass(slots=True)
class Found:
    item: Item
    key: StoreKey | None  # where the item is stored (None: it lives inside its parent)
    coll: CollectionSpec | None


def not_found(what: str, value: str) -> ApiError:
    return ApiError(Status.NOT_FOUND, Reason.NOT_FOUND, f"{what} {value!r} not found")


def parents_of(ctx: Ctx, name: str | None) -> tuple[str, ...]:
    """The path values before parameter ``name`` (all of them for None): a nested collection's scope."""
    out: list[str] = []
    for param in ctx.route.names:  # type: ignore[union-attr]
        if param == name:
            break
        out.append(ctx.params[param])
    return tuple(out)


def resolve(app: AppLike, ctx: Ctx) -> list[Found]:
    route = ctx.route
    assert route is not None and ctx.store is not None
    found: list[Found] = []
    ids = route.info.ids
    for n, (name, coll) in enumerate(ids):
        value = ctx.params[name]
        target_read = n == len(ids) - 1 and route.kind == "read"
        if coll is not None and coll.embedded_field:
            sub = _embedded(found[-1].item if found else None, coll, value)
            if sub is None:
                raise not_found(coll.resource, value)
            found.append(Found(sub, None, coll))
            continue
        item, key, home = _own(app, ctx, coll, value, parents_of(ctx, name))
        if item is None:
            item, key, home = _foreign(app, ctx, coll, value)
        if item.get("tm_delete"):
            _deleted(app, home.resource if home else "", value, target_read)
        found.append(Found(item, key, home))
    return found


def _own(app: AppLike, ctx: Ctx, coll: CollectionSpec | None, value: str,
         parents: tuple[str, ...]) -> tuple[Item | None, StoreKey | None, CollectionSpec | None]:
    state, store = app.state, ctx.store
    assert store is not None
    if coll is not None and not coll.virtual:
        key = (coll.key, parents)
        return state.items(store, key).by_id.get(value), key, coll
    owner = state.owner(value)
    if owner is None or owner[0] != store.customer_id:
        return None, None, coll
    return state.get(owner[0], owner[1], value), owner[1], app.catalog.collection(owner[1][0])


def _foreign(app: AppLike, ctx: Ctx, coll: CollectionSpec | None,
             value: str) -> tuple[Item, StoreKey | None, CollectionSpec | None]:
    """Another customer's item: refused (or served, under the cross-tenant-read fault); else 404."""
    owner = app.state.owner(value)
    resource = coll.resource if coll is not None else "resource"
    if owner is None or owner[0] == ctx.store.customer_id:  # type: ignore[union-attr]
        raise not_found(resource, value)
    if app.faults.cross_tenant_read and ctx.request.method == "GET":
        item = app.state.get(owner[0], owner[1], value)
        if item is not None:
            return item, owner[1], app.catalog.collection(owner[1][0])
    if coll is None or coll.virtual:
        home = app.catalog.collection(owner[1][0])
        resource = home.resource if home is not None else resource
    if other_customer_status(resource, docs=app.conformant) == 404:
        raise not_found(resource, value)
    raise ApiError(Status.PERMISSION_DENIED, Reason.PERMISSION_DENIED,
                   f"{resource} {value!r} belongs to another customer")


def _deleted(app: AppLike, resource: str, value: str, target_read: bool) -> None:
    """Raise the answer for a soft-deleted item, or return when it is still served (agents)."""
    if app.conformant:
        raise not_found(resource, value)
    status = deleted_get_status(resource)
    if status == 200 and target_read:
        return
    if status == 409:
        raise ApiError(Status.FAILED_PRECONDITION, Reason.RESOURCE_DELETED, f"{resource} {value!r} was deleted")
    raise not_found(resource, value)


def _embedded(parent: Item | None, coll: CollectionSpec, value: str) -> Item | None:
    """A sub-item kept in its parent's array field (an address of a contact, a tag id)."""
    if parent is None or coll.embedded_field is None:
        return None
    members = parent.get(coll.embedded_field)
    if not isinstance(members, list):
        return None
    if coll.embedded_ids:
        return {"id": value} if value in members else None
    return next((m for m in members if isinstance(m, dict) and m.get("id") == value), None)
