"""``voipbin_harness.conventions`` checked against the literal facts of ``BEHAVIOUR.md``.

The emulator produces these rules and the checks assert them, both through ``conventions``; a
mistake there would be shared by both and invisible to either. So the literals are written out
here once more, copied from BEHAVIOUR.md (section named in each test), and compared.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from voipbin_harness.conventions import auth, envelope, pagination, ratelimit, resources, statuses
from voipbin_harness.conventions.auth import (
    InvalidToken,
    Permission,
    decode_token,
    find_credential,
    mint_token,
)
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.conventions.ratelimit import Limit
from voipbin_harness.spec import Spec

KEY = "conventions-test-key-" + "k" * 48  # long enough for HS512 without warnings
AGENT = {"id": "a1", "customer_id": "c1", "username": "u@x.test", "permission": 0x20}


# -- Error envelope ------------------------------------------------------------------------
def test_status_to_http_map_is_behaviours_table() -> None:
    # BEHAVIOUR.md "Error envelope": status maps 1:1 to HTTP
    assert envelope.HTTP_FOR_STATUS == {
        "INVALID_ARGUMENT": 400, "UNAUTHENTICATED": 401, "PAYMENT_REQUIRED": 402, "PERMISSION_DENIED": 403,
        "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "FAILED_PRECONDITION": 409, "RESOURCE_EXHAUSTED": 429,
        "INTERNAL": 500, "UNAVAILABLE": 503,
    }


def test_reasons_named_in_behaviour() -> None:
    named = {"AUTHENTICATION_REQUIRED", "INVALID_CREDENTIALS", "PERMISSION_DENIED", "ACCOUNT_FROZEN",
             "INVALID_JSON_BODY", "INVALID_ID", "INVALID_REQUEST_PARAMETER", "ROUTE_NOT_FOUND",
             "RATE_LIMIT_EXCEEDED"}
    assert {getattr(Reason, name) for name in named} == named


def test_content_type_and_request_id_header() -> None:
    assert envelope.CONTENT_TYPE == "application/json; charset=utf-8"
    assert envelope.REQUEST_ID_HEADER == "X-Request-Id"


def test_envelope_shape_details_only_when_non_empty() -> None:
    body = envelope.envelope(Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND, "no route", "req_1")
    assert body == {"error": {"status": "NOT_FOUND", "reason": "ROUTE_NOT_FOUND", "message": "no route",
                              "request_id": "req_1"}}
    assert "details" not in envelope.envelope("INTERNAL", "X", "m", "req_1", details=[])["error"]
    with_details = envelope.envelope("RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "m", "r", [{"limited_by": "ip"}])
    assert with_details["error"]["details"] == [{"limited_by": "ip"}]


def test_envelope_problems_accepts_a_good_answer() -> None:
    body = envelope.envelope("UNAUTHENTICATED", "AUTHENTICATION_REQUIRED", "log in", "req_abc")
    assert envelope.envelope_problems(body, 401, {"X-Request-Id": "req_abc"}) == []
    assert envelope.envelope_problems(body, 401, {"x-request-id": "req_abc"}) == []


@pytest.mark.parametrize(("body", "http", "headers"), [
    ({"error": "error_code", "message": "the docs' flat shape"}, 400, None),
    ({"error": {"status": "NOT_FOUND", "reason": "X", "message": "m", "request_id": "r"}}, 400, None),
    ({"error": {"status": "BOGUS", "reason": "X", "message": "m", "request_id": "r"}}, 400, None),
    ({"error": {"status": "NOT_FOUND", "reason": "", "message": "m", "request_id": "r"}}, 404, None),
    ({"error": {"status": "NOT_FOUND", "reason": "X", "request_id": "r"}}, 404, None),
    ({"error": {"status": "NOT_FOUND", "reason": "X", "message": "m"}}, 404, None),
    ({"error": {"status": "NOT_FOUND", "reason": "X", "message": "m", "request_id": "r"}}, 404, {"X-Request-Id": "s"}),
    ({"error": {"status": "NOT_FOUND", "reason": "X", "message": "m", "request_id": "r"}}, 404, {}),
    ({"error": {"status": "NOT_FOUND", "reason": "X", "message": "m", "request_id": "r", "details": {}}}, 404, None),
    ([], 500, None),
])
def test_envelope_problems_names_each_break(body: object, http: int, headers: dict[str, str] | None) -> None:
    assert envelope.envelope_problems(body, http, headers)


@pytest.mark.parametrize(("value", "echoed"), [
    ("abc", True), ("A-b_9", True), ("x" * 64, True), ("x" * 65, False), ("has space", False),
    ("semi;colon", False), ("dot.ted", False), ("", False), (None, False), ("ümlaut", False),
])
def test_inbound_request_id_rule(value: str | None, echoed: bool) -> None:
    # BEHAVIOUR.md: an inbound X-Request-Id of <=64 [A-Za-z0-9_-] is echoed
    assert envelope.inbound_request_id(value) == (value if echoed else None)


def test_new_request_id_is_req_prefixed_and_fresh() -> None:
    first, second = envelope.new_request_id(), envelope.new_request_id()
    assert first.startswith("req_") and first != second
    assert envelope.inbound_request_id(first) == first  # our own ids pass the echo rule


# -- Pagination ----------------------------------------------------------------------------
def test_page_size_limits() -> None:
    assert (pagination.DEFAULT_PAGE_SIZE, pagination.MAX_PAGE_SIZE) == (100, 100)
    assert (pagination.PAGE_SIZE_PARAM, pagination.PAGE_TOKEN_PARAM) == ("page_size", "page_token")
    assert (pagination.RESULT_FIELD, pagination.NEXT_TOKEN_FIELD) == ("result", "next_page_token")


@pytest.mark.parametrize(("raw", "size"), [
    (None, 100), ("", 100), ("0", 100), ("-1", 100), ("-500", 100), ("101", 100), ("100", 100), ("1", 1),
    ("37", 37), (" 5 ", 5),
])
def test_parse_page_size_tolerates_out_of_range(raw: str | None, size: int) -> None:
    assert pagination.parse_page_size(raw) == size


@pytest.mark.parametrize("raw", ["abc", "1.5", "10x", "0x10"])
def test_parse_page_size_rejects_non_integers(raw: str) -> None:
    with pytest.raises(pagination.InvalidPageSize):
        pagination.parse_page_size(raw)


def test_contact_addresses_default_20_no_cap() -> None:
    assert pagination.parse_page_size(None, default=20, cap=None) == 20
    assert pagination.parse_page_size("500", default=20, cap=None) == 500


def test_timestamp_format_is_the_gateways() -> None:
    moment = datetime(2006, 1, 2, 15, 4, 5, 7, tzinfo=UTC)
    assert pagination.timestamp(moment) == "2006-01-02T15:04:05.000007Z"
    assert pagination.parse_timestamp("2006-01-02T15:04:05.000007Z") == moment
    assert pagination.parse_timestamp("2006-01-02T15:04:05Z") is None
    assert pagination.parse_timestamp("not a time") is None


def test_page_token_is_tm_create_of_last_item() -> None:
    assert pagination.page_token_for({"id": "x", "tm_create": "2006-01-02T15:04:05.000000Z"}) == \
        "2006-01-02T15:04:05.000000Z"


def test_last_page_readings_differ() -> None:
    assert pagination.LAST_PAGE_GATEWAY != pagination.LAST_PAGE_DOCS


def test_list_problems() -> None:
    assert pagination.list_problems(pagination.list_body([{"id": 1}], "t")) == []
    assert pagination.list_problems({"result": [1, 2, 3], "next_page_token": ""}, page_size=3) == []
    assert pagination.list_problems({"result": [1, 2, 3], "next_page_token": ""}, page_size=2)
    assert pagination.list_problems({"result": {}, "next_page_token": ""})
    assert pagination.list_problems({"result": [], "next_page_token": 5})
    assert pagination.list_problems([1, 2])


# -- Authentication ------------------------------------------------------------------------
def test_credential_order_is_behaviours() -> None:
    assert auth.CREDENTIAL_ORDER == (("cookie", "token"), ("query", "token"), ("header", "authorization"),
                                     ("cookie", "accesskey"), ("query", "accesskey"))


ALL = {"cookie_token": "c-tok", "query_token": "q-tok", "bearer": "b-tok", "cookie_key": "c-key", "query_key": "q-key"}


def _find(present: dict[str, str]) -> auth.Credential | None:
    cookies = {k: v for k, v in (("token", present.get("cookie_token")), ("accesskey", present.get("cookie_key"))) if v}
    query = {k: [v] for k, v in (("token", present.get("query_token")), ("accesskey", present.get("query_key"))) if v}
    headers = {"authorization": present["bearer"]} if "bearer" in present else {}
    return find_credential(cookies, query, headers)


@pytest.mark.parametrize(("drop", "kind", "source", "value"), [
    ((), "jwt", "cookie", "c-tok"),
    (("cookie_token",), "jwt", "query", "q-tok"),
    (("cookie_token", "query_token"), "jwt", "header", "b-tok"),
    (("cookie_token", "query_token", "bearer"), "accesskey", "cookie", "c-key"),
    (("cookie_token", "query_token", "bearer", "cookie_key"), "accesskey", "query", "q-key"),
])
def test_first_present_credential_wins(drop: tuple[str, ...], kind: str, source: str, value: str) -> None:
    present = {k: v for k, v in ALL.items() if k not in drop}
    if "bearer" in present:
        present["bearer"] = "Bearer " + present["bearer"]
    found = _find(present)
    assert found is not None and (found.kind, found.source, found.value) == (kind, source, value)


def test_no_credential_is_none() -> None:
    assert _find({}) is None


def test_bearer_prefix_is_case_sensitive() -> None:
    found = _find({"bearer": "bearer b-tok", "query_key": "q-key"})
    assert found is not None and found.source == "header" and found.value == ""  # present, and invalid


def test_credential_repr_hides_the_secret() -> None:
    assert "q-key" not in repr(_find({"query_key": "q-key"}))


def test_permission_bits() -> None:
    assert (Permission.PROJECT_SUPER_ADMIN, Permission.CUSTOMER_AGENT, Permission.CUSTOMER_ADMIN,
            Permission.CUSTOMER_MANAGER) == (0x1, 0x10, 0x20, 0x40)


def test_minted_token_has_gateway_claims() -> None:
    before = datetime.now(UTC)
    token = mint_token(AGENT, KEY)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["type"] == "agent" and claims["agent"] == AGENT and "exp" not in claims
    expire = datetime.strptime(claims["expire"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert timedelta(days=7) - timedelta(minutes=1) < expire - before <= timedelta(days=7, minutes=1)
    assert decode_token(token, KEY)["agent"]["customer_id"] == "c1"


@pytest.mark.parametrize("algorithm", ["HS256", "HS384", "HS512"])
def test_any_hmac_algorithm_is_accepted(algorithm: str) -> None:
    assert decode_token(mint_token(AGENT, KEY, algorithm=algorithm), KEY)["type"] == "agent"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forged(alg: str) -> str:
    claims = jwt.decode(mint_token(AGENT, KEY), options={"verify_signature": False})
    head, body = _b64({"alg": alg, "typ": "JWT"}), _b64(claims)
    signature = jwt.api_jws.get_algorithm_by_name("HS256").sign(f"{head}.{body}".encode(), KEY.encode())
    return f"{head}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _tampered() -> str:
    head, _, sig = mint_token(AGENT, KEY).split(".")
    claims = jwt.decode(mint_token(AGENT, KEY), options={"verify_signature": False})
    claims["agent"]["customer_id"] = "someone-else"
    return f"{head}.{_b64(claims)}.{sig}"


@pytest.mark.parametrize("token", [
    pytest.param(mint_token(AGENT, KEY, expire=datetime.now(UTC) - timedelta(seconds=1)), id="expired"),
    pytest.param(jwt.encode({"type": "agent", "agent": AGENT, "expire": "2999-01-01T00:00:00.000000Z"}, None,
                            algorithm="none"), id="alg-none"),
    pytest.param(_forged("RS256"), id="rs256-header"),
    pytest.param(_tampered(), id="tampered"),
    pytest.param(mint_token(AGENT, "other-key-" + "o" * 60), id="wrong-key"),
    pytest.param("not.a.jwt", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param(jwt.encode({"type": "agent", "agent": AGENT, "exp": 4102444800}, KEY, algorithm="HS256"),
                 id="exp-but-no-expire"),
])
def test_refused_tokens(token: str) -> None:
    with pytest.raises(InvalidToken):
        decode_token(token, KEY)


def test_access_key_shape() -> None:
    assert auth.ACCESS_KEY_PREFIX == "vb_"
    key = auth.new_access_key()
    assert key.startswith("vb_") and len(key) == 35 and auth.is_access_key(key)
    assert key != auth.new_access_key()
    assert auth.is_access_key("vb_alpha000000000000000000000000000")  # the emulator's documented key
    assert not auth.is_access_key("vb_" + "a" * 31)
    assert not auth.is_access_key("xx_" + "a" * 32)
    assert timedelta(days=7) == auth.TOKEN_LIFETIME


# -- Rate limiting -------------------------------------------------------------------------
def test_default_tiers_are_behaviours() -> None:
    assert Limit(200, 400) == ratelimit.DEFAULT_IP_LIMIT
    assert Limit(10, 20) == ratelimit.DEFAULT_AUTH_IP_LIMIT
    assert Limit(17, 33) == ratelimit.DEFAULT_CUSTOMER_LIMIT
    assert (ratelimit.LIMITED_BY_IP, ratelimit.LIMITED_BY_CUSTOMER) == ("ip", "customer")
    assert ratelimit.RETRY_AFTER_HEADER == "Retry-After"


def test_limit_parse_and_print() -> None:
    assert Limit.parse("50:50") == Limit(50.0, 50)
    assert Limit.parse("0.5:2") == Limit(0.5, 2)
    assert str(Limit.parse("17:33")) == "17:33"


@pytest.mark.parametrize("text", ["50", "a:b", "0:5", "5:0", "-1:5", "1:2:3", ""])
def test_limit_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        Limit.parse(text)


@pytest.mark.parametrize(("raw", "seconds"), [("3", 3), ("0", 0), (" 12 ", 12), ("1.5", None), ("-1", None),
                                              ("soon", None), (None, None)])
def test_retry_after_is_whole_seconds(raw: str | None, seconds: int | None) -> None:
    assert ratelimit.retry_after_seconds(raw) == seconds


def _limited(retry_after: str | None = "1", reason: str = "RATE_LIMIT_EXCEEDED") -> tuple[dict, dict]:
    headers = {"X-Request-Id": "req_1"} | ({"Retry-After": retry_after} if retry_after is not None else {})
    body = envelope.envelope("RESOURCE_EXHAUSTED", reason, "slow down", "req_1", [{"limited_by": "customer"}])
    return headers, body


def test_rate_limit_problems() -> None:
    assert ratelimit.rate_limit_problems(429, *_limited()) == []
    assert ratelimit.rate_limit_problems(200, {}, {}) == []
    assert ratelimit.rate_limit_problems(429, *_limited(retry_after=None))
    assert ratelimit.rate_limit_problems(429, *_limited(retry_after="1.5"))
    assert ratelimit.rate_limit_problems(429, *_limited(reason="OTHER"))


# -- Resources -----------------------------------------------------------------------------
def test_create_statuses() -> None:
    # BEHAVIOUR.md's "contact addresses" are the spec's /contact_addresses resource; the addresses
    # nested under /contacts/{id}/addresses declare 200 for their create, like any other collection
    assert resources.CREATE_STATUS == {"contacts": 201, "contact_addresses": 201,
                                       "speakings": 201, "aiaudits": 202, "aipromptproposals": 202}
    assert resources.create_status("flows") == 200
    assert resources.create_status(resources.resource_of("/contact_addresses")) == 201
    assert resources.create_status(resources.resource_of("/contacts/{id}/addresses")) == 200


def test_deleted_get_statuses() -> None:
    assert resources.DELETED_GET_STATUS == {"accesskeys": 409, "calls": 409, "outbound_configs": 409, "agents": 200}
    assert resources.deleted_get_status("flows") == 404


def test_singletons() -> None:
    assert set(resources.SINGLETONS) == {"customer", "billing_account", "storage_account", "outbound_config", "me"}


def test_other_customer_statuses() -> None:
    assert resources.other_customer_status("flows") == 403
    assert resources.other_customer_status("accesskeys") == 404
    assert resources.other_customer_status("addresses") == 403  # /contacts/{id}/addresses: see test_create_statuses
    assert resources.other_customer_status("contact_addresses") == 404
    assert resources.other_customer_status("flows", docs=True) == 404


def test_insufficient_balance_operations() -> None:
    assert set(resources.INSUFFICIENT_BALANCE_OPERATIONS) == {
        ("POST", "/calls"), ("POST", "/emails"), ("POST", "/groupcalls"), ("POST", "/messages"),
        ("POST", "/numbers"), ("POST", "/numbers/renew")}


def test_server_set_fields() -> None:
    assert set(resources.SERVER_SET_FIELDS) == {"id", "customer_id", "tm_create", "tm_update", "tm_delete"}


def test_uuids() -> None:
    assert resources.is_uuid("a1a1a1a1-0000-4000-8000-000000000001")
    assert not resources.is_uuid("00000000-0000-0000-0000-000000000000")
    assert resources.is_uuid("00000000-0000-0000-0000-000000000000", allow_nil=True)
    assert not resources.is_uuid("not-a-uuid") and not resources.is_uuid(5)


def test_tables_name_real_spec_operations(spec: Spec) -> None:
    """Every collection and operation the tables name exists in the spec (a typo would silently
    exempt a resource from a rule)."""
    labels = {op.label for op in spec.operations}
    collections = {op.collection for op in spec.operations}
    for method, path in resources.INSUFFICIENT_BALANCE_OPERATIONS:
        assert f"{method} {path}" in labels
    for name in list(resources.DELETED_GET_STATUS) + [c for c in resources.CREATE_STATUS if c != "addresses"]:
        assert name in collections, name
    assert "POST /contacts/{id}/addresses" in labels
    for name in resources.SINGLETONS:
        assert f"GET /{name}" in labels, name


@pytest.mark.parametrize(("path", "resource"), [
    ("/flows", "flows"), ("/flows/{id}", "flows"), ("/contacts/{id}/addresses", "addresses"),
    ("/contacts/{id}/addresses/{address_id}", "addresses"), ("/customer", "customer"),
])
def test_resource_of(path: str, resource: str) -> None:
    assert resources.resource_of(path) == resource


def test_login_surface() -> None:
    # BEHAVIOUR.md "Surfaces": POST /auth/login outside /v1.0; failures are 400 with an empty body
    assert (auth.LOGIN_PATH, auth.LOGIN_FAILURE_STATUS) == ("/auth/login", 400)


def test_contact_addresses_page_differently() -> None:
    # BEHAVIOUR.md "Pagination": contact_addresses default 20, no cap
    assert pagination.page_size_limits("contact_addresses") == (20, None)
    assert pagination.page_size_limits("flows") == (100, 100)


@pytest.mark.parametrize(("param", "reason"), [
    ({"type": "string"}, "INVALID_ID"), ({"type": "string", "format": "uuid"}, "INVALID_REQUEST_PARAMETER"),
    (None, "INVALID_ID"),
])
def test_invalid_id_reason_follows_the_parameter_type(param: object, reason: str) -> None:
    assert resources.invalid_id_reason(param) == reason


@pytest.mark.parametrize(("natural", "declared", "answer"), [
    (403, [200, 403, 404], 403),  # declared: kept
    (403, [200, 401, 500], 401),  # frozen account on GET /flows
    (403, [200, 400, 401, 500], 401),  # a refusal stays in the auth family before "bad request"
    (400, [200, 401, 500], 401),
    (409, [200, 400, 401, 403, 404, 500], 404),  # a deleted accesskey/call/outbound_config: not found
    (402, [200, 400, 500], 400),
    (401, [200, 400], 401),  # authentication comes first: never replaced
    (429, [200], 429),
    (405, [200], 405),
])
def test_spec_fallback_status(natural: int, declared: list[int], answer: int) -> None:
    """The conformant profile's rule for a natural status the operation does not declare."""
    assert statuses.spec_fallback_status(natural, declared) == answer


# -- Rules: one id and one quote each (issue 11, item 3) -------------------------------------
def _rule_attributes() -> list[object]:
    from voipbin_harness.conventions.rules import R, Rule

    return [value for name, value in vars(R).items() if not name.startswith("_") and isinstance(value, Rule)]


def test_each_rule_has_its_own_id_and_each_quote_is_written_once() -> None:
    from voipbin_harness.conventions.rules import RULES, P, Promise

    rules = _rule_attributes()
    assert len(RULES) == len(rules) == len({r.id for r in rules})  # type: ignore[attr-defined]
    promises = {id(r.promise): r.promise for r in rules}  # type: ignore[attr-defined]
    promises.update({id(v): v for k, v in vars(P).items() if isinstance(v, Promise)})
    # a rule may quote another's words by reference with its own reading, never restate both
    quotes = [(p.text, p.reading) for p in promises.values()]
    assert sorted(q for q in quotes if quotes.count(q) > 1) == []


def test_every_check_the_contracts_suite_registers_is_a_rule() -> None:
    from contracts.checks import CONVENTION_CHECKS, WORKFLOW_RULES
    from contracts.failures import ConventionFailure
    from voipbin_harness.conventions.rules import RULES

    names = {check.__name__ for check in CONVENTION_CHECKS} | set(WORKFLOW_RULES)
    assert names <= set(RULES)
    for failure in ConventionFailure.__subclasses__():
        assert failure.rule is not None and failure.checks == (failure.rule.id,), failure
        assert failure.promise == failure.rule.quote()


def test_the_same_rule_has_one_check_name_in_every_suite() -> None:
    # the pairs issue 11 found: error_envelope_shape vs error_envelope, authentication_required vs authentication
    from contracts import checks
    from voipbin_harness.conventions.rules import R

    assert checks.error_envelope.__name__ == R.ERROR_ENVELOPE.id == "error_envelope"
    assert checks.authentication.__name__ == R.AUTHENTICATION.id == "authentication"
    assert not hasattr(checks, "error_envelope_shape") and not hasattr(checks, "authentication_required")


def test_no_suite_spells_a_check_name_or_a_promise_itself() -> None:
    """Check names and promise quotes come from ``conventions.rules``: a literal ``check="..."``,
    ``*_CHECK = "..."`` or ``Promise(...)`` in a suite would be a second name or a second quote."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    places = [*root.glob("contracts/*.py"), *root.glob("scenarios/*.py"), *root.glob("voipbin_harness/loadgen/*.py")]
    literal = re.compile(r'\bcheck\s*=\s*"(\w*)|_CHECK\s*=\s*"(\w*)|\bPromise\(|^\s*promise\s*=\s*\(?"', re.M)
    harness_own = {"response_time"}  # contracts' client timeout: the harness's limit, not a VoIPBIN rule
    spelled = {str(p.relative_to(root)): [m.group(0) for m in literal.finditer(p.read_text(encoding="utf-8"))
                                          if not {m.group(1), m.group(2)} & harness_own]
               for p in places}
    assert {path: hits for path, hits in spelled.items() if hits} == {}
