"""The control endpoints under ``/__emulator__``: reset, balance, frozen, rate limits, config."""

from __future__ import annotations

import pytest

from tests.support import ACCOUNTS, BODIES, CONTROL, Emu, assert_answer, assert_error
from voipbin_harness.conventions.envelope import Reason, Status
from voipbin_harness.spec import Spec


def _flow_ids(emu: Emu, who: str = "alpha") -> list[str]:
    return [i["id"] for i in emu.get("/flows", who=who, params={"page_size": 100}).json()["result"]]


def test_reset_restores_the_seeded_state(emu: Emu) -> None:
    seeded = _flow_ids(emu)
    seeded_customer = emu.get("/customer").json()
    created = emu.create("/flows", BODIES["POST /flows"])
    emu.delete(f"/flows/{seeded[0]}")
    assert emu.put("/customer", json=BODIES["PUT /customer"]).status_code == 200
    emu.set_balance("alpha", 0)
    emu.set_frozen("bravo", True)

    emu.reset()
    assert _flow_ids(emu) == seeded, "the seeded flows are back, the created one is gone"
    assert emu.get(f"/flows/{created['id']}").status_code == 404
    assert emu.get("/customer").json()["name"] == seeded_customer["name"]
    assert emu.get("/flows", who="bravo").status_code == 200, "reset unfreezes"
    assert emu.post("/calls", json=BODIES["POST /calls"]).status_code == 200, "reset restores balance"


def test_seeded_state_is_deterministic(emu: Emu) -> None:
    first = _flow_ids(emu), _flow_ids(emu, "bravo")
    emu.reset()
    assert (_flow_ids(emu), _flow_ids(emu, "bravo")) == first


def test_control_endpoints_need_no_credentials_and_live_outside_v1(emu: Emu) -> None:
    assert emu.http.get(emu.origin + CONTROL + "/config").status_code == 200
    assert_error(emu.get(CONTROL + "/config", who="alpha"), 404, Status.NOT_FOUND, Reason.ROUTE_NOT_FOUND)


def test_frozen_flag_is_per_customer_and_reversible(emu: Emu, spec: Spec) -> None:
    emu.set_frozen("bravo", True)
    assert_answer(emu, spec, "GET /customer", emu.get("/customer", who="bravo-key"), 403, Status.PERMISSION_DENIED,
                  Reason.ACCOUNT_FROZEN)
    assert emu.get("/customer", who="alpha").status_code == 200
    emu.set_frozen("bravo", False)
    assert emu.get("/customer", who="bravo-key").status_code == 200


def test_rate_limits_can_be_switched_at_run_time(gateway: Emu) -> None:
    try:
        gateway.set_rate_limits(customer="0.1:2")
        assert [gateway.get("/customer", who="alpha-key").status_code for _ in range(3)] == [200, 200, 429]
        gateway.set_rate_limits(ip="0.1:1000")  # keys left out stay as they are
        assert gateway.get("/customer", who="alpha-key").status_code == 429
        assert gateway.config()["limits"] == {"customer": "0.1:2", "ip": "0.1:1000", "auth_ip": None}
        gateway.set_rate_limits(customer=None)
        assert gateway.get("/customer", who="alpha-key").status_code == 200
        assert gateway.config()["limits"] == {"customer": None, "ip": "0.1:1000", "auth_ip": None}
    finally:
        gateway.set_rate_limits(customer=None, ip=None, auth_ip=None)
    assert {gateway.get("/customer", who="alpha-key").status_code for _ in range(40)} == {200}


def test_reset_refills_buckets(gateway: Emu) -> None:
    try:
        gateway.set_rate_limits(customer="0.1:2")
        assert [gateway.get("/customer", who="bravo-key").status_code for _ in range(3)] == [200, 200, 429]
        gateway.reset()
        assert gateway.get("/customer", who="bravo-key").status_code == 200
    finally:
        gateway.set_rate_limits(customer=None, ip=None, auth_ip=None)


@pytest.mark.parametrize(("endpoint", "body"), [
    ("balance", {"balance": "lots"}), ("balance", {}), ("balance", ["x"]),
    ("frozen", {"frozen": "yes"}), ("frozen", {}), ("frozen", None),
])
def test_bad_control_bodies_are_400(emu: Emu, endpoint: str, body: object) -> None:
    """A wrong or missing value, or a body that is no object: 400 INVALID_ARGUMENT, in the envelope."""
    response = emu.http.put(f"{emu.origin}{CONTROL}/customers/{emu.customer_id('alpha')}/{endpoint}", json=body)
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_unknown_customer_is_404(emu: Emu) -> None:
    response = emu.http.put(emu.origin + CONTROL + "/customers/5e4a0680-eba3-4001-a000-000000000009/balance",
                            json={"balance": 1})
    assert response.status_code == 404


def test_config_describes_the_emulator_without_secrets(emu: Emu) -> None:
    config = emu.config()
    text = str(config)
    assert config["profile"] == emu.profile
    assert list(config.get("faults", [])) == []
    assert config["limits"] == {"customer": None, "ip": None, "auth_ip": None}  # the session emulators run unlimited
    for username, password in ACCOUNTS.values():
        assert username in text and password not in text
    assert emu.customer_id("alpha") in text and emu.customer_id("bravo") in text
