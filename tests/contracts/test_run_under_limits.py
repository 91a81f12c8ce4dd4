"""The contracts suite run for real (``voipbin-harness contracts`` in its own process) against an
emulator over loopback: 429s met in the middle of a check are waited out and never blamed, a run
stopped by a signal keeps its findings, and nothing that could change the credentials the harness
runs with is sent unless named."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.suite import contracts_command, contracts_env, run_contracts
from tests.support import Emu
from voipbin_harness.conventions.ratelimit import Limit
from voipbin_harness.emulator.tenants import ALPHA
from voipbin_harness.paths import repo_root

RATE_LIMIT_CHECKS = {"rate_limit_answer", "rate_limit_declared"}


def _run(emu: Emu, report: Path, *args: str) -> tuple[int, dict[str, Any]]:
    outcome = run_contracts(emu.origin, report, *args)
    return outcome.code, outcome.summary


def _not_tested(summary: dict[str, Any]) -> dict[str, str]:
    return {item["operation"]: item["reason"] for item in summary["operations"]["not_tested"]}


def _logs_in(emu: Emu, username: str, password: str) -> bool:
    answer = emu.request("POST", "/auth/login", api=False, json={"username": username, "password": password})
    return answer.status_code == 200


def test_429s_in_the_middle_of_checks_are_waited_out_and_not_blamed(start_emulator: Callable[..., Emu],
                                                                     tmp_path: Path) -> None:
    # unpaced client (--rate off) against a tight limit: the run meets 429s on purpose
    emu = start_emulator(profile="conformant", customer_limit=Limit(5, 5))
    code, summary = _run(emu, tmp_path, "--rate", "off", "--workers", "1", "--include-path", "^/flows",
                         "--phases", "examples,fuzzing", "--max-examples", "2")
    pacing = summary["pacing"]
    assert pacing["rate_limited"] > 0 and pacing["retry_waits"] > 0 and pacing["gave_up"] == 0
    assert summary["complete"] and not _not_tested(summary).keys() & {"GET /flows", "POST /flows"}
    blamed = [f for f in summary["findings"] if f["check"] not in RATE_LIMIT_CHECKS and "429" in f["got"]]
    assert blamed == []
    # the conformant emulator's 429s keep the answer promise; the one finding left is the spec's own
    # silence (GET /flows does not declare 429), reported once, against the spec
    assert {(f["check"], f["operation"]) for f in summary["findings"]} == {("rate_limit_declared", "(spec)")}
    applied = summary["checks"]["rate_limit_answer"]
    assert applied["passed"] > 0 and applied["failed"] == 0
    assert code == 0  # a finding against the spec fails no operation's test


def test_a_run_stopped_by_a_signal_keeps_its_findings(start_emulator: Callable[..., Emu], tmp_path: Path) -> None:
    emu = start_emulator(profile="gateway")
    proc = subprocess.Popen(contracts_command(emu.origin, tmp_path, "--workers", "2", "--max-examples", "5"),
                            cwd=repo_root(), env=contracts_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = tmp_path / "findings.jsonl"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and len(log.read_bytes().splitlines()) >= 3:
                break
            time.sleep(0.5)
        before = {json.loads(line)["id"] for line in log.read_bytes().splitlines() if line.strip()}
        assert before and proc.poll() is None, "the run ended before it could be stopped"
        proc.send_signal(signal.SIGTERM)  # what a timeout sends
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["complete"] is False and code == 2
    assert before <= {f["id"] for f in summary["findings"]}
    assert summary["operations"]["exercised"] > 0


def test_credential_changing_operations_are_not_sent_unless_named(start_emulator: Callable[..., Emu],
                                                                  tmp_path: Path) -> None:
    emu = start_emulator(profile="gateway")
    area = "^/(agents|service_agents/me|customer|accesskeys|auth/(unregister|password))"
    _, summary = _run(emu, tmp_path / "guarded", "--workers", "1", "--include-path", area, "--max-examples", "2",
                      "--phases", "examples,fuzzing,stateful")
    held = _not_tested(summary)
    for label in ("PUT /service_agents/me/password", "PUT /agents/{id}/password", "PUT /agents/{id}/permission",
                  "PUT /customer", "POST /auth/unregister"):
        assert "--allow-operation" in held.get(label, ""), label
    assert _logs_in(emu, "admin@alpha.test", "alpha-secret")
    assert _logs_in(emu, "agent@alpha.test", "alpha-agent-secret")
    agent = emu.get(f"/agents/{ALPHA.admin.id}")
    assert agent.status_code == 200 and agent.json().get("permission") == ALPHA.admin.permission
    # the control: once named, the operation is sent (and the guard was what held it back)
    _, named = _run(emu, tmp_path / "named", "--workers", "1", "--include-path", "^/service_agents/me/password$",
                    "--allow-operation", "PUT /service_agents/me/password", "--max-examples", "2",
                    "--phases", "examples,fuzzing")
    assert named["operations"]["exercised"] == 1


@pytest.fixture(autouse=True)
def _no_xdist_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite under test must not think it is a worker of this test session's xdist."""
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT"):
        monkeypatch.delenv(name, raising=False)
