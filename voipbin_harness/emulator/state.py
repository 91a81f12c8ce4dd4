"""Per-customer in-memory state: one generic store per collection, behind one lock.

``State.stores[customer_id]`` is created lazily (moto's ``BackendDict``, minus module globals);
``reset()`` puts the seeded state back. A collection is a list of items in creation order with
the rules every resource shares: server-set fields, soft delete, newest-first pages with a
``tm_create`` cursor. Nothing here knows about HTTP; per-resource quirks are tables in
``conventions.resources`` read by the handlers.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..conventions.pagination import timestamp
from ..conventions.resources import SERVER_SET_FIELDS
from .generate import new_uuid
from .types import Item

__all__ = ["CustomerStore", "Items", "Login", "State", "StoreKey"]

StoreKey = tuple[str, tuple[str, ...]]
_SERVER_SET = frozenset(SERVER_SET_FIELDS) - {"id"}  # (normalised collection template, parent ids)


class Items:
    """One collection of one customer: items by id, plus creation order for paging."""

    __slots__ = ("by_id", "key", "order", "pages", "stamps", "version")

    def __init__(self, key: StoreKey) -> None:
        self.key = key
        self.by_id: dict[str, Item] = {}
        self.order: list[str] = []  # ids, oldest first
        self.stamps: list[str] = []  # their tm_create, same order (fixed-width, so sortable as text)
        self.version = 0
        self.pages: dict[Any, Any] = {}  # serialised pages, valid for this version only

    def add(self, item: Item) -> None:
        stamp = str(item.get("tm_create") or "")
        at = bisect.bisect_right(self.stamps, stamp)
        self.stamps.insert(at, stamp)
        self.order.insert(at, item["id"])
        self.by_id[item["id"]] = item
        self.touch()

    def touch(self) -> None:
        self.version += 1
        if self.pages:
            self.pages = {}

    def newest_first(self, before: str | None = None) -> Iterator[Item]:
        """Items newest first; with ``before``, only those created strictly before it."""
        end = bisect.bisect_left(self.stamps, before) if before else len(self.order)
        by_id, order = self.by_id, self.order
        for i in range(end - 1, -1, -1):
            yield by_id[order[i]]

    def page(self, size: int, token: str | None, keep: Callable[[Item], bool] | None = None,
             skip: int = 0) -> tuple[list[Item], bool]:
        """Up to ``size`` live items older than ``token`` (newest first), and whether more follow."""
        out: list[Item] = []
        for item in self.newest_first(token or None):
            if item.get("tm_delete") or (keep is not None and not keep(item)):
                continue
            if skip:
                skip -= 1
                continue
            if len(out) == size:
                return out, True
            out.append(item)
        return out, False


@dataclass
class Login:
    """What ``POST /auth/login`` checks: the agent behind a username."""

    customer_id: str
    agent_id: str
    password: str


@dataclass
class CustomerStore:
    """All of one customer's collections, plus account facts the control endpoints set."""

    customer_id: str
    balance: float = 0.0
    frozen: bool = False
    collections: dict[StoreKey, Items] = field(default_factory=dict)
    singletons: dict[str, tuple[StoreKey, str]] = field(default_factory=dict)  # name -> where its item is


class State:
    """Every customer's store plus the global indexes (owners, logins, access keys)."""

    def __init__(self, seed: int, populate: Callable[[State, CustomerStore], None],
                 seed_collection: Callable[[State, CustomerStore, StoreKey], None]) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self._populate = populate
        self._seed_collection = seed_collection
        self.reset()

    def reset(self) -> None:
        """Back to the seeded state (tenants' base objects are re-created on first use)."""
        with self.lock:
            self.stores: dict[str, CustomerStore] = {}
            self.owners: dict[str, tuple[str, StoreKey]] = {}  # item id -> (customer, collection)
            self.logins: dict[str, Login] = {}
            self.accesskeys: dict[str, tuple[str, str]] = {}  # raw key -> (customer, item id)
            self.rng = random.Random(f"{self.seed}:created")
            self._last = datetime(2000, 1, 1, tzinfo=UTC)

    # -- time and ids -------------------------------------------------------------------------
    def now(self) -> str:
        """Now, as a ``tm_*`` string, strictly later than any stamp handed out before."""
        moment = datetime.now(UTC)
        if moment <= self._last:
            moment = self._last + timedelta(microseconds=1)
        self._last = moment
        return timestamp(moment)

    def new_id(self) -> str:
        return new_uuid(self.rng)

    # -- stores -------------------------------------------------------------------------------
    def store(self, customer_id: str) -> CustomerStore:
        found = self.stores.get(customer_id)
        if found is None:
            found = self.stores[customer_id] = CustomerStore(customer_id)
            self._populate(self, found)
        return found

    def items(self, store: CustomerStore, key: StoreKey) -> Items:
        """A collection of ``store``, seeded the first time it is touched."""
        found = store.collections.get(key)
        if found is None:
            found = store.collections[key] = Items(key)
            self._seed_collection(self, store, key)
        return found

    # -- writes (server-set fields live here) ---------------------------------------------------
    def insert(self, store: CustomerStore, key: StoreKey, item: Item, *, stamp: str | None = None) -> Item:
        """Add ``item`` with the server-set fields: id, customer_id, tm_create, tm_update/tm_delete null."""
        fields = {k: v for k, v in item.items() if k not in _SERVER_SET}
        item.clear()  # rebuilt in place, so that callers holding it see the stored item
        item.update(id=fields.pop("id", None) or self.new_id(), customer_id=store.customer_id)
        item.update(fields)
        item.update(tm_create=stamp or self.now(), tm_update=None, tm_delete=None)
        self.items(store, key).add(item)
        self.owners[item["id"]] = (store.customer_id, key)
        return item

    def update(self, store: CustomerStore, key: StoreKey, item: Item, changes: dict[str, Any]) -> Item:
        item.update(changes)
        item["tm_update"] = self.now()
        self.items(store, key).touch()
        return item

    def soft_delete(self, store: CustomerStore, key: StoreKey, item: Item) -> Item:
        stamp = self.now()
        item["tm_delete"] = stamp
        item["tm_update"] = stamp
        self.items(store, key).touch()
        return item

    # -- reads --------------------------------------------------------------------------------
    def owner(self, item_id: str) -> tuple[str, StoreKey] | None:
        return self.owners.get(item_id)

    def get(self, customer_id: str, key: StoreKey, item_id: str) -> Item | None:
        store = self.stores.get(customer_id)
        items = store.collections.get(key) if store is not None else None
        return items.by_id.get(item_id) if items is not None else None
