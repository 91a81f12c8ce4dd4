"""Unit tests of the emulator's application pieces, in process (the behaviour tests go over HTTP).

Each test can fail: it pins one rule of a small piece (route matching, the conformant status rule,
generation and repair against the spec's schemas, token buckets, paging, permissions, the
pipeline's order) with inputs chosen to break a plausible wrong implementation.
"""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
import pytest

from tests.support import CONTROL
from voipbin_harness.conventions.auth import Permission, mint_token
from voipbin_harness.conventions.envelope import Reason
from voipbin_harness.conventions.ratelimit import Limit
from voipbin_harness.emulator import EmulatorConfig, create_app
from voipbin_harness.emulator.auth import ANY_AGENT, required_permission
from voipbin_harness.emulator.conform import Repairer, declared_status
from voipbin_harness.emulator.faults import Faults, UnknownFault
from voipbin_harness.emulator.generate import Generator
from voipbin_harness.emulator.ratelimit import Tier
from voipbin_harness.emulator.routes import Match
from voipbin_harness.emulator.schemas import SchemaTools
from voipbin_harness.emulator.server import Request
from voipbin_harness.emulator.state import Items
from voipbin_harness.emulator.tenants import ALPHA, DEFAULT_JWT_KEY
from voipbin_harness.spec import Spec

ADMIN = {"username": ALPHA.admin.username, "password": ALPHA.admin.password}


@pytest.fixture(scope="module")
def gateway(spec: Spec) -> Any:
    return create_app(spec, EmulatorConfig.without_limits())


@pytest.fixture(scope="module")
def conformant(spec: Spec) -> Any:
    return create_app(spec, EmulatorConfig.without_limits(profile="conformant"))


def call(app: Any, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None,
         ip: str = "127.0.0.1") -> tuple[int, Any, dict[str, str]]:
    path, _, query = target.partition("?")
    raw = body if isinstance(body, bytes) else (orjson.dumps(body) if body is not None else b"")
    response = app(Request(method, path, query, {k.lower(): v for k, v in (headers or {}).items()}, raw, ip))
    try:
        decoded = json.loads(response.body) if response.body else None  # stdlib: integers of any size
    except ValueError:
        decoded = response.body
    return response.status, decoded, dict(response.headers)


def bearer(app: Any) -> dict[str, str]:
    status, body, _ = call(app, "POST", "/auth/login", ADMIN)
    assert status == 200
    return {"Authorization": f"Bearer {body['token']}"}


# -- routes ---------------------------------------------------------------------------------
def test_static_segments_beat_parameters(gateway: Any) -> None:
    match, route, params, _ = gateway.router.match("GET", "/contacts/lookup")
    assert match is Match.FULL and route.label == "GET /contacts/lookup" and params == {}
    match, route, params, _ = gateway.router.match("PUT", "/contacts/lookup")
    assert match is Match.FULL and route.label == "PUT /contacts/{id}" and params == {"id": "lookup"}


def test_partial_match_lists_the_allowed_methods(gateway: Any) -> None:
    match, route, _, allowed = gateway.router.match("PATCH", "/flows")
    assert match is Match.PARTIAL and route is None and allowed == {"GET", "POST"}
    assert gateway.router.match("GET", "/no-such-collection")[0] is Match.NONE
    assert gateway.router.match("GET", "/flows/")[0] is Match.NONE  # an empty id is no id


def test_path_parameters_are_percent_decoded(gateway: Any) -> None:
    _, _, params, _ = gateway.router.match("GET", "/flows/a%2Fb")
    assert params == {"id": "a/b"}


def test_conformant_routing_lets_a_static_path_win_over_a_parameter(conformant: Any) -> None:
    match, _, _, allowed = conformant.router.match("PUT", "/contact_cases/unresolved")
    assert match is Match.PARTIAL and allowed == {"GET"}


@pytest.mark.parametrize(("path", "allowed"), [
    ("/contacts/lookup", {"GET"}),  # not /contacts/{id}'s DELETE, GET, PUT
    ("/service_agents/contacts/lookup", {"GET"}),
    ("/numbers/renew", {"POST"}),
    ("/providers/setup", {"POST"}),
])
def test_conformant_partial_match_lists_only_the_static_paths_methods(conformant: Any, path: str,
                                                                       allowed: set[str]) -> None:
    spec_methods = {r.op.method for r in conformant.routes if r.op.path == path}
    assert spec_methods == allowed  # the spec still says so
    for method in ("OPTIONS", "PATCH", "DELETE"):
        match, route, _, got = conformant.router.match(method, path)
        assert match is Match.PARTIAL and route is None and got == allowed, (method, got)


def test_conformant_options_answers_405_with_the_static_paths_allow(conformant: Any) -> None:
    status, _, headers = call(conformant, "OPTIONS", "/v1.0/contacts/lookup", headers=bearer(conformant))
    assert status == 405 and headers.get("Allow") == "GET", headers


@pytest.mark.parametrize("raw_id", ["not-a-uuid", "0", "null%2Cnull", "00000000-0000-0000-0000-000000000000"])
def test_conformant_routing_ignores_id_validity(conformant: Any, raw_id: str) -> None:
    # GET's id is a plain string, PUT's a uuid: both operations own the path whatever the value
    path = f"/service_agents/conversations/{raw_id}"
    for method in ("GET", "PUT"):
        match, route, _, _ = conformant.router.match(method, path)
        assert match is Match.FULL and route.label == f"{method} /service_agents/conversations/{{id}}"
    match, _, _, allowed = conformant.router.match("OPTIONS", path)
    assert match is Match.PARTIAL and allowed == {"GET", "PUT"}


def test_conformant_malformed_id_is_the_operations_400_not_a_405(conformant: Any) -> None:
    status, body, _ = call(conformant, "PUT", "/v1.0/service_agents/conversations/null%2Cnull", {"name": "x"},
                           headers=bearer(conformant))
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT", (status, body)
    status, _, headers = call(conformant, "OPTIONS", "/v1.0/service_agents/conversations/0",
                              headers=bearer(conformant))
    assert status == 405 and headers.get("Allow") == "GET, PUT", headers


def test_contact_lookup_survives_odd_contacts_and_unknown_parameters(conformant: Any) -> None:
    auth = bearer(conformant)
    odd_bodies: list[Any] = [
        {"first_name": "\u0000", "addresses": [{"type": "tel", "target": "+15550100042"}]},
        {"addresses": [{"type": "email", "target": "42@example.com"}], "notes": "x" * 2000},
        {"first_name": "", "last_name": "", "addresses": []},
        {"addresses": [{"type": "tel"}], "tag_ids": []},
        b'{"first_name": "\\ud800", "external_id": "42"}',
    ]
    for body in odd_bodies:  # no field's format is checked (BEHAVIOUR.md line 77): created, 201 (line 90)
        status, _, _ = call(conformant, "POST", "/v1.0/contacts", body, headers=auth)
        assert status == 201, (status, body)
    # a match: 200; none: 404 NOT_FOUND at the gateway, which these operations do not declare; the
    # only 4xx they declare is 401, so the conformant profile answers 401 (never a 500)
    for query, expected in (("phone=&x-schemathesis-unknown-property=42", 401), ("phone=%2B15550100042", 200),
                            ("email=42%40example.com", 200), ("email=%ED%A0%80", 401), ("phone=%00", 401),
                            ("phone=&email=", 401), ("x-schemathesis-unknown-property=42", 401)):
        for prefix in ("/v1.0/contacts/lookup", "/v1.0/service_agents/contacts/lookup"):
            status, body, _ = call(conformant, "GET", f"{prefix}?{query}", headers=auth)
            assert status == expected, (prefix, query, status, body)
    status, body, _ = call(conformant, "GET", "/v1.0/contacts/lookup?phone=%2B15550100042", headers=auth)
    assert status == 200 and "+15550100042" in json.dumps(body), body


def test_gateway_finds_a_method_on_a_less_specific_template(gateway: Any) -> None:
    # gin keeps one tree per method: DELETE /contacts/lookup reaches DELETE /contacts/{id}
    match, route, params, _ = gateway.router.match("DELETE", "/contacts/lookup")
    assert match is Match.FULL and route.label == "DELETE /contacts/{id}" and params == {"id": "lookup"}


def test_service_agent_paths_share_the_main_collections(gateway: Any) -> None:
    route = next(r for r in gateway.routes if r.label == "POST /service_agents/contacts")
    assert route.kind == "create" and route.info.collection.key == "/contacts"


def test_every_operation_is_compiled(gateway: Any, spec: Spec) -> None:
    assert len(gateway.routes) == len(spec.operations) == 410
    assert {r.label for r in gateway.routes} == {op.label for op in spec.operations}


# -- conformant status rule -------------------------------------------------------------------
@pytest.mark.parametrize(("natural", "declared", "expected"), [
    (200, (201, 400, 401), 201),  # a create the gateway answers 200, declared 201
    (200, (204, 400), 204),
    (404, (200, 400, 401, 403, 500), 403),  # never 400 for a refusal about a resource
    (404, (200, 401, 500), 401),
    (409, (201, 400, 401, 500), 401),
    (402, (200, 400, 401, 500), 400),
    (429, (200, 401), 429),  # rate limiting is never remapped
    (404, (200, 404), 404),
])
def test_declared_status(natural: int, declared: tuple[int, ...], expected: int) -> None:
    assert declared_status(natural, declared) == expected


# -- generation and repair ------------------------------------------------------------------
def test_generated_values_are_valid_for_every_component(spec: Spec) -> None:
    tools = SchemaTools(spec)
    generator = Generator(tools)
    names = list(spec.document["components"]["schemas"])
    nodes = [{"$ref": f"#/components/schemas/{name}"} for name in names]
    bad = [n["$ref"] for n in nodes if not tools.is_valid(n, generator.value(n, random.Random(n["$ref"])))]
    assert not bad


def test_generation_is_deterministic_for_a_seed(spec: Spec) -> None:
    generator = Generator(SchemaTools(spec))
    node = {"$ref": "#/components/schemas/CallManagerCall"}
    assert generator.value(node, random.Random(7)) == generator.value(node, random.Random(7))
    assert generator.value(node, random.Random(7)) != generator.value(node, random.Random(8))


def test_repair_drops_forbidden_nulls_and_write_only_fields(spec: Spec) -> None:
    tools = SchemaTools(spec)
    repairer = Repairer(tools, Generator(tools), 0)
    flow = {"$ref": "#/components/schemas/FlowManagerFlow"}
    fixed = repairer.repair({"id": "not-a-uuid", "name": "kept", "tm_delete": None, "extra": 1}, flow)
    assert "tm_delete" not in fixed and fixed["name"] == "kept" and fixed["extra"] == 1
    assert tools.is_valid(flow, fixed)
    account = {"$ref": "#/components/schemas/ConversationManagerAccount"}
    assert "secret" not in repairer.repair({"name": "x", "secret": "s3cret"}, account)


# -- small pieces -----------------------------------------------------------------------------
def test_token_bucket_allows_the_burst_then_asks_to_wait() -> None:
    tier = Tier(Limit(1, 2))
    assert tier.take("ip") == 0 and tier.take("ip") == 0
    assert tier.take("ip") >= 1  # whole seconds
    assert tier.take("other-ip") == 0
    tier.set(None)
    assert all(tier.take("ip") == 0 for _ in range(10))


def test_pages_are_newest_first_and_the_cursor_is_strictly_older() -> None:
    items = Items(("/flows", ()))
    for n in range(5):
        items.add({"id": f"i{n}", "tm_create": f"2026-01-01T00:00:0{n}.000000Z", "tm_delete": None})
    items.by_id["i3"]["tm_delete"] = "2026-02-01T00:00:00.000000Z"
    first, more = items.page(2, None)
    assert [i["id"] for i in first] == ["i4", "i2"] and more
    rest, more = items.page(2, first[-1]["tm_create"])
    assert [i["id"] for i in rest] == ["i1", "i0"] and not more


def test_faults_parse_known_names_only() -> None:
    assert Faults.parse(["slow", "leak-list"]).names == ["leak-list", "slow"]
    with pytest.raises(UnknownFault):
        Faults.parse(["no-such-fault"])


def test_permission_table() -> None:
    assert required_permission("/customers/{id}") == Permission.PROJECT_SUPER_ADMIN
    assert required_permission("/billing_accounts/{id}/balance_add_force") == Permission.PROJECT_SUPER_ADMIN
    assert required_permission("/service_agents/me") == ANY_AGENT
    assert required_permission("/me") == ANY_AGENT
    assert required_permission("/agents") == Permission.ADMIN_LEVEL


# -- the pipeline, in process -----------------------------------------------------------------
def test_unknown_routes_need_no_auth_but_known_ones_do(gateway: Any) -> None:
    status, body, _ = call(gateway, "GET", "/v1.0/nowhere")
    assert status == 404 and body["error"]["reason"] == Reason.ROUTE_NOT_FOUND
    status, body, _ = call(gateway, "GET", "/v1.0/flows/not-a-uuid")
    assert status == 401 and body["error"]["reason"] == Reason.AUTHENTICATION_REQUIRED  # auth before binding


def test_request_id_is_echoed_in_header_and_envelope(gateway: Any) -> None:
    status, body, headers = call(gateway, "GET", "/v1.0/flows", headers={"X-Request-Id": "abc_123"})
    assert status == 401 and headers["X-Request-Id"] == body["error"]["request_id"] == "abc_123"
    _, body, headers = call(gateway, "GET", "/v1.0/flows", headers={"X-Request-Id": "bad id!"})
    assert headers["X-Request-Id"] == body["error"]["request_id"] != "bad id!"


def test_list_pages_are_cached_until_a_write(gateway: Any) -> None:
    auth = bearer(gateway)
    _, first, _ = call(gateway, "GET", "/v1.0/tags?page_size=1", headers=auth)
    _, again, _ = call(gateway, "GET", "/v1.0/tags?page_size=1", headers=auth)
    assert first == again
    status, created, _ = call(gateway, "POST", "/v1.0/tags", {"name": "n", "detail": "d"}, headers=auth)
    assert status == 200
    _, after, _ = call(gateway, "GET", "/v1.0/tags?page_size=1", headers=auth)
    assert after["result"][0]["id"] == created["id"] != first["result"][0]["id"]


def test_verified_tokens_are_cached_but_expiry_still_holds(gateway: Any) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    agent = {"id": ALPHA.admin.id, "customer_id": ALPHA.customer_id, "permission": Permission.CUSTOMER_ADMIN}
    token = mint_token(agent, DEFAULT_JWT_KEY, expire=datetime.now(UTC) + timedelta(seconds=1))
    auth = {"Authorization": f"Bearer {token}"}
    assert call(gateway, "GET", "/v1.0/me", headers=auth)[0] == 200
    assert token in gateway.authenticator._tokens  # verified once, then served from the cache
    time.sleep(1.1)
    status, body, _ = call(gateway, "GET", "/v1.0/me", headers=auth)
    assert status == 401 and body["error"]["reason"] == Reason.INVALID_CREDENTIALS


def test_control_endpoints_answer_loopback_clients_only(gateway: Any) -> None:
    assert call(gateway, "GET", CONTROL + "/config")[0] == 200
    status, body, _ = call(gateway, "GET", CONTROL + "/config", ip="10.1.2.3")
    assert status == 404 and body["error"]["reason"] == Reason.ROUTE_NOT_FOUND


def test_bodies_orjson_cannot_encode_still_answer(conformant: Any) -> None:
    auth = bearer(conformant)
    body = (b'{"name": "x", "detail": "\\udc80", "routing_method": "random", "tag_ids": [], "wait_flow_id": "",'
            b' "wait_timeout": 1, "service_timeout": 123456789012345678901234}')
    status, answer, _ = call(conformant, "POST", "/v1.0/queues", body, headers=auth)
    assert status == 200 and answer["service_timeout"] == 123456789012345678901234


def test_lookup_survives_items_orjson_cannot_encode(gateway: Any) -> None:
    auth = bearer(gateway)
    status, contact, _ = call(gateway, "POST", "/v1.0/contacts", {"first_name": "Big"}, headers=auth)
    assert status == 201
    with gateway.state.lock:
        store = gateway.state.store(ALPHA.customer_id)
        gateway.state.items(store, ("/contacts", ())).by_id[contact["id"]]["big"] = 10**30
    status, found, _ = call(gateway, "GET", "/v1.0/contacts/lookup?phone=%09%3Fe%F1", headers=auth)
    assert status == 404 and found["error"]["reason"] == Reason.NOT_FOUND


# -- phone numbers (E.164) --------------------------------------------------------------------
_FLOW = "00000000-0000-4000-8000-000000000001"
#: (method, path, body with the phone number at "{phone}") for fields the spec describes as phone numbers
_PHONE_REQUESTS = (
    ("POST", "/v1.0/contact_addresses", {"type": "tel", "target": "{phone}"}),
    ("POST", "/v1.0/service_agents/contact_addresses", {"type": "tel", "target": "{phone}"}),
    ("POST", "/v1.0/contacts", {"first_name": "Tel", "addresses": [{"type": "tel", "target": "{phone}"}]}),
    ("POST", "/v1.0/numbers", {"number": "{phone}", "call_flow_id": _FLOW, "message_flow_id": _FLOW,
                               "name": "n", "detail": "d"}),
)

#: BEHAVIOUR.md line 90: creates answer 200, 201 for contacts and contact addresses.
_GATEWAY_CREATED = {"/v1.0/contact_addresses": 201, "/v1.0/service_agents/contact_addresses": 201,
                    "/v1.0/contacts": 201, "/v1.0/numbers": 200}


def _phone_request(app: Any, request: tuple[str, str, Any], phone: str) -> tuple[int, Any]:
    method, target, body = request
    filled = json.loads(json.dumps(body).replace("{phone}", phone))
    status, answer, _ = call(app, method, target, filled, headers=bearer(app))
    return status, answer


@pytest.mark.parametrize("request_", _PHONE_REQUESTS, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("phone", ["10", "+", "+0123", "+1-415-555", "1234567890123456"])
def test_conformant_refuses_a_phone_number_that_is_not_e164(conformant: Any, request_: Any, phone: str) -> None:
    status, answer = _phone_request(conformant, request_, phone)
    assert status == 400 and answer["error"]["status"] == "INVALID_ARGUMENT", (status, answer)
    assert answer["error"]["reason"] == Reason.INVALID_REQUEST_BODY and "E.164" in answer["error"]["message"]


@pytest.mark.parametrize("request_", _PHONE_REQUESTS, ids=lambda r: f"{r[0]} {r[1]}")
def test_gateway_does_not_check_phone_numbers(gateway: Any, request_: Any) -> None:
    status, answer = _phone_request(gateway, request_, "10")
    assert status == _GATEWAY_CREATED[request_[1]], answer  # BEHAVIOUR.md line 77: no field's format is checked


@pytest.mark.parametrize("request_", _PHONE_REQUESTS, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("profile", ["gateway", "conformant"])
def test_an_e164_number_is_accepted_in_both_profiles(gateway: Any, conformant: Any, request_: Any,
                                                     profile: str) -> None:
    status, answer = _phone_request(gateway if profile == "gateway" else conformant, request_, "+14155551234")
    assert status < 400, (status, answer)


def test_only_tel_addresses_are_held_to_e164(conformant: Any) -> None:
    auth = bearer(conformant)
    status, answer, _ = call(conformant, "POST", "/v1.0/contact_addresses",
                             {"type": "email", "target": "user@example.com"}, headers=auth)
    assert status == 201, answer
    status, answer, _ = call(conformant, "POST", "/v1.0/calls", {"source": {"type": "tel", "target": "+14155550000"},
                             "destinations": [{"type": "sip", "target": "sip:a@b.c"}, {"type": "tel", "target": "10"}]},
                             headers=auth)
    assert status == 400 and "destinations[].target" in answer["error"]["message"], answer


def test_the_specs_own_examples_pass_as_phone_numbers(conformant: Any) -> None:
    """Schemathesis's examples phase sends the spec's masked example target ("+155****4567") as valid."""
    rules = conformant.binder.phones
    fields = rules.body_fields["POST /contact_addresses"]
    assert fields and all(field.address for field in fields)
    example = next(iter(fields[0].examples))
    status, answer, _ = call(conformant, "POST", "/v1.0/contact_addresses", {"type": "tel", "target": example},
                             headers=bearer(conformant))
    assert status == 201, answer


def test_phone_fields_are_derived_from_the_spec(conformant: Any) -> None:
    rules = conformant.binder.phones
    assert {"POST /contact_addresses", "POST /service_agents/contact_addresses", "POST /numbers", "POST /calls",
            "PUT /agents/{id}/addresses", "POST /auth/signup"} <= set(rules.body_fields)
    assert [f.where for f in rules.body_fields["POST /numbers"]] == ["number"]
    assert "GET /contacts/lookup" not in rules.query_params  # E.164 per its description, but no 400 declared
    assert "POST /flows" not in rules.body_fields  # no phone number in a flow's body
