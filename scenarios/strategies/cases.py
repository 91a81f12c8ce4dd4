"""Composite cases over a scenario's collections: what to create, update, walk or break, drawn
together so that Hypothesis shrinks them as one (``ResourceCase``, ``Batch``, ``GrowingBatch``,
``BadBodyCase``, ``SpendBodies``, ``FieldCase``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from voipbin_harness.conventions.resources import INSUFFICIENT_BALANCE_OPERATIONS

from .binding import CRUD, Printed, kept, sampled
from .bodies import BadBody, bad_bodies, breakable, create_bodies, request_bodies, update_bodies
from .paging import item_counts

__all__ = ["BadBodyCase", "Batch", "FieldCase", "GrowingBatch", "ResourceCase", "SpendBodies", "bad_body_cases",
           "batches", "e164_cases", "growing_batches", "resource_cases", "spend_bodies"]


@dataclass(frozen=True)
class ResourceCase(Printed):
    """A collection with a body to create an item and a body to update it."""

    collection: str
    create: dict[str, Any]
    update: dict[str, Any]

    def __repr__(self) -> str:
        return (f"ResourceCase({self.collection}, create={json.dumps(self.create, ensure_ascii=False)[:120]}, "
                f"update={json.dumps(self.update, ensure_ascii=False)[:120]})")


def resource_cases(collections: tuple[str, ...]) -> st.SearchStrategy[ResourceCase]:
    """One of ``collections`` with a valid create body and a valid update body for it."""
    @st.composite
    def case(draw: st.DrawFn) -> ResourceCase:
        collection = draw(sampled(collections, *CRUD))
        return ResourceCase(collection, draw(create_bodies(collection)), draw(update_bodies(collection)))

    return case()


@dataclass(frozen=True)
class Batch(Printed):
    """Bodies to create ``len(bodies)`` items of one collection, in order."""

    collection: str
    bodies: tuple[dict[str, Any], ...]

    def __repr__(self) -> str:
        return f"Batch({self.collection}, {len(self.bodies)} items)"


def batches(collections: tuple[str, ...], counts: st.SearchStrategy[int] | None = None) -> st.SearchStrategy[Batch]:
    """A collection and a generated number of valid create bodies for it."""
    @st.composite
    def batch(draw: st.DrawFn) -> Batch:
        collection = draw(sampled(collections, "POST /{}", "GET /{}"))
        count = draw(counts if counts is not None else item_counts())
        return Batch(collection, tuple(draw(create_bodies(collection)) for _ in range(count)))

    return batch()


@dataclass(frozen=True)
class SpendBodies(Printed):
    """A valid body for each operation that spends balance (``resources.INSUFFICIENT_BALANCE_OPERATIONS``)."""

    bodies: tuple[tuple[str, dict[str, Any]], ...]

    def for_operation(self, path: str) -> dict[str, Any]:
        return dict(self.bodies)[path]

    def __repr__(self) -> str:
        return "SpendBodies(" + ", ".join(f"{p}={json.dumps(b)[:80]}" for p, b in self.bodies) + ")"


def spend_bodies() -> st.SearchStrategy[SpendBodies]:
    labels = [f"{method} {path}" for method, path in INSUFFICIENT_BALANCE_OPERATIONS]
    return st.tuples(*(request_bodies(label) for label in labels)).map(
        lambda bodies: SpendBodies(tuple((label.split(" ", 1)[1], body) for label, body in zip(labels, bodies,
                                                                                               strict=True))))


@dataclass(frozen=True)
class BadBodyCase(Printed):
    collection: str
    bad: BadBody


def bad_body_cases(collections: tuple[str, ...], kind: str) -> st.SearchStrategy[BadBodyCase]:
    """One of ``collections`` whose create body can be broken in way ``kind``, and such a body."""
    def build() -> st.SearchStrategy[BadBodyCase]:
        eligible = [c for c in kept(collections, ("POST /{}",)) if breakable(c, kind)]
        if not eligible:
            raise ValueError(f"none of {collections} has a create body to break with {kind}")
        return st.sampled_from(eligible).flatmap(
            lambda c: bad_bodies(c, (kind,)).map(lambda bad: BadBodyCase(c, bad)))

    return st.deferred(build)


@dataclass(frozen=True)
class GrowingBatch(Printed):
    """Bodies for items created before a walk, and for more created during it (one collection)."""

    collection: str
    before: tuple[dict[str, Any], ...]
    during: tuple[dict[str, Any], ...]

    def __repr__(self) -> str:
        return f"GrowingBatch({self.collection}, {len(self.before)} before, {len(self.during)} during the walk)"


def growing_batches(collections: tuple[str, ...]) -> st.SearchStrategy[GrowingBatch]:
    @st.composite
    def batch(draw: st.DrawFn) -> GrowingBatch:
        collection = draw(sampled(collections, "POST /{}", "GET /{}"))
        before = tuple(draw(create_bodies(collection)) for _ in range(draw(item_counts())))
        during = tuple(draw(create_bodies(collection)) for _ in range(draw(st.integers(1, 4))))
        return GrowingBatch(collection, before, during)

    return batch()


@dataclass(frozen=True)
class FieldCase(Printed):
    """A valid body for ``label`` in which the scenario replaces ``field``."""

    label: str
    field: str
    body: dict[str, Any]


def e164_cases(fields: tuple[tuple[str, str, dict[str, Any]], ...]) -> st.SearchStrategy[FieldCase]:
    """One of ``(label, field, fixed values)``: a valid body for the operation, the fixed values set."""
    return st.sampled_from(fields).flatmap(
        lambda entry: request_bodies(entry[0]).map(lambda body: FieldCase(entry[0], entry[1], {**body, **entry[2]})))
