"""Run the scenarios suite as a user would (a pytest child process against a target URL) and read
what it reported.

The target gets the seeded tenants' credentials through the ``VOIPBIN_*`` variables, exactly as a
user configures a real target; Hypothesis keeps its example database in the run's own folder, so
a failing example found against a broken target is never replayed against the next one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import ACCOUNTS, JWT_KEY, KEYS
from voipbin_harness.findings import read_summary
from voipbin_harness.paths import repo_root

__all__ = ["Outcome", "credentials_env", "run_scenarios", "scenarios_command", "scenarios_env"]

SUITE_TIMEOUT = 240  # seconds; a hang of the suite fails the test instead of blocking CI


def credentials_env() -> dict[str, str]:
    """The seeded tenants as a user would configure them for a target URL."""
    return {
        "VOIPBIN_USERNAME": ACCOUNTS["alpha"][0], "VOIPBIN_PASSWORD": ACCOUNTS["alpha"][1],
        "VOIPBIN_ACCESSKEY": KEYS["alpha-key"],
        "VOIPBIN_OTHER_USERNAME": ACCOUNTS["bravo"][0], "VOIPBIN_OTHER_PASSWORD": ACCOUNTS["bravo"][1],
        "VOIPBIN_OTHER_ACCESSKEY": KEYS["bravo-key"],
        "VOIPBIN_AGENT_USERNAME": ACCOUNTS["alpha-agent"][0], "VOIPBIN_AGENT_PASSWORD": ACCOUNTS["alpha-agent"][1],
        "VOIPBIN_JWT_KEY": JWT_KEY,
    }


@dataclass
class Outcome:
    code: int
    output: str
    summary: dict[str, Any]

    @property
    def checks(self) -> set[str]:
        return {f["check"] for f in self.summary.get("findings", [])}

    def findings(self, check: str) -> list[dict[str, Any]]:
        return [f for f in self.summary.get("findings", []) if f["check"] == check]

    def explain(self) -> str:
        tail = "\n".join(self.output.splitlines()[-40:])
        return f"exit {self.code}, checks {sorted(self.checks)}\n{tail}"


def scenarios_command(target: str, selection: list[str], report_dir: Path, *, extra: list[str] | None = None,
                      rate: str | None = "off") -> list[str]:
    """The pytest command line of one run; ``rate`` is passed as ``--rate`` (default ``off``: the test
    emulators run without limits, and a URL target is otherwise paced at the documented 17 req/s)."""
    root = repo_root()
    return [sys.executable, "-m", "pytest", *[str(root / s) for s in selection], "--target", target,
            "--report-dir", str(report_dir), "-q", "-p", "no:cacheprovider",
            *(["--rate", rate] if rate else []), *(extra or [])]


def scenarios_env(report_dir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    child_env = {**os.environ, **credentials_env(), "HYPOTHESIS_PROFILE": "ci",
                 "HYPOTHESIS_STORAGE_DIRECTORY": str(report_dir / ".hypothesis"), **(env or {})}
    for name in ("VOIPBIN_TARGET", "VOIPBIN_RATE"):
        child_env.pop(name, None)
    return child_env


def run_scenarios(target: str, selection: list[str], report_dir: Path, *, extra: list[str] | None = None,
                  env: dict[str, str] | None = None, timeout: float = SUITE_TIMEOUT, rate: str | None = "off"
                  ) -> Outcome:
    """``python -m pytest <selection> --target <target> --report-dir <report_dir> --rate <rate>`` from the
    repo root."""
    root = repo_root()
    cmd = scenarios_command(target, selection, report_dir, extra=extra, rate=rate)
    result = subprocess.run(cmd, cwd=root, env=scenarios_env(report_dir, env), capture_output=True, text=True, timeout=timeout,
                            check=False)
    summary = read_summary(report_dir) if (report_dir / "summary.json").exists() else {}
    return Outcome(result.returncode, result.stdout + result.stderr, summary)
