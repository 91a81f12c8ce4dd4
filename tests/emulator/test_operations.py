"""Every one of the spec's operations, answered by both profiles: no 5xx for a simple authenticated
request; in the conformant profile only declared statuses, and reads that validate against the
spec's response schemas."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support import Emu, schema_problems
from voipbin_harness.spec import Operation, Spec

_ORDER = {"GET": 0, "PUT": 1, "POST": 2, "DELETE": 3}  # deletes last, so that reads meet seeded items


def _seeded_ids(emu: Emu, spec: Spec) -> dict[str, str]:
    """``{collection path: id of its first listed item}`` for every top-level list of alpha."""
    ids: dict[str, str] = {}
    for op in spec.operations:
        if op.role == "list" and not op.path_params:
            response = emu.get(op.path, params={"page_size": 1})
            body = response.json() if response.status_code == 200 else None
            result = body.get("result") if isinstance(body, dict) else body
            if result and isinstance(result[0], dict) and isinstance(result[0].get("id"), str):
                ids[op.path] = result[0]["id"]
    return ids


def _value(param: dict[str, Any]) -> str:
    schema = param.get("schema") or {}
    if schema.get("enum"):
        return str(schema["enum"][0])
    if "example" in schema and param["name"] not in ("token",):
        return str(schema["example"])
    return str(uuid.uuid4())


def _concrete(op: Operation, seeded: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The path with every parameter filled (a seeded id where the parent collection has one),
    and the required query parameters."""
    segments = op.path.split("/")
    for index, segment in enumerate(segments):
        if segment.startswith("{"):
            parent = "/".join(segments[:index])
            param = op.param("path", segment[1:-1]) or {"name": segment[1:-1]}
            segments[index] = seeded.get(parent) or _value(param)
    query = {p["name"]: _value(p) for p in op.parameters if p.get("in") == "query" and p.get("required")}
    return "/".join(segments), query


def _call(emu: Emu, op: Operation, seeded: dict[str, str]) -> httpx.Response:
    path, query = _concrete(op, seeded)
    body = {} if op.method in ("POST", "PUT") else None
    return emu.request(op.method, path, who="alpha", params=query, json=body)


def _credential_clash(op: Operation, status: int) -> bool:
    """The spec's ``GET /auth/password-reset`` requires a ``token`` query parameter, which is also
    where the gateway looks for a JWT (before the Bearer header): a reset token there is a bad
    credential, so 401 comes first whatever the spec declares."""
    return status == 401 and op.param("query", "token") is not None


def test_every_operation_answers_without_5xx(emu: Emu, spec: Spec) -> None:
    seeded = _seeded_ids(emu, spec)
    problems: list[str] = []
    for op in sorted(spec.operations, key=lambda o: _ORDER.get(o.method, 9)):
        response = _call(emu, op, seeded)
        status = response.status_code
        if status >= 500:
            problems.append(f"{op.label}: {status} {response.text[:120]}")
        elif "Traceback" in response.text:
            problems.append(f"{op.label}: traceback in the body")
        elif emu.profile == "conformant" and str(status) not in op.declared_statuses \
                and "default" not in op.declared_statuses and not _credential_clash(op, status):
            problems.append(f"{op.label}: {status} is not declared ({sorted(op.declared_statuses)})")
    assert len(spec.operations) == 410
    assert not problems, f"{len(problems)} operations:\n" + "\n".join(problems[:40])


def test_conformant_reads_validate_against_the_spec(conformant: Emu, spec: Spec) -> None:
    seeded = _seeded_ids(conformant, spec)
    checked, problems = 0, []
    for op in spec.operations:
        if op.method != "GET" or op.role not in ("list", "read", "singleton") or "200" not in op.responses:
            continue
        schema = op.responses["200"]
        if schema is None:
            continue
        response = _call(conformant, op, seeded)
        if response.status_code != 200:
            continue
        checked += 1
        for problem in schema_problems(spec, schema, response.json(), limit=2):
            problems.append(f"{op.label}: {problem}")
    assert checked >= 100, f"only {checked} reads answered 200: the sample is too small to mean anything"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_gateway_reads_still_have_the_schema_shape(gateway: Emu, spec: Spec) -> None:
    """The gateway profile may break nullability (``tm_update: null``) like the real gateway, but
    not types otherwise: ignore only the null complaints."""
    seeded = _seeded_ids(gateway, spec)
    problems = []
    for label in ("GET /flows", "GET /flows/{id}", "GET /customer", "GET /me", "GET /accesskeys", "GET /agents"):
        op = spec.operation(label)
        response = _call(gateway, op, seeded)
        assert response.status_code == 200, (label, response.status_code)
        problems += [f"{label}: {p}" for p in schema_problems(spec, op.responses["200"], response.json(), limit=20)
                     if "None" not in p]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("label", ["GET /flows", "GET /flows/{id}", "GET /customer", "GET /me"])
def test_schema_check_can_fail(spec: Spec, label: str) -> None:
    """The validator used above rejects a wrong body (so the passes mean something)."""
    wrong: Any = {"result": [{"id": 5}], "next_page_token": 7} if label == "GET /flows" else {"id": 5}
    assert schema_problems(spec, spec.operation(label).responses["200"], wrong)
