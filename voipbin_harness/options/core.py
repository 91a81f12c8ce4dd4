"""An option stated once, and the three hops built from it.

A suite's options travel through up to three command lines: ``voipbin-harness <suite>``
(argparse), the suite's own process (``pytest contracts/ ...`` or ``locust -f load/... --vb-...``),
and, for ``check``, the plan that hands each suite the options it takes. Each ``Option`` says
once what it is (flag, validator, defaults, environment variable, help) and which hops it reaches;
``add_to_argparse``, ``add_to_pytest`` and ``add_to_locust`` declare it on each hop, and
``forward`` turns a parsed command line back into the next hop's arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CLI", "LOCUST", "PYTEST", "SUITE_DEFAULT", "Option", "add_to_argparse", "add_to_locust",
           "add_to_pytest", "argparse_type", "flags", "forward", "format_value"]

CLI, PYTEST, LOCUST = "cli", "pytest", "locust"  # the hops: voipbin-harness, pytest, locust --vb-*
LOCUST_PREFIX = "--vb-"  # Locust owns the plain names
PYTEST_GROUP = "voipbin"


class _SuiteDefault:
    def __repr__(self) -> str:
        return "SUITE_DEFAULT"


#: ``Option.cli_default``: the command's default is the suite's own (``Option.default``).
SUITE_DEFAULT: Any = _SuiteDefault()


@dataclass(frozen=True)
class Option:
    """One option of a suite, for every hop it reaches.

    ``parse`` validates and converts a value (``ValueError`` with a message naming no flag);
    ``default`` is the suite process's default; ``cli_default`` the command's (``None`` when the
    command hands the option on only if given, so that the suite decides); ``env`` names the
    environment variable that overrides the default where the option is declared (``env_late``:
    read where the value is used instead, the default staying ``None``)."""

    flag: str
    help: str
    parse: Callable[[str], Any] | None = None
    default: Any = None
    cli_default: Any = SUITE_DEFAULT
    env: str | None = None
    env_late: bool = False
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    action: str = "store"  # "store", "store_true" or "append"
    dest: str | None = None
    hops: frozenset[str] = field(default=frozenset({CLI, PYTEST}))
    forward: bool = True  # the command hands its value to the next hop (else the command computes it)
    native: bool = False  # the next hop has this option of its own (pytest's -k): forwarded, never declared
    path: str = ""  # "file": made absolute when it exists, "dir": always (the suite runs from the repo root)
    required: bool = False

    @property
    def name(self) -> str:
        """The attribute the parsed value lands in (argparse's and pytest's ``dest``)."""
        return self.dest or self.flag.lstrip("-").replace("-", "_")

    @property
    def locust_flag(self) -> str:
        return LOCUST_PREFIX + self.flag.lstrip("-")

    def default_for(self, hop: str) -> Any:
        value = self.default if hop != CLI or self.cli_default is SUITE_DEFAULT else self.cli_default
        if self.action == "append":
            return list(value or [])
        if self.env and not self.env_late:
            return os.environ.get(self.env, value)
        return value

    def kwargs(self, hop: str) -> dict[str, Any]:
        """What ``add_argument``/``addoption`` takes for this option on ``hop``."""
        kw: dict[str, Any] = {"dest": self.name if hop != LOCUST else "vb_" + self.name,
                              "default": self.default_for(hop), "help": self.help}
        if self.action != "store":
            kw["action"] = self.action
        if self.action != "store_true":
            if self.metavar:
                kw["metavar"] = self.metavar
            if self.choices:
                kw["choices"] = list(self.choices)
            if self.parse is not None:
                kw["type"] = argparse_type(self.parse)
        if self.required and hop == CLI:
            kw["required"] = True
        return kw


def argparse_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` as argparse wants a type: its ``ValueError`` message shown as it is, on one line."""
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def _on(options: Iterable[Option], hop: str) -> list[Option]:
    return [o for o in options if hop in o.hops and not (o.native and hop != CLI)]


def flags(options: Iterable[Option], hop: str) -> frozenset[str]:
    """The option strings ``options`` declare on ``hop`` (``--vb-*`` for Locust)."""
    return frozenset(o.locust_flag if hop == LOCUST else o.flag for o in _on(options, hop))


def add_to_argparse(parser: argparse.ArgumentParser | Any, options: Iterable[Option]) -> None:
    """Declare the command's options (the ``CLI`` hop)."""
    for option in _on(options, CLI):
        parser.add_argument(option.flag, **option.kwargs(CLI))


def add_to_pytest(parser: Any, options: Iterable[Option]) -> None:
    """Declare the suite process's options on pytest's parser, all in one group (``PYTEST_GROUP``):
    pytest refuses a name its group has already, so an option the root conftest or another suite
    of the same run declared is left as it is (both suites' tables agree on what it means)."""
    group = parser.getgroup(PYTEST_GROUP, "VoIPBIN harness")
    for option in _on(options, PYTEST):
        with contextlib.suppress(ValueError):
            group.addoption(option.flag, **option.kwargs(PYTEST))


def add_to_locust(parser: Any, options: Iterable[Option]) -> None:
    """Declare the ``--vb-*`` options on Locust's parser (``events.init_command_line_parser``)."""
    for option in _on(options, LOCUST):
        parser.add_argument(option.locust_flag, **option.kwargs(LOCUST), include_in_web_ui=False)


def format_value(value: Any) -> str:
    """A value as the next hop reads it back (floats without a needless ``.0``, never rounded)."""
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def _handed_on(option: Option, value: Any) -> str:
    if option.path == "dir" or (option.path == "file" and Path(value).exists()):
        return str(Path(value).resolve())
    return format_value(value)


def forward(args: argparse.Namespace | Any, options: Sequence[Option], hop: str) -> list[str]:
    """The ``hop`` arguments equivalent to the parsed command line ``args``, in the table's order.

    An option reaches the next hop when the command declares it, hands it on (``forward``) and
    the hop takes it; a value left at ``None`` is not passed (the suite's default decides)."""
    argv: list[str] = []
    for option in options:
        if CLI not in option.hops or not option.forward or not (hop in option.hops or option.native):
            continue
        flag = option.locust_flag if hop == LOCUST else option.flag
        value = getattr(args, option.name, None)
        if option.action == "store_true":
            argv += [flag] if value else []
        elif option.action == "append":
            for item in value or []:
                argv += [flag, _handed_on(option, item)]
        elif value is not None and value != "":
            argv += [flag, _handed_on(option, value)]
    return argv
