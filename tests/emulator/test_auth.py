"""Authentication and authorisation as BEHAVIOUR.md states them, in both profiles: the credential
order, JWTs with the custom ``expire`` claim, access keys, and the 401/403 answers."""

from __future__ import annotations

import base64
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from tests.support import BODIES, JWT_KEY, KEYS, Emu, assert_answer, assert_error
from voipbin_harness.conventions.auth import is_access_key, mint_token
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.spec import Spec

#: BEHAVIOUR.md "Authentication": where credentials are looked for, in this order.
PLACEMENTS = ("cookie_token", "query_token", "bearer", "cookie_accesskey", "query_accesskey")
UNKNOWN_KEY = "vb_" + "Z" * 32


def _placed(*placed: tuple[str, str]) -> dict[str, Any]:
    """Request kwargs carrying each (placement, value)."""
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    cookies: list[str] = []
    for placement, value in placed:
        if placement == "cookie_token":
            cookies.append(f"token={value}")
        elif placement == "cookie_accesskey":
            cookies.append(f"accesskey={value}")
        elif placement == "query_token":
            params["token"] = value
        elif placement == "query_accesskey":
            params["accesskey"] = value
        else:
            headers["Authorization"] = f"Bearer {value}"
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    return {"headers": headers, "params": params}


def _good(emu: Emu, placement: str, tenant: str) -> str:
    return KEYS[f"{tenant}-key"] if placement.endswith("accesskey") else emu.token(tenant)


def _bad(placement: str) -> str:
    return UNKNOWN_KEY if placement.endswith("accesskey") else "bad.jwt.value"


def _whose(emu: Emu, **kwargs: Any) -> str:
    response = emu.get("/customer", who=None, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["id"]


# -- credential order ----------------------------------------------------------------------
@pytest.mark.parametrize("placement", PLACEMENTS)
def test_each_placement_alone_authenticates(emu: Emu, placement: str) -> None:
    assert _whose(emu, **_placed((placement, _good(emu, placement, "bravo")))) == emu.customer_id("bravo")


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_each_placement_alone_rejects_a_bad_credential(emu: Emu, placement: str) -> None:
    response = emu.get("/customer", who=None, **_placed((placement, _bad(placement))))
    assert_error(response, 401, Status.UNAUTHENTICATED, Reason.INVALID_CREDENTIALS)


PAIRS = list(itertools.combinations(PLACEMENTS, 2))


@pytest.mark.parametrize(("first", "later"), PAIRS)
def test_first_present_credential_wins(emu: Emu, first: str, later: str) -> None:
    kwargs = _placed((first, _good(emu, first, "alpha")), (later, _good(emu, later, "bravo")))
    assert _whose(emu, **kwargs) == emu.customer_id("alpha")


@pytest.mark.parametrize(("first", "later"), PAIRS)
def test_no_fallback_when_the_first_is_bad(emu: Emu, first: str, later: str) -> None:
    response = emu.get("/customer", who=None, **_placed((first, _bad(first)), (later, _good(emu, later, "alpha"))))
    assert_error(response, 401, Status.UNAUTHENTICATED, Reason.INVALID_CREDENTIALS)


@pytest.mark.parametrize(("first", "later"), PAIRS)
def test_a_bad_later_credential_is_ignored(emu: Emu, first: str, later: str) -> None:
    kwargs = _placed((first, _good(emu, first, "alpha")), (later, _bad(later)))
    assert _whose(emu, **kwargs) == emu.customer_id("alpha")


@pytest.mark.parametrize("header", ["bearer {t}", "BEARER {t}", "Bearer{t}", "Token {t}", "{t}", "Bearer  {t}x"])
def test_bearer_is_literal_and_case_sensitive(emu: Emu, header: str) -> None:
    response = emu.get("/customer", who=None, headers={"Authorization": header.format(t=emu.token("alpha"))})
    assert_error(response, 401, Status.UNAUTHENTICATED)


# -- no credentials ------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/flows"), ("GET", "/customer"), ("POST", "/flows"), ("GET", "/me"),
    ("GET", "/flows/5e4a0680-eba3-4001-a000-000000000001"), ("DELETE", "/accesskeys/5e4a0680-eba3-4001-a000-000000000001"),
])
def test_no_credentials_is_authentication_required(emu: Emu, method: str, path: str) -> None:
    response = emu.request(method, path, json={} if method == "POST" else None)
    assert_error(response, 401, Status.UNAUTHENTICATED, Reason.AUTHENTICATION_REQUIRED)


# -- JWTs ----------------------------------------------------------------------------------
def _agent(emu: Emu, who: str = "alpha") -> dict[str, Any]:
    return jwt.decode(emu.token(who), options={"verify_signature": False})["agent"]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bearer(token: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {token}"}}


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_minted_hmac_token_with_future_expire_is_accepted(emu: Emu, algorithm: str) -> None:
    token = mint_token(_agent(emu), JWT_KEY, expire=datetime.now(UTC) + timedelta(minutes=5), algorithm=algorithm)
    assert _whose(emu, **_bearer(token)) == emu.customer_id("alpha")


def test_expired_token_is_invalid_credentials(emu: Emu) -> None:
    token = mint_token(_agent(emu), JWT_KEY, expire=datetime.now(UTC) - timedelta(seconds=2))
    assert_error(emu.get("/customer", who=None, **_bearer(token)), 401, Status.UNAUTHENTICATED,
                 Reason.INVALID_CREDENTIALS)


def test_token_with_only_a_standard_exp_claim_is_refused(emu: Emu) -> None:
    token = jwt.encode({"type": "agent", "agent": _agent(emu), "exp": int(time.time()) + 600}, JWT_KEY,
                       algorithm="HS256")
    assert_error(emu.get("/customer", who=None, **_bearer(token)), 401, Status.UNAUTHENTICATED,
                 Reason.INVALID_CREDENTIALS)


def _forged_tokens(emu: Emu) -> dict[str, str]:
    valid = emu.token("alpha")
    head, _, signature = valid.split(".")
    claims = jwt.decode(valid, options={"verify_signature": False})
    as_bravo = dict(claims, agent=dict(claims["agent"], customer_id=emu.customer_id("bravo")))
    rs_head = _b64({"alg": "RS256", "typ": "JWT"})
    rs_body = _b64(claims)
    rs_sig = base64.urlsafe_b64encode(jwt.api_jws.get_algorithm_by_name("HS256").sign(
        f"{rs_head}.{rs_body}".encode(), JWT_KEY.encode())).rstrip(b"=").decode()
    return {
        "alg-none": jwt.encode(claims, None, algorithm="none"),
        "alg-none-with-signature": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.{signature}",
        "rs256-header": f"{rs_head}.{rs_body}.{rs_sig}",
        "tampered-payload": f"{head}.{_b64(as_bravo)}.{signature}",
        "wrong-key": jwt.encode(claims, "not-the-emulator-key-" + "x" * 30, algorithm="HS256"),
        "truncated": valid[:-5],
        "garbage": "abc",
        "accesskey-as-bearer": KEYS["alpha-key"],
    }


@pytest.mark.parametrize("kind", ["alg-none", "alg-none-with-signature", "rs256-header", "tampered-payload",
                                  "wrong-key", "truncated", "garbage", "accesskey-as-bearer"])
def test_forged_tokens_are_invalid_credentials(emu: Emu, kind: str) -> None:
    token = _forged_tokens(emu)[kind]
    assert_error(emu.get("/customer", who=None, **_bearer(token)), 401, Status.UNAUTHENTICATED,
                 Reason.INVALID_CREDENTIALS)
    # the same token from the cookie and the query fails the same way
    assert_error(emu.get("/customer", who=None, params={"token": token}), 401, Status.UNAUTHENTICATED,
                 Reason.INVALID_CREDENTIALS)


# -- access keys ---------------------------------------------------------------------------
def test_unknown_access_key_is_invalid_credentials(emu: Emu) -> None:
    for kwargs in (_placed(("query_accesskey", UNKNOWN_KEY)), _placed(("cookie_accesskey", UNKNOWN_KEY)),
                   _placed(("query_accesskey", "not-even-shaped-like-a-key"))):
        assert_error(emu.get("/customer", who=None, **kwargs), 401, Status.UNAUTHENTICATED,
                     Reason.INVALID_CREDENTIALS)


def test_created_access_key_works_once_shown_and_dies_when_deleted(emu: Emu) -> None:
    created = emu.create("/accesskeys", BODIES["POST /accesskeys"])
    raw = created["token"]
    assert is_access_key(raw), "the raw key is returned once, in 'token'"
    assert _whose(emu, **_placed(("query_accesskey", raw))) == emu.customer_id("alpha")
    assert _whose(emu, **_placed(("cookie_accesskey", raw))) == emu.customer_id("alpha")
    assert_error(emu.get("/customer", who=None, **_bearer(raw)), 401, Status.UNAUTHENTICATED,
                 Reason.INVALID_CREDENTIALS)
    shown_again = emu.get(f"/accesskeys/{created['id']}").json()
    assert shown_again.get("token") in (None, ""), "GET must not show the raw key again"
    assert emu.delete(f"/accesskeys/{created['id']}").status_code == 200
    assert_error(emu.get("/customer", who=None, **_placed(("query_accesskey", raw))), 401,
                 Status.UNAUTHENTICATED, Reason.INVALID_CREDENTIALS)


def test_expired_access_key_is_invalid_credentials(emu: Emu) -> None:
    created = emu.create("/accesskeys", {"name": "short", "detail": "expires in a second", "expire": 1})
    raw = created["token"]
    assert created.get("tm_expire"), "an expiring key states tm_expire"
    deadline = time.monotonic() + 4
    response = emu.get("/customer", who=None, params={"accesskey": raw})
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        response = emu.get("/customer", who=None, params={"accesskey": raw})
    assert_error(response, 401, Status.UNAUTHENTICATED, Reason.INVALID_CREDENTIALS)


# -- 403s ----------------------------------------------------------------------------------
def _other_customer_status(emu: Emu, collection: str) -> set[int]:
    """Gateway: 403 for most resources, 404 for accesskeys; conformant: the docs' 404 or the code's 403."""
    if collection == "accesskeys":
        return {404}
    return {403} if emu.profile == "gateway" else {403, 404}


@pytest.mark.parametrize("who", ["alpha", "alpha-key"])
def test_other_customers_flow_is_denied(emu: Emu, who: str) -> None:
    flow = emu.create("/flows", {**BODIES["POST /flows"], "name": "bravo's"}, who="bravo")
    path = f"/flows/{flow['id']}"
    for method, body in (("GET", None), ("PUT", {**BODIES["PUT /flows/{id}"], "name": "stolen"}), ("DELETE", None)):
        response = emu.request(method, path, who=who, json=body)
        assert response.status_code in _other_customer_status(emu, "flows"), (method, response.status_code)
        if response.status_code == 403:
            assert_error(response, 403, Status.PERMISSION_DENIED, Reason.PERMISSION_DENIED)
        else:
            assert_error(response, 404, Status.NOT_FOUND)
    untouched = emu.get(path, who="bravo")
    assert untouched.status_code == 200 and untouched.json()["name"] == "bravo's"  # neither renamed nor deleted


@pytest.mark.parametrize("collection", ["accesskeys", "contact_addresses"])
def test_other_customers_accesskey_or_contact_address_is_404(emu: Emu, collection: str) -> None:
    item = emu.create(f"/{collection}", BODIES[f"POST /{collection}"], who="bravo")
    for method in ("GET", "DELETE"):
        assert_error(emu.request(method, f"/{collection}/{item['id']}", who="alpha"), 404, Status.NOT_FOUND)
    assert emu.get(f"/{collection}/{item['id']}", who="bravo").status_code == 200


def test_customer_agent_lacks_admin_permission(emu: Emu, spec: Spec) -> None:
    for method, path, body in (("GET", "/accesskeys", None), ("POST", "/accesskeys", BODIES["POST /accesskeys"])):
        response = emu.request(method, path, who="alpha-agent", json=body)
        assert_answer(emu, spec, f"{method} {path}", response, 403, Status.PERMISSION_DENIED, Reason.PERMISSION_DENIED)
    assert emu.get("/me", who="alpha-agent").status_code == 200
    assert emu.get("/accesskeys", who="alpha").status_code == 200


def test_frozen_account_is_403_account_frozen(emu: Emu, spec: Spec) -> None:
    emu.set_frozen("alpha", True)
    try:
        for who in ("alpha", "alpha-agent", "alpha-key"):
            assert_answer(emu, spec, "GET /flows", emu.get("/flows", who=who), 403, Status.PERMISSION_DENIED,
                          Reason.ACCOUNT_FROZEN)
        assert emu.get("/flows", who="bravo").status_code == 200
    finally:
        emu.set_frozen("alpha", False)
    assert emu.get("/flows", who="alpha").status_code == 200
