"""``voipbin-harness contracts`` only builds ``pytest contracts/`` options, and refuses bad input in one line."""

from __future__ import annotations

import pytest

from voipbin_harness.cli import build_parser
from voipbin_harness.commands.contracts import build_pytest_args, preflight
from voipbin_harness.errors import HarnessError


def test_options_map_onto_the_pytest_command_line() -> None:
    args = build_parser().parse_args([
        "contracts", "--max-examples", "7", "--include-tag", "Flow", "--include-path", "^/calls",
        "--seed", "3", "--auth", "accesskey", "--allow-writes", "--allow-operation", "POST /calls",
        "--phases", "coverage,examples", "--workers", "3", "--report-dir", "out"])
    argv = build_pytest_args(args)
    pairs = dict(zip(argv, argv[1:], strict=False))
    assert pairs["--max-examples"] == "7" and pairs["--seed"] == "3" and pairs["--auth"] == "accesskey"
    assert pairs["--include-tag"] == "Flow" and pairs["--include-path"] == "^/calls"
    assert pairs["--allow-operation"] == "POST /calls" and pairs["--phases"] == "examples,coverage"
    assert pairs["-n"] == "3" and "--allow-writes" in argv and pairs["--report-dir"].endswith("/out")


def test_two_workers_by_default_against_the_emulator_one_against_a_remote_target() -> None:
    assert "-n" in build_pytest_args(build_parser().parse_args(["contracts"]))
    remote = build_pytest_args(build_parser().parse_args(["contracts", "--target", "https://api.example.test"]))
    assert "-n" not in remote


@pytest.mark.parametrize("bad", [["--max-examples", "0"], ["--include-path", "("], ["--phases", "fuzz"],
                                 ["--time-budget", "0"], ["--time-budget", "soon"]])
def test_bad_options_exit_2_in_one_line(bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["contracts", *bad])
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_rate_and_time_budget_reach_pytest_and_a_bad_rate_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["contracts", "--rate", "17:33", "--time-budget", "240"])
    pairs = dict(zip(argv := build_pytest_args(args), argv[1:], strict=False))
    assert pairs["--rate"] == "17:33" and pairs["--time-budget"] == "240"
    with pytest.raises(SystemExit) as exited:  # a bad flag: refused by the parser, as pytest refuses it
        build_parser().parse_args(["contracts", "--rate", "fast"])
    assert exited.value.code == 2 and "--rate: a rate limit is RPS or RPS:BURST" in capsys.readouterr().err
    monkeypatch.setenv("VOIPBIN_RATE", "fast")  # the environment is read where the rate is used: preflight
    with pytest.raises(HarnessError, match="--rate"):
        preflight(build_parser().parse_args(["contracts"]))
