"""Resource lifecycle as a state machine: create, read, update, list and delete in generated orders,
checked after every step against a model of what must exist (BEHAVIOUR.md "Resources").

One machine per collection, run side by side with a dict model on ``self`` (invariants cannot
see bundles). Bundles carry ``ItemRef``s whose ``repr`` names the collection and id, so the
program Hypothesis prints for a failure can be read and replayed. Expectations for the answers
that differ per resource (the status of a GET after delete) come from ``conventions.resources``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from voipbin_harness.conventions.envelope import HTTP_FOR_STATUS, Status
from voipbin_harness.conventions.pagination import MAX_PAGE_SIZE, parse_timestamp
from voipbin_harness.conventions.resources import deleted_get_status, is_uuid

from . import strategies as s
from .actors import Actor
from .budget import machine
from .exchange import Exchange
from .expect import accepted_statuses
from .failures import Verdict
from .promises import P, R

LIFECYCLE_CHECK = R.LIFECYCLE_MODEL.id
LIFECYCLE_COLLECTIONS = ("flows", "agents", "queues", "tags")
#: Request fields a read never returns (secrets), whatever the item schema says.
_NEVER_ECHOED = frozenset({"password"})


@dataclass(frozen=True)
class ItemRef:
    collection: str
    id: str

    def __repr__(self) -> str:
        return f"ItemRef({self.collection!r}, {self.id!r})"


def _scalars(body: dict[str, Any], readable: set[str]) -> dict[str, Any]:
    """The fields of a sent body that a read must give back as sent."""
    return {k: v for k, v in body.items()
            if k in readable and k not in _NEVER_ECHOED and isinstance(v, (str, int, float, bool))}


def build_machine(actor: Actor, collection: str) -> type[RuleBasedStateMachine]:
    """A ``RuleBasedStateMachine`` over ``collection`` as ``actor``, with a model of its items."""
    spec = actor.api.spec
    for need in s.CRUD:  # a spec version without one of them: MissingOperation, the scenario is skipped
        spec.operation(need.format(collection))
    schema = spec.resolve(spec.operation(f"GET /{collection}/{{id}}").responses.get("200") or {}) or {}
    readable = set((schema.get("properties") or {}).keys()) if isinstance(schema, dict) else set()
    # after a delete: the resource's documented answer (BEHAVIOUR.md) or plain "not found", or, where
    # the spec does not declare those for the read, one of the client errors it declares
    declared = tuple(int(c) for c in spec.operation(f"GET /{collection}/{{id}}").declared_statuses if c.isdigit())
    after_delete = accepted_statuses(declared, {deleted_get_status(collection), HTTP_FOR_STATUS[Status.NOT_FOUND]})

    class Lifecycle(RuleBasedStateMachine):
        live = Bundle("live")
        gone = Bundle("gone")

        def __init__(self) -> None:
            super().__init__()
            self.model: dict[str, dict[str, Any]] = {}
            self.deleted: set[str] = set()

        def check(self) -> Verdict:
            return Verdict(P.LIFECYCLE, LIFECYCLE_CHECK)

        def _expect_fields(self, verdict: Verdict, exchange: Exchange, item_id: str, what: str) -> None:
            data = exchange.data if isinstance(exchange.data, dict) else {}
            verdict.expect(data.get("id") == item_id, exchange, f"{what} answered an object whose id is "
                           f"{data.get('id')!r}", expected=f"the item {item_id}", key=f"{what}:id")
            wrong = {k: (v, data.get(k)) for k, v in self.model.get(item_id, {}).items() if data.get(k) != v}
            verdict.expect(not wrong, exchange, f"{what} answered fields that differ from what was last written: "
                           f"{sorted(wrong)}", expected=f"{ {k: v[0] for k, v in wrong.items()} }",
                           got=f"{ {k: v[1] for k, v in wrong.items()} }", key=f"{what}:fields")

        @rule(target=live, body=s.create_bodies(collection))
        def create(self, body: dict[str, Any]) -> Any:
            exchange, item_id = actor.create(collection, body)
            with self.check() as verdict:
                if not verdict.expect(item_id is not None and exchange.ok, exchange, f"POST /{collection} "
                                      f"answered HTTP {exchange.status} without an item", expected="2xx with the item",
                                      key="create"):
                    return None
                data = exchange.data
                sent = orjson.loads(exchange.request_body or b"{}")
                verdict.expect(is_uuid(item_id), exchange, f"the new id {item_id!r} is not a UUID",
                               expected="id: a UUID set by the server", key="create:uuid")
                verdict.expect(data.get("customer_id") in (None, actor.customer_id), exchange,
                               f"the new item's customer_id is {data.get('customer_id')!r}",
                               expected=f"the caller's customer {actor.customer_id}", key="create:customer_id")
                if "tm_create" in readable:
                    verdict.expect(parse_timestamp(str(data.get("tm_create"))) is not None, exchange,
                                   f"tm_create {data.get('tm_create')!r} is not an RFC 3339 UTC timestamp",
                                   expected="tm_create set by the server", key="create:tm_create")
                self.model[item_id] = _scalars(sent, readable)
                self._expect_fields(verdict, exchange, item_id, "create")
            return ItemRef(collection, item_id)

        @rule(item=live)
        def read(self, item: ItemRef | None) -> None:
            if item is None:
                return
            exchange = actor.get(f"/{collection}/{item.id}")
            with self.check() as verdict:
                if verdict.expect(exchange.status == 200, exchange, f"GET of an existing item answered HTTP "
                                  f"{exchange.status}", expected="HTTP 200", key=f"read:{exchange.status}"):
                    self._expect_fields(verdict, exchange, item.id, "read")

        @rule(item=live, body=s.update_bodies(collection))
        def update(self, item: ItemRef | None, body: dict[str, Any]) -> None:
            if item is None:
                return
            exchange = actor.put(f"/{collection}/{item.id}", body)
            with self.check() as verdict:
                if verdict.expect(exchange.status == 200, exchange, f"PUT of an existing item answered HTTP "
                                  f"{exchange.status}", expected="HTTP 200 with the whole object",
                                  key=f"update:{exchange.status}"):
                    self.model[item.id].update(_scalars(body, readable))
                    self._expect_fields(verdict, exchange, item.id, "update")

        @rule(target=gone, item=consumes(live))
        def delete(self, item: ItemRef | None) -> Any:
            if item is None:
                return None
            exchange = actor.delete(f"/{collection}/{item.id}")
            with self.check() as verdict:
                self.model.pop(item.id, None)
                self.deleted.add(item.id)
                verdict.expect(exchange.status == 200, exchange, f"DELETE of an existing item answered HTTP "
                               f"{exchange.status}", expected="HTTP 200 with the deleted object",
                               key=f"delete:{exchange.status}")
            return item

        @rule(item=gone)
        def read_deleted(self, item: ItemRef | None) -> None:
            if item is None:
                return
            exchange = actor.get(f"/{collection}/{item.id}")
            with self.check() as verdict:
                verdict.expect(exchange.status in after_delete, exchange, f"GET after DELETE answered HTTP "
                               f"{exchange.status}", expected=f"HTTP {' or '.join(map(str, sorted(after_delete)))}",
                               key=f"read-deleted:{exchange.status}")
                if exchange.status == 200 and isinstance(exchange.data, dict):
                    verdict.expect(exchange.data.get("tm_delete") is not None, exchange,
                                   "a deleted item read back without tm_delete", expected="tm_delete set",
                                   key="read-deleted:tm_delete")

        @invariant()
        def list_matches_model(self) -> None:
            walk = actor.walk(collection, page_size=MAX_PAGE_SIZE, max_pages=50)
            listed = set(walk.ids)
            with self.check() as verdict:
                missing = sorted(set(self.model) - listed)
                shown = sorted(self.deleted & listed)
                verdict.expect(walk.ended, walk.at, walk.why, expected="a list walk that ends", key="list:walk")
                verdict.expect(not missing, walk.last, f"{len(missing)} existing item(s) missing from the list",
                               expected="every created, not deleted item listed", got=f"missing {missing[:5]}",
                               key="list:missing")
                verdict.expect(not shown, walk.last, f"{len(shown)} deleted item(s) still listed",
                               expected="deleted items left out of the list", got=f"listed {shown[:5]}",
                               key="list:deleted")

        def teardown(self) -> None:
            for item_id in list(self.model):
                actor.delete(f"/{collection}/{item_id}")

    Lifecycle.__name__ = f"Lifecycle_{collection}"
    return Lifecycle


@pytest.mark.writes
@pytest.mark.promise(P.LIFECYCLE)
@pytest.mark.parametrize("collection", LIFECYCLE_COLLECTIONS)
def test_lifecycle_matches_the_model(alpha: Actor, collection: str) -> None:
    run_state_machine_as_test(build_machine(alpha, collection), settings=machine(8, 12))
