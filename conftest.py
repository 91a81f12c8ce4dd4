"""Root pytest wiring shared by the shipped suites (``contracts/``, ``scenarios/``) and the
harness's own tests (``tests/``): the target and spec options, once-per-run fixtures, and the
Hypothesis profiles. Suite-specific options live in each suite's own conftest.

Note: Locust's pytest plugin owns ``--host``/``-H``; it is disabled in ``pyproject.toml``
(``-p no:locust``) and the harness uses ``--target`` instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from voipbin_harness.spec import Spec, load_spec
from voipbin_harness.target import Target, open_target

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("live", max_examples=5, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("voipbin", "VoIPBIN target")
    group.addoption("--target", default=os.environ.get("VOIPBIN_TARGET", "emulator"),
                    help="emulator (default), live, or an origin URL (env VOIPBIN_TARGET)")
    group.addoption("--spec", default=None, help="OpenAPI file, split directory or URL (env VOIPBIN_SPEC)")
    group.addoption("--emulator-profile", default=os.environ.get("VOIPBIN_EMULATOR_PROFILE", "gateway"),
                    choices=["gateway", "conformant"],
                    help="profile of the embedded emulator when --target emulator (default gateway)")
    group.addoption("--emulator-rate-limit", default=None, metavar="RPS:BURST",
                    help="per-customer rate limit of the embedded emulator (default: off, so that suites run fast)")
    group.addoption("--rate", default=None, metavar="RPS[:BURST]|off",
                    help="the target's per-customer rate limit, which every request is paced under (env "
                         "VOIPBIN_RATE; default: the embedded emulator's limit, else the gateway's documented 17:33)")
    group.addoption("--report-dir", default=None, help="where the suite writes summary.json and attachments")
    group.addoption("--seed", default=None, type=int, help="seed for generated data")
    group.addoption("--allow-writes", action="store_true", default=False,
                    help="allow non-safe methods against a non-loopback target")


def emulator_args(config: pytest.Config) -> list[str]:
    args = ["--profile", config.getoption("--emulator-profile")]
    limit = config.getoption("--emulator-rate-limit")
    args += ["--rate-limit", limit] if limit else ["--no-rate-limit"]
    return args


@pytest.fixture(scope="session")
def spec(pytestconfig: pytest.Config) -> Spec:
    return load_spec(pytestconfig.getoption("--spec"))


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, spec: Spec) -> Iterator[Target]:
    # pytest-xdist workers send at once: each paces itself at its share of the target's limit
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    with open_target(pytestconfig.getoption("--target"), spec_source=spec.source, base_path=spec.base_path or "/v1.0",
                     emulator_args=emulator_args(pytestconfig), rate=pytestconfig.getoption("--rate"),
                     share=workers) as resolved:
        yield resolved
