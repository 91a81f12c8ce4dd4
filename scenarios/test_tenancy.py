"""Tenancy and permission: one customer never sees nor touches another's resources, and an agent
without the permission is refused (BEHAVIOUR.md "Authentication", docs).

Two readings meet here. Both agree that another customer's resource must never be served
(``tenant_isolation``: any 2xx is a critical finding). On the status they differ: the gateway's
code answers 403 for most resources (404 for accesskeys and contact addresses), the docs say 404.
The scenarios hold the target to the docs (``other_customer_status``), and each such finding
says when the target answered what the gateway's code answers instead.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.conventions.pagination import PAGE_SIZE_PARAM, RESULT_FIELD
from voipbin_harness.conventions.resources import other_customer_status

from . import strategies as s
from .actors import Actor
from .budget import examples
from .exchange import Exchange
from .expect import expect_envelope, expect_error
from .failures import Verdict
from .promises import P, R

ISOLATION_CHECK = R.TENANT_ISOLATION.id
STATUS_CHECK = R.OTHER_CUSTOMER_STATUS.id
LIST_CHECK = R.LIST_ISOLATION.id
PERMISSION_CHECK = R.AGENT_PERMISSION.id

#: Collections the write scenario creates in (simple bodies, CRUD routes on /<c> and /<c>/{id}).
WRITE_COLLECTIONS = ("flows", "tags", "queues", "accesskeys")
#: Collections whose lists and items are read (read-only scenarios, safe on a live target).
READ_COLLECTIONS = ("flows", "tags", "queues", "agents", "accesskeys", "numbers", "outplans", "extensions")


def expect_refused_for_other(verdict: Verdict, exchange: Exchange, collection: str, what: str) -> None:
    """Another customer's item: never 2xx; the docs' status; the envelope."""
    docs = other_customer_status(collection, docs=True)
    gateway = other_customer_status(collection)
    if exchange.ok:
        verdict.fail(exchange, f"{what} another customer's {collection} item answered HTTP {exchange.status}: "
                     "the item is not isolated", expected=f"HTTP {docs} (docs) or {gateway} (gateway code)",
                     check=ISOLATION_CHECK, key=f"{what}:{exchange.status}", severity="critical")
        return
    if exchange.status != docs:
        note = (f"; this is the gateway code's answer (BEHAVIOUR.md: {gateway}), not the docs' "
                if exchange.status == gateway else "")
        verdict.fail(exchange, f"{what} another customer's {collection} item answered HTTP {exchange.status}, "
                     f"the docs say {docs}{note}", expected=f"HTTP {docs} (docs reading)", check=STATUS_CHECK,
                     key=f"{exchange.status}", severity="low")
    expect_envelope(verdict, exchange)


# -- with writes: a fresh item of the other customer ----------------------------------------------
@pytest.mark.writes
@pytest.mark.promise(P.TENANT_ISOLATION)
@examples(12)
@given(case=s.resource_cases(WRITE_COLLECTIONS))
def test_other_customer_cannot_get_update_delete_or_list(alpha: Actor, bravo: Actor, case: s.ResourceCase) -> None:
    collection = case.collection
    with Verdict(P.TENANT_ISOLATION, ISOLATION_CHECK) as verdict, \
            bravo.created(collection, case.create) as (made, item_id):
        if not verdict.expect(item_id is not None, made, f"the other customer could not create a {collection} item "
                              f"(HTTP {made.status}), so isolation cannot be checked", expected="2xx with an id",
                              check=R.RESOURCE_CREATE.id, key=f"create:{collection}", promise=P.LIFECYCLE):
            return
        path = f"/{collection}/{item_id}"
        before = bravo.get(path)
        expect_refused_for_other(verdict, alpha.get(path), collection, "GET of")
        expect_refused_for_other(verdict, alpha.put(path, case.update), collection, "PUT of")
        after_put = bravo.get(path)
        changed = {k for k, v in case.update.items()
                   if isinstance(after_put.data, dict) and isinstance(before.data, dict)
                   and after_put.data.get(k) == v and before.data.get(k) != v}
        verdict.expect(not changed, after_put, f"another customer's PUT changed {sorted(changed)} of the item",
                       expected="the item unchanged", key="put-applied", severity="critical")
        expect_refused_for_other(verdict, alpha.delete(path), collection, "DELETE of")
        still = bravo.get(path)
        verdict.expect(still.status == before.status, still, f"after another customer's DELETE the owner's GET "
                       f"answers HTTP {still.status} (was {before.status})", expected=f"HTTP {before.status}",
                       key="delete-applied", severity="critical")
        walk = alpha.walk(collection, page_size=100)
        verdict.expect(item_id not in walk.ids, walk.last, f"the {collection} list of one customer shows an item of "
                       "another customer", expected="only the caller's items", check=LIST_CHECK,
                       key=f"list:{collection}", promise=P.LIST_ISOLATION, severity="critical")


# -- read-only: the other customer's existing items -----------------------------------------------
@pytest.mark.promise(P.TENANT_ISOLATION)
@pytest.mark.parametrize("collection", READ_COLLECTIONS)
def test_other_customer_cannot_read_existing_items(alpha: Actor, bravo: Actor, collection: str) -> None:
    theirs = bravo.get(f"/{collection}", params={PAGE_SIZE_PARAM: 5})
    items = theirs.data.get(RESULT_FIELD) if isinstance(theirs.data, dict) else None
    if not items:
        pytest.skip(f"the other customer has no {collection} to try (HTTP {theirs.status})")
    with Verdict(P.TENANT_ISOLATION, ISOLATION_CHECK) as verdict:
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                expect_refused_for_other(verdict, alpha.get(f"/{collection}/{item['id']}"), collection, "GET of")


@pytest.mark.promise(P.LIST_ISOLATION)
@pytest.mark.parametrize("collection", READ_COLLECTIONS)
def test_lists_show_only_the_callers_items(alpha: Actor, bravo: Actor, collection: str) -> None:
    mine = alpha.walk(collection, page_size=100, max_pages=50)
    theirs = bravo.walk(collection, page_size=100, max_pages=50)
    if not mine.pages:
        pytest.skip(f"GET /{collection} answered no list ({mine.why})")
    with Verdict(P.LIST_ISOLATION, LIST_CHECK) as verdict:
        foreign = [i for i in mine.items if i.get("customer_id") not in (None, alpha.customer_id)]
        verdict.expect(not foreign, mine.last, f"the {collection} list shows {len(foreign)} item(s) whose "
                       "customer_id is another customer's", expected=f"customer_id {alpha.customer_id} on every item",
                       got=f"customer_ids {sorted({str(i.get('customer_id')) for i in foreign})}",
                       key=f"customer_id:{collection}", severity="critical")
        shared = set(mine.ids) & set(theirs.ids) - {None}
        verdict.expect(not shared, mine.last, f"the {collection} lists of two customers share {len(shared)} item(s)",
                       expected="disjoint lists", got=f"shared ids {sorted(map(str, shared))[:5]}",
                       key=f"shared:{collection}", severity="critical")


# -- permission: a customer-agent-level agent ------------------------------------------------------
@pytest.mark.promise(P.AGENT_PERMISSION)
@examples(15)
@given(path=s.admin_list_paths())
def test_agent_is_refused_admin_reads(agent: Actor, path: str) -> None:
    with Verdict(P.AGENT_PERMISSION, PERMISSION_CHECK) as verdict:
        expect_error(verdict, agent.get(path), Status.PERMISSION_DENIED, reasons=(Reason.PERMISSION_DENIED,),
                     why="the caller is a customer-agent-level agent", severity="critical")


@pytest.mark.writes
@pytest.mark.promise(P.AGENT_PERMISSION)
@examples(8)
@given(case=s.resource_cases(WRITE_COLLECTIONS))
def test_agent_is_refused_admin_writes(alpha: Actor, agent: Actor, case: s.ResourceCase) -> None:
    collection = case.collection
    why = "the caller is a customer-agent-level agent"
    with Verdict(P.AGENT_PERMISSION, PERMISSION_CHECK) as verdict, agent.cleanup(), \
            alpha.created(collection, case.create) as (made, item_id):
        expect_error(verdict, agent.create(collection, case.create)[0], Status.PERMISSION_DENIED, reasons=(Reason.PERMISSION_DENIED,),
                     why=why, severity="critical")
        if item_id is None:
            return
        path = f"/{collection}/{item_id}"
        for exchange in (agent.put(path, case.update), agent.delete(path)):
            expect_error(verdict, exchange, Status.PERMISSION_DENIED, reasons=(Reason.PERMISSION_DENIED,), why=why, severity="critical")
        still = alpha.get(path)
        verdict.expect(still.status == 200, still, f"after the agent's refused DELETE the item answers HTTP "
                       f"{still.status}", expected="HTTP 200: the item still exists", key="agent-delete-applied",
                       severity="critical")
