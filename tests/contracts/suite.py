"""Run the contracts suite as a user would (``voipbin-harness contracts --target URL`` in its own
process, the seeded tenants' credentials in ``VOIPBIN_*``) and read what it reported."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.scenarios.support import credentials_env
from voipbin_harness.findings import read_summary
from voipbin_harness.paths import repo_root

__all__ = ["SUITE_TIMEOUT", "Outcome", "contracts_command", "contracts_env", "run_contracts"]

SUITE_TIMEOUT = 300  # seconds; a hang of the suite fails the test instead of blocking CI


@dataclass
class Outcome:
    code: int
    output: str
    summary: dict[str, Any]

    def findings(self, check: str) -> list[dict[str, Any]]:
        return [f for f in self.summary.get("findings", []) if f["check"] == check]

    def explain(self) -> str:
        checks = sorted({f["check"] for f in self.summary.get("findings", [])})
        tail = "\n".join(self.output.splitlines()[-30:])
        return f"exit {self.code}, checks {checks}\n{tail}"


def contracts_command(origin: str, report: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "voipbin_harness", "contracts", "--target", origin, "--report-dir", str(report),
            "--seed", "1", *args]


def contracts_env() -> dict[str, str]:
    """This process's environment without its target, rate and pytest-xdist settings, plus the
    seeded tenants' credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIPBIN_", "PYTEST_XDIST"))}
    return {**env, **credentials_env()}


def run_contracts(origin: str, report: Path, *args: str) -> Outcome:
    done = subprocess.run(contracts_command(origin, report, *args), cwd=repo_root(), env=contracts_env(),
                          capture_output=True, text=True, timeout=SUITE_TIMEOUT, check=False)
    output = done.stdout[-4000:] + done.stderr[-4000:]
    assert (report / "summary.json").exists(), output
    return Outcome(done.returncode, output, read_summary(report))
