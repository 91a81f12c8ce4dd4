"""Every VoIPBIN contract check catches a deliberately broken target when the REAL contracts suite
runs against it (``voipbin-harness contracts --target URL`` in its own process), and stays quiet
on the same selection against the conformant emulator (the control group: a caught fault is the
fault, not a deviation the selection reports anyway).

Broken targets: the emulator's own ``--fault`` list (``voipbin-harness emulator --fault NAME``, its
own process) and, for promises that list does not break, ``faulty.py``'s wrappers. To stay fast, the
faults that break unrelated promises share one target and one small suite run (``/flows`` only, one
example per operation); each finding is asserted by its check's name and, where several faults
share a run, by the key that names what was broken.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts.checks import CONVENTION_CHECKS, WORKFLOW_RULES
from tests.contracts.faulty import WRAPPERS, all_wrapped
from tests.contracts.suite import Outcome, run_contracts
from tests.scenarios.faulty import serve_wrapped
from voipbin_harness.emulator.process import EmulatorProcess
from voipbin_harness.spec import Spec

#: a few operations (a full CRUD cycle), one example each: the run takes seconds
SELECTION = ("--include-path", "^/flows", "--max-examples", "1", "--workers", "1", "--phases",
             "examples,fuzzing,stateful")
#: emulator faults that break unrelated promises, run together -> (check that must report it, key or None)
EMULATOR_FAULTS: dict[str, tuple[str, str | None]] = {
    "auth-bypass": ("authentication", "HTTP 200"),
    "bad-envelope": ("error_envelope", None),
    "request-id-mismatch": ("request_id_echo", "body-differs"),
    "schema-violation": ("created_resource_readable", "other-id"),
}
#: the rate-limit faults need a tight limit and an unpaced client to meet 429s at all
LIMITED = ("--rate-limit", "5:5")


def _emulator(*args: str) -> EmulatorProcess:
    return EmulatorProcess(["--profile", "conformant", *args])


@pytest.fixture(scope="module")
def faults_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    faults = [arg for name in EMULATOR_FAULTS for arg in ("--fault", name)]
    with _emulator("--no-rate-limit", *faults) as emulator:
        yield run_contracts(emulator.origin, tmp_path_factory.mktemp("faults"), "--rate", "off", *SELECTION)


@pytest.fixture(scope="module")
def wrapped_run(spec: Spec, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    with serve_wrapped(spec, all_wrapped) as origin:
        yield run_contracts(origin, tmp_path_factory.mktemp("wrapped"), "--rate", "off", *SELECTION)


@pytest.fixture(scope="module")
def rate_limited_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    with _emulator(*LIMITED, "--fault", "no-retry-after") as emulator:
        yield run_contracts(emulator.origin, tmp_path_factory.mktemp("limited"), "--rate", "off",
                            "--include-path", "^/flows$", "--max-examples", "2", "--workers", "1",
                            "--phases", "examples,fuzzing")


def _caught(outcome: Outcome, check: str, key: str | None) -> None:
    found = outcome.findings(check)
    assert found, outcome.explain()
    if key is not None:
        assert any(key in f["key"] for f in found), [f["key"] for f in found]
    assert outcome.summary["checks"][check]["failed"] > 0


@pytest.mark.parametrize("fault", sorted(EMULATOR_FAULTS))
def test_emulator_fault_is_caught(faults_run: Outcome, fault: str) -> None:
    check, key = EMULATOR_FAULTS[fault]
    _caught(faults_run, check, key)
    assert faults_run.code == 1 and faults_run.summary["complete"] is True


@pytest.mark.parametrize("check", sorted(WRAPPERS))
def test_wrapped_fault_is_caught(wrapped_run: Outcome, check: str) -> None:
    _caught(wrapped_run, check, WRAPPERS[check][1])
    assert wrapped_run.code == 1


def test_a_429_without_retry_after_is_caught(rate_limited_run: Outcome) -> None:
    _caught(rate_limited_run, "rate_limit_answer", None)
    assert any("Retry-After" in f["got"] for f in rate_limited_run.findings("rate_limit_answer"))


def test_a_429_the_spec_does_not_declare_is_caught(rate_limited_run: Outcome) -> None:
    """Not an emulator fault: the spec itself omits 429 on GET /flows; reported once, against the spec."""
    found = rate_limited_run.findings("rate_limit_declared")
    assert [f["operation"] for f in found] == ["(spec)"], rate_limited_run.explain()
    assert rate_limited_run.summary["checks"]["rate_limit_declared"]["failed"] > 0


def test_every_voipbin_check_has_a_caught_test() -> None:
    covered = {check for check, _key in EMULATOR_FAULTS.values()} | set(WRAPPERS)
    covered |= {"rate_limit_answer", "rate_limit_declared"}
    assert covered == {check.__name__ for check in CONVENTION_CHECKS} | set(WORKFLOW_RULES)


def test_the_selection_is_clean_on_the_conformant_emulator(tmp_path: Path) -> None:
    """The control group: no finding at all, and every VoIPBIN check asserted above applied."""
    with _emulator("--no-rate-limit") as emulator:
        outcome = run_contracts(emulator.origin, tmp_path, "--rate", "off", *SELECTION)
    assert outcome.code == 0 and outcome.summary["findings"] == [], outcome.explain()
    checks = outcome.summary["checks"]
    applied = {name for name, counts in checks.items() if counts["passed"]}
    asserted = {check for check, _key in EMULATOR_FAULTS.values()} | set(WRAPPERS)
    assert asserted <= applied, sorted(asserted - applied)
