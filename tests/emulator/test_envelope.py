"""The error envelope, request ids, and the validation answers (bad JSON, bad UUIDs) in both profiles."""

from __future__ import annotations

import uuid

import pytest

from tests.support import HTTP_OF_ERROR_STATUS, Emu, assert_answer, assert_error
from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER, Reason, Status
from voipbin_harness.spec import Operation, Spec

NIL = "00000000-0000-0000-0000-000000000000"


def _error_answers(emu: Emu) -> dict[str, object]:
    """One answer per kind of error, each a different layer of the pipeline."""
    return {
        "no-credentials": emu.get("/flows", who=None),
        "bad-credentials": emu.get("/flows", who=None, params={"accesskey": "vb_" + "Q" * 32}),
        "unknown-route": emu.get("/no-such-route", who=None),
        "bad-json": emu.post("/flows", content=b"{oops", headers={"Content-Type": "application/json"}),
        "bad-uuid": emu.get("/flows/not-a-uuid"),
        "bad-page-size": emu.get("/flows", params={"page_size": "many"}),
        "agent-lacks-permission": emu.get("/accesskeys", who="alpha-agent"),
        "missing": emu.get(f"/flows/{uuid.uuid4()}"),
    }


#: kind -> (operation, the gateway's HTTP status), from BEHAVIOUR.md: 401 without or with bad
#: credentials and 403 for a missing permission (lines 35-38), 404 for an unknown route (line 82),
#: 400 for bad JSON, a bad UUID, a non-integer page_size (lines 59, 77-79), 404 for a missing id (line 95).
ERROR_KINDS = {
    "no-credentials": ("GET /flows", 401), "bad-credentials": ("GET /flows", 401), "unknown-route": (None, 404),
    "bad-json": ("POST /flows", 400), "bad-uuid": ("GET /flows/{id}", 400), "bad-page-size": ("GET /flows", 400),
    "agent-lacks-permission": ("GET /accesskeys", 403), "missing": ("GET /flows/{id}", 404),
}
#: The conformant profile keeps the spec's promises instead: ``GET /flows/{id}`` types its id as a
#: plain string, so "not-a-uuid" is a valid id that names nothing: 404 NOT_FOUND.
CONFORMANT_KINDS = {"bad-uuid": ("GET /flows/{id}", 404)}


@pytest.mark.parametrize("kind", sorted(ERROR_KINDS))
def test_every_error_uses_the_envelope(emu: Emu, spec: Spec, kind: str) -> None:
    response = _error_answers(emu)[kind]
    label, expected = (CONFORMANT_KINDS if emu.profile == "conformant" else {}).get(kind, ERROR_KINDS[kind])
    if label is None:
        error = assert_error(response, expected)  # shape, Content-Type, request_id == X-Request-Id
    else:
        error = assert_answer(emu, spec, label, response, expected)
    assert error["request_id"].startswith("req_"), error["request_id"]
    assert HTTP_OF_ERROR_STATUS.get(error["status"]) == response.status_code, (error["status"], response.status_code)


def test_request_ids_are_fresh(emu: Emu) -> None:
    ids = {emu.get("/flows", who=None).headers[REQUEST_ID_HEADER] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("inbound", ["abc", "trace_ID-42", "x" * 64, "0"])
def test_valid_inbound_request_id_is_echoed(emu: Emu, inbound: str) -> None:
    error = emu.get("/flows", who=None, headers={REQUEST_ID_HEADER: inbound})
    assert assert_error(error, 401)["request_id"] == inbound
    assert error.headers[REQUEST_ID_HEADER] == inbound
    ok = emu.get("/flows", headers={REQUEST_ID_HEADER: inbound})
    assert ok.status_code == 200 and ok.headers.get(REQUEST_ID_HEADER) == inbound


@pytest.mark.parametrize("inbound", ["x" * 65, "has space", "dot.ted", "semi;colon", "slash/y", b"\xfc", "a\tb"])
def test_invalid_inbound_request_id_is_replaced(emu: Emu, inbound: str | bytes) -> None:
    response = emu.get("/flows", who=None, headers={REQUEST_ID_HEADER: inbound})
    error = assert_error(response, 401)
    assert error["request_id"] != inbound and error["request_id"].startswith("req_")
    assert response.headers[REQUEST_ID_HEADER] == error["request_id"]


# -- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [("POST", "/flows"), ("PUT", "/flows/{seeded}"), ("POST", "/contacts")])
@pytest.mark.parametrize("body", [b"{oops", b"[1, 2", b"\xff\xfe", b'{"name": "x",}'])
def test_malformed_json_is_invalid_json_body(emu: Emu, method: str, path: str, body: bytes) -> None:
    if "{seeded}" in path:
        path = path.format(seeded=emu.get("/flows").json()["result"][0]["id"])
    response = emu.request(method, path, who="alpha", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY)


def test_content_type_is_not_checked_and_unknown_fields_are_ignored(emu: Emu) -> None:
    response = emu.post("/flows", content=b'{"name": "plain", "detail": "d", "actions": [], "zzz_unknown": 1}',
                        headers={"Content-Type": "text/plain"})
    assert 200 <= response.status_code < 300, response.text
    assert response.json()["name"] == "plain" and "zzz_unknown" not in response.json()


def _single_id_operations(spec: Spec) -> list[Operation]:
    """Operations with exactly one path parameter, ``{id}``, typed as a string id."""
    return [op for op in spec.operations
            if op.path_params == ["id"] and (op.param("path", "id") or {}).get("schema", {}).get("type") == "string"]


def _expected_reason(op: Operation) -> str:
    """BEHAVIOUR.md: INVALID_ID for ids typed as plain strings, INVALID_REQUEST_PARAMETER for format: uuid."""
    schema = (op.param("path", "id") or {}).get("schema", {})
    return Reason.INVALID_REQUEST_PARAMETER if schema.get("format") == "uuid" else Reason.INVALID_ID


def test_both_kinds_of_id_exist_in_the_spec(spec: Spec) -> None:
    reasons = {_expected_reason(op) for op in _single_id_operations(spec)}
    assert reasons == {Reason.INVALID_ID, Reason.INVALID_REQUEST_PARAMETER}


def _reason(response: object) -> str | None:
    try:
        return response.json()["error"]["reason"]  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError):
        return None


def _acceptable(emu: Emu, op: Operation, status: int, reason: str | None) -> bool:
    """Gateway: 400 with the reason the id's type calls for. Conformant: ids typed ``format: uuid``
    the same; a plain-string id is valid for the spec, so the conformant profile may go on and
    answer another declared 4xx (not found, not permitted, bad body) -- never a 2xx or an
    undeclared code."""
    expected = _expected_reason(op)
    if emu.profile == "gateway" or expected == Reason.INVALID_REQUEST_PARAMETER:
        return status == 400 and reason == expected
    return str(status) in op.declared_statuses and 400 <= status < 500


@pytest.mark.parametrize("bad", ["not-a-uuid", "1234", "5e4a0680-eba3-4001-a000-00000000000Z"])
def test_malformed_uuid_in_path_per_parameter_type(emu: Emu, spec: Spec, bad: str) -> None:
    wrong: list[str] = []
    for op in _single_id_operations(spec):
        response = emu.request(op.method, op.path.replace("{id}", bad), who="alpha",
                               json={} if op.method in ("POST", "PUT") else None)
        if not _acceptable(emu, op, response.status_code, _reason(response)):
            wrong.append(f"{op.label}: {response.status_code} {_reason(response)}, expected 400 {_expected_reason(op)}")
        else:
            assert_error(response, response.status_code)
    assert not wrong, f"{len(wrong)} operations:\n" + "\n".join(wrong[:30])


def test_nil_uuid_is_rejected_for_plain_string_ids(emu: Emu, spec: Spec) -> None:
    wrong = []
    for op in _single_id_operations(spec):
        if _expected_reason(op) != Reason.INVALID_ID or op.method != "GET":
            continue
        response = emu.get(op.path.replace("{id}", NIL))
        if not _acceptable(emu, op, response.status_code, _reason(response)):
            wrong.append(f"{op.label}: {response.status_code} {_reason(response)}")
    assert not wrong, "\n".join(wrong[:30])


@pytest.mark.parametrize("path", ["/flows/not-a-uuid", f"/flows/{NIL}", "/outbound_configs/not-a-uuid"])
def test_authentication_comes_before_binding(emu: Emu, path: str) -> None:
    assert_error(emu.get(path, who=None), 401, Status.UNAUTHENTICATED, Reason.AUTHENTICATION_REQUIRED)
