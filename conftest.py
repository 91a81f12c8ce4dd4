"""Root pytest wiring shared by the shipped suites (``contracts/``, ``scenarios/``) and the
harness's own tests (``tests/``): the target and spec options, once-per-run fixtures, and the
Hypothesis profiles. The options are declared from their one statement (``voipbin_harness.options``);
each suite's conftest adds its own table.

Note: Locust's pytest plugin owns ``--host``/``-H``; it is disabled in ``pyproject.toml``
(``-p no:locust``) and the harness uses ``--target`` instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from voipbin_harness.options import add_to_pytest
from voipbin_harness.options.common import ROOT_PYTEST
from voipbin_harness.options.emulator import emulator_argv
from voipbin_harness.spec import Spec, load_spec
from voipbin_harness.target import Target, open_target

#: secrets masked in every report, JUnit file and allure result before it is written (issue 12)
pytest_plugins = ("voipbin_harness.redact_pytest",)

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("live", max_examples=5, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    add_to_pytest(parser, ROOT_PYTEST)


def emulator_args(config: pytest.Config) -> list[str]:
    return emulator_argv(profile=config.getoption("--emulator-profile"),
                         rate_limit=config.getoption("--emulator-rate-limit"))


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
