"""Run one of the shipped pytest suites (``contracts/``, ``scenarios/``) in its own process.

The suites are plain pytest directories so that ``pytest contracts/ --target ...`` works too; the
CLI only builds that command line and maps pytest's exit codes onto the harness's three.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..errors import ExitCode, HarnessError
from ..spec.loader import repo_root

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
    """``python -m pytest <suite> <args>`` from the repo root; the harness exit code."""
    cmd = [sys.executable, "-m", "pytest", str(suite_dir(name)), *pytest_args]
    result = subprocess.run(cmd, cwd=repo_root(), env={**os.environ, **(env or {})}, check=False)
    if result.returncode == 5:
        print(f"voipbin-harness: error: the {name} suite collected no test (check the filters)", file=sys.stderr)
    return _EXIT.get(result.returncode, ExitCode.UNUSABLE)
