"""The whole scenarios suite on the embedded emulator, through the CLI: the conformant profile
passes (exit 0), the gateway profile fails with exactly its documented
deviations from the docs (exit 1), and both leave complete, secret-free reports.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scenarios.support import run_scenarios
from tests.support import ACCOUNTS, KEYS
from voipbin_harness.commands.scenarios import build_pytest_args
from voipbin_harness.findings import read_summary
from voipbin_harness.paths import repo_root

#: What the gateway profile must be reported for (BEHAVIOUR.md: where its code differs from the docs).
GATEWAY_DEVIATIONS = {"pagination_last_page", "other_customer_status", "status_for_cause", "bad_input_status"}
SECRETS = [p for _, p in ACCOUNTS.values()] + list(KEYS.values()) + ["emulator-jwt-key"]


def _cli(*args: str, timeout: float = 300) -> tuple[int, str]:
    """The command's exit code and output (its run time is a figure for benchmarks, not asserted here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIPBIN_", "HYPOTHESIS_")) and k != "CI"}
    result = subprocess.run([sys.executable, "-m", "voipbin_harness", "scenarios", *args], cwd=repo_root(),
                            env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return result.returncode, result.stdout + result.stderr


def _no_secret_in(directory: Path) -> list[str]:
    leaks = []
    for path in directory.rglob("*"):
        if path.is_file() and ".hypothesis" not in path.parts:
            text = path.read_text(errors="replace")
            leaks += [f"{path.name}: {secret}" for secret in SECRETS if secret in text]
    return leaks


@pytest.mark.slow
def test_conformant_emulator_passes(tmp_path: Path) -> None:
    code, output = _cli("--target", "emulator", "--emulator-profile", "conformant",
                                 "--report-dir", str(tmp_path))
    summary = read_summary(tmp_path)
    assert code == 0, output[-4000:]
    assert summary["complete"] and summary["findings"] == [] and summary["counts"]["failed"] == 0
    assert (tmp_path / "junit.xml").exists() and any((tmp_path / "allure-results").iterdir())
    assert _no_secret_in(tmp_path) == []


@pytest.mark.slow
def test_gateway_emulator_is_reported_for_its_documented_deviations(tmp_path: Path) -> None:
    code, output = _cli("--target", "emulator", "--report-dir", str(tmp_path))
    summary = read_summary(tmp_path)
    assert code == 1, output[-4000:]
    assert summary["complete"]
    checks = {f["check"] for f in summary["findings"]}
    assert checks >= GATEWAY_DEVIATIONS, sorted(checks)
    unexpected = checks - GATEWAY_DEVIATIONS - {"error_envelope", "server_error"}
    assert not unexpected, f"findings beyond the documented deviations: {sorted(unexpected)}"
    for finding in summary["findings"]:
        assert finding["promise"] and finding["got"] and finding["reproduce"].startswith("curl ")
    assert _no_secret_in(tmp_path) == []


def test_cli_builds_the_equivalent_pytest_command(tmp_path: Path) -> None:
    args = argparse.Namespace(target="http://127.0.0.1:8080", report_dir=str(tmp_path / "r"), spec=None, seed=7,
                              emulator_profile="gateway", emulator_rate_limit=None, allow_writes=True, keyword=None)
    assert build_pytest_args(args) == ["--target", "http://127.0.0.1:8080", "--report-dir", str(tmp_path / "r"),
                                       "--emulator-profile", "gateway", "--seed", "7", "--allow-writes"]


def test_bad_option_is_one_line_and_exit_2() -> None:
    code, output = _cli("--emulator-rate-limit", "fast", timeout=60)
    assert code == 2 and "Traceback" not in output and len(output.strip().splitlines()) == 1, output


def test_write_scenarios_are_skipped_on_a_non_loopback_target(tmp_path: Path) -> None:
    """Live safety: on a non-loopback target the ``writes`` scenarios are skipped before any request
    (0.0.0.0 is not a loopback address by name, and nothing listens on port 9 anyway)."""
    outcome = run_scenarios("http://0.0.0.0:9", ["scenarios/test_auth.py::test_deleted_access_key_is_refused",
                                                  "scenarios/test_lifecycle.py"], tmp_path, timeout=120)
    assert outcome.code == 0, outcome.explain()
    assert outcome.summary["counts"]["skipped"] == 5 and outcome.summary["counts"]["failed"] == 0
    assert all("--allow-writes" in s["reason"] for s in outcome.summary["skipped"])
