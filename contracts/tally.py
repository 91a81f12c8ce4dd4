"""How often each check judged an answer: passed, failed, or skipped because it did not apply.

A check that never applies asserts nothing while looking green (issue 11: "no blind checks"), so
every answer the run judges is counted per check, and ``summary.json`` carries
``checks: {name: {"passed", "failed", "skipped"}}`` for every check the run registered, zeros
included. The outcome of a check on one answer:

- ``failed``: it raised a failure the run kept as a finding (a failure the run drops as expected,
  such as the documented E.164 400, counts as passed: the answer was judged and accepted);
- ``passed``: it ran its rule and returned;
- ``skipped``: its guard said the rule does not apply (Schemathesis's convention: the check returned
  ``True``), so a skip is counted, never mistaken for a pass.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from schemathesis import Case, CheckContext, Response
from schemathesis.checks import run_checks
from schemathesis.core.failures import Failure

__all__ = ["FAILED", "OUTCOMES", "PASSED", "SKIPPED", "CheckTally", "Judged", "applies_when", "judge_counted",
           "merge_blocks"]

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
OUTCOMES = (PASSED, FAILED, SKIPPED)
CheckFn = Callable[[CheckContext, Response, Case], "bool | None"]
Predicate = Callable[[Response, Case], bool]
F = TypeVar("F", bound=Callable[..., "bool | None"])


def applies_when(predicate: Predicate) -> Callable[[F], F]:
    """The check's "does it apply?" guard: run it only when ``predicate`` holds, otherwise return
    ``True`` (skipped), so the skip is counted rather than passing for a pass. Stack one per condition;
    the predicates stay readable on the check as ``applies``. Fits a registered check
    ``(ctx, response, case)`` and a workflow rule ``(response, case, **facts)`` alike: the answer and
    its case are the last two positional arguments."""

    def decorate(check: F) -> F:
        @functools.wraps(check)
        def guarded(*args: Any, **facts: Any) -> bool | None:
            if not predicate(*args[-2:]):
                return True
            return check(*args, **facts)

        guarded.applies = (*getattr(check, "applies", ()), predicate)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


@dataclass
class Judged:
    """One answer run through a list of checks: which ran, and what each raised."""

    names: list[str]
    ran: set[str] = field(default_factory=set)
    failures: list[tuple[str, Failure]] = field(default_factory=list)

    @property
    def all_failures(self) -> list[Failure]:
        return [failure for _name, failure in self.failures]

    def outcomes(self, kept: Iterable[Failure]) -> dict[str, str]:
        """Each check's outcome, once the run has decided which failures it keeps as findings."""
        kept_ids = {id(failure) for failure in kept}
        failed = {name for name, failure in self.failures if id(failure) in kept_ids}
        return {name: FAILED if name in failed else PASSED if name in self.ran else SKIPPED for name in self.names}


def judge_counted(checks: Iterable[CheckFn], *, case: Case, response: Response, ctx: Any) -> Judged:
    """``schemathesis.checks.run_checks`` over ``checks``, noting which ran and what each raised (a
    check that raised only failures Schemathesis's hooks filter out counts as run)."""
    checks = list(checks)
    judged = Judged(names=[check.__name__ for check in checks])

    def failed(name: str, collected: set[Failure], failure: Failure) -> None:
        judged.ran.add(name)
        if failure not in collected:  # the same failure twice is one, as in run_checks' own set
            collected.add(failure)
            judged.failures.append((name, failure))

    run_checks(case=case, response=response, ctx=ctx, checks=checks, on_failure=failed,
               on_success=lambda name, _case: judged.ran.add(name))
    return judged


class CheckTally:
    """Thread-safe counts per check name; every registered name is listed, zeros included."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {name: dict.fromkeys(OUTCOMES, 0) for name in names}

    def count(self, outcomes: Mapping[str, str]) -> None:
        with self._lock:
            for name, outcome in outcomes.items():
                self._counts.setdefault(name, dict.fromkeys(OUTCOMES, 0))[outcome] += 1

    def block(self) -> dict[str, dict[str, int]]:
        """``checks`` for summary.json, by name."""
        with self._lock:
            return {name: dict(counts) for name, counts in sorted(self._counts.items())}


def merge_blocks(blocks: Iterable[Mapping[str, Mapping[str, int]]]) -> dict[str, dict[str, int]]:
    """One ``checks`` block out of several workers' (counts summed, every name kept)."""
    merged: dict[str, dict[str, int]] = {}
    for block in blocks:
        for name, counts in block.items():
            into = merged.setdefault(name, dict.fromkeys(OUTCOMES, 0))
            for outcome in OUTCOMES:
                into[outcome] += int(counts.get(outcome, 0))
    return dict(sorted(merged.items()))
