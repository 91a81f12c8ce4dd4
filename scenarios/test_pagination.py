"""Pagination: walking a list page by page shows every item once, newest first, in pages no larger
than asked, and ends (BEHAVIOUR.md "Pagination", spec ``PageSize``/``PageToken``).

Walks are bounded (``Actor.walk``): a token that never ends or loops is a finding, not a hang.
On the last page the gateway's code and the docs disagree; the scenarios hold the target to the
docs (an empty ``next_page_token`` on the last page) under their own check
(``pagination_last_page``), so that this one known deviation never hides the others.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given

from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.conventions.pagination import (
    MAX_PAGE_SIZE,
    PAGE_SIZE_PARAM,
    PAGE_TOKEN_PARAM,
    list_problems,
    page_size_limits,
    parse_page_size,
    parse_timestamp,
)

from . import strategies as s
from .actors import Actor, Walk
from .budget import examples
from .exchange import Exchange
from .expect import expect_error, expect_no_server_error
from .failures import Verdict
from .promises import P, R

WALK_CHECK = R.PAGINATION_WALK.id
ORDER_CHECK = R.PAGINATION_ORDER.id
SIZE_CHECK = R.PAGE_SIZE.id
LAST_PAGE_CHECK = R.PAGINATION_LAST_PAGE.id
TOKEN_CHECK = R.PAGE_TOKEN.id

#: Collections walked by the write scenarios (plain bodies, newest-first lists of their own items).
WALK_COLLECTIONS = ("tags", "flows", "queues")
#: Collections whose lists the read-only scenarios page through.
READ_COLLECTIONS = ("flows", "tags", "queues", "agents", "accesskeys", "numbers")
COUNT_BOUND = 50  # pages of MAX_PAGE_SIZE read to count a list before a walk


def effective_size(collection: str, raw: int | str) -> int:
    default, cap = page_size_limits(collection)
    return parse_page_size(str(raw), default=default, cap=cap)


def page_bound(existing: int, effective: int) -> int:
    """How many pages a walk over ``existing`` items may take: all of them, an empty last page, slack."""
    return math.ceil(existing / max(1, effective)) + 3


def judge_walk(verdict: Verdict, walk: Walk, *, must_see: list[str], effective: int, collection: str) -> None:
    """Every promise a finished walk makes, each under its own check."""
    if not walk.ended:
        verdict.fail(walk.at, walk.why, expected="a walk that ends with an empty next_page_token",
                     check=WALK_CHECK, key=walk.why.split(":")[0][:40], severity="high", promise=P.PAGE_WALK)
    seen = Counter(walk.ids)
    lost = [i for i in must_see if seen[i] == 0]
    twice = sorted(str(i) for i, n in seen.items() if n > 1)
    verdict.expect(not lost, walk.last, f"a walk of {collection} in {len(walk.pages)} page(s) of {effective} lost "
                   f"{len(lost)} of {len(must_see)} item(s) that exist", expected="every item exactly once",
                   got=f"missing ids {lost[:5]}", check=WALK_CHECK, key="lost", severity="high", promise=P.PAGE_WALK)
    verdict.expect(not twice, walk.last, f"a walk showed {len(twice)} item(s) more than once",
                   expected="every item exactly once", got=f"repeated ids {twice[:5]}", check=WALK_CHECK,
                   key="duplicate", severity="high", promise=P.PAGE_WALK)
    stamps = [parse_timestamp(str(i.get("tm_create"))) for i in walk.items]
    disorder = [n for n in range(len(stamps) - 1)
                if stamps[n] is not None and stamps[n + 1] is not None and stamps[n] < stamps[n + 1]]
    verdict.expect(not disorder, walk.last, f"the walk is not newest first: {len(disorder)} item(s) are older "
                   "than the next one", expected="tm_create descending across pages",
                   got=f"first at position {disorder[0] + 1}" if disorder else "", check=ORDER_CHECK,
                   key="order", promise=P.PAGE_ORDER)
    for page in walk.pages:
        verdict.problems(list_problems(page.exchange.data, page_size=effective), page.exchange,
                         expected=f"a list body with at most {effective} items", check=SIZE_CHECK,
                         promise=P.PAGE_SIZE, severity="medium")
    judge_last_page(verdict, walk)


def judge_last_page(verdict: Verdict, walk: Walk) -> None:
    """Docs reading: the page holding the last item carries an empty token (no extra empty page)."""
    pages = walk.pages
    if walk.ended and len(pages) >= 2 and not pages[-1].items and pages[-2].items and pages[-2].token:
        verdict.fail(pages[-2].exchange, "the last page of items carries a non-empty next_page_token; the walk "
                     "needed one more request, answered with an empty page, to end (the gateway code's behaviour)",
                     expected='next_page_token "" (or absent) on the last page (docs)',
                     got=f"next_page_token {pages[-2].token!r}, then an empty page", check=LAST_PAGE_CHECK,
                     key="token-on-last-page", severity="low", promise=P.LAST_PAGE)


def present_ids(alpha: Actor, collection: str) -> list[str]:
    """The ids a walk in pages of the maximum size shows: the items a finer walk must show too."""
    walk = alpha.walk(collection, page_size=MAX_PAGE_SIZE, max_pages=COUNT_BOUND)
    return [i for i in walk.ids if isinstance(i, str)]


def count_items(alpha: Actor, collection: str) -> int:
    return len(present_ids(alpha, collection))


def create_all(verdict: Verdict, alpha: Actor, collection: str, bodies: tuple[dict, ...]) -> list[str] | None:
    """Create one item per body (inside the caller's ``cleanup()``); None when a create fails."""
    ids: list[str] = []
    for body in bodies:
        made, item_id = alpha.create(collection, body)
        if not verdict.expect(item_id is not None, made, f"creating a {collection} item answered HTTP "
                              f"{made.status} without an id", expected="2xx with the item",
                              check=R.RESOURCE_CREATE.id, key=f"create:{collection}", promise=P.LIFECYCLE):
            return None
        ids.append(item_id)
    return ids


# -- walks over created items ------------------------------------------------------------------------
@pytest.mark.writes
@pytest.mark.promise(P.PAGE_WALK)
@examples(15)
@given(batch=s.batches(WALK_COLLECTIONS), page_size=s.walk_page_sizes())
def test_walk_shows_every_item_once_newest_first(alpha: Actor, batch: s.Batch, page_size: int) -> None:
    collection = batch.collection
    effective = effective_size(collection, page_size)
    with Verdict(P.PAGE_WALK, WALK_CHECK) as verdict, alpha.cleanup():
        ids = create_all(verdict, alpha, collection, batch.bodies)
        if ids is None:
            return
        present = present_ids(alpha, collection)
        walk = alpha.walk(collection, page_size=page_size, max_pages=page_bound(len(present), effective))
        judge_walk(verdict, walk, must_see=list(dict.fromkeys(ids + present)), effective=effective,
                   collection=collection)


@pytest.mark.writes
@pytest.mark.promise(P.CREATED_DURING_WALK)
@examples(10)
@given(batch=s.growing_batches(WALK_COLLECTIONS), page_size=s.small_page_sizes())
def test_items_created_during_a_walk_do_not_disturb_it(alpha: Actor, batch: s.GrowingBatch, page_size: int) -> None:
    collection = batch.collection
    with Verdict(P.CREATED_DURING_WALK, WALK_CHECK) as verdict, alpha.cleanup():
        if create_all(verdict, alpha, collection, batch.before) is None:
            return
        before = present_ids(alpha, collection)

        def create_more(page_number: int) -> None:
            if page_number == 1:
                create_all(verdict, alpha, collection, batch.during)

        walk = alpha.walk(collection, page_size=page_size,
                          max_pages=page_bound(len(before) + len(batch.during), page_size), between_pages=create_more)
        judge_walk(verdict, walk, must_see=before, effective=page_size, collection=collection)


@pytest.fixture
def more_than_a_page(alpha: Actor) -> Iterator[tuple[str, Exchange | None]]:
    """More than ``MAX_PAGE_SIZE`` items in one collection while the scenario runs, created once for
    all its examples (not per example: that is a hundred creates and deletes each) and deleted after.
    Yields the collection and the create that failed, if one did."""
    collection = "tags"
    with alpha.cleanup():
        failed = None
        for n in range(MAX_PAGE_SIZE + 1 - count_items(alpha, collection)):
            made, item_id = alpha.create(collection, {"name": f"fill {n}", "detail": "page size"})
            if item_id is None:
                failed = made
                break
        yield collection, failed


@pytest.mark.writes
@pytest.mark.promise(P.PAGE_SIZE)
@examples(6, suppress_health_check=[HealthCheck.function_scoped_fixture])  # set up once, on purpose
@given(page_size=s.page_sizes().filter(lambda n: n <= 0 or n > MAX_PAGE_SIZE))
def test_page_size_out_of_range_never_exceeds_the_maximum(alpha: Actor, more_than_a_page: tuple[str, Exchange | None],
                                                          page_size: int) -> None:
    collection, failed = more_than_a_page
    with Verdict(P.PAGE_SIZE, SIZE_CHECK) as verdict:
        if failed is not None:
            verdict.fail(failed, f"creating a {collection} item answered HTTP {failed.status} without an id",
                         expected="2xx with the item", check=R.RESOURCE_CREATE.id, key=f"create:{collection}",
                         promise=P.LIFECYCLE)
            return
        effective = effective_size(collection, page_size)
        first = alpha.get(f"/{collection}", params={PAGE_SIZE_PARAM: page_size})
        verdict.problems(list_problems(first.data, page_size=effective), first,
                         expected=f"at most {effective} items (page_size {page_size} becomes {effective})")


# -- read-only ---------------------------------------------------------------------------------------
@pytest.mark.promise(P.PAGE_SIZE)
@examples(20)
@given(collection=s.sampled(READ_COLLECTIONS, "GET /{}"), page_size=s.page_sizes())
def test_no_page_is_larger_than_asked(alpha: Actor, collection: str, page_size: int) -> None:
    effective = effective_size(collection, page_size)
    exchange = alpha.get(f"/{collection}", params={PAGE_SIZE_PARAM: page_size})
    with Verdict(P.PAGE_SIZE, SIZE_CHECK) as verdict:
        if verdict.expect(exchange.status == 200, exchange, f"page_size {page_size} answered HTTP {exchange.status}",
                          expected=f"HTTP 200 (page_size {page_size} becomes {effective})",
                          key=f"status:{exchange.status}"):
            verdict.problems(list_problems(exchange.data, page_size=effective), exchange,
                             expected=f"a list body with at most {effective} items")


@pytest.mark.promise(P.PAGE_SIZE_INVALID)
@examples(15)
@given(collection=s.sampled(READ_COLLECTIONS, "GET /{}"), page_size=s.non_integer_page_sizes())
def test_non_integer_page_size_is_400(alpha: Actor, collection: str, page_size: str) -> None:
    exchange = alpha.get(f"/{collection}", params={PAGE_SIZE_PARAM: page_size})
    with Verdict(P.PAGE_SIZE_INVALID, SIZE_CHECK) as verdict:
        expect_no_server_error(verdict, exchange, "a page_size that is not an integer")
        expect_error(verdict, exchange, Status.INVALID_ARGUMENT, reasons=(Reason.INVALID_REQUEST_PARAMETER,),
                     why=f"page_size {page_size!r} is not an integer", severity="medium")


@pytest.mark.promise(P.PAGE_TOKEN_INVALID)
@examples(15)
@given(collection=s.sampled(READ_COLLECTIONS, "GET /{}"), token=s.invalid_page_tokens())
def test_invalid_page_token_is_refused_or_ignored_never_5xx(alpha: Actor, collection: str, token: str) -> None:
    exchange = alpha.get(f"/{collection}", params={PAGE_TOKEN_PARAM: token})
    with Verdict(P.PAGE_TOKEN_INVALID, TOKEN_CHECK) as verdict:
        if not expect_no_server_error(verdict, exchange, "a page_token the server never issued"):
            return
        if exchange.status == 200:
            verdict.problems(list_problems(exchange.data), exchange, expected="a list body")
        else:
            expect_error(verdict, exchange, Status.INVALID_ARGUMENT, why="an unusable page_token", severity="medium")
