"""The contracts suite's settings, read once from the pytest command line.

The test module needs them at import time (``@schema.parametrize()`` builds one test per
operation when the module is collected, before any fixture exists), so ``contracts/conftest.py``
stores them here in ``pytest_configure`` and the test module reads them with ``current()``.
Everything else reaches them through the ``contract_run`` fixture.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from schemathesis import BaseSchema

from voipbin_harness.options.common import EMULATOR_PROFILE
from voipbin_harness.options.contracts import DEFAULT_MAX_EXAMPLES
from voipbin_harness.options.values import PHASES
from voipbin_harness.spec import Spec
from voipbin_harness.target import Target, is_loopback_url, resolve

if TYPE_CHECKING:
    from .plan import Plan

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "Collected",
    "LIVE_REQUEST_BUDGET",
    "PHASES",
    "ContractSettings",
    "current",
    "install",
]

#: Against anything but loopback: a request budget, unless told otherwise (the pace every request is
#: sent at is the shared ``--rate``: ``voipbin_harness.pacing``).
LIVE_REQUEST_BUDGET = 2000


@dataclass(frozen=True)
class ContractSettings:
    target: str
    spec_source: str | None
    report_dir: Path
    max_examples: int
    include_tags: tuple[str, ...]
    include_paths: tuple[re.Pattern[str], ...]
    seed: int
    auth: str  # "bearer" | "accesskey"
    allow_writes: bool
    allow_operations: frozenset[str]
    phases: frozenset[str]
    loopback: bool  # the target is the embedded emulator or a loopback URL
    request_budget: int | None  # None: unlimited
    emulator_profile: str = EMULATOR_PROFILE.default
    time_budget: float | None = None  # seconds the run may take (``contracts.plan``); None: no plan
    resolved: Target | None = None  # ``target`` resolved once for this process (not started)

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> ContractSettings:
        """Read the options; their values were checked as pytest parsed them (the contracts option
        table's validators, ``voipbin_harness.options``); a bad target is a ``HarnessError``."""
        target_name = config.getoption("--target")
        target = resolve(target_name)
        loopback = target.is_emulator or is_loopback_url(target.origin)
        budget = config.getoption("--request-budget")
        if budget is None:
            budget = None if loopback else LIVE_REQUEST_BUDGET
        elif budget <= 0:
            budget = None
        seed = config.getoption("--seed")
        report_dir = config.getoption("--report-dir") or str(config.rootpath / "reports" / "contracts")
        return cls(
            target=target_name, spec_source=config.getoption("--spec"), report_dir=Path(report_dir).resolve(),
            max_examples=config.getoption("--max-examples"),
            include_tags=tuple(t.lower() for t in config.getoption("--include-tag") or []),
            include_paths=tuple(re.compile(text) for text in config.getoption("--include-path") or []),
            seed=seed if seed is not None else random.randrange(2**31),
            auth=config.getoption("--auth"), allow_writes=bool(config.getoption("--allow-writes")),
            allow_operations=frozenset(" ".join(op.split()) for op in config.getoption("--allow-operation") or []),
            phases=frozenset(config.getoption("--phases").split(",")), loopback=loopback, request_budget=budget,
            emulator_profile=config.getoption("--emulator-profile"), time_budget=config.getoption("--time-budget"),
            resolved=target,
        )


@dataclass(frozen=True)
class Collected:
    """What collection needs: the settings, the loaded spec and the Schemathesis schema built from it."""

    settings: ContractSettings
    spec: Spec
    schema: BaseSchema | None  # only the operations the filters select (None on a pytest-xdist controller)
    deselected: dict[str, str]  # operation label -> why the filters leave it out
    plan: Plan | None = None  # the time-budget plan (None: no --time-budget)


_current: Collected | None = None


def install(collected: Collected) -> None:
    global _current
    _current = collected


def current() -> Collected:
    if _current is None:
        raise RuntimeError("contracts/ settings are read in contracts/conftest.py; run pytest on contracts/")
    return _current
