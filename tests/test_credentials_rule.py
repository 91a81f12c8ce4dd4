"""The credential-safety rule (``conventions.credentials``): which requests could change, disable or
delete what the harness runs with, read from the path's shape, so that a new operation is covered too."""

from __future__ import annotations

import pytest

from voipbin_harness.conventions.credentials import IdentityGuard, credential_reason, identity_reason
from voipbin_harness.spec import Spec

AGENT = "a1a1a1a1-0000-4000-8000-0000000000aa"


@pytest.mark.parametrize("label", [
    "PUT /agents/{id}/password", "PUT /service_agents/me/password", "PUT /agents/{id}/permission",
    "PUT /service_agents/me", "PUT /service_agents/me/status", "PUT /customer", "PUT /customer/metadata",
    "POST /auth/unregister", "DELETE /auth/unregister", "POST /auth/password-reset", "POST /customers/{id}/freeze",
])
def test_the_known_culprits_of_the_spec_are_held(spec: Spec, label: str) -> None:
    operation = spec.operation(label)
    assert credential_reason(operation.method, operation.path)


@pytest.mark.parametrize(("method", "path"), [
    ("PATCH", "/me"), ("DELETE", "/me"), ("POST", "/service_agents/me/avatar"), ("DELETE", "/customer"),
    ("PUT", "/agents/{agent_id}/passwords/{id}"), ("POST", "/admins/{id}/permissions"),
    ("DELETE", "/service_agents/me/addresses"),
])
def test_operations_the_spec_does_not_have_yet_are_held_by_their_shape(method: str, path: str) -> None:
    assert credential_reason(method, path)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/service_agents/me"), ("GET", "/customer"), ("POST", "/auth/login"), ("POST", "/flows"),
    ("PUT", "/agents/{id}"), ("DELETE", "/accesskeys/{id}"), ("PUT", "/flows/{id}"),
])
def test_reads_login_and_ordinary_writes_are_not_held_by_the_template(method: str, path: str) -> None:
    assert credential_reason(method, path) is None


def test_items_that_existed_before_the_run_are_held_by_id() -> None:
    for method, path in (("PUT", "/agents/{id}"), ("DELETE", "/agents/{id}"), ("PUT", "/agents/{id}/addresses"),
                         ("DELETE", "/accesskeys/{id}"), ("DELETE", "/customers/{id}")):
        assert identity_reason(method, path, {"id": AGENT}, {AGENT}), (method, path)
        assert identity_reason(method, path, {"id": "created-by-the-run"}, {AGENT}) is None
    assert identity_reason("GET", "/agents/{id}", {"id": AGENT}, {AGENT}) is None
    assert identity_reason("DELETE", "/flows/{id}", {"id": AGENT}, {AGENT}) is None


def test_naming_the_operation_allows_it_and_nothing_else() -> None:
    guard = IdentityGuard(protected={AGENT}, allowed=frozenset({"PUT /agents/{id}/password", "PUT /agents/{id}"}))
    assert guard.operation_reason("PUT", "/agents/{id}/password") is None
    assert guard.request_reason("PUT", "/agents/{id}", {"id": AGENT}) is None
    assert guard.request_reason("DELETE", "/agents/{id}", {"id": AGENT})
    assert guard.request_reason("PUT", "/service_agents/me/password", {})
    assert guard.operation_reason("PUT", "/service_agents/me/password")


def test_every_spec_operation_with_a_password_or_me_segment_is_held(spec: Spec) -> None:
    unsafe = [op for op in spec.operations if op.method not in ("GET", "HEAD", "OPTIONS")]
    for operation in unsafe:
        segments = operation.path.strip("/").split("/")
        if "me" in segments or any("password" in s for s in segments):
            assert credential_reason(operation.method, operation.path), operation.label
    held = [op.label for op in unsafe if credential_reason(op.method, op.path)]
    assert 10 <= len(held) < 40  # the rule is narrow: ordinary writes stay tested


def test_writes_to_a_singleton_of_the_account_are_held_but_router_probes_are_not() -> None:
    for method, path in (("PUT", "/billing_account"), ("PUT", "/outbound_config"), ("DELETE", "/settings")):
        assert credential_reason(method, path), (method, path)
    assert credential_reason("DELETE", "/flows", declared=False) is None  # an unexpected-method probe
    assert credential_reason("DELETE", "/service_agents/me", declared=False)  # ... but never on the caller
    assert credential_reason("POST", "/flows") is None
