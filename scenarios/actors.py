"""Who sends the scenarios' requests (``Actor``: the primary customer, the other customer, a
customer-agent-level agent), what they create, and how a list is walked page by page.

The walk is bounded: it stops after ``max_pages`` or when a ``next_page_token`` repeats, and says
why, so that a target whose token never ends or loops yields a finding instead of a hang.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from voipbin_harness.conventions.pagination import (
    NEXT_TOKEN_FIELD,
    PAGE_SIZE_PARAM,
    PAGE_TOKEN_PARAM,
    RESULT_FIELD,
)

from .client import Api, Auth
from .exchange import Exchange

__all__ = ["Actor", "Page", "Walk", "created_id", "unique_body"]

#: Fields that must be unique per customer when creating (the scenario suffixes them).
UNIQUE_FIELDS: dict[str, tuple[str, ...]] = {"agents": ("username",), "extensions": ("extension",)}


def unique_body(collection: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with a run-unique suffix on the fields the collection keeps unique."""
    fields = UNIQUE_FIELDS.get(collection, ())
    if not fields:
        return body
    tag = uuid.uuid4().hex[:10]
    changed = dict(body)
    for name in fields:
        if name == "username":
            changed[name] = f"scn-{tag}@scenarios.test"
        else:
            changed[name] = f"{changed.get(name, '')}{tag}"[-40:]
    return changed


def created_id(exchange: Exchange) -> str | None:
    """The id of what a create answered with, if it answered with an object that has one."""
    data = exchange.data
    if exchange.ok and isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return None


@dataclass
class Actor:
    """One identity talking to the target: ``name`` for reports, ``auth`` for requests."""

    api: Api
    auth: Auth
    name: str
    customer_id: str | None = None
    _tracking: list[tuple[str, str]] | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # printed by pytest and Hypothesis on failure: no credential in it
        return f"Actor({self.name}, {self.auth!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def request(self, method: str, path: str, **kwargs: Any) -> Exchange:
        return self.api.request(method, path, auth=kwargs.pop("auth", self.auth), **kwargs)

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Exchange:
        return self.request("POST", path, json=body if body is not None else {}, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Exchange:
        return self.request("PUT", path, json=body if body is not None else {}, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", path, **kwargs)

    def create(self, collection: str, body: dict[str, Any]) -> tuple[Exchange, str | None]:
        """``POST /<collection>``; inside ``cleanup()`` the item is deleted when the block ends."""
        exchange = self.post(f"/{collection}", unique_body(collection, body))
        item_id = created_id(exchange)
        if item_id and self._tracking is not None:
            self._tracking.append((collection, item_id))
        return exchange, item_id

    @contextmanager
    def cleanup(self) -> Iterator[None]:
        """Delete (newest first) every item this actor creates inside the block, whatever happens."""
        outer, self._tracking = self._tracking, []
        try:
            yield
        finally:
            made, self._tracking = self._tracking, outer
            for collection, item_id in reversed(made):
                self.delete(f"/{collection}/{item_id}")

    @contextmanager
    def created(self, collection: str, body: dict[str, Any]) -> Iterator[tuple[Exchange, str | None]]:
        """Create one item, hand it over, and delete it again whatever happens in between."""
        with self.cleanup():
            yield self.create(collection, body)

    def walk(self, collection: str, *, page_size: int | str | None = None, max_pages: int = 200,
             params: dict[str, Any] | None = None, between_pages: Any = None) -> Walk:
        """Follow ``next_page_token`` from the first page to the end, or until a bound trips.

        ``between_pages(page_number)`` runs after each page (items created during a walk).
        """
        result = Walk()
        base = dict(params or {})
        if page_size is not None:
            base[PAGE_SIZE_PARAM] = page_size
        token: str | None = None
        used: set[str] = set()
        for number in range(max_pages):
            query = dict(base)
            if token:
                query[PAGE_TOKEN_PARAM] = token
            exchange = self.get(f"/{collection}", params=query)
            data = exchange.data
            if exchange.status != 200 or not isinstance(data, dict) or not isinstance(data.get(RESULT_FIELD), list):
                result.stop(exchange, f"page {number + 1} of the walk answered {exchange.status} "
                                      f"without a {RESULT_FIELD!r} array")
                return result
            next_token = data.get(NEXT_TOKEN_FIELD)
            items = [i for i in data[RESULT_FIELD] if isinstance(i, dict)]
            result.pages.append(Page(exchange, items, next_token if isinstance(next_token, str) else None))
            if between_pages is not None:
                between_pages(number + 1)
            if not next_token or not isinstance(next_token, str):
                result.ended = True
                return result
            if next_token in used or next_token == token:
                result.stop(exchange, f"next_page_token {next_token!r} on page {number + 1} was already used: "
                                      "following it would loop forever")
                return result
            used.add(next_token)
            token = next_token
        result.stop(result.pages[-1].exchange if result.pages else None,
                    f"the walk did not end within {max_pages} pages (bound of this scenario)")
        return result


@dataclass
class Page:
    exchange: Exchange
    items: list[dict[str, Any]]
    token: str | None  # next_page_token as answered; None when absent or not a string


@dataclass
class Walk:
    """The pages of one walk; ``ended`` when a page said it was the last, else ``why`` it stopped."""

    pages: list[Page] = field(default_factory=list)
    ended: bool = False
    why: str = ""
    at: Exchange | None = None

    def stop(self, exchange: Exchange | None, why: str) -> None:
        self.why, self.at = why, exchange

    @property
    def items(self) -> list[dict[str, Any]]:
        return [item for page in self.pages for item in page.items]

    @property
    def ids(self) -> list[Any]:
        return [item.get("id") for item in self.items]

    @property
    def last(self) -> Exchange | None:
        return self.pages[-1].exchange if self.pages else self.at
