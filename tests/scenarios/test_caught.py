"""The scenarios catch deliberately broken targets: each run is the real suite in a child process
(``python -m pytest scenarios/... --target http://127.0.0.1:PORT``) and must exit 1 with a finding
of the expected check, while the same selection passes (exit 0) against the conformant emulator.

Broken targets come from the emulator's ``--fault`` list (``voipbin-harness emulator --fault
NAME``, started as its own process) and from ``faulty.py`` for promises that list does not cover.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.faulty import WRAPPERS, serve_wrapped
from tests.scenarios.support import run_scenarios
from voipbin_harness.emulator.process import EmulatorProcess
from voipbin_harness.spec import Spec

#: emulator fault -> (scenarios to run, check that must report it)
EMULATOR_FAULTS: dict[str, tuple[list[str], str]] = {
    "auth-bypass": (["scenarios/test_auth.py::test_no_credentials_is_401_authentication_required"], "authentication"),
    "expired-token-accepted": (["scenarios/test_auth.py::test_expired_token_is_401"], "authentication"),
    "leak-list": (["scenarios/test_tenancy.py::test_lists_show_only_the_callers_items"], "list_isolation"),
    "cross-tenant-read": (["scenarios/test_tenancy.py::test_other_customer_cannot_read_existing_items"],
                          "tenant_isolation"),
    "drop-page-item": (["scenarios/test_pagination.py::test_walk_shows_every_item_once_newest_first"],
                       "pagination_walk"),
    "bad-envelope": (["scenarios/test_errors.py::test_unknown_id_is_404"], "error_envelope"),
    "request-id-mismatch": (["scenarios/test_errors.py::test_unknown_id_is_404"], "error_envelope"),
    "no-retry-after": (["scenarios/test_errors.py::test_rate_limited_request_is_429_with_retry_after"],
                       "rate_limit_answer"),
    "ratelimit-500": (["scenarios/test_errors.py::test_rate_limited_request_is_429_with_retry_after"],
                      "rate_limit_answer"),
    "schema-violation": (["scenarios/test_lifecycle.py::test_lifecycle_matches_the_model[tags]"], "lifecycle_model"),
}


def _emulator(*args: str) -> EmulatorProcess:
    return EmulatorProcess(["--profile", "conformant", "--no-rate-limit", *args])


@pytest.mark.parametrize("fault", sorted(EMULATOR_FAULTS))
def test_emulator_fault_is_caught(fault: str, tmp_path: Path) -> None:
    selection, check = EMULATOR_FAULTS[fault]
    with _emulator("--fault", fault) as emulator:
        outcome = run_scenarios(emulator.origin, selection, tmp_path / "broken")
    assert outcome.code == 1, outcome.explain()
    assert outcome.findings(check), outcome.explain()
    assert outcome.summary["complete"] is True


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_wrapped_fault_is_caught(name: str, spec: Spec, tmp_path: Path) -> None:
    wrapper, selection, check = WRAPPERS[name]
    with serve_wrapped(spec, wrapper) as origin:
        outcome = run_scenarios(origin, selection, tmp_path / "broken")
    assert outcome.code == 1, outcome.explain()
    assert outcome.findings(check), outcome.explain()


def test_every_selection_passes_without_the_fault(tmp_path: Path) -> None:
    """The control group: the selections above hold on the conformant emulator, so a caught fault
    is the fault and not a deviation the selection would report anyway."""
    selections = sorted({s for sel, _ in EMULATOR_FAULTS.values() for s in sel}
                        | {s for _, sel, _ in WRAPPERS.values() for s in sel})
    with _emulator() as emulator:
        outcome = run_scenarios(emulator.origin, selections, tmp_path / "conformant")
    assert outcome.code == 0, outcome.explain()
    assert outcome.summary["findings"] == []
