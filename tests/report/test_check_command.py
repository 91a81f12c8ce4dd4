"""``voipbin-harness check`` as a user meets it: options, one-line errors, the plan it builds,
and a run whose target cannot be reached (exit 2, a report saying why)."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from voipbin_harness.cli import build_parser
from voipbin_harness.report.plan import build_plan, command_options

REPO = Path(__file__).resolve().parents[2]


def _check(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voipbin_harness", "check", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("args", [
    ["--tolerance", "0"],
    ["--baseline", "/nonexistent/baseline.json"],
    ["--target", "ftp://example.invalid"],
    ["--emulator-rate-limit", "fast"],
    ["--only", "everything"],
    ["--suite-timeout", "-1"],
])
def test_bad_options_are_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    result = _check(*args, "--report-dir", str(tmp_path / "r"))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr


def test_a_bad_baseline_says_which_entry(tmp_path: Path) -> None:
    baseline = tmp_path / "b.json"
    baseline.write_text(json.dumps({"findings": [{"id": "x:1", "check": "x", "operation": "GET /a"}]}))
    result = _check("--baseline", str(baseline), "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 2 and "lacks reason" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_target_leaves_a_report_and_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "r"
    result = _check("--quick", "--target", f"http://127.0.0.1:{_free_port()}", "--report-dir", str(report),
                    "--skip", "spec-lint")
    assert result.returncode == 2, result.stdout + result.stderr
    document = json.loads((report / "summary.json").read_text())
    assert (document["verdict"], document["tested"]) == ("incomplete", False)
    for suite in document["suites"]:
        if suite["name"] in ("contracts", "scenarios"):
            assert suite["status"] == "not-run" and "unreachable" in suite["reason"], suite
    assert "INCOMPLETE" in (report / "index.html").read_text()
    assert "check: INCOMPLETE" in result.stdout


def _args(**overrides: object) -> argparse.Namespace:
    values = {"target": "emulator", "spec": None, "quick": True, "only": None, "skip": None, "suite_timeout": None,
              "emulator_profile": "gateway", "emulator_rate_limit": "50:50"}
    values.update(overrides)
    return argparse.Namespace(**values)


def test_command_options_reads_a_commands_parser() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    spec = sub.add_parser("spec").add_subparsers()
    spec.add_parser("lint").add_argument("--json")
    assert command_options(parser, ["spec", "lint"]) == {"-h", "--help", "--json"}
    assert command_options(parser, ["contracts"]) is None


def test_the_plan_follows_the_order_and_each_commands_options() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    load = sub.add_parser("load")
    for option in ("--profile", "--target", "--report-dir", "--duration", "--emulator-rate-limit",
                   "--emulator-profile"):
        load.add_argument(option)
    scenarios = sub.add_parser("scenarios")
    for option in ("--target", "--report-dir"):
        scenarios.add_argument(option)
    plans = build_plan(_args(), parser, "out")
    assert [p.name for p in plans] == ["spec-lint", "contracts", "scenarios", "load-smoke", "load-ratelimit"]
    by_name = {p.name: p for p in plans}
    assert "not in this checkout" in by_name["spec-lint"].unavailable
    assert "not in this checkout" in by_name["contracts"].unavailable
    # scenarios does not offer --emulator-profile here: it is not handed one
    assert by_name["scenarios"].argv == ["scenarios", "--report-dir", "out/scenarios", "--target", "emulator"]
    assert by_name["scenarios"].env == {"HYPOTHESIS_PROFILE": "live"}
    assert by_name["load-smoke"].argv == ["load", "--profile", "smoke", "--report-dir", "out/load-smoke",
                                          "--target", "emulator", "--emulator-profile", "gateway", "--duration", "8"]
    assert by_name["load-ratelimit"].argv[-2:] == ["--emulator-rate-limit", "50:50"]


def test_load_is_not_sent_to_a_remote_target_and_only_skip_leave_suites_out() -> None:
    plans = {p.name: p for p in build_plan(_args(target="https://api.example.test", skip=["scenarios"]),
                                           build_parser(), "out")}
    assert "non-loopback" in plans["load-smoke"].skipped and "non-loopback" in plans["load-ratelimit"].skipped
    assert plans["scenarios"].skipped == "left out (--only/--skip)"
    full = {p.name: p for p in build_plan(_args(quick=False), build_parser(), "out")}
    assert full["load-smoke"].argv[full["load-smoke"].argv.index("--duration") + 1] == "60"


def test_quick_ratelimit_ramps_around_the_emulators_limit() -> None:
    plans = {p.name: p for p in build_plan(_args(emulator_rate_limit="50:50"), build_parser(), "out")}
    argv = plans["load-ratelimit"].argv
    if "--start-rate" not in command_options(build_parser(), ["load"]):
        pytest.skip("this checkout's load command has no --start-rate")
    ramp = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    assert (ramp["--emulator-rate-limit"], ramp["--start-rate"], ramp["--rate"]) == ("50:50", "20", "120")
    assert "--seed" in plans["contracts"].argv
