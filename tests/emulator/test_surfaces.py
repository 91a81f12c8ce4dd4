"""The emulator's surfaces outside the resources: login, /ping, /openapi.json, seeded tenants,
unknown routes and wrong methods, and readiness right after start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from tests.support import ACCOUNTS, JWT_KEY, KEYS, PROFILES, TIMESTAMP_RE, Emu, assert_error
from voipbin_harness.conventions.auth import Permission
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.spec import Spec


# -- login ---------------------------------------------------------------------------------
def test_login_answers_token_and_cookie(emu: Emu) -> None:
    username, password = ACCOUNTS["alpha"]
    response = emu.login(username, password)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["username"] == username and isinstance(body["token"], str)
    token = body["token"]
    cookie = response.headers.get("set-cookie", "")
    assert cookie.startswith(f"token={token}"), cookie
    assert "httponly" in cookie.lower()

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, JWT_KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["type"] == "agent" and "exp" not in claims
    agent = claims["agent"]
    assert agent["username"] == username and agent["customer_id"] == emu.customer_id("alpha")
    assert agent["permission"] & Permission.CUSTOMER_ADMIN and agent["id"]
    assert TIMESTAMP_RE.match(claims["expire"]), claims["expire"]
    expire = datetime.strptime(claims["expire"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(expire - datetime.now(UTC) - timedelta(days=7)) < timedelta(minutes=5)


def test_login_cookie_alone_authenticates(emu: Emu) -> None:
    token = emu.login(*ACCOUNTS["bravo"]).json()["token"]
    response = emu.get("/customer", who=None, headers={"Cookie": f"token={token}"})
    assert response.status_code == 200 and response.json()["id"] == emu.customer_id("bravo")


@pytest.mark.parametrize("request_kwargs", [
    pytest.param({"json": {"username": "admin@alpha.test", "password": "wrong"}}, id="wrong-password"),
    pytest.param({"json": {"username": "nobody@alpha.test", "password": "alpha-secret"}}, id="unknown-user"),
    pytest.param({"json": {"username": "admin@alpha.test"}}, id="no-password"),
    pytest.param({"json": {}}, id="empty-object"),
    pytest.param({"json": ["admin@alpha.test", "alpha-secret"]}, id="array"),
    pytest.param({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, id="bad-json"),
    pytest.param({}, id="no-body"),
])
def test_login_failure_is_400_with_empty_body(emu: Emu, request_kwargs: dict) -> None:
    response = emu.http.post(emu.origin + "/auth/login", **request_kwargs)
    assert response.status_code == 400 and response.content == b"", (response.status_code, response.text)
    assert "set-cookie" not in response.headers


def test_login_lives_outside_v1(emu: Emu) -> None:
    response = emu.http.post(emu.base_url + "/auth/login", json=dict(zip(("username", "password"),
                                                                          ACCOUNTS["alpha"], strict=True)))
    assert_error(response, 404, Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND)


def test_v1_auth_stubs_point_elsewhere_after_authentication(gateway: Emu) -> None:
    """The spec's /v1.0/auth/* operations are stubs: 401 first, then 404 ROUTE_NOT_FOUND."""
    assert_error(gateway.post("/auth/signup", who=None, json={}), 401, Status.UNAUTHENTICATED)
    assert_error(gateway.post("/auth/signup", json={}), 404, Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND)


# -- /ping and /openapi.json ---------------------------------------------------------------
def test_ping_needs_no_auth(emu: Emu) -> None:
    response = emu.http.get(emu.origin + "/ping")
    assert response.status_code == 200 and response.json() == {"message": "pong"}


def test_openapi_json_is_the_spec(emu: Emu, spec: Spec) -> None:
    response = emu.http.get(emu.origin + "/openapi.json")
    assert response.status_code == 200 and "json" in response.headers.get("content-type", "")
    document = response.json()
    assert str(document["openapi"]).startswith("3.")
    assert set(document["paths"]) == set(spec.document["paths"])
    assert document["components"]["schemas"].keys() == spec.document["components"]["schemas"].keys()


# -- seeded tenants ------------------------------------------------------------------------
@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_documented_accounts_log_in(emu: Emu, who: str) -> None:
    response = emu.login(*ACCOUNTS[who])
    assert response.status_code == 200 and response.json()["username"] == ACCOUNTS[who][0]
    me = emu.get("/me", who=who)
    assert me.status_code == 200 and me.json()["username"] == ACCOUNTS[who][0]


def test_documented_keys_and_accounts_map_to_two_customers(emu: Emu) -> None:
    customers = {who: emu.get("/customer", who=who).json()["id"] for who in ("alpha", "bravo", *KEYS)}
    customers["alpha-agent"] = emu.get("/me", who="alpha-agent").json()["customer_id"]  # agents may not read /customer
    assert customers["alpha"] == customers["alpha-agent"] == customers["alpha-key"]
    assert customers["bravo"] == customers["bravo-key"]
    assert customers["alpha"] != customers["bravo"]


def test_agent_permission_levels(emu: Emu) -> None:
    admin = emu.get("/me", who="alpha").json()
    agent = emu.get("/me", who="alpha-agent").json()
    assert admin["permission"] & Permission.CUSTOMER_ADMIN
    assert agent["permission"] & Permission.CUSTOMER_AGENT
    assert not agent["permission"] & (Permission.CUSTOMER_ADMIN | Permission.CUSTOMER_MANAGER)


@pytest.mark.parametrize("path", ["/flows", "/agents", "/accesskeys"])
def test_tenants_have_seeded_resources(emu: Emu, path: str) -> None:
    for who in ("alpha", "bravo"):
        response = emu.get(path, who=who)
        assert response.status_code == 200 and response.json()["result"], f"{who} has no seeded {path}"


# -- unknown routes and wrong methods ------------------------------------------------------
@pytest.mark.parametrize("who", [None, "alpha"])
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/no-such-thing"), ("POST", "/flows/5e4a0680-eba3-4001-a000-000000000001/no-such-action"),
    ("GET", "/flowsx"), ("GET", "/"),
])
def test_unknown_route_is_404_route_not_found_without_auth(emu: Emu, who: str | None, method: str,
                                                           path: str) -> None:
    assert_error(emu.request(method, path, who=who), 404, Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND)


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/flows"), ("PATCH", "/flows/5e4a0680-eba3-4001-a000-000000000001"), ("POST", "/me"),
    ("DELETE", "/customer"),
])
def test_wrong_method_gateway_is_404(gateway: Emu, method: str, path: str) -> None:
    for who in (None, "alpha"):
        assert_error(gateway.request(method, path, who=who), 404, Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND)


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/flows"), ("PATCH", "/flows/5e4a0680-eba3-4001-a000-000000000001"), ("POST", "/me"),
])
def test_wrong_method_conformant_is_405(conformant: Emu, method: str, path: str) -> None:
    response = conformant.request(method, path, who="alpha")
    assert response.status_code == 405, response.text
    error = response.json()["error"]
    assert error["reason"] == Reason.METHOD_NOT_ALLOWED and error["request_id"] == response.headers["x-request-id"]


# -- readiness -----------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
def test_ready_when_start_returns(spec: Spec, profile: str) -> None:
    """The first requests after start() returns are served, with no retry: functional readiness
    (speed is measured by the benchmark, never asserted)."""
    from voipbin_harness.emulator import EmulatorConfig, running_emulator

    with running_emulator(spec, EmulatorConfig(profile=profile)) as server, httpx.Client(timeout=10) as client:
        assert client.get(server.origin + "/ping").status_code == 200
        login = client.post(server.origin + "/auth/login",
                            json=dict(zip(("username", "password"), ACCOUNTS["alpha"], strict=True)))
        assert login.status_code == 200
        flows = client.get(server.base_url + "/flows", params={"page_size": 10},
                           headers={"Authorization": "Bearer " + login.json()["token"]})
        assert flows.status_code == 200 and 0 < len(flows.json()["result"]) <= 10
        assert server.base_url == server.origin + "/v1.0"
