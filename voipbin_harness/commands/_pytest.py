"""Run one of the shipped pytest suites (``contracts/``, ``scenarios/``) in its own process.

The suites are plain pytest directories so that ``pytest contracts/ --target ...`` works too; the
CLI only builds that command line and maps pytest's exit codes onto the harness's three.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import ExitCode, HarnessError
from ..paths import repo_root

__all__ = ["run_suite", "suite_dir"]

# pytest: 0 ok, 1 tests failed, 2 interrupted, 3 internal error, 4 usage error, 5 no tests collected
_EXIT = {0: ExitCode.OK, 1: ExitCode.FAILURES}


def suite_dir(name: str) -> Path:
    path = repo_root() / name
    if not (path / "conftest.py").exists():
        raise HarnessError(f"suite folder {path} not found",
                           hint="run from a checkout installed with 'pip install -e .'")
    return path


def run_suite(name: str, pytest_args: list[str], *, env: dict[str, str] | None = None) -> int:
    """``python -m pytest <suite> <args>`` from the repo root; the harness exit code.

    SIGINT/SIGTERM sent to this command reach pytest as one SIGINT, and the suite is waited for:
    ``subprocess.run`` would kill it a quarter second after a Ctrl-C, before it wrote what it found
    and deleted what it created."""
    cmd = [sys.executable, "-m", "pytest", str(suite_dir(name)), *pytest_args]
    proc = subprocess.Popen(cmd, cwd=repo_root(), env={**os.environ, **(env or {})})

    def forward(signum: int, frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if code == 5:
        print(f"voipbin-harness: error: the {name} suite collected no test (check the filters)", file=sys.stderr)
    return _EXIT.get(code, ExitCode.UNUSABLE)
