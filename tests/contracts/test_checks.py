"""Each VoIPBIN convention check fails on a canned answer that breaks its rule and passes on one
that keeps it (and says "skipped" where the rule does not apply), against the real spec."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from contracts import checks
from contracts.failures import ConventionFailure
from contracts.identity import callers
from tests.contracts.canned import ALPHA, OTHER, answer, error_body, error_headers, run_check
from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER, Reason, Status
from voipbin_harness.spec import Spec

UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


@pytest.fixture(scope="module")
def schema(spec: Spec) -> Any:
    return schemathesis.openapi.from_dict(spec.document)


def case_of(schema: Any, label: str, **kwargs: Any) -> Any:
    method, path = label.split(" ", 1)
    return schema[path][method].Case(**kwargs)


def fails(check: Any, response: Any, case: Any) -> ConventionFailure:
    with pytest.raises(ConventionFailure) as caught:
        run_check(check, response, case)
    failure = caught.value
    assert failure.message.startswith("Expected: ") and "\nReceived: " in failure.message
    assert failure.operation == case.operation.label
    return failure


# -- error_envelope ---------------------------------------------------------------------
def test_envelope_passes_a_gateway_error(schema: Any) -> None:
    case = case_of(schema, "GET /flows/{id}", path_parameters={"id": UUID})
    response = answer(case, 404, error_body(Status.NOT_FOUND, Reason.NOT_FOUND), headers=error_headers())
    assert run_check(checks.error_envelope, response, case) is None


def test_envelope_skips_success(schema: Any) -> None:
    case = case_of(schema, "GET /flows/{id}", path_parameters={"id": UUID})
    assert run_check(checks.error_envelope, answer(case, 200, {"id": UUID}), case) is True


@pytest.mark.parametrize(("status", "body", "content", "needle"), [
    (404, {"error": "not_found", "message": "no such flow"}, None, "not an error envelope"),
    (400, error_body(Status.NOT_FOUND, Reason.NOT_FOUND), None, "means HTTP 404"),
    (403, error_body(Status.PERMISSION_DENIED, Reason.PERMISSION_DENIED, message=""), None, "message"),
    (400, None, b"", "not a JSON body"),
])
def test_envelope_fails_a_broken_error(schema: Any, status: int, body: Any, content: bytes | None,
                                       needle: str) -> None:
    case = case_of(schema, "GET /flows/{id}", path_parameters={"id": UUID})
    failure = fails(checks.error_envelope, answer(case, status, body, content=content,
                                                        headers=error_headers()), case)
    assert needle in failure.actual
    assert failure.check_name == "error_envelope"


def test_envelope_key_is_stable_across_values(schema: Any) -> None:
    case = case_of(schema, "GET /flows/{id}", path_parameters={"id": UUID})
    keys = {fails(checks.error_envelope,
                  answer(case, 404, error_body(Status.NOT_FOUND, Reason.NOT_FOUND, message="", request_id=rid)),
                  case).key for rid in ("req_a", "req_b")}
    assert len(keys) == 1


# -- request_id_echo --------------------------------------------------------------------------
def test_request_id_passes_when_header_equals_body(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, 400, error_body(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER),
                      headers=error_headers())
    assert run_check(checks.request_id_echo, response, case) is None


@pytest.mark.parametrize(("headers", "request_headers", "key"), [
    ({}, None, "header-missing"),
    ({REQUEST_ID_HEADER: "req_other"}, None, "body-differs"),
    (error_headers(), {REQUEST_ID_HEADER: "contracts_abc123"}, "inbound-not-echoed"),
])
def test_request_id_fails(schema: Any, headers: dict[str, str], request_headers: dict[str, str] | None,
                          key: str) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, 400, error_body(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER),
                      headers=headers, request_headers=request_headers)
    assert fails(checks.request_id_echo, response, case).key == key


def test_request_id_passes_an_echoed_inbound_id(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, 400, error_body(Status.INVALID_ARGUMENT, Reason.INVALID_REQUEST_PARAMETER,
                                            request_id="contracts_abc123"),
                      headers={REQUEST_ID_HEADER: "contracts_abc123"},
                      request_headers={REQUEST_ID_HEADER: "contracts_abc123"})
    assert run_check(checks.request_id_echo, response, case) is None


# -- list_answer_shape ------------------------------------------------------------------------
def test_list_passes_a_page(schema: Any) -> None:
    case = case_of(schema, "GET /flows", query={"page_size": 2})
    body = {"result": [{"id": UUID}, {"id": UUID}], "next_page_token": "2026-01-01T00:00:00.000000Z"}
    assert run_check(checks.list_answer_shape, answer(case, 200, body), case) is None


@pytest.mark.parametrize(("body", "needle"), [
    ({"result": {"id": UUID}, "next_page_token": ""}, "must be an array"),
    ({"result": [], "next_page_token": 17}, "must be a string"),
    ({"result": [{"id": UUID}] * 3, "next_page_token": "t"}, "more than page_size=2"),
    ([{"id": UUID}], "must be an object"),
])
def test_list_fails_a_broken_page(schema: Any, body: Any, needle: str) -> None:
    case = case_of(schema, "GET /flows", query={"page_size": 2})
    assert needle in fails(checks.list_answer_shape, answer(case, 200, body), case).actual


def test_list_applies_the_cap_to_oversized_page_sizes(schema: Any) -> None:
    case = case_of(schema, "GET /flows", query={"page_size": 500})
    body = {"result": [{"id": UUID}] * 101, "next_page_token": "t"}
    assert "page_size=100" in fails(checks.list_answer_shape, answer(case, 200, body), case).actual


def test_list_skips_reads_and_errors(schema: Any) -> None:
    read = case_of(schema, "GET /flows/{id}", path_parameters={"id": UUID})
    assert run_check(checks.list_answer_shape, answer(read, 200, {"id": UUID}), read) is True
    listing = case_of(schema, "GET /flows")
    assert run_check(checks.list_answer_shape, answer(listing, 400, {}), listing) is True


# -- created_resource_identity -----------------------------------------------------------------
def test_created_passes_a_server_set_identity(schema: Any) -> None:
    case = case_of(schema, "POST /flows", body={"name": "x"})
    body = {"id": UUID, "customer_id": ALPHA, "name": "x"}
    assert run_check(checks.created_resource_identity, answer(case, 200, body), case) is None


@pytest.mark.parametrize(("body", "key"), [
    ({"id": "17", "customer_id": ALPHA}, "id-not-uuid"),
    ({"customer_id": ALPHA, "name": "x"}, "id-missing"),
    ({"id": UUID, "customer_id": OTHER}, "customer_id-not-caller"),
    ({"id": UUID, "customer_id": None}, "customer_id-missing"),
])
def test_created_fails_a_wrong_identity(schema: Any, body: dict[str, Any], key: str) -> None:
    case = case_of(schema, "POST /flows", body={"name": "x"})
    assert fails(checks.created_resource_identity, answer(case, 200, body), case).key == key


def test_created_reads_nested_resources(schema: Any) -> None:
    case = case_of(schema, "POST /calls", body={})
    good = {"calls": [{"id": UUID, "customer_id": ALPHA}], "groupcalls": []}
    assert run_check(checks.created_resource_identity, answer(case, 200, good), case) is None
    bad = {"calls": [{"id": UUID, "customer_id": OTHER}], "groupcalls": []}
    assert fails(checks.created_resource_identity, answer(case, 200, bad), case).key == "customer_id-not-caller"


def test_created_knows_access_key_callers(schema: Any) -> None:
    case = case_of(schema, "POST /flows", body={"name": "x"}, query={"accesskey": "vb_" + "k" * 32})
    callers.register("vb_" + "k" * 32, ALPHA)
    try:
        response = answer(case, 200, {"id": UUID, "customer_id": OTHER}, authenticated=False)
        assert fails(checks.created_resource_identity, response, case).key == "customer_id-not-caller"
    finally:
        callers.clear()


def test_created_skips_failed_creates_and_reads(schema: Any) -> None:
    case = case_of(schema, "POST /flows", body={"name": "x"})
    assert run_check(checks.created_resource_identity, answer(case, 400, {}), case) is True
    read = case_of(schema, "GET /flows/{id}", path_parameters={"id": UUID})
    assert run_check(checks.created_resource_identity, answer(read, 200, {"id": "x"}), read) is True


# -- json_content_type ------------------------------------------------------------------------
def test_json_content_type_passes_application_json(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, 200, content=b'{"result": []}', headers={"Content-Type": "application/json; charset=utf-8"})
    assert run_check(checks.json_content_type, response, case) is None


@pytest.mark.parametrize(("headers", "key"), [({"Content-Type": "text/plain"}, "text/plain"), ({}, "missing")])
def test_json_content_type_fails_other_types(schema: Any, headers: dict[str, str], key: str) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, 200, content=b'{"result": []}', headers=headers)
    assert fails(checks.json_content_type, response, case).key == key


def test_json_content_type_skips_non_json(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    assert run_check(checks.json_content_type, answer(case, 200, content=b""), case) is True


# -- authentication -----------------------------------------------------------------
def test_auth_passes_a_401(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, 401, error_body(Status.UNAUTHENTICATED, Reason.AUTHENTICATION_REQUIRED),
                      headers=error_headers(), authenticated=False)
    assert run_check(checks.authentication, response, case) is None


@pytest.mark.parametrize(("status", "body", "key"), [
    (200, {"result": [], "next_page_token": ""}, "HTTP 200"),
    (401, error_body(Status.PERMISSION_DENIED, Reason.PERMISSION_DENIED), "status PERMISSION_DENIED"),
])
def test_auth_fails_an_unrefused_request(schema: Any, status: int, body: Any, key: str) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, status, body, headers=error_headers(), authenticated=False)
    assert fails(checks.authentication, response, case).key == key


def test_auth_skips_authenticated_requests_and_public_operations(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    assert run_check(checks.authentication, answer(case, 200, {"result": []}), case) is True
    public = case_of(schema, "POST /auth/signup", body={})
    response = answer(public, 200, {}, authenticated=False)
    assert run_check(checks.authentication, response, public) is True


# -- rate_limit_answer / rate_limit_declared ----------------------------------------------------
def limited(**error: Any) -> dict[str, Any]:
    body = error_body(Status.RESOURCE_EXHAUSTED, Reason.RATE_LIMIT_EXCEEDED)
    body["error"].update(error)
    return body


def test_rate_limit_passes_the_convention(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    response = answer(case, 429, limited(details=[{"limited_by": "customer"}]),
                      headers={**error_headers(), "Retry-After": "1"})
    assert run_check(checks.rate_limit_answer, response, case) is None


@pytest.mark.parametrize(("headers", "body", "needle"), [
    (error_headers(), limited(), "without a Retry-After"),
    ({**error_headers(), "Retry-After": "1.5"}, limited(), "not a whole number"),
    ({**error_headers(), "Retry-After": "1"}, limited(reason="TOO_MANY"), "RATE_LIMIT_EXCEEDED"),
])
def test_rate_limit_fails_a_broken_429(schema: Any, headers: dict[str, str], body: Any, needle: str) -> None:
    case = case_of(schema, "GET /flows")
    assert needle in fails(checks.rate_limit_answer, answer(case, 429, body, headers=headers), case).actual


def test_rate_limit_declared(schema: Any) -> None:
    undeclared = case_of(schema, "GET /flows")
    response = answer(undeclared, 429, limited(), headers={**error_headers(), "Retry-After": "1"})
    assert fails(checks.rate_limit_declared, response, undeclared).key == "429"
    declared = case_of(schema, "POST /aiaudits", body={})
    response = answer(declared, 429, limited(), headers={**error_headers(), "Retry-After": "1"})
    assert run_check(checks.rate_limit_declared, response, declared) is None
    assert run_check(checks.rate_limit_declared, answer(undeclared, 200, {}), undeclared) is True


# -- workflow rules ----------------------------------------------------------------------------
def test_created_resource_readable(schema: Any) -> None:
    case = case_of(schema, "GET /flows/{id}", path_parameters={"id": UUID})
    checks.created_resource_readable(answer(case, 200, {"id": UUID}), case, created_id=UUID)
    with pytest.raises(ConventionFailure) as caught:
        checks.created_resource_readable(answer(case, 404, error_body(Status.NOT_FOUND, Reason.NOT_FOUND)),
                                         case, created_id=UUID)
    assert caught.value.key == "HTTP 404"


def test_created_resource_listed(schema: Any) -> None:
    case = case_of(schema, "GET /flows")
    checks.created_resource_listed(answer(case, 200, {"result": [{"id": UUID}], "next_page_token": "t"}),
                                   case, created_id=UUID)
    with pytest.raises(ConventionFailure):
        checks.created_resource_listed(answer(case, 200, {"result": [], "next_page_token": ""}), case,
                                       created_id=UUID)


@pytest.mark.parametrize(("label", "status", "body", "ok"), [
    ("GET /flows/{id}", 404, error_body(Status.NOT_FOUND, Reason.NOT_FOUND), True),
    ("GET /flows/{id}", 200, {"id": UUID, "tm_delete": None}, False),
    ("GET /flows/{id}", 500, error_body(Status.INTERNAL, Reason.INTERNAL_ERROR), False),
    ("GET /calls/{id}", 409, error_body(Status.FAILED_PRECONDITION, Reason.RESOURCE_DELETED), True),
    ("GET /agents/{id}", 200, {"id": UUID, "tm_delete": "2026-01-01T00:00:00.000000Z"}, True),
    ("GET /agents/{id}", 200, {"id": UUID, "tm_delete": None}, False),
])
def test_deleted_resource_gone(schema: Any, label: str, status: int, body: Any, ok: bool) -> None:
    case = case_of(schema, label, path_parameters={"id": UUID})
    response = answer(case, status, body)
    if ok:
        checks.deleted_resource_gone(response, case)
    else:
        with pytest.raises(ConventionFailure) as caught:
            checks.deleted_resource_gone(response, case)
        assert caught.value.key == f"HTTP {status}"


def test_list_leaves_spec_declared_arrays_to_the_schema_check(schema: Any) -> None:
    case = case_of(schema, "GET /speakings")
    assert run_check(checks.list_answer_shape, answer(case, 200, [{"id": UUID}]), case) is True


def test_created_resource_listed_reads_bare_arrays(schema: Any) -> None:
    case = case_of(schema, "GET /speakings")
    checks.created_resource_listed(answer(case, 200, [{"id": UUID}]), case, created_id=UUID)


def test_envelope_accepts_the_named_status_for_a_405(schema: Any) -> None:
    """405 has no status of its own in the 1:1 map; conventions name NOT_FOUND for it (conformant emulator)."""
    case = case_of(schema, "GET /flows")
    body = error_body(Status.NOT_FOUND, Reason.METHOD_NOT_ALLOWED)
    assert run_check(checks.error_envelope, answer(case, 405, body, headers=error_headers()), case) is None
