"""Credential safety of the scenarios (issue 9): the client never sends a request that could change,
disable or delete what the harness runs with (the configured agents and their passwords, the
configured access keys, the customer), while what the run created itself stays its own to change.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from scenarios.client import Api, Auth, UnsafeRequest
from voipbin_harness.conventions.resources import BASE_PATH
from voipbin_harness.spec import Spec

TOKEN = "alpha-token-value"


@pytest.fixture
def api(spec: Spec) -> Api:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            return httpx.Response(200, json={"id": str(uuid.uuid4())})
        return httpx.Response(200, json={})

    client = Api("http://target.test", BASE_PATH, spec)
    client._client = httpx.Client(transport=httpx.MockTransport(handler))
    client.sent = sent  # type: ignore[attr-defined]
    return client


#: A fixed id, so that test ids are the same in every pytest-xdist worker (they must collect alike).
SOME_ID = "5f0c2a64-2d4e-4c1e-9a55-3b8f0e7d1c42"


@pytest.mark.parametrize(("method", "path"), [
    ("PUT", f"/agents/{SOME_ID}"),
    ("DELETE", f"/agents/{SOME_ID}"),
    ("PUT", f"/agents/{SOME_ID}/password"),
    ("PUT", f"/agents/{SOME_ID}/permission"),
    ("DELETE", f"/accesskeys/{SOME_ID}"),
    ("PUT", "/service_agents/me/password"),
    ("PUT", "/customer"),
    ("DELETE", f"/customers/{SOME_ID}"),
])
def test_changes_to_what_the_harness_runs_with_are_never_sent(api: Api, method: str, path: str) -> None:
    with pytest.raises(UnsafeRequest, match="not sent"):
        api.request(method, path, auth=Auth.bearer(TOKEN), json={})
    assert api.sent == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("collection", ["agents", "accesskeys"])
def test_what_the_run_created_stays_its_own_to_change_and_delete(api: Api, collection: str) -> None:
    made = api.request("POST", f"/{collection}", auth=Auth.bearer(TOKEN), json={})
    item = made.data["id"]
    assert api.request("PUT", f"/{collection}/{item}", auth=Auth.bearer(TOKEN), json={}).status == 200
    assert api.request("DELETE", f"/{collection}/{item}", auth=Auth.bearer(TOKEN)).status == 200


def test_reads_and_other_collections_are_not_held_back(api: Api) -> None:
    for method, path in (("GET", f"/agents/{SOME_ID}"), ("GET", "/me"), ("GET", "/customer"),
                         ("DELETE", f"/flows/{uuid.uuid4()}"), ("POST", "/numbers/renew")):
        assert api.request(method, path, auth=Auth.bearer(TOKEN)).status == 200
