"""The nightly job examples (examples/nightly/): the cron script passes check's verdict on, keeps the
history in one place and the reports beside it; the GitHub Actions workflow keeps the history, publishes
the report and fails on check's exit code. The script runs against a stand-in ``voipbin-harness``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from voipbin_harness.target import _ENV

REPO = Path(__file__).resolve().parents[1]
NIGHTLY = REPO / "examples" / "nightly"
STUB = """#!/bin/sh
# a stand-in voipbin-harness: records how it was called, writes a report, exits as told
printf '%s\\n' "$@" > "$NIGHTLY_TEST_ARGS"
echo "target=$VOIPBIN_TARGET" >> "$NIGHTLY_TEST_ARGS"
while [ $# -gt 0 ]; do
    if [ "$1" = "--report-dir" ]; then mkdir -p "$2" && echo '<html>' > "$2/index.html"; fi
    if [ "$1" = "--history" ]; then mkdir -p "$2" && touch "$2/run-$(date +%s%N).json"; fi
    shift
done
echo "check: report printed"
exit "${NIGHTLY_TEST_EXIT:-0}"
"""


def _nightly(tmp_path: Path, *args: str, exit_code: int = 0, **env: str) -> subprocess.CompletedProcess[str]:
    stub = tmp_path / "voipbin-harness"
    stub.write_text(STUB)
    stub.chmod(0o755)
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NIGHTLY_DIR": str(tmp_path / "nightly"),
                   "VOIPBIN_HARNESS": str(stub), "NIGHTLY_TEST_ARGS": str(tmp_path / "args"),
                   "NIGHTLY_TEST_EXIT": str(exit_code), **env}
    return subprocess.run([str(NIGHTLY / "nightly.sh"), *args], env=environment, capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_passing_night_is_silent_and_keeps_history_report_and_log(tmp_path: Path) -> None:
    nightly = tmp_path / "nightly"
    nightly.mkdir()
    (nightly / "env").write_text("VOIPBIN_TARGET=https://gateway.example\n")
    result = _nightly(tmp_path, "--quick", VOIPBIN_CHECK_ARGS="--tolerance 0.3")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    args = (tmp_path / "args").read_text().splitlines()
    assert args[:2] == ["check", "--history"] and args[2] == str(nightly / "history")
    assert args[3] == "--report-dir" and args[4].startswith(str(nightly / "reports" / ""))
    assert args[5:] == ["--tolerance", "0.3", "--quick", "target=https://gateway.example"]  # env file read
    assert (nightly / "reports" / "latest" / "index.html").is_file()
    [log] = (nightly / "logs").iterdir()
    assert "check: report printed" in log.read_text()
    assert not (nightly / ".lock").exists()


@pytest.mark.parametrize(("code", "says"), [(1, "new findings"), (2, "could not be completed")])
def test_a_failing_night_exits_with_checks_code_and_says_so(tmp_path: Path, code: int, says: str) -> None:
    result = _nightly(tmp_path, exit_code=code)
    assert result.returncode == code and says in result.stderr and result.stdout == ""


def test_a_second_run_while_one_holds_the_lock_refuses(tmp_path: Path) -> None:
    (tmp_path / "nightly" / ".lock").mkdir(parents=True)
    result = _nightly(tmp_path)
    assert result.returncode == 2 and "another run" in result.stderr and not (tmp_path / "args").exists()


def test_old_reports_are_pruned_the_history_is_not(tmp_path: Path) -> None:
    reports = tmp_path / "nightly" / "reports"
    for day in range(1, 6):
        (reports / f"2026010{day}T021700Z").mkdir(parents=True)
    _nightly(tmp_path, NIGHTLY_KEEP="3")
    kept = sorted(p.name for p in reports.iterdir() if p.name != "latest")
    assert len(kept) == 3 and "20260105T021700Z" in kept and "20260101T021700Z" not in kept
    assert len(list((tmp_path / "nightly" / "history").iterdir())) == 1


def test_the_workflow_keeps_history_publishes_and_fails_on_checks_exit_code() -> None:
    path = NIGHTLY / "github-actions.yml"
    assert ".github" not in path.parts  # an example: it must not run in this repository
    workflow = yaml.safe_load(path.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "schedule" in triggers
    steps = workflow["jobs"]["check"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert {"actions/cache/restore", "actions/cache/save", "actions/upload-artifact"} <= set(uses)
    [check] = [s for s in steps if s.get("id") == "check"]
    assert "voipbin-harness check --history" in check["run"] and "exit_code=$code" in check["run"]
    assert steps[-1]["run"] == 'exit "${{ steps.check.outputs.exit_code }}"'  # the job fails as check did
    saved = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save"))
    assert saved["if"] == "always()"  # a failing night's history is kept too
    env = workflow["jobs"]["check"]["env"]
    for variable in ("VOIPBIN_TARGET", *_ENV.values()):  # every credential the harness reads, from secrets
        assert env[variable] == f"${{{{ secrets.{variable} }}}}", variable
