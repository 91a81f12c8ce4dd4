"""Ids a generator process has seen and created, so that reads and deletes have targets.

Reads pick from ids harvested from list answers (the seeded data), never from what the run
itself created: those get deleted, and a read of a deleted item is a 404 that would count as an
error. Deletes take only ids this process created. Both pools are bounded.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ENOUGH_IDS", "IdPools"]

ENOUGH_IDS = 200  # a pool this full has targets enough: list answers are no longer parsed for it


class IdPools:
    def __init__(self, *, cap: int = 1000, created_names: Iterable[str] = (), seed: int | None = None) -> None:
        self.cap = cap
        self.created_names = frozenset(created_names)  # names our creates use: such items are ours
        self._seen: dict[str, deque[str]] = {}
        self._created: dict[str, deque[str]] = {}
        self._rng = random.Random(seed)

    def harvest(self, collection: str, items: Iterable[Any]) -> None:
        """Remember the ids of listed items that this or another load run did not create."""
        pool = self._seen.setdefault(collection, deque(maxlen=self.cap))
        known = set(pool)
        for item in items:
            if not isinstance(item, Mapping):
                continue
            ident = item.get("id")
            if not isinstance(ident, str) or ident in known or item.get("name") in self.created_names:
                continue
            pool.append(ident)
            known.add(ident)

    def wants(self, collection: str) -> bool:
        """Whether list answers of ``collection`` are still worth harvesting."""
        return len(self._seen.get(collection, ())) < min(ENOUGH_IDS, self.cap)

    def pick(self, collection: str) -> str | None:
        pool = self._seen.get(collection)
        return self._rng.choice(pool) if pool else None

    def add_created(self, collection: str, ident: Any) -> None:
        if isinstance(ident, str) and ident:
            self._created.setdefault(collection, deque(maxlen=self.cap)).append(ident)

    def pop_created(self, collection: str) -> str | None:
        pool = self._created.get(collection)
        return pool.popleft() if pool else None
