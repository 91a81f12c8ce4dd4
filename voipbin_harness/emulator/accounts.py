"""The resources that are also credentials: agents (usernames and passwords) and access keys.

These are the only per-resource rules in code, because they feed authentication: a created agent
can log in, a changed password takes effect, a username is unique (gateway: 409 ALREADY_EXISTS; the
spec promises no such conflict, so in the conformant profile the newest agent takes the login); a created
access key is returned once with its raw value in ``token`` (never stored in the item) and may
expire (``expire`` seconds from now, in ``tm_expire``); deleting either disables it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..conventions.auth import new_access_key
from ..conventions.envelope import Reason, Status
from ..conventions.pagination import timestamp
from .catalog import CollectionSpec
from .context import AppLike, Ctx
from .errors import ApiError
from .state import Login
from .types import Item

if TYPE_CHECKING:
    from .lookup import Found

__all__ = ["after_create", "before_create", "on_changes"]

_MAX_EXPIRE_SECONDS = 100 * 365 * 86400


def before_create(app: AppLike, ctx: Ctx, coll: CollectionSpec, item: Item, body: Any) -> dict[str, Any]:
    """Checks and fields before a create; returns extra fields for the create's answer only."""
    body = body if isinstance(body, dict) else {}
    if coll.resource == "agents":
        username = body.get("username")
        if isinstance(username, str) and not app.conformant and _login_taken(app, username):
            raise ApiError(Status.ALREADY_EXISTS, Reason.ALREADY_EXISTS, f"username {username!r} is taken")
        return {}
    if coll.resource == "accesskeys":
        raw = new_access_key()
        item["token_prefix"] = raw[:8]
        item.pop("token", None)
        item.pop("tm_expire", None)
        expire = body.get("expire")
        if isinstance(expire, int) and not isinstance(expire, bool) and expire != 0:
            seconds = max(-_MAX_EXPIRE_SECONDS, min(expire, _MAX_EXPIRE_SECONDS))
            item["tm_expire"] = timestamp(datetime.now(UTC) + timedelta(seconds=seconds))
        return {"token": raw}
    return {}


def after_create(app: AppLike, ctx: Ctx, coll: CollectionSpec, item: Item, body: Any,
                 extra: dict[str, Any]) -> None:
    """Index what a created item means for authentication (now that it has an id)."""
    body = body if isinstance(body, dict) else {}
    store = ctx.store
    assert store is not None
    if coll.resource == "agents":
        username, password = item.get("username"), body.get("password")
        if isinstance(username, str) and username:
            app.state.logins[username] = Login(store.customer_id, item["id"], password if isinstance(password, str) else "")
    elif coll.resource == "accesskeys":
        raw = extra.get("token")
        if isinstance(raw, str):
            app.state.accesskeys[raw] = (store.customer_id, item["id"])


def on_changes(app: AppLike, ctx: Ctx, found: Found, changes: dict[str, Any]) -> None:
    """A password in an agent's update body (``PUT /agents/{id}/password``, ``/me/password``)."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    password = body.get("password")
    if not isinstance(password, str) or found.coll is None or found.coll.resource != "agents":
        return
    username = found.item.get("username")
    login = app.state.logins.get(username) if isinstance(username, str) else None
    if login is not None and login.agent_id == found.item.get("id"):
        login.password = password


def _login_taken(app: AppLike, username: str) -> bool:
    login = app.state.logins.get(username)
    if login is None:
        return False
    agent = app.state.get(login.customer_id, ("/agents", ()), login.agent_id)
    return agent is None or not agent.get("tm_delete")
