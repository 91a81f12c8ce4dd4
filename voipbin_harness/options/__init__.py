"""Every suite option stated once: one table per suite, and the hops built from it.

``core`` holds the ``Option`` record and the builders (argparse, pytest, Locust ``--vb-*``,
forwarding a parsed command line to the next hop); ``values`` the validators; ``common`` the
options several suites share; ``contracts``, ``scenarios``, ``load``, ``spec`` and ``check`` the
tables. ``accepted`` answers ``check``'s plan: which options a suite's command takes.
"""

from __future__ import annotations

from collections.abc import Sequence

from .core import CLI, LOCUST, PYTEST, Option, add_to_argparse, add_to_locust, add_to_pytest, flags, forward

__all__ = ["CLI", "LOCUST", "PYTEST", "Option", "accepted", "add_to_argparse", "add_to_locust", "add_to_pytest",
           "flags", "forward", "table"]


def table(path: Sequence[str]) -> tuple[Option, ...] | None:
    """The option table of ``voipbin-harness <path...>`` (a suite ``check`` runs), or None."""
    key = tuple(path)
    if key == ("contracts",):
        from .contracts import CONTRACTS
        return CONTRACTS
    if key == ("scenarios",):
        from .scenarios import SCENARIOS
        return SCENARIOS
    if key == ("load",):
        from .load import LOAD
        return LOAD
    if key == ("spec", "lint"):
        from .spec import LINT
        return LINT
    return None


def accepted(path: Sequence[str]) -> frozenset[str] | None:
    """The option strings ``voipbin-harness <path...>`` takes, or None when it is not a suite command."""
    options = table(path)
    return None if options is None else flags(options, CLI)
