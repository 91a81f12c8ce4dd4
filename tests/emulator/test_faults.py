"""Each ``--fault`` really breaks its promise (the contract and scenario suites prove they catch a
broken target by running against these; a fault that silently does nothing would make those
proofs hollow). Each test also shows the promise holds without the fault, on the session emulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.support import BODIES, JWT_KEY, Emu, walk
from voipbin_harness.conventions.auth import mint_token
from voipbin_harness.conventions.envelope import REQUEST_ID_HEADER
from voipbin_harness.conventions.ratelimit import Limit
from voipbin_harness.emulator import EmulatorConfig, create_app, pipeline
from voipbin_harness.emulator.server import Request
from voipbin_harness.spec import Spec

Start = Callable[..., Emu]


def _faulty(start: Start, name: str, **config: object) -> Emu:
    emu = start(faults=(name,), **config)
    assert name in emu.config().get("faults", []), f"fault {name} not reported by /__emulator__/config"
    return emu


def test_auth_bypass(start_emulator: Start, gateway: Emu) -> None:
    assert gateway.get("/customer", who=None).status_code == 401
    emu = _faulty(start_emulator, "auth-bypass")
    response = emu.get("/customer", who=None)
    assert response.status_code == 200 and response.json()["id"] == emu.customer_id("alpha")


def _leaked(emu: Emu) -> list[dict]:
    emu.create("/flows", BODIES["POST /flows"], who="bravo")
    items = emu.get("/flows", who="alpha", params={"page_size": 100}).json()["result"]
    return [i for i in items if i["customer_id"] != emu.customer_id("alpha")]


def test_leak_list(start_emulator: Start, gateway: Emu) -> None:
    assert _leaked(gateway) == []
    emu = _faulty(start_emulator, "leak-list")
    leaked = _leaked(emu)
    assert leaked and all(i["customer_id"] == emu.customer_id("bravo") for i in leaked)


def _walk_misses(emu: Emu) -> set[str]:
    created = {emu.create("/flows", {**BODIES["POST /flows"], "name": f"w{n}"})["id"] for n in range(7)}
    seen = {i["id"] for page in walk(emu, "/flows", page_size=3) for i in page["result"]}
    return created - seen


def test_drop_page_item(start_emulator: Start, gateway: Emu) -> None:
    assert _walk_misses(gateway) == set()
    assert _walk_misses(_faulty(start_emulator, "drop-page-item"))


def test_cross_tenant_read(start_emulator: Start, gateway: Emu) -> None:
    for emu, expected in ((gateway, 403), (_faulty(start_emulator, "cross-tenant-read"), 200)):
        flow = emu.create("/flows", BODIES["POST /flows"], who="bravo")
        assert emu.get(f"/flows/{flow['id']}", who="alpha").status_code == expected


def _limited(emu: Emu) -> object:
    emu.get("/customer", who="alpha-key")
    return emu.get("/customer", who="alpha-key")


def test_no_retry_after(start_emulator: Start) -> None:
    healthy = _limited(start_emulator(customer_limit=Limit(0.1, 1)))
    assert healthy.status_code == 429 and "retry-after" in healthy.headers
    broken = _limited(_faulty(start_emulator, "no-retry-after", customer_limit=Limit(0.1, 1)))
    assert broken.status_code == 429 and "retry-after" not in broken.headers


def test_ratelimit_500(start_emulator: Start) -> None:
    emu = _faulty(start_emulator, "ratelimit-500", customer_limit=Limit(0.1, 1))
    assert _limited(emu).status_code == 500


def test_bad_envelope(start_emulator: Start, gateway: Emu) -> None:
    assert gateway.get("/flows", who=None).json()["error"]["message"]
    error = _faulty(start_emulator, "bad-envelope").get("/flows", who=None).json()["error"]
    assert not error.get("message")


def test_request_id_mismatch(start_emulator: Start, gateway: Emu) -> None:
    ok = gateway.get("/flows", who=None)
    assert ok.json()["error"]["request_id"] == ok.headers[REQUEST_ID_HEADER]
    bad = _faulty(start_emulator, "request-id-mismatch").get("/flows", who=None)
    assert bad.json()["error"]["request_id"] != bad.headers.get(REQUEST_ID_HEADER)


def test_expired_token_accepted(start_emulator: Start, gateway: Emu) -> None:
    agent = jwt.decode(gateway.token("alpha"), options={"verify_signature": False})["agent"]
    expired = {"Authorization": "Bearer " + mint_token(agent, JWT_KEY, expire=datetime.now(UTC) - timedelta(hours=1))}
    assert gateway.get("/customer", who=None, headers=expired).status_code == 401
    assert _faulty(start_emulator, "expired-token-accepted").get("/customer", who=None, headers=expired) \
        .status_code == 200


def _reads(emu: Emu, spec: Spec) -> dict[str, int]:
    """Status of ``GET /{collection}/{id}`` for a seeded item of every collection that has one."""
    statuses = {}
    for op in spec.operations:
        if op.role == "read" and op.path_params == ["id"] and op.path.count("/") == 2 and "200" in op.declared_statuses:
            listed = emu.get(op.path.rsplit("/", 1)[0]).json()
            items = listed.get("result") if isinstance(listed, dict) else listed
            if items:
                statuses[op.label] = emu.get(op.path.replace("{id}", items[0]["id"])).status_code
    return statuses


def test_undeclared_status(start_emulator: Start, gateway: Emu, spec: Spec) -> None:
    healthy = _reads(gateway, spec)
    assert len(healthy) >= 20 and 418 not in healthy.values()
    assert 418 in _reads(_faulty(start_emulator, "undeclared-status"), spec).values()


def _numeric_ids(emu: Emu) -> list[str]:
    found = []
    for path in ("/flows", "/agents", "/accesskeys", "/contacts"):
        body = emu.get(path).json()
        found += [path for item in body.get("result", []) if isinstance(item.get("id"), (int, float))]
        first = next((i for i in emu.get(path).json()["result"] if isinstance(i.get("id"), str)), None)
        if first is not None and isinstance(emu.get(f"{path}/{first['id']}").json().get("id"), (int, float)):
            found.append(f"{path}/{{id}}")
    return found


def test_schema_violation(start_emulator: Start, conformant: Emu) -> None:
    assert _numeric_ids(conformant) == []
    assert _numeric_ids(_faulty(start_emulator, "schema-violation", profile="conformant"))


def _sleeps(spec: Spec, monkeypatch: pytest.MonkeyPatch, faults: tuple[str, ...], count: int) -> list[float]:
    """What the pipeline asked to sleep for ``count`` requests (the clock is not read: no timing)."""
    asked: list[float] = []
    monkeypatch.setattr(pipeline, "sleep", asked.append)
    app = create_app(spec, EmulatorConfig.without_limits(faults=faults))
    for _ in range(count):
        app(Request("GET", "/ping"))
    return asked


def test_slow(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request, whatever it asks, is held 20 ms more (FAULTS["slow"]); none without the fault."""
    assert _sleeps(spec, monkeypatch, (), 3) == []
    assert _sleeps(spec, monkeypatch, ("slow",), 3) == [0.020] * 3
