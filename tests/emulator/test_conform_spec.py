"""The conformant profile keeps the spec it was built from (issue 10, item 3).

- A blank (whitespace-only) or malformed JSON body is refused the same way on every operation that
  takes a JSON body, whether the spec marks the body required or not.
- Error bodies fit the error schema the spec version declares for the status (a flat error of an
  "older" spec, built here by editing the pinned one), and a version whose operations declare no
  4xx is answered with the natural status and the documented envelope.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import jsonschema
import pytest

from tests.support import Emu, assert_error
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.emulator import EmulatorConfig, running_emulator
from voipbin_harness.emulator.conform import Repairer, error_schema, fit_error
from voipbin_harness.emulator.generate import Generator
from voipbin_harness.emulator.schemas import SchemaTools
from voipbin_harness.spec import Spec

BLANK_BODIES = [b"   ", b"\n\t ", b"{", b"{\"name\": "]


def _json_body_operations(spec: Spec) -> list[str]:
    out = []
    for op in spec.operations:
        body = spec.resolve(op.raw.get("requestBody")) or {}
        media = next(iter(body.get("content") or {}), "")
        if "json" in media and op.method in ("POST", "PUT") and not op.path.startswith("/auth/"):
            out.append(op.label)
    return out


def _path(spec: Spec, label: str) -> str:
    op = spec.operation(label)
    path = op.path
    for name in op.path_params:
        schema = spec.resolve((op.param("path", name) or {}).get("schema")) or {}
        value = schema.get("enum", [None])[0] or str(uuid.uuid4())
        path = path.replace("{" + name + "}", str(value))
    return path


@pytest.mark.parametrize("raw", [b"   ", b"{"], ids=["whitespace", "malformed"])
def test_tags_and_agents_refuse_a_bad_body_alike(conformant: Emu, raw: bytes) -> None:
    """The issue's case: POST /tags (optional body) answered "   " with 200, POST /agents with 400."""
    reasons = set()
    for path in ("/tags", "/agents"):
        answer = conformant.post(path, content=raw, headers={"Content-Type": "application/json"})
        reasons.add(assert_error(answer, 400, Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY)["reason"])
    assert reasons == {Reason.INVALID_JSON_BODY}


def test_every_operation_with_a_json_body_refuses_blank_and_malformed_bodies(conformant: Emu, spec: Spec) -> None:
    labels = _json_body_operations(spec)
    assert len(labels) > 100  # the pinned spec: 137 POST and PUT operations take a JSON body
    accepted, other = [], []
    for label in labels:
        method = label.split(" ", 1)[0]
        for raw in BLANK_BODIES:
            answer = conformant.request(method, _path(spec, label), who="alpha", content=raw,
                                        headers={"Content-Type": "application/json"})
            if answer.status_code < 400:
                accepted.append(f"{label} {raw!r}: {answer.status_code}")
            elif answer.json()["error"]["reason"] != Reason.INVALID_JSON_BODY:
                other.append(f"{label} {raw!r}: {answer.status_code} {answer.json()['error']['reason']}")
    assert not accepted, accepted[:10]
    assert not other, other[:10]


def test_an_empty_optional_body_is_no_body(conformant: Emu) -> None:
    """Zero bytes is "no body": where the spec makes the body optional, the request goes through."""
    assert conformant.post("/tags", content=b"").status_code == 200


# -- error bodies against the spec version's error schema -----------------------------------------
FLAT_ERROR = {"type": "object", "additionalProperties": False, "required": ["message", "code"],
              "properties": {"message": {"type": "string"}, "code": {"type": "integer"}}}


def _flat_error_spec(spec: Spec) -> Spec:
    document = copy.deepcopy(spec.document)
    document["components"]["schemas"]["ErrorResponse"] = FLAT_ERROR
    return Spec(document, "flat-error")


def _no_error_statuses_spec(spec: Spec) -> Spec:
    document = copy.deepcopy(spec.document)
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"] = {k: v for k, v in operation["responses"].items() if str(k)[0] in "123"}
    return Spec(document, "no-4xx")


@pytest.fixture
def serve() -> Iterator[Callable[[Spec], Emu]]:
    with ExitStack() as stack:
        def start(spec: Spec) -> Emu:
            config = EmulatorConfig(profile="conformant", customer_limit=None, ip_limit=None, auth_ip_limit=None)
            server = stack.enter_context(running_emulator(spec, config))
            emu = Emu(server.origin, "conformant")
            stack.callback(emu.close)
            return emu
        yield start


def test_errors_fit_a_flat_error_schema(serve: Callable[[Spec], Emu], spec: Spec) -> None:
    emu = serve(_flat_error_spec(spec))
    for answer in (emu.get(f"/flows/{uuid.uuid4()}"), emu.get("/flows", who=None),
                   emu.post("/tags", content=b"  ", headers={"Content-Type": "application/json"})):
        body = answer.json()
        jsonschema.validate(body, FLAT_ERROR)
        assert answer.status_code in (400, 401, 404) and body["message"].strip()
        assert "error" not in body


def test_no_declared_4xx_answers_the_natural_status_and_envelope(serve: Callable[[Spec], Emu], spec: Spec) -> None:
    emu = serve(_no_error_statuses_spec(spec))
    assert_error(emu.get(f"/flows/{uuid.uuid4()}"), 404, Status.NOT_FOUND)
    assert_error(emu.get("/flows", who=None), 401, Status.UNAUTHENTICATED)
    assert_error(emu.post("/tags", content=b"  ", headers={"Content-Type": "application/json"}), 400,
                 Status.INVALID_ARGUMENT, Reason.INVALID_JSON_BODY)
    assert emu.get("/flows").status_code == 200


def test_the_pinned_error_schema_leaves_the_envelope_untouched(spec: Spec) -> None:
    tools = SchemaTools(spec)
    repairer = Repairer(tools, Generator(tools), 1)
    envelope: dict[str, Any] = {"error": {"status": "NOT_FOUND", "reason": "FLOW_NOT_FOUND", "message": "no such flow",
                                          "request_id": "req_0123456789ABCDEF"}}
    schema = error_schema(spec.operation("GET /flows/{id}").responses, 404)
    assert fit_error(copy.deepcopy(envelope), schema, repairer) == envelope
    assert error_schema({"200": {}, "default": {"type": "object"}}, 418) == {"type": "object"}
    assert error_schema({"200": {}}, 404) is None
