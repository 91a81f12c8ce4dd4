"""Fixtures of the harness's own tests: emulators over real HTTP on 127.0.0.1.

Two emulators live for the whole session, one per profile, with every rate limit off; a test that
uses one gets it freshly reset (``POST /__emulator__/reset``), so tests cannot leak state into each
other without paying a restart. Tests that need rate limits or faults start their own emulator
with ``start_emulator(...)``; it is stopped when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.support import PROFILES, Emu
from voipbin_harness.spec import Spec


def _config(**overrides: Any) -> Any:
    from voipbin_harness.emulator import EmulatorConfig

    values: dict[str, Any] = {"customer_limit": None, "ip_limit": None, "auth_ip_limit": None}
    values.update(overrides)
    return EmulatorConfig(**values)


def _serve(stack: ExitStack, spec: Spec, **overrides: Any) -> Emu:
    from voipbin_harness.emulator import running_emulator

    config = _config(**overrides)
    server = stack.enter_context(running_emulator(spec, config))
    emu = Emu(server.origin, config.profile)
    stack.callback(emu.close)
    return emu


def pytest_configure(config: pytest.Config) -> None:
    # the emulator's documented JWT key is 16 bytes; PyJWT warns on every use of it
    config.addinivalue_line("filterwarnings", "ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture(scope="session")
def _gateway_server(spec: Spec) -> Iterator[Emu]:
    with ExitStack() as stack:
        yield _serve(stack, spec, profile="gateway")


@pytest.fixture(scope="session")
def _conformant_server(spec: Spec) -> Iterator[Emu]:
    with ExitStack() as stack:
        yield _serve(stack, spec, profile="conformant")


@pytest.fixture
def gateway(_gateway_server: Emu) -> Emu:
    """The session's gateway-profile emulator, reset to its seeded state."""
    _gateway_server.reset()
    return _gateway_server


@pytest.fixture
def conformant(_conformant_server: Emu) -> Emu:
    """The session's conformant-profile emulator, reset to its seeded state."""
    _conformant_server.reset()
    return _conformant_server


@pytest.fixture(params=PROFILES)
def emu(request: pytest.FixtureRequest) -> Emu:
    """The test runs once per profile, each time on a freshly reset emulator."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def start_emulator(spec: Spec) -> Iterator[Callable[..., Emu]]:
    """``start_emulator(profile=..., customer_limit=Limit(...), faults=(...))``: a private emulator
    (rate limits off unless given) that stops when the test ends."""
    with ExitStack() as stack:
        yield lambda **overrides: _serve(stack, spec, **overrides)
