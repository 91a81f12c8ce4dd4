"""Pagination: page sizes, newest-first order, the ``tm_create`` cursor, complete walks, and the
last-page token (gateway: a token on every non-empty page; conformant: "" on the last page)."""

from __future__ import annotations

import pytest

from tests.support import BODIES, TIMESTAMP_RE, Emu, assert_answer, walk
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.spec import Spec


def _create_flows(emu: Emu, count: int, who: str = "alpha", tag: str = "page") -> list[str]:
    return [emu.create("/flows", {**BODIES["POST /flows"], "name": f"{tag}-{n}"}, who=who)["id"]
            for n in range(count)]


@pytest.fixture
def many(emu: Emu) -> Emu:
    """Alpha holds more flows than the largest page."""
    _create_flows(emu, 105, tag="bulk")
    return emu


@pytest.mark.parametrize(("page_size", "expected"), [
    (None, 100), ("0", 100), ("-1", 100), ("-100", 100), ("101", 100), ("1000", 100), ("100", 100), ("7", 7),
    ("1", 1),
])
def test_page_size_default_max_and_tolerated_values(many: Emu, page_size: str | None, expected: int) -> None:
    params = {} if page_size is None else {"page_size": page_size}
    response = many.get("/flows", params=params)
    assert response.status_code == 200, response.text
    assert len(response.json()["result"]) == expected


@pytest.mark.parametrize("page_size", ["abc", "1.5", "ten", "1e2"])
def test_non_integer_page_size_is_400(emu: Emu, spec: Spec, page_size: str) -> None:
    assert_answer(emu, spec, "GET /flows", emu.get("/flows", params={"page_size": page_size}), 400,
                  Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER)


def test_walk_is_newest_first_complete_and_cursor_is_tm_create(emu: Emu) -> None:
    created = _create_flows(emu, 8)
    _create_flows(emu, 3, who="bravo", tag="bravo")
    pages = list(walk(emu, "/flows", page_size=3))
    items = [item for page in pages for item in page["result"]]
    ids = [item["id"] for item in items]

    assert len(ids) == len(set(ids)), "an item was served twice"
    assert set(created) <= set(ids), "a created item was never served"
    assert all(item["customer_id"] == emu.customer_id("alpha") for item in items), "another customer's item"
    assert ids[: len(created)] == list(reversed(created)), "newest first: the latest creates lead the walk"
    stamps = [item["tm_create"] for item in items]
    assert all(TIMESTAMP_RE.match(stamp) for stamp in stamps), stamps[:3]
    assert stamps == sorted(stamps, reverse=True), "tm_create must descend across the whole walk"

    full = emu.get("/flows", params={"page_size": 100}).json()["result"]
    assert [item["id"] for item in full] == ids, "walking in pages of 3 differs from one page of 100"

    for page in pages:
        if page["result"] and page["next_page_token"]:
            assert page["next_page_token"] == page["result"][-1]["tm_create"]


def test_last_page_token(emu: Emu) -> None:
    _create_flows(emu, 5)
    total = len(emu.get("/flows", params={"page_size": 100}).json()["result"])
    # a last page that is not full, so that "is there more?" has one answer in both readings
    page_size = next(size for size in range(2, total) if total % size)
    pages = list(walk(emu, "/flows", page_size=page_size))
    non_empty = [page for page in pages if page["result"]]
    assert sum(len(page["result"]) for page in pages) == total
    if emu.profile == "gateway":
        # BEHAVIOUR.md: non-empty token on EVERY non-empty page, the last included; "" only on an empty page
        assert all(page["next_page_token"] for page in non_empty), [p["next_page_token"] for p in pages]
        assert pages[-1]["result"] == [] and pages[-1]["next_page_token"] == ""
    else:
        # the docs: an empty token marks the last page
        assert pages[-1] is non_empty[-1] and pages[-1]["next_page_token"] == ""
        assert all(page["next_page_token"] for page in non_empty[:-1])


def test_page_token_selects_strictly_older_items(emu: Emu) -> None:
    _create_flows(emu, 4)
    first = emu.get("/flows", params={"page_size": 2}).json()["result"]
    cursor = first[-1]["tm_create"]
    second = emu.get("/flows", params={"page_size": 2, "page_token": cursor}).json()["result"]
    assert second and all(item["tm_create"] < cursor for item in second)
    assert not {item["id"] for item in first} & {item["id"] for item in second}


def test_empty_list_has_empty_token(emu: Emu) -> None:
    far_past = "2000-01-01T00:00:00.000000Z"
    page = emu.get("/flows", params={"page_size": 10, "page_token": far_past}).json()
    assert page == {"result": [], "next_page_token": ""} or (page["result"] == [] and page["next_page_token"] == "")


def test_contact_addresses_default_20_and_no_cap(emu: Emu) -> None:
    """BEHAVIOUR.md: contact_addresses page by 20 by default and do not cap page_size at 100."""
    existing = len(emu.get("/contact_addresses", params={"page_size": 1000}).json()["result"])
    for n in range(max(0, 25 - existing)):
        emu.create("/contact_addresses", {**BODIES["POST /contact_addresses"], "target": f"+1555000{n:04d}"})
    total = len(emu.get("/contact_addresses", params={"page_size": 1000}).json()["result"])
    assert total >= 25, "page_size above 100 is not capped to a default for contact_addresses"
    assert len(emu.get("/contact_addresses").json()["result"]) == 20
