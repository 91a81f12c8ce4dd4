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

from voipbin_harness.check.plan import (
    DEPTH,
    MIN_SHARE_S,
    SUITES,
    build_plan,
    ratelimit_ramp,
    split_budget,
    suite_timeout,
)
from voipbin_harness.conventions.ratelimit import Limit
from voipbin_harness.options import accepted

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
    ["--time-budget", "0"],
    ["--time-budget", "soon"],
    ["--rate", "fast"],
    ["--rate", "0:5"],
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
              "emulator_profile": "gateway", "emulator_rate_limit": "50:50", "target_rate": None, "time_budget": None}
    values.update(overrides)
    return argparse.Namespace(**values)


def test_accepted_reads_the_suites_option_tables() -> None:
    assert {"--json", "--strict", "--report-dir", "--spec"} == accepted(["spec", "lint"])
    assert {"--max-examples", "--time-budget", "--rate", "--allow-operation"} <= (accepted(["contracts"]) or set())
    assert "--max-examples" not in (accepted(["scenarios"]) or set())
    assert accepted(["emulator"]) is None


def test_the_plan_follows_the_order_and_each_commands_options() -> None:
    accepts = _accepts(load=("--profile", "--target", "--report-dir", "--duration", "--emulator-rate-limit",
                             "--emulator-profile"), scenarios=("--target", "--report-dir"))
    plans = build_plan(_args(), "out", accepts=accepts)
    assert [p.name for p in plans] == ["spec-lint", "contracts", "scenarios", "load-smoke", "load-ratelimit"]
    by_name = {p.name: p for p in plans}
    # a command that takes none of check's options is handed none
    assert by_name["spec-lint"].argv == ["spec", "lint"] and by_name["contracts"].argv == ["contracts"]
    # scenarios does not offer --emulator-profile here: it is not handed one
    assert by_name["scenarios"].argv == ["scenarios", "--report-dir", "out/scenarios", "--target", "emulator"]
    assert by_name["scenarios"].env == {"HYPOTHESIS_PROFILE": "live"}
    assert by_name["load-smoke"].argv == ["load", "--profile", "smoke", "--report-dir", "out/load-smoke",
                                          "--target", "emulator", "--emulator-profile", "gateway", "--duration", "8"]
    assert by_name["load-ratelimit"].argv[-2:] == ["--emulator-rate-limit", "50:50"]


def test_load_is_not_sent_to_a_remote_target_and_only_skip_leave_suites_out() -> None:
    plans = {p.name: p for p in build_plan(_args(target="https://api.example.test", skip=["scenarios"]), "out")}
    assert "non-loopback" in plans["load-smoke"].skipped and "non-loopback" in plans["load-ratelimit"].skipped
    assert plans["scenarios"].skipped == "left out (--only/--skip)"
    full = {p.name: p for p in build_plan(_args(quick=False), "out")}
    assert full["load-smoke"].argv[full["load-smoke"].argv.index("--duration") + 1] == "60"


def test_quick_ratelimit_ramps_around_the_emulators_limit() -> None:
    plans = {p.name: p for p in build_plan(_args(emulator_rate_limit="50:50"), "out")}
    argv = plans["load-ratelimit"].argv
    ramp = {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}
    assert (ramp["--emulator-rate-limit"], ramp["--start-rate"], ramp["--rate"]) == ("50:50", "20", "120")
    assert "--seed" in plans["contracts"].argv


def _accepts(**commands: tuple[str, ...]):  # noqa: ANN202 - the plan's ``Accepts``
    """Commands that take only the given options (``spec_lint=(...)`` for ``spec lint``); others none."""
    def accepts(path: list[str]) -> set[str]:
        return set(commands.get("_".join(path), ()))

    return accepts


_SUITE_OPTIONS = ("--target", "--report-dir", "--rate", "--time-budget", "--seed", "--max-examples")
_LOAD_OPTIONS = ("--profile", "--target", "--report-dir", "--duration", "--emulator-rate-limit", "--emulator-profile",
                 "--start-rate", "--step-factor", "--rate", "--hold", "--target-rate")


def _options(argv: list[str]) -> dict[str, str]:
    return {argv[i]: argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("--")}


def test_the_budget_is_split_fixed_suites_first_then_by_weight() -> None:
    quick = DEPTH["quick"]
    shares = split_budget(480, quick, list(SUITES))
    fixed = quick.fixed_s["spec-lint"] + quick.fixed_s["load-smoke"] + quick.fixed_s["load-ratelimit"]
    assert shares["contracts"] == round((480 - fixed) * 0.6, 1) and shares["scenarios"] == round((480 - fixed) * 0.4, 1)
    assert sum(shares.values()) == pytest.approx(480, abs=0.2)
    # a suite left out leaves its share to the others; a budget too small still gives each a minimum
    assert split_budget(480, quick, ["contracts"]) == {"contracts": 480}
    assert split_budget(60, quick, list(SUITES))["scenarios"] == MIN_SHARE_S
    # the timeout is the share plus a margin (for hangs), never less than the share
    seconds, fraction = quick.margin
    assert suite_timeout("contracts", 213, quick) == 213 + seconds
    assert suite_timeout("contracts", 2000, quick) == 2000 + fraction * 2000 > 2000 + seconds
    assert suite_timeout("load-smoke", 30, quick) == quick.timeout_s["load-smoke"]


def test_each_budgeted_suite_gets_its_share_and_the_rate_on_its_own_command_line() -> None:
    accepts = _accepts(contracts=_SUITE_OPTIONS, scenarios=("--target", "--report-dir"), load=_LOAD_OPTIONS)
    plans = {p.name: p for p in build_plan(_args(target_rate="10:20", time_budget=600), "out", accepts=accepts)}
    contracts = _options(plans["contracts"].argv)
    share = split_budget(600, DEPTH["quick"], list(SUITES))
    assert contracts["--time-budget"] == f"{share['contracts']:g}" and contracts["--rate"] == "10:20"
    assert plans["contracts"].budget_s == share["contracts"]
    assert plans["contracts"].timeout == suite_timeout("contracts", share["contracts"], DEPTH["quick"])
    # a command that lacks an option is not handed it
    assert "--time-budget" not in plans["scenarios"].argv and "--rate" not in plans["scenarios"].argv
    # load's --rate is its offered rate: the pacing limit goes to its --target-rate (set-up steps)
    assert _options(plans["load-smoke"].argv).get("--rate") is None
    assert _options(plans["load-smoke"].argv)["--target-rate"] == "10:20"
    # --suite-timeout wins over the budget's timeouts
    fixed = {p.name: p for p in build_plan(_args(suite_timeout=42), "out", accepts=accepts)}
    assert {p.timeout for p in fixed.values()} == {42}


def test_the_real_commands_take_the_budget_and_the_rate_when_they_offer_them() -> None:
    plans = {p.name: p for p in build_plan(_args(target_rate="17:33"), "out")}
    for name in ("contracts", "scenarios"):
        offered = accepted([name]) or set()
        argv = _options(plans[name].argv)
        assert ("--time-budget" in argv) == ("--time-budget" in offered), name
        assert ("--rate" in argv) == ("--rate" in offered), name


def test_the_ratelimit_ramp_on_a_url_target_comes_from_its_limit() -> None:
    accepts = _accepts(load=_LOAD_OPTIONS)
    url = "http://127.0.0.1:19251"
    plans = {p.name: p for p in build_plan(_args(target=url), "out", limit=Limit(17, 33), accepts=accepts)}
    ramp = _options(plans["load-ratelimit"].argv)
    assert (ramp["--start-rate"], ramp["--step-factor"], ramp["--rate"]) == ("6.8", "1.5", "40.8")
    assert "--emulator-rate-limit" not in ramp
    # pacing off (--rate off): the ramp is still around the documented limit
    off = {p.name: p for p in build_plan(_args(target=url), "out", limit=None, accepts=accepts)}
    assert _options(off["load-ratelimit"].argv)["--rate"] == "40.8"
    assert ratelimit_ramp(Limit(50, 50), DEPTH["quick"])["--start-rate"] == "20"


def test_what_the_user_allows_reaches_the_suites_that_take_it() -> None:
    accepts = _accepts(contracts=(*_SUITE_OPTIONS, "--allow-writes", "--allow-operation"),
                       scenarios=("--target", "--report-dir", "--allow-writes"), load=_LOAD_OPTIONS)
    plans = {p.name: p for p in build_plan(_args(allow_writes=True, allow_operation=["POST /calls", "PUT /me"]),
                                           "out", accepts=accepts)}
    argv = plans["contracts"].argv
    assert "--allow-writes" in argv and argv.count("--allow-operation") == 2 and "PUT /me" in argv
    assert "--allow-writes" in plans["scenarios"].argv and "--allow-operation" not in plans["scenarios"].argv
    assert "--allow-writes" not in plans["load-smoke"].argv
    assert "--allow-writes" not in build_plan(_args(), "out", accepts=accepts)[1].argv
