"""How a scenario says a promise is broken: a ``ScenarioFailure`` that carries its findings.

A scenario collects what it sees in a ``Verdict`` (several deviations of one exchange are all
reported, not only the first) and raises once at the end. The exception is an ``AssertionError``
so Hypothesis shrinks and pytest fails the test as for any assert; the suite's conftest takes
the findings off the *final* exception (the shrunk example, not every intermediate one) and
writes them to ``summary.json``, so a failing property is always both a failing test and a
finding, and a finding never exists without its failing test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from voipbin_harness import coverage
from voipbin_harness.findings import Finding
from voipbin_harness.redact import redact_text

if TYPE_CHECKING:
    from .exchange import Exchange
    from .promises import Promise

__all__ = ["ScenarioFailure", "Verdict", "findings_in", "stable_key"]

_VOLATILE = re.compile(r"'[^']*'|\"[^\"]*\"|\b[0-9a-f]{8}-[0-9a-f-]{27}\b|\d+")


def stable_key(text: str) -> str:
    """``text`` without the values that change from run to run (quoted values, ids, numbers),
    so that a problem sentence can key a finding whose id stays the same across runs."""
    return _VOLATILE.sub("_", text)[:160]


class ScenarioFailure(AssertionError):
    """One or more broken promises met in one example; ``findings`` has them all."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(redact_text("\n\n".join(_render(f) for f in findings)))


def _render(finding: Finding) -> str:
    lines = [f"[{finding.check}] {finding.operation}: {finding.message}",
             f"  Expected: {finding.expected}", f"  Received: {finding.got}",
             f"  Promise:  {finding.promise}"]
    if finding.reproduce:
        lines.append(f"  Reproduce with: {finding.reproduce}")
    return "\n".join(lines)


class Verdict:
    """Collects the deviations of one example; ``raise_if_any()`` (or leaving the ``with``) fails it."""

    def __init__(self, promise: Promise, check: str) -> None:
        self.promise = promise
        self.check = check
        self.findings: list[Finding] = []

    def __enter__(self) -> Verdict:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.raise_if_any()

    def fail(self, exchange: Exchange | None, message: str, *, expected: str, got: str | None = None,
             key: str = "", check: str | None = None, promise: Promise | None = None,
             severity: str = "medium", operation: str | None = None) -> None:
        """Record one deviation; ``got`` defaults to what ``exchange`` answered."""
        promise = promise or self.promise
        if exchange is not None:
            coverage.recorder().check(exchange.label, check or self.check, "failed")
        self.findings.append(Finding(
            check=check or self.check,
            operation=operation or (exchange.label if exchange is not None else "*"),
            message=message,
            expected=expected,
            got=got if got is not None else (exchange.describe() if exchange is not None else ""),
            key=key or stable_key(message),
            reproduce=exchange.curl() if exchange is not None else "",
            severity=severity,
            promise=promise.quote(),
            request=exchange.request_form() if exchange is not None else None,
        ))

    def expect(self, condition: bool, exchange: Exchange | None, message: str, **kwargs: object) -> bool:
        """``fail(...)`` unless ``condition``; returns ``condition`` so callers can stop early."""
        if not condition:
            self.fail(exchange, message, **kwargs)  # type: ignore[arg-type]
        else:
            self.passed(exchange, kwargs.get("check"))  # type: ignore[arg-type]
        return condition

    def passed(self, exchange: Exchange | None, check: str | None = None) -> None:
        """The check judged ``exchange`` and it held: counted in the run's coverage, so that a known
        deviation not met again can be told re-tested (fixed) from not tried (unchecked)."""
        if exchange is not None:
            coverage.recorder().check(exchange.label, check or self.check, "passed")

    def problems(self, problems: Iterable[str], exchange: Exchange, *, expected: str, **kwargs: object) -> bool:
        """One deviation per problem sentence from a ``conventions.*_problems`` function."""
        found = False
        for problem in problems:
            found = True
            self.fail(exchange, problem, expected=expected, key=stable_key(problem), **kwargs)  # type: ignore[arg-type]
        if not found:
            self.passed(exchange, kwargs.get("check"))  # type: ignore[arg-type]
        return not found

    def raise_if_any(self) -> None:
        if self.findings:
            raise ScenarioFailure(self.findings)


def findings_in(exc: BaseException | None) -> Iterator[Finding]:
    """The findings of every ``ScenarioFailure`` inside ``exc`` (exception groups, flaky wrappers)."""
    seen: set[int] = set()
    stack = [exc] if exc is not None else []
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ScenarioFailure):
            yield from current.findings
        if isinstance(current, BaseExceptionGroup):
            stack.extend(reversed(current.exceptions))
        stack.append(current.__cause__)
