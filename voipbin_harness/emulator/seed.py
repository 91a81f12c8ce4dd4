"""The seeded state: each tenant's account objects, agents and access key, plus a few generated
items in every listable collection, created on first touch and deterministic for a seed.

Seeded items carry fixed 2026 timestamps (older than anything created at run time) and ids drawn
from ``random.Random(f"{seed}:{customer}:{collection}:{n}")``, so two emulators started with the
same ``--seed`` serve the same data in whatever order it is first read.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from ..conventions.pagination import timestamp
from .catalog import Catalog, CollectionSpec
from .generate import Generator, new_uuid
from .state import CustomerStore, Login, State, StoreKey
from .tenants import DEFAULT_BALANCE, Tenant
from .types import Item

__all__ = ["Seeder"]

_SEED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
_TOP_LEVEL_ITEMS = 3
_NESTED_ITEMS = 2
ACCOUNT_SINGLETONS = ("customer", "billing_account", "storage_account", "outbound_config")


class Seeder:
    """Fills stores: ``populate`` when a customer's store is created, ``collection`` on first touch."""

    def __init__(self, catalog: Catalog, generator: Generator, tenants: tuple[Tenant, ...], seed: int) -> None:
        self.catalog = catalog
        self.generator = generator
        self.tenants = {t.customer_id: t for t in tenants}
        self.seed = seed
        self._base_keys = {"/agents", "/accesskeys"} | {
            home.key for name in ACCOUNT_SINGLETONS if (home := catalog.singleton_home(name)) is not None}

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def _stamp(self, n: int) -> str:
        return timestamp(_SEED_TIME + timedelta(minutes=n))

    def _item(self, coll: CollectionSpec | None, rng: random.Random, **overrides: Any) -> Item:
        item = self.generator.value(coll.item_schema, rng) if coll is not None and coll.item_schema else {}
        item = item if isinstance(item, dict) else {}
        props = self.generator.tools.properties(coll.item_schema) if coll is not None and coll.item_schema else {}
        for name, value in overrides.items():
            if name in props or name in ("id",):
                item[name] = value
        return item

    # -- a customer's base objects --------------------------------------------------------------
    def populate(self, state: State, store: CustomerStore) -> None:
        tenant = self.tenants.get(store.customer_id)
        store.balance = tenant.balance if tenant else DEFAULT_BALANCE
        cid = store.customer_id
        for n, name in enumerate(ACCOUNT_SINGLETONS):
            home = self.catalog.singleton_home(name)
            if home is None:
                continue
            rng = self._rng(cid, name)
            overrides: dict[str, Any] = {"id": cid} if name == "customer" else {}
            if tenant is not None:
                overrides.update(name=tenant.name, detail=f"seeded {name} of {tenant.name}")
            if name == "customer" and tenant is not None:
                overrides["email"] = tenant.admin.username
            if name == "customer":
                overrides.update(_preferred(self.generator, home, status="active"))
            if name == "billing_account":
                overrides.update(balance_credit=int(store.balance))
            item = self._item(home, rng, **overrides)
            state.insert(store, (home.key, ()), item, stamp=self._stamp(n))
            store.singletons[name] = ((home.key, ()), item["id"])
        agents = self.catalog.collection("/agents")
        for n, agent in enumerate(tenant.agents if tenant else ()):
            item = self._item(agents, self._rng(cid, "agent", agent.username), id=agent.id, username=agent.username,
                              name=agent.username.split("@")[0], permission=agent.permission)
            state.insert(store, ("/agents", ()), item, stamp=self._stamp(10 + n))
            state.logins[agent.username] = Login(cid, agent.id, agent.password)
        if tenant is not None and tenant.accesskey:
            keys = self.catalog.collection("/accesskeys")
            item = self._item(keys, self._rng(cid, "accesskey"), name=f"{tenant.name} seeded key",
                              detail="documented test key", token_prefix=tenant.accesskey[:8])
            item.pop("token", None)
            item.pop("tm_expire", None)
            state.insert(store, ("/accesskeys", ()), item, stamp=self._stamp(20))
            state.accesskeys[tenant.accesskey] = (cid, item["id"])

    # -- generated items ------------------------------------------------------------------------
    def collection(self, state: State, store: CustomerStore, key: StoreKey) -> None:
        template, parents = key
        coll = self.catalog.collection(template)
        if coll is None or not coll.has_list or coll.embedded_field or template in self._base_keys:
            return
        count = _NESTED_ITEMS if parents else _TOP_LEVEL_ITEMS
        link = _parent_link(coll)
        for n in range(count):
            item = self._item(coll, self._rng(store.customer_id, template, "/".join(parents), n))
            if link and parents and link in item:
                item[link] = parents[-1]
            item["id"] = new_uuid(self._rng(store.customer_id, template, "/".join(parents), n, "id"))
            state.insert(store, key, item, stamp=self._stamp(100 + n))


def _preferred(generator: Generator, coll: CollectionSpec, **wanted: str) -> dict[str, str]:
    """The wanted values of enum fields, where the schema allows them (a seeded customer is active)."""
    props = generator.tools.properties(coll.item_schema) if coll.item_schema is not None else {}
    out = {}
    for name, value in wanted.items():
        enum = generator.tools.flat(props[name]).get("enum") if name in props else None
        if isinstance(enum, list) and value in enum:
            out[name] = value
    return out


def _parent_link(coll: CollectionSpec) -> str | None:
    """The field of a nested item that names its parent: ``outdial_id`` under ``/outdials/{}``."""
    parent = coll.parent
    if parent is None:
        return None
    name = parent.resource
    return (name[:-1] if name.endswith("s") else name) + "_id"
