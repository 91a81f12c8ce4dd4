"""The option tables (``voipbin_harness.options``): each hop is built from the one statement of an
option, so the command, the suite's pytest options and Locust's ``--vb-*`` options agree, a value
handed from one hop to the next reads back the same, and a bad value fails the same way in each."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import configargparse
import pytest
from _pytest.config.argparsing import Parser

from voipbin_harness.cli import build_parser
from voipbin_harness.options import (
    CLI,
    LOCUST,
    PYTEST,
    accepted,
    add_to_locust,
    add_to_pytest,
    flags,
    forward,
)
from voipbin_harness.options.common import ROOT_PYTEST
from voipbin_harness.options.contracts import CONTRACTS
from voipbin_harness.options.core import Option
from voipbin_harness.options.emulator import emulator_argv
from voipbin_harness.options.load import LOAD
from voipbin_harness.options.scenarios import SCENARIOS

SUITES = {"contracts": CONTRACTS, "scenarios": SCENARIOS}


def _pytest_parser(*tables: Sequence[Option]) -> Parser:
    """pytest's own option parser, declared as the root and suite conftests declare it."""
    parser = Parser(_ispytest=True)
    for options in (ROOT_PYTEST, *tables):
        add_to_pytest(parser, options)
    return parser


class _Locust:
    """Locust's parser as ``events.init_command_line_parser`` hands it (it takes ``include_in_web_ui``)."""

    def __init__(self) -> None:
        self.parser = configargparse.ArgumentParser(prog="locust", exit_on_error=True)

    def add_argument(self, *names: str, include_in_web_ui: bool = True, **kwargs: Any) -> Any:
        assert include_in_web_ui is False, "a harness option is never shown in Locust's web UI"
        return self.parser.add_argument(*names, **kwargs)


def _locust_parser() -> configargparse.ArgumentParser:
    locust = _Locust()
    add_to_locust(locust, LOAD)
    return locust.parser


def _command(name: str) -> argparse.ArgumentParser:
    subparsers = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return subparsers.choices[name]


@pytest.mark.parametrize("name", ["contracts", "scenarios", "load"])
def test_the_command_declares_exactly_its_table(name: str) -> None:
    declared = {o for a in _command(name)._actions for o in a.option_strings} - {"-h", "--help"}
    assert declared == accepted([name])


@pytest.mark.parametrize("name", sorted(SUITES))
def test_the_suites_pytest_options_are_its_table(name: str) -> None:
    """Every option the table sends to pytest is one pytest takes, with the same name and choices."""
    table = SUITES[name]
    parser = _pytest_parser(table)
    cli = {a.option_strings[0]: a for a in _command(name)._actions if a.option_strings}
    for option in table:
        if PYTEST not in option.hops:
            continue
        values = parser.parse([])
        assert hasattr(values, option.name), f"{option.flag} not declared for pytest"
        if CLI in option.hops:
            assert cli[option.flag].dest == option.name and cli[option.flag].choices == (
                list(option.choices) if option.choices else None), option.flag


def test_the_locust_options_are_the_load_tables() -> None:
    parsed = vars(_locust_parser().parse_args([]))
    assert set(parsed) == {"vb_" + o.name for o in LOAD if LOCUST in o.hops}
    assert {o.flag for o in LOAD if {CLI, LOCUST} <= o.hops} <= accepted(["load"])
    assert all(flag.startswith("--vb-") for flag in flags(LOAD, LOCUST))


CONTRACTS_LINE = ["contracts", "--max-examples", "7", "--include-tag", "Flow", "--include-path", "^/calls",
                  "--seed", "3", "--auth", "accesskey", "--allow-writes", "--allow-operation", "POST /calls",
                  "--phases", "coverage,examples", "--rate", "17:33", "--time-budget", "90.5",
                  "--request-budget", "40", "--emulator-profile", "conformant", "--emulator-rate-limit", "5:7",
                  "--workers", "1"]
SCENARIOS_LINE = ["scenarios", "--seed", "9", "--rate", "off", "--time-budget", "120", "--allow-writes",
                  "--emulator-profile", "conformant", "--emulator-rate-limit", "50:50"]


@pytest.mark.parametrize("line", [CONTRACTS_LINE, SCENARIOS_LINE], ids=["contracts", "scenarios"])
def test_a_command_line_reads_back_the_same_in_pytest(line: list[str]) -> None:
    table = SUITES[line[0]]
    given = build_parser().parse_args(line)
    suite = _pytest_parser(table).parse(forward(given, table, PYTEST))
    shared = [o for o in table if {CLI, PYTEST} <= o.hops]
    assert shared, "the table hands nothing on"
    for option in shared:
        if option.path:
            continue  # made absolute on the way
        assert getattr(suite, option.name) == getattr(given, option.name), option.flag


def test_a_load_command_line_reads_back_the_same_in_locust() -> None:
    given = build_parser().parse_args(["load", "--profile", "capacity", "--rate", "40", "--start-rate", "2.5",
                                       "--step-factor", "1.5", "--settle", "0", "--hold", "3", "--pool", "30",
                                       "--auth", "accesskey", "--duration", "30", "--max-rate", "50",
                                       "--allow-remote", "api.example.test"])
    child = vars(_locust_parser().parse_args(forward(given, LOAD, LOCUST)))
    handed = [o for o in LOAD if {CLI, LOCUST} <= o.hops and o.forward and getattr(given, o.name) is not None]
    assert len(handed) == 10
    for option in handed:
        assert child["vb_" + option.name] == getattr(given, option.name), option.flag


BAD = [
    ("contracts", "--max-examples", "0", "expected at least 1, got 0"),
    ("contracts", "--phases", "fuzz", "a comma list of examples, coverage, fuzzing, stateful"),
    ("contracts", "--include-path", "(", "is not a regular expression"),
    ("contracts", "--rate", "fast", "a rate limit is RPS or RPS:BURST"),
    ("contracts", "--time-budget", "0", "expected more than 0 seconds"),
    ("contracts", "--emulator-rate-limit", "5", "a rate limit is RPS:BURST"),
    ("scenarios", "--time-budget", "soon", "expected a number of seconds"),
    ("scenarios", "--rate", "0:5", "a rate limit"),
    ("load", "--rate", "-1", "must be > 0, got -1"),
    ("load", "--step-factor", "1", "must be > 1, got 1"),
    ("load", "--pool", "0", "must be 1..5000, got 0"),
    ("load", "--settle", "-2", "must be >= 0, got -2"),
]


@pytest.mark.parametrize("suite, flag, value, words", BAD, ids=[f"{s} {f} {v}" for s, f, v, _ in BAD])
def test_a_bad_value_fails_the_same_way_in_each_hop(suite: str, flag: str, value: str, words: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    expected = f"argument {flag}: "
    with pytest.raises(SystemExit) as exited:  # voipbin-harness <suite>: one line, exit 2
        build_parser().parse_args([suite, flag, value])
    err = capsys.readouterr().err.strip()
    assert exited.value.code == 2 and len(err.splitlines()) == 1 and expected in err and words in err, err
    if suite == "load":  # locust -f load/<profile>.py --vb-...
        with pytest.raises(SystemExit) as exited:
            _locust_parser().parse_args([f"--vb-{flag[2:]}", value])
        err = capsys.readouterr().err
        assert exited.value.code == 2 and f"argument --vb-{flag[2:]}: " in err and words in err, err
    else:  # pytest <suite>/ ...
        with pytest.raises(pytest.UsageError) as refused:
            _pytest_parser(SUITES[suite]).parse([flag, value])
        assert expected in str(refused.value) and words in str(refused.value), refused.value


def test_the_embedded_emulators_arguments_are_what_its_command_takes() -> None:
    argv = emulator_argv(profile="conformant", rate_limit="5:7", faults=["slow", "leak-list"], latency="25:5")
    args = build_parser().parse_args(["emulator", *argv])
    assert (args.profile, args.rate_limit, args.no_rate_limit, args.fault, args.latency) == (
        "conformant", "5:7", False, ["slow", "leak-list"], "25:5")
    assert build_parser().parse_args(["emulator", *emulator_argv()]).no_rate_limit is True


def test_check_hands_a_suite_only_what_its_table_takes() -> None:
    from voipbin_harness.check.plan import build_plan

    args = build_parser().parse_args(["check", "--quick", "--rate", "17:33", "--allow-writes"])
    plans = {p.name: p for p in build_plan(args, "out")}
    for plan in plans.values():
        given = {word for word in plan.argv if word.startswith("-")}
        path = plan.argv[:2] if plan.argv[0] == "spec" else plan.argv[:1]
        assert given <= (accepted(path) or set()), (plan.name, given - (accepted(path) or set()))
    assert "--target-rate" in plans["load-smoke"].argv and "--rate" in plans["contracts"].argv
